#!/bin/bash
# flood.sh - a flood of requests from forged addresses costs no children,
# and a real client is still served at once.
#
# Two network namespaces joined by a veth pair: tftpd (on port 69) in one,
# the clients in the other. The client namespace holds 1000 more
# addresses, the forged victims: an nftables rule drops everything sent to
# them on input, so they never answer, not even with an ICMP error. For
# 10 s, forge.py sends read requests at 1000 per second in all,
# round-robin over the victims, each from a fresh port; half of them ask
# for options (the first packet is an OACK), half do not (it is DATA 1).
# Meanwhile a real client at the real address fetches a 1 MiB file every
# 2 s, alternately tftp-hpa's tftp (RFC 1350) and busybox tftp (blksize).
#
# Every fetch must arrive intact, their median time must be at most 1 s and
# each at most 3 s (the machine may be loaded); every 0.5 s the monitor's
# live children and its VmRSS are sampled: at most spares + 3 children at
# any time (the spares, the real client's child and a spare being
# replaced), and no more than 8 MiB between the largest and the smallest
# RSS once the request table is full. No forged address may ever get a
# child.
#
# Each unanswered request holds two descriptors in the monitor (the file
# and the transfer socket), so the daemon runs with room for its default
# --max-requests (4096). A second, smaller flood then runs against a
# daemon with the soft limit systemd gives a service by default (1024; the
# shipped unit sets no LimitNOFILE): a real client must still be served
# (the monitor shrinks its tables to fit, and says so). Last, with strace holding
# the monitor's connect() calls, a real request that comes while a forged
# one's transfer socket is bound but not yet connected must be answered
# (the monitor takes it back from that socket).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd ip nft python3 prlimit tftp busybox cmp join timeout
run_alone

FORGE="$top_srcdir/tests/integration/forge.py"
RATE=1000        # forged requests per second, in all
SECONDS_FLOOD=10
VICTIMS=1000
FETCHES=5        # one every 2 s, from 1 s into the flood on
SPARES=2
NOFILE=16384     # descriptors: 2 for each of the 4096 requests, and room
plan $((FETCHES + 16))

# Raise only the soft limit where the hard one allows; otherwise both.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge "$NOFILE" ]; then
	NOFILE_SPEC="$NOFILE:"
else
	NOFILE_SPEC="$NOFILE:$NOFILE"
fi
prlimit --nofile="$NOFILE_SPEC" true 2>/dev/null ||
	skip_all "cannot give tftpd $NOFILE descriptors (hard limit $hard)"

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/f1M" 1048576
OUT=$TMPBASE/out
mkdir "$OUT"

# Names unique to this run; addresses exist only inside the namespaces.
NS_SRV=cloister-flood-s$$
NS_CLI=cloister-flood-c$$
IF_SRV=clfs$$
IF_CLI=clfc$$
SRV_ADDR=10.213.70.1
CLI_ADDR=10.213.70.2
VICTIM_NET=10.213.64.0/22
VICTIM_FIRST=10.213.64.1
VICTIM_RE='10\.213\.6[4-7]\.[0-9]+'
veth_pair
# The victims are reached through the real client's address, so that the
# server's neighbour table holds one entry, not a thousand.
ip -n "$NS_SRV" route add "$VICTIM_NET" via "$CLI_ADDR" dev "$IF_SRV" ||
	bail "cannot route the victims' network"
python3 - "$VICTIM_FIRST" "$VICTIMS" "$IF_CLI" >"$OUT/victims.batch" <<'EOF'
import ipaddress, sys
first = ipaddress.IPv4Address(sys.argv[1])
for i in range(int(sys.argv[2])):
    print("address add %s/32 dev %s" % (first + i, sys.argv[3]))
EOF
ip -n "$NS_CLI" -batch "$OUT/victims.batch" || bail "cannot add the victims' addresses"

on_exit "ip netns exec '$NS_CLI' nft delete table inet flood 2>/dev/null"
ip netns exec "$NS_CLI" nft -f - <<EOF || bail "cannot load the nftables rules in $NS_CLI"
table inet flood {
	chain in {
		type filter hook input priority 0;
		ip daddr $VICTIM_NET counter drop comment "forged victims never answer"
	}
}
EOF

