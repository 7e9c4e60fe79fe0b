#!/usr/bin/env bash
# The clients test/e2e drives besides /usr/bin/kubectl (v1.32): the Kubernetes Python client
# (Debian's python3-kubernetes, for /usr/bin/python3) and kubectl 1.20 (Debian's kubernetes-client), which speaks
# SPDY/3.1 only. kubectl 1.20 is extracted into a cache folder with `dpkg-deb -x`, never
# installed over /usr/bin/kubectl. Idempotent: each step checks before it installs.
set -euo pipefail

apt_updated=false
apt_update_once() {
  if [ "$apt_updated" = false ]; then
    apt-get update -qq
    apt_updated=true
  fi
}

if ! /usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1; then
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-kubernetes
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse/kubectl-1.20"
if ! "$cache/usr/bin/kubectl" version --client 2>/dev/null | grep -q 'v1\.20\.'; then
  apt_update_once
  work="$(mktemp -d)"
  chmod 755 "$work" # apt-get download fetches as the _apt user
  (cd "$work" && apt-get download -qq kubernetes-client)
  rm -rf "$cache" && mkdir -p "$cache"
  dpkg-deb -x "$work"/kubernetes-client_*.deb "$cache"
  rm -rf "$work"
  "$cache/usr/bin/kubectl" version --client | grep -q 'v1\.20\.'
fi
