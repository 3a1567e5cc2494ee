#!/bin/bash
# Builds the Retrovisor standard guest from Debian bookworm packages and
# writes the committed images to guest/images/.
#
#   sudo guest/build.sh              # everything
#   sudo guest/build.sh kernel ...   # selected steps (deps kernel busybox
#                                    # workloads initramfs disk firmware symbols layout images
#                                    # programs)
#   sudo guest/build.sh deps programs
#                                    # only the real-programs benchmark's extra
#                                    # initramfs (guest/images/programs.cpio.gz)
#   sudo guest/build.sh busybox workloads initramfs images
#                                    # only the initramfs: without a kernel
#                                    # build, `images` keeps the committed Image.gz
#                                    # and vmlinux-symbols.gz
#   sudo guest/build.sh deps kernel symbols layout images
#                                    # only the kernel's debugging symbols and
#                                    # layout file (the rebuilt Image must equal
#                                    # the committed one); keeps the initramfs
#
# Intermediate files go to guest/build/ (gitignored). The outputs are
# reproducible: fixed timestamps, sorted archives, gzip -n, fixed ext4 UUID
# and hash seed. Only the manifest's "built" date changes between runs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GUEST=$REPO/guest
BUILD=$GUEST/build
IMAGES=$GUEST/images
JOBS=${JOBS:-2}

# One fixed instant for every timestamp that ends up in an image.
export SOURCE_DATE_EPOCH=1735689600 # 2025-01-01T00:00:00Z
export KBUILD_BUILD_TIMESTAMP='Wed Jan  1 00:00:00 UTC 2025'
export KBUILD_BUILD_USER=retrovisor KBUILD_BUILD_HOST=retrovisor KBUILD_BUILD_VERSION=1
export LC_ALL=C TZ=UTC
umask 022

CROSS=riscv64-linux-gnu-
# The kernel source revision the committed Image.gz (and its symbols) were
# built from. The archive moves on (bookworm-security publishes new revisions)
# but keeps the older ones: pin it, so a rebuild reproduces the committed
# kernel byte for byte and the symbols match it.
LINUX_SOURCE_VERSION=6.1.192-2
PACKAGES=(gcc-riscv64-linux-gnu libc6-dev-riscv64-cross "linux-source-6.1=$LINUX_SOURCE_VERSION" opensbi
  qemu-system-misc device-tree-compiler bc bison flex libssl-dev cpio libelf-dev
  make gcc dwarves xz-utils rsync kmod e2fsprogs dpkg-dev gdb-multiarch tcl file)

