#!/usr/bin/env bash
# A second dockerd with nothing in it, to measure what a fresh CI machine pays (BENCHMARKS.md 4):
# its own empty --data-root and --exec-root, socket, pidfile and bridge (NATed by three iptables
# rules of its own, so apt and PyPI are reachable from build steps), and a cpuacct cgroup holding the
# daemon and every container it runs (STATE/cpu-seconds reads its CPU time). `start` loads the base
# images through scripts/setup.sh (from its rootfs tarball cache, made by debootstrap when absent);
# `stop` ends the daemon by its PID and removes its data root, bridge, rules and cgroup.
#   scripts/fresh-dockerd.sh start [STATE=/tmp/jcb-fresh] [SUBNET=10.214.77]
#   DOCKER_HOST=unix:///tmp/jcb-fresh/docker.sock .venv/bin/python -m pytest tests/e2e/test_cuda_example.py
#   scripts/fresh-dockerd.sh cpu [STATE]     # CPU seconds used by the daemon and its builds so far
#   scripts/fresh-dockerd.sh stop [STATE]
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
cmd=${1:-} state=${2:-/tmp/jcb-fresh}
name=jcbf$(printf '%s' "$state" | sha256sum | cut -c1-8)   # bridge and cgroup names (<= 15 chars)
cgroup=/sys/fs/cgroup/cpuacct/$name

nat_rules() {  # nat_rules -A|-D SUBNET
  iptables -t nat "$1" POSTROUTING -s "$2.0/24" ! -o "$name" -j MASQUERADE
  iptables "$1" FORWARD -i "$name" ! -o "$name" -j ACCEPT
  iptables "$1" FORWARD -o "$name" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
}

if [ "$cmd" = start ]; then
  subnet=${3:-10.214.77}
  [ -e "$state" ] && { echo "$state exists: stop it first ($0 stop $state)" >&2; exit 1; }
  mkdir -p "$state/data" "$state/exec" "$cgroup"
  echo "$subnet" > "$state/subnet"
  ip link add "$name" type bridge
  ip addr add "$subnet.1/24" dev "$name"
  ip link set "$name" up
  nat_rules -I "$subnet"
  echo $$ > "$cgroup/cgroup.procs"   # the daemon, containerd and every build container inherit it
  setsid -f dockerd --host "unix://$state/docker.sock" --data-root "$state/data" --exec-root "$state/exec" \
    --pidfile "$state/docker.pid" --bridge "$name" --iptables=false --ip-masq=false \
    --cgroup-parent "/$name" > "$state/dockerd.log" 2>&1 < /dev/null
  export DOCKER_HOST="unix://$state/docker.sock"
  for _ in $(seq 60); do docker info > /dev/null 2>&1 && break; sleep 0.5; done
  docker info > /dev/null || { tail -n 20 "$state/dockerd.log" >&2; exit 1; }
  bash scripts/setup.sh   # loads jcb/busybox, jcb/debian:bookworm-{amd64,arm64} into it
  echo "DOCKER_HOST=$DOCKER_HOST"
elif [ "$cmd" = cpu ]; then
  awk '{printf "%.1f\n", $1 / 1e9}' "$cgroup/cpuacct.usage"
elif [ "$cmd" = stop ]; then
  [ -f "$state/docker.pid" ] && kill "$(cat "$state/docker.pid")"
  for _ in $(seq 60); do [ -f "$state/docker.pid" ] || break; sleep 0.5; done
  [ -f "$state/subnet" ] && nat_rules -D "$(cat "$state/subnet")"
  ip link delete "$name" 2>/dev/null || true
  # what the daemon left mounted under its roots (its default netns), deepest first
  awk -v root="$state/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount
  for h in /sys/fs/cgroup/*/; do [ -d "$h$name" ] && rmdir "$h$name"/*/ "$h$name" 2>/dev/null; done || true
  rm -rf "$state"
else
  echo "usage: $0 start [STATE] [SUBNET] | cpu [STATE] | stop [STATE]" >&2
  exit 2
fi
