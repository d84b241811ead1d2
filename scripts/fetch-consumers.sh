#!/usr/bin/env bash
# Fetches the real consumers of crinit's runtime configs from Debian's archive and unpacks them
# (no install): containerd 1.6 (bookworm), 1.7 (trixie) and 2.x (sid), for `containerd config
# dump`, and trixie's docker.io (Docker 26) for `dockerd --validate`. apt checks each suite's
# Release against debian-archive-keyring, as it does for any install; this machine's own apt
# state is not touched (a private list and cache directory).
#
#   scripts/fetch-consumers.sh [DIR]     default: $CRINIT_CONSUMERS or /var/cache/crinit-consumers
#
# Afterwards DIR/containerd-bookworm/usr/bin/containerd, DIR/containerd-trixie/…,
# DIR/containerd-sid/… and DIR/docker-trixie/usr/sbin/dockerd exist. Re-running reuses them.
set -euo pipefail
dir=${1:-${CRINIT_CONSUMERS:-/var/cache/crinit-consumers}}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

mirror=${CRINIT_E2E_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(sed -n 's|^URIs:[[:space:]]*\(\S*/debian\)/\?[[:space:]]*$|\1|p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
  mirror=$(sed -n 's|^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\(\S*/debian\)/\?[[:space:]].*|\2|p' /etc/apt/sources.list | head -n 1)
fi
[ -n "$mirror" ] || { echo "fetch-consumers: no Debian archive in /etc/apt; set CRINIT_E2E_MIRROR" >&2; exit 1; }

# fetch SUITE NAME PACKAGE...: download the packages of SUITE and unpack them into DIR/NAME.
fetch() {
  local suite=$1 name=$2
  shift 2
  [ -e "$dir/$name/.ready" ] && return 0
  local work="$dir/.apt-$suite"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" > "$work/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root -q)
  if [ ! -e "$work/updated" ]; then
    apt-get "${opts[@]}" update
    touch "$work/updated"
  fi
  (cd "$work/debs" && apt-get "${opts[@]}" download "$@")
  rm -rf "$dir/$name"
  mkdir -p "$dir/$name"
  for p in "$@"; do
    dpkg-deb -x "$(ls "$work/debs/${p}"_*.deb | head -n 1)" "$dir/$name"
  done
  for p in "$@"; do ls "$work/debs/${p}"_*.deb | head -n 1 | xargs -n1 basename; done > "$dir/$name/.ready"
}

fetch bookworm containerd-bookworm containerd
fetch trixie containerd-trixie containerd
fetch sid containerd-sid containerd
fetch trixie docker-trixie docker.io
echo "fetch-consumers: ready in $dir"
cat "$dir"/*/.ready
