#!/usr/bin/env bash
# netbuf Xen lab: boots Debian's Xen hypervisor with a Debian kernel as PV dom0 under qemu (software
# emulation) and runs a command in dom0 with Xen's services up: xenstored, xenconsoled, the bridge
# xenbr0 and IFBs. libxl is Debian's own source rebuilt with libnl3, so that `xl remus -b` buffers the
# network through the script named in xl.conf. dom0's root is the host's root (9p, read-only) under
# the unpacked Xen packages, with a tmpfs upper layer. See README.md beside this file.
#
#   xen-lab.sh prepare                      packages, Xen (hypervisor + tools), libxl with libnl3, kernel, initramfs
#   xen-lab.sh run [OPTIONS] -- CMD ARGS... boot, run CMD in dom0, print its output, exit with its status
#   xen-lab.sh test [OPTIONS]               the lab's checks (remus-check.sh) on this working tree
#   xen-lab.sh packages                     the Debian packages prepare installs (scripts/install-test-deps.sh)
#
# Environment: NETBUF_XEN_LAB_CACHE (cache dir, default /var/cache/netbuf-xen-lab), NETBUF_XEN_VERSION (a
# Debian version of the xen source package; default: the one the distribution's main suite serves),
# NETBUF_LAB_KERNEL (a linux-image package for dom0 and the guests), NETBUF_REFERENCE_DIR (Xen's script).
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)
CACHE=${NETBUF_XEN_LAB_CACHE:-/var/cache/netbuf-xen-lab}
# qemu and the initramfs; dom0's tools and what the checks drive; what libxl's build needs; the runtime
# libraries of Debian's Xen tools (the tools themselves are unpacked, never installed).
APT_PACKAGES=(qemu-system-x86 busybox-static kmod iproute2 iputils-ping iputils-arping procps bridge-utils
              tcpdump python3 libnl-utils net-tools
              dpkg-dev gcc make autoconf flex bison acpica-tools pkg-config python3-dev uuid-dev zlib1g-dev
              liblzma-dev libzstd-dev libncurses-dev libyajl-dev libnl-3-dev libnl-route-3-dev libext2fs-dev
              libyajl2 libnl-3-200 libnl-route-3-200 libext2fs2)
# Debian's binary packages of Xen, all of the source's version.
XEN_PACKAGES=(xen-hypervisor-@-amd64 xen-utils-@ xen-utils-common xenstore-utils libxenmisc@ libxenstore4
              libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxentoollog1 libxendevicemodel1
              libxenhypfs1 libxentoolcore1)
# dom0's initramfs mounts the root (9p + overlay); the Xen and network modules are modprobed in dom0.
DOM0_MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
              9pnet 9pnet_virtio netfs fscache? 9p overlay)
DOMU_MODULES=(xen-netfront)
# Debian's tools configure, minus what dom0 does not need here (firmware, stub domains, docs, OCaml).
CONFIGURE_ARGS=(--disable-stubdom --prefix=/usr --includedir=/usr/include --libdir=/usr/lib/x86_64-linux-gnu
                --with-libexec-libdir-suffix=/x86_64-linux-gnu --mandir=/usr/share/man --sysconfdir=/etc
                --localstatedir=/var --disable-qemu-traditional --disable-rombios --disable-ocamltools
                --disable-docs --disable-seabios --disable-ovmf --disable-ipxe --disable-pvshim
                --disable-systemd --with-system-qemu=/usr/libexec/xen-qemu-system-i386)
DEFAULT_TIMEOUT=900
DEFAULT_MEM=3072
DEFAULT_CPUS=2
DOM0_MEM=1280

LAB_TAG=xen-lab
# shellcheck source=../lab-common/lab-common.sh
. "$LAB_DIR/../lab-common/lab-common.sh"
# Xen's own boot lines on the console; shown with --verbose.
CONSOLE_QUIET_RE='^\(XEN\)|^\(d[0-9]+\)|^mapping kernel into physical memory|^about to get started'

