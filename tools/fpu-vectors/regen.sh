#!/bin/sh
# Regenerates test/cpu/fixtures/fpu-vectors.txt.gz from real RISC-V instructions run under
# qemu-riscv64 (user mode). Needs gcc-riscv64-linux-gnu and qemu-user.
#   tools/fpu-vectors/regen.sh            # the committed fixture (100 vectors per op and rounding mode)
#   tools/fpu-vectors/regen.sh N SEED OUT # another sample, e.g. for a larger one-off run
set -eu
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-100}
seed=${2:-0}
out=${3:-$here/../../test/cpu/fixtures/fpu-vectors.txt.gz}
bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
riscv64-linux-gnu-gcc -O1 -static -o "$bin" "$here/gen.c"
qemu-riscv64 "$bin" "$n" "$seed" | gzip -9n > "$out"
echo "wrote $(gzip -dc "$out" | wc -l) vectors to $out"
