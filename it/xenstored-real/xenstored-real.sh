#!/usr/bin/env bash
# Xen's own XenStore daemons for netbuf's tests: the C xenstored and the OCaml oxenstored of Debian's
# xen-utils-4.17, fetched with apt-get download and unpacked with dpkg -x (never installed), run without
# a hypervisor through an LD_PRELOAD shim (xenshim.c beside this file, compiled here with gcc).
# See README.md beside this file.
#
#   xenstored-real.sh prepare            fetch + unpack (cached per package version), build the shim;
#                                        prints KEY=VALUE lines (XENSTORED, OXENSTORED, LIBS, SHIM, VERSION)
#   xenstored-real.sh run c|ocaml DIR    prepare, then run that daemon in the foreground, its socket DIR/socket
#
# Environment: NETBUF_XENSTORED_CACHE (cache dir, default /var/cache/netbuf-xenstored as root,
# ~/.cache/netbuf-xenstored otherwise), NETBUF_XENSTORED_VERSION (a version of xen-utils-4.17 to use
# instead of apt's candidate).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ $(id -u) -eq 0 ]]; then
    CACHE=${NETBUF_XENSTORED_CACHE:-/var/cache/netbuf-xenstored}
else
    CACHE=${NETBUF_XENSTORED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netbuf-xenstored}
fi
# The daemons and the libraries they load (all built from Xen's source package, so one version).
PACKAGES=(xen-utils-4.17 libxenctrl4.17 libxenmisc4.17 libxenevtchn1 libxengnttab1 libxencall1
          libxenforeignmemory1 libxendevicemodel1 libxentoollog1 libxentoolcore1)

log() { printf '[xenstored-real] %s\n' "$*" >&2; }
die() { printf '[xenstored-real] ERROR: %s\n' "$*" >&2; exit 2; }

usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# apt's candidate version of xen-utils-4.17, or empty.
candidate() {
    timeout 60 apt-cache policy xen-utils-4.17 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# The packages that exist in this release (libxenctrl is inside libxenmisc4.17 on bookworm).
present_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        if timeout 60 apt-cache show --no-all-versions "$p" >/dev/null 2>&1; then
            printf '%s\n' "$p"
        fi
    done
}

# Downloads every package at version $1 into $2 (apt-get download: no install, no root needed).
download() {
    local version=$1 dir=$2 p args=()
    while read -r p; do args+=("$p=$version"); done < <(present_packages)
    [[ ${#args[@]} -gt 0 ]] || return 1
    log "apt-get download ${args[*]}"
    (cd "$dir" && timeout 300 apt-get download -q "${args[@]}" >&2)
}

# Makes $CACHE/$version/root hold the unpacked packages; prints that version directory.
fetch() {
    local version=${NETBUF_XENSTORED_VERSION:-$(candidate)} dir tmp deb
    if [[ -z $version ]]; then
        # No candidate (offline, or lists not fetched yet): the newest version already cached will do.
        version=$(ls -1 "$CACHE" 2>/dev/null | sort -V | tail -n 1 || true)
        [[ -n $version && -f $CACHE/$version/complete ]] \
            || { log "no candidate for xen-utils-4.17: apt-get update"; refresh_lists; version=$(candidate); }
        [[ -n $version ]] || die "apt knows no xen-utils-4.17 (a Debian bookworm package): cannot fetch Xen's xenstored"
    fi
    dir=$CACHE/$version
    if [[ -f $dir/complete ]]; then
        printf '%s\n' "$dir"
        return
    fi
    mkdir -p "$CACHE"
    tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
    chmod 0755 "$tmp"   # apt-get download writes as _apt when it can
    trap 'rm -rf "$tmp"' EXIT
    if ! download "$version" "$tmp"; then
        log "download failed: refreshing the package lists once"
        refresh_lists
        download "$version" "$tmp" || die "apt-get download of xen-utils-4.17 $version failed"
    fi
    mkdir -p "$tmp/root"
    for deb in "$tmp"/*.deb; do
        dpkg -x "$deb" "$tmp/root"
    done
    [[ -x $tmp/root/usr/lib/xen-4.17/bin/xenstored && -x $tmp/root/usr/lib/xen-4.17/bin/oxenstored ]] \
        || die "xen-utils-4.17 $version holds no xenstored/oxenstored under /usr/lib/xen-4.17/bin"
    rm -f "$tmp"/*.deb
    rm -rf "$dir"
    mv "$tmp" "$dir"
    trap - EXIT
    touch "$dir/complete"
    log "unpacked xen-utils-4.17 $version into $dir"
    printf '%s\n' "$dir"
}

refresh_lists() {
    if [[ $(id -u) -eq 0 ]]; then
        timeout 600 apt-get update -q >&2 || log "apt-get update failed"
    else
        log "not root: cannot run apt-get update"
    fi
}

# Compiles the shim into $1 when missing or older than its source; prints its path.
shim() {
    local dir=$1 src=$HERE/xenshim.c out sum
    sum=$(sha256sum "$src" | cut -c1-16)
    out=$dir/xenshim-$sum.so
    if [[ ! -f $out ]]; then
        command -v gcc >/dev/null || die "gcc is needed to build the shim ($src)"
        log "gcc $src"
        timeout 120 gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$out.tmp" "$src" -ldl
        mv "$out.tmp" "$out"
    fi
    printf '%s\n' "$out"
}

prepare() {
    local dir bin shim_so
    dir=$(fetch)
    shim_so=$(shim "$dir")
    bin=$dir/root/usr/lib/xen-4.17/bin
    printf 'VERSION=%s\n' "$(basename "$dir")"
    printf 'XENSTORED=%s\n' "$bin/xenstored"
    printf 'OXENSTORED=%s\n' "$bin/oxenstored"
    printf 'LIBS=%s\n' "$dir/root/usr/lib/x86_64-linux-gnu:$dir/root/usr/lib/xen-4.17/lib/x86_64-linux-gnu"
    printf 'SHIM=%s\n' "$shim_so"
}

run() {
    local flavour=${1:-} dir=${2:-} env_lines
    [[ -n $flavour && -n $dir ]] || usage
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    env_lines=$(prepare)
    local XENSTORED OXENSTORED LIBS SHIM VERSION
    eval "$(printf '%s\n' "$env_lines" | sed 's/=\(.*\)/="\1"/')"
    export NETBUF_XENSHIM_DIR=$dir XENSTORED_RUNDIR=$dir LD_LIBRARY_PATH=$LIBS
    log "xen-utils-4.17 $VERSION: socket $dir/socket (XENSTORED_PATH=$dir/socket)"
    case $flavour in
        c) exec env LD_PRELOAD="$SHIM" "$XENSTORED" --no-fork --pid-file "$dir/pid" --trace-file "$dir/trace" ;;
        ocaml)
            cat > "$dir/oxenstored.conf" <<CONF
pid-file = $dir/pid
xenstored-kva = $dir/xsd_kva
xenstored-port = $dir/xsd_port
xenstored-log-file = $dir/xenstored.log
access-log-file = $dir/access.log
persistent = false
CONF
            exec env LD_PRELOAD="$SHIM" "$OXENSTORED" --no-fork --config-file "$dir/oxenstored.conf" ;;
        *) usage ;;
    esac
}

case ${1:-} in
    prepare) prepare ;;
    run) shift; run "$@" ;;
    *) usage ;;
esac
