#!/bin/sh
# Runs test/programs/bin/NAME.elf on QEMU virt (-bios none) and reports pass/fail.
# Usage: ./run-qemu.sh [NAME...]   (default: every program in manifest.json)
# QEMU's exit status is the protocol: 0 = pass, n = test case n failed
# (124 = timeout). Extra QEMU arguments per program come from manifest.json.
set -u
cd "$(dirname "$0")"
QEMU=${QEMU:-qemu-system-riscv64}
TIMEOUT=${TIMEOUT:-20}
if [ $# -eq 0 ]; then
  set -- $(python3 -c 'import json;print(" ".join(p["name"] for p in json.load(open("manifest.json"))["programs"]))')
fi
failed=0
for name in "$@"; do
  extra=$(python3 -c 'import json,sys
for p in json.load(open("manifest.json"))["programs"]:
    if p["name"] == sys.argv[1]: print(" ".join(p.get("qemuArgs", [])))' "$name")
  # shellcheck disable=SC2086
  out=$(timeout "$TIMEOUT" $QEMU -M virt -m 256M -smp 1 -nographic -bios none $extra \
    -kernel "bin/$name.elf" 2>&1 </dev/null)
  rc=$?
  if [ $rc -eq 0 ]; then
    echo "PASS $name"
  else
    echo "FAIL $name (exit $rc)"
    echo "$out" | tail -n 5 | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
[ $failed -eq 0 ] && echo "all passed" || echo "$failed failed"
[ $failed -eq 0 ]
