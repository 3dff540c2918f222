package io.netbuf.cli.log;

import io.netbuf.impl.libc.Libc;
import io.netbuf.impl.libc.NativeMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real syslog daemon's socket for tests: a unix datagram socket bound at a path, as {@code /dev/log}
 * is, whose datagrams the test reads back. Not a mock: the code under test sends to it exactly as it
 * sends to the host's.
 */
public final class SyslogListener implements AutoCloseable {
    private static final int SOCKADDR_UN_SIZE = 110;
    private final Path path;
    private final int fd;

    /**
     * @param path where to bind the socket
     * @throws IOException when it cannot be bound
     */
    public SyslogListener(Path path) throws IOException {
        this.path = path;
        fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("socket: errno " + Libc.errno());
        }
        try (NativeMemory address = new NativeMemory(SOCKADDR_UN_SIZE)) {
            address.buffer().putShort(0, (short) Libc.AF_UNIX).put(2, path.toString().getBytes(StandardCharsets.UTF_8));
            if (Libc.bind(fd, address.address(), SOCKADDR_UN_SIZE) < 0) {
                int errno = Libc.errno();
                Libc.close(fd);
                throw new IOException("bind " + path + ": errno " + errno);
            }
        }
    }

    /** @return where it listens */
    public Path path() {
        return path;
    }

    /** @return every datagram waiting, without blocking */
    public List<String> received() {
        List<String> messages = new ArrayList<>();
        try (NativeMemory buffer = new NativeMemory(8192)) {
            while (true) {
                long n = Libc.recvfrom(fd, buffer.address(), 8192, Libc.MSG_DONTWAIT, 0, 0);
                if (n < 0) {
                    return messages;
                }
                byte[] bytes = new byte[(int) n];
                buffer.buffer().get(0, bytes);
                messages.add(new String(bytes, StandardCharsets.UTF_8));
            }
        }
    }

    @Override
    public void close() throws IOException {
        Libc.close(fd);
        Files.deleteIfExists(path);
    }
}
