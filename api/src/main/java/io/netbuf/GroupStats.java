package io.netbuf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the kernel reports for the plugs of a {@link BufferGroup}'s members.
 *
 * @param members each member's counters, in the order of {@link BufferGroup#members()}
 * @param total their sum
 */
public record GroupStats(Map<NetworkBuffer, BufferStats> members, BufferStats total) {
    /**
     * Copies the map, keeping its order.
     *
     * @param members each member's counters, in the order of {@link BufferGroup#members()}
     * @param total their sum
     */
    public GroupStats {
        members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
    }

    /**
     * @param members each member's counters, in order
     * @return the members' counters with their sum
     */
    public static GroupStats of(Map<NetworkBuffer, BufferStats> members) {
        long backlogBytes = 0;
        long backlogPackets = 0;
        long drops = 0;
        long sentBytes = 0;
        long sentPackets = 0;
        for (BufferStats s : members.values()) {
            backlogBytes += s.backlogBytes();
            backlogPackets += s.backlogPackets();
            drops += s.drops();
            sentBytes += s.sentBytes();
            sentPackets += s.sentPackets();
        }
        return new GroupStats(members, new BufferStats(backlogBytes, backlogPackets, drops, sentBytes, sentPackets));
    }
}
