#!/bin/sh
# Builds netbuf's Debian package from the Maven build's output (run `mvn package` first):
#   packaging/target/netbuf_<version>_<arch>.deb
# with the jar under /usr/share/netbuf, JNA's native library (taken from the JNA jar by the build,
# stripped) under /usr/lib/netbuf/jna, the launcher as /usr/sbin/netbuf and
# /etc/xen/scripts/remus-netbuf-setup, man pages, bash completion, the reap service and timer, and
# maintainer scripts that build the class archives into /var/cache/netbuf.
# Usage: packaging/debian/build.sh [-o OUTPUT_DIR]   (prints the package's path)
# Needs dpkg-deb, gzip, strip (binutils). SOURCE_DATE_EPOCH (default: the last commit's time) makes the
# package reproducible.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/packaging/target
while getopts "o:h" opt; do
    case $opt in
        o) out=$OPTARG ;;
        *) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
    esac
done

die() { echo "[deb] cannot build: $*" >&2; exit 1; }
for tool in dpkg-deb gzip strip; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing"
done

arch=$(dpkg --print-architecture)
case $arch in
    amd64) jna_arch=linux-x86-64 ;;
    arm64) jna_arch=linux-aarch64 ;;
    *) die "no JNA native library for architecture $arch" ;;
esac
jar=$root/cli/target/netbuf.jar
native=$root/cli/target/jna/com/sun/jna/$jna_arch/libjnidispatch.so
properties=$root/cli/target/classes/io/netbuf/cli/version.properties
for f in "$jar" "$native" "$properties"; do
    [ -f "$f" ] || die "$f is missing (run: mvn -DskipTests package -pl cli -am)"
done
upstream=$(sed -n 's/^version=//p' "$properties")
[ -n "$upstream" ] || die "no version in $properties"
# Debian orders ~ before anything: 0.1.0~snapshot < 0.1.0
version=$(echo "$upstream" | sed 's/-SNAPSHOT$/~snapshot/; s/-/~/g')
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg=$work/netbuf
umask 022
install -d "$pkg/DEBIAN" "$pkg/usr/share/netbuf" "$pkg/usr/lib/netbuf/jna" "$pkg/usr/sbin" \
    "$pkg/etc/xen/scripts" "$pkg/usr/share/man/man8" "$pkg/usr/share/bash-completion/completions" \
    "$pkg/lib/systemd/system" "$pkg/usr/share/doc/netbuf"

install -m 0644 "$jar" "$pkg/usr/share/netbuf/netbuf.jar"
install -m 0644 "$native" "$pkg/usr/lib/netbuf/jna/libjnidispatch.so"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$pkg/usr/lib/netbuf/jna/libjnidispatch.so"
# The launcher, with the package's paths filled in.
sed -e 's|^packaged_jar=$|packaged_jar=/usr/share/netbuf/netbuf.jar|' \
    -e 's|^packaged_native=$|packaged_native=/usr/lib/netbuf/jna|' \
    -e 's|^packaged_cache=$|packaged_cache=/var/cache/netbuf|' \
    "$root/cli/bin/netbuf" >"$pkg/usr/sbin/netbuf"
chmod 0755 "$pkg/usr/sbin/netbuf"
grep -q '^packaged_cache=/var/cache/netbuf$' "$pkg/usr/sbin/netbuf" || die "the launcher's packaged_* lines changed"
# libxl runs /etc/xen/scripts/remus-netbuf-setup: the launcher under that name.
ln -s /usr/sbin/netbuf "$pkg/etc/xen/scripts/remus-netbuf-setup"

for page in netbuf.8 remus-netbuf-setup.8; do
    sed "s/@VERSION@/$version/" "$here/$page" | gzip -9n >"$pkg/usr/share/man/man8/$page.gz"
    chmod 0644 "$pkg/usr/share/man/man8/$page.gz"
done
install -m 0644 "$here/netbuf.bash-completion" "$pkg/usr/share/bash-completion/completions/netbuf"
ln -s netbuf "$pkg/usr/share/bash-completion/completions/remus-netbuf-setup"
install -m 0644 "$here/netbuf-reap.service" "$here/netbuf-reap.timer" "$pkg/lib/systemd/system/"
install -m 0644 "$here/copyright" "$pkg/usr/share/doc/netbuf/copyright"
{
    echo "netbuf ($version) unstable; urgency=medium"
    echo
    echo "  * Built from netbuf $upstream; see /usr/share/doc/netbuf/CHANGELOG.md.gz."
    echo
    echo " -- netbuf maintainers <maintainers@users.noreply.r-seed-b51ec878.example>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$pkg/usr/share/doc/netbuf/changelog.gz"
gzip -9n <"$root/CHANGELOG.md" >"$pkg/usr/share/doc/netbuf/CHANGELOG.md.gz"
chmod 0644 "$pkg/usr/share/doc/netbuf/"*
install -d "$pkg/usr/share/lintian/overrides"
install -m 0644 "$here/lintian-overrides" "$pkg/usr/share/lintian/overrides/netbuf"

install -m 0755 "$here/postinst" "$here/postrm" "$pkg/DEBIAN/"
install -m 0644 "$here/triggers" "$pkg/DEBIAN/"
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$here/control.in" >"$pkg/DEBIAN/control"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
    >"$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/md5sums" "$pkg/DEBIAN/control"
find "$pkg" -depth -newermt "@$SOURCE_DATE_EPOCH" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
deb=$out/netbuf_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
