package io.netbuf.impl.netlink;

import java.nio.ByteBuffer;

/**
 * A datagram channel to the kernel's rtnetlink, with a send and a receive buffer it owns. Calls
 * report failures as negative errno values rather than exceptions so the hot path allocates
 * nothing. Not thread-safe: {@link Rtnetlink} serialises access.
 */
interface NetlinkChannel extends AutoCloseable {
    /** @return the buffer requests are written into (native byte order) */
    ByteBuffer sendBuffer();

    /** @return the buffer replies are received into (native byte order) */
    ByteBuffer receiveBuffer();

    /**
     * Sends the first {@code length} bytes of the send buffer as one datagram.
     *
     * @param length bytes to send
     * @return 0, or a negative errno
     */
    int send(int length);

    /**
     * Receives one datagram into the receive buffer, waiting at most the channel's timeout.
     *
     * @return the datagram's full length (larger than the buffer when it was truncated), or a
     *     negative errno ({@code -EAGAIN} when the timeout passed)
     */
    int receive();

    /**
     * @return the netlink port id ({@code nl_pid}) of the sender of the datagram the last
     *     {@link #receive()} returned: 0 for the kernel; any other value (or -1 when the sender's
     *     address was not a netlink one) is another socket, whose datagram must not be taken for
     *     a reply
     */
    int senderPortId();

    /** Closes the socket; idempotent. */
    @Override
    void close();
}
