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
for name in "$@"; do
  $CC -nostdlib -nostartfiles -march=rv64gc -mabi=lp64d -static -fno-pic -fno-pie -mcmodel=medany \
    -Wl,--build-id=none -Wl,-z,noexecstack -T link.ld -Isrc -o "bin/$name.elf" "src/$name.S"
  echo "built bin/$name.elf"
done
