#!/bin/sh
# idle [SECONDS]: sleeps SECONDS (default 5; 0 = forever), printing a line
# per second so that the console shows progress.
secs=${1:-5}
echo "idle: sleeping ${secs}s"
t=0
while [ "$secs" = 0 ] || [ $t -lt "$secs" ]; do
	sleep 1
	t=$((t + 1))
	echo "idle: t=${t}s"
done
