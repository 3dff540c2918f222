#!/bin/sh
# Runs a command as root in a throwaway copy of this machine's root: an overlay whose lower layer is /
# (read-only: nothing reaches the host) and whose upper layer is UPPER_DIR, so what the command changes
# (a package installed with dpkg, logs, caches) stays there for the next run and for inspection, and
# vanishes with the directory. The command runs chrooted, in private mount and network namespaces (only
# `lo`, down), with fresh /proc, /sys, /run, /tmp and a minimal /dev.
# Usage: throwaway-root.sh [--bind DIR]... [--dev-log SOCKET] UPPER_DIR CMD [ARGS...]
#   --bind DIR         shares a host directory at the same path (read-write), e.g. a test's sockets
#   --dev-log SOCKET   a syslog socket to show as /dev/log
# Needs root, unshare and overlayfs (what the kernel lab's guest uses too, without qemu).
set -eu

binds=
dev_log=
while [ $# -gt 0 ]; do
    case $1 in
        --bind) binds="$binds $2"; shift 2 ;;
        --dev-log) dev_log=$2; shift 2 ;;
        *) break ;;
    esac
done
[ $# -ge 2 ] || { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "throwaway-root: needs root" >&2; exit 2; }
upper=$(readlink -f "$1")
shift
mkdir -p "$upper/upper" "$upper/work" "$upper/root"

# shellcheck disable=SC2016 # expanded by the inner shell
exec unshare --mount --net --propagation private sh -euc '
    top=$1 binds=$2 dev_log=$3
    shift 3
    root=$top/root
    mount -t overlay netbuf-throwaway -o "lowerdir=/,upperdir=$top/upper,workdir=$top/work" "$root"
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount -t tmpfs -o mode=0755 tmpfs "$root/run"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    mount -t tmpfs -o mode=0755 tmpfs "$root/dev"
    for node in null zero full random urandom tty; do
        touch "$root/dev/$node"
        mount --bind "/dev/$node" "$root/dev/$node"
    done
    ln -s /proc/self/fd "$root/dev/fd"
    ln -s /proc/self/fd/0 "$root/dev/stdin"
    ln -s /proc/self/fd/1 "$root/dev/stdout"
    ln -s /proc/self/fd/2 "$root/dev/stderr"
    if [ -n "$dev_log" ]; then
        touch "$root/dev/log"
        mount --bind "$dev_log" "$root/dev/log"
    fi
    for dir in $binds; do
        mkdir -p "$root$dir"
        mount --bind "$dir" "$root$dir"
    done
    ip link set lo up
    exec chroot "$root" "$@"
' sh "$upper" "$binds" "$dev_log" "$@"
