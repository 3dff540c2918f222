#!/bin/bash
# Wall time of one vif's hotplug cycle (setup, then teardown) as libxl runs it, side by side:
# netbuf's remus-netbuf-setup launcher on the JVM it picks (JDK 25+ with its AOT cache when one is
# installed) and forced onto JDK 17 (AppCDS archive), plain java -jar, and Xen's reference script,
# against the testkit xenstored holding N other Remus domains.
#
#   benchmarks/scripts/hotplug-walltime.sh [N...]        (default: 1 10 100; needs root, hyperfine)
#
# Build first: mvn -DskipTests package (cli/target/netbuf.jar and its class archive,
# benchmarks/target/benchmarks.jar). RUNS: runs per command (default 20); WARMUP: runs before them
# (default 3). NETBUF_JAVA17: the JDK 17 java (default: the first /usr/lib/jvm/*17*/bin/java; none:
# those rows are left out).
# The "host" is a throwaway network namespace with a veth named vif1.0. The reference script runs from
# ../shared/reference (NETBUF_REFERENCE_SCRIPT overrides) with Debian's hotplug helpers
# (xen-utils-common), xenstore-utils and libnl-utils; it is linked, never copied. On a kernel without
# sch_plug both setups fail at the kernel check (the reference script earlier: modinfo), so there
# the setup+teardown figures compare failure paths and only the teardown figures compare like with
# like. For whole setups side by side on such a kernel, both given the same pfifo stand-in for the
# plug, use benchmarks/compare-reference.sh -s; in the kernel lab (it/kernel-lab/lab.sh run --rw
# "$PWD/benchmarks/target" -- benchmarks/scripts/hotplug-walltime.sh) both complete. Results:
# markdown tables (wall time, then user+system CPU time, steadier on a busy machine) in
# benchmarks/target/hotplug-walltime-N.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
jar=$root/cli/target/netbuf.jar
launcher=$root/cli/bin/remus-netbuf-setup
bench_jar=$root/benchmarks/target/benchmarks.jar
reference=${NETBUF_REFERENCE_SCRIPT:-$root/../shared/reference/remus-netbuf-setup.sh}
[ -f "$reference" ] || reference=/work/shared/reference/remus-netbuf-setup.sh
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
java17=${NETBUF_JAVA17:-$(ls -d /usr/lib/jvm/*17*/bin/java 2>/dev/null | head -1 || true)}
out_dir=$root/benchmarks/target
runs=${RUNS:-20}
warmup=${WARMUP:-3}

die() { echo "hotplug-walltime: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v hyperfine >/dev/null || die "needs hyperfine (apt-get install hyperfine)"
[ -f "$jar" ] && [ -f "$bench_jar" ] || die "build first: mvn -DskipTests package"

ns=nbwall-$$
scripts=$(mktemp -d)
xs_pid=
cleanup() {
    [ -n "$xs_pid" ] && kill "$xs_pid" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$scripts"
}
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add vif1.0 type veth peer name guest0
ip -n "$ns" link set vif1.0 up
ip -n "$ns" link set guest0 up

have_reference=false
if [ -f "$reference" ] && [ -f /etc/xen/scripts/xen-hotplug-common.sh ] && command -v xenstore-read >/dev/null; then
    # The script sources its helpers from its own directory: link them and it side by side.
    for f in /etc/xen/scripts/*; do ln -s "$f" "$scripts/"; done
    ln -sf "$(readlink -f "$reference")" "$scripts/remus-netbuf-setup"
    have_reference=true
else
    echo "hotplug-walltime: reference script or Xen's hotplug helpers missing: netbuf only" >&2
fi

# The class archives, made now rather than in a measured run; and the JVM the launcher picks.
NETBUF_PREPARE=1 "$launcher" || die "cannot prepare the launcher's class archive"
[ -z "$java17" ] || NETBUF_PREPARE=1 NETBUF_JAVA=$java17 "$launcher" || die "cannot prepare the JDK 17 archive"
picked=$(sh -x "$launcher" --help 2>&1 >/dev/null | sed -n 's/^+ exec \([^ ]*\) .*/\1/p')
picked=${picked%/bin/java}
picked=${picked##*/}

env_common="vifname=vif1.0 XENBUS_PATH=/libxl/1/remus/netbuf/0"
in_ns="ip netns exec $ns"
for n in "${@:-1 10 100}"; do
  for domains in $n; do
    fifo=$(mktemp -u); mkfifo "$fifo"
    "$java" -cp "$bench_jar" io.netbuf.benchmarks.TestkitXenstored "$domains" <"$fifo" >"$scripts/socket" &
    xs_pid=$!
    exec 9>"$fifo"; rm -f "$fifo"
    for _ in $(seq 100); do grep -q '^XENSTORED_PATH=' "$scripts/socket" 2>/dev/null && break; sleep 0.05; done
    export XENSTORED_PATH=$(sed -n 's/^XENSTORED_PATH=//p' "$scripts/socket")
    cycle() { echo "$in_ns sh -c 'env $env_common $1 setup >/dev/null 2>&1; env $env_common REMUS_IFB=\$(xenstore-read /libxl/1/remus/netbuf/0/ifb 2>/dev/null || true) $1 teardown >/dev/null 2>&1; true'"; }
    teardown() { echo "$in_ns env $env_common REMUS_IFB=ifb0 $1 teardown"; }
    cmds=(-n "netbuf launcher ($picked): setup+teardown" "$(cycle "$launcher")"
          -n "netbuf launcher ($picked): teardown" "$(teardown "$launcher")")
    if [ -n "$java17" ]; then
        cmds+=(-n "netbuf launcher on JDK 17 (AppCDS): setup+teardown" "$(cycle "env NETBUF_JAVA=$java17 $launcher")"
               -n "netbuf launcher on JDK 17 (AppCDS): teardown" "$(teardown "env NETBUF_JAVA=$java17 $launcher")")
    fi
    cmds+=(-n "netbuf, java -jar with JDK defaults: setup+teardown" "$(cycle "$java -Dnetbuf.invokedAs=remus-netbuf-setup -jar $jar")")
    if $have_reference; then
        cmds+=(-n "reference script: setup+teardown" "$(cycle "bash $scripts/remus-netbuf-setup")"
               -n "reference script: teardown" "$(teardown "bash $scripts/remus-netbuf-setup")")
    fi
    echo "== $domains other domain(s) in xenstore; kernel: $(uname -r)" >&2
    hyperfine -N --style basic --warmup "$warmup" --runs "$runs" --ignore-failure \
        --export-markdown "$out_dir/hotplug-walltime-$domains.md" \
        --export-json "$out_dir/hotplug-walltime-$domains.json" "${cmds[@]}"
    python3 - "$out_dir/hotplug-walltime-$domains.json" <<'PY' | tee -a "$out_dir/hotplug-walltime-$domains.md"
import json, sys
print("\n| Command | min [ms] | mean [ms] | user+sys CPU [ms] |\n|:---|---:|---:|---:|")
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"| {r['command']} | {min(r['times']) * 1e3:.1f} | {r['mean'] * 1e3:.1f} | {(r['user'] + r['system']) * 1e3:.1f} |")
PY
    exec 9>&-
    wait "$xs_pid" 2>/dev/null || true
    xs_pid=
  done
done