usage() {
    cat >&2 <<'EOF'
usage: xen-lab.sh prepare
       xen-lab.sh packages
       xen-lab.sh run [--timeout SEC] [--mem MB] [--cpus N] [--rw DIR]... [--ro DIR]... [--verbose] -- CMD [ARGS...]
       xen-lab.sh test [--timeout SEC] [--verbose] [-- CHECK ARGS...]

  prepare  installs qemu, busybox, the build and runtime dependencies (apt-get); downloads Debian's Xen
           packages of the version whose source the distribution serves (apt-get download, unpacked with
           dpkg -x, not installed) and that source (apt-get source, through the lab's own apt lists);
           builds libxl, xl and libxl-save-helper from it with libnl3; fetches the kernel; builds dom0's
           and the guests' initramfs. All under $NETBUF_XEN_LAB_CACHE (default /var/cache/netbuf-xen-lab),
           keyed by versions: a second run only checks.
  run      boots Xen and dom0 and runs CMD as root in dom0 (xenstored, xenconsoled, xenbr0 up), chrooted
           into an overlay of the Xen packages over the host's root (writes vanish at poweroff), in the
           current directory and environment. Exit status: CMD's; 124 on timeout, 75 when the VM died
           without a status, 2 when the lab failed. Options as `it/kernel-lab/lab.sh run`.
  test     runs it/xen-lab/remus-check.sh in dom0 on this working tree (cli/target/netbuf.jar must be
           built): xl remus with netbuf's script and with Xen's, reap after bad ends, two guests.
EOF
}

# --------------------------------------------------------------------------------------- prepare

# The lab's own apt configuration: the distribution's main suite as deb-src (the system's sources are
# left as they are), lists and downloads under the cache.
APT_SRC=()
setup_source_apt() {
    local dir=$CACHE/apt codename
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [[ -n $codename ]] || die "cannot tell the distribution's codename from /etc/os-release"
    mkdir -p "$dir/lists/partial" "$dir/archives/partial"
    printf 'deb-src http://deb.debian.org/debian %s main\n' "$codename" > "$dir/sources.list"
    APT_SRC=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
             -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::Archives=$dir/archives" -o APT::Sandbox::User=root)
    if [[ -z $(find "$dir/lists" -maxdepth 1 -name '*Sources*' -mmin -1440 -print -quit) ]]; then
        log "apt-get update of the lab's source list (deb-src $codename main)..."
        timeout 300 apt-get "${APT_SRC[@]}" update -qq >&2 || die "apt-get update (lab's deb-src list) failed"
    fi
}

# Sets XEN_VERSION (the Debian version) and XEN_SERIES (e.g. 4.17).
choose_xen_version() {
    if [[ -n ${NETBUF_XEN_VERSION:-} ]]; then
        XEN_VERSION=$NETBUF_XEN_VERSION
    else
        XEN_VERSION=$(apt-cache "${APT_SRC[@]}" showsrc xen 2>/dev/null | awk '/^Version:/ {print $2}' \
            | sort -V | tail -n 1)
        [[ -n $XEN_VERSION ]] || die "the distribution serves no xen source package (apt-cache showsrc xen)"
    fi
    XEN_SERIES=$(cut -d. -f1,2 <<< "$XEN_VERSION")
    log "Xen $XEN_VERSION (hypervisor, tools and source of this one version; NETBUF_XEN_VERSION to pin another)"
}

# Downloads Debian's Xen packages of XEN_VERSION and unpacks them into $XEN_DIR/debs-tree.
fetch_xen_packages() {
    local tree=$XEN_DIR/debs-tree
    if [[ -f $tree/.complete ]]; then
        log "Xen packages already unpacked in $tree"
        return
    fi
    local work pkgs=() p
    for p in "${XEN_PACKAGES[@]}"; do pkgs+=("${p//@/$XEN_SERIES}=$XEN_VERSION"); done
    work=$(mktemp -d "$CACHE/fetch.XXXXXX")
    TEMP_DIRS+=("$work")
    log "fetching ${#pkgs[@]} Xen packages (apt-get download)..."
    (cd "$work" && timeout 600 apt-get -o APT::Sandbox::User=root download "${pkgs[@]}" >&2) \
        || { apt_update_once; (cd "$work" && timeout 600 apt-get -o APT::Sandbox::User=root download "${pkgs[@]}" >&2); } \
        || die "apt-get download of Xen $XEN_VERSION failed (${pkgs[*]})"
    mkdir -p "$work/root"
    for p in "$work"/*.deb; do dpkg -x "$p" "$work/root" || die "dpkg -x $p failed"; done
    rm -rf "$tree"
    mv "$work/root" "$tree"
    touch "$tree/.complete"
}

# Builds libxl (with libnl3: Remus network buffering), xl and libxl-save-helper from Debian's source of
# XEN_VERSION into $XEN_DIR/build-<key>; the key covers the version, the configure options and this step.
build_libxl() {
    local key out src
    key=$( { printf '%s\n' "$XEN_VERSION" "${CONFIGURE_ARGS[@]}"; declare -f build_libxl; } | sha256sum | cut -c1-12)
    out=$XEN_DIR/build-$key
    BUILT=$out
    if [[ -f $out/.complete ]]; then
        log "libxl with libnl3 already built ($out)"
        return
    fi
    local work
    work=$(mktemp -d "$CACHE/build.XXXXXX")
    TEMP_DIRS+=("$work")
    log "fetching the xen source $XEN_VERSION (apt-get source)..."
    (cd "$work" && timeout 600 apt-get "${APT_SRC[@]}" source --download-only "xen=$XEN_VERSION" >&2) \
        || die "apt-get source xen=$XEN_VERSION failed"
    # apt checked the files against the archive's signed index; dpkg-source has no Debian keyring here.
    (cd "$work" && dpkg-source -x ./*.dsc src >/dev/null 2>&1) || die "dpkg-source -x of xen $XEN_VERSION failed"
    src=$work/src
    # Debian's source ships no generated configure (its build runs autoreconf) nor config.sub/guess.
    (cd "$src" && ./autogen.sh >/dev/null) || die "autogen.sh (autoconf) of the xen source failed"
    cp /usr/share/autoconf/build-aux/config.{sub,guess} "$src/" || die "no config.sub/config.guess from autoconf"
    log "configuring the tools (libnl3 required: network buffering)..."
    # Debian's layout: libxl runs /usr/lib/xen-<series>/bin/libxl-save-helper, as Debian's own libxl does.
    (cd "$src" && WGET=/bin/false GIT=/bin/false timeout 600 ./configure "${CONFIGURE_ARGS[@]}" \
        "--with-libexec-leaf-dir=xen-$XEN_SERIES" > "$work/configure.log" 2>&1) \
        || { tail -n 20 "$work/configure.log" >&2; die "configure of the xen tools failed"; }
    grep -q '^LIBNL3_LIBS *:= *-l' "$src/config/Tools.mk" \
        || die "configure did not find libnl3 (libnl-3-dev, libnl-route-3-dev): libxl would have no network buffering"
    local step start=$SECONDS
    for step in tools/include tools/libs tools/xl; do
        log "building $step ($(( SECONDS - start )) s so far; tools/libs takes 1-4 min on 2 cores)..."
        timeout 1800 make -j"$(nproc)" -C "$src/$step" > "$work/make.log" 2>&1 \
            || { tail -n 30 "$work/make.log" >&2; die "make -C $step failed"; }
    done
    log "built in $(( SECONDS - start )) s"
    local helper=/usr/lib/xen-$XEN_SERIES/bin/libxl-save-helper
    grep -qaF "$helper" "$src"/tools/libs/light/libxenlight.so.*.* \
        || die "the rebuilt libxl does not run $helper (Debian's layout): check the configure options"
    mkdir -p "$work/out/usr/lib/x86_64-linux-gnu" "$work/out/usr/lib/xen-$XEN_SERIES/bin"
    cp -a "$src"/tools/libs/light/libxenlight.so.*.* "$work/out/usr/lib/x86_64-linux-gnu/"
    cp "$src/tools/libs/light/libxl-save-helper" "$src/tools/xl/xl" "$work/out/usr/lib/xen-$XEN_SERIES/bin/"
    rm -rf "$out"
    mv "$work/out" "$out"
    touch "$out/.complete"
}

# dom0's Xen: the unpacked packages with the rebuilt libxl, xl and save helper over them.
assemble_xen_tree() {
    local tree=$XEN_DIR/tree-${BUILT##*/build-}
    XEN_TREE=$tree
    [[ -f $tree/.complete ]] && return
    log "assembling dom0's Xen tree ($tree)..."
    rm -rf "$tree.tmp"
    cp -a "$XEN_DIR/debs-tree" "$tree.tmp"
    cp -a "$BUILT/." "$tree.tmp/"
    [[ $(ldd "$tree.tmp"/usr/lib/x86_64-linux-gnu/libxenlight.so.*.*) == *libnl-route-3* ]] \
        || die "the rebuilt libxenlight does not link libnl-route-3"
    rm -rf "$tree"
    mv "$tree.tmp" "$tree"
    touch "$tree/.complete"
    # Builds and trees of earlier keys are stale now.
    find "$XEN_DIR" -maxdepth 1 \( -name 'build-*' ! -name "${BUILT##*/}" -o -name 'tree-*' ! -name "${tree##*/}" \) \
        -exec rm -rf {} +
}

