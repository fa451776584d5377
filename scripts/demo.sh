#!/usr/bin/env bash
# The main job: set up a fresh machine, build kubeadm-rs and the example plugins, and run
# `init --dry-run` on the embedded default configuration plus a PluginConfiguration that
# enables the example plugins (pinned by sha256). No node file on this machine is changed:
# every file goes to a temporary directory, which the output names; the only thing kept is
# the plugins' compile cache (/var/cache/kubeadm-rs/plugins).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
# The shipped binary (the dist profile, stripped): the one the package holds and test.sh builds.
cargo build --profile dist --locked -p kubeadm-rs
(cd plugins && CARGO_TARGET_DIR="$repo/target/plugins" cargo build --release --locked --target wasm32-wasip2 \
    -p net-sysctls -p kernel-modules -p min-resources -p flannel)
config=$(mktemp --suffix=.yaml)
trap 'rm -f "$config"' EXIT
bash scripts/demo-config.sh "$repo/target/plugins/wasm32-wasip2/release" > "$config"
# These machines run no container runtime, have no iptables, forward no packets and give
# the kubelet no cgroup controllers: those preflight errors are shown as warnings so the
# dry run can show every phase. Every other check still applies.
target/dist/kubeadm-rs init --dry-run --config "$config" \
    --ignore-preflight-errors=CRI,FileExisting-iptables,SystemVerification,FileContent--proc-sys-net-ipv4-ip_forward,net-sysctls/ip-forward \
    "$@"
