# Re-records each program's `qemuInstret` in manifest.json from a QEMU run (run from test/programs).
import json, re, subprocess

m = json.load(open("manifest.json"))
for p in m["programs"]:
    cmd = ["timeout", "20", "qemu-system-riscv64", "-M", "virt", "-m", "256M", "-smp", "1",
           "-nographic", "-bios", "none"] + p["qemuArgs"] + ["-kernel", p["elf"]]
    out = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL).stdout
    found = re.search(r"PASS instret=(\d+)", out)
    if found:
        p["qemuInstret"] = int(found.group(1))
    print(p["name"], p.get("qemuInstret"))
lines = ["{", '  "description": %s,' % json.dumps(m["description"]),
         '  "machine": %s,' % json.dumps(m["machine"]), '  "programs": [']
for i, p in enumerate(m["programs"]):
    lines.append("    " + json.dumps(p) + ("," if i < len(m["programs"]) - 1 else ""))
lines += ["  ]", "}"]
open("manifest.json", "w").write("\n".join(lines) + "\n")
