#!/bin/bash
# tftpc-tty.sh - tftpc's progress bar, as a real terminal shows it.
#
# tftpc runs in a detached tmux session (a pseudo-terminal 100 columns
# wide); the pane is captured once it has finished. Its last bar shows the
# name, the bytes, the rate, the time left and a full bar at 100 %, on one
# line that fits the width. With --quiet nothing is drawn; with stderr
# redirected (tftpc.sh) neither.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd tmux cmp
TFTPC=$top_builddir/tftpc
[ -x "$TFTPC" ] || bail "$TFTPC not built"

plan 5

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/image.bin" 67108864
OUT=$TMPBASE/out
mkdir "$OUT"
PORT=$(free_port) || bail "no free port"
start_tftpd --listen=127.0.0.1:"$PORT" "$ROOT" || bail "tftpd did not start"

SESSION=cloister-tftpc$$
export TMUX_TMPDIR=$TMPBASE
on_exit "tmux kill-server 2>/dev/null"

# in_tmux NAME COMMAND: run COMMAND in a fresh 100x20 session; prints
# the captured pane once COMMAND has printed its exit status.
in_tmux() {
	tmux new-session -d -s "$1" -x 100 -y 20 "$2; echo EXIT=\$?; sleep 60" ||
		bail "tmux new-session failed"
	wait_for 60 sh -c "tmux capture-pane -p -t '$1' | grep -q '^EXIT='"
	tmux capture-pane -p -t "$1"
}

pane=$(in_tmux "$SESSION" "$TFTPC get tftp://127.0.0.1:$PORT/image.bin $OUT/a")
like "$pane" '^EXIT=0' "the download in a terminal succeeds"
check "and is whole" cmp -s "$ROOT/image.bin" "$OUT/a"
bar=$(printf '%s\n' "$pane" | grep -m1 'image\.bin')
like "$bar" '^image\.bin  64\.0 MiB  [0-9.]+ [KMG]iB/s  ETA 0:00 \[#+\] 100%$' \
	"the bar: name, bytes, rate, ETA, a full bar, 100 %"
check "it fits the terminal's width" test "${#bar}" -lt 100
pane=$(in_tmux "$SESSION-q" "$TFTPC -q get tftp://127.0.0.1:$PORT/image.bin $OUT/b")
is "$(printf '%s\n' "$pane" | grep -v '^$')" "EXIT=0" "--quiet draws nothing"
diag "$bar"
finish
