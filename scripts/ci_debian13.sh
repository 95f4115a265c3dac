#!/usr/bin/env bash
# CI on Debian 13: runs the README's test command (scripts/test.sh) in a fresh Debian 13 (trixie)
# root, on a clone of this repository's committed HEAD. Exits non-zero when any step fails.
#   scripts/ci_debian13.sh            (as root; needs debootstrap, git, mount)
# Cache (CHARRNN_CI_CACHE, default /var/cache/charrnn-ci), kept between runs when it exists:
#   trixie-minbase.tar   the bare root from debootstrap (base system only: no charrnn packages)
#   apt-archives/        the .deb files apt downloaded (apt checks them against signed indexes)
#   ccache/              compiler cache (keyed by compiler and preprocessed source: a hit is
#                        the same object a fresh compile gives), so a rerun compiles little
# Every run unpacks the bare root into a new folder, so setup.sh installs and builds from scratch
# as a user's would; only downloads are saved. CHARRNN_CI_KEEP=1 keeps the root for debugging.
# MIRROR overrides the Debian mirror (default http://deb.debian.org/debian); CHARRNN_CI_COMMAND
# what runs in the clone (default scripts/test.sh).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CHARRNN_CI_CACHE:-/var/cache/charrnn-ci}"
mirror="${MIRROR:-http://deb.debian.org/debian}"
if [ "$(id -u)" -ne 0 ]; then
  echo "ci_debian13: must run as root (debootstrap, chroot and mount need it); try sudo $0" >&2
  exit 1
fi
command -v debootstrap >/dev/null || {
  echo "ci_debian13: debootstrap missing; apt-get install debootstrap" >&2
  exit 1
}
mkdir -p "$cache/apt-archives" "$cache/ccache"
root="$(mktemp -d /var/tmp/charrnn-trixie.XXXXXX)"
mounts=()

# Unmounts in reverse order; deletes the root only when nothing is mounted under it any more
# (deleting through a bind mount of /dev or of the apt cache would delete the host's files).
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true
  done
  if grep -q " $root/" /proc/mounts; then
    echo "ci_debian13: mounts remain under $root; left in place, unmount them and delete it" >&2
  elif [ "${CHARRNN_CI_KEEP:-0}" = 1 ]; then
    echo "ci_debian13: root kept in $root" >&2
  else
    rm -rf --one-file-system "$root"
  fi
}
trap cleanup EXIT

base="$cache/trixie-minbase.tar"
if [ -f "$base" ]; then
  echo "ci_debian13: bare root from $base" >&2
  tar -C "$root" --numeric-owner -xf "$base"
else
  echo "ci_debian13: debootstrap trixie from $mirror" >&2
  debootstrap --variant=minbase trixie "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
    tail -20 "$root.debootstrap.log" >&2
    exit 1
  }
  rm -f "$root.debootstrap.log"
  # Written under another name and renamed: an interrupted run never leaves half a cache.
  tar -C "$root" --numeric-owner -cf "$base.partial" . && mv "$base.partial" "$base"
fi

chmod 755 "$root"  # it is / inside: mktemp's mode 700 would lock user _apt (apt) out
bind() {  # bind SOURCE TARGET_IN_ROOT [mount options...]
  mkdir -p "$root$2"
  mount "${@:3}" "$1" "$root$2"
  mounts+=("$root$2")
}
bind proc /proc -t proc
bind sys /sys -t sysfs
bind /dev /dev --bind
bind /dev/pts /dev/pts --bind
bind "$cache/apt-archives" /var/cache/apt/archives --bind
bind "$cache/ccache" /var/cache/ccache --bind
cp /etc/resolv.conf "$root/etc/resolv.conf"

git clone -q "$repo" "$root/root/charrnn"
echo "ci_debian13: testing $(git -C "$root/root/charrnn" log --oneline -1)" >&2
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    CCACHE_DIR=/var/cache/ccache CCACHE_BASEDIR=/root/charrnn \
    CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime \
    DEBIAN_FRONTEND=noninteractive /bin/bash -c "$1"
}
# ccache is CI's addition to what a user runs; scripts/setup.sh uses it when it is there.
# apt downloads as user _apt into archives/partial, which the bind mount made root's.
in_root 'mkdir -p /var/cache/apt/archives/partial && chown _apt:root /var/cache/apt/archives/partial'
in_root 'apt-get update -qq && apt-get install -y -qq --no-install-recommends ccache >/dev/null'
in_root "cd /root/charrnn && ${CHARRNN_CI_COMMAND:-scripts/test.sh}"
echo "ci_debian13: Debian 13 passed" >&2
