#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite: formatting, lints, unit and
# integration tests (which drive openssl, kubectl, etcd and the schema validator).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export KUBEADM_RS_TOOLS=${KUBEADM_RS_TOOLS:-$repo/target/tools}
bash scripts/setup.sh

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The example and hostile plugins are their own wasm32-wasip2 workspace; their logic is
# unit-tested natively (tests/build.rs builds the .wasm files for the integration tests).
(
    cd plugins
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    cargo test --workspace --locked --target "$(rustc -vV | sed -n 's/^host: //p')"
)
# The Python plugins' logic, natively (tests/it/plugin_python.rs builds and runs the components).
"$KUBEADM_RS_TOOLS/venv/bin/python" -B -m pytest -q -p no:cacheprovider plugins/py-node-checks
# The shipped binary and its manual-page generator, built once: tests/it/package.rs packs
# them into the Debian package (scripts/package-deb.sh --no-build) instead of building again.
cargo build --profile dist --locked -p kubeadm-rs -p kubeadm-rs-man
if command -v cargo-nextest >/dev/null; then
    cargo nextest run --workspace --locked --no-fail-fast
else
    cargo test --workspace --locked --no-fail-fast
fi
# Every benchmark once in its quick mode (debug build, one run per row), so none rots unseen;
# `cargo bench -p kubeadm-rs-tests --bench <name>` measures for real. `--workspace` keeps the
# features the suite was built with, so nothing is compiled again.
cargo test --workspace --bench '*' --locked
