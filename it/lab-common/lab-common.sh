# Shared by the kernel lab (it/kernel-lab/lab.sh) and the Xen lab (it/xen-lab/xen-lab.sh); sourced, never run.
# Each lab sets LAB_TAG (its log prefix) and CACHE (its cache directory) before sourcing this file, and
# APT_PACKAGES before calling install_packages.
#
#   logging and cleanup    log, die, TEMP_DIRS / HELPER_PIDS removed/ended on exit, need_root
#   packages               apt_update_once, install_packages
#   the Debian kernel      kernel_candidates, choose_and_fetch_kernel, fetch_kernel, kernel_layout
#   initramfs              build_initramfs (static busybox, an init script, modules in load order)
#   running a VM           write_env_exports, console_reader, run_vm (stream the command's output,
#                          always power off, pass the exit status through)

LAB_TAG=${LAB_TAG:-lab}

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

log() { printf '[%s] %s\n' "$LAB_TAG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$LAB_TAG" "$*" >&2; exit 2; }
# Exit status when the guest died (kernel panic) while the command ran: no verdict was reached.
GUEST_DIED=75

need_root() {
    [[ $(id -u) -eq 0 ]] || die "$1 needs root (apt-get, and 9p must read the whole host root)"
}

# ---------------------------------------------------------------------------------------- prepare

APT_UPDATED=0
apt_update_once() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update..."
        timeout 900 apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || die "apt-get update failed"
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
    DEBIAN_FRONTEND=noninteractive timeout 1800 apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
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
    if ! (cd "$work" && timeout 900 apt-get -o APT::Sandbox::User=root download "$pkg" >&2); then
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

# build_initramfs OUT INIT MODULE...: an initramfs with static busybox, INIT as /init and the MODULEs of
# the kernel in MODDIR (kernel_layout), decompressed, in load order in /lib/lab-modules (the order in
# /etc/lab-modules); modules built into the kernel are skipped, a trailing "?" marks an optional one.
build_initramfs() {
    local out=$1 init=$2 staging busybox_bin
    shift 2
    busybox_bin=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
    staging=$(mktemp -d "$CACHE/initramfs.XXXXXX")
    TEMP_DIRS+=("$staging")
    mkdir -p "$staging"/{bin,dev,proc,sys,etc,lib/lab-modules}
    cp "$busybox_bin" "$staging/bin/busybox"
    cp "$init" "$staging/init"
    chmod 755 "$staging/init"
    MOD_PATH=() MOD_DONE=() MOD_ORDER=()
    index_modules
    local m
    for m in "$@"; do
        add_module "$m" "$staging"
    done
    printf '%s\n' "${MOD_ORDER[@]}" > "$staging/etc/lab-modules"
    log "initramfs modules ($(basename "$out")): ${MOD_ORDER[*]}"
    (cd "$staging" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$out.tmp"
    mv "$out.tmp" "$out"
    rm -rf "$staging"
}

# -------------------------------------------------------------------------------------------- run

# Variables that describe the host shell rather than the run.
skip_env() {
    case $1 in
        BASH*|SHLVL|PWD|OLDPWD|_|HOSTNAME|TERM|COLUMNS|LINES|SSH_*|DISPLAY|XAUTHORITY|DBUS_*|XDG_*) return 0 ;;
        *) return 1 ;;
    esac
}

# Prints `export NAME=value` for the caller's exported environment (minus skip_env), for a run script.
write_env_exports() {
    local name
    for name in $(compgen -e); do
        skip_env "$name" && continue
        printf 'export %s=%q\n' "$name" "${!name}"
    done
}

