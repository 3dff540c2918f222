package io.netbuf.reliability;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** What long-run tests watch for leaks: the heap after GC and the open file descriptors. */
public final class Resources {
    private Resources() {
    }

    /**
     * @return the smallest heap use seen over three collections, in bytes
     * @throws InterruptedException if interrupted between collections
     */
    public static long heapAfterGc() throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    /**
     * @return how many file descriptors this process has open ({@code /proc/self/fd})
     * @throws IOException if the directory cannot be read
     */
    public static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
