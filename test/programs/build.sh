#!/bin/sh
# Builds every test/programs/src/NAME.S into test/programs/bin/NAME.elf (committed).
# Usage: ./build.sh [NAME...]
# Variants: traps-spec is traps.S assembled with -DSPEC_IRQ_PRIORITY (the privileged
# spec's interrupt priority instead of QEMU 7.2's; see manifest.json).
set -eu
cd "$(dirname "$0")"
CC=${CC:-riscv64-linux-gnu-gcc}
mkdir -p bin
if [ $# -eq 0 ]; then
  set -- $(cd src && ls *.S | sed 's/\.S$//') traps-spec
fi
FLAGS="-march=rv64gc -mabi=lp64d -fno-pic -fno-pie -mcmodel=medany"
obj=$(mktemp -d)
trap 'rm -rf "$obj"' EXIT
for name in "$@"; do
  src=$name defs=
  case $name in
    traps-spec) src=traps defs=-DSPEC_IRQ_PRIORITY ;;
  esac
  # Two steps with a fixed object name so the committed ELFs are reproducible.
  $CC $FLAGS $defs -c -Isrc -o "$obj/$name.o" "src/$src.S"
  (cd "$obj" && $CC $FLAGS -nostdlib -nostartfiles -static -Wl,--build-id=none \
    -T "$OLDPWD/link.ld" -o "$OLDPWD/bin/$name.elf" "$name.o")
  echo "built bin/$name.elf"
done