log() { printf '\n=== %s\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

step_deps() {
  log "Debian packages"
  [ "$(id -u)" = 0 ] || die "run as root (apt-get, mknod)"
  local missing=()
  local p name want
  for p in "${PACKAGES[@]}"; do
    name=${p%%=*} want=${p#*=}
    dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'install ok installed' || { missing+=("$p"); continue; }
    # a pinned package installed at another version is reinstalled at the pin
    [ "$want" = "$p" ] || [ "$(dpkg-query -W -f='${Version}' "$name")" = "$want" ] || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends --allow-downgrades "${missing[@]}"
  fi
  # apt-get source needs deb-src entries; mirror the existing deb entries.
  if ! apt-cache showsrc busybox >/dev/null 2>&1 || [ -z "$(apt-cache showsrc busybox 2>/dev/null)" ]; then
    local src=/etc/apt/sources.list.d/debian.sources
    [ -f "$src" ] || die "no $src to mirror for deb-src"
    sed 's/^Types: deb$/Types: deb-src/' "$src" > /etc/apt/sources.list.d/retrovisor-deb-src.sources
    apt-get update
  fi
}

step_kernel() {
  log "Linux 6.1 (riscv64)"
  local src=$BUILD/linux have
  have=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
  [ "$have" = "$LINUX_SOURCE_VERSION" ] || die "linux-source-6.1 is '$have', the guest pins $LINUX_SOURCE_VERSION (run the deps step)"
  rm -rf "$src" "$BUILD/linux-source-6.1"
  mkdir -p "$BUILD"
  tar -C "$BUILD" -xJf /usr/src/linux-source-6.1.tar.xz
  mv "$BUILD/linux-source-6.1" "$src"
  # pahole -j (parallel BTF encoding) emits types in a nondeterministic order.
  sed -i 's/ -j"$/"/' "$src/scripts/pahole-flags.sh"
  local kmake=(make -C "$src" ARCH=riscv CROSS_COMPILE=$CROSS)
  "${kmake[@]}" tinyconfig
  (cd "$src" && ARCH=riscv CROSS_COMPILE=$CROSS scripts/kconfig/merge_config.sh -n .config "$GUEST/config/kernel.config")
  check_kernel_config "$src/.config"
  "${kmake[@]}" -j"$JOBS" Image.gz
  cp "$src/.config" "$BUILD/kernel.config.full"
}

check_kernel_config() {
  local cfg=$1 bad=0 line opt
  while IFS= read -r line; do
    case $line in
      CONFIG_*=*)
        grep -qxF "$line" "$cfg" || { echo "kernel option lost in merge: $line" >&2; bad=1; } ;;
      "# CONFIG_"*" is not set")
        opt=${line#\# }; opt=${opt%% *}
        ! grep -q "^$opt=" "$cfg" || { echo "kernel option should be off: $opt" >&2; bad=1; } ;;
    esac
  done < "$GUEST/config/kernel.config"
  [ $bad = 0 ] || die "kernel config fragment did not survive merge_config.sh"
  echo "all options of guest/config/kernel.config present in .config"
}

step_busybox() {
  log "busybox (static riscv64)"
  local dir=$BUILD/busybox-src
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && apt-get source --only-source busybox)
  local src
  src=$(find "$dir" -maxdepth 1 -mindepth 1 -type d -name 'busybox-*' | head -n1)
  [ -n "$src" ] || die "apt-get source busybox produced no tree"
  case $(basename "$src") in busybox-1.35.*) ;; *) die "expected busybox 1.35, got $(basename "$src")" ;; esac
  cp "$src/debian/config/pkg/static" "$src/.config"
  sed -i 's|^CONFIG_CROSS_COMPILER_PREFIX=.*|CONFIG_CROSS_COMPILER_PREFIX="'$CROSS'"|' "$src/.config"
  # yes exits on SIGPIPE once oldconfig is done; that is not a failure.
  (set +o pipefail; yes '' | make -C "$src" oldconfig >/dev/null)
  grep -qx "CONFIG_CROSS_COMPILER_PREFIX=\"$CROSS\"" "$src/.config" || die "busybox cross prefix lost"
  grep -qx 'CONFIG_STATIC=y' "$src/.config" || die "busybox not static"
  make -C "$src" -j"$JOBS" busybox busybox.links
  mkdir -p "$BUILD/busybox"
  ${CROSS}strip -o "$BUILD/busybox/busybox" "$src/busybox"
  cp "$src/busybox.links" "$BUILD/busybox/busybox.links"
  dpkg-parsechangelog -l "$src/debian/changelog" -S Version > "$BUILD/busybox/version"
  file "$BUILD/busybox/busybox"
}

