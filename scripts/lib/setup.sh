# Shared by scripts/doctor.sh and scripts/test.sh: everything a fresh Debian
# machine needs, installed only when missing. Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV="$ROOT/.venv"
APT_UPDATED=
# Rust 2024 edition, std::io::pipe.
MIN_RUST=1.87

say() { printf 'pcvmfs setup: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $* (install sudo or run as root)"
    fi
}

# Installs Debian packages that are not installed yet; `apt-get update`
# runs once, and only when something is missing.
apt_install() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "missing packages ${missing[*]}, and this is not a Debian machine"
    if [ -z "$APT_UPDATED" ]; then
        say "apt-get update"
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    say "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_rust() {
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
    command -v cargo >/dev/null 2>&1 || die "cargo is missing: install Rust $MIN_RUST or later with rustup (https://rustup.rs)"
    local have
    have=$(rustc --version | awk '{print $2}')
    if [ "$(printf '%s\n%s\n' "$MIN_RUST" "$have" | sort -V | head -n1)" != "$MIN_RUST" ]; then
        die "Rust $have is too old: pcvmfs needs $MIN_RUST or later (rustup update)"
    fi
}

# A Python virtual environment in .venv with maturin and what the tests use.
ensure_venv() {
    command -v python3 >/dev/null 2>&1 || apt_install python3
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$VENV"; }
    fi
    "$VENV/bin/python" -m pip install -q --upgrade "maturin>=1.5,<2" "$@"
}

# Builds the extension and installs pcvmfs into .venv (release with --release).
install_pcvmfs() {
    (cd "$ROOT" && "$VENV/bin/maturin" develop -q "$@")
}

docker_answers() { docker info >/dev/null 2>&1; }

# Makes sure a Docker daemon answers: the running one, or Debian's docker.io
# installed and started.
ensure_docker() {
    if docker_answers; then return 0; fi
    command -v dockerd >/dev/null 2>&1 || apt_install docker.io
    command -v docker >/dev/null 2>&1 || apt_install docker.io
    if docker_answers; then return 0; fi
    say "starting dockerd"
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        as_root systemctl start docker || true
    elif command -v service >/dev/null 2>&1 && [ -x /etc/init.d/docker ]; then
        as_root service docker start || true
    fi
    if ! docker_answers && ! pgrep -x dockerd >/dev/null 2>&1; then
        as_root sh -c 'nohup dockerd >/var/log/pcvmfs-dockerd.log 2>&1 &'
    fi
    local i
    for i in $(seq 1 60); do
        docker_answers && return 0
        sleep 1
    done
    die "dockerd did not answer within 60 seconds (see /var/log/pcvmfs-dockerd.log or journalctl -u docker)"
}

# Builds the statically linked probe and puts it where the Python package
# and the Rust tests find it (python/pcvmfs/bin/pcvmfs-probe, PCVMFS_PROBE).
build_probe() {
    (cd "$ROOT" && RUSTFLAGS="-C target-feature=+crt-static" \
        cargo build -q --release --locked -p pcvmfs-probe --target x86_64-unknown-linux-gnu)
    install -D -m 0755 "$ROOT/target/x86_64-unknown-linux-gnu/release/pcvmfs-probe" "$ROOT/python/pcvmfs/bin/pcvmfs-probe"
    export PCVMFS_PROBE="$ROOT/python/pcvmfs/bin/pcvmfs-probe"
    # The tests' own DNS server (never shipped), built by the same command.
    export PCVMFS_TEST_DNS="$ROOT/target/x86_64-unknown-linux-gnu/release/pcvmfs-test-dns"
}
