#!/usr/bin/env bash
# The main job: set up a fresh machine, build kubeadm-rs, and run `init --dry-run` on the
# embedded default configuration. Nothing on this machine is changed: every file goes to a
# temporary directory, which the output names.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
cargo build --release --locked -p kubeadm-rs
# These machines run no container runtime, have no iptables, forward no packets and give
# the kubelet no cgroup controllers: those preflight errors are shown as warnings so the
# dry run can show every phase. Every other check still applies.
exec target/release/kubeadm-rs init --dry-run \
    --ignore-preflight-errors=CRI,FileExisting-iptables,SystemVerification,FileContent--proc-sys-net-ipv4-ip_forward \
    "$@"
