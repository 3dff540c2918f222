#!/usr/bin/env bash
# Installs the Debian packages netbuf's tests drive for real. Idempotent; needs root.
set -euo pipefail
packages=(
  iproute2          # ip, tc: the tools backend and the real-kernel tests
  xenstore-utils    # Debian's xenstore-read/-write/...: run against the testkit xenstored
  xen-utils-common  # Xen's locking.sh: the host lock must exclude Xen's own claim_lock
  iputils-ping      # real IPv4/IPv6 traffic in the network-namespace tests
  iputils-arping    # real ARP traffic
  libnl-utils       # nl-qdisc-*: Xen's reference script, compared with netbuf in the kernel lab
  net-tools         # ifconfig: the reference script lists IFBs with it
  kmod              # modinfo: the reference script checks its kernel modules with it
  procps            # sysctl: the kit fixtures disable IPv6 on their IFBs
  lintian           # DebianPackageIT: the package must be lintian clean
  binutils          # strip: packaging/debian/build.sh strips JNA's native library
  gcc               # builds it/xenstored-real's LD_PRELOAD shim and the native library LauncherTrustIT plants
  libc6-dev         # their headers
  systemd           # systemd-analyze: DebianPackageIT verifies the reap service and timer
  python3           # XenLabCommitCheckTest runs the Xen lab's commit-check.py on synthetic captures
)
# The Xen lab's own list (qemu, tcpdump, bridge-utils, libxl's build dependencies...): it checks it
# again on every run, but a fresh machine gets every package in one apt-get here.
mapfile -t xen_lab < <(bash "$(dirname "$0")/../it/xen-lab/xen-lab.sh" packages)
[ ${#xen_lab[@]} -gt 0 ] || { echo "[deps] it/xen-lab/xen-lab.sh packages listed nothing" >&2; exit 1; }
packages+=("${xen_lab[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "[deps] all present: ${packages[*]}"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "[deps] missing ${missing[*]} and not root: install them, or the tests that need them skip (or fail with CI=true)" >&2
  exit 0
fi
echo "[deps] apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
timeout 600 apt-get update -q
timeout 900 apt-get install -y -q --no-install-recommends "${missing[@]}"
