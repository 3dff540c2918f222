package io.netbuf.event;

import java.time.Instant;

/**
 * The plug dropped output. Over-limit drops are seen in the kernel's drop counter whenever netbuf
 * reads it (after each commit and at close) and reported as the increase since the last read;
 * purged output is what the plug held when close() tore it down.
 *
 * @param buffer the buffer
 * @param time when netbuf saw it
 * @param cause why
 * @param packets packets dropped
 * @param bytes bytes dropped, or -1 when the kernel does not count them (over-limit drops)
 */
public record Dropped(BufferId buffer, Instant time, DropCause cause, long packets, long bytes)
        implements BufferEvent {
    @Override
    public void deliverTo(BufferListener listener) {
        listener.onDrop(this);
    }
}
