#!/bin/bash
# Runs inside the kernel lab (kernel with sch_plug), cwd = the cli worktree.
# Checks the cli on a kernel with sch_plug, from the cli worktree root:
#   it/kernel-lab/lab.sh run -- cli/src/it/kernel-lab-check.sh
# (after mvn -DskipTests package). The demo in its real mode; remus-netbuf-setup setup/teardown three
# times as libxl runs them (closed stdio) against the testkit xenstored with 10 other domains; status; reap.
set -u
echo "== kernel $(uname -r); sch_plug: $(grep -c sch_plug /proc/modules) loaded"
echo "== demo (no arguments but short)"
time cli/bin/netbuf demo --epochs 5 --interval-ms 200; echo "demo rc=$?"
echo "== remus-netbuf-setup like libxl, testkit xenstored with 10 other domains"
fifo=/tmp/xsfifo; mkfifo $fifo
java -cp benchmarks/target/benchmarks.jar io.netbuf.benchmarks.TestkitXenstored 10 <$fifo >/tmp/xssock &
exec 9>$fifo
for i in $(seq 200); do grep -q '^XENSTORED_PATH=' /tmp/xssock 2>/dev/null && break; sleep 0.1; done
export XENSTORED_PATH=$(sed -n 's/^XENSTORED_PATH=//p' /tmp/xssock)
ip netns add t; ip -n t link set lo up; ip -n t link add vif1.0 type veth peer name g0; ip -n t link set vif1.0 up; ip -n t link set g0 up
for round in 1 2 3; do
  s=$(date +%s%N)
  ip netns exec t env vifname=vif1.0 XENBUS_PATH=/libxl/1/remus/netbuf/0 cli/bin/remus-netbuf-setup setup <&- >&- 2>&-
  rc=$?; e=$(date +%s%N)
  echo "setup rc=$rc in $(( (e-s)/1000000 )) ms; ifb=$(xenstore-read /libxl/1/remus/netbuf/0/ifb) status=$(xenstore-read /libxl/1/remus/netbuf/0/hotplug-status)"
  ifb=$(xenstore-read /libxl/1/remus/netbuf/0/ifb)
  tc -n t qdisc show dev "$ifb"; tc -n t filter show dev vif1.0 ingress | head -3
  ip netns exec t cli/bin/netbuf status
  s=$(date +%s%N)
  ip netns exec t env vifname=vif1.0 XENBUS_PATH=/libxl/1/remus/netbuf/0 REMUS_IFB=$ifb cli/bin/remus-netbuf-setup teardown <&- >&- 2>&-
  rc=$?; e=$(date +%s%N)
  echo "teardown rc=$rc in $(( (e-s)/1000000 )) ms; ifb node: $(xenstore-exists /libxl/1/remus/netbuf/0/ifb && echo present || echo gone); plug: $(tc -n t qdisc show dev $ifb | grep -c plug)"
done
ip netns exec t cli/bin/netbuf reap
exec 9>&-
ip netns del t
