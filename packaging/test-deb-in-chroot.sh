#!/usr/bin/env bash
# test-deb-in-chroot.sh PACKAGE.deb [ROOT]: installs the package into a clean Debian 12 root made by debootstrap
# (ROOT, default a temporary folder; an existing one is reused), with apt resolving its declared dependencies
# from Debian, then runs `fluocount-cli --version` and `fluocount-cli count` on the bundled samples there and
# removes the package again, checking that it leaves no files behind. Needs root, debootstrap, and a machine whose
# apt reaches a bookworm mirror: the root is made from the mirror this machine's apt is configured with (and the
# proxy, if apt has one), so the test works wherever apt works and no address is written into the project.
# Example: sudo packaging/test-deb-in-chroot.sh build/fluocount_0.1.0_amd64.deb
set -euo pipefail
deb=$(realpath "${1:?usage: test-deb-in-chroot.sh PACKAGE.deb [ROOT]}")
root=${2:-$(mktemp -d /tmp/fluocount-root-XXXXXX)}
[ "$(id -u)" -eq 0 ] || { echo "test-deb-in-chroot: run as root"; exit 1; }
command -v debootstrap > /dev/null || { echo "test-deb-in-chroot: apt-get install debootstrap"; exit 1; }

# The first bookworm source of this machine's apt: one-line entries (sources.list, sources.list.d/*.list; options
# in [...] skipped) or deb822 stanzas (sources.list.d/*.sources).
host_mirror() {
  local lists=() stanzas=()
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [ -f "$f" ] && lists+=("$f"); done
  for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && stanzas+=("$f"); done
  if [ ${#lists[@]} -gt 0 ]; then
    awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                       if ($(i + 1) == "bookworm") { print $i; exit } }' "${lists[@]}"
  fi
  if [ ${#stanzas[@]} -gt 0 ]; then
    awk 'BEGIN { RS = ""; FS = "\n" }
         { types = uris = suites = ""
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^Types:/) types = $i; else if ($i ~ /^URIs:/) uris = $i; else if ($i ~ /^Suites:/) suites = $i
           }
           if (types ~ /[ \t]deb([ \t]|$)/ && suites ~ /[ \t]bookworm([ \t]|$)/) {
             sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/); print u[1]; exit
           } }' "${stanzas[@]}"
  fi
}

if [ ! -x "$root/usr/bin/apt-get" ]; then
  mirror=$(host_mirror | head -n 1)
  [ -n "$mirror" ] || { echo "test-deb-in-chroot: no bookworm source in this machine's apt configuration"; exit 1; }
  # apt's proxy setting, if any, for debootstrap's downloads too.
  proxy=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -n 1)
  echo "test-deb-in-chroot: debootstrap from $mirror${proxy:+ through $proxy}"
  http_proxy=${proxy:-${http_proxy:-}} debootstrap --variant=minbase bookworm "$root" "$mirror"
fi
# The chroot's apt uses the same proxy as this machine's.
for conf in /etc/apt/apt.conf.d/*; do
  if [ -f "$conf" ] && grep -qi "proxy" "$conf"; then cp "$conf" "$root/etc/apt/apt.conf.d/"; fi
done
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
