#!/usr/bin/env bash
# Smoke test of the kernel lab, run inside it:  it/kernel-lab/lab.sh run -- it/kernel-lab/smoke.sh
#
# Builds the Remus output buffer by hand in two throwaway network namespaces: a veth "vif" in
# "dom0" whose peer eth0 sits in "domU", the vif's ingress redirected (protocol all, u32 match-all,
# mirred) to an IFB whose root qdisc is a plug. Then checks, by ICMP echo counters in dom0 and the
# plug's backlog, that the plug holds IPv4 and IPv6 packets, that block + release lets out exactly
# the closed epoch, and that release_indefinite lets everything through. Exit status 0 = all checks
# passed, 1 = a check failed, 2 = the setup failed (e.g. no sch_plug: not inside the lab).
set -euo pipefail

DOM0=nbsmoke-dom0-$$
DOMU=nbsmoke-domu-$$
VIF=vif1.0
IFB=ifb0
FAILED=0

say() { printf '[smoke] %s\n' "$*" >&2; }
setup_failed() { say "SETUP FAILED: $*"; exit 2; }

cleanup() {
    ip netns del "$DOM0" 2>/dev/null || true
    ip netns del "$DOMU" 2>/dev/null || true
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || setup_failed "needs root"
for tool in ip tc ping awk; do
    command -v "$tool" >/dev/null || setup_failed "$tool not found"
done

check() {
    local what=$1 actual=$2 expected=$3
    if [[ $actual == "$expected" ]]; then
        say "ok    $what: $actual"
    else
        say "FAIL  $what: got $actual, expected $expected"
        FAILED=1
    fi
}

# ICMP echo requests that reached dom0's IPv4 / IPv6 stack (per-namespace counters).
echos4() { ip netns exec "$DOM0" awk '$1 == "Icmp:" { if (!n) { for (i = 1; i <= NF; i++) if ($i == "InEchos") n = i; next } print $n }' /proc/net/snmp; }
echos6() { ip netns exec "$DOM0" awk '$1 == "Icmp6InEchos" { print $2 }' /proc/net/snmp6; }
# Packets the plug holds.
backlog() { tc -n "$DOM0" -s qdisc show dev "$IFB" | sed -n 's/.*backlog [0-9]*[KMG]*b \([0-9]*\)p.*/\1/p' | head -n 1; }
plug() { tc -n "$DOM0" qdisc change dev "$IFB" root plug "$@"; }

# Sends COUNT echo requests from domU; prints "answered" or "unanswered".
pings() {
    local count=$1
    shift
    if ip netns exec "$DOMU" ping -q -c "$count" -i 0.2 -W 1 "$@" >/dev/null 2>&1; then
        echo answered
    else
        echo unanswered
    fi
}

settle() { sleep 0.5; }

# Waits until domU's eth0 has sent nothing for 1.5 s (at most 15 s).
wait_quiet() {
    local last=-1 now i
    for ((i = 0; i < 10; i++)); do
        now=$(ip -n "$DOMU" -s -o link show eth0 | awk '{for (i = 1; i <= NF; i++) if ($i == "TX:") {print $(i + 9); exit}}')
        [[ $now == "$last" ]] && return 0
        last=$now
        sleep 1.5
    done
    setup_failed "domU keeps sending packets of its own"
}

say "setting up dom0/domU namespaces, veth $VIF, $IFB, ingress redirect and plug"
ip netns add "$DOM0" || setup_failed "ip netns add"
ip netns add "$DOMU" || setup_failed "ip netns add"
# domU stays quiet on its own (no router solicitations, no DAD), so the plug's backlog counts only
# the packets this test sends; the few MLD reports it must send are waited out below.
ip netns exec "$DOMU" sysctl -qw net.ipv6.conf.default.router_solicitations=0 \
    net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.dad_transmits=0 || setup_failed "sysctl"
ip -n "$DOM0" link add "$VIF" type veth peer name eth0 netns "$DOMU" || setup_failed "veth"
ip -n "$DOM0" link add "$IFB" type ifb || setup_failed "ifb (module ifb)"
# The host's own IPv6 chatter on the IFB (MLD reports, router solicitations) would go through the
# plug too and skew its backlog.
ip netns exec "$DOM0" sysctl -qw "net.ipv6.conf.$IFB.disable_ipv6=1" || setup_failed "sysctl"
ip -n "$DOM0" addr add 10.77.0.1/24 dev "$VIF"
ip -n "$DOM0" addr add fd77::1/64 dev "$VIF" nodad
ip -n "$DOMU" addr add 10.77.0.2/24 dev eth0
ip -n "$DOMU" addr add fd77::2/64 dev eth0 nodad
for l in lo "$VIF" "$IFB"; do ip -n "$DOM0" link set "$l" up; done
for l in lo eth0; do ip -n "$DOMU" link set "$l" up; done
# Static neighbours: the counts below are then ICMP echoes only, not ARP or neighbour discovery.
vif_mac=$(ip -n "$DOM0" -o link show "$VIF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
eth_mac=$(ip -n "$DOMU" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$DOMU" neigh add 10.77.0.1 lladdr "$vif_mac" dev eth0 nud permanent
ip -n "$DOMU" neigh add fd77::1 lladdr "$vif_mac" dev eth0 nud permanent
ip -n "$DOM0" neigh add 10.77.0.2 lladdr "$eth_mac" dev "$VIF" nud permanent
ip -n "$DOM0" neigh add fd77::2 lladdr "$eth_mac" dev "$VIF" nud permanent

check "before buffering, IPv4 ping" "$(pings 1 10.77.0.1)" answered
wait_quiet
base4=$(echos4)
base6=$(echos6)

tc -n "$DOM0" qdisc add dev "$VIF" ingress || setup_failed "ingress qdisc (module sch_ingress)"
tc -n "$DOM0" filter add dev "$VIF" parent ffff: protocol all prio 10 u32 match u32 0 0 \
    action mirred egress redirect dev "$IFB" || setup_failed "redirect filter (modules cls_u32, act_mirred)"
tc -n "$DOM0" qdisc add dev "$IFB" root plug limit 10000000 \
    || setup_failed "plug qdisc (module sch_plug): run this inside the lab: it/kernel-lab/lab.sh run -- $0"

say "epoch 1: 3 IPv4 + 2 IPv6 echo requests while plugged"
check "IPv4 ping while plugged" "$(pings 3 10.77.0.1)" unanswered
check "IPv6 ping while plugged" "$(pings 2 -6 fd77::1)" unanswered
settle
check "IPv4 echoes reaching dom0" "$(( $(echos4) - base4 ))" 0
check "IPv6 echoes reaching dom0" "$(( $(echos6) - base6 ))" 0
check "plug backlog" "$(backlog)" 5

say "block (close epoch 1), then epoch 2: 2 IPv4 echo requests"
plug block
check "IPv4 ping in epoch 2" "$(pings 2 10.77.0.1)" unanswered
settle
check "plug backlog" "$(backlog)" 7
check "IPv4 echoes reaching dom0" "$(( $(echos4) - base4 ))" 0

say "release: exactly epoch 1 goes out"
plug release
settle
check "IPv4 echoes reaching dom0" "$(( $(echos4) - base4 ))" 3
check "IPv6 echoes reaching dom0" "$(( $(echos6) - base6 ))" 2
check "plug backlog (epoch 2 still held)" "$(backlog)" 2

say "release_indefinite: the rest goes out and the plug passes everything"
plug release_indefinite
settle
check "IPv4 echoes reaching dom0" "$(( $(echos4) - base4 ))" 5
check "plug backlog" "$(backlog)" 0
check "IPv4 ping after release_indefinite" "$(pings 3 10.77.0.1)" answered
check "IPv6 ping after release_indefinite" "$(pings 1 -6 fd77::1)" answered
check "IPv4 echoes reaching dom0" "$(( $(echos4) - base4 ))" 8

say "block again: buffering resumes"
plug block
check "IPv4 ping after block" "$(pings 1 10.77.0.1)" unanswered
settle
check "plug backlog" "$(backlog)" 1
check "IPv4 echoes reaching dom0" "$(( $(echos4) - base4 ))" 8

if [[ $FAILED -ne 0 ]]; then
    say "FAILED"
    exit 1
fi
say "all checks passed"
