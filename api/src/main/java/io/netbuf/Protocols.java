package io.netbuf;

/** Which of the guest's egress traffic the redirect filter sends into the buffer. */
public enum Protocols {
    /** Every protocol: IPv4, IPv6, ARP and the rest. The only mode that gives true output commit. */
    ALL,
    /**
     * IPv4 only, as Xen's reference script does ({@code proto ip}). IPv6 and ARP bypass the
     * buffer; exists only for compatibility.
     */
    IPV4_ONLY
}
