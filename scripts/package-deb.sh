#!/usr/bin/env bash
# Builds the Debian package of kubeadm-rs from this checkout, without debhelper or cargo-deb:
# a staged tree packed by `dpkg-deb --root-owner-group --build`. It holds the stripped binary
# (the `dist` profile), bash/zsh/fish completions and manual pages made by that binary's own
# clap tree, the kubelet drop-in kubeadm's package installs, the copyright and the changelog.
#
#   bash scripts/package-deb.sh [--no-build] [--reuse] [--out DIR]
#
# --no-build  packs target/dist/kubeadm-rs as it is (scripts/test.sh builds it once, before
#             the tests, and the package test packs it); otherwise cargo builds it first.
# --reuse     keeps a .deb already in DIR that is newer than everything it is made from
#             (the package tests share one package this way).
# --out DIR   where the .deb goes (default target/debian); its path is printed on stdout.
set -euo pipefail
umask 022

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
say() { printf '[package-deb] %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

target=${CARGO_TARGET_DIR:-$repo/target}
out=$target/debian
build=1
reuse=0
while [ $# -gt 0 ]; do
    case $1 in
        --no-build) build=0 ;;
        --reuse) reuse=1 ;;
        --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift ;;
        *) die "unknown argument '$1' (expected --no-build, --reuse or --out DIR)" ;;
    esac
    shift
done

for tool in dpkg-deb dpkg-shlibdeps dpkg-parsechangelog gzip; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup.sh (it installs dpkg-dev)"
done

if [ "$build" = 1 ]; then
    say "building the dist profile (kubeadm-rs and its manual-page generator)"
    cargo build --profile dist --locked -p kubeadm-rs -p kubeadm-rs-man
fi
dist=$target/dist
bin=$dist/kubeadm-rs
mangen=$dist/kubeadm-rs-man
for f in "$bin" "$mangen"; do
    [ -x "$f" ] || die "$f is missing: run 'cargo build --profile dist -p kubeadm-rs -p kubeadm-rs-man' or drop --no-build"
done

# One version everywhere: the changelog's, the workspace's and the one the binary reports.
changelog=packaging/deb/changelog
version=$(dpkg-parsechangelog -l "$changelog" -S Version)
crate_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
[ "$version" = "$crate_version" ] ||
    die "$changelog is at version $version but Cargo.toml's workspace version is $crate_version: add a changelog entry"
reported=$("$bin" version -o json)
[[ $reported == *"\"kubeadmRsVersion\": \"$version\""* ]] ||
    die "$bin does not report version $version: it is stale, build it again"
maintainer=$(dpkg-parsechangelog -l "$changelog" -S Maintainer)
# The changelog's date stamps every file, so the same sources give the same package.
export SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$changelog" -S Timestamp)
arch=$(dpkg --print-architecture)
mkdir -p "$out"
deb=$(cd "$out" && pwd)/kubeadm-rs_${version}_${arch}.deb
if [ "$reuse" = 1 ] && [ -f "$deb" ] &&
    [ -z "$(find "$bin" "$mangen" scripts/package-deb.sh packaging/deb Cargo.lock -newer "$deb" -print -quit)" ]; then
    say "up to date: $deb"
    echo "$deb"
    exit 0
fi

# dpkg-shlibdeps wants the staged tree at debian/<package>/ beside a debian/control.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/debian"
: > "$scratch/debian/control"
stage=$scratch/debian/kubeadm-rs
doc=$stage/usr/share/doc/kubeadm-rs
man1=$stage/usr/share/man/man1
mkdir -p "$stage/DEBIAN" "$doc" "$man1"

install -D -m 0755 "$bin" "$stage/usr/bin/kubeadm-rs"
install -D -m 0644 packaging/deb/10-kubeadm.conf "$stage/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"

# Completions and pages come from the binary's own command tree, so they match its flags.
install -d "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
    "$stage/usr/share/fish/vendor_completions.d"
"$bin" completion bash > "$stage/usr/share/bash-completion/completions/kubeadm-rs"
"$bin" completion zsh > "$stage/usr/share/zsh/vendor-completions/_kubeadm-rs"
"$bin" completion fish > "$stage/usr/share/fish/vendor_completions.d/kubeadm-rs.fish"
KUBEADM_RS_MAN_DATE=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d) "$mangen" "$man1" > /dev/null
gzip -9n "$man1"/*.1

gzip -9nc "$changelog" > "$doc/changelog.gz"
# The binary links these crates statically; their licences go beside the project's own.
crates=$(cargo tree --locked --offline -p kubeadm-rs -e normal,no-proc-macro --prefix none --format '{p}: {l}' |
    sed 's/ (\*)$//' | grep -v ' (/' | sort -u | sed 's/^/ /')
sed -e '/@CRATES@/{r /dev/stdin' -e 'd}' packaging/deb/copyright.in <<< "$crates" > "$doc/copyright"
# Most of those licences ask that the crate's own notice travels with the binary: every crate's
# licence files, as its authors ship them, in one compressed document beside the copyright.
registries=("${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/)
[ -d "${registries[0]}" ] ||
    die "no cargo registry sources under ${CARGO_HOME:-$HOME/.cargo}/registry/src: build first"
licenses=$scratch/third-party-licenses
: > "$licenses"
while IFS= read -r line; do
    line=${line# }
    crate=${line%% *} expression=${line#*: }
    crate_version=${line#* v} crate_version=${crate_version%%:*}
    dir=
    for r in "${registries[@]}"; do
        [ -d "$r$crate-$crate_version" ] && { dir=$r$crate-$crate_version; break; }
    done
    [ -n "$dir" ] || die "the sources of crate $crate $crate_version are not in the cargo registry: run cargo fetch"
    shopt -s nocaseglob nullglob
    files=("$dir"/licen[cs]e* "$dir"/copying* "$dir"/notice* "$dir"/copyright*)
    shopt -u nocaseglob nullglob
    {
        printf '=== %s %s (%s)\n' "$crate" "$crate_version" "$expression"
        [ ${#files[@]} -gt 0 ] || printf '%s\n\n' "This crate ships no licence file: its licence is the expression above (the text of Apache-2.0 is in /usr/share/common-licenses/Apache-2.0)."
        for f in "${files[@]}"; do
            [ -f "$f" ] || continue
            printf -- '--- %s\n' "${f##*/}"
            cat "$f"
            printf '\n'
        done
    } >> "$licenses"
done <<< "$crates"
gzip -9nc "$licenses" > "$doc/third-party-licenses.gz"

(cd "$scratch" && dpkg-shlibdeps -O debian/kubeadm-rs/usr/bin/kubeadm-rs) > "$scratch/shlibs"
depends=$(sed -n 's/^shlibs:Depends=//p' "$scratch/shlibs")
[ -n "$depends" ] || die "dpkg-shlibdeps found no shared-library dependency for $bin"
installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@MAINTAINER@/$maintainer/" \
    -e "s/@INSTALLED_SIZE@/$installed_size/" -e "s/@DEPENDS@/$depends/" \
    packaging/deb/control.in > "$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
    > "$stage/DEBIAN/md5sums"

chmod 0755 "$stage" "$stage/DEBIAN"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
# Written beside its final name, then renamed: a reader never sees half a package.
dpkg-deb --root-owner-group --build "$stage" "$deb.partial" > /dev/null
mv "$deb.partial" "$deb"
say "$(du -h "$deb" | cut -f1) $deb"
echo "$deb"
