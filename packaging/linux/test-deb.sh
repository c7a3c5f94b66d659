#!/usr/bin/env bash
# The .deb on a clean system: builds the package (or takes DEB=path), installs it into a fresh
# minimal Debian (debootstrap into a folder, chroot, `apt-get install ./canopy_….deb` resolving
# its dependencies from the archive), and checks, one PASS/FAIL line per step:
#   the version, the bundled broker with a mosquitto client round trip, the man page, the bash
#   completion, the window under Xvfb (a screenshot, checked non-blank), and that
#   `apt-get purge` leaves no file of the package behind.
# Needs root (debootstrap, chroot, mounts), debootstrap, and network access to the Debian
# archive only. Environment: DEB (a built package), SUITE (default bookworm), MIRROR (default
# http://deb.debian.org/debian), KEEP=1 keeps the chroot, SHOT (default
# target/test-deb-window.png). Exit status: the number of failed steps.
set -uo pipefail
cd "$(dirname "$0")/../.."
suite="${SUITE:-bookworm}"
mirror="${MIRROR:-http://deb.debian.org/debian}"
shot="$(realpath -m "${SHOT:-target/test-deb-window.png}")"
started=$(date +%s)
failed=0
step() { # step NAME COMMAND...: run, print PASS or FAIL with the output's last line
  local name="$1"
  shift
  local out
  if out="$("$@" 2>&1)"; then
    out="$(grep -v '^W: ' <<< "$out")"
    echo "PASS  $name${out:+ — $(tail -n 1 <<< "$out")}"
  else
    echo "FAIL  $name — $(tail -n 3 <<< "$out" | tr '\n' ' ')"
    failed=$((failed + 1))
  fi
}
[ "$(id -u)" = 0 ] || { echo "run as root (debootstrap and chroot)" >&2; exit 1; }
command -v debootstrap > /dev/null || { echo "needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }

deb="${DEB:-}"
if [ -z "$deb" ]; then
  deb="$(packaging/linux/build-deb.sh | tail -n 1)"
fi
deb="$(realpath "$deb")"
[ -f "$deb" ] || { echo "no package at $deb" >&2; exit 1; }
echo "package: $deb ($(du -h "$deb" | cut -f1))"

root="$(mktemp -d /tmp/canopy-deb-root.XXXXXX)"
cleanup() {
  for mount in dev/pts dev proc sys; do umount -l "$root/$mount" 2> /dev/null || true; done
  if [ "${KEEP:-}" = 1 ]; then echo "chroot kept at $root"; else rm -rf "$root"; fi
}
trap cleanup EXIT
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

step "debootstrap $suite (minbase) into $root" \
  debootstrap --variant=minbase "$suite" "$root" "$mirror"
mount --bind /dev "$root/dev" && mount --bind /dev/pts "$root/dev/pts" \
  && mount -t proc proc "$root/proc" && mount -t sysfs sys "$root/sys"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
name="$(basename "$deb")"
step "apt-get install ./$name (dependencies from the archive)" \
  in_root sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./tmp/$name"
step "tools for the checks: mosquitto-clients, man-db, xvfb, bash-completion" \
  in_root sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mosquitto-clients man-db xvfb xauth bash-completion"
in_root dpkg -L canopy > "$root/tmp/canopy-files.txt"

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
step "canopy --version names the version and the commit" \
  in_root sh -c "canopy --version | tee /dev/stderr | grep -q 'canopy $version (commit [0-9a-f]'"

step "canopy broker: a mosquitto client round trip" in_root sh -c '
  canopy broker --port 18830 > /tmp/broker.log 2>&1 & broker=$!
  sleep 1
  mosquitto_sub -h 127.0.0.1 -p 18830 -t deb/test -C 1 -W 10 > /tmp/sub.out & sub=$!
  sleep 0.5
  mosquitto_pub -h 127.0.0.1 -p 18830 -t deb/test -m "hello from the package" -q 1
  wait $sub; status=$?
  kill $broker
  cat /tmp/sub.out
  [ $status = 0 ] && grep -q "hello from the package" /tmp/sub.out'

step "man canopy (and canopy-record)" in_root sh -c '
  MANWIDTH=80 man canopy | grep -q "MQTT explorer" && man -w canopy-record && man -w canopy'

step "bash completion: sourced, completes the subcommands" in_root bash -c '
  source /usr/share/bash-completion/bash_completion
  source /usr/share/bash-completion/completions/canopy
  COMP_WORDS=(canopy re); COMP_CWORD=1; COMP_LINE="canopy re"; COMP_POINT=9
  _canopy canopy re canopy
  printf "%s\n" "${COMPREPLY[@]}" | tr "\n" " "
  printf "%s\n" "${COMPREPLY[@]}" | grep -qx record'

step "zsh and fish completions installed" in_root sh -c '
  test -s /usr/share/zsh/vendor-completions/_canopy && test -s /usr/share/fish/vendor_completions.d/canopy.fish'

step "desktop entry, metainfo and icons installed" in_root sh -c '
  test -s /usr/share/applications/io.github.canopymqtt.Canopy.desktop \
  && test -s /usr/share/metainfo/io.github.canopymqtt.Canopy.metainfo.xml \
  && for n in 32 48 64 128 256; do test -s /usr/share/icons/hicolor/${n}x${n}/apps/io.github.canopymqtt.Canopy.png || exit 1; done \
  && test -s /usr/share/icons/hicolor/scalable/apps/io.github.canopymqtt.Canopy.svg \
  && test -s /usr/share/doc/canopy/copyright'

# The window: a first run (no saved profile: the bundled broker, the demo fleet, the window),
# drawn into Xvfb's framebuffer file, which is read from outside the chroot.
window() {
  mkdir -p "$root/tmp/fb"
  in_root sh -c '
    Xvfb :7 -screen 0 1280x800x24 -fbdir /tmp/fb -nolisten tcp > /tmp/xvfb.log 2>&1 & xvfb=$!
    sleep 1
    DISPLAY=:7 canopy > /tmp/window.log 2>&1 & window=$!
    sleep 10
    alive=0; kill -0 $window 2> /dev/null && alive=1
    cp /tmp/fb/Xvfb_screen0 /tmp/screen.xwd
    kill $window $xvfb 2> /dev/null
    [ $alive = 1 ] || { tail -n 5 /tmp/window.log; exit 1; }'
  mkdir -p "$(dirname "$shot")"
  convert "xwd:$root/tmp/screen.xwd" "$shot" || return 1
  local colors
  colors="$(convert "$shot" -format %k info:)"
  echo "screenshot $shot: $colors colours"
  [ "$colors" -gt 50 ]
}
if command -v convert > /dev/null; then
  step "the window under Xvfb for 10 s, screenshot non-blank" window
else
  echo "FAIL  the window under Xvfb — needs ImageMagick's convert on the host"
  failed=$((failed + 1))
fi

purge() {
  in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q canopy' > /dev/null || return 1
  local left=0
  while read -r path; do
    if [ -f "$root$path" ] || [ -L "$root$path" ]; then
      echo "left behind: $path"
      left=$((left + 1))
    fi
  done < "$root/tmp/canopy-files.txt"
  echo "$(grep -c . "$root/tmp/canopy-files.txt") paths checked, $left files left"
  [ "$left" = 0 ]
}
step "apt-get purge canopy leaves no file of the package" purge

if [ "$failed" = 0 ]; then echo "ALL PASS in $(($(date +%s) - started)) s"; else echo "$failed FAILED ($(($(date +%s) - started)) s)"; fi
exit "$failed"
