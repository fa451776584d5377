#!/usr/bin/env bash
# A whole kubeadm-rs cluster on this machine: every node in its own network namespace with its
# own node root and kubelet double, the test control plane serving the control-plane endpoint,
# and a real etcd member on every control-plane node.
#
#   scripts/local-cluster.sh up [--control-planes N] [--workers M]   (defaults 3 and 20)
#   scripts/local-cluster.sh status
#   scripts/local-cluster.sh down
#
# Options for every command: --prefix P (namespaces P-cp1, P-w1, ..., P-br; default krs, so
# several clusters can coexist) and --state-dir DIR (node roots, logs and pids; default
# $TMPDIR/kubeadm-rs-local-cluster/P). Needs root (it creates network namespaces), and the
# tools of scripts/setup.sh (etcd, etcdctl, kubectl, ip).
#
# It builds the release binaries it runs once (kubeadm-rs, local-cluster and the test doubles).
# KRS_BIN_DIR=DIR runs the binaries already in DIR instead, without building (the tests point
# it at their debug build); KRS_KUBEADM=FILE names another kubeadm-rs binary.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
    echo "error: local-cluster.sh needs root: it creates network namespaces (run it with sudo)" >&2
    exit 1
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${KRS_BIN_DIR:-}" ]; then
    (cd "$repo" && cargo build --release --quiet -p kubeadm-rs --bin kubeadm-rs \
        -p kubeadm-rs-tests --bin local-cluster --bin test-kubelet --bin test-control-plane)
    export KRS_BIN_DIR="$repo/target/release"
fi
exec "$KRS_BIN_DIR/local-cluster" "$@"
