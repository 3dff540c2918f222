package io.netbuf.spi;

import io.netbuf.Protocols;
import java.util.List;
import java.util.Map;

/** Port: qdiscs, the redirect filter and the plug. */
public interface TrafficControl {
    /** Parent id of a root qdisc ({@code TC_H_ROOT}). */
    int ROOT = 0xFFFFFFFF;
    /** Parent id of the ingress qdisc ({@code TC_H_INGRESS}). */
    int INGRESS = 0xFFFFFFF1;

    /**
     * @param dev the interface
     * @return its qdiscs as the kernel lists them (defaults included, handle 0)
     */
    List<Qdisc> qdiscs(String dev);

    /**
     * Lists the qdiscs of every interface in one listing, so a host-wide question (which IFBs carry
     * a qdisc, which interfaces have an ingress qdisc) costs one call, not one per interface.
     *
     * @return interface name → its qdiscs as {@link #qdiscs(String)} lists them; an interface
     *     with no qdisc listed may be absent
     */
    Map<String, List<Qdisc>> allQdiscs();

    /**
     * Adds the ingress qdisc ({@code ffff:}) to an interface.
     *
     * @param dev the interface
     * @throws io.netbuf.OperationFailedException if it exists already or the device is missing
     */
    void addIngress(String dev);

    /**
     * Deletes the ingress qdisc and with it every ingress filter.
     *
     * @param dev the interface
     * @throws io.netbuf.OperationFailedException if there is none
     */
    void deleteIngress(String dev);

    /**
     * Adds, under the ingress qdisc of {@code vif}, a u32 match-all filter whose action is a
     * mirred egress redirect to {@code ifb}.
     *
     * @param vif the interface whose ingress is redirected
     * @param ifb the target
     * @param protocols which ethertypes the filter matches
     */
    void addRedirect(String vif, String ifb, Protocols protocols);

    /**
     * @param vif the interface
     * @return the IFBs its ingress filters redirect to (empty when none)
     */
    List<String> redirectTargets(String vif);

    /**
     * Lists the filters under the ingress qdisc of {@code dev}, in the kernel's order (priority,
     * then handle).
     *
     * @param dev the interface
     * @return its ingress filters (empty when it has no ingress qdisc or no filter)
     * @throws io.netbuf.OperationFailedException if the device is missing
     */
    List<IngressFilter> ingressFilters(String dev);

    /**
     * Deletes exactly one ingress filter (by priority, protocol, kind and handle), leaving every
     * other filter and the ingress qdisc in place.
     *
     * @param dev the interface
     * @param filter a filter {@link #ingressFilters} listed
     * @throws io.netbuf.OperationFailedException if the kernel refuses (e.g. the filter is gone)
     */
    void deleteIngressFilter(String dev, IngressFilter filter);

    /**
     * Adds a plug qdisc as the root of {@code ifb} with its limit set in the same request (so
     * there is never a moment with limit 0).
     *
     * @param ifb the device
     * @param limitBytes the byte limit
     */
    void addPlug(String ifb, long limitBytes);

    /**
     * Deletes the root qdisc of {@code ifb} (dropping what it holds).
     *
     * @param ifb the device
     * @throws io.netbuf.OperationFailedException if it has no explicit root qdisc
     */
    void deleteRoot(String ifb);

    /**
     * Applies one action to the plug of every IFB given, in order. Backends that can batch do
     * so (one send, one ack per message); all are attempted, and the first failure is thrown
     * after the rest were applied.
     *
     * @param ifbs the devices
     * @param action the action
     */
    void plug(List<String> ifbs, PlugAction action);
}
