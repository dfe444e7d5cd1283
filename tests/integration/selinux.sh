#!/bin/bash
# selinux.sh - the SELinux policy module compiles, and stays narrow.
#
# selinux/cloister.{te,fc,if} build to cloister.pp with the distribution's
# policy development files, without a warning; a test module that calls
# every interface of cloister.if builds too. The module keeps its own names
# (never the distribution's tftpd_t), and gives the daemon exactly the six
# capabilities and file writes only in tftpdir_rw_t.
# Without /usr/share/selinux/devel/Makefile (Debian: selinux-policy-dev)
# the file is skipped, or fails when CI is set.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

DEVEL=${SELINUX_DEVEL_MAKEFILE:-/usr/share/selinux/devel/Makefile}
if [ ! -f "$DEVEL" ]; then
	[ -n "${CI:-}" ] && bail "$DEVEL is missing (CI is set, so this is a failure)"
	skip_all "$DEVEL is missing (apt-get install selinux-policy-dev)"
fi
require_cmd make checkmodule semodule_package m4

SRC=$top_srcdir/selinux
TE=$SRC/cloister.te

plan 8

B=$TMPBASE/policy
mkdir -p "$B"
cp "$SRC/cloister.te" "$SRC/cloister.fc" "$SRC/cloister.if" "$B/"
(cd "$B" && MAKEFLAGS= MFLAGS= MAKELEVEL= make -f "$DEVEL" cloister.pp) >"$B/build.log" 2>&1
rc=$?
is "$rc" 0 "cloister.pp builds with $DEVEL"
[ "$rc" = 0 ] || diag_file "$B/build.log" 30
check "cloister.pp is a non-empty policy package" test -s "$B/cloister.pp"
unlike "$(cat "$B/build.log")" '[Ww]arning|[Ee]rror' "the build prints no warning"

# Every interface of cloister.if, called from a module of its own.
T=$TMPBASE/iftest
mkdir -p "$T"
cp "$SRC/cloister.te" "$SRC/cloister.fc" "$SRC/cloister.if" "$T/"
{
	echo 'policy_module(cloistertest, 1.0)'
	echo 'type cloistertest_t;'
	echo 'domain_type(cloistertest_t)'
	echo 'role system_r types cloistertest_t;'
	sed -n "s/^interface(\`\([a-z_]*\)'.*/\1/p" "$SRC/cloister.if" | while read -r i; do
		case $i in
		*_admin) echo "$i(cloistertest_t, system_r)" ;;
		*) echo "$i(cloistertest_t)" ;;
		esac
	done
} >"$T/cloistertest.te"
: >"$T/cloistertest.fc"
(cd "$T" && MAKEFLAGS= MFLAGS= MAKELEVEL= make -f "$DEVEL" cloistertest.pp) >"$T/build.log" 2>&1
rc=$?
is "$rc" 0 "a module calling every interface of cloister.if builds ($(grep -c '(cloistertest_t' "$T/cloistertest.te") interfaces)"
[ "$rc" = 0 ] || diag_file "$T/build.log" 30

unlike "$(grep -v '^#' "$TE")" '\btftpd_t\b|\btftpd_exec_t\b' \
	"cloister.te declares and uses no type of the distribution's tftp module"
caps=$(grep -hE 'allow cloister_tftpd_t self:capability ' "$B/tmp/cloister.tmp" |
	sed 's/.*capability //; s/[{};]//g' | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')
is "$caps" "kill net_bind_service setgid setpcap setuid sys_chroot " \
	"the expanded policy grants exactly the six capabilities"
unlike "$(cat "$B/tmp/cloister.tmp")" 'cloister_tftpd_t self:capability2' \
	"and no capability2 (mac_*, syslog, bpf, ...)"
writes=$(grep -E '^allow cloister_tftpd_t [a-z_]+:file .*(manage_file_perms|write|append|create|unlink|rename)' "$TE" |
	awk '{print $3}' | cut -d: -f1 | sort -u | tr '\n' ' ')
is "$writes" "tftpdir_rw_t " "cloister.te writes files only in tftpdir_rw_t"

finish
