#!/bin/busybox sh
# PID 1 of the kernel lab's initramfs (copied in by lab.sh prepare; never run on the host).
#
# Loads the modules listed in /etc/lab-modules (dependencies first), builds the guest's root as an
# overlay of the host's root (9p tag "hostroot", read-only; under an extra read-only layer when the
# control share's file "lower" names its 9p tag) under a tmpfs upper layer, mounts the
# run's control share (tag "labctl") and the host directories listed in it (rw or ro), runs
# /run/netbuf-lab/run.sh chrooted into that root with stdout and stderr appended to files on the
# control share (lab.sh streams them), writes the exit status there too and powers off. Whatever happens, it ends in poweroff -f.

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

ROOT=/newroot
P9OPTS=trans=virtio,version=9p2000.L,msize=512000

say() { echo "[lab-guest] $*"; }

die() {
    echo "[lab-guest] ERROR: $*"
    sync
    poweroff -f
    sleep 5
    exit 1
}

mount -t proc proc /proc || die "cannot mount /proc"
mount -t sysfs sysfs /sys || die "cannot mount /sys"
mount -t devtmpfs devtmpfs /dev || die "cannot mount /dev"

while read -r mod; do
    [ -n "$mod" ] || continue
    insmod "/lib/lab-modules/$mod.ko" || die "cannot load kernel module $mod"
done < /etc/lab-modules

mkdir -p /ctl /lower /layer "$ROOT"
mount -t 9p -o "$P9OPTS,cache=none" labctl /ctl || die "cannot mount the control share (9p tag labctl)"
mount -t 9p -o "$P9OPTS,ro,cache=loose" hostroot /lower || die "cannot mount the host root (9p tag hostroot)"
mount -t tmpfs -o mode=755 layer /layer || die "cannot mount the overlay's tmpfs"
mkdir -p /layer/upper /layer/work
# An extra read-only layer over the host root (the Xen lab's unpacked Xen), when the run names its 9p tag.
LOWER=/lower
if [ -f /ctl/lower ]; then
    read -r tag < /ctl/lower
    mkdir -p /extra
    mount -t 9p -o "$P9OPTS,ro,cache=loose" "$tag" /extra || die "cannot mount the extra layer (9p tag $tag)"
    LOWER=/extra:/lower
fi
mount -t overlay -o lowerdir=$LOWER,upperdir=/layer/upper,workdir=/layer/work overlay "$ROOT" \
    || die "cannot mount the overlay root (lower = host root over 9p, upper = tmpfs)"

mount -t proc proc "$ROOT/proc" || die "cannot mount the guest's /proc"
mount -t sysfs sysfs "$ROOT/sys" || die "cannot mount the guest's /sys"
mount -t devtmpfs devtmpfs "$ROOT/dev" || die "cannot mount the guest's /dev"
mkdir -p "$ROOT/dev/pts" "$ROOT/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$ROOT/dev/pts" || die "cannot mount /dev/pts"
mount -t tmpfs -o mode=1777 shm "$ROOT/dev/shm" || die "cannot mount /dev/shm"
ln -sfn /proc/self/fd "$ROOT/dev/fd"
ln -sfn /proc/self/fd/0 "$ROOT/dev/stdin"
ln -sfn /proc/self/fd/1 "$ROOT/dev/stdout"
ln -sfn /proc/self/fd/2 "$ROOT/dev/stderr"
[ -e "$ROOT/dev/ptmx" ] || ln -sfn pts/ptmx "$ROOT/dev/ptmx"
mount -t tmpfs -o mode=1777 tmp "$ROOT/tmp" || die "cannot mount /tmp"
mount -t tmpfs -o mode=755 run "$ROOT/run" || die "cannot mount /run"
mkdir -p "$ROOT/var/log"
mount -t tmpfs -o mode=755 log "$ROOT/var/log" || die "cannot mount /var/log"
if [ ! -L "$ROOT/var/run" ]; then
    rm -rf "$ROOT/var/run"
    ln -s /run "$ROOT/var/run"
fi
mkdir -p "$ROOT/run/netbuf-lab" "$ROOT/run/lock"
mount --bind /ctl "$ROOT/run/netbuf-lab" || die "cannot bind the control share"

# Shared host directories: one "TAG rw|ro PATH" line each, mounted over the same path in the guest.
if [ -f /ctl/shares ]; then
    while read -r tag mode path; do
        [ -n "$tag" ] || continue
        opts="$P9OPTS,cache=mmap"
        [ "$mode" = ro ] && opts="$P9OPTS,ro,cache=loose"
        mkdir -p "$ROOT$path"
        mount -t 9p -o "$opts" "$tag" "$ROOT$path" || die "cannot mount shared directory $path ($mode)"
    done < /ctl/shares
fi

hostname netbuf-lab
ip link set lo up || die "cannot bring lo up"

# lab.sh times the boot up to this exact line, and streams the two files to its stdout and stderr.
echo "NETBUF-LAB: command starting"
chroot "$ROOT" /bin/bash /run/netbuf-lab/run.sh < /dev/null >> /ctl/stdout 2>> /ctl/stderr
rc=$?
echo "$rc" > /ctl/rc.tmp && mv /ctl/rc.tmp /ctl/rc
echo "NETBUF-LAB: command exited $rc"
sync
poweroff -f
