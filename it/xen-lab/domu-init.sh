#!/bin/busybox sh
# PID 1 of the Xen lab's guests (a PVH domU; copied into their initramfs by xen-lab.sh prepare, never
# run on the host). Loads xen-netfront, configures eth0 from the kernel command line
# (netbuf.ip4=A.B.C.D/N netbuf.ip6=ADDR/N) and then only answers: ping, ping -6, ARP. Prints
# "NETBUF-DOMU: up" on its console when the network is configured.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r mod; do
    [ -n "$mod" ] && insmod "/lib/lab-modules/$mod.ko"
done < /etc/lab-modules
ip4="" ip6=""
for arg in $(cat /proc/cmdline); do
    case $arg in
        netbuf.ip4=*) ip4=${arg#netbuf.ip4=} ;;
        netbuf.ip6=*) ip6=${arg#netbuf.ip6=} ;;
    esac
done
ip link set lo up
for _ in $(seq 100); do
    [ -e /sys/class/net/eth0 ] && break
    sleep 0.1
done
[ -n "$ip4" ] && ip addr add "$ip4" dev eth0
# No duplicate address detection (busybox's ip has no "nodad"): the address is usable at once.
echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad
[ -n "$ip6" ] && ip addr add "$ip6" dev eth0
ip link set eth0 up
echo "NETBUF-DOMU: up $ip4 $ip6"
while true; do sleep 3600; done
