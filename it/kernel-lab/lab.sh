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

run_lab() {
    parse_run_options "$@"
    need_root "lab.sh run"
    ensure_prepared
    setup_run "${RUN_CMD[@]}"
    local append="console=ttyS0 panic=-1 8250.nr_uarts=4"
    if [[ $RUN_VERBOSE -eq 0 ]]; then append+=" quiet loglevel=1"; fi

    log "booting $(basename "$LAB_KERNEL") from $LAB_KERNEL_PACKAGE (cpu Nehalem, ${RUN_CPUS} vcpu, ${RUN_MEM} MB, timeout ${RUN_TIMEOUT} s)..."
    run_vm "$RUN_TIMEOUT" "$RUN_VERBOSE" "$RUN_CTL" \
        -nodefaults -no-user-config -machine pc -accel tcg,thread=multi -cpu Nehalem -smp "$RUN_CPUS" -m "$RUN_MEM" \
        -display none -monitor none -no-reboot \
        -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -append "$append" \
        -chardev stdio,id=con,signal=off -serial chardev:con \
        "${RUN_VIRTFS[@]}"
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
