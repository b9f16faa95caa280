#!/bin/sh
# build.sh BINARY [TAG] — the kefu OCI image around a static binary
# (CGO_ENABLED=0; `make image` builds it), with podman from Debian's
# packages. FROM scratch with files copied in: nothing is pulled from a
# registry. The image holds /usr/local/bin/kefu, the CA certificates
# (ca-certificates) and /usr/share/zoneinfo (tzdata) of the build host,
# /etc/passwd and /etc/group naming the user kefu (65532), /tmp and /data
# (owned by kefu); it runs as kefu, never as root.
set -eu
bin=${1:?usage: build.sh BINARY [TAG]}
tag=${2:-localhost/kefu:latest}
here=$(cd "$(dirname "$0")" && pwd)
certs=/etc/ssl/certs/ca-certificates.crt
zoneinfo=/usr/share/zoneinfo

[ -s "$certs" ] || { echo "build.sh: no $certs (apt-get install ca-certificates)" >&2; exit 1; }
[ -f "$zoneinfo/UTC" ] || { echo "build.sh: no $zoneinfo (apt-get install tzdata)" >&2; exit 1; }
[ -x "$bin" ] || { echo "build.sh: $bin is not an executable" >&2; exit 1; }
# A dynamically linked binary cannot start without libc: it names its
# interpreter (/lib64/ld-linux-x86-64.so.2, /lib/ld-linux-aarch64.so.1).
if LC_ALL=C grep -q '/ld-linux' "$bin"; then
  echo "build.sh: $bin is dynamically linked; build it with CGO_ENABLED=0" >&2; exit 1
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT INT TERM
root=$ctx/rootfs
mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/usr/share" "$root/tmp" "$ctx/data"
cp "$bin" "$root/usr/local/bin/kefu"
chmod 0755 "$root/usr/local/bin/kefu"
cp "$certs" "$root/etc/ssl/certs/ca-certificates.crt"
cp -R "$zoneinfo" "$root/usr/share/zoneinfo"
printf 'root:x:0:0:root:/root:/sbin/nologin\nkefu:x:65532:65532:kefu:/data:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nkefu:x:65532:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"
chmod -R u+rwX,go+rX,go-w "$root/usr" "$root/etc"
cp "$here/Containerfile" "$ctx/Containerfile"
podman build --pull=never --format oci --tag "$tag" --file "$ctx/Containerfile" "$ctx"
