#!/usr/bin/env bash
# netbuf kernel lab: boots a Debian kernel that has sch_plug under qemu (software emulation) and runs a
# command inside it, chrooted into the host's own root (shared read-only over 9p, made writable by a
# tmpfs overlay in the guest). See README.md beside this file.
#
#   lab.sh prepare                      install qemu + busybox, fetch and unpack the kernel, build the initramfs
#   lab.sh kernel [--list]              only choose (and fetch) the kernel package; print its name
#   lab.sh run [OPTIONS] -- CMD ARGS... boot, run CMD in the guest, print its output, exit with its status
#   lab.sh mvn-verify [MAVEN ARGS...]   run the *LabIT suite of the working tree in the guest
#
# Environment: NETBUF_LAB_CACHE (cache dir, default /var/cache/netbuf-kernel-lab), NETBUF_LAB_KERNEL
# (a linux-image package name to use instead of the newest one apt can download), NETBUF_REFERENCE_DIR
# (where Xen's reference script is, shared read-only with the guest by mvn-verify).
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)
CACHE=${NETBUF_LAB_CACHE:-/var/cache/netbuf-kernel-lab}
# The lab itself, and the tools its tests drive inside it (the guest runs the host's binaries).
# kmod: depmod indexes the lab kernel's modules, so that modinfo/modprobe work in the guest.
APT_PACKAGES=(qemu-system-x86 busybox-static kmod iproute2 iputils-ping procps)
# Loaded in this order (each one's dependencies first); modules built into the kernel are skipped.
# A trailing "?" marks a module that newer kernels no longer have (fscache is part of netfs since 6.8).
MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
         9pnet 9pnet_virtio netfs fscache? 9p overlay
         sch_plug ifb veth act_mirred cls_u32 sch_ingress)
DEFAULT_TIMEOUT=600
DEFAULT_MEM=3072
DEFAULT_CPUS=2

# Temporary directories and helper processes of this invocation, removed/ended on any exit.
TEMP_DIRS=()
HELPER_PIDS=()
cleanup() {
    local pid dir
    for pid in "${HELPER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for dir in "${TEMP_DIRS[@]}"; do rm -rf "$dir"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 2; }
# Exit status when the guest died (kernel panic) while the command ran: no verdict was reached.
GUEST_DIED=75

usage() {
    cat >&2 <<'EOF'
usage: lab.sh prepare
       lab.sh kernel [--list]
       lab.sh run [--timeout SEC] [--mem MB] [--cpus N] [--rw DIR]... [--ro DIR]... [--verbose] -- CMD [ARGS...]
       lab.sh mvn-verify [--timeout SEC] [--mem MB] [--cpus N] [--verbose] [-- MAVEN ARGS...]

  prepare     installs qemu-system-x86 and busybox-static (apt-get), downloads the newest
              linux-image-*-amd64 apt can download (apt-get download, unpacked with dpkg -x, not
              installed) and builds the initramfs, all under $NETBUF_LAB_CACHE (default
              /var/cache/netbuf-kernel-lab).
  kernel      the kernel step of prepare alone: prints the package it fetched (or found cached);
              --list prints the candidates, best first, without fetching.
  run         boots the lab and runs CMD as root in the guest, chrooted into an overlay of the host's
              root (writes land in guest memory and vanish at poweroff), in the current directory and
              with the current environment. CMD's stdout and stderr are streamed to ours; the exit
              status is CMD's (124 on timeout, 2 on a lab failure).
              --timeout SEC  whole run, boot included (default 600)
              --mem MB       guest memory (default 3072); the overlay's writes count against it
              --cpus N       virtual CPUs (default 2)
              --rw DIR       share host directory DIR writable at the same path (repeatable): the way
                             to get results back to the host
              --ro DIR       share host directory DIR read-only at the same path (repeatable): for a
                             directory the guest's fresh /tmp, /run or /var/log would hide
              --verbose      show the kernel's boot messages
  mvn-verify  runs `mvn -o -B verify -Dnetbuf.lab=true` (the lab profile: *LabIT tests only) on this
              working tree in the guest, the tree shared writable so target/ reports land on the host.
              Maven arguments default to `-pl it -am`.
EOF
}

need_root() {
    [[ $(id -u) -eq 0 ]] || die "$1 needs root (apt-get, and 9p must read the whole host root)"
}

# ---------------------------------------------------------------------------------------- prepare

APT_UPDATED=0
apt_update_once() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update..."
        apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || die "apt-get update failed"
        APT_UPDATED=1
    fi
}

