#!/bin/sh
# Builds every test/programs/src/NAME.S into test/programs/bin/NAME.elf (committed).
# Usage: ./build.sh [NAME...]
set -eu
cd "$(dirname "$0")"
CC=${CC:-riscv64-linux-gnu-gcc}
mkdir -p bin
if [ $# -eq 0 ]; then
  set -- $(cd src && ls *.S | sed 's/\.S$//')
fi
FLAGS="-march=rv64gc -mabi=lp64d -fno-pic -fno-pie -mcmodel=medany"
obj=$(mktemp -d)
trap 'rm -rf "$obj"' EXIT
for name in "$@"; do
  # Two steps with a fixed object name so the committed ELFs are reproducible.
  $CC $FLAGS -c -Isrc -o "$obj/$name.o" "src/$name.S"
  (cd "$obj" && $CC $FLAGS -nostdlib -nostartfiles -static -Wl,--build-id=none \
    -T "$OLDPWD/link.ld" -o "$OLDPWD/bin/$name.elf" "$name.o")
  echo "built bin/$name.elf"
done
