package io.netbuf.cli;

import io.netbuf.NetworkBuffer;
import io.netbuf.Validate;
import io.netbuf.cli.log.HotplugLog;
import io.netbuf.spi.Host;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A drop-in replacement for Xen's {@code remus-netbuf-setup} hotplug script, as libxl runs it for
 * every vif of a Remus-protected domain ({@code remus.default.netbufscript} in xl.conf, {@code xl remus -N}).
 *
 * <p>Interface, as the script's: the first argument without {@code =} is {@code setup} or
 * {@code teardown}; {@code vifname}, {@code XENBUS_PATH} and (teardown) {@code REMUS_IFB} come from
 * the environment or from {@code NAME=value} arguments, which win. Setup attaches a buffer and
 * leaves it in place after this process exits: {@code XENBUS_PATH/ifb} names the IFB and
 * {@code hotplug-status} is {@code connected}; on failure nothing is left on the host,
 * {@code hotplug-error} says why, {@code hotplug-status} is {@code error}, and the exit status is 1.
 * Teardown removes the buffer described by those variables; it may run many times.
 *
 * <p>Bounded well inside libxl's 40 s: at most {@value #LOCK_TIMEOUT_SECONDS} s waiting for the host
 * lock and {@value #COMMAND_TIMEOUT_SECONDS} s for any one request.
 */
final class RemusNetbufSetupCommand implements Command {
    /** The script's name, under which the launcher may be installed. */
    static final String NAME = "remus-netbuf-setup";
    static final String VIFNAME = "vifname";
    static final String XENBUS_PATH = "XENBUS_PATH";
    static final String REMUS_IFB = "REMUS_IFB";
    /** Environment variable that, set to {@code 1}, accepts a XENBUS_PATH of any shape. */
    static final String ANY_XENBUS_PATH_ENV = "NETBUF_ANY_XENBUS_PATH";
    /**
     * Environment variable with the pid of the process that drives the buffer after setup (libxl's),
     * set by the launcher to its parent's pid; without it, this JVM's parent.
     */
    static final String OWNER_PID_ENV = "NETBUF_OWNER_PID";
    /** Option with the same effect as {@link #ANY_XENBUS_PATH_ENV}. */
    static final String ANY_XENBUS_PATH_OPTION = "--any-xenbus-path";
    static final long LOCK_TIMEOUT_SECONDS = 15;
    static final long COMMAND_TIMEOUT_SECONDS = 5;

    private static final Logger LOG = LoggerFactory.getLogger(RemusNetbufSetupCommand.class);
    private static final Set<String> VARIABLES = Set.of(VIFNAME, XENBUS_PATH, REMUS_IFB);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String summary() {
        return "setup|teardown: Xen's remus-netbuf-setup hotplug script, as libxl runs it";
    }

    @Override
    public String help() {
        return "Usage: " + NAME + " setup|teardown [vifname=VIF] [XENBUS_PATH=PATH] [REMUS_IFB=IFB] ["
                + ANY_XENBUS_PATH_OPTION + "]\n"
                + "   or: " + Cli.PROGRAM + " " + NAME + " setup|teardown ...\n\n"
                + "A drop-in replacement for Xen's remus-netbuf-setup: point xl.conf's remus.default.netbufscript\n"
                + "(xl remus -N) at a launcher named " + NAME + ". Variables come from the environment\n"
                + "or from NAME=value arguments (which win):\n"
                + "  vifname      the guest's vif, e.g. vif5.0 (required)\n"
                + "  XENBUS_PATH  where libxl reads the result, /libxl/<domid>/remus/netbuf/<devid> (required)\n"
                + "  REMUS_IFB    the IFB to free (teardown; optional)\n"
                + "Other NAME=value arguments are accepted and ignored, as Xen's scripts do.\n"
                + "XENBUS_PATH must have the shape libxl gives it, /libxl/<domid>/remus/netbuf/<devid>:\n"
                + "a path elsewhere (e.g. under /local/domain/<domid>, which the guest may write) is refused\n"
                + "with exit status 2 before anything changes, unless " + ANY_XENBUS_PATH_ENV + "=1 is set\n"
                + "or " + ANY_XENBUS_PATH_OPTION + " is given.\n\n"
                + "setup     buffers the vif's output (all protocols) through a free IFB with a plug qdisc;\n"
                + "          writes XENBUS_PATH/ifb, hotplug-status=connected and XENBUS_PATH/netbuf-owner: the\n"
                + "          process that drives the plug, libxl's (" + OWNER_PID_ENV + ", which the launcher sets to\n"
                + "          its parent's pid; else this JVM's parent), so that 'netbuf reap' finds the buffer\n"
                + "          once that process is gone without a teardown. On failure nothing is\n"
                + "          left behind, hotplug-error says why and hotplug-status=error.\n"
                + "teardown  removes the redirect, the plug, the claim and the hotplug status. Idempotent.\n\n"
                + "Exit status: 0 done, 1 failed, 2 wrong usage. Logs like Xen's hotplug scripts, whether\n"
                + "stdio is open or closed: every line to /var/log/xen/xen-hotplug.log (" + HotplugLog.FILE_ENV + "),\n"
                + "failures also to syslog (facility daemon, tag " + NAME + "; socket " + HotplugLog.SOCKET_ENV
                + "),\nand to standard error when it is open (NETBUF_LOG=error|warn|info|debug|off; default info).\n";
    }

    @Override
    public int run(List<String> args, Context context) {
        String operation = null;
        boolean anyXenbusPath = "1".equals(context.environment().get(ANY_XENBUS_PATH_ENV));
        Map<String, String> vars = new HashMap<>();
        for (String name : VARIABLES) {
            String value = context.environment().get(name);
            if (value != null) {
                vars.put(name, value);
            }
        }
        for (String arg : args) {
            if (arg.equals(ANY_XENBUS_PATH_OPTION)) {
                anyXenbusPath = true;
                continue;
            }
            int eq = arg.indexOf('=');
            if (eq > 0) {
                String name = arg.substring(0, eq);
                if (VARIABLES.contains(name)) {
                    vars.put(name, arg.substring(eq + 1));
                } else {
                    // Xen's scripts take any NAME=value argument (xen-hotplug-common.sh evaluates them all)
                    LOG.debug("ignoring the argument {}: not a variable of {}", name, NAME);
                }
            } else if (operation == null) {
                operation = arg;
            } else {
                throw new UsageException("unexpected argument '" + arg + "'");
            }
        }
        if (operation == null) {
            throw new UsageException("missing command: setup or teardown");
        }
        if (!operation.equals("setup") && !operation.equals("teardown")) {
            throw new UsageException("invalid command '" + operation + "': setup or teardown");
        }
        String vif = required(vars, VIFNAME);
        String xenbusPath = required(vars, XENBUS_PATH);
        String ifb = vars.get(REMUS_IFB);
        // Validates every input before the host is touched.
        NetworkBuffer.Builder builder = NetworkBuffer.forVif(vif).xenbusPath(xenbusPath)
                .lockTimeout(Duration.ofSeconds(LOCK_TIMEOUT_SECONDS));
        if (!anyXenbusPath) {
            Validate.libxlNetbufPath(XENBUS_PATH, xenbusPath, "; set " + ANY_XENBUS_PATH_ENV + "=1 or pass "
                    + ANY_XENBUS_PATH_OPTION + " to allow another path");
        }
        if (operation.equals("teardown") && ifb != null && !ifb.isEmpty()) {
            Validate.ifb(ifb);
        }
        long ownerPid = operation.equals("setup") ? ownerPid(context) : 0;
        Host host = context.hosts().open(Duration.ofSeconds(COMMAND_TIMEOUT_SECONDS));
        try {
            if (operation.equals("setup")) {
                // The buffer must outlive this process: it is not closed here; teardown removes it.
                // libxl, which forked this script, drives the plug from now on: it is the owner.
                NetworkBuffer buffer = builder.ownerPid(ownerPid).on(host).attach();
                LOG.info("Successful {} setup for {}, ifb {}.", NAME, vif, buffer.ifb());
            } else {
                builder.on(host).teardown(ifb == null || ifb.isEmpty() ? null : ifb);
                LOG.info("Successful {} teardown for {}, ifb {}.", NAME, vif, ifb);
            }
        } finally {
            Context.close(host);
        }
        return Cli.OK;
    }

    /** @return the pid of libxl's process: {@link #OWNER_PID_ENV}, else this JVM's parent, else 0 (this JVM) */
    private static long ownerPid(Context context) {
        String given = context.environment().get(OWNER_PID_ENV);
        if (given == null || given.isEmpty()) {
            return ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(0L);
        }
        try {
            return Validate.ownerPid(Long.parseLong(given.trim()));
        } catch (NumberFormatException e) {
            throw new UsageException(OWNER_PID_ENV + " must be a process id, not '" + given + "'");
        }
    }

    private static String required(Map<String, String> vars, String name) {
        String value = vars.get(name);
        if (value == null || value.isEmpty()) {
            throw new UsageException(name + " is not set (environment or " + name + "=... argument)");
        }
        return value;
    }
}
