package io.netbuf.spi;

/**
 * How the kernel forms an interface's IPv6 link-local address when the interface comes up
 * ({@code IFLA_INET6_ADDR_GEN_MODE}; {@code ip link set dev X addrgenmode MODE}). With
 * {@link #NONE} the interface gets no address and so sends no IPv6 packets of its own (duplicate
 * address detection, router solicitations, MLD reports).
 */
public enum Ipv6AddrGenMode {
    /** An EUI-64 address from the MAC address (the kernel's default). */
    EUI64(0, "eui64"),
    /** No address at all. */
    NONE(1, "none"),
    /** A stable-privacy address (RFC 7217). */
    STABLE_PRIVACY(2, "stable_secret"),
    /** A random address. */
    RANDOM(3, "random");

    private final int code;
    private final String iproute2Name;

    Ipv6AddrGenMode(int code, String iproute2Name) {
        this.code = code;
        this.iproute2Name = iproute2Name;
    }

    /** @return the kernel's value ({@code IN6_ADDR_GEN_MODE_*}) */
    public int code() {
        return code;
    }

    /** @return the name {@code ip link} prints and accepts */
    public String iproute2Name() {
        return iproute2Name;
    }

    /**
     * @param code a kernel value
     * @return its mode
     * @throws IllegalArgumentException for a value this enum does not know
     */
    public static Ipv6AddrGenMode ofCode(int code) {
        for (Ipv6AddrGenMode mode : values()) {
            if (mode.code == code) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown IPv6 address generation mode " + code);
    }

    /**
     * @param name a name as {@code ip link} prints it
     * @return its mode
     * @throws IllegalArgumentException for a name this enum does not know
     */
    public static Ipv6AddrGenMode ofIproute2Name(String name) {
        for (Ipv6AddrGenMode mode : values()) {
            if (mode.iproute2Name.equals(name)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown IPv6 address generation mode '" + name + "'");
    }
}
