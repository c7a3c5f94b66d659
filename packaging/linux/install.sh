#!/usr/bin/env bash
# Installs a release build of canopy, its .desktop entry and icons for the current user
# (~/.local), so desktop launchers find it. Run after `cargo build --release`.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix="${PREFIX:-$HOME/.local}"
install -Dm755 target/release/canopy "$prefix/bin/canopy"
install -Dm644 packaging/linux/canopy.desktop "$prefix/share/applications/canopy.desktop"
install -Dm644 assets/icon.svg "$prefix/share/icons/hicolor/scalable/apps/canopy.svg"
install -Dm644 assets/icon-256.png "$prefix/share/icons/hicolor/256x256/apps/canopy.png"
echo "Installed canopy to $prefix"
