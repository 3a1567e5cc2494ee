#!/bin/sh
# files [COUNT] [KIB] [ROUNDS]: writes COUNT files of KIB KiB with
# deterministic content and re-reads them, ROUNDS times, on tmpfs and, if
# /dev/vda exists, on it mounted as ext4 (after checking its SHA256SUMS and
# remounting before the re-read so that data really comes from the disk).
count=${1:-8}
kib=${2:-64}
rounds=${3:-1}
failed=0

content() { yes "retrovisor file $1 round $2 ................................" | head -c $((kib * 1024)); }

write_all() {
	i=1
	while [ $i -le "$count" ]; do
		content $i "$2" > "$1/f$i"
		i=$((i + 1))
	done
	sync
}

verify_all() {
	i=1 bad=0
	while [ $i -le "$count" ]; do
		want=$(content $i "$2" | sha256sum)
		got=$(sha256sum < "$1/f$i")
		[ "$want" = "$got" ] || { echo "files: MISMATCH $1/f$i"; bad=1; }
		i=$((i + 1))
	done
	return $bad
}

run_on() { # label dir remount-command
	mkdir -p "$2"
	r=1
	while [ $r -le "$rounds" ]; do
		write_all "$2" $r
		[ -n "$3" ] && eval "$3"
		if verify_all "$2" $r; then
			echo "files: $1 round $r: $count x $kib KiB ok"
		else
			echo "files: $1 round $r: FAILED"
			failed=1
		fi
		r=$((r + 1))
	done
	rm -rf "$2"
}

run_on tmpfs /tmp/rv-files ""

if [ -b /dev/vda ]; then
	mkdir -p /mnt/disk
	if mount -t ext4 /dev/vda /mnt/disk; then
		if [ -f /mnt/disk/SHA256SUMS ]; then
			if (cd /mnt/disk && sha256sum -c -s SHA256SUMS); then
				echo "files: disk SHA256SUMS ok"
			else
				echo "files: disk SHA256SUMS FAILED"
				failed=1
			fi
		fi
		run_on ext4 /mnt/disk/rv-files "cd /; umount /mnt/disk && mount -t ext4 /dev/vda /mnt/disk"
		sync
		umount /mnt/disk
	else
		echo "files: cannot mount /dev/vda"
		failed=1
	fi
else
	echo "files: no /dev/vda, tmpfs only"
fi
exit $failed
