#!/usr/bin/env bash
# Installs Canopy from this folder (the portable tarball, or a source tree after
# packaging/linux/build-tarball.sh staged it): the binary, the desktop entry, icons, AppStream
# metainfo, man pages and shell completions.
#
#   ./install.sh               for the current user, under ~/.local
#   sudo ./install.sh --system for everyone, under /usr/local
#   ./install.sh --uninstall   (or --system --uninstall) removes what an install put there
#
# PREFIX overrides the folder. The list of installed files is kept in
# PREFIX/share/canopy/installed-files.txt, so uninstalling removes exactly those.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${PREFIX:-$HOME/.local}"
uninstall=0
for arg in "$@"; do
  case "$arg" in
    --system) prefix="${PREFIX:-/usr/local}" ;;
    --uninstall) uninstall=1 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg (try --help)" >&2; exit 2 ;;
  esac
done
manifest="$prefix/share/canopy/installed-files.txt"

refresh_caches() {
  command -v update-desktop-database > /dev/null && update-desktop-database -q "$prefix/share/applications" 2> /dev/null || true
  command -v gtk-update-icon-cache > /dev/null && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" 2> /dev/null || true
  command -v mandb > /dev/null && mandb -q 2> /dev/null || true
}

if [ "$uninstall" = 1 ]; then
  [ -f "$manifest" ] || { echo "nothing to uninstall: no $manifest" >&2; exit 1; }
  while read -r file; do
    rm -f "$prefix/$file"
    # The folders the install made, once empty (never the prefix itself).
    dir="$(dirname "$file")"
    while [ "$dir" != . ] && rmdir "$prefix/$dir" 2> /dev/null; do dir="$(dirname "$dir")"; done
  done < "$manifest"
  rm -f "$manifest"
  rmdir "$prefix/share/canopy" 2> /dev/null || true
  hicolor="$prefix/share/icons/hicolor"
  if [ -d "$hicolor" ] && [ -z "$(find "$hicolor" -type f ! -name icon-theme.cache -print -quit)" ]; then
    # Only the cache made for our icons is left.
    rm -f "$hicolor/icon-theme.cache"
    rmdir "$hicolor" "$prefix/share/icons" "$prefix/share" 2> /dev/null || true
  else
    refresh_caches
  fi
  echo "Uninstalled Canopy from $prefix"
  exit 0
fi

[ -x "$here/bin/canopy" ] || { echo "no bin/canopy next to this script" >&2; exit 1; }
mkdir -p "$prefix/share/canopy"
(cd "$here" && find bin share -type f | sort) > "$manifest.new"
while read -r file; do
  mode=644
  [ "${file#bin/}" != "$file" ] && mode=755
  install -D -m "$mode" "$here/$file" "$prefix/$file"
done < "$manifest.new"
mv "$manifest.new" "$manifest"
refresh_caches
echo "Installed Canopy $("$prefix/bin/canopy" --version | cut -d' ' -f2-) to $prefix"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "note: $prefix/bin is not on your PATH" ;;
esac
if [ "$prefix" = "$HOME/.local" ]; then
  echo "zsh: add ~/.local/share/zsh/site-functions to fpath for completions"
fi
