#!/bin/sh
# Real-programs benchmark workload (bench/programs.ts):
#   programs [SCALE] [NAME...]     NAME: lua sqlite bzip2 (default: all three)
# Each program runs between the console markers
#   RV-PROG-START NAME  ...its output...  RV-PROG-END NAME status=N
# and the host times the interval between them. Inputs are prepared before
# the START marker; checksums of files a program wrote are printed after the
# END marker, on an "RV-PROG-CHECK NAME" line, so neither is timed.
P=/programs
scale=${1:-1}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- lua sqlite bzip2

for name in "$@"; do
	case $name in
	lua)
		echo "RV-PROG-START lua"
		$P/bin/lua $P/bench.lua "$scale"
		status=$?
		echo "RV-PROG-END lua status=$status"
		;;
	sqlite)
		echo "RV-PROG-START sqlite"
		$P/bin/sqlite3 -cmd "CREATE TEMP TABLE cfg AS SELECT $scale AS n" :memory: < $P/bench.sql
		status=$?
		echo "RV-PROG-END sqlite status=$status"
		;;
	bzip2)
		# corpus: SCALE MiB of the guest's own binaries (code and data, like a backup)
		rm -f /tmp/corpus /tmp/corpus.bz2 /tmp/corpus.out
		i=0
		while [ $i -lt "$scale" ]; do
			cat /bin/busybox $P/bin/lua $P/bin/sqlite3
			i=$((i + 1))
		done | head -c $((scale * 1048576)) > /tmp/corpus
		echo "RV-PROG-START bzip2"
		$P/bin/bzip2 -9 -c /tmp/corpus > /tmp/corpus.bz2 && $P/bin/bzip2 -d -c /tmp/corpus.bz2 > /tmp/corpus.out
		status=$?
		echo "RV-PROG-END bzip2 status=$status"
		echo "RV-PROG-CHECK bzip2 $(md5sum < /tmp/corpus.bz2 | cut -c1-32) $(md5sum < /tmp/corpus.out | cut -c1-32) $(md5sum < /tmp/corpus | cut -c1-32)"
		rm -f /tmp/corpus /tmp/corpus.bz2 /tmp/corpus.out
		;;
	*)
		echo "programs: unknown program $name (have: lua sqlite bzip2)" >&2
		;;
	esac
done