# usec_now: a monotonic-enough clock in microseconds.
usec_now() {
	local t=$EPOCHREALTIME
	echo $((${t%.*} * 1000000 + 10#${t#*.}))
}

# sleep_until USEC
sleep_until() {
	local now left
	now=$(usec_now)
	left=$(($1 - now))
	[ "$left" -gt 0 ] && sleep "$((left / 1000000)).$(printf '%06d' $((left % 1000000)))"
	return 0
}

# flood RATE SECONDS: forge.py in the background; its "sent=N ..." in
# $OUT/flood.out, $OUT/flood.done once it is over.
flood() {
	rm -f "$OUT/flood.out" "$OUT/flood.done"
	(
		timeout 60 ip netns exec "$NS_CLI" python3 "$FORGE" flood "$SRV_ADDR" 69 f1M \
			"$1" "$2" "$VICTIM_FIRST" "$VICTIMS" >"$OUT/flood.out" 2>&1
		echo "exit $?" >>"$OUT/flood.out"
		touch "$OUT/flood.done"
	) &
	FLOODER=$!
}

# fetch I: download f1M as the real client (odd I: tftp-hpa, even I:
# busybox with blksize 1468); prints "USEC". A lost request costs the
# client's retransmission timer: 1 s for tftp-hpa here (5 s by default),
# 0.1 s for busybox. tftp-hpa's exit status says nothing (0 after an ERROR
# too): the file says whether it worked.
fetch() {
	local t0
	t0=$(usec_now)
	if [ $(($1 % 2)) -eq 1 ]; then
		printf 'binary\nrexmt 1\nget f1M %s\nquit\n' "$OUT/f1M.$1" |
			timeout 30 ip netns exec "$NS_CLI" tftp "$SRV_ADDR" 69 >"$OUT/fetch.$1.log" 2>&1
	else
		timeout 30 ip netns exec "$NS_CLI" busybox tftp -b 1468 -g -r f1M \
			-l "$OUT/f1M.$1" "$SRV_ADDR" 69 >"$OUT/fetch.$1.log" 2>&1
	fi
	echo $(($(usec_now) - t0))
}

fetched() {
	cmp -s "$ROOT/f1M" "$OUT/f1M.$1"
}

fetch_failed() {
	diag "after $(($2 / 1000)) ms got $(stat -c %s "$OUT/f1M.$1" 2>/dev/null || echo 0) bytes"
	diag_file "$OUT/fetch.$1.log" 3
}

# ---------------------------------------------------------------------------
# The flood, against a daemon with descriptors for its request table

TFTPD_PREFIX=(ip netns exec "$NS_SRV" prlimit --nofile="$NOFILE_SPEC")
start_tftpd -v --spares="$SPARES" --listen="$SRV_ADDR:69" "$ROOT" ||
	bail "tftpd did not start in $NS_SRV"
M=$TFTPD_PID
wait_for 10 children_at_least "$SPARES" || diag "fewer than $SPARES spare children after 10 s"

# sample T0: every 0.5 s until the flood is over, "MS CHILDREN RSS_KB
# DROPPED": milliseconds since T0, and the requests dropped so far from a
# full table.
SAMPLES=$OUT/samples
sample() {
	local rss n
	while [ ! -e "$OUT/flood.done" ]; do
		n=$(tftpd_children "$M" | wc -l)
		rss=$(proc_field "$M" VmRSS) || break
		echo "$((($(usec_now) - $1) / 1000)) $n ${rss% kB} $(log_count 'request table full')" \
			>>"$SAMPLES"
		sleep 0.5
	done
}

T0=$(usec_now)
flood "$RATE" "$SECONDS_FLOOD"
sample "$T0" &
SAMPLER=$!

times=()
for ((i = 1; i <= FETCHES; i++)); do
	# Due at 1, 3, 5 ... s into the flood.
	sleep_until $((T0 + (2 * i - 1) * 1000000))
	t=$(fetch "$i")
	times+=("$t")
	client=$([ $((i % 2)) -eq 1 ] && echo tftp-hpa || echo "busybox -b 1468")
	if fetched "$i"; then
		pass "fetch $i ($client) during the flood is intact"
	else
		fail "fetch $i ($client) during the flood is intact"
		fetch_failed "$i" "$t"
	fi
done
wait "$FLOODER"
wait "$SAMPLER"

diag "forge.py: $(tr '\n' ' ' <"$OUT/flood.out")"
sent=$(sed -nE 's/^sent=([0-9]+) .*/\1/p' "$OUT/flood.out")
took=$(sed -nE 's/^sent=.* seconds=([0-9]+)\.[0-9]+ .*/\1/p' "$OUT/flood.out")
# Late on a loaded machine is still a flood: at least 2/3 of the rate.
check "the flood of $((RATE * SECONDS_FLOOD)) forged requests went out (in ${took:-?} s)" \
	test "${sent:-0}" -eq $((RATE * SECONDS_FLOOD)) -a "${took:-999}" -lt $((SECONDS_FLOOD * 3 / 2))

ms=()
for t in "${times[@]}"; do ms+=($((t / 1000))); done
diag "the real client's fetches (ms): ${ms[*]}"
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(printf '%s\n' "$sorted" | sed -n "$(((FETCHES + 1) / 2))p")
max=$(printf '%s\n' "$sorted" | tail -n1)
check "the real client's median fetch took at most 1 s ($((median / 1000)) ms)" \
	test "$median" -le 1000000
check "every fetch of the real client took at most 3 s (longest $((max / 1000)) ms)" \
	test "$max" -le 3000000

diag "samples (ms since the flood began/children/VmRSS kB/dropped from a full table):"
diag "$(awk '{ printf "%s%s/%s/%s/%s", (NR % 6 == 1 ? "" : " "), $1, $2, $3, $4;
	if (NR % 6 == 0) print "" } END { print "" }' "$SAMPLES")"
n_samples=$(wc -l <"$SAMPLES")
check "the monitor was sampled during the flood ($n_samples samples)" test "$n_samples" -ge 10
most=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$SAMPLES")
check "the monitor never had more than $((SPARES + 3)) children (at most $most)" \
	test "$most" -le $((SPARES + 3))
# rss_spread AWK-CONDITION: "MIN MAX" of VmRSS over the matching samples.
rss_spread() {
	awk "$1"' { if (min == "" || $3 < min) min = $3; if ($3 > max) max = $3 }
		END { print min + 0, max + 0 }' "$SAMPLES"
}
read -r full_min full_max <<<"$(rss_spread '$4 > 0')"
n_full=$(awk '$4 > 0' "$SAMPLES" | wc -l)
diag "VmRSS once the table was full ($n_full samples): min $full_min kB, max $full_max kB"
check "the monitor's RSS stayed flat once its request table was full (max - min $((full_max - full_min)) kB <= 8 MiB)" \
	test "$n_full" -ge 4 -a "$full_min" -gt 0 -a $((full_max - full_min)) -le 8192
# Until then it grows by what the table's records hold (about 4.7 KiB
# each, touched as they are first used): bounded, and at most that.
read -r rss_min rss_max <<<"$(rss_spread '1')"
diag "VmRSS over the whole flood: min $rss_min kB, max $rss_max kB"
check "the monitor's RSS grew by at most its table of 4096 requests (max - min $((rss_max - rss_min)) kB <= 4096 x 6 KiB)" \
	test "$rss_min" -gt 0 -a $((rss_max - rss_min)) -le $((4096 * 6))

unlike "$(grep -E "transfer [0-9]+ start .*client=$VICTIM_RE:" "$TFTPD_LOG" | head -n3)" . \
	"no forged address ever got a child"

# What the monitor made of the flood: answered, each request ended by
# itself (timeout; unreachable) or dropped when the table was full.
answered=$(ip netns exec "$NS_CLI" nft list table inet flood |
	sed -nE 's/.*counter packets ([0-9]+) bytes ([0-9]+).*/\1 \2/p')
: "${answered:=0 0}"
diag "the victims were sent ${answered% *} packets, ${answered#* } bytes (dropped on their input)"
check "the server answered forged requests" test "${answered%% *}" -gt 0
# Each forged request ends by itself within 14 s, or makes room for a
# later one: the last one sent ends last.
last=$(python3 -c 'import ipaddress, sys; print(ipaddress.IPv4Address(sys.argv[1]) + int(sys.argv[2]) - 1)' \
	"$VICTIM_FIRST" "$VICTIMS")
last_port=$((20000 + RATE * SECONDS_FLOOD / VICTIMS - 1))
wait_for 20 log_has "client=${last//./\\.}:${last_port}[ )]" ||
	diag "the last forged request did not end within 20 s"
accounted=$(($(log_count "RRQ client=$VICTIM_RE:.* result=") + $(log_count 'request table full')))
diag "forged requests ended or dropped: $accounted of ${sent:-?} sent"
# A forged address sends its request once: more resends than the timer
# makes (2 of DATA 1, 1 of an OACK) answered someone else's request.
diag "forged requests that answered another's request: $(grep -E "RRQ client=$VICTIM_RE:.* result=" "$TFTPD_LOG" |
	sed -nE 's/.* retransmits=([0-9]+) .* blksize=([0-9]+) .*/\1 \2/p' |
	awk '($2 == 512 && $1 > 2) || ($2 != 512 && $1 > 1) { n++ } END { print n + 0 }')"
