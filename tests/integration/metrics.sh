#!/bin/bash
# metrics.sh - metrics-file: the Prometheus text a running server writes,
# and tftpd --status.
#
# The file is there once the server is ready, `promtool check metrics`
# (the exposition format's reference parser) accepts it, and its figures
# are those of the transfers and refusals the test made: downloads, a
# missing file, an upload while uploads are disabled, a malformed request.
# It is rewritten every metrics-interval seconds and at exit, leaves no
# temporary file, and keeps its path across a reload (metrics-file is
# restart-only) while metrics-interval may change. --status prints its
# one line, and exits 1 without a file to read.
# Under CI a missing promtool fails the promtool checks; elsewhere they
# are skipped.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built

plan 23

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/a.bin" 100000
PORT=$(free_port) || bail "no free port"
MDIR=$TMPBASE/metrics
mkdir -p "$MDIR" && chmod 777 "$MDIR" # the service user writes there
PROM=$MDIR/tftpd.prom
CONF=$TMPBASE/tftpd.conf
cat >"$CONF" <<CONF_EOF
listen = 127.0.0.1:$PORT
metrics-file = $PROM
metrics-interval = 1
CONF_EOF

# value SERIES: the value of the series written exactly so, or "none".
value() {
	local v
	v=$(grep -F -- "$1 " "$PROM" 2>/dev/null | grep -vF '#' | head -n1 | awk '{print $NF}')
	echo "${v:-none}"
}

# promtool_check DESCRIPTION: the file passes `promtool check metrics`.
promtool_check() {
	local out
	if ! command -v promtool >/dev/null 2>&1; then
		if [ -n "${CI:-}" ]; then
			fail "$1 (promtool is missing and CI is set)"
		else
			skip_test "$1" "promtool (Debian: prometheus) is not installed"
		fi
		return
	fi
	if out=$(promtool check metrics <"$PROM" 2>&1); then
		pass "$1"
	else
		fail "$1"
		diag "$out"
	fi
}

status_has() {
	"$TFTPD" --status -f "$CONF" 2>/dev/null | grep -qE -- "$1"
}

start_tftpd -f "$CONF" "$ROOT" || bail "tftpd did not start"
check "the metrics file is written at start" test -s "$PROM"
promtool_check "promtool check metrics: the file of a server just started"
is "$(value tftpd_transfers_active)" 0 "no transfer active at start"
is "$(value 'tftpd_build_info{version="'"$("$TFTPD" --version | awk '{print $NF}')"'"}')" 1 \
	"tftpd_build_info carries the version of tftpd --version"
start=$(value tftpd_start_time_seconds)
now=$(date +%s)
check "tftpd_start_time_seconds is the start, in seconds since the epoch" \
	test "${start%.*}" -le "$now" -a "${start%.*}" -ge $((now - 60))

# Three downloads, a missing file, an upload (disabled), a malformed request.
ok=0
for i in 1 2 3; do
	timeout 30 "$RAWCLIENT" 127.0.0.1 "$PORT" get a.bin "$TMPBASE/got.$i" octet blksize 1024 \
		>/dev/null 2>&1 && cmp -s "$TMPBASE/got.$i" "$ROOT/a.bin" && ok=$((ok + 1))
done
is "$ok" 3 "three downloads, byte-exact"
"$RAWCLIENT" -t 2000 127.0.0.1 "$PORT" rrq missing.bin >/dev/null 2>&1
"$RAWCLIENT" -t 2000 127.0.0.1 "$PORT" wrq new.bin >/dev/null 2>&1
# An RRQ whose mode is no mode.
"$RAWCLIENT" -t 2000 127.0.0.1 "$PORT" send "$(req_hex 1 a.bin bogus)" >/dev/null 2>&1

check "within 3 s, --status counts them (the file is rewritten every second)" \
	wait_for 3 status_has ' ok=3 failed=0 refused=3 '
like "$("$TFTPD" --status -f "$CONF")" \
	'^active=0 queued=0 ok=3 failed=0 refused=3 bytes=300000 retransmits=[0-9]+$' \
	"--status prints one line of counters"
is "$(value 'tftpd_transfers_total{op="rrq",result="ok"}')" 3 \
	'tftpd_transfers_total{op="rrq",result="ok"} counts the downloads'
is "$(value 'tftpd_bytes_total{op="rrq"}')" 300000 "tftpd_bytes_total counts their bytes"
is "$(value 'tftpd_refused_total{reason="not_found"}') $(value 'tftpd_refused_total{reason="upload_disabled"}') $(value 'tftpd_refused_total{reason="malformed"}')" \
	"1 1 1" "tftpd_refused_total: not_found, upload_disabled and malformed, once each"
is "$(value 'tftpd_transfers_total{op="wrq",result="refused"}')" 1 \
	"the refused upload is a wrq transfer with result refused"
is "$(value 'tftpd_transfer_duration_seconds_bucket{le="+Inf"}') $(value tftpd_transfer_duration_seconds_count)" \
	"3 3" "the duration histogram: +Inf and _count hold the three transfers"
promtool_check "promtool check metrics: the file after transfers and refusals"
check "no temporary file is left in the directory" test ! -e "$MDIR/.tftpd.prom.tmp"
is "$(grep -c '^# TYPE ' "$PROM")" 10 "ten metrics, each with its TYPE line"

# A reload: metrics-file is restart-only, metrics-interval may change.
sed -i "s|^metrics-file = .*|metrics-file = $MDIR/other.prom|; s|^metrics-interval = .*|metrics-interval = 2|" "$CONF"
kill -HUP "$TFTPD_PID"
check "a reload that changes metrics-file says it takes effect at the next start" \
	wait_log 5 'reload: metrics-file changed: it takes effect at the next start'
unlike "$(cat "$TFTPD_LOG")" 'metrics-interval changed' "metrics-interval changes on a reload, unannounced"
timeout 30 "$RAWCLIENT" 127.0.0.1 "$PORT" get a.bin "$TMPBASE/got.4" >/dev/null 2>&1
check "after the reload the file of the start is still written" \
	wait_for 5 grep -q '^tftpd_transfers_total{op="rrq",result="ok"} 4$' "$PROM"
stop_tftpd
check "no file at the reloaded path" test ! -e "$MDIR/other.prom"

# At exit: with an interval of an hour, only the exit write can count this.
start_tftpd --listen="127.0.0.1:$PORT" --metrics-file="$PROM" --metrics-interval=3600 "$ROOT" ||
	bail "tftpd did not start"
timeout 30 "$RAWCLIENT" 127.0.0.1 "$PORT" get a.bin "$TMPBASE/got.5" >/dev/null 2>&1
stop_tftpd
like "$("$TFTPD" --status --metrics-file="$PROM")" ' ok=1 ' "the file is written at exit"

# --status without a file to read.
out=$("$TFTPD" --status 2>&1)
is "$? ${out:0:34}" "1 tftpd: --status needs metrics-file" \
	"--status without metrics-file: exit 1, and says why"
out=$("$TFTPD" --status --metrics-file="$MDIR/none.prom" 2>&1)
like "$? $out" '^1 tftpd: cannot read the metrics file .*none.prom: No such file' \
	"--status with a file that is not there: exit 1, and says why"

finish