step_workloads() {
  log "workloads"
  mkdir -p "$BUILD/workloads"
  local c
  for c in "$GUEST"/workloads/*.c; do
    ${CROSS}gcc -static -O2 -s -Wall -Wextra -o "$BUILD/workloads/$(basename "$c" .c)" "$c"
  done
}

step_initramfs() {
  log "initramfs"
  local root=$BUILD/rootfs
  [ -x "$BUILD/busybox/busybox" ] || die "build busybox first"
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,mnt,root,etc,workloads}
  install -m 0755 "$BUILD/busybox/busybox" "$root/bin/busybox"
  local link rel
  while IFS= read -r link; do
    # /linuxrc would only matter without /init
    case $link in /bin/busybox|/linuxrc) continue ;; esac
    # relative links so the tree also works when inspected on the host
    case $link in
      /bin/*) rel=busybox ;;
      /sbin/*) rel=../bin/busybox ;;
      /usr/bin/*|/usr/sbin/*) rel=../../bin/busybox ;;
      *) die "unexpected busybox link $link" ;;
    esac
    ln -s "$rel" "$root$link"
  done < "$BUILD/busybox/busybox.links"
  install -m 0755 "$GUEST/rootfs/init" "$root/init"
  install -m 0755 "$GUEST/rootfs/rv-run" "$root/bin/rv-run"
  install -m 0644 "$GUEST/rootfs/passwd" "$root/etc/passwd"
  install -m 0644 "$GUEST/rootfs/group" "$root/etc/group"
  # DHCP for every NIC (see init): busybox udhcpc runs this script on each lease event
  install -D -m 0755 "$GUEST/rootfs/udhcpc.script" "$root/etc/udhcpc/default.script"
  local w
  for w in "$BUILD"/workloads/*; do install -m 0755 "$w" "$root/workloads/"; done
  for w in "$GUEST"/workloads/*.sh; do install -m 0755 "$w" "$root/workloads/$(basename "$w" .sh)"; done
  # The kernel opens /dev/console for init before devtmpfs is mounted.
  mknod -m 0600 "$root/dev/console" c 5 1
  mknod -m 0666 "$root/dev/null" c 1 3
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  (cd "$root" && find . -mindepth 1 -print | sort |
    cpio -o -H newc --reproducible -R 0:0 --quiet) > "$BUILD/initramfs.cpio"
  ls -l "$BUILD/initramfs.cpio"
}

step_disk() {
  log "ext4 disk image"
  local tree=$BUILD/disktree img=$BUILD/disk.ext4
  rm -rf "$tree" "$img"
  mkdir -p "$tree/data"
  cp "$GUEST/rootfs/disk-README" "$tree/README"
  seq 1 20000 > "$tree/data/numbers.txt"
  awk 'BEGIN { for (i = 0; i < 2000; i++) print "the quick brown fox jumps over the lazy dog" }' > "$tree/data/fox.txt"
  head -c 65536 /dev/zero > "$tree/data/zeros.bin"
  (cd "$tree" && find . -type f -printf '%P\n' | sort | xargs sha256sum) > "$BUILD/disk-SHA256SUMS"
  mv "$BUILD/disk-SHA256SUMS" "$tree/SHA256SUMS"
  find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -F -t ext4 -b 1024 -L rvdisk \
    -U 5ec7a15e-0000-4000-8000-000000000001 \
    -E hash_seed=5ec7a15e-0000-4000-8000-000000000002,lazy_itable_init=0,lazy_journal_init=0,root_owner=0:0 \
    -d "$tree" "$img" 8M
  # mke2fs -d copies the host's ctime/atime; pin every inode's times.
  local cmds=$BUILD/disk-times.debugfs path f
  : > "$cmds"
  for path in '<2>' /lost+found $(cd "$tree" && find . -mindepth 1 -printf '/%P\n' | sort); do
    for f in atime ctime mtime crtime; do
      echo "sif $path $f @$SOURCE_DATE_EPOCH" >> "$cmds"
    done
  done
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f "$cmds" "$img" >/dev/null 2>&1
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH e2fsck -fn "$img" >/dev/null || die "disk image fails fsck"
  ls -l "$img"
}

step_firmware() {
  log "OpenSBI firmware"
  mkdir -p "$BUILD"
  cp /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin "$BUILD/fw_jump.bin"
}

step_symbols() {
  log "kernel symbols for debuggers"
  local v=$BUILD/linux/vmlinux img=$BUILD/linux/arch/riscv/boot/Image
  [ -f "$v" ] && [ -f "$img" ] || die "missing $v; run the kernel step"
  # only symbols of the very kernel that is committed: its Image must match the manifest byte for
  # byte, or this run must also have the images step (which commits this Image with them).
  # The GNU build ID note (20 bytes in the Image) hashes vmlinux including its DWARF, which
  # records the build directory: the same source and config built in another directory give an
  # Image that differs in those bytes only.
  local want
  want=$(grep -o '"name": "Image", "size": [0-9]*, "sha256": "[0-9a-f]*"' "$IMAGES/manifest.json" | grep -o '[0-9a-f]\{64\}')
  if [ "$(sha256sum "$img" | cut -d' ' -f1)" != "$want" ]; then
    case " ${steps[*]} " in
      *" images "*) echo "the built Image differs from the committed one: the images step commits it with these symbols" ;;
      *) die "the built Image differs from the committed one (manifest $want): symbols would not match (add the images step to commit the new Image with them)" ;;
    esac
  fi
  ${CROSS}readelf -n "$v" | grep 'Build ID'
  # the symbol table and the call-frame information (for bt), no code and no full DWARF: small
  ${CROSS}objcopy --only-keep-debug "$v" "$BUILD/vmlinux.debug"
  ${CROSS}objcopy --strip-debug --keep-section=.debug_frame "$BUILD/vmlinux.debug" "$BUILD/vmlinux-symbols"
  gzip -n -9 -c "$BUILD/vmlinux-symbols" > "$IMAGES/vmlinux-symbols.gz"
  ls -l "$BUILD/vmlinux-symbols" "$IMAGES/vmlinux-symbols.gz"
}

step_layout() {
  log "kernel layout for introspection (linux-layout.json)"
  local v=$BUILD/linux/vmlinux img=$BUILD/linux/arch/riscv/boot/Image
  [ -f "$v" ] && [ -f "$img" ] || die "missing $v; run the kernel step"
  # Where the page allocator keeps its state, read from the debug build's DWARF
  # by gdb: src/introspection reads free pages out of guest RAM with it.
  local q=(
    'p/x &mem_map' 'p/x &riscv_pfn_base' 'p/x &contig_page_data' 'p/x &system_state'
    'p sizeof(struct page)' 'p (int)&((struct page *)0)->private' 'p (int)&((struct page *)0)->page_type'
    'p (int)&((struct pglist_data *)0)->node_zones' 'p (int)&((struct pglist_data *)0)->node_start_pfn'
    'p (int)&((struct pglist_data *)0)->node_spanned_pages'
    'p sizeof(struct zone)' 'p (int)&((struct zone *)0)->lock' 'p sizeof(((struct zone *)0)->lock)'
    'p (int)&((struct zone *)0)->free_area'
    'p sizeof(struct free_area)' 'p (int)&((struct free_area *)0)->nr_free'
    'p sizeof(contig_page_data.node_zones) / sizeof(struct zone)'
    'p sizeof(((struct zone *)0)->free_area) / sizeof(struct free_area)'
    'p (int)SYSTEM_RUNNING'
  )
  local args=() e
  for e in "${q[@]}"; do args+=(-ex "$e"); done
  local out
  out=$(gdb-multiarch -nx -batch "${args[@]}" "$v" 2>&1 | sed -n 's/^\$[0-9]* = \(.*\)$/\1/p' | sed 's/^(.*) //')
  local vals; mapfile -t vals <<< "$out"
  [ ${#vals[@]} = ${#q[@]} ] || die "gdb answered ${#vals[@]} of ${#q[@]} layout questions: $out"
  # the page type constants are macros (not in DWARF): from the same tree's header
  local hdr=$BUILD/linux/include/linux/page-flags.h base buddy
  base=$(sed -n 's/^#define PAGE_TYPE_BASE[[:space:]]*\(0x[0-9a-f]*\).*/\1/p' "$hdr")
  buddy=$(sed -n 's/^#define PG_buddy[[:space:]]*\(0x[0-9a-f]*\).*/\1/p' "$hdr")
  [ -n "$base" ] && [ -n "$buddy" ] || die "PAGE_TYPE_BASE/PG_buddy not found in $hdr"
  grep -qx CONFIG_FLATMEM=y "$BUILD/linux/.config" && ! grep -qx CONFIG_NUMA=y "$BUILD/linux/.config" ||
    die "the introspection expects FLATMEM and no NUMA"
  # spinlock_t: the generic ticket lock (held while next != owner, the two 16-bit halves)
  grep -qx 'generic-y += spinlock.h' "$BUILD/linux/arch/riscv/include/asm/Kbuild" &&
    grep -q "'Generic' ticket-lock implementation" "$BUILD/linux/include/asm-generic/spinlock.h" ||
    die "the introspection expects the generic ticket spinlock"
  {
    printf '{\n  "format": 1,\n  "image": "%s",\n  "release": "%s",\n' "$(sha256sum "$img" | cut -d' ' -f1)" "$(cat "$BUILD/linux/include/config/kernel.release")"
    printf '  "symbols": { "mem_map": "%s", "riscv_pfn_base": "%s", "contig_page_data": "%s", "system_state": "%s" },\n' "${vals[0]}" "${vals[1]}" "${vals[2]}" "${vals[3]}"
    printf '  "page": { "size": %d, "private": %d, "page_type": %d },\n' "${vals[4]}" "${vals[5]}" "${vals[6]}"
    printf '  "pglist_data": { "node_zones": %d, "node_start_pfn": %d, "node_spanned_pages": %d },\n' "${vals[7]}" "${vals[8]}" "${vals[9]}"
    printf '  "zone": { "size": %d, "lock": %d, "lock_size": %d, "lock_kind": "ticket", "free_area": %d },\n' "${vals[10]}" "${vals[11]}" "${vals[12]}" "${vals[13]}"
    printf '  "free_area": { "size": %d, "nr_free": %d },\n' "${vals[14]}" "${vals[15]}"
    printf '  "constants": { "MAX_NR_ZONES": %d, "MAX_ORDER": %d, "PAGE_TYPE_BASE": %d, "PG_buddy": %d, "SYSTEM_RUNNING": %d }\n}\n' \
      "${vals[16]}" "${vals[17]}" "$((base))" "$((buddy))" "${vals[18]}"
  } > "$IMAGES/linux-layout.json"
  cat "$IMAGES/linux-layout.json"
}

