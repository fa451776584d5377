#!/usr/bin/env bash
# The main job: set up a fresh machine, build kubeadm-rs, and run `init --dry-run` on the
# embedded default configuration. Nothing on this machine is changed: every file goes to a
# temporary directory, which the output names.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
cargo build --release --locked -p kubeadm-rs
# This machine runs no container runtime and no kubelet: the checks that need them are
# reported as warnings instead of stopping the dry run.
exec target/release/kubeadm-rs init --dry-run "$@"
