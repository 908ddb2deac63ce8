#!/usr/bin/env bash
# Makes a git repository of each Debian linux-source-<ver> package tree, once, under KBOT_TREES
# (default /var/cache/kbot/trees): the whole real kernel trees the simulator's tests and benchmarks run on.
# Usage: scripts/real-trees.sh [6.1 6.12 ...]   (installs the packages with apt-get when missing)
# Prints "<ver> <path>" for each tree ready. Idempotent: a tree already committed is left as it is.
set -euo pipefail
root=${KBOT_TREES:-/var/cache/kbot/trees}
vers=("$@")
[ ${#vers[@]} -gt 0 ] || vers=(6.1 6.12)
mkdir -p "$root"
missing=()
for v in "${vers[@]}"; do
  [ -f "/usr/src/linux-source-$v.tar.xz" ] || [ -d "$root/linux-$v/.git" ] || missing+=("linux-source-$v")
  # Debian's kernel config of that version: the kconfig the tests read the tree under.
  [ -d "/usr/src/linux-config-$v" ] || missing+=("linux-config-$v")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends xz-utils "${missing[@]}" >/dev/null
fi
for v in "${vers[@]}"; do
  dir="$root/linux-$v"
  if [ -d "$dir/.git" ] && git -C "$dir" rev-parse -q --verify HEAD >/dev/null; then
    echo "$v $dir"; continue
  fi
  rm -rf "$dir" "$dir.tmp"
  mkdir -p "$dir.tmp"
  tar -xJf "/usr/src/linux-source-$v.tar.xz" -C "$dir.tmp" --strip-components=1
  (
    cd "$dir.tmp"
    git init -q
    # Debian's tarball ignores everything (.gitignore: /*): add the files whatever it says.
    git -c core.autocrlf=false add -A -f .
    git -c user.name=kbot -c user.email=kbot@localhost commit -q -m "Debian linux-source-$v ($(dpkg-query -W -f='${Version}' "linux-source-$v" 2>/dev/null || echo unknown))"
    # Packed, a commit's blobs read several times faster than as loose objects.
    git repack -adq
  )
  mv "$dir.tmp" "$dir"
  echo "$v $dir"
done
