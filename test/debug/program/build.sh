#!/bin/sh
# Builds debuggee.elf (committed; reproducible): the bare-metal program the
# debugger tests drive with gdb-multiarch. Needs riscv64-linux-gnu-gcc.
set -eu
cd "$(dirname "$0")"
CC=${CC:-riscv64-linux-gnu-gcc}
FLAGS="-march=rv64gc -mabi=lp64d -fno-pic -fno-pie -mcmodel=medany -O1 -g -ffreestanding -fno-builtin"
obj=$(mktemp -d)
trap 'rm -rf "$obj"' EXIT
$CC $FLAGS -c -o "$obj/start.o" start.S
$CC $FLAGS -c -o "$obj/debuggee.o" debuggee.c
(cd "$obj" && $CC $FLAGS -nostdlib -nostartfiles -static -Wl,--build-id=none \
  -T "$OLDPWD/../../programs/link.ld" -o "$OLDPWD/debuggee.elf" start.o debuggee.o)
echo "built debuggee.elf"
