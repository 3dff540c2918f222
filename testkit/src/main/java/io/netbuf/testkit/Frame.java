package io.netbuf.testkit;

/**
 * An Ethernet frame a fake guest sends into its vif.
 *
 * @param id an identifier the test chooses (or {@link FakeHost.Guest} assigns), to tell frames apart
 * @param ethertype the frame's ethertype, e.g. {@link #IPV4}
 * @param length the full frame length in bytes including the 14-byte Ethernet header: what the
 *     plug qdisc on the IFB counts ({@code skb->len} after the redirect)
 */
public record Frame(long id, int ethertype, int length) {
    /** Ethertype of IPv4. */
    public static final int IPV4 = 0x0800;
    /** Ethertype of IPv6. */
    public static final int IPV6 = 0x86DD;
    /** Ethertype of ARP. */
    public static final int ARP = 0x0806;
    /** Length of the Ethernet header. */
    public static final int ETH_HLEN = 14;
    /** Largest frame the model accepts (a 64 KiB GSO packet plus its header). */
    public static final int MAX_LENGTH = 65_536 + ETH_HLEN;

    /**
     * Checks the ethertype (16 bits) and the length ({@link #ETH_HLEN}..{@link #MAX_LENGTH}).
     *
     * @param id an identifier the test chooses (or {@link FakeHost.Guest} assigns), to tell frames apart
     * @param ethertype the frame's ethertype, e.g. {@link #IPV4}
     * @param length the full frame length in bytes including the 14-byte Ethernet header: what the plug qdisc on the IFB counts ({@code skb->len} after the redirect)
     */
    public Frame {
        if (ethertype < 0 || ethertype > 0xFFFF) {
            throw new IllegalArgumentException("ethertype must be 16 bits: " + ethertype);
        }
        if (length < ETH_HLEN || length > MAX_LENGTH) {
            throw new IllegalArgumentException(
                    "frame length must be " + ETH_HLEN + ".." + MAX_LENGTH + " bytes: " + length);
        }
    }

    /**
     * @param id the frame's identifier
     * @param length the full frame length in bytes
     * @return an IPv4 frame
     */
    public static Frame ipv4(long id, int length) {
        return new Frame(id, IPV4, length);
    }

    /**
     * @param id the frame's identifier
     * @param length the full frame length in bytes
     * @return an IPv6 frame
     */
    public static Frame ipv6(long id, int length) {
        return new Frame(id, IPV6, length);
    }

    /**
     * @param id the frame's identifier
     * @return an ARP request (42 bytes, the size of an untagged ARP frame without padding)
     */
    public static Frame arp(long id) {
        return new Frame(id, ARP, 42);
    }
}