install_packages() {
    local missing=() p
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "packages present: ${APT_PACKAGES[*]}"
        return
    fi
    apt_update_once
    log "installing ${missing[*]}..."
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
        "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

# Prints the kernel packages apt can download here, best first, one a line: linux-image-<abi>-amd64 of
# the generic flavour (not cloud/rt), signed or -unsigned, each with a candidate version (apt-cache
# search also lists names that have none, e.g. a signed package the archive has not published yet);
# the newest ABI first, a signed package before its unsigned twin. What the metapackage
# linux-image-amd64 depends on is always among them when it has a candidate.
kernel_candidates() {
    local names=() meta
    mapfile -t names < <(apt-cache search --names-only '^linux-image-[0-9].*-amd64(-unsigned)?$' 2>/dev/null \
        | awk '{print $1}' \
        | grep -Ev -- '-(cloud|rt)-amd64|-dbg$|^linux-image-[0-9]+\.[0-9]+-amd64$' || true)
    meta=$(apt-cache depends linux-image-amd64 2>/dev/null \
        | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ {print $2; exit}' || true)
    [[ -n $meta ]] && names+=("$meta")
    [[ ${#names[@]} -gt 0 ]] || return 0
    # "name:" starts each package's block of apt-cache policy, "  Candidate: (none)" marks no candidate.
    apt-cache policy "${names[@]}" 2>/dev/null \
        | awk '/^[^ ].*:$/ {name = substr($0, 1, length($0) - 1)}
               /^ +Candidate:/ {if ($2 != "(none)" && name != "") print name; name = ""}' \
        | sort -u \
        | sed -E 's/^linux-image-(.*)-amd64(-unsigned)?$/\1\t\2\t&/' \
        | sort -t $'\t' -k1,1Vr -k2,2 \
        | cut -f3
}

# Downloads and unpacks the lab's kernel; sets KERNEL_PKG. NETBUF_LAB_KERNEL pins one package; else
# the candidates are tried best first, each failure said loudly, with fresh package lists once.
choose_and_fetch_kernel() {
    if [[ -n ${NETBUF_LAB_KERNEL:-} ]]; then
        fetch_kernel "$NETBUF_LAB_KERNEL" || die "apt-get download $NETBUF_LAB_KERNEL (NETBUF_LAB_KERNEL) failed"
        KERNEL_PKG=$NETBUF_LAB_KERNEL
        return
    fi
    local candidates=() pkg tried=()
    while true; do
        mapfile -t candidates < <(kernel_candidates)
        log "kernel candidates, best first: ${candidates[*]:-none}"
        for pkg in "${candidates[@]}"; do
            if fetch_kernel "$pkg"; then
                KERNEL_PKG=$pkg
                log "kernel package: $pkg"
                return
            fi
            tried+=("$pkg")
            log "WARNING: apt-get download $pkg failed; trying the next candidate"
        done
        [[ $APT_UPDATED -eq 0 ]] || break
        apt_update_once
    done
    die "no linux-image-*-amd64 package could be downloaded (tried: ${tried[*]:-none}; check /etc/apt/sources.list)"
}

# Downloads package $1 and unpacks it (dpkg -x, never installed) into the cache, unless it is there
# already. Returns non-zero when the download fails.
fetch_kernel() {
    local pkg=$1 dest=$CACHE/kernels/$1
    if [[ -f $dest/.complete ]]; then
        log "kernel $pkg already unpacked in $dest"
        return 0
    fi
    mkdir -p "$CACHE"
    local work
    work=$(mktemp -d "$CACHE/fetch.XXXXXX")
    TEMP_DIRS+=("$work")
    log "fetching kernel $pkg (apt-get download)..."
    if ! (cd "$work" && apt-get -o APT::Sandbox::User=root download "$pkg" >&2); then
        rm -rf "$work"
        return 1
    fi
    log "unpacking kernel (dpkg -x, not installed)..."
    mkdir -p "$work/root"
    dpkg -x "$work"/*.deb "$work/root" || die "dpkg -x of $pkg failed"
    rm -f "$work"/*.deb
    rm -rf "$dest"
    mkdir -p "$CACHE/kernels"
    mv "$work/root" "$dest"
    rm -rf "$work"
    touch "$dest/.complete"
}

# Sets MODDIR and KVER for an unpacked kernel tree.
kernel_layout() {
    local root=$1
    local dirs=("$root"/lib/modules/*/)
    [[ -d ${dirs[0]} ]] || die "no lib/modules/<version> in $root"
    MODDIR=${dirs[0]%/}
    KVER=${MODDIR##*/}
    [[ -f $root/boot/vmlinuz-$KVER ]] || die "no boot/vmlinuz-$KVER in $root"
}

declare -A MOD_PATH=() MOD_DONE=()
MOD_ORDER=()

index_modules() {
    local f base
    while IFS= read -r -d '' f; do
        base=${f##*/}
        base=${base%%.ko*}
        MOD_PATH[${base//-/_}]=$f
    done < <(find "$MODDIR/kernel" -name '*.ko*' -print0)
}

is_builtin() {
    grep -Eq "/${1//_/[_-]}\.ko\$" "$MODDIR/modules.builtin"
}

decompress_module() {
    case $1 in
        *.ko) cat "$1" ;;
        *.ko.xz) busybox unxz -c "$1" ;;
        *.ko.gz) busybox gunzip -c "$1" ;;
        *.ko.zst) command -v zstd >/dev/null || die "module $1 is zstd-compressed: apt-get install zstd"
                  zstd -dc "$1" ;;
        *) die "unknown module format: $1" ;;
    esac
}

# Adds a module and its dependencies (read from its .modinfo) to MOD_ORDER, dependencies first.
add_module() {
    local name=${1%\?} staging=$2 dep deps
    name=${name//-/_}
    [[ -n ${MOD_DONE[$name]:-} ]] && return
    MOD_DONE[$name]=1
    if [[ -z ${MOD_PATH[$name]:-} ]]; then
        is_builtin "$name" && return
        [[ $1 == *\? ]] && return
        die "kernel $KVER has no module $name (neither loadable nor built in)"
    fi
    decompress_module "${MOD_PATH[$name]}" > "$staging/lib/lab-modules/$name.ko"
    deps=$(tr '\0' '\n' < "$staging/lib/lab-modules/$name.ko" | sed -n 's/^depends=//p' | head -n 1)
    for dep in ${deps//,/ }; do
        add_module "$dep" "$staging"
    done
    MOD_ORDER+=("$name")
}

build_initramfs() {
    local root=$1 out=$2 staging busybox_bin
    busybox_bin=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
    staging=$(mktemp -d "$CACHE/initramfs.XXXXXX")
    TEMP_DIRS+=("$staging")
    mkdir -p "$staging"/{bin,dev,proc,sys,etc,lib/lab-modules}
    cp "$busybox_bin" "$staging/bin/busybox"
    cp "$LAB_DIR/guest-init.sh" "$staging/init"
    chmod 755 "$staging/init"
    index_modules
    local m
    for m in "${MODULES[@]}"; do
        add_module "$m" "$staging"
    done
    printf '%s\n' "${MOD_ORDER[@]}" > "$staging/etc/lab-modules"
    log "initramfs modules: ${MOD_ORDER[*]}"
    (cd "$staging" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$out.tmp"
    mv "$out.tmp" "$out"
    rm -rf "$staging"
}

prepare() {
    need_root "lab.sh prepare"
    mkdir -p "$CACHE"
    install_packages
    local pkg root
    choose_and_fetch_kernel
    pkg=$KERNEL_PKG
    root=$CACHE/kernels/$pkg
    kernel_layout "$root"
    # The guest gets these modules at /lib/modules/<version>, as an installed kernel has them (Xen's
    # script checks its modules with modinfo); the package's modules.dep is made by depmod at install.
    if [[ ! -f $MODDIR/modules.dep ]]; then
        log "indexing the kernel's modules (depmod)..."
        depmod -b "$root" "$KVER" || die "depmod -b $root $KVER failed"
    fi
    # The initramfs depends on the kernel, the guest init and the module list: rebuild when one changes.
    local stamp
    stamp=$( { printf '%s\n' "$pkg" "${MODULES[@]}"; cat "$LAB_DIR/guest-init.sh"; } | sha256sum | cut -c1-16)
    local initrd=$CACHE/initramfs-$stamp.cpio.gz
    if [[ -f $initrd ]]; then
        log "initramfs up to date ($initrd)"
    else
        log "building initramfs..."
        build_initramfs "$root" "$initrd"
        find "$CACHE" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -path "$initrd" -delete
    fi
    cat > "$CACHE/current.tmp" <<EOF
LAB_KERNEL_PACKAGE=$pkg
LAB_KERNEL=$root/boot/vmlinuz-$KVER
LAB_INITRD=$initrd
LAB_STAMP=$stamp
EOF
    mv "$CACHE/current.tmp" "$CACHE/current"
    log "ready: kernel $KVER ($pkg), cache $CACHE"
}

# -------------------------------------------------------------------------------------------- run

# Loads $CACHE/current, preparing first when the lab is missing or stale.
ensure_prepared() {
    local stamp=""
    if [[ -f $CACHE/current ]]; then
        # shellcheck disable=SC1091
        . "$CACHE/current"
        local want
        want=$( { printf '%s\n' "$LAB_KERNEL_PACKAGE" "${MODULES[@]}"; cat "$LAB_DIR/guest-init.sh"; } \
            | sha256sum | cut -c1-16)
        [[ $want == "$LAB_STAMP" && -f $LAB_KERNEL && -f $LAB_INITRD ]] && stamp=$LAB_STAMP
    fi
    if [[ -z $stamp ]]; then
        log "lab not prepared (or out of date): running prepare first"
        prepare
        # shellcheck disable=SC1091
        . "$CACHE/current"
    fi
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found: run lab.sh prepare"
}

# Variables that describe the host shell rather than the run.
skip_env() {
    case $1 in
        BASH*|SHLVL|PWD|OLDPWD|_|HOSTNAME|TERM|COLUMNS|LINES|SSH_*|DISPLAY|XAUTHORITY|DBUS_*|XDG_*) return 0 ;;
        *) return 1 ;;
    esac
}

write_run_script() {
    local ctl=$1 timeout=$2 name
    shift 2
    {
        echo '#!/bin/bash'
        echo '# Generated by lab.sh: the command of one lab run, with the caller'\''s environment.'
        for name in $(compgen -e); do
            skip_env "$name" && continue
            printf 'export %s=%q\n' "$name" "${!name}"
        done
        echo 'export NETBUF_LAB=true TERM=dumb'
        # The lab kernel's modules where an installed kernel has them (in the guest's overlay only);
        # run_lab shares their cache directory with the guest, wherever the cache is.
        printf 'mkdir -p /lib/modules && ln -sfn %q %q\n' "$LAB_MODULES" "/lib/modules/${LAB_MODULES##*/}"
        printf 'cd -- %q 2>/dev/null || cd /\n' "$PWD"
        # The command gets what is left of --timeout (the kernel's uptime ~ the time since boot),
        # so that a hung command still lets the guest report and power off before the host kills it.
        printf 'limit=$(( %d - $(cut -d. -f1 /proc/uptime) - 15 ))\n' "$timeout"
        echo '(( limit > 5 )) || limit=5'
        printf 'exec timeout --kill-after=5 "$limit"'
        printf ' %q' "$@"
        echo
    } > "$ctl/run.sh"
}

# Reads the guest console: shows it on stderr and notes when the command started.
console_reader() {
    local start=$1 started_file=$2 verbose=$3 line
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line%$'\r'}
        if [[ $line == "NETBUF-LAB: command starting" ]]; then
            local now=$EPOCHREALTIME
            local ms=$(( (${now/./} - ${start/./}) / 1000 ))
            printf '%d\n' "$ms" > "$started_file"
            log "$(printf 'booted in %d.%03d s (qemu start to command start)' $((ms / 1000)) $((ms % 1000)))"
            continue
        fi
        [[ $line == NETBUF-LAB:* ]] && continue
        [[ $verbose -eq 0 && $line == *"reboot: Power down" ]] && continue
        printf '%s\n' "$line" >&2
    done
}

run_lab() {
    # shares: "rw PATH" or "ro PATH", each mounted over the same path in the guest.
    local timeout=$DEFAULT_TIMEOUT mem=$DEFAULT_MEM cpus=$DEFAULT_CPUS verbose=0 shares=()
    while [[ $# -gt 0 ]]; do
        case $1 in
            --timeout) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--timeout needs seconds"; timeout=$2; shift 2 ;;
            --mem) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--mem needs megabytes"; mem=$2; shift 2 ;;
            --cpus) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--cpus needs a count"; cpus=$2; shift 2 ;;
            --rw|--ro) [[ -d ${2:-} ]] || die "$1 needs an existing directory (got '${2:-}')"
                  [[ $2 != *,* && $2 != *[[:space:]]* ]] \
                      || die "$1: cannot share a path with a comma or a blank ($2)"
                  shares+=("${1#--} $(realpath "$2")"); shift 2 ;;
            --verbose) verbose=1; shift ;;
            --) shift; break ;;
            -h|--help) usage; exit 0 ;;
            *) usage; die "unknown option '$1' (the command goes after --)" ;;
        esac
    done
    [[ $# -gt 0 ]] || { usage; die "no command given (lab.sh run [OPTIONS] -- CMD ARGS...)"; }
    (( timeout >= 30 )) || die "--timeout must be at least 30 s (boot alone takes 5-10 s)"
    need_root "lab.sh run"
    ensure_prepared
    # Shared explicitly: a cache under /tmp (or /run) would be hidden by the guest's fresh tmpfs.
    LAB_MODULES=$(realpath "${LAB_KERNEL%/boot/*}/lib/modules/${LAB_KERNEL##*/vmlinuz-}")
    [[ $LAB_MODULES != *,* && $LAB_MODULES != *[[:space:]]* ]] \
        || die "the lab cache's path has a comma or a blank, which qemu cannot share: $LAB_MODULES (set NETBUF_LAB_CACHE)"
    shares+=("ro $LAB_MODULES")

    local ctl
    ctl=$(mktemp -d /tmp/netbuf-lab.XXXXXX)
    TEMP_DIRS+=("$ctl")
    write_run_script "$ctl" "$timeout" "$@"
    local virtfs=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
                  -virtfs "local,path=$ctl,mount_tag=labctl,security_model=none")
    local i=0 share mode dir ro
    : > "$ctl/shares"
    for share in "${shares[@]}"; do
        mode=${share%% *} dir=${share#* } ro=""
        [[ $mode == ro ]] && ro=",readonly=on"
        virtfs+=(-virtfs "local,path=$dir,mount_tag=labshare$i,security_model=none,multidevs=remap$ro")
        printf 'labshare%d %s %s\n' "$i" "$mode" "$dir" >> "$ctl/shares"
        i=$((i + 1))
    done
    # A directory before those inside it, so that a share inside another stays visible.
    sort -k3,3 -o "$ctl/shares" "$ctl/shares"
    local append="console=ttyS0 panic=-1 8250.nr_uarts=4"
    if [[ $verbose -eq 0 ]]; then append+=" quiet loglevel=1"; fi

    log "booting $(basename "$LAB_KERNEL") from $LAB_KERNEL_PACKAGE (cpu Nehalem, ${cpus} vcpu, ${mem} MB, timeout ${timeout} s)..."
    # The command's output arrives in files on the control share; tail streams them while the VM
    # runs and, once the placeholder process it watches is gone, reads what is left and exits.
    : > "$ctl/stdout"
    : > "$ctl/stderr"
    sleep 2147483647 &
    local holder=$!
    HELPER_PIDS+=("$holder")
    tail --pid="$holder" -s 0.2 -n +1 -F "$ctl/stdout" 2>/dev/null &
    local out_tail=$!
    HELPER_PIDS+=("$out_tail")
    tail --pid="$holder" -s 0.2 -n +1 -F "$ctl/stderr" >&2 2>/dev/null &
    local err_tail=$!
    HELPER_PIDS+=("$err_tail")
    # qemu runs in the background so that a signal to lab.sh is handled at once: the exit trap ends
    # timeout, which ends qemu. Its console comes through a fifo to console_reader.
    mkfifo "$ctl/console"
    local start=$EPOCHREALTIME qemu_rc=0
    timeout --kill-after=5 "$timeout" qemu-system-x86_64 \
        -nodefaults -no-user-config -machine pc -accel tcg,thread=multi -cpu Nehalem -smp "$cpus" -m "$mem" \
        -display none -monitor none -no-reboot \
        -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -append "$append" \
        -chardev stdio,id=con,signal=off -serial chardev:con \
        "${virtfs[@]}" < /dev/null > "$ctl/console" 2>&1 &
    local vm=$!
    HELPER_PIDS+=("$vm")
    console_reader "$start" "$ctl/started" "$verbose" < "$ctl/console"
    wait "$vm" || qemu_rc=$?
    kill "$holder" 2>/dev/null || true
    wait "$out_tail" "$err_tail" 2>/dev/null || true
    local total_ms=$(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 ))
    local total
    total=$(printf '%d.%03d' $((total_ms / 1000)) $((total_ms % 1000)))
    if [[ $qemu_rc -eq 124 || $qemu_rc -eq 137 ]]; then
        log "ERROR: timed out after ${timeout} s: the VM was killed"
        exit 124
    fi
    [[ $qemu_rc -eq 0 ]] || die "qemu failed (exit $qemu_rc)"
    [[ -f $ctl/started ]] || die "the guest never started the command (see its console above; try --verbose)"
    if [[ ! -f $ctl/rc ]]; then
        # Started, then powered off without an exit status: the guest kernel died (a panic ends in
        # poweroff). Under software emulation that can be the emulator's fault, not the command's.
        log "ERROR: the guest died while the command ran, without an exit status (see its console above)"
        exit $GUEST_DIED
    fi
    local rc
    rc=$(<"$ctl/rc")
    if [[ $rc -eq 124 ]]; then
        log "ERROR: the command timed out in the guest (--timeout ${timeout} s)"
    fi
    log "command exited $rc; VM off after $total s in all"
    exit "$rc"
}

