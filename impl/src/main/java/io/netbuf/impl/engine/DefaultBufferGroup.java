package io.netbuf.impl.engine;

import io.netbuf.BufferGroup;
import io.netbuf.BufferStats;
import io.netbuf.EpochState;
import io.netbuf.GroupStats;
import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBuffer;
import io.netbuf.NetworkBufferException;
import io.netbuf.PlugFailedException;
import io.netbuf.event.BufferListener;
import io.netbuf.spi.PlugAction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Buffers of one host driven together: each action is checked on every member first, then sent
 * for all members in one {@code plug} call (one batched request on the native backend). A
 * failure names the members it concerns and the epoch state each member is left in.
 */
final class DefaultBufferGroup implements BufferGroup {
    private final List<NetworkBuffer> members;
    /** The members in a global lock order (by serial), so that groups sharing members cannot deadlock. */
    private final AttachedBuffer[] buffers;
    private final List<AttachedBuffer> all;
    private final List<String> ifbs;

    DefaultBufferGroup(List<NetworkBuffer> members) {
        if (members == null || members.isEmpty()) {
            throw InvalidConfigurationException.of("group", members, "needs at least one buffer");
        }
        this.buffers = new AttachedBuffer[members.size()];
        Set<String> ifbNames = new HashSet<>();
        Set<String> vifNames = new HashSet<>();
        for (int i = 0; i < buffers.length; i++) {
            NetworkBuffer member = members.get(i);
            String setting = "group member " + i;
            if (member == null) {
                throw InvalidConfigurationException.of(setting, null, "must not be null");
            }
            if (!(member instanceof AttachedBuffer)) {
                throw InvalidConfigurationException.of(setting, member, "must be a buffer returned by attach() or adopt()");
            }
            AttachedBuffer buffer = (AttachedBuffer) member;
            if (buffer.isClosed()) {
                throw InvalidConfigurationException.of(setting, member, "is closed");
            }
            if (buffer.host() != ((AttachedBuffer) members.get(0)).host()) {
                throw InvalidConfigurationException.of(setting, member, "all members must be on one host (the first "
                        + "is " + members.get(0) + ")");
            }
            if (!ifbNames.add(buffer.ifb()) || !vifNames.add(buffer.vif())) {
                throw InvalidConfigurationException.of(setting, member, "appears twice (vif " + buffer.vif()
                        + ", IFB " + buffer.ifb() + ")");
            }
            buffers[i] = buffer;
        }
        this.members = List.copyOf(members);
        Arrays.sort(buffers, Comparator.comparingLong(AttachedBuffer::serial));
        this.all = List.of(buffers);
        this.ifbs = ifbsOf(all);
    }

    @Override
    public List<NetworkBuffer> members() {
        return members;
    }

    @Override
    public Map<NetworkBuffer, EpochState> epochStates() {
        Map<NetworkBuffer, EpochState> states = new LinkedHashMap<>();
        for (NetworkBuffer member : members) {
            states.put(member, member.epochState());
        }
        return states;
    }

    @Override
    public Optional<EpochState> epochState() {
        EpochState first = members.get(0).epochState();
        for (NetworkBuffer member : members) {
            if (member.epochState() != first) {
                return Optional.empty();
            }
        }
        return Optional.of(first);
    }

    @Override
    public GroupStats stats() {
        Map<NetworkBuffer, BufferStats> stats = new LinkedHashMap<>();
        for (NetworkBuffer member : members) {
            stats.put(member, member.stats());
        }
        return GroupStats.of(stats);
    }

    @Override
    public BufferGroup addListener(BufferListener listener) {
        for (AttachedBuffer buffer : buffers) {
            buffer.addListener(listener);
        }
        return this;
    }

    @Override
    public void checkpoint() {
        act(PlugAction.BUFFER, null);
    }

    @Override
    public void commit() {
        act(PlugAction.RELEASE_ONE, null);
    }

    @Override
    public void releaseIndefinitely() {
        act(PlugAction.RELEASE_INDEFINITE, null);
    }