prepare() {
    need_root "xen-lab.sh prepare"
    mkdir -p "$CACHE"
    install_packages
    setup_source_apt
    choose_xen_version
    XEN_DIR=$CACHE/xen-$XEN_VERSION
    mkdir -p "$XEN_DIR"
    fetch_xen_packages
    build_libxl
    assemble_xen_tree
    local xen_gz=("$XEN_DIR"/debs-tree/boot/xen-*-amd64.gz)
    [[ -f ${xen_gz[0]} ]] || die "no boot/xen-*-amd64.gz in xen-hypervisor-$XEN_SERIES-amd64"
    # qemu's multiboot loader takes the 32-bit ELF, not the gzip Debian ships.
    [[ -f $XEN_DIR/xen.elf ]] || { gunzip -c "${xen_gz[0]}" > "$XEN_DIR/xen.elf.tmp" && mv "$XEN_DIR/xen.elf.tmp" "$XEN_DIR/xen.elf"; }
    choose_and_fetch_kernel
    local root=$CACHE/kernels/$KERNEL_PKG
    kernel_layout "$root"
    if [[ ! -f $MODDIR/modules.dep ]]; then
        log "indexing the kernel's modules (depmod)..."
        depmod -b "$root" "$KVER" || die "depmod -b $root $KVER failed"
    fi
    local stamp dom0_initrd domu_initrd
    stamp=$(initramfs_stamp "$KERNEL_PKG")
    dom0_initrd=$CACHE/dom0-initramfs-$stamp.cpio.gz
    domu_initrd=$CACHE/domu-initramfs-$stamp.cpio.gz
    if [[ -f $dom0_initrd && -f $domu_initrd ]]; then
        log "initramfs up to date ($stamp)"
    else
        log "building dom0's and the guests' initramfs..."
        build_initramfs "$dom0_initrd" "$REPO_DIR/it/kernel-lab/guest-init.sh" "${DOM0_MODULES[@]}"
        build_initramfs "$domu_initrd" "$LAB_DIR/domu-init.sh" "${DOMU_MODULES[@]}"
        find "$CACHE" -maxdepth 1 -name 'dom[0u]-initramfs-*.cpio.gz' ! -name "*-$stamp.cpio.gz" -delete
    fi
    cat > "$CACHE/current.tmp" <<EOF
XEN_VERSION=$XEN_VERSION
XEN_SERIES=$XEN_SERIES
XEN_ELF=$XEN_DIR/xen.elf
XEN_TREE=$XEN_TREE
LAB_KERNEL_PACKAGE=$KERNEL_PKG
LAB_KERNEL=$root/boot/vmlinuz-$KVER
DOM0_INITRD=$dom0_initrd
DOMU_INITRD=$domu_initrd
LAB_STAMP=$stamp
EOF
    mv "$CACHE/current.tmp" "$CACHE/current"
    log "ready: Xen $XEN_VERSION with libxl+libnl3, kernel $KVER ($KERNEL_PKG), cache $CACHE"
}

