#!/usr/bin/env bash
# Idempotent developer/CI setup for jcb: venv, Docker engine with BuildKit, local
# base images and a local OCI registry. A rerun skips everything already done.
# See docs/engine.md. JCB_SETUP_SKIP_ENGINE=1: only the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

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
  for p in docker.io debootstrap docker-registry busybox-static ca-certificates \
           qemu-user-static binfmt-support; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "apt-get install ${missing[*]}"
  # other setups may hold the dpkg lock on a shared machine: wait for it rather than fail
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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
image_id() { $DOCKER image inspect --format "{{.Id}}" "$1" 2>/dev/null || true; }

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

# A reproducible Debian rootfs tarball: the same packages give the same bytes on every
# machine (sorted names, fixed mtimes, numeric owners, no logs/caches/machine-id).
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}   # 2023-11-14; any fixed value will do
strip_rootfs() {
  local root=$1
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
         "$root"/var/cache/ldconfig/aux-cache "$root"/var/cache/debconf/*-old \
         "$root"/var/lib/dpkg/*-old "$root"/etc/*- "$root"/debootstrap "$root"/tmp/* "$root"/run/*
  find "$root/var/log" -type f -delete
  : > "$root/etc/machine-id"
  # shadow's "last change" field counts days since 1970: pin it to SOURCE_DATE_EPOCH's day
  sed -i -E "s/^([^:]*:[^:]*:)[0-9]*:/\1$((SOURCE_DATE_EPOCH / 86400)):/" "$root/etc/shadow"
}

debian_rootfs() {  # debian_rootfs ARCH TAR
  local arch=$1 tar=$2 mirror root
  mirror=$(debian_mirror)
  root=$(mktemp -d)
  log "debootstrap --arch=$arch --variant=minbase bookworm ($mirror)"
  debootstrap --arch="$arch" --variant=minbase --include=ca-certificates \
    bookworm "$root" "$mirror" > "$CACHE/debootstrap-$arch.log" 2>&1 ||
    { tail -n 20 "$CACHE/debootstrap-$arch.log" >&2; rm -rf "$root"; die "debootstrap ($arch) failed"; }
  strip_rootfs "$root"
  tar -C "$root" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime --numeric-owner \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
  rm -rf "$root"
}

# `docker load` of an image made from the tarball by a fixed config (no build timestamp),
# so the image ID is a function of the rootfs tarball alone.
load_image() {  # load_image ARCH TAR TAG
  local arch=$1 tar=$2 tag=$3 dir diff created
  dir=$(mktemp -d)
  diff=$(sha256sum "$tar" | cut -d' ' -f1)
  created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
  ln "$tar" "$dir/layer.tar" 2>/dev/null || cp "$tar" "$dir/layer.tar"
  printf '{"architecture":"%s","os":"linux","created":"%s","config":{"Cmd":["bash"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"jcb scripts/setup.sh: debootstrap --variant=minbase bookworm"}]}' \
    "$arch" "$created" "$diff" "$created" > "$dir/config.json"
  printf '[{"Config":"config.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$tag" > "$dir/manifest.json"
  tar -C "$dir" -cf - manifest.json config.json layer.tar | $DOCKER load -q >/dev/null
  rm -rf "$dir"
}

# jcb/debian:bookworm-ARCH (ARCH as Debian names it: amd64, arm64).
build_debian_image() {  # build_debian_image ARCH
  local arch=$1 tag=jcb/debian:bookworm-$1 tar=$CACHE/debian-bookworm-$1.v2.tar
  image_exists "$tag" && return
  [ -f "$tar" ] || debian_rootfs "$arch" "$tar"
  log "loading $tag"
  load_image "$arch" "$tar" "$tag"
}

# --- arm64 emulation (qemu-user-static through binfmt_misc) -------------------------
# Flag F: the kernel opens the interpreter at registration, so it runs inside containers.
BINFMT=/proc/sys/fs/binfmt_misc
setup_qemu() {
  [ "$(dpkg --print-architecture)" = arm64 ] && return
  if ! grep -qs '^flags: .*F' "$BINFMT/qemu-aarch64"; then
    log "registering qemu-aarch64 with binfmt_misc (flag F)"
    [ -e "$BINFMT/register" ] || mount -t binfmt_misc binfmt_misc "$BINFMT"
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
    grep -qs '^flags: .*F' "$BINFMT/qemu-aarch64" ||
      die "qemu-aarch64 is not registered with flag F in $BINFMT (update-binfmts --display qemu-aarch64)"
  fi
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
setup_qemu
build_busybox_image
host_arch=$(dpkg --print-architecture)
build_debian_image "$host_arch"
[ "$host_arch" = arm64 ] || build_debian_image arm64
# jcb/debian:bookworm: the host's arch (what the demo platforms and tests build on)
[ "$(image_id jcb/debian:bookworm)" = "$(image_id "jcb/debian:bookworm-$host_arch")" ] ||
  $DOCKER tag "jcb/debian:bookworm-$host_arch" jcb/debian:bookworm
setup_registry
buildx=$($DOCKER buildx version 2>/dev/null | awk '{print "buildx " $2}' || true)
log "ready (${buildx:-no buildx}; registry $REGISTRY_ADDR)"