    @Override
    public void resync(EpochState target) {
        if (target == null || target == EpochState.CLOSED) {
            throw InvalidConfigurationException.of("resync target", target,
                    "must be OPEN, CLOSED_EPOCH or RELEASED_INDEFINITELY (close() closes the group)");
        }
        switch (target) {
            case CLOSED_EPOCH:
                act(PlugAction.BUFFER, target);
                break;
            case OPEN:
                act(PlugAction.RELEASE_ONE, target);
                break;
            default:
                act(PlugAction.RELEASE_INDEFINITE, target);
        }
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

    @Override
    public String toString() {
        return "BufferGroup" + epochStates().values() + members;
    }

    /**
     * Sends {@code action} to every member (a plain group call, {@code target} null: every member
     * must allow it) or, for a resync to {@code target}, to the members not yet there.
     */
    private void act(PlugAction action, EpochState target) {
        int locked = 0;
        try {
            for (; locked < buffers.length; locked++) {
                buffers[locked].lock().lock();
            }
            if (target == null) {
                for (AttachedBuffer buffer : buffers) {
                    check(buffer, action);
                }
                send(action, all, ifbs);
                return;
            }
            List<AttachedBuffer> behind = new ArrayList<>(buffers.length);
            for (AttachedBuffer buffer : buffers) {
                buffer.requireOpen();
                EpochState state = buffer.epochState();
                if (target == EpochState.OPEN && state == EpochState.RELEASED_INDEFINITELY) {
                    throw new IllegalStateException(buffer.vif() + " (" + buffer.ifb() + ") is released "
                            + "indefinitely; only a checkpoint and a commit bring it back to OPEN");
                }
                if (state != target) {
                    behind.add(buffer);
                }
            }
            if (!behind.isEmpty()) {
                send(action, behind, ifbsOf(behind));
            }
        } finally {
            for (int i = locked - 1; i >= 0; i--) {
                buffers[i].lock().unlock();
            }
        }
    }

    private void send(PlugAction action, List<AttachedBuffer> targets, List<String> targetIfbs) {
        long start = System.nanoTime(); // one reading for all: the members share the call
        for (int i = 0; i < targets.size(); i++) {
            targets.get(i).begin(action, start);
        }
        try {
            targets.get(0).host().trafficControl().plug(targetIfbs, action);
        } catch (NetworkBufferException e) {
            throw partlyApplied(action, targets, e);
        }
        long end = System.nanoTime();
        for (int i = 0; i < targets.size(); i++) {
            targets.get(i).applied(action, end);
        }
    }

    /**
     * Records which targets took the action and builds the failure that names the others. The
     * port tries every device and names each refused one (in the failure or its suppressed ones);
     * a failure naming none (a transport failure, or a backend that cannot tell) leaves the
     * outcome unknown, and each target is then taken to be in the state from which the next call
     * cannot strand an epoch: a checkpoint or release-indefinitely as applied, a commit as not.
     */
    private PlugFailedException partlyApplied(PlugAction action, List<AttachedBuffer> targets,
            NetworkBufferException failure) {
        long end = System.nanoTime();
        Set<String> refused = refusedIfbs(failure, targets);
        boolean unknown = refused.isEmpty();
        StringJoiner failed = new StringJoiner(", ");
        AttachedBuffer first = null;
        for (AttachedBuffer buffer : targets) {
            boolean applied = unknown ? action.code() != PlugAction.RELEASE_ONE_CODE : !refused.contains(buffer.ifb());
            if (applied) {
                buffer.applied(action, end);
            }
            if (unknown || !applied) {
                failed.add(buffer.vif() + " (" + buffer.ifb() + ")");
                first = first == null ? buffer : first;
            }
        }
        StringJoiner now = new StringJoiner(", ");
        for (NetworkBuffer member : members) {
            now.add(member.vif() + " " + member.epochState());
        }
        String what = action.label() + " for a group of " + buffers.length + (unknown
                ? "; outcome unknown for " + failed + " (taken as " + (action.code() == PlugAction.RELEASE_ONE_CODE
                        ? "not applied" : "applied") + ")"
                : "; refused for " + failed) + "; members now: " + now
                + "; see BufferGroup.epochStates(), resync(...) or releaseIndefinitely()";
        PlugFailedException thrown = new PlugFailedException(what, first.vif(), first.ifb(), failure);
        for (AttachedBuffer buffer : targets) {
            if (unknown || refused.contains(buffer.ifb())) {
                buffer.refused(action, thrown);
            }
        }
        return thrown;
    }

    /** @return the IFBs among {@code targets} that the failure (or one suppressed in it) names */
    private static Set<String> refusedIfbs(NetworkBufferException failure, List<AttachedBuffer> targets) {
        Set<String> named = new HashSet<>();
        failure.ifb().ifPresent(named::add);
        for (Throwable suppressed : failure.getSuppressed()) {
            if (suppressed instanceof NetworkBufferException) {
                ((NetworkBufferException) suppressed).ifb().ifPresent(named::add);
            }
        }
        Set<String> refused = new HashSet<>();
        for (AttachedBuffer buffer : targets) {
            if (named.contains(buffer.ifb())) {
                refused.add(buffer.ifb());
            }
        }
        return refused;
    }

    private static List<String> ifbsOf(List<AttachedBuffer> buffers) {
        List<String> names = new ArrayList<>(buffers.size());
        for (AttachedBuffer buffer : buffers) {
            names.add(buffer.ifb());
        }
        return List.copyOf(names);
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
