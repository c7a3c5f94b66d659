#!/usr/bin/env bash
# Builds canopy-<version>-x86_64-linux.tar.gz: the release binary, the desktop entry, icons,
# AppStream metainfo, man pages, shell completions, the copyright file and install.sh (per user
# or --system, and --uninstall). Prints the tarball's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
packaging/linux/generate.sh "$target_dir/release/canopy"
name="canopy-$version-x86_64-linux"
stage="$target_dir/packaging/$name"
rm -rf "$stage"
id=io.github.canopymqtt.Canopy
install -D -m 755 "$target_dir/release/canopy" "$stage/bin/canopy"
strip "$stage/bin/canopy" 2> /dev/null || true
install -D -m 644 "packaging/linux/$id.desktop" "$stage/share/applications/$id.desktop"
install -D -m 644 "packaging/linux/$id.metainfo.xml" "$stage/share/metainfo/$id.metainfo.xml"
(cd packaging/linux/icons && find hicolor -type f) | while read -r icon; do
  install -D -m 644 "packaging/linux/icons/$icon" "$stage/share/icons/$icon"
done
for page in packaging/linux/generated/man/*.1.gz; do
  install -D -m 644 "$page" "$stage/share/man/man1/$(basename "$page")"
done
install -D -m 644 packaging/linux/generated/completions/canopy.bash "$stage/share/bash-completion/completions/canopy"
install -D -m 644 packaging/linux/generated/completions/_canopy "$stage/share/zsh/site-functions/_canopy"
install -D -m 644 packaging/linux/generated/completions/canopy.fish "$stage/share/fish/vendor_completions.d/canopy.fish"
install -D -m 644 packaging/linux/copyright "$stage/share/doc/canopy/copyright"
install -D -m 644 README.md "$stage/share/doc/canopy/README.md"
install -D -m 755 packaging/linux/install.sh "$stage/install.sh"
tarball="$target_dir/packaging/$name.tar.gz"
tar -C "$target_dir/packaging" --owner=0 --group=0 -czf "$tarball" "$name"
echo "$tarball"