# parse_run_options ARGS...: the options of `run` (usage: the lab's usage function; DEFAULT_TIMEOUT,
# DEFAULT_MEM and DEFAULT_CPUS its defaults) into RUN_TIMEOUT, RUN_MEM, RUN_CPUS, RUN_VERBOSE,
# RUN_SHARES ("rw PATH" or "ro PATH", each mounted over the same path in the guest) and RUN_CMD.
parse_run_options() {
    RUN_TIMEOUT=$DEFAULT_TIMEOUT RUN_MEM=$DEFAULT_MEM RUN_CPUS=$DEFAULT_CPUS RUN_VERBOSE=0 RUN_SHARES=()
    while [[ $# -gt 0 ]]; do
        case $1 in
            --timeout) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--timeout needs seconds"; RUN_TIMEOUT=$2; shift 2 ;;
            --mem) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--mem needs megabytes"; RUN_MEM=$2; shift 2 ;;
            --cpus) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--cpus needs a count"; RUN_CPUS=$2; shift 2 ;;
            --rw|--ro) [[ -d ${2:-} ]] || die "$1 needs an existing directory (got '${2:-}')"
                  [[ $2 != *,* && $2 != *[[:space:]]* ]] \
                      || die "$1: cannot share a path with a comma or a blank ($2)"
                  RUN_SHARES+=("${1#--} $(realpath "$2")"); shift 2 ;;
            --verbose) RUN_VERBOSE=1; shift ;;
            --) shift; break ;;
            -h|--help) usage; exit 0 ;;
            *) usage; die "unknown option '$1' (the command goes after --)" ;;
        esac
    done
    [[ $# -gt 0 ]] || { usage; die "no command given (run [OPTIONS] -- CMD ARGS...)"; }
    (( RUN_TIMEOUT >= 30 )) || die "--timeout must be at least 30 s (boot alone takes 5-10 s)"
    RUN_CMD=("$@")
}

# setup_run CMD...: the run's control directory RUN_CTL (run.sh for CMD, the list of shares) and
# RUN_VIRTFS, qemu's options for the host root, the control share, RUN_SHARES and the modules of
# LAB_KERNEL (shared explicitly: a cache under /tmp or /run would be hidden by the guest's fresh tmpfs).
setup_run() {
    LAB_MODULES=$(realpath "${LAB_KERNEL%/boot/*}/lib/modules/${LAB_KERNEL##*/vmlinuz-}")
    [[ $LAB_MODULES != *,* && $LAB_MODULES != *[[:space:]]* ]] \
        || die "the lab cache's path has a comma or a blank, which qemu cannot share: $LAB_MODULES (set the lab's cache variable)"
    local shares=("${RUN_SHARES[@]}" "ro $LAB_MODULES")
    RUN_CTL=$(mktemp -d /tmp/netbuf-lab.XXXXXX)
    TEMP_DIRS+=("$RUN_CTL")
    write_run_script "$RUN_CTL" "$RUN_TIMEOUT" "$@"
    RUN_VIRTFS=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
                -virtfs "local,path=$RUN_CTL,mount_tag=labctl,security_model=none")
    local i=0 share mode dir ro
    : > "$RUN_CTL/shares"
    for share in "${shares[@]}"; do
        mode=${share%% *} dir=${share#* } ro=""
        [[ $mode == ro ]] && ro=",readonly=on"
        RUN_VIRTFS+=(-virtfs "local,path=$dir,mount_tag=labshare$i,security_model=none,multidevs=remap$ro")
        printf 'labshare%d %s %s\n' "$i" "$mode" "$dir" >> "$RUN_CTL/shares"
        i=$((i + 1))
    done
    # A directory before those inside it, so that a share inside another stays visible.
    sort -k3,3 -o "$RUN_CTL/shares" "$RUN_CTL/shares"
}

# write_run_script CTL TIMEOUT CMD...: CTL/run.sh, the guest's run of CMD with the caller's environment,
# in the caller's directory, with the kernel's modules (LAB_MODULES) where an installed kernel has them.
write_run_script() {
    local ctl=$1 timeout=$2
    shift 2
    {
        echo '#!/bin/bash'
        echo '# Generated by the lab: the command of one lab run, with the caller'\''s environment.'
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

# Console lines matching this (an extended regex) are hidden unless --verbose (the Xen lab hides Xen's own).
CONSOLE_QUIET_RE=${CONSOLE_QUIET_RE:-}

# Reads the guest console: shows it on stderr and notes when the command started.
console_reader() {
    local start=$1 started_file=$2 verbose=$3 line
    while IFS= read -r line || [[ -n $line ]]; do
        # Xen's serial console ends a line with two carriage returns, Linux's with one.
        while [[ $line == *$'\r' ]]; do line=${line%$'\r'}; done
        if [[ $line == *"NETBUF-LAB: command starting" ]]; then
            local now=$EPOCHREALTIME
            local ms=$(( (${now/./} - ${start/./}) / 1000 ))
            printf '%d\n' "$ms" > "$started_file"
            log "$(printf 'booted in %d.%03d s (qemu start to command start)' $((ms / 1000)) $((ms % 1000)))"
            continue
        fi
        [[ $line == *NETBUF-LAB:* ]] && continue
        [[ $verbose -eq 0 && $line == *"reboot: Power down" ]] && continue
        [[ $verbose -eq 0 && -n $CONSOLE_QUIET_RE && $line =~ $CONSOLE_QUIET_RE ]] && continue
        printf '%s\n' "$line" >&2
    done
}

# run_vm TIMEOUT VERBOSE CTL QEMU_ARGS...: runs qemu-system-x86_64 with QEMU_ARGS (console on its
# stdio) under TIMEOUT, streams the command's stdout/stderr from CTL (a control directory the guest
# shares writable), and exits with the command's status from CTL/rc: 124 on timeout, GUEST_DIED when
# the guest died without a status, 2 when the lab failed.
run_vm() {
    local timeout=$1 verbose=$2 ctl=$3
    shift 3
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
    # qemu runs in the background so that a signal to the lab is handled at once: the exit trap ends
    # timeout, which ends qemu. Its console comes through a fifo to console_reader.
    mkfifo "$ctl/console"
    local start=$EPOCHREALTIME qemu_rc=0
    timeout --kill-after=5 "$timeout" qemu-system-x86_64 "$@" < /dev/null > "$ctl/console" 2>&1 &
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
