#!/bin/bash
# storm.sh - 200 clients at once, with the default configuration.
#
# 200 busybox clients, released together, each fetch a 1 MiB file from a
# server started with nothing but --listen and the root: every download is
# intact, none is refused ("Server busy"), the server keeps running, and it
# never has more than 200 children plus its spares.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd busybox cmp timeout ps
run_alone

plan 8

CLIENTS=200
SPARES=2 # the default --spares
STORM_TIMEOUT=120

# Each transfer costs the monitor a few descriptors for a moment (file,
# socket, a child's socketpair): room for all of them, whatever the caller's
# limit was.
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 4096 ] || ulimit -n 4096 ||
	bail "cannot raise the descriptor limit to 4096"

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/f1M" 1048576
PORT=$(free_port) || bail "no free port"
OUT=$TMPBASE/out
mkdir "$OUT"

start_tftpd --listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd did not start"
M=$TFTPD_PID

# The number of live children of the monitor, sampled until $1 is removed.
SAMPLING=$TMPBASE/sampling
touch "$SAMPLING"
sample_children() {
	while [ -e "$1" ]; do
		ps --ppid "$M" -o stat= | grep -vc '^Z'
		sleep 0.05
	done
}
sample_children "$SAMPLING" >"$TMPBASE/samples" &
SAMPLER=$!

# The starting gun: every client waits for one line of a pipe, and all the
# lines are written at once when every client has been started.
GO=$TMPBASE/go
mkfifo "$GO" || bail "mkfifo"
exec 9<>"$GO"
pids=()
for ((i = 1; i <= CLIENTS; i++)); do
	{
		read -r _ <&9
		exec timeout "$STORM_TIMEOUT" busybox tftp -b 1468 -g -r f1M -l "$OUT/$i" \
			127.0.0.1 "$PORT" >"$OUT/$i.log" 2>&1 9<&-
	} &
	pids+=($!)
done
for ((i = 1; i <= CLIENTS; i++)); do
	echo go
done >&9
exited=0
for pid in "${pids[@]}"; do
	wait "$pid" && exited=$((exited + 1))
done
exec 9>&-
rm -f "$SAMPLING"
wait "$SAMPLER"

is "$exited" "$CLIENTS" "all $CLIENTS busybox clients exited 0 (within ${STORM_TIMEOUT} s)"
bad=
for ((i = 1; i <= CLIENTS; i++)); do
	cmp -s "$ROOT/f1M" "$OUT/$i" || bad+=" $i"
done
if [ -z "$bad" ]; then
	pass "all $CLIENTS downloads are intact"
else
	fail "all $CLIENTS downloads are intact"
	diag "broken or missing:$bad"
	for i in $bad; do
		diag "client $i: $(head -c 200 "$OUT/$i.log")"
		break
	done
fi
busy=$(cat "$OUT"/*.log | grep -ci 'busy')
is "$busy" 0 "no client was told 'Server busy'"
is "$(log_count ' refused ')" 0 "the log has no refused request"
is "$(log_count ' transfer [0-9]+ RRQ .* result=ok ')" "$CLIENTS" \
	"the log has $CLIENTS transfers with result=ok"
check "the server is still running" proc_alive "$M"
most=$(sort -n "$TMPBASE/samples" | tail -n1)
diag "children: at most ${most:-?} in $(wc -l <"$TMPBASE/samples") samples"
if [ -n "$most" ] && [ "$most" -le $((CLIENTS + SPARES)) ]; then
	pass "the server never had more than $CLIENTS + $SPARES children ($most)"
else
	fail "the server never had more than $CLIENTS + $SPARES children (${most:-?})"
fi
# And it goes on serving.
timeout 30 busybox tftp -b 1468 -g -r f1M -l "$OUT/after" 127.0.0.1 "$PORT" >/dev/null 2>&1
check "a download after the storm is intact" cmp -s "$ROOT/f1M" "$OUT/after"

finish
