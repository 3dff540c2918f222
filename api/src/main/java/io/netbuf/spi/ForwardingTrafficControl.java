package io.netbuf.spi;

import io.netbuf.Protocols;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link TrafficControl} that passes every operation to another one; subclasses override the
 * operations they change (a stand-in plug, a refusal injected by a test).
 */
public abstract class ForwardingTrafficControl implements TrafficControl {
    private final TrafficControl delegate;

    /** @param delegate where every operation goes unless overridden */
    protected ForwardingTrafficControl(TrafficControl delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** @return where every operation goes unless overridden */
    protected final TrafficControl delegate() {
        return delegate;
    }

    @Override
    public List<Qdisc> qdiscs(String dev) {
        return delegate.qdiscs(dev);
    }

    @Override
    public Map<String, List<Qdisc>> allQdiscs() {
        return delegate.allQdiscs();
    }

    @Override
    public void addIngress(String dev) {
        delegate.addIngress(dev);
    }

    @Override
    public void deleteIngress(String dev) {
        delegate.deleteIngress(dev);
    }

    @Override
    public void addRedirect(String vif, String ifb, Protocols protocols) {
        delegate.addRedirect(vif, ifb, protocols);
    }

    @Override
    public List<String> redirectTargets(String vif) {
        return delegate.redirectTargets(vif);
    }

    @Override
    public List<IngressFilter> ingressFilters(String dev) {
        return delegate.ingressFilters(dev);
    }

    @Override
    public void deleteIngressFilter(String dev, IngressFilter filter) {
        delegate.deleteIngressFilter(dev, filter);
    }

    @Override
    public void addPlug(String ifb, long limitBytes) {
        delegate.addPlug(ifb, limitBytes);
    }

    @Override
    public void deleteRoot(String ifb) {
        delegate.deleteRoot(ifb);
    }

    @Override
    public void plug(List<String> ifbs, PlugAction action) {
        delegate.plug(ifbs, action);
    }
}
