#!/usr/bin/env bash
# The portable tarball: builds it (or takes TARBALL=path), unpacks it, installs it per user
# (a scratch HOME) and system-wide (a scratch PREFIX with --system), checks what a user runs
# (canopy --version, the man page, the completions, the desktop entry and icons), and that
# --uninstall leaves no file behind. One PASS/FAIL line per step; exit status: failures.
set -uo pipefail
cd "$(dirname "$0")/../.."
failed=0
check() {
  local name="$1"
  shift
  if out="$("$@" 2>&1)"; then echo "PASS  $name${out:+ — $(tail -n 1 <<< "$out")}"; else
    echo "FAIL  $name — $(tail -n 3 <<< "$out" | tr '\n' ' ')"
    failed=$((failed + 1))
  fi
}
tarball="${TARBALL:-$(packaging/linux/build-tarball.sh | tail -n 1)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xzf "$tarball"
unpacked="$(find "$work" -maxdepth 1 -type d -name 'canopy-*' | head -n 1)"
echo "tarball: $tarball ($(du -h "$tarball" | cut -f1))"

installed() { # installed PREFIX: what a user finds there
  local prefix="$1"
  "$prefix/bin/canopy" --version | grep -q "(commit [0-9a-f]" \
    && MANPATH="$prefix/share/man" man -w canopy > /dev/null \
    && test -s "$prefix/share/bash-completion/completions/canopy" \
    && test -s "$prefix/share/zsh/site-functions/_canopy" \
    && test -s "$prefix/share/fish/vendor_completions.d/canopy.fish" \
    && test -s "$prefix/share/applications/io.github.canopymqtt.Canopy.desktop" \
    && test -s "$prefix/share/icons/hicolor/256x256/apps/io.github.canopymqtt.Canopy.png" \
    && "$prefix/bin/canopy" --version
}
gone() { # gone DIR: no file left under it
  local left
  left="$(find "$1" -type f 2> /dev/null | wc -l)"
  echo "$left files left"
  [ "$left" = 0 ]
}
mkdir -p "$work/home"
check "install.sh for the user (~/.local)" env HOME="$work/home" "$unpacked/install.sh"
check "what the user finds in ~/.local" installed "$work/home/.local"
check "install.sh --uninstall" env HOME="$work/home" "$unpacked/install.sh" --uninstall
check "nothing left in ~/.local" gone "$work/home/.local"
check "install.sh --system (PREFIX)" env PREFIX="$work/system" "$unpacked/install.sh" --system
check "what everyone finds in the prefix" installed "$work/system"
check "install.sh --system --uninstall" env PREFIX="$work/system" "$unpacked/install.sh" --system --uninstall
check "nothing left in the prefix" gone "$work/system"
if [ "$failed" = 0 ]; then echo "ALL PASS"; else echo "$failed FAILED"; fi
exit "$failed"
