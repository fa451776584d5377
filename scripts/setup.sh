#!/usr/bin/env bash
# Installs everything kubeadm-rs builds and tests with, on a fresh Debian machine (run as root).
# Safe to re-run: each step is skipped when its tool is already there.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
tools=${KUBEADM_RS_TOOLS:-$repo/target/tools}
say() { printf '[setup] %s\n' "$*" >&2; }

# The wasm32-wasip2 target builds the plugins; fall back to the offline copy beside the repo.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 \
   && [ ! -d "$(rustc --print sysroot)/lib/rustlib/wasm32-wasip2" ]; then
    say "adding the wasm32-wasip2 target"
    if ! rustup target add wasm32-wasip2; then
        archive=$(ls "$repo"/../shared/toolchain/rust-std-*-wasm32-wasip2.tar.xz 2>/dev/null | head -1)
        [ -n "$archive" ] || { say "no offline wasm32-wasip2 archive found"; exit 1; }
        say "rustup failed; unpacking $archive"
        tmp=$(mktemp -d)
        tar -xJf "$archive" -C "$tmp"
        cp -r "$tmp"/rust-std-*/rust-std-wasm32-wasip2/lib/rustlib/wasm32-wasip2 "$(rustc --print sysroot)/lib/rustlib/"
        rm -rf "$tmp"
    fi
fi

# Debian packages: real etcd, openssl, cfssl (benchmark peer), minisign, iproute2 (network namespaces),
# protoc (the etcd-client crate's build script compiles etcd's .proto files with it),
# strace (kills a run at an exact write and watches its syncs, in crash_safety.rs),
# docker-registry (the CNCF distribution registry) and htpasswd -B (its bcrypt users) for
# the OCI plugin tests (plugin_oci.rs); for the Debian package (scripts/package-deb.sh,
# tests/it/package.rs): dpkg-dev (dpkg-shlibdeps, dpkg-parsechangelog), lintian, groff and man
# to check the pages, readelf to check the stripping.
need=()
command -v protoc >/dev/null || need+=(protobuf-compiler)
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
command -v openssl >/dev/null || need+=(openssl)
command -v cfssl >/dev/null || need+=(golang-cfssl)
command -v minisign >/dev/null || need+=(minisign)
command -v ip >/dev/null || need+=(iproute2)
command -v strace >/dev/null || need+=(strace)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
command -v lintian >/dev/null || need+=(lintian)
command -v groff >/dev/null || need+=(groff-base)
command -v man >/dev/null || need+=(man-db)
command -v readelf >/dev/null || need+=(binutils)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Waits for another apt run to finish instead of failing on its lock.
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${need[@]}" >/dev/null
fi

# kubectl comes with the base image; the tests use it as a real client.
command -v kubectl >/dev/null || { say "kubectl is missing: the tests need it on PATH"; exit 1; }

# PyPI's kubernetes-validate: the strict schema check of every manifest; componentize-py
# builds the Python plugins (plugins/py-*) and pytest tests their logic. Pinned: a new
# componentize-py may bundle another CPython and change what the components import.
if [ ! -x "$tools/venv/bin/kubernetes-validate" ]; then
    say "creating the schema-validator venv in $tools/venv"
    mkdir -p "$tools"
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/pip" install -q kubernetes-validate
fi
python_tools=(componentize-py==0.25.1 pytest==8.3.4)
if ! "$tools/venv/bin/pip" show -q "${python_tools[@]%%==*}" >/dev/null 2>&1 \
   || [ "$("$tools/venv/bin/componentize-py" --version 2>/dev/null)" != "componentize-py 0.25.1" ]; then
    say "installing ${python_tools[*]} in $tools/venv"
    "$tools/venv/bin/pip" install -q "${python_tools[@]}"
fi
say "ready"
