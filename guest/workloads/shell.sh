#!/bin/sh
# shell: interactive shell on the console. /init special-cases this name
# (it execs the shell itself, with no workload markers); this script makes
# `rv-run shell` work too.
exec sh
