package io.netbuf.spi;

/**
 * A network interface as the kernel reports it.
 *
 * @param name the interface name, e.g. {@code vif5.0} or {@code ifb0}
 * @param index the kernel's ifindex
 * @param kind the link kind ({@code "ifb"}, {@code "veth"}, ...; empty for devices without one)
 * @param up whether the administrative UP flag is set
 */
public record Link(String name, int index, String kind, boolean up) {
    /** @return true when this is an IFB device */
    public boolean isIfb() {
        return "ifb".equals(kind);
    }
}