mvn_verify() {
    local opts=() args=()
    while [[ $# -gt 0 ]]; do
        case $1 in
            --timeout|--mem|--cpus) opts+=("$1" "${2:-}"); shift 2 ;;
            --verbose) opts+=("$1"); shift ;;
            --) shift; args=("$@"); break ;;
            *) args=("$@"); break ;;
        esac
    done
    [[ ${#args[@]} -gt 0 ]] || args=(-pl it -am)
    command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
    cd "$REPO_DIR"
    # Under software emulation the JIT's C2 tier and a parallel GC cost more than they give.
    local jvm_opts="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    export MAVEN_OPTS="${MAVEN_OPTS:-$jvm_opts}"
    # Xen's reference script, which the lab tests run, lives outside the tree: share it explicitly, as
    # the guest's fresh /tmp would hide it when the checkout is under /tmp.
    local reference=${NETBUF_REFERENCE_DIR:-$REPO_DIR/../shared}
    if [[ -d $reference ]]; then
        opts+=(--ro "$reference")
    else
        log "no reference directory at $reference (NETBUF_REFERENCE_DIR): tests that need Xen's script will say so"
    fi
    # Inside the lab nothing may be skipped: a missing feature there is a broken lab, not a weak machine.
    run_lab "${opts[@]}" --rw "$REPO_DIR" -- \
        mvn -o -B -Dnetbuf.lab=true -Dnetbuf.privileged=required "-DargLine=$jvm_opts" "${args[@]}" verify
}

# lab.sh kernel [--list]: the kernel choice alone (no root needed where the cache is writable).
kernel_command() {
    case ${1:-} in
        --list) kernel_candidates ;;
        "") choose_and_fetch_kernel; printf '%s\n' "$KERNEL_PKG" ;;
        *) usage; die "unknown option '$1' for kernel" ;;
    esac
}

main() {
    local cmd=${1:-}
    [[ $# -gt 0 ]] && shift
    case $cmd in
        prepare) prepare ;;
        kernel) kernel_command "$@" ;;
        run) run_lab "$@" ;;
        mvn-verify) mvn_verify "$@" ;;
        -h|--help|help) usage ;;
        *) usage; die "unknown command '${cmd}'" ;;
    esac
}

main "$@"
