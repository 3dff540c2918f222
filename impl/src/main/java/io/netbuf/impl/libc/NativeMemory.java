package io.netbuf.impl.libc;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A zeroed block of native memory for {@link Libc} calls: its address, to pass to the kernel, and a
 * {@link ByteBuffer} view of it in native byte order, to fill and read. Freed by {@link #close()}
 * (or, if never closed, once it is unreachable).
 */
public final class NativeMemory implements AutoCloseable {
    private final Memory memory;
    private final long address;
    private final ByteBuffer buffer;

    /** @param size the block's size in bytes */
    public NativeMemory(int size) {
        this.memory = new Memory(size);
        memory.clear();
        this.address = Pointer.nativeValue(memory);
        this.buffer = memory.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
    }

    /** @return the block's address */
    public long address() {
        return address;
    }

    /** @return a view of the whole block in native byte order (absolute gets and puts need no reset) */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Sets every byte to zero. */
    public void clear() {
        memory.clear();
    }

    /** Frees the block; the address and the view must not be used afterwards. */
    @Override
    public void close() {
        memory.close();
    }
}
