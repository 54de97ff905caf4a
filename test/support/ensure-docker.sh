#!/bin/sh
# The container runtime's tests need a Docker engine. Make one run when possible: install Debian's
# docker.io (and docker-compose 1.29) when missing, start dockerd in the background, wait for it.
# Always exits 0: when the engine cannot run (no root, no privileges for namespaces or cgroups), it
# prints one line with the reason, and the tests skip with the reason dockerStatus() gives.
# Run as root (CI is root); through sudo otherwise.
set -u

LOG=/tmp/chainsoak-dockerd.log

say() { echo "ensure-docker: $*" >&2; }

engine_up() { docker info >/dev/null 2>&1; }

engine_version() { docker version --format '{{.Server.Version}}' 2>/dev/null; }

if command -v docker >/dev/null 2>&1 && engine_up && command -v docker-compose >/dev/null 2>&1; then
  say "Docker engine $(engine_version) already running"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=sudo
else
  if command -v docker >/dev/null 2>&1 && engine_up; then exit 0; fi
  say "no Docker engine, and not root (no sudo either): run test/support/ensure-docker.sh as root"
  exit 0
fi

# Another apt (e.g. a machine's own install of docker.io at boot) may hold the dpkg lock: wait for it,
# up to 10 minutes. fuser cannot see every process in some sandboxes, so apt's own lock timeout backs it.
wait_dpkg_lock() {
  i=0
  while [ "$i" -lt 600 ]; do
    if command -v fuser >/dev/null 2>&1; then
      fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock >/dev/null 2>&1 || return 0
    else
      return 0
    fi
    [ "$i" -eq 0 ] && say "waiting for another apt/dpkg to finish"
    i=$((i + 2))
    sleep 2
  done
}

apt_install() {
  wait_dpkg_lock
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
  wait_dpkg_lock
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/tmp/chainsoak-apt.log 2>&1
}

missing=
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
if [ -n "$missing" ]; then
  say "installing Debian's$missing"
  if ! apt_install $missing; then
    # A dpkg interrupted by a concurrent install can leave packages half-configured: repair once, retry.
    $SUDO env DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null 2>&1 || true
    if ! apt_install $missing; then
      say "apt-get install$missing failed: $(tail -n 1 /tmp/chainsoak-apt.log)"
    fi
  fi
fi

if ! command -v docker >/dev/null 2>&1; then
  say "no docker CLI on PATH (the docker.io package brings one): Docker tests will skip"
  exit 0
fi

if engine_up; then
  say "Docker engine $(engine_version) running"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  say "dockerd is not installed (apt-get install docker.io failed): Docker tests will skip"
  exit 0
fi

# (no pgrep: procps is not on every fresh Debian) A dockerd still starting (a second call right after
# the first) has written its pid file: do not start a second one.
alive() { [ -n "$1" ] && [ -d "/proc/$1" ]; }
pid=$(cat /var/run/docker.pid 2>/dev/null || true)
if ! alive "$pid"; then
  # A stale pid file from a killed dockerd stops the next one from starting.
  $SUDO rm -f /var/run/docker.pid
  say "starting dockerd (log: $LOG)"
  # setsid: its own session, so the engine outlives the shell (and process group) that started it.
  detach=; command -v setsid >/dev/null 2>&1 && detach=setsid
  pid=$($SUDO sh -c "$detach nohup dockerd >>'$LOG' 2>&1 </dev/null & echo \$!")
fi

i=0
while [ "$i" -lt 60 ]; do
  if engine_up; then
    say "Docker engine $(engine_version) running ($(docker info --format '{{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null))"
    exit 0
  fi
  alive "$pid" || break
  sleep 1
  i=$((i + 1))
done

reason=$(grep -iE 'level=(fatal|error)|failed to start|permission denied|operation not permitted' "$LOG" 2>/dev/null | tail -n 1 | cut -c1-300)
if alive "$pid"; then
  say "dockerd started but did not answer within 60 s${reason:+: $reason} (log: $LOG): Docker tests will skip"
else
  say "dockerd exited${reason:+: $reason} (log: $LOG): Docker tests will skip"
fi
exit 0