grep -E 'transfer [0-9]+ start ' "$TFTPD_LOG" | sed -nE 's/.*transfer ([0-9]+) start.*/\1/p' |
	sort -u >"$OUT/started"
grep -E 'transfer [0-9]+ RRQ .*result=' "$TFTPD_LOG" |
	sed -nE 's/.*transfer ([0-9]+) RRQ .*result=([a-z-]+).*/\1 \2/p' | sort -k1,1 >"$OUT/ended"
childless=$(join -v1 "$OUT/ended" "$OUT/started" | awk '{ n[$2]++ } END {
	for (r in n) printf "%s=%d ", r, n[r] }')
diag "requests that ended without a child: ${childless:-none}"
diag "requests dropped from a full table: $(log_count 'request table full')"
diag "transfers with a child: $(wc -l <"$OUT/started")"
diag "server UDP: $(ip netns exec "$NS_SRV" awk '/^Udp: [0-9]/ { print "InDatagrams=" $2,
	"RcvbufErrors=" $6 }' /proc/net/snmp)"

check "the server is still running" proc_alive "$M"
stop_tftpd

# ---------------------------------------------------------------------------
# A smaller flood, against a daemon with a hard limit of 1024 descriptors
# (a soft limit alone is raised: cli.sh)

RATE2=250
TFTPD_PREFIX=(ip netns exec "$NS_SRV" prlimit --nofile=1024:1024)
start_tftpd -v --spares="$SPARES" --listen="$SRV_ADDR:69" "$ROOT" ||
	bail "tftpd did not start in $NS_SRV with 1024 descriptors"
