#!/usr/bin/env bash
# Sets up pcvmfs in .venv (a release build) and checks this node with
# `pcvmfs doctor` against the local Docker engine. Arguments go to the
# doctor: scripts/doctor.sh --proxy http://squid.example.org:3128 --json
set -euo pipefail
. "$(dirname "$0")/lib/setup.sh"

ensure_rust
ensure_venv
build_probe
install_pcvmfs --release
exec "$VENV/bin/pcvmfs" doctor "$@"