# The real-programs benchmark's extra initramfs (bench/programs.ts): Lua,
# SQLite's shell and bzip2, cross-built statically from Debian's sources, with
# their workload. Linux unpacks concatenated cpio archives in turn, so this
# archive is appended to the standard initramfs at boot and adds /programs and
# /workloads/programs. Written to guest/images/programs.cpio.gz and described
# by guest/images/programs.json; the standard images are left untouched.
PROGRAMS_SOURCES=(lua5.4 sqlite3 bzip2)
step_programs() {
  log "programs (static riscv64 lua, sqlite3, bzip2)"
  local dir=$BUILD/programs-src out=$BUILD/programs-out root=$BUILD/programs-root
  local cc=(${CROSS}gcc -static -O2 -s)
  rm -rf "$dir" "$out" "$root"
  mkdir -p "$dir" "$out"
  (cd "$dir" && for p in "${PROGRAMS_SOURCES[@]}"; do apt-get source --only-source "$p"; done)
  local lua sqlite bz
  lua=$(find "$dir" -maxdepth 1 -type d -name 'lua5.4-*' | head -n1)
  sqlite=$(find "$dir" -maxdepth 1 -type d -name 'sqlite3-*' | head -n1)
  bz=$(find "$dir" -maxdepth 1 -type d -name 'bzip2-*' | head -n1)
  [ -n "$lua" ] && [ -n "$sqlite" ] && [ -n "$bz" ] || die "apt-get source did not produce lua5.4, sqlite3 and bzip2 trees"
  # Lua: the interpreter from src/ without Debian's libtool build; luaconf.h
  # includes the multiarch header debian/rules would generate.
  mkdir -p "$dir/lua-gen"
  echo '#define DEB_HOST_MULTIARCH "riscv64-linux-gnu"' > "$dir/lua-gen/lua5.4-deb-multiarch.h"
  "${cc[@]}" -DLUA_COMPAT_5_3 -DLUA_USE_POSIX -I"$dir/lua-gen" -o "$out/lua" \
    $(find "$lua/src" -maxdepth 1 -name '*.c' ! -name luac.c | sort) -lm
  # SQLite: the amalgamation (sqlite3.c, shell.c) is generated on the host
  # (needs tclsh), then cross-compiled with the shell.
  mkdir -p "$dir/sqlite-host"
  (cd "$dir/sqlite-host" && "$sqlite/configure" --disable-tcl >/dev/null && make sqlite3.c shell.c >/dev/null)
  "${cc[@]}" -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DHAVE_USLEEP -I"$dir/sqlite-host" \
    -o "$out/sqlite3" "$dir/sqlite-host/shell.c" "$dir/sqlite-host/sqlite3.c" -lm
  # bzip2: the library and the command, as its Makefile would, statically.
  "${cc[@]}" -D_FILE_OFFSET_BITS=64 -o "$out/bzip2" \
    "$bz"/{blocksort,huffman,crctable,randtable,compress,decompress,bzlib,bzip2}.c
  file "$out"/*
  mkdir -p "$root/programs/bin" "$root/workloads"
  install -m 0755 "$out/lua" "$out/sqlite3" "$out/bzip2" "$root/programs/bin/"
  install -m 0644 "$GUEST/programs/bench.lua" "$GUEST/programs/bench.sql" "$root/programs/"
  install -m 0755 "$GUEST/programs/programs.sh" "$root/workloads/programs"
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  # no entries for / and /workloads themselves: the standard archive made them
  (cd "$root" && find programs workloads/programs -print | sort |
    cpio -o -H newc --reproducible -R 0:0 --quiet) > "$BUILD/programs.cpio"
  mkdir -p "$IMAGES"
  gzip -n -9 -c "$BUILD/programs.cpio" > "$IMAGES/programs.cpio.gz"
  progver() { dpkg-parsechangelog -l "$1/debian/changelog" -S Version; }
  {
    printf '{\n  "format": 1,\n  "files": {\n'
    manifest_file "$IMAGES/programs.cpio.gz" "$BUILD/programs.cpio"; printf '\n  },\n'
    printf '  "appendsTo": "initramfs.cpio.gz",\n'
    printf '  "programs": ["lua", "sqlite", "bzip2"],\n'
    printf '  "debianSources": {\n'
    printf '    "lua5.4": "%s",\n' "$(progver "$lua")"
    printf '    "sqlite3": "%s",\n' "$(progver "$sqlite")"
    printf '    "bzip2": "%s"\n' "$(progver "$bz")"
    printf '  },\n'
    printf '  "compiler": "gcc-riscv64-linux-gnu %s, -static -O2 -s",\n' "$(pkgver gcc-riscv64-linux-gnu)"
    printf '  "sourceDateEpoch": %d,\n' "$SOURCE_DATE_EPOCH"
    printf '  "buildCommand": "sudo guest/build.sh deps programs"\n'
    printf '}\n'
  } > "$IMAGES/programs.json"
  ls -l "$IMAGES/programs.cpio.gz" "$BUILD/programs.cpio"
}

# "name": {...} entry for the manifest.
manifest_file() {
  local f=$1 raw=${2:-}
  printf '    "%s": { "size": %d, "sha256": "%s"' "$(basename "$f")" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
  if [ -n "$raw" ]; then
    printf ', "decompressed": { "name": "%s", "size": %d, "sha256": "%s" }' \
      "$(basename "$raw")" "$(stat -c %s "$raw")" "$(sha256sum "$raw" | cut -d' ' -f1)"
  fi
  printf ' }'
}

# A package's version; for a step not rebuilt (package not installed), the
# version the committed manifest recorded.
KEPT_PKGS=" "
pkgver() {
  case $KEPT_PKGS in *" $1 "*) ;; *) dpkg-query -W -f='${Version}' "$1" 2>/dev/null && return ;; esac
  [ -f "$BUILD/manifest.prev.json" ] || die "package $1 not installed"
  sed -n 's/^ *"'"$1"'": "\([^"]*\)".*/\1/p' "$BUILD/manifest.prev.json"
}

