#!/usr/bin/env bash
# Idempotent developer/CI setup for jcb: venv, Docker engine with BuildKit, local
# base images and a local OCI registry. A rerun skips everything already done.
# See docs/engine.md. JCB_SETUP_SKIP_ENGINE=1: only the venv.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."  # the repository, even through a symlink

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/jcb-setup
DOCKER=/usr/bin/docker          # Debian's 20.10 CLI: BuildKit builds even without buildx
REGISTRY_DIR=/var/lib/jcb-registry
REGISTRY_ADDR=127.0.0.1:5000
export DEBIAN_FRONTEND=noninteractive DOCKER_BUILDKIT=1

log() { printf 'setup [%3ds]: %s\n' "$SECONDS" "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

# --- Python venv --------------------------------------------------------------
setup_venv() {
  [ -x .venv/bin/python ] || { log "creating .venv"; python3 -m venv .venv; }
  local stamp=.venv/.jcb-setup-pyproject.sha256 want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "pip install -e '.[test]'"
    .venv/bin/python -m pip install -q -e '.[test]'
    echo "$want" > "$stamp"
  fi
}

# --- Debian packages ----------------------------------------------------------
# First Debian archive URI of the machine's own apt sources (one-line or deb822).
debian_mirror() {
  [ -n "${JCB_DEBIAN_MIRROR:-}" ] && { echo "$JCB_DEBIAN_MIRROR"; return; }
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
            /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    /^[[:space:]]*#/ { next }
    $1 == "deb" { o = 0
      for (i = 2; i <= NF; i++) {
        if ($i ~ /^\[/) o = 1
        if (!o) { print $i; break }
        if ($i ~ /\]$/) o = 0 } }
    $1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }' |
    grep -E '^https?://[^ ]*/debian/?$' | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

setup_packages() {
  local p missing=()
  local wanted=(docker.io debootstrap docker-registry busybox-static ca-certificates graphviz)
  # The test suite opens query --output=html pages in a headless browser (scripts/test.sh sets this).
  [ "${JCB_SETUP_TEST_TOOLS:-0}" = 1 ] && wanted+=(chromium fonts-dejavu-core)
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# docker-buildx from Debian trixie via a private apt configuration; the system's
# sources stay untouched. Failure is not fatal: jcb falls back to DOCKER_BUILDKIT=1.
setup_buildx() {
  $DOCKER buildx version >/dev/null 2>&1 && return
  log "installing docker-buildx (Debian trixie, private apt config)"
  local d=$CACHE/apt-trixie debs
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/debs"
  debs=("$d"/debs/docker-buildx_*.deb)
  if [ ! -f "${debs[0]}" ]; then
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) trixie main" \
      > "$d/sources.list"
    local apt_opts=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
                    -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
                    -o APT::Sandbox::User=root)
    if ! { apt-get "${apt_opts[@]}" update -qq &&
           (cd "$d/debs" && apt-get "${apt_opts[@]}" download -qq docker-buildx); }; then
      log "WARNING: could not fetch docker-buildx; continuing without buildx"
      return
    fi
    debs=("$d"/debs/docker-buildx_*.deb)
  fi
  dpkg -i "${debs[0]}" >/dev/null || log "WARNING: dpkg -i ${debs[0]} failed; continuing without buildx"
}

# --- Docker daemon --------------------------------------------------------------
setup_dockerd() {
  $DOCKER info >/dev/null 2>&1 && return
  log "starting dockerd (log: /var/log/jcb-dockerd.log)"
  setsid -f dockerd --host unix:///var/run/docker.sock > /var/log/jcb-dockerd.log 2>&1 < /dev/null
  local _
  for _ in $(seq 60); do
    $DOCKER info >/dev/null 2>&1 && return
    sleep 0.5
  done
  tail -n 20 /var/log/jcb-dockerd.log >&2 || true
  die "dockerd did not answer within 30 s (see /var/log/jcb-dockerd.log)"
}

# --- Local base images -------------------------------------------------------------
image_exists() { $DOCKER image inspect "$1" >/dev/null 2>&1; }

build_busybox_image() {
  image_exists jcb/busybox:latest && return
  log "building jcb/busybox:latest"
  local ctx; ctx=$(mktemp -d)
  cp /bin/busybox "$ctx/busybox"
  cat > "$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /tmp /etc /root && chmod 1777 /tmp"]
ENV PATH=/bin
CMD ["/bin/sh"]
EOF
  $DOCKER build -q -t jcb/busybox:latest "$ctx" >/dev/null
  rm -rf "$ctx"
}

build_debian_image() {
  image_exists jcb/debian:bookworm && return
  local arch tar
  arch=$(dpkg --print-architecture)
  tar=$CACHE/debian-bookworm-$arch.tar
  if [ ! -f "$tar" ]; then
    local mirror root
    mirror=$(debian_mirror)
    root=$(mktemp -d)
    log "debootstrap --variant=minbase bookworm ($mirror)"
    debootstrap --variant=minbase --include=ca-certificates \
      bookworm "$root" "$mirror" > "$CACHE/debootstrap.log" 2>&1 ||
      { tail -n 20 "$CACHE/debootstrap.log" >&2; rm -rf "$root"; die "debootstrap failed"; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$root"
  fi
  log "building jcb/debian:bookworm"
  local ctx; ctx=$(mktemp -d)
  ln "$tar" "$ctx/rootfs.tar" 2>/dev/null || cp "$tar" "$ctx/rootfs.tar"
  printf 'FROM scratch\nADD rootfs.tar /\nCMD ["bash"]\n' > "$ctx/Dockerfile"
  $DOCKER build -q -t jcb/debian:bookworm "$ctx" >/dev/null
  rm -rf "$ctx"
}

# --- Local OCI registry ----------------------------------------------------------
setup_registry() {
  curl -fsS -o /dev/null "http://$REGISTRY_ADDR/v2/" 2>/dev/null && return
  log "starting docker-registry on $REGISTRY_ADDR (log: /var/log/jcb-registry.log)"
  mkdir -p "$REGISTRY_DIR/data"
  cat > "$REGISTRY_DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
  setsid -f docker-registry serve "$REGISTRY_DIR/config.yml" \
    > /var/log/jcb-registry.log 2>&1 < /dev/null
  local _
  for _ in $(seq 40); do
    curl -fsS -o /dev/null "http://$REGISTRY_ADDR/v2/" 2>/dev/null && return
    sleep 0.25
  done
  die "registry did not answer on http://$REGISTRY_ADDR/v2/ (see /var/log/jcb-registry.log)"
}

setup_venv
if [ "${JCB_SETUP_SKIP_ENGINE:-0}" = 1 ]; then
  log "JCB_SETUP_SKIP_ENGINE=1: venv only"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "the engine setup needs root (or set JCB_SETUP_SKIP_ENGINE=1)"
mkdir -p "$CACHE"
setup_packages
setup_buildx
setup_dockerd
build_busybox_image
build_debian_image
setup_registry
buildx=$($DOCKER buildx version 2>/dev/null | awk '{print "buildx " $2}' || true)
log "ready (${buildx:-no buildx}; registry $REGISTRY_ADDR)"
