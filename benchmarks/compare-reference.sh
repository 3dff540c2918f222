#!/bin/bash
# Side by side: Xen's remus-netbuf-setup (the reference script, run unmodified from where it lives)
# and netbuf's drop-in replacement (cli/bin/netbuf invoked as remus-netbuf-setup), on the same setup:
# one network namespace with a guest vif (veth vif1.0) and one IFB, a testkit xenstored on a unix
# socket (XENSTORED_PATH) holding domains 0 and 1 and N other domains with netbuf claims,
# XENBUS_PATH=/libxl/1/remus/netbuf/0.
# Each round runs setup then teardown with each implementation, alternating which goes first, checks
# the result of every call (claim, hotplug-status, plug on the IFB; everything gone after teardown),
# and prints the times of each call, then the medians and the ratio reference / netbuf.
#
# Usage: benchmarks/compare-reference.sh [-s] [-l] [-n ROUNDS] [-d OTHER_DOMAINS[,OTHER_DOMAINS...]]
#   -n ROUNDS         rounds per domain count (default 10)
#   -d OTHER_DOMAINS  other domains with netbuf claims in XenStore, or a comma-separated list of such
#                     counts, each run in turn with a fresh xenstored (default 0)
#   -s                both sides use the same stand-in for sch_plug, a root pfifo (for kernels without
#                     sch_plug, like the build machine; see docs/benchmarks.md):
#                     - the reference runs unmodified with PATH shims: modinfo answers for the five
#                       modules it checks; nl-qdisc-add ... plug becomes tc qdisc add dev IFB root pfifo
#                       limit 1000, nl-qdisc-add --update ... becomes tc qdisc change ... pfifo limit 1000,
#                       nl-qdisc-delete ... plug becomes tc qdisc del dev IFB root. xen-hotplug-common.sh
#                       puts /usr/bin first on PATH, so the shims go first through a hotplugpath.sh beside
#                       the script that sources Xen's and prepends the shim directory to bindir.
#                     - netbuf runs io.netbuf.benchmarks.StandInHotplug (benchmarks/target/hotplug-standin.jar:
#                       netbuf.jar plus the stand-in) through cli/bin/remus-netbuf-setup itself, whose
#                       java is a wrapper that swaps the main class (io.netbuf.cli.Main ->
#                       StandInHotplug, and for the launcher's archive training io.netbuf.cli.CdsTraining ->
#                       StandInTraining): same launcher, JVM, options and kind of class archive.
#   -l                also the library itself, as a controller embedding it runs it: one long-lived JVM
#                     (io.netbuf.benchmarks.LibraryDriver in the namespace, warmed up by LIBRARY_WARMUP
#                     attach+close cycles, default 300) attaches and closes the same buffer when its turn
#                     comes; its times are those of attach() and close() inside the process
#                     (LIBRARY_LOG_LEVEL: its SLF4J level, default warn; LIBRARY_LOG: where its log goes).
# Environment:
#   NETBUF_REFERENCE_SCRIPT  the reference script (default: ../shared/reference/remus-netbuf-setup.sh
#                            from the repository, or from its parent)
#   NETBUF_XEN_SCRIPTS       Xen's hotplug helpers the reference sources (default /etc/xen/scripts,
#                            Debian package xen-utils-common)
#
# Needs root, libnl-utils (nl-qdisc-*), net-tools (ifconfig), xenstore-utils, xen-utils-common, and
# without -s: sch_plug and modinfo-able modules (the reference checks them with modinfo). Build first:
#   mvn -o -q -pl benchmarks,cli -am package -DskipTests
# Without -s on a kernel without sch_plug it stops before doing anything and says so. Run it in the
# kernel lab:
#   it/kernel-lab/lab.sh run --timeout 1200 --rw "$PWD/benchmarks/target" -- benchmarks/compare-reference.sh -n 10
# In the lab (NETBUF_LAB=true) it repairs, in the lab's throwaway overlay only, the two things that stop
# the reference script there: /lib/modules/$(uname -r) for modinfo (linked from the lab's kernel cache)
# and the path of Debian's libnl plug module (libnl/cli -> libnl-3/cli; see FACTS.md section 4).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
rounds=10
others=0
stand_in=false
library=false
while getopts "n:d:slh" opt; do
    case $opt in
        n) rounds=$OPTARG ;;
        d) others=$OPTARG ;;
        s) stand_in=true ;;
        l) library=true ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
    esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "rounds must be a positive number: $rounds" >&2; exit 2; }