step_images() {
  log "images"
  local kimg=$BUILD/linux/arch/riscv/boot release btf
  mkdir -p "$IMAGES" "$BUILD"
  [ -f "$IMAGES/manifest.json" ] && cp "$IMAGES/manifest.json" "$BUILD/manifest.prev.json"
  # Steps not rebuilt keep their committed image (rebuilding only the
  # initramfs needs no kernel tree): unpack those for the manifest.
  if [ -f "$kimg/Image.gz" ]; then
    cp "$kimg/Image.gz" "$IMAGES/Image.gz"
    release=$(cat "$BUILD/linux/include/config/kernel.release")
    btf=$(grep -qx CONFIG_DEBUG_INFO_BTF=y "$BUILD/linux/.config" && echo true || echo false)
  else
    echo "no kernel build: keeping the committed Image.gz"
    KEPT_PKGS+="linux-source-6.1 dwarves "
    kimg=$BUILD/committed
    mkdir -p "$kimg"
    gunzip -c "$IMAGES/Image.gz" > "$kimg/Image"
    release=$(sed -n 's/.*"release": "\([^"]*\)".*/\1/p' "$IMAGES/manifest.json")
    btf=$(sed -n 's/.*"btf": \(true\|false\).*/\1/p' "$IMAGES/manifest.json")
    [ -n "$release" ] && [ -n "$btf" ] || die "cannot read the kernel release from the committed manifest"
  fi
  local disk=$BUILD/disk.ext4
  if [ ! -f "$disk" ]; then
    echo "no disk build: keeping the committed disk.ext4.gz"
    KEPT_PKGS+="e2fsprogs "
    disk=$BUILD/committed/disk.ext4
    mkdir -p "$BUILD/committed"
    gunzip -c "$IMAGES/disk.ext4.gz" > "$disk"
  else
    gzip -n -9 -c "$disk" > "$IMAGES/disk.ext4.gz"
  fi
  # kernel symbols: the ones just built, or the committed ones when the kernel was not rebuilt
  local symbols=""
  if [ -f "$BUILD/vmlinux-symbols" ]; then symbols=$BUILD/vmlinux-symbols
  elif [ -f "$IMAGES/vmlinux-symbols.gz" ]; then
    mkdir -p "$BUILD/committed"
    symbols=$BUILD/committed/vmlinux-symbols
    gunzip -c "$IMAGES/vmlinux-symbols.gz" > "$symbols"
  fi
  [ -f "$BUILD/fw_jump.bin" ] || step_firmware
  # no initramfs build (e.g. only the kernel's symbols and layout were made): keep the committed one
  local initramfs=$BUILD/initramfs.cpio busybox_version
  if [ -f "$initramfs" ]; then
    gzip -n -9 -c "$initramfs" > "$IMAGES/initramfs.cpio.gz"
    busybox_version=$(cat "$BUILD/busybox/version")
  else
    echo "no initramfs build: keeping the committed initramfs.cpio.gz"
    mkdir -p "$BUILD/committed"
    initramfs=$BUILD/committed/initramfs.cpio
    gunzip -c "$IMAGES/initramfs.cpio.gz" > "$initramfs"
    busybox_version=$(sed -n 's/^ *"busybox (source)": "\([^"]*\)".*/\1/p' "$BUILD/manifest.prev.json")
    [ -n "$busybox_version" ] || die "cannot read the busybox version from the committed manifest"
  fi
  cp "$BUILD/fw_jump.bin" "$IMAGES/fw_jump.bin"
  # Check each gzip round-trips to what we built.
  cmp <(gunzip -c "$IMAGES/Image.gz") "$kimg/Image"
  {
    printf '{\n  "format": 1,\n  "files": {\n'
    manifest_file "$IMAGES/fw_jump.bin"; printf ',\n'
    manifest_file "$IMAGES/Image.gz" "$kimg/Image"; printf ',\n'
    manifest_file "$IMAGES/initramfs.cpio.gz" "$initramfs"; printf ',\n'
    manifest_file "$IMAGES/disk.ext4.gz" "$disk"
    if [ -n "$symbols" ]; then printf ',\n'; manifest_file "$IMAGES/vmlinux-symbols.gz" "$symbols"; fi
    if [ -f "$IMAGES/linux-layout.json" ]; then printf ',\n'; manifest_file "$IMAGES/linux-layout.json"; fi
    printf '\n'
    printf '  },\n'
    printf '  "kernel": { "release": "%s", "config": "guest/config/kernel.config", "btf": %s },\n' "$release" "$btf"
    printf '  "defaultCmdline": "console=ttyS0",\n'
    printf '  "debianPackages": {\n'
    printf '    "linux-source-6.1": "%s",\n' "$(pkgver linux-source-6.1)"
    printf '    "busybox (source)": "%s",\n' "$busybox_version"
    printf '    "opensbi": "%s",\n' "$(pkgver opensbi)"
    printf '    "gcc-riscv64-linux-gnu": "%s",\n' "$(pkgver gcc-riscv64-linux-gnu)"
    printf '    "libc6-dev-riscv64-cross": "%s",\n' "$(pkgver libc6-dev-riscv64-cross)"
    printf '    "dwarves": "%s",\n' "$(pkgver dwarves)"
    printf '    "e2fsprogs": "%s",\n' "$(pkgver e2fsprogs)"
    printf '    "cpio": "%s",\n' "$(pkgver cpio)"
    printf '    "gzip": "%s"\n' "$(pkgver gzip)"
    printf '  },\n'
    printf '  "sourceDateEpoch": %d,\n' "$SOURCE_DATE_EPOCH"
    printf '  "buildCommand": "sudo guest/build.sh",\n'
    printf '  "built": "%s"\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '}\n'
  } > "$IMAGES/manifest.json"
  ls -l "$IMAGES"
  du -cb "$IMAGES"/* | tail -n1
}

ALL=(deps kernel busybox workloads initramfs disk firmware symbols layout images programs)
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=("${ALL[@]}")
for s in "${steps[@]}"; do
  case " ${ALL[*]} " in *" $s "*) ;; *) die "unknown step $s (steps: ${ALL[*]})" ;; esac
done
for s in "${steps[@]}"; do "step_$s"; done
log "done"
