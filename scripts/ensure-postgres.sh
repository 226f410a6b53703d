#!/usr/bin/env bash
# ensure-postgres.sh: makes sure Debian's PostgreSQL server binaries are installed and prints the
# folder that holds them (/usr/lib/postgresql/<major>/bin, the highest major present), only that,
# on stdout. Installs the `postgresql` package with apt-get when no server is there (needs root).
# Also makes sure the `postgres` system user exists (the package creates it): tests running as
# root start their throwaway clusters as that user, since PostgreSQL refuses to run as root.
# Quick when everything is in place. Fails loudly: non-zero exit, reason on stderr.
set -euo pipefail

die() {
  echo "ensure-postgres: $*" >&2
  exit 1
}

# The highest major version's bin folder (numeric sort: a glob would put 9 after 15), or nothing.
find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && echo "${d#/usr/lib/postgresql/} $d"
  done | sort -n -k1,1 | tail -1 | cut -d' ' -f2-
}

bin=$(find_bin)
if [ -z "$bin" ] || ! id -u postgres >/dev/null 2>&1 || [ ! -x "$bin/psql" ]; then
  [ "$(id -u)" = 0 ] || die "PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) or the postgres user are missing, and installing them needs root: run 'apt-get install -y postgresql' as root"
  export DEBIAN_FRONTEND=noninteractive
  echo "ensure-postgres: installing postgresql with apt-get" >&2
  # The package's own cluster is not wanted (tests make throwaway clusters): do not create it.
  mkdir -p /etc/postgresql-common/createcluster.d
  [ -e /etc/postgresql-common/createcluster.d/mcpwatch.conf ] ||
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/mcpwatch.conf
  if ! apt-get install -y -q --no-install-recommends postgresql >&2; then
    apt-get update -q >&2 || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends postgresql >&2 || die "apt-get install postgresql failed (see above)"
  fi
  bin=$(find_bin)
  [ -n "$bin" ] || die "postgresql is installed but no /usr/lib/postgresql/*/bin/initdb was found"
  id -u postgres >/dev/null 2>&1 || die "postgresql is installed but there is no 'postgres' user"
fi
for t in initdb postgres pg_ctl pg_isready psql; do
  [ -x "$bin/$t" ] || die "$bin/$t is missing (package postgresql-<major> / postgresql-client-<major> incomplete?)"
done
echo "$bin"