[[ $others =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "other domains must be a number or a comma-separated list: $others" >&2; exit 2; }

log() { echo "[compare] $*" >&2; }
die() { echo "[compare] cannot run: $*" >&2; exit 3; }

# ---------------------------------------------------------------- preflight (changes nothing)
[ "$(id -u)" = 0 ] || die "needs root"
reference=${NETBUF_REFERENCE_SCRIPT:-}
if [ -z "$reference" ]; then
    for candidate in "$root/../shared/reference/remus-netbuf-setup.sh" "$root/../../shared/reference/remus-netbuf-setup.sh"; do
        if [ -f "$candidate" ]; then reference=$(readlink -f "$candidate"); break; fi
    done
fi
[ -n "$reference" ] && [ -f "$reference" ] || die "reference script not found (set NETBUF_REFERENCE_SCRIPT)"
xen_scripts=${NETBUF_XEN_SCRIPTS:-/etc/xen/scripts}
[ -f "$xen_scripts/xen-hotplug-common.sh" ] || die "$xen_scripts/xen-hotplug-common.sh missing (apt-get install xen-utils-common)"
bench_jar=$root/benchmarks/target/benchmarks.jar
standin_jar=$root/benchmarks/target/hotplug-standin.jar
cli=$root/cli/bin/netbuf
[ -f "$bench_jar" ] || die "$bench_jar missing (mvn -o -q -pl benchmarks,cli -am package -DskipTests)"
[ -x "$cli" ] && [ -f "$root/cli/target/netbuf.jar" ] || die "netbuf CLI not built (cli/target/netbuf.jar)"
! $stand_in || [ -f "$standin_jar" ] || die "$standin_jar missing (mvn -o -q -pl benchmarks,cli -am package -DskipTests)"
for tool in ip tc nl-qdisc-add nl-qdisc-list nl-qdisc-delete ifconfig xenstore-read xenstore-write xenstore-rm \
        xenstore-list xenstore-exists modinfo flock java; do
    command -v "$tool" >/dev/null || die "'$tool' not found (packages: iproute2 libnl-utils net-tools xenstore-utils kmod util-linux default-jre-headless)"
done

probe=nbcmp-probe-$$
ip netns add "$probe"
plug_ok=0
if ip -n "$probe" link add ifb0 type ifb 2>/dev/null && tc -n "$probe" qdisc add dev ifb0 root plug limit 1000 2>/dev/null; then
    plug_ok=1
fi
ip netns del "$probe"
if [ "$plug_ok" = 0 ] && ! $stand_in; then
    die "this kernel ($(uname -r)) has no sch_plug: neither script can create the plug. Run it in the kernel lab:
  it/kernel-lab/lab.sh run --timeout 1200 --rw \"\$PWD/benchmarks/target\" -- benchmarks/compare-reference.sh -n $rounds
or here with the same pfifo stand-in for the plug on both sides: benchmarks/compare-reference.sh -s"
fi

if [ "${NETBUF_LAB:-}" = true ]; then
    modules=/lib/modules/$(uname -r)
    if ! modinfo sch_plug >/dev/null 2>&1 && [ ! -e "$modules" ]; then
        cached=$(ls -d /var/cache/netbuf-kernel-lab/kernels/*/lib/modules/"$(uname -r)" 2>/dev/null | head -n 1)
        [ -n "$cached" ] || die "no modules of $(uname -r) in the lab's kernel cache for modinfo"
        mkdir -p /lib/modules && ln -s "$cached" "$modules"
        [ -f "$modules/modules.dep" ] || depmod "$(uname -r)"
        log "lab: linked $modules -> $cached for modinfo"
    fi
    libnl=/usr/lib/x86_64-linux-gnu
    if [ -d "$libnl/libnl-3/cli" ] && [ ! -e "$libnl/libnl/cli" ]; then
        mkdir -p "$libnl/libnl" && ln -s "$libnl/libnl-3/cli" "$libnl/libnl/cli"
        log "lab: linked $libnl/libnl/cli -> libnl-3/cli for nl-qdisc-add's plug module"
    fi
fi
if ! $stand_in; then
    for m in ifb sch_plug sch_ingress act_mirred cls_u32; do
        modinfo "$m" >/dev/null 2>&1 || die "modinfo $m fails: the reference script would refuse to run (no /lib/modules/$(uname -r)?)"
    done
fi

# ---------------------------------------------------------------- the shared setup
ns=nbcmp-$$
work=$(mktemp -d /tmp/netbuf-compare.XXXXXX)
xs_pid=
stop_xenstored() {
    if [ -n "$xs_pid" ]; then
        exec 9>&-
        wait "$xs_pid" 2>/dev/null || true
        xs_pid=
    fi
}
cleanup() {
    [ -n "${LIB_PID:-}" ] && kill "$LIB_PID" 2>/dev/null
    stop_xenstored
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add vif1.0 type veth peer name guest1
ip -n "$ns" link set vif1.0 up
ip -n "$ns" link set guest1 up
ip -n "$ns" link add ifb0 type ifb

# The reference finds its helpers beside $0: run it with bash reading it from standard input ($0 is
# then "bash", so "." is searched) in a directory holding Xen's helpers.
mkdir -p "$work/ref" /var/log/xen
for f in "$xen_scripts"/*.sh; do ln -s "$f" "$work/ref/"; done
# netbuf's launcher acts as Xen's script when invoked under that name.
mkdir -p "$work/bin"
ln -s "$(readlink -f "$cli")" "$work/bin/remus-netbuf-setup"
netbuf_env=(NETBUF_JAR="$root/cli/target/netbuf.jar")
plug_kind=plug

if $stand_in; then
    plug_kind=pfifo
    shims=$work/shims
    mkdir -p "$shims"
    cat >"$shims/modinfo" <<'SHIM'
#!/bin/sh
# stand-in: the modules the reference checks are built in here, or (sch_plug) stood in for by pfifo
case $1 in ifb|sch_plug|sch_ingress|act_mirred|cls_u32) echo "filename: (stand-in) $1"; exit 0 ;; esac
exec /sbin/modinfo "$@"
SHIM
    cat >"$shims/nl-qdisc-add" <<'SHIM'
#!/bin/sh
# stand-in: nl-qdisc-add --dev=IFB --parent root [--update] plug [--limit=N] -> the root pfifo
dev= verb=add
for a; do case $a in --dev=*) dev=${a#--dev=} ;; --update) verb=change ;; esac; done
exec tc qdisc "$verb" dev "$dev" root pfifo limit 1000
SHIM
    cat >"$shims/nl-qdisc-delete" <<'SHIM'
#!/bin/sh
# stand-in: nl-qdisc-delete --dev=IFB --parent root plug -> delete the root pfifo
dev=
for a; do case $a in --dev=*) dev=${a#--dev=} ;; esac; done
exec tc qdisc del dev "$dev" root
SHIM
    chmod +x "$shims"/*
    # xen-hotplug-common.sh sets PATH="${bindir}:${sbindir}:...:$PATH" after sourcing hotplugpath.sh
    # from the script's directory: that is where the shims can come first.
    rm "$work/ref/hotplugpath.sh"
    printf '. %s/hotplugpath.sh\nbindir="%s:$bindir"\n' "$xen_scripts" "$shims" >"$work/ref/hotplugpath.sh"
    # netbuf: the launcher itself, pointed at hotplug-standin.jar, with a java that swaps the main class.
    java_bin=$(sh -x "$cli" --help 2>&1 >/dev/null | sed -n 's/^+ exec \([^ ]*\) .*/\1/p')
    java_home=$(readlink -f "$java_bin") && java_home=${java_home%/bin/java}
    [ -x "$java_home/bin/java" ] || die "cannot tell which JVM the launcher runs"
    mkdir "$work/jdk"
    for f in "$java_home"/*; do ln -s "$f" "$work/jdk/"; done
    rm "$work/jdk/bin"
    mkdir "$work/jdk/bin"
    cat >"$work/jdk/bin/java" <<SHIM
#!/bin/sh
# the launcher's JVM, running the stand-in entry point (and its training) instead of the CLI's
for a; do
    shift
    case \$a in
        io.netbuf.cli.Main) a=io.netbuf.benchmarks.StandInHotplug ;;
        io.netbuf.cli.CdsTraining) a=io.netbuf.benchmarks.StandInTraining ;;
    esac
    set -- "\$@" "\$a"
done
exec $java_home/bin/java "\$@"
SHIM
    chmod +x "$work/jdk/bin/java"
    netbuf_env=(NETBUF_JAR="$standin_jar" NETBUF_JAVA="$work/jdk/bin/java")
    env "${netbuf_env[@]}" NETBUF_PREPARE=1 "$work/bin/remus-netbuf-setup" \
        || die "the launcher could not make the class archive of $standin_jar"
    log "stand-in: the plug is a root pfifo on both sides (reference: PATH shims; netbuf: StandInHotplug on $java_home)"
fi

xenbus=/libxl/1/remus/netbuf/0
times=$work/times
summary=$work/summary

# run_impl NAME ACTION: runs one implementation's setup or teardown inside the namespace, timed.
run_impl() {
    local impl=$1 action=$2 start end rc=0
    local -a env=(vifname=vif1.0 XENBUS_PATH=$xenbus XENSTORED_PATH=$XENSTORED_PATH)
    [ "$action" = teardown ] && env+=(REMUS_IFB=ifb0)
    if [ "$impl" = library ]; then
        local reply
        echo "$action" >&"${LIB[1]}"
        read -r -t 60 reply <&"${LIB[0]}" || reply="error no answer from LibraryDriver"
        if [ "${reply%% *}" != ok ]; then
            log "library $action: $reply"
            return 1
        fi
        echo "library $action ${reply#ok }" >>"$times"
        return 0
    fi
    start=${EPOCHREALTIME/./}
    if [ "$impl" = reference ]; then
        (cd "$work/ref" && ip netns exec "$ns" env "${env[@]}" bash -s "$action" <"$reference") || rc=$?
    else
        ip netns exec "$ns" env "${env[@]}" "${netbuf_env[@]}" \
            "$work/bin/remus-netbuf-setup" "$action" </dev/null 2>/dev/null || rc=$?
    fi
    end=${EPOCHREALTIME/./}
    if [ "$rc" != 0 ]; then
        log "$impl $action exited $rc; hotplug-error: $(xenstore-read "$xenbus/hotplug-error" 2>/dev/null || echo none)"
        return 1
    fi
    echo "$impl $action $((end - start))" >>"$times"
}

check_set_up() {
    local impl=$1
    [ "$(xenstore-read "$xenbus/ifb" 2>/dev/null)" = ifb0 ] || { log "$impl: $xenbus/ifb is not ifb0"; return 1; }
    [ "$(xenstore-read "$xenbus/hotplug-status" 2>/dev/null)" = connected ] || { log "$impl: hotplug-status is not connected"; return 1; }
    tc -n "$ns" qdisc show dev ifb0 | grep -q "^qdisc $plug_kind .* root" || { log "$impl: no root $plug_kind on ifb0"; return 1; }
    tc -n "$ns" qdisc show dev vif1.0 | grep -q '^qdisc ingress' || { log "$impl: no ingress qdisc on vif1.0"; return 1; }
}

check_torn_down() {
    local impl=$1
    ! xenstore-exists "$xenbus/ifb" 2>/dev/null || { log "$impl: $xenbus/ifb left behind"; return 1; }
    ! tc -n "$ns" qdisc show dev ifb0 | grep -q "^qdisc $plug_kind .* root" || { log "$impl: $plug_kind left on ifb0"; return 1; }
    ! tc -n "$ns" qdisc show dev vif1.0 | grep -q '^qdisc ingress' || { log "$impl: ingress left on vif1.0"; return 1; }
}

one_round() {
    local impl
    for impl in "$@"; do
        run_impl "$impl" setup && check_set_up "$impl" && run_impl "$impl" teardown && check_torn_down "$impl" \
            || die "$impl failed in a round (see above)"
    done
}

# ---------------------------------------------------------------- report
median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print int((v[NR/2]+v[NR/2+1])/2)}'; }
# column IMPL ACTION: the times (us) of one implementation's calls; "cycle" sums each round's setup and teardown.
column() {
    if [ "$2" = cycle ]; then
        awk -v i="$1" '$1==i && $2=="setup" {s[++n]=$3} $1==i && $2=="teardown" {t[++m]=$3} END {for (k=1; k<=n; k++) print s[k]+t[k]}' "$times"
    else
        awk -v i="$1" -v a="$2" '$1==i && $2==a {print $3}' "$times"
    fi
}
# report ACTION IMPL: the reference against one of netbuf's sides (netbuf: the CLI; library: in-process).
report() {
    local action=$1 impl=$2 ref net refmin netmin
    ref=$(column reference "$action" | median)
    net=$(column "$impl" "$action" | median)
    refmin=$(column reference "$action" | sort -n | head -n 1)
    netmin=$(column "$impl" "$action" | sort -n | head -n 1)
    printf '%-14s reference %8d us (min %8d)   %-7s %8d us (min %8d)   reference/%s %8.2fx\n' "$action" \
        "$ref" "$refmin" "$impl" "$net" "$netmin" "$impl" "$(awk -v r="$ref" -v n="$net" 'BEGIN {print r / n}')"
    printf '| %s | %s | %s | %.1f (%.1f) | %.2f (%.2f) | %.2fx |\n' "$domains" "$action" "$impl" \
        "$(awk -v v="$ref" 'BEGIN {print v / 1000}')" "$(awk -v v="$refmin" 'BEGIN {print v / 1000}')" \
        "$(awk -v v="$net" 'BEGIN {print v / 1000}')" "$(awk -v v="$netmin" 'BEGIN {print v / 1000}')" \
        "$(awk -v r="$ref" -v n="$net" 'BEGIN {print r / n}')" >>"$summary"
}

: >"$summary"
for domains in ${others//,/ }; do
    mkfifo "$work/xs.in"
    java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$bench_jar" io.netbuf.benchmarks.TestkitXenstored "$domains" \
        <"$work/xs.in" >"$work/xs.out" &
    xs_pid=$!
    exec 9>"$work/xs.in"
    rm -f "$work/xs.in"
    for _ in $(seq 100); do grep -q '^XENSTORED_PATH=' "$work/xs.out" 2>/dev/null && break; sleep 0.1; done
    XENSTORED_PATH=$(sed -n 's/^XENSTORED_PATH=//p' "$work/xs.out")
    export XENSTORED_PATH
    [ -n "$XENSTORED_PATH" ] || die "the testkit xenstored did not start"

    log "kernel $(uname -r), $(nproc) CPUs, lab=${NETBUF_LAB:-false}, stand-in=$stand_in, reference $reference, $domains other domains"
    impls=(reference netbuf)
    if $library; then
        coproc LIB { exec ip netns exec "$ns" env XENSTORED_PATH="$XENSTORED_PATH" java \
            -Dorg.slf4j.simpleLogger.defaultLogLevel="${LIBRARY_LOG_LEVEL:-warn}" -cp "$bench_jar" \
            io.netbuf.benchmarks.LibraryDriver vif1.0 "$xenbus" "$stand_in" "${LIBRARY_WARMUP:-300}" 2>>"${LIBRARY_LOG:-$work/library.log}"; }
        read -r -t 300 ready <&"${LIB[0]}" && [ "${ready%% *}" = ready ] || die "LibraryDriver did not start: $ready"
        log "library: ${ready#ready }"
        impls+=(library)
    fi
    log "warm-up round (not counted)"
    one_round "${impls[@]}"
    : >"$times"
    for i in $(seq "$rounds"); do
        if (( i % 2 )); then one_round "${impls[@]}"; else one_round $(printf '%s\n' "${impls[@]}" | tac); fi
    done
    if $library; then
        echo quit >&"${LIB[1]}"
        wait "$LIB_PID" 2>/dev/null || true
    fi
    stop_xenstored
    : >"$work/xs.out"

    echo "where: $(uname -n), kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), lab=${NETBUF_LAB:-false}, stand-in=$stand_in; rounds=$rounds, other domains=$domains"
    echo "medians of $rounds alternating rounds (each call: process start to exit, checked; library: inside its process):"
    for impl in "${impls[@]:1}"; do
        report setup "$impl"
        report teardown "$impl"
        report cycle "$impl"
    done
    echo "every call (us):"
    sort -k1,2 -s "$times" | awk '{a[$1" "$2]=a[$1" "$2]" "$3} END {for (k in a) print "  " k ":" a[k]}' | sort
done
echo
echo "| other domains | call | netbuf side | reference median (min) [ms] | netbuf median (min) [ms] | reference / netbuf |"
echo "|---:|---|---|---:|---:|---:|"
cat "$summary"
