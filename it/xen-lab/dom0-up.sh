#!/bin/bash
# Run in the Xen lab's dom0 (by xen-lab.sh run, never on the host): brings Xen's services up the way
# Debian's /etc/init.d/xen does -- the Xen and network modules, xenfs, xenstored, xenconsoled, dom0's
# XenStore records -- then the lab's network (bridge xenbr0 with 10.99.0.1/24 and fd00:99::1/64, four
# IFBs: systemd's modprobe.d sets numifbs=0), holds the network's static keys on, and runs the command
# given. Exit 2 when a service fails.
set -euo pipefail

say() { printf '[xen-lab dom0] %s\n' "$*" >&2; }
die() { printf '[xen-lab dom0] ERROR: %s\n' "$*" >&2; exit 2; }

start=$SECONDS
series=$(cut -d. -f1,2 <<< "${XEN_LAB_VERSION:?set by xen-lab.sh}")
bin=/usr/lib/xen-$series/bin
export PATH=$bin:/usr/sbin:/usr/bin:/sbin:/bin

for m in xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-netback bridge ifb sch_plug sch_ingress \
         act_mirred cls_u32 nlmon dummy; do
    modprobe "$m" || die "modprobe $m failed"
done
mountpoint -q /proc/xen || mount -t xenfs xenfs /proc/xen || die "cannot mount xenfs on /proc/xen"
[[ -r /sys/hypervisor/version/major ]] || die "no /sys/hypervisor: dom0 is not running on Xen"

mkdir -p /run/xenstored /var/lib/xen /var/lib/xenstored /var/log/xen /run/xen /run/xen-hotplug
XENSTORED_ROOTDIR=/var/lib/xenstored timeout 30 "$bin/xenstored" --pid-file /run/xenstore.pid \
    || die "xenstored did not start"
for _ in $(seq 100); do
    xenstore-read / >/dev/null 2>&1 && break
    sleep 0.1
done
xenstore-read / >/dev/null 2>&1 || die "xenstored does not answer after 10 s"
timeout 30 "$bin/xen-init-dom0" >/dev/null || die "xen-init-dom0 failed"
mkdir -p /var/log/xen/console
timeout 30 "$bin/xenconsoled" --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console || die "xenconsoled did not start"

ip link add xenbr0 type bridge || die "cannot add bridge xenbr0"
ip link set xenbr0 type bridge forward_delay 0 stp_state 0
ip addr add 10.99.0.1/24 dev xenbr0
ip addr add fd00:99::1/64 dev xenbr0 nodad
ip link set xenbr0 up
for i in 0 1 2 3; do
    ip link add "ifb$i" type ifb || die "cannot add ifb$i"
done
# Under qemu, dom0 (a PV kernel) now and then dies when it switches a static key while another vCPU
# receives packets: the int3 that the text patch leaves for a moment is taken as a real breakpoint
# ("int3" oops in __netif_receive_skb_core under ifb_ri_tasklet). Every ping switches the receive
# timestamp key on and off, and the first and last ingress qdisc switch the ingress keys: held on here
# (a socket asking for timestamps, an ingress qdisc on a dummy device), they are switched once, now.
ip link add keyhold0 type dummy && tc qdisc add dev keyhold0 ingress || die "cannot hold the ingress keys"
setsid python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_TIMESTAMP, 1)
time.sleep(1e9)' < /dev/null > /dev/null 2>&1 &
say "Xen $(xl info 2>/dev/null | awk '/^xen_version/ {print $3}') services up in $(( SECONDS - start )) s: xenstored, xenconsoled, xenbr0, ifb0-3"
exec "$@"
