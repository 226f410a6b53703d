#!/usr/bin/env bash
# ensure-dockerd.sh: makes sure a Docker engine answers on this machine and that the local test
# image mcpwatch-test/busybox:latest exists. Idempotent and quick when all is in place:
#   1. installs docker.io and busybox-static with apt-get when they are missing (needs root);
#   2. starts dockerd (no iptables, no bridge: this machine has no network to give containers)
#      when `docker info` fails, logging to $MCPWATCH_DOCKERD_LOG, and waits up to 30 s for it;
#   3. builds the test image with `docker import` from a rootfs holding a static busybox and its
#      applet symlinks (/bin/sh, /bin/echo, ...), as no registry can be pulled from here.
# Fails loudly: non-zero exit and a message on stderr.
set -euo pipefail

IMAGE=${MCPWATCH_TEST_IMAGE:-mcpwatch-test/busybox:latest}
LOG=${MCPWATCH_DOCKERD_LOG:-/tmp/mcpwatch-dockerd.log}

die() {
  echo "ensure-dockerd: $*" >&2
  exit 1
}

# One run at a time: parallel test setups must not start two daemons or import twice.
exec 9>/tmp/mcpwatch-ensure-dockerd.lock
flock -w 120 9 || die "another ensure-dockerd.sh still holds /tmp/mcpwatch-ensure-dockerd.lock after 120 s"

# --- 1. packages -----------------------------------------------------------------------------
static_busybox() {
  # busybox-static installs a static /bin/busybox; the dynamic 'busybox' package would not run
  # inside an image without a libc.
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1
}
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker >/dev/null 2>&1 || need+=(docker.io)
static_busybox || need+=(busybox-static)
if ((${#need[@]})); then
  [ "$(id -u)" = 0 ] || die "missing ${need[*]} and not root: install them with apt-get install -y ${need[*]}"
  echo "ensure-dockerd: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 || die "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2 || die "apt-get install ${need[*]} failed"
  static_busybox || die "/bin/busybox is missing or not static after installing busybox-static"
fi

# --- 2. the daemon ---------------------------------------------------------------------------
dockerd_alive() {
  # A dockerd that was just killed stays a zombie until it is reaped: that one is not running.
  pgrep -x -r R,S,D,T dockerd >/dev/null
}
if ! docker info >/dev/null 2>&1; then
  # Up to 3 starts: right after a dockerd was killed, the containerd it ran can linger for a few
  # seconds and make the next dockerd give up ("timeout waiting for containerd to start").
  for attempt in 1 2 3; do
    if dockerd_alive; then
      echo "ensure-dockerd: dockerd is running but does not answer yet; waiting" >&2
    else
      [ "$(id -u)" = 0 ] || die "dockerd is not running and only root can start it"
      echo "ensure-dockerd: starting dockerd (log: $LOG, attempt $attempt)" >&2
      # Stale pid files from a killed daemon make the new one refuse to start (docker.pid) or wait
      # for a containerd that is gone (containerd.pid, then "timeout waiting for containerd").
      # (kill -0 also succeeds on a zombie: look at the process state.)
      for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
        if [ -f "$pidfile" ] && [[ "$(ps -o stat= -p "$(cat "$pidfile")" 2>/dev/null)" != [RSDT]* ]]; then
          rm -f "$pidfile"
        fi
      done
      # 9>&-: the daemon must not inherit (and hold forever) the lock of this script.
      setsid nohup dockerd --iptables=false --ip6tables=false --bridge=none >>"$LOG" 2>&1 </dev/null 9>&- &
    fi
    for _ in $(seq 1 60); do
      docker info >/dev/null 2>&1 && break 2
      sleep 0.5
      dockerd_alive || break # it gave up: start it again
    done
    sleep 2
  done
  docker info >/dev/null 2>&1 || {
    echo "ensure-dockerd: dockerd did not answer after $attempt start(s); last lines of $LOG:" >&2
    tail -n 20 "$LOG" >&2 2>/dev/null || true
    exit 1
  }
fi

# --- 3. the test image -----------------------------------------------------------------------
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "ensure-dockerd: building $IMAGE from /bin/busybox" >&2
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,root,var/log}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  # Every applet as a symlink in /bin (sh, echo, sleep, cat, ...), like busybox --install -s.
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" -c . |
    docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' -m 'mcpwatch test image: static busybox' - "$IMAGE" >/dev/null ||
    die "docker import of $IMAGE failed"
  docker run --rm --network none "$IMAGE" /bin/sh -c 'echo ok' | grep -qx ok ||
    die "$IMAGE was built but /bin/sh does not run in it"
fi
echo "ensure-dockerd: docker is up, $IMAGE is present" >&2
