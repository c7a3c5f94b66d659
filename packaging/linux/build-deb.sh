#!/usr/bin/env bash
# Builds canopy_<version>_amd64.deb: the release binary, the desktop entry, icons, AppStream
# metainfo, man pages, shell completions and the copyright file. Needs cargo-deb
# (`cargo install cargo-deb`). Prints the package's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo-deb > /dev/null || { echo "needs cargo-deb: cargo install cargo-deb" >&2; exit 1; }
cargo build --release --locked
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
packaging/linux/generate.sh "$target_dir/release/canopy"
if command -v appstreamcli > /dev/null; then
  appstreamcli validate --no-net packaging/linux/io.github.canopymqtt.Canopy.metainfo.xml
else
  echo "note: appstreamcli not installed (Debian package appstream): metainfo not validated" >&2
fi
cargo deb --no-build
