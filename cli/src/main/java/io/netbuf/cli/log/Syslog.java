package io.netbuf.cli.log;

import io.netbuf.impl.libc.Libc;
import io.netbuf.impl.libc.NativeMemory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Sends messages to the local syslog daemon the way {@code logger(1)} does: one datagram per message
 * on its unix socket ({@code /dev/log}), in the BSD format without the optional time stamp
 * ({@code <PRI>tag[pid]: text}: the daemon stamps it on receipt; reading the time zone would cost the call
 * tens of milliseconds in the interpreter),
 * facility {@code daemon} as Xen's hotplug scripts use. Never blocks and never throws: a daemon that
 * is absent, full or slow costs the message, not the hotplug call ({@link #failures()} counts them).
 * Thread-safe.
 */
public final class Syslog {
    /** The syslog daemon's socket on a Linux host. */
    public static final Path DEFAULT_SOCKET = Path.of("/dev/log");
    /** Severity {@code err}. */
    public static final int ERR = 3;
    /** Severity {@code warning}. */
    public static final int WARNING = 4;
    /** Severity {@code info}. */
    public static final int INFO = 6;
    /** Facility {@code daemon}, shifted into the priority. */
    static final int DAEMON = 3 << 3;

    /** {@code sizeof(struct sockaddr_un)}. */
    private static final int SOCKADDR_UN_SIZE = 110;
    /** Longest datagram sent: what every syslog daemon accepts; longer messages are cut. */
    private static final int MAX_DATAGRAM = 2048;

    private final Path socket;
    private final String tag;
    private int failures;

    /**
     * @param socket the daemon's socket, normally {@link #DEFAULT_SOCKET}
     * @param tag the program name shown with each message, e.g. {@code remus-netbuf-setup}
     */
    public Syslog(Path socket, String tag) {
        this.socket = socket;
        this.tag = tag;
    }

    /**
     * Sends one message; a failure is counted, not thrown.
     *
     * @param severity e.g. {@link #ERR}
     * @param message the text (line breaks become spaces)
     * @return whether the daemon's socket took it
     */
    public synchronized boolean send(int severity, String message) {
        byte[] datagram = format(severity, message);
        byte[] name = socket.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SOCKADDR_UN_SIZE - 2 || Libc.unavailableReason() != null) {
            failures++;
            return false;
        }
        boolean sent = sendAs(Libc.SOCK_DGRAM, name, datagram);
        if (!sent) {
            failures++;
        }
        return sent;
    }

    /** @return how many messages were not delivered */
    public synchronized int failures() {
        return failures;
    }

    /**
     * @param severity a severity
     * @param message the text
     * @return the datagram: {@code <PRI>tag[pid]: message}, at most 2048 bytes
     */
    byte[] format(int severity, String message) {
        String text = "<" + (DAEMON | severity) + ">" + tag + "[" + ProcessHandle.current().pid() + "]: "
                + HotplugLog.oneLine(message);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_DATAGRAM) {
            return bytes;
        }
        byte[] cut = new byte[MAX_DATAGRAM];
        System.arraycopy(bytes, 0, cut, 0, MAX_DATAGRAM);
        return cut;
    }

    private static boolean sendAs(int type, byte[] name, byte[] datagram) {
        int fd = Libc.socket(Libc.AF_UNIX, type | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        try (NativeMemory address = new NativeMemory(SOCKADDR_UN_SIZE);
                NativeMemory payload = new NativeMemory(datagram.length)) {
            address.buffer().putShort(0, (short) Libc.AF_UNIX).put(2, name);
            payload.buffer().put(0, datagram);
            return Libc.sendto(fd, payload.address(), datagram.length, Libc.MSG_DONTWAIT, address.address(),
                    SOCKADDR_UN_SIZE) == datagram.length;
        } finally {
            Libc.close(fd);
        }
    }
}