# shellcheck disable=SC2034 # read by start_tftpd
TFTPD_PREFIX=()
M=$TFTPD_PID
wait_for 10 children_at_least "$SPARES"
diag "monitor: $(grep 'open files' "/proc/$M/limits" | tr -s ' '), $(find "/proc/$M/fd" -mindepth 1 | wc -l) open at start"
like "$(cat "$TFTPD_LOG")" 'descriptor limit \(1024\) holds --max-transfers=[0-9]+ and --max-requests=[0-9]+' \
	"with 1024 descriptors the monitor lowers its limits to fit, and says so"
T0=$(usec_now)
flood "$RATE2" 6
# The table (smaller now) fills within a second; from then on each forged
# request takes the place of the oldest one. No request may fail for want
# of a descriptor.
sleep_until $((T0 + 5000000))
t=$(fetch 6)
if fetched 6; then
	pass "$RATE2 forged requests a second, 1024 descriptors: a real client is served"
else
	fail "$RATE2 forged requests a second, 1024 descriptors: a real client is served"
	fetch_failed 6 "$t"
fi
unlike "$(grep -E 'Too many open files|reason="(Internal error|Cannot open file)"' "$TFTPD_LOG" | head -n3)" . \
	"... and no request failed for want of a descriptor"
wait "$FLOODER"
diag "forge.py: $(tr '\n' ' ' <"$OUT/flood.out")"
diag "forged requests refused: $(grep -E "refused RRQ client=$VICTIM_RE:" "$TFTPD_LOG" |
	sed -nE 's/.*(error=[0-9]+ reason=.*)/\1/p' | sort | uniq -c | tr -s ' \n' ' ')"
