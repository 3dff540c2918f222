package io.netbuf.impl.engine;

import io.netbuf.BufferGroup;
import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBuffer;
import io.netbuf.NetworkBufferException;
import io.netbuf.PlugFailedException;
import io.netbuf.spi.PlugAction;
import java.util.ArrayList;
import java.util.List;

/**
 * Buffers of one host driven together: each action is checked on every member first, then sent
 * for all members in one {@code plug} call (one batched request on the native backend).
 */
final class DefaultBufferGroup implements BufferGroup {
    private final List<NetworkBuffer> members;
    private final AttachedBuffer[] buffers;
    private final List<String> ifbs;

    DefaultBufferGroup(List<NetworkBuffer> members) {
        this.members = List.copyOf(members);
        this.buffers = new AttachedBuffer[members.size()];
        List<String> names = new ArrayList<>(members.size());
        for (int i = 0; i < buffers.length; i++) {
            NetworkBuffer member = members.get(i);
            if (!(member instanceof AttachedBuffer)) {
                throw InvalidConfigurationException.of("group member", member,
                        "must be a buffer returned by attach()");
            }
            buffers[i] = (AttachedBuffer) member;
            if (buffers[i].host() != buffers[0].host()) {
                throw InvalidConfigurationException.of("group member", member, "all members must be on one host");
            }
            if (names.contains(buffers[i].ifb())) {
                throw InvalidConfigurationException.of("group member", member, "appears twice");
            }
            names.add(buffers[i].ifb());
        }
        // A global lock order, so that groups sharing members cannot deadlock.
        java.util.Arrays.sort(buffers, java.util.Comparator.comparingLong(AttachedBuffer::serial));
        names.clear();
        for (AttachedBuffer buffer : buffers) {
            names.add(buffer.ifb());
        }
        this.ifbs = List.copyOf(names);
    }

    @Override
    public List<NetworkBuffer> members() {
        return members;
    }

    @Override
    public void checkpoint() {
        act(PlugAction.BUFFER);
    }

    @Override
    public void commit() {
        act(PlugAction.RELEASE_ONE);
    }

    @Override
    public void releaseIndefinitely() {
        act(PlugAction.RELEASE_INDEFINITE);
    }

    @Override
    public void close() {
        Failures failures = new Failures();
        for (AttachedBuffer buffer : buffers) {
            try {
                buffer.close();
            } catch (NetworkBufferException e) {
                failures.add(e);
            }
        }
        failures.throwIfAny();
    }

    private void act(PlugAction action) {
        int locked = 0;
        try {
            for (; locked < buffers.length; locked++) {
                buffers[locked].lock().lock();
            }
            for (AttachedBuffer buffer : buffers) {
                check(buffer, action);
            }
            try {
                buffers[0].host().trafficControl().plug(ifbs, action);
            } catch (NetworkBufferException e) {
                // Every member but the one that failed was applied (the port tries them all).
                String failed = e.ifb().orElse(null);
                for (AttachedBuffer buffer : buffers) {
                    if (!buffer.ifb().equals(failed)) {
                        buffer.applied(action);
                    }
                }
                throw new PlugFailedException(action.label() + " (group of " + buffers.length + ")",
                        e.vif().orElse(null), failed, e);
            }
            for (AttachedBuffer buffer : buffers) {
                buffer.applied(action);
            }
        } finally {
            for (int i = locked - 1; i >= 0; i--) {
                buffers[i].lock().unlock();
            }
        }
    }

    private static void check(AttachedBuffer buffer, PlugAction action) {
        switch (action.code()) {
            case PlugAction.BUFFER_CODE:
                buffer.requireCheckpointAllowed();
                break;
            case PlugAction.RELEASE_ONE_CODE:
                buffer.requireCommitAllowed();
                break;
            default:
                buffer.requireOpen();
        }
    }
}
