#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine (a Docker
# daemon, Debian's static busybox, a Python environment) and runs every
# test: all crates' Rust tests, then pytest.
set -euo pipefail
. "$(dirname "$0")/lib/setup.sh"

ensure_rust
apt_install busybox-static apparmor util-linux iproute2 docker-registry apache2-utils openssl
ensure_docker
ensure_venv "pytest>=7" "tqdm>=4.60" "mypy>=1.18"
build_probe
install_pcvmfs

cd "$ROOT"
cargo test --workspace --locked
"$VENV/bin/python" -m pytest -q tests
