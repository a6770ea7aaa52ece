#!/usr/bin/env bash
# test-deb-in-chroot.sh PACKAGE.deb [ROOT]: installs the package into a clean Debian 12 root made by debootstrap
# (ROOT, default a temporary folder; an existing one is reused), with apt resolving its declared dependencies
# from Debian, then runs `fluocount-cli --version` and `fluocount-cli count` on the bundled samples there and
# removes the package again, checking that it leaves no files behind. Needs root, debootstrap and network access
# to a Debian mirror.  Example: sudo packaging/test-deb-in-chroot.sh build/fluocount_0.1.0_amd64.deb
set -euo pipefail
deb=$(realpath "${1:?usage: test-deb-in-chroot.sh PACKAGE.deb [ROOT]}")
root=${2:-$(mktemp -d /tmp/fluocount-root-XXXXXX)}
[ "$(id -u)" -eq 0 ] || { echo "test-deb-in-chroot: run as root"; exit 1; }
command -v debootstrap > /dev/null || { echo "test-deb-in-chroot: apt-get install debootstrap"; exit 1; }

if [ ! -x "$root/usr/bin/apt-get" ]; then
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian
fi
mounted=()
cleanup() { for m in "${mounted[@]}"; do umount -l "$m" || true; done; }
trap cleanup EXIT
for fs in proc sys dev; do mount --bind "/$fs" "$root/$fs" && mounted+=("$root/$fs"); done
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/fluocount.deb"

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/fluocount.deb
in_root fluocount-cli --version
in_root fluocount-cli count /usr/share/fluocount/samples/images | tee "$root/tmp/count.txt"
grep -q "total: .* cells in 4 image(s)" "$root/tmp/count.txt"
in_root test -f /usr/share/applications/fluocount.desktop
in_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q fluocount
for path in /usr/bin/fluocount /usr/bin/fluocount-cli /usr/share/fluocount /usr/share/applications/fluocount.desktop; do
  if in_root test -e "$path"; then echo "test-deb-in-chroot: FAIL: $path left after removal"; exit 1; fi
done
echo "test-deb-in-chroot: PASS: installed in a clean Debian 12 root, counted the samples, removed cleanly"