# The initramfs depend on the kernel, the init scripts and the module lists.
initramfs_stamp() {
    { printf '%s\n' "$1" "${DOM0_MODULES[@]}" "${DOMU_MODULES[@]}"
      cat "$REPO_DIR/it/kernel-lab/guest-init.sh" "$LAB_DIR/domu-init.sh"; } | sha256sum | cut -c1-16
}

# Loads $CACHE/current, preparing first when the lab is missing or stale. The packages are checked
# every time (cheap when present): the cache outlives them on a machine that purged some.
ensure_prepared() {
    local ok=0
    install_packages
    if [[ -f $CACHE/current ]]; then
        # shellcheck disable=SC1091
        . "$CACHE/current"
        [[ $(initramfs_stamp "$LAB_KERNEL_PACKAGE") == "$LAB_STAMP" && -f $XEN_ELF && -f $XEN_TREE/.complete
           && -f $LAB_KERNEL && -f $DOM0_INITRD && -f $DOMU_INITRD ]] && ok=1
        [[ -z ${NETBUF_XEN_VERSION:-} || $NETBUF_XEN_VERSION == "$XEN_VERSION" ]] || ok=0
    fi
    if [[ $ok -eq 0 ]]; then
        log "Xen lab not prepared (or out of date): running prepare first"
        prepare
        # shellcheck disable=SC1091
        . "$CACHE/current"
    fi
}

