#!/bin/bash
# manpages.sh - tftpd(8) and tftpd.conf(5): lint-clean, and complete.
#
# `mandoc -Tlint -Wwarning` finds nothing in either page; tftpd(8)
# documents every option that `tftpd --help` lists, tftpd.conf(5) every
# key the configuration file takes (the long options but config, help and
# version, plus root); the example configuration file in contrib/ is
# accepted by tftpd.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built
require_cmd mandoc

MAN8=$top_srcdir/man/tftpd.8
MAN5=$top_srcdir/man/tftpd.conf.5
EXAMPLE=$top_srcdir/contrib/tftpd.conf

HELP=$("$TFTPD" --help)
# Long options, without dashes: "listen", "blksize-max", ...
LONGS=$(printf '%s\n' "$HELP" | grep -oE -- '--[a-z][a-z-]+' | sed 's/^--//' | sort -u)
SHORTS=$(printf '%s\n' "$HELP" | grep -oE -- '^ +-[A-Za-z],' | tr -d ' ,' | sort -u)
[ -n "$LONGS" ] || bail "no long option found in tftpd --help"

plan 12

# lint PAGE: mandoc's complaints, without those about this machine's
# mandoc.db (outdated or missing databases are not the page's fault).
lint() {
	mandoc -Tlint -Wwarning "$1" 2>&1 | grep -v 'mandoc\.db'
}
is "$(lint "$MAN8")" "" "mandoc -Tlint -Wwarning: tftpd.8 is clean"
is "$(lint "$MAN5")" "" "mandoc -Tlint -Wwarning: tftpd.conf.5 is clean"

# The pages as a reader sees them, in plain ASCII.
TEXT8=$(mandoc -Tascii "$MAN8" | sed 's/.\x08//g')
TEXT5=$(mandoc -Tascii "$MAN5" | sed 's/.\x08//g')

missing=
for o in $LONGS; do
	printf '%s\n' "$TEXT8" | grep -q -- "--$o\b" || missing="$missing --$o"
done
is "${missing# }" "" "tftpd.8 documents every long option of tftpd --help"

missing=
for o in $SHORTS; do
	printf '%s\n' "$TEXT8" | grep -qE -- "(^|[^-A-Za-z])$o([^A-Za-z]|$)" || missing="$missing $o"
done
is "${missing# }" "" "tftpd.8 documents every short option of tftpd --help"

missing=
for k in $LONGS root; do
	# Not settings: what to do now, given on the command line only.
	case $k in config | help | version | check-config | map-test | client | write | status) continue ;; esac
	printf '%s\n' "$TEXT5" | grep -qE -- "^ +$k = " || missing="$missing $k"
done
is "${missing# }" "" "tftpd.conf.5 documents every key (long options and root)"

missing=
for s in ACTIVATION SECURITY SIGNALS ENVIRONMENT FILES "EXIT STATUS" EXAMPLES; do
	printf '%s\n' "$TEXT8" | grep -qx "$s" || missing="$missing [$s]"
done
is "${missing# }" "" "tftpd.8 has ACTIVATION, SECURITY, SIGNALS, ENVIRONMENT, FILES, EXIT STATUS, EXAMPLES"

like "$TEXT8" 'NOTIFY_SOCKET' "tftpd.8 names NOTIFY_SOCKET"

# tftpc(1): lint-clean, every long option of tftpc --help, every exit
# status tftpc.c defines.
MAN1=$top_srcdir/man/tftpc.1
is "$(lint "$MAN1")" "" "mandoc -Tlint -Wwarning: tftpc.1 is clean"
TEXT1=$(mandoc -Tascii "$MAN1" | sed 's/.\x08//g')
missing=
for o in $("$top_builddir/tftpc" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sed 's/^--//' | sort -u); do
	printf '%s\n' "$TEXT1" | grep -q -- "--$o\b" || missing="$missing --$o"
done
is "${missing# }" "" "tftpc.1 documents every long option of tftpc --help"
missing=
for n in $(sed -n 's/^\tEXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' "$top_srcdir/src/tftpc.c"); do
	printf '%s\n' "$TEXT1" | grep -qE -- "^ +$n(\b|–)" || missing="$missing $n"
done
is "${missing# }" "" "tftpc.1 documents every exit status of src/tftpc.c"

# The example file: tftpd reads it and starts (its root replaced by ours,
# on a free port), unprivileged or not.
ROOT=$(make_root) || bail "make_root"
PORT=$(free_port) || bail "no free port"
if start_tftpd --config="$EXAMPLE" --listen=127.0.0.1:"$PORT" "$ROOT"; then
	pass "tftpd starts with contrib/tftpd.conf"
else
	fail "tftpd starts with contrib/tftpd.conf"
fi
stop_tftpd
# Every key the example sets or shows commented out is one tftpd knows.
bad=
for k in $(sed -n 's/^#\{0,1\}\([a-z-]*\) = .*/\1/p' "$EXAMPLE" | sort -u); do
	[ "$k" = root ] && continue
	printf '%s\n' "$LONGS" | grep -qx -- "$k" || bad="$bad $k"
done
is "${bad# }" "" "every key in contrib/tftpd.conf (also commented out) is an option of tftpd"

finish
