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

# Logging, cleanup, packages, the kernel, the initramfs and the VM runner, shared with the Xen lab.
LAB_TAG=lab
# shellcheck source=../lab-common/lab-common.sh
. "$LAB_DIR/../lab-common/lab-common.sh"

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
        build_initramfs "$initrd" "$LAB_DIR/guest-init.sh" "${MODULES[@]}"
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

write_run_script() {
    local ctl=$1 timeout=$2
    shift 2
    {
        echo '#!/bin/bash'
        echo '# Generated by lab.sh: the command of one lab run, with the caller'\''s environment.'
        write_env_exports
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
    run_vm "$timeout" "$verbose" "$ctl" \
        -nodefaults -no-user-config -machine pc -accel tcg,thread=multi -cpu Nehalem -smp "$cpus" -m "$mem" \
        -display none -monitor none -no-reboot \
        -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -append "$append" \
        -chardev stdio,id=con,signal=off -serial chardev:con \
        "${virtfs[@]}"
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
