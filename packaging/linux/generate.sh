#!/usr/bin/env bash
# Man pages and shell completions from the command-line definition, into
# packaging/linux/generated/ (for the .deb and the tarball). Usage: generate.sh path/to/canopy
set -euo pipefail
cd "$(dirname "$0")"
canopy="$(realpath "$1")"
rm -rf generated
mkdir -p generated/man generated/completions
"$canopy" manpages generated/man > /dev/null
gzip -9n generated/man/*.1
"$canopy" completions bash > generated/completions/canopy.bash
"$canopy" completions zsh > generated/completions/_canopy
"$canopy" completions fish > generated/completions/canopy.fish
