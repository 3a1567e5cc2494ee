#!/bin/sh
# Runs test/programs/bin/NAME.elf on QEMU virt (-bios none) and reports pass/fail.
# Usage: ./run-qemu.sh [NAME...]   (default: every program in manifest.json)
# QEMU's exit status is the protocol: 0 = pass, n = test case n failed (mod 256),
# 124 = timeout. Extra QEMU arguments and the expected result (pass, or fail
# with failCode) come from manifest.json.
set -u
cd "$(dirname "$0")"
QEMU=${QEMU:-qemu-system-riscv64}
TIMEOUT=${TIMEOUT:-20}
if [ $# -eq 0 ]; then
  set -- $(python3 -c 'import json;print(" ".join(p["name"] for p in json.load(open("manifest.json"))["programs"]))')
fi
failed=0
for name in "$@"; do
  info=$(python3 -c 'import json,sys
for p in json.load(open("manifest.json"))["programs"]:
    if p["name"] == sys.argv[1]:
        code = 0 if p.get("expected", "pass") == "pass" else p["failCode"] % 256
        print(code, " ".join(p.get("qemuArgs", [])))' "$name")
  want=${info%% *}
  extra=${info#* }
  [ -z "$info" ] && { want=0; extra=""; }
  # shellcheck disable=SC2086
  out=$(timeout "$TIMEOUT" $QEMU -M virt -m 256M -smp 1 -nographic -bios none $extra \
    -kernel "bin/$name.elf" 2>&1 </dev/null)
  rc=$?
  if [ "$rc" -eq "$want" ]; then
    echo "ok   $name (exit $rc as expected)"
  else
    echo "FAIL $name (exit $rc, expected $want)"
    echo "$out" | tail -n 6 | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
if [ $failed -eq 0 ]; then echo "all as expected"; else echo "$failed not as expected"; fi
[ $failed -eq 0 ]