diag "the real client: $(grep -E "RRQ client=${CLI_ADDR//./\\.}:" "$TFTPD_LOG" | sed 's/^tftpd: //')"
check "the server is still running" proc_alive "$M"
stop_tftpd

# ---------------------------------------------------------------------------
# A request that comes while the monitor makes another's transfer socket
#
# The monitor binds a transfer socket to port 69 before it connects it to
# its client. Under a flood on a loaded machine the monitor can lose the
# CPU in between; strace (attached to the monitor) stands in for that and
# holds every connect() for 2 s. A forged request from a victim opens that
# window; a real request sent while the victim's socket is bound and not
# yet connected must still be answered.
DELAY_US=2000000
if ! command -v strace >/dev/null 2>&1; then
	skip_test "a request that comes while another's transfer socket is bound but not connected is answered" \
		"strace is missing"
	skip_test "the server is still running" "strace is missing"
	finish
fi
TFTPD_PREFIX=(ip netns exec "$NS_SRV" prlimit --nofile="$NOFILE_SPEC")
start_tftpd -v --spares="$SPARES" --listen="$SRV_ADDR:69" "$ROOT" ||
	bail "tftpd did not start in $NS_SRV"
# shellcheck disable=SC2034 # read by start_tftpd
TFTPD_PREFIX=()
M=$TFTPD_PID
wait_for 10 children_at_least "$SPARES"
strace -p "$M" -o "$OUT/strace" -e trace=bind,connect \
	-e inject=connect:delay_enter="$DELAY_US" 2>"$OUT/strace.err" &
TRACER=$!
traced() {
	[ "$(proc_field "$M" TracerPid)" = "$TRACER" ]
}
# Bound to port 69 and not connected: the listening socket, and one more
# while the window is open.
window_open() {
	[ "$(ip netns exec "$NS_SRV" ss -Huan state unconnected 'sport = :69' | wc -l)" -ge 2 ]
}
if wait_for 10 traced; then
	ip netns exec "$NS_CLI" python3 "$FORGE" rrq "$SRV_ADDR" 69 "$VICTIM_FIRST" 30000 f1M
	wait_for 5 window_open || diag "no second unconnected socket on port 69 within 5 s"
	# The real client's own socket waits for connect() as well: 2 s.
	got=$(ip netns exec "$NS_CLI" "$RAWCLIENT" -t 8000 "$SRV_ADDR" 69 rrq f1M 2>&1)
	like "$got" '^DATA block=1 ' \
		"a request that comes while another's transfer socket is bound but not connected is answered"
else
	skip_test "a request that comes while another's transfer socket is bound but not connected is answered" \
		"strace could not attach to the monitor"
	diag_file "$OUT/strace.err" 3
fi
kill "$TRACER" 2>/dev/null
wait "$TRACER" 2>/dev/null
# The victim's record answered the real request as if it were its own,
# resent: one retransmission more than its timer made.
wait_log 10 "RRQ client=${VICTIM_FIRST//./\\.}:30000 .*result="
diag "the victim: $(grep -E "RRQ client=${VICTIM_FIRST//./\\.}:30000 .*result=" "$TFTPD_LOG" | sed 's/^tftpd: //')"
diag "the real client: $(grep -E "RRQ client=${CLI_ADDR//./\\.}:" "$TFTPD_LOG" | sed 's/^tftpd: //')"
check "the server is still running" proc_alive "$M"
stop_tftpd

finish
