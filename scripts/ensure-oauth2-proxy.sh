#!/usr/bin/env bash
# ensure-oauth2-proxy.sh [VERSION]: makes sure the two programs of the SSO route in front of
# LiteLLM (the deployment's Traefik forward-auth + Keycloak, in test shape) are there, and prints
# their paths on stdout as the last two lines, only these:
#   OAUTH2_PROXY=<cache>/oauth2-proxy-VERSION/oauth2-proxy   (default v7.15.6)
#   CADDY=/usr/bin/caddy
# test/support/sso-proxy.ts runs oauth2-proxy as the forward-auth service and Caddy as the TLS
# front (forward_auth + reverse_proxy, the parts of Traefik the route uses).
#
# oauth2-proxy: built from the Go module proxy with `go install
# github.com/oauth2-proxy/oauth2-proxy/v7@VERSION` into GOBIN=<cache>/oauth2-proxy-VERSION (no
# prebuilt binary can be fetched here). Go as in ensure-compose.sh: on PATH, else /usr/local/go;
# GOTOOLCHAIN=local, so a Go older than the module's go.mod fails with a message, no download.
# Caddy: Debian's package (apt-get install caddy, needs root); its systemd service, if the package
# started one, is stopped and disabled: the tests run their own Caddy on free ports.
#
# Same shape as the other ensure-*.sh: idempotent (the binary is reused when the marker
# .mcpwatch-ok exists and it answers --version), one build at a time (flock), fails loudly
# (non-zero exit, reason on stderr). A cold build takes a few minutes on 2 cores.
set -euo pipefail

die() {
  echo "ensure-oauth2-proxy: $*" >&2
  exit 1
}

version=${1:-v7.15.6}
[[ $version =~ ^v7\.[0-9]+\.[0-9]+$ ]] || die "not an oauth2-proxy v7 version: '$version' (usage: ensure-oauth2-proxy.sh [v7.x.y], default v7.15.6)"
module=github.com/oauth2-proxy/oauth2-proxy/v7
cache=${MCPWATCH_CACHE:-$HOME/.cache/mcpwatch}
dir=$cache/oauth2-proxy-$version
out=$dir/oauth2-proxy
marker=$dir/.mcpwatch-ok
mkdir -p "$cache" || die "cannot create $cache"

# 1. Caddy from Debian.
if ! command -v caddy >/dev/null; then
  [ "$(id -u)" = 0 ] || die "caddy is missing, and installing it needs root: run 'apt-get install -y caddy' as root"
  export DEBIAN_FRONTEND=noninteractive
  echo "ensure-oauth2-proxy: installing caddy with apt-get" >&2
  if ! apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends caddy >&2; then
    apt-get update -q >&2 || die "apt-get update failed"
    apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends caddy >&2 || die "apt-get install caddy failed (see above)"
  fi
  # The package enables and starts caddy.service (port 80) where systemd runs: not wanted here.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl disable --now caddy.service >&2 || echo "ensure-oauth2-proxy: WARNING: could not stop caddy.service" >&2
  fi
  command -v caddy >/dev/null || die "caddy is installed but not on PATH"
fi
caddy=$(command -v caddy)
"$caddy" version >/dev/null 2>&1 || die "$caddy does not run ('$caddy version' fails)"

# 2. oauth2-proxy from the Go module proxy.
ready() { [ -f "$marker" ] && [ -x "$out" ] && "$out" --version >/dev/null 2>&1; }
if ! ready; then
  exec 8>"$cache/.oauth2-proxy-$version.lock"
  flock -w 900 8 || die "another build of oauth2-proxy $version still holds $cache/.oauth2-proxy-$version.lock after 15 min"
fi
if ! ready; then
  go=$(command -v go 2>/dev/null || true)
  if [ -z "$go" ] && [ -x /usr/local/go/bin/go ]; then go=/usr/local/go/bin/go; fi
  [ -n "$go" ] || die "Go is not installed (needed to build oauth2-proxy $version from the Go module proxy). Install a recent Go in /usr/local/go or on PATH; Debian 12's golang-go (1.19) is too old."
  export GOTOOLCHAIN=local CGO_ENABLED=0
  gover=$("$go" env GOVERSION 2>/dev/null) || die "$go does not run"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  start=$SECONDS
  echo "ensure-oauth2-proxy: building $module@$version with $gover (takes a few minutes the first time)" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  if ! GOBIN=$dir "$go" install -trimpath -ldflags "-s -w -X $module/pkg/version.VERSION=$version" "$module@$version" >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    rm -rf "$dir"
    die "FAILED: go install $module@$version with $gover (last lines above; is the Go module proxy reachable? a 'requires go >=' line means this Go is too old)"
  fi
  [ -x "$out" ] || die "go install succeeded but $out is missing (got: $(ls "$dir"))"
  v=$("$out" --version 2>&1) || {
    rm -rf "$dir"
    die "oauth2-proxy $version built but '$out --version' fails: $v"
  }
  printf 'version=%s\ngo=%s\nbuilt_in_s=%s\nreports=%s\n' "$version" "$gover" "$((SECONDS - start))" "$v" >"$marker.tmp" && mv "$marker.tmp" "$marker"
  echo "ensure-oauth2-proxy: built $out in $((SECONDS - start)) s ($v)" >&2
fi

echo "OAUTH2_PROXY=$out"
echo "CADDY=$caddy"
