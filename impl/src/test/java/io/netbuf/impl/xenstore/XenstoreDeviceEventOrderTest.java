package io.netbuf.impl.xenstore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netbuf.spi.ChangeFeed;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The change feed's ordering over the xenbus device: the kernel passes replies to the open file at once
 * and watch events later, through its xenwatch thread, so a write's event can come after the write's
 * reply (seen in the Xen lab: the change feed kit over {@code /dev/xen/xenbus} missed events that were
 * still on their way). The peer here behaves so: it answers at once and sends each event 50 ms later,
 * events in order. The feed must still hold its contract: by the time a reply is returned, the events
 * before it have reached the listener.
 */
class XenstoreDeviceEventOrderTest {

    @Test
    void eventsBeforeAReplyReachTheListenerBeforeTheReplyIsReturned() throws Exception {
        ScheduledExecutorService xenwatch = Executors.newSingleThreadScheduledExecutor();
        Map<String, String> watches = new ConcurrentHashMap<>();
        try (RawServer server = new RawServer((request, channel) -> {
            List<String> args = request.strings();
            switch (request.type()) {
                case XenstoreWire.WATCH -> {
                    watches.put(args.get(1), args.get(0));
                    RawServer.reply(channel, XenstoreWire.WATCH, request.reqId(), 0, XenstoreWire.payload("OK"));
                    event(xenwatch, channel, args.get(0), args.get(1));
                }
                case XenstoreWire.UNWATCH -> {
                    watches.remove(args.get(1));
                    RawServer.reply(channel, XenstoreWire.UNWATCH, request.reqId(), 0, XenstoreWire.payload("OK"));
                }
                case XenstoreWire.WRITE -> {
                    RawServer.reply(channel, XenstoreWire.WRITE, request.reqId(), request.txId(),
                            XenstoreWire.payload("OK"));
                    String path = args.get(0);
                    watches.forEach((token, watched) -> {
                        if (path.equals(watched) || path.startsWith(watched + "/")) {
                            event(xenwatch, channel, path, token);
                        }
                    });
                }
                default -> RawServer.reply(channel, XenstoreWire.ERROR, request.reqId(), request.txId(),
                        "ENOSYS\0".getBytes(StandardCharsets.US_ASCII));
            }
        }); XenstoreClient client = XenstoreClient.connectAsDevice(server.socket(), Duration.ofSeconds(10))) {
            List<String> changes = new CopyOnWriteArrayList<>();
            ChangeFeed.ChangeListener listener = new ChangeFeed.ChangeListener() {
                @Override
                public void changed(String path) {
                    changes.add(path);
                }

                @Override
                public void missed() {
                    changes.add("missed");
                }
            };
            try (ChangeFeed.Subscription subscription = client.track("/libxl", listener)) {
                assertEquals(List.of("/libxl"), changes, "the initial event, before track returned");
                client.write("/libxl/1/remus/netbuf/0/ifb", "ifb0");
                assertEquals(List.of("/libxl", "/libxl/1/remus/netbuf/0/ifb"), changes, "the write's event");
                client.write("/libxl/2/name", "b");
                client.write("/other", "not tracked");
                assertEquals(List.of("/libxl", "/libxl/1/remus/netbuf/0/ifb", "/libxl/2/name"), changes);
            }
        } finally {
            xenwatch.shutdownNow();
        }
    }

    /** Sends a watch event 50 ms from now, after the events already on their way. */
    private static void event(ScheduledExecutorService xenwatch, java.nio.channels.SocketChannel channel,
            String path, String token) {
        xenwatch.schedule(() -> {
            RawServer.reply(channel, XenstoreWire.WATCH_EVENT, 0, 0, XenstoreWire.payload(path, token));
            return null;
        }, 50, TimeUnit.MILLISECONDS);
    }
}
