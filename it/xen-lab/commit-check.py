#!/usr/bin/env python3
"""Output commit, checked from two captures taken in the Xen lab's dom0 (by remus-check.sh).

usage: commit-check.py BRIDGE.pcap NETLINK.pcap GUEST_MAC GUEST_IP4 GUEST_IP6 [--expect-leak ipv6,arp]
                       [--ifindex N] [--sent VIF.pcap]

BRIDGE.pcap is tcpdump on xenbr0 (what dom0 sees of the guest, after the plug); NETLINK.pcap is tcpdump
on an nlmon device: every netlink message, among them libxl's plug actions (RTM_NEWQDISC, kind "plug",
action BUFFER 0 when a checkpoint closes an epoch, RELEASE_ONE 1 when it is committed). Both have the
same clock; --ifindex keeps only the plug actions on the IFB of that interface index. Each guest reply (ICMP echo reply, ICMPv6 echo reply, ARP reply) is matched to its request;
it was held until a commit when a BUFFER came after its request and a RELEASE_ONE after that BUFFER,
before the reply was seen; and replies must leave in the order of their requests. With --sent (tcpdump on
the guest's vif, inbound: the moment the guest sent each reply, before the ingress redirect), the test is
stricter and does not depend on when the guest got to answer: a reply was held when it left no earlier than
the commit of the epoch it was sent in (the first RELEASE_ONE after the first BUFFER after it was sent), and
leaked when it left before that (Xen's script lets IPv6 and ARP through at once). Prints one line per protocol and exits 0 when every reply of every protocol
not in --expect-leak was held, and each protocol in --expect-leak leaked at least once (Xen's script);
1 otherwise; 2 when a capture cannot be read or holds no plug action or no reply.
"""
import struct
import sys

LINKTYPE_ETHERNET = 1
LINKTYPE_NETLINK = 253
RTM_NEWQDISC = 36
NLM_F_REQUEST = 1
TCA_KIND, TCA_OPTIONS = 1, 2


def packets(path):
    """Yields (time, linktype, bytes) of a classic pcap file (micro- or nanosecond)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: not a pcap file")
    magic = data[:4]
    endian, scale = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
                     b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}.get(magic, (None, None))
    if endian is None:
        raise ValueError(f"{path}: not a pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        yield sec + frac * scale, linktype, data[off:off + caplen]
        off += caplen


def plug_actions(path, ifindex=None):
    """[(time, action)] of the plug actions requested over netlink (on ifindex, if given), oldest first."""
    out = []
    for t, linktype, pkt in packets(path):
        if linktype != LINKTYPE_NETLINK or len(pkt) < 16 + 36:
            continue
        # tcpdump on nlmon writes a 16-byte cooked header (SLL: ARPHRD_NETLINK 0x0338, the netlink family
        # in the last two bytes) before each message; NETLINK_ROUTE is family 0.
        if struct.unpack(">H", pkt[2:4])[0] != 0x0338 or struct.unpack(">H", pkt[14:16])[0] != 0:
            continue
        pkt = pkt[16:]
        length, mtype, flags = struct.unpack("<IHH", pkt[:8])
        if mtype != RTM_NEWQDISC or not flags & NLM_F_REQUEST:
            continue
        if ifindex is not None and struct.unpack("<i", pkt[20:24])[0] != ifindex:
            continue
        kind, options, off = None, None, 16 + 20
        while off + 4 <= min(length, len(pkt)):
            alen, atype = struct.unpack("<HH", pkt[off:off + 4])
            atype &= 0x3FFF  # libnl marks TCA_OPTIONS nested (NLA_F_NESTED), netbuf does not
            if alen < 4:
                break
            value = pkt[off + 4:off + alen]
            if atype == TCA_KIND:
                kind = value.rstrip(b"\0")
            elif atype == TCA_OPTIONS:
                options = value
            off += (alen + 3) & ~3
        if kind == b"plug" and options and len(options) >= 4:
            out.append((t, struct.unpack("<i", options[:4])[0]))
    return out


def frames(path, guest_mac, ip4, ip6):
    """[(time, protocol, 'request'|'reply', key)] for the guest's ICMP, ICMPv6 and ARP exchanges."""
    mac = bytes.fromhex(guest_mac.replace(":", ""))
    ip4b = bytes(int(x) for x in ip4.split("."))
    out = []
    for t, linktype, f in packets(path):
        if linktype != LINKTYPE_ETHERNET or len(f) < 14:
            continue
        dst, src, etype = f[0:6], f[6:12], struct.unpack(">H", f[12:14])[0]
        body = f[14:]
        if etype == 0x0800 and len(body) >= 28 and body[9] == 1:
            ihl = (body[0] & 0xF) * 4
            icmp = body[ihl:]
            key = icmp[4:8]
            if icmp[0] == 8 and body[16:20] == ip4b:
                out.append((t, "ipv4", "request", key))
            elif icmp[0] == 0 and body[12:16] == ip4b and src == mac:
                out.append((t, "ipv4", "reply", key))
        elif etype == 0x86DD and len(body) >= 48 and body[6] == 58:
            icmp = body[40:]
            key = icmp[4:8]
            if icmp[0] == 128 and body[24:40] == ip6:
                out.append((t, "ipv6", "request", key))
            elif icmp[0] == 129 and body[8:24] == ip6 and src == mac:
                out.append((t, "ipv6", "reply", key))
        elif etype == 0x0806 and len(body) >= 28:
            op = struct.unpack(">H", body[6:8])[0]
            if op == 1 and body[24:28] == ip4b:
                out.append((t, "arp", "request", None))
            elif op == 2 and body[14:18] == ip4b and src == mac:
                out.append((t, "arp", "reply", None))
    return out


