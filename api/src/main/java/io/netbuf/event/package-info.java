/**
 * What happens to a buffer, as it happens: {@link io.netbuf.event.BufferListener} and the
 * immutable events it is told of (attach, checkpoint, commit with the figures it released,
 * release-indefinitely, limit change, drops by cause, close, failures).
 */
package io.netbuf.event;
