#!/usr/bin/env bash
# Builds and runs Canopy (release build; the first build takes a while).
# Installs the runtime libraries a bare Debian lacks. Arguments go to canopy, e.g.
#   scripts/run.sh --connect mqtt://localhost:1883
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/apt-ensure.sh build-essential libx11-6 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0 \
  libwayland-client0 libvulkan1 mesa-vulkan-drivers libegl1 libgl1 libgl1-mesa-dri libfontconfig1
exec cargo run --release -- "$@"