def main(argv):
    expect_leak, ifindex = set(), None
    if "--ifindex" in argv:
        i = argv.index("--ifindex")
        ifindex = int(argv[i + 1])
        del argv[i:i + 2]
    sent_pcap = None
    if "--sent" in argv:
        i = argv.index("--sent")
        sent_pcap = argv[i + 1]
        del argv[i:i + 2]
    if "--expect-leak" in argv:
        i = argv.index("--expect-leak")
        expect_leak = set(argv[i + 1].split(","))
        del argv[i:i + 2]
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    import ipaddress
    bridge, netlink, mac, ip4, ip6 = argv[1:6]
    try:
        actions = plug_actions(netlink, ifindex)
        seen = frames(bridge, mac, ip4, ipaddress.IPv6Address(ip6).packed)
        sent = None
        if sent_pcap is not None:
            sent = {}
            for t, p, kind, key in frames(sent_pcap, mac, ip4, ipaddress.IPv6Address(ip6).packed):
                if kind == "reply":
                    sent.setdefault(p, []).append((t, key))
    except (OSError, ValueError) as e:
        print(f"commit-check: {e}", file=sys.stderr)
        return 2
    buffers = [t for t, a in actions if a == 0]
    releases = [t for t, a in actions if a == 1]
    print(f"plug actions: {len(buffers)} BUFFER (checkpoints), {len(releases)} RELEASE_ONE (commits)")
    if not buffers or not releases:
        print("commit-check: no checkpoint in the netlink capture: libxl drove no plug", file=sys.stderr)
        return 2
    verdict = 0
    for proto in ("ipv4", "ipv6", "arp"):
        pending, held, leaked, delays, order_ok, last_req, unsent = [], 0, 0, [], True, None, 0
        for t, p, kind, key in seen:
            if p != proto:
                continue
            if kind == "request":
                pending.append((t, key))
                continue
            s_match = None
            if sent is not None:
                # When the guest sent it: its first sighting on the vif, by ICMP id/sequence; ARP replies carry
                # no key, and leave in the order they were sent (one FIFO from the vif to the bridge): the
                # oldest not yet matched. Taken for every reply, answered or not, to keep that order aligned.
                mine = sent.get(proto, [])
                if key is not None:
                    s_match = next((x for x in mine if x[1] == key), None)
                else:
                    s_match = mine[0] if mine else None
                if s_match is not None:
                    mine.remove(s_match)
            # The reply's request: same ICMP id/sequence, or the oldest open ARP request.
            match = next((r for r in pending if r[1] == key), None) if key is not None else (pending[0] if pending else None)
            if match is None:
                continue
            pending.remove(match)
            req_t = match[0]
            # The guest answers in the order the requests came: the replies must leave in that order.
            if last_req is not None and req_t < last_req:
                order_ok = False
            last_req = req_t
            if sent is not None:
                if s_match is None:
                    unsent += 1
                    continue
                # Its epoch is closed by the first BUFFER after it was sent (2 ms of slack for the two
                # captures' order around a BUFFER) and released by the first RELEASE_ONE after that.
                b = next((x for x in buffers if x > s_match[0] - 0.002), None)
                r = next((x for x in releases if b is not None and x > b), None)
                if r is not None and t >= r:
                    held += 1
                    delays.append(t - r)
                else:
                    leaked += 1
                continue
            b = next((x for x in buffers if req_t < x < t), None)
            r = next((x for x in releases if b is not None and b < x <= t), None)
            if b is not None and r is not None:
                held += 1
                delays.append(t - max(x for x in releases if x <= t))
            else:
                leaked += 1
        total = held + leaked
        after = f", left {max(delays) * 1000:.0f} ms or less after a commit" if delays else ""
        how = "its epoch's commit" if sent is not None else "any commit"
        line = f"{proto}: {total} replies, {held} held until a commit, {leaked} left before {how}{after}"
        if unsent:
            line += f" ({unsent} not seen on the vif)"
        if total == 0:
            print(f"FAIL {line}: no reply captured")
            verdict = 1
        elif unsent:
            print(f"FAIL {line}: a reply left that the vif capture did not see (no verdict for it)")
            verdict = 1
        elif proto in expect_leak:
            ok = leaked > 0
            print(f"{'PASS' if ok else 'FAIL'} {line} (expected to leak)")
            verdict |= 0 if ok else 1
        else:
            ok = leaked == 0 and order_ok
            print(f"{'PASS' if ok else 'FAIL'} {line}{'' if order_ok else ', OUT OF ORDER'}")
            verdict |= 0 if ok else 1
    return verdict


if __name__ == "__main__":
    sys.exit(main(sys.argv))
