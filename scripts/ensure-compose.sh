#!/usr/bin/env bash
# ensure-compose.sh [VERSION]: makes sure a standalone `docker-compose` binary (Docker Compose
# VERSION, default v5.5.0) exists at
# ${MCPWATCH_CACHE:-~/.cache/mcpwatch}/docker-compose-VERSION/docker-compose and prints its path
# (only that, on stdout). The tests use it as the real parser of the shipped compose files
# (`docker-compose -f FILE config --quiet`); it needs no Docker engine for that.
#
# Built from source, because no prebuilt binary can be fetched here (GitHub releases are not
# reachable; Debian 12's docker-compose is the old Python v1): the module comes from the Go module
# proxy (`go mod download github.com/docker/compose/v5@VERSION`), its dependencies too, and
# `go build ./cmd` runs in a writable copy of it (the module cache is read-only).
#
# Same shape as the other ensure-*.sh: idempotent (reused when the binary and the marker
# .mcpwatch-ok exist and the binary answers `version`; a half-finished build is wiped and redone),
# one build at a time (flock), fails loudly (non-zero exit, reason on stderr).
# A cold build takes one to a few minutes on 2 cores; a cached one answers at once.
#
# Go: the go.mod of v5.5.0 says `go 1.26.3`. This machine image ships Go 1.26.x in
# /usr/local/go (Debian 12's golang-go is 1.19, far too old, so it is no fallback). Toolchain
# downloads are switched off (GOTOOLCHAIN=local): a Go older than go.mod's line is an error here,
# not a silent download. Newer Compose tags need a newer Go than the one here.
set -euo pipefail

die() {
  echo "ensure-compose: $*" >&2
  exit 1
}

version=${1:-v5.5.0}
# v2 and later are Go modules named github.com/docker/compose/vN (v1 was Python).
[[ $version =~ ^v([2-9]|[1-9][0-9]+)\.[0-9]+\.[0-9]+$ ]] || die "not a Compose version >= v2: '$version' (usage: ensure-compose.sh [vX.Y.Z], default v5.5.0)"
module=github.com/docker/compose/${version%%.*}
cache=${MCPWATCH_CACHE:-$HOME/.cache/mcpwatch}
dir=$cache/docker-compose-$version
out=$dir/docker-compose
marker=$dir/.mcpwatch-ok

ready() { [ -f "$marker" ] && [ -x "$out" ] && "$out" version >/dev/null 2>&1; }
if ready; then
  echo "$out"
  exit 0
fi
mkdir -p "$cache" || die "cannot create $cache"

# Go: on PATH, else where the machine image puts it.
go=$(command -v go 2>/dev/null || true)
if [ -z "$go" ] && [ -x /usr/local/go/bin/go ]; then go=/usr/local/go/bin/go; fi
[ -n "$go" ] || die "Go is not installed (needed to build docker-compose $version from the Go module proxy). Install Go >= 1.26.3 in /usr/local/go or on PATH; Debian 12's golang-go (1.19) is too old for Compose v5."
export GOTOOLCHAIN=local
# -mod=mod: resolve from go.mod/go.sum as shipped even if the copy's module graph wants a tidy-up;
# -buildvcs=false: the copy is no VCS checkout.
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
gover=$("$go" env GOVERSION 2>/dev/null) || die "$go does not run"

exec 8>"$cache/.docker-compose-$version.lock"
flock -w 900 8 || die "another build of docker-compose $version still holds $cache/.docker-compose-$version.lock after 15 min"
if ready; then
  echo "$out"
  exit 0
fi

work=$(mktemp -d)
log=$work/build.log
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
start=$SECONDS

echo "ensure-compose: downloading $module@$version from the Go module proxy" >&2
"$go" mod download -json "$module@$version" >"$work/download.json" 2>"$log" || {
  # With -json, go reports the reason in the JSON's "Error" field, not on stderr.
  cat "$log" >&2
  sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/go: \1/p' "$work/download.json" >&2
  die "FAILED: 'go mod download $module@$version' (is the Go module proxy reachable? does $version exist?)"
}
src=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$work/download.json")
[ -n "$src" ] && [ -f "$src/go.mod" ] || die "go mod download gave no module directory (output: $(tr -d '\n' <"$work/download.json"))"

# go.mod's minimum Go against the Go here, with a message that says what to do.
need=$(sed -n 's/^go \([0-9][0-9.]*\).*/\1/p' "$src/go.mod" | head -n 1)
have=${gover#go}
have=${have%%[!0-9.]*}
if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n 1)" != "$need" ]; then
  die "docker-compose $version needs Go >= $need (its go.mod), but $go is $gover. Use an older Compose tag or install a newer Go."
fi

cp -R "$src" "$work/src" && chmod -R u+w "$work/src" || die "cannot copy $src to $work/src"
echo "ensure-compose: building docker-compose $version with $gover (takes a minute or more the first time)" >&2
rm -rf "$dir"
mkdir -p "$dir"
if ! (cd "$work/src" && "$go" build -trimpath -ldflags "-s -w -X $module/internal.Version=$version" -o "$out.tmp" ./cmd) >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  rm -rf "$dir"
  die "FAILED to build docker-compose $version with $gover (last lines of the build log above)"
fi
mv "$out.tmp" "$out"
v=$("$out" version 2>&1) || {
  rm -rf "$dir"
  die "docker-compose $version built but '$out version' fails: $v"
}
printf 'version=%s\ngo=%s\nbuilt_in_s=%s\nreports=%s\n' "$version" "$gover" "$((SECONDS - start))" "$v" >"$marker.tmp" && mv "$marker.tmp" "$marker"
echo "ensure-compose: built $out in $((SECONDS - start)) s ($v)" >&2
echo "$out"