# -------------------------------------------------------------------------------------------- run

run_lab() {
    parse_run_options "$@"
    need_root "xen-lab.sh run"
    ensure_prepared
    (( RUN_MEM >= DOM0_MEM + 512 )) || die "--mem must leave room for guests: at least $(( DOM0_MEM + 512 )) MB"
    [[ $XEN_TREE != *,* && $XEN_TREE != *[[:space:]]* ]] || die "the cache's path has a comma or a blank: $XEN_TREE"
    # dom0's command starts only once Xen's services are up (dom0-up.sh); the guests' kernel and
    # initramfs are named for the checks.
    export XEN_LAB_DIR=$LAB_DIR XEN_LAB_KERNEL=$LAB_KERNEL XEN_LAB_DOMU_INITRD=$DOMU_INITRD XEN_LAB_VERSION=$XEN_VERSION
    # dom0 runs dom0-up.sh from the work tree: share it (read-only unless the caller shared it), since a
    # tree under /tmp would be hidden by dom0's fresh /tmp.
    local repo share shared=0
    repo=$(realpath "$REPO_DIR")
    for share in "${RUN_SHARES[@]}"; do
        [[ ${share#* } == "$repo" ]] && shared=1
    done
    [[ $shared -eq 1 ]] || RUN_SHARES+=("ro $repo")
    setup_run bash "$LAB_DIR/dom0-up.sh" "${RUN_CMD[@]}"
    echo xentree > "$RUN_CTL/lower"
    RUN_VIRTFS+=(-virtfs "local,path=$XEN_TREE,mount_tag=xentree,security_model=none,readonly=on,multidevs=remap")
    # dom0 registers a VGA console too: the last console= is /dev/console, the one init writes to.
    # Xen: serial console; smap/smep off (else dom0 faults in create_bounce_frame under TCG); dom0 PV.
    local xen_args="console=com1 com1=115200,8n1 conring_size=1m dom0_mem=${DOM0_MEM}M,max:${DOM0_MEM}M dom0_max_vcpus=$RUN_CPUS smap=0 smep=0"
    local dom0_args="console=tty0 console=hvc0 panic=-1"
    if [[ $RUN_VERBOSE -eq 0 ]]; then
        xen_args+=" loglvl=warning guest_loglvl=info"
        dom0_args+=" quiet loglevel=1"
    else
        xen_args+=" loglvl=all guest_loglvl=all"
        dom0_args+=" earlyprintk=xen"
    fi
    # -cpu max: Xen needs SVM with nested paging for PVH guests. Without XSAVE, AVX and the VEX-coded
    # extensions: with them programs in dom0 crashed now and then (glibc's "malloc(): corrupted top size"
    # in netbuf's JVM, the JIT's code, python3). Without AVX alone, netbuf's JVM still aborted so in 2 of
    # 4 runs of the two-guest part; without XSAVE too, in none of 10 (2026-12-03).
    local cpu=max,xsave=off,avx=off,avx2=off,fma=off,f16c=off,vaes=off,vpclmulqdq=off
    log "booting Xen $XEN_VERSION with dom0 $(basename "$LAB_KERNEL") (cpu $cpu, ${RUN_CPUS} vcpu, ${RUN_MEM} MB, dom0 ${DOM0_MEM} MB, timeout ${RUN_TIMEOUT} s)..."
    run_vm "$RUN_TIMEOUT" "$RUN_VERBOSE" "$RUN_CTL" \
        -nodefaults -no-user-config -machine pc -accel tcg,thread=multi -cpu "$cpu" -smp "$RUN_CPUS" -m "$RUN_MEM" \
        -display none -monitor none -no-reboot \
        -kernel "$XEN_ELF" -append "$xen_args" -initrd "$LAB_KERNEL $dom0_args,$DOM0_INITRD" \
        -chardev stdio,id=con,signal=off -serial chardev:con \
        "${RUN_VIRTFS[@]}"
}

test_lab() {
    local opts=() args=()
    while [[ $# -gt 0 ]]; do
        case $1 in
            --timeout|--mem|--cpus) opts+=("$1" "${2:-}"); shift 2 ;;
            --verbose) opts+=("$1"); shift ;;
            --) shift; args=("$@"); break ;;
            *) usage; die "unknown option '$1' for test" ;;
        esac
    done
    # All checks, the XenStore kits included, take 12-15 min under TCG: more than run's default timeout.
    [[ " ${opts[*]} " == *" --timeout "* ]] || opts+=(--timeout 1500)
    [[ -f $REPO_DIR/cli/target/netbuf.jar ]] || die "cli/target/netbuf.jar is missing: build it first (mvn -o -q -B -DskipTests -pl cli -am package)"
    local reference=${NETBUF_REFERENCE_DIR:-$REPO_DIR/../shared/reference}
    [[ -f $reference/remus-netbuf-setup.sh ]] || die "no Xen reference script at $reference (NETBUF_REFERENCE_DIR)"
    export NETBUF_REFERENCE_DIR=$(realpath "$reference")
    mkdir -p "$REPO_DIR/it/target/xen-lab"
    cd "$REPO_DIR"
    # The controller program is compiled here: dom0's JVM runs it interpreted (-Xint), as the JIT's code
    # crashes the JVM under qemu's -cpu max (which Xen needs).
    rm -rf it/target/xen-lab/classes
    timeout 300 javac -d it/target/xen-lab/classes -cp cli/target/netbuf.jar "$LAB_DIR/XenController.java" \
        || die "javac of $LAB_DIR/XenController.java failed"
    # The xenstore kit runs in dom0 without Maven: the class path of the host build's test classes
    # (it/target/test-classpath.txt, written by the it module's build) for dom0's JVM.
    [[ -s it/target/test-classpath.txt && -f it/target/test-classes/io/netbuf/testkit/compat/Dom0ContractMain.class ]] \
        || die "it's test classes or it/target/test-classpath.txt are missing: build them first (mvn -o -q -B -DskipTests -pl it -am test-compile)"
    printf '%s:%s:%s\n' "$REPO_DIR/it/target/test-classes" "$REPO_DIR/it/target/classes" \
        "$(cat it/target/test-classpath.txt)" > it/target/xen-lab/contract.classpath
    # The work tree is shared at its own path (dom0's /tmp is a fresh tmpfs, so a clone under /tmp would
    # be hidden), writable as the kernel lab shares it: results land in it/target/xen-lab.
    run_lab "${opts[@]}" --ro "$NETBUF_REFERENCE_DIR" --rw "$REPO_DIR" -- \
        bash "$LAB_DIR/remus-check.sh" --out "$REPO_DIR/it/target/xen-lab" "${args[@]}"
}

main() {
    local cmd=${1:-}
    [[ $# -gt 0 ]] && shift
    case $cmd in
        prepare) prepare ;;
        packages) printf '%s\n' "${APT_PACKAGES[@]}" ;;
        run) run_lab "$@" ;;
        test) test_lab "$@" ;;
        -h|--help|help) usage ;;
        *) usage; die "unknown command '${cmd}'" ;;
    esac
}

main "$@"
