import io.netbuf.NetworkBuffer;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.host.SystemHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The library as a Remus controller against the Xen lab's real dom0 (run by remus-check.sh with
 * {@code java -cp cli/target/netbuf.jar it/xen-lab/XenController.java}, never on the host): attaches a
 * {@link NetworkBuffer} to a real guest's vif through the native XenStore client at the endpoint given
 * (xenstored's socket or {@code /dev/xen/xenbus}), then runs the controller loop of the testkit's example
 * for a number of epochs: {@code xl pause}, {@code checkpoint()}, {@code xl unpause}, the simulated
 * transfer to the backup, {@code commit()}; and closes. Prints one line per epoch with its times
 * (epoch-millis, so remus-check.sh can compare them with the captures). Exit 0 when the loop and the
 * teardown succeeded, 1 otherwise (the exception on standard error).
 *
 * <p>usage: {@code XenController DOMAIN VIF DOMID XENSTORE_ENDPOINT MAX_EPOCHS INTERVAL_MS STOP_FILE}: the
 * loop ends after MAX_EPOCHS or at the first epoch that finds STOP_FILE.
 */
public final class XenController {
    private XenController() {
    }

    /**
     * @param args domain name, vif, domain id, XenStore endpoint, most epochs, interval in milliseconds, stop file
     */
    public static void main(String[] args) {
        if (args.length != 7) {
            System.err.println("usage: XenController DOMAIN VIF DOMID XENSTORE_ENDPOINT MAX_EPOCHS INTERVAL_MS STOP_FILE");
            System.exit(2);
        }
        String domain = args[0];
        String vif = args[1];
        String claim = "/libxl/" + Integer.parseInt(args[2]) + "/remus/netbuf/0";
        Path endpoint = Path.of(args[3]);
        int epochs = Integer.parseInt(args[4]);
        long intervalMs = Long.parseLong(args[5]);
        Path stop = Path.of(args[6]);
        CommandRunner xl = new CommandRunner(Duration.ofSeconds(60), System.getenv());
        try (SystemHost host = SystemHost.builder().backend(SystemHost.Backend.NATIVE).xenstoredPath(endpoint).build();
                NetworkBuffer buffer = NetworkBuffer.forVif(vif).xenbusPath(claim).on(host).attach()) {
            System.out.printf("attached %s -> %s through %s (%s)%n", vif, buffer.ifb(), endpoint, host.description());
            for (int epoch = 1; epoch <= epochs && !java.nio.file.Files.exists(stop); epoch++) {
                Thread.sleep(intervalMs);
                xl.check("xl", "pause", List.of("xl", "pause", domain));
                long checkpoint = System.currentTimeMillis();
                buffer.checkpoint();
                xl.check("xl", "unpause", List.of("xl", "unpause", domain));
                Thread.sleep(50); // the checkpoint's transfer to the backup and its acknowledgement
                long commit = System.currentTimeMillis();
                buffer.commit();
                System.out.printf("epoch %d checkpoint %d commit %d%n", epoch, checkpoint, commit);
            }
            buffer.releaseIndefinitely();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.err.println("interrupted");
            System.exit(1);
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.out.println("closed");
    }
}
