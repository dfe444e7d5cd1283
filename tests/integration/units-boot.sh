#!/bin/bash
# units-boot.sh - the real units under the real systemd, in a container.
#
# systemd is not PID 1 on the build machines, so this boots one: a
# systemd-nspawn container whose root is a scratch tree (the host's /usr
# read-only, a copy of /etc, everything else empty) running systemd with
# systemd.unit=cloister-test.target. Into the copy of /etc go contrib's
# tftpd.socket, tftpd.service, tftpd.sysusers and tftpd.tmpfiles, plus
# drop-ins as tftpd(8) documents them: the socket on 127.0.0.1:PORT, the
# built tftpd with --create, ReadWritePaths= for the upload directory.
# The container shares the host's network, so this script is the client:
# socket activation must start the hardened service, which must serve,
# take an upload, report READY/STATUS, run as tftp with the five caps,
# jail its children, and stop with status 0. The host is not touched: the
# container writes only the scratch tree, and its cgroups are removed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd systemd-nspawn tftp curl cmp timeout
[ -L /bin ] && [ -L /lib ] || skip_all "needs a merged-/usr host (/bin -> usr/bin)"
[ -f "$top_builddir/contrib/tftpd.service" ] || bail "contrib/tftpd.service not built"

plan 14

# proc_field_of FILE FIELD: like proc_field, from a saved status file.
proc_field_of() {
	local line
	line=$(grep -m1 "^$2:" "$1" 2>/dev/null) || return 1
	line=${line#*:}
	# shellcheck disable=SC2086
	set -- $line
	echo "$*"
}

PORT=$(free_port) || bail "no free port"
B=$TMPBASE/boot
R=$B/root
OUT=$B/out
mkdir -p "$R"/{usr,var,tmp,run,proc,sys,dev,root,opt/cloister,out} "$R/srv/tftp" "$OUT"
chmod 755 "$B" "$R" "$R/srv" "$R/srv/tftp"
chmod 777 "$OUT"
for l in bin sbin lib lib64; do
	[ -L "/$l" ] && ln -s "$(readlink "/$l")" "$R/$l"
done
cp -a /etc "$R/etc"
rm -f "$R/etc/os-release" "$R/etc/machine-id"
cp /usr/lib/os-release "$R/etc/os-release"
tr -d '-' </proc/sys/kernel/random/uuid >"$R/etc/machine-id"
# Nothing the host enabled starts in the container.
rm -rf "$R"/etc/systemd/system/*.wants "$R/etc/systemd/system/default.target"
cp "$TFTPD" "$R/opt/cloister/tftpd"
make_file "$R/srv/tftp/big.bin" 300000
make_file "$TMPBASE/up.bin" 20000

U=$R/etc/systemd/system
cp "$top_srcdir/contrib/tftpd.socket" "$top_builddir/contrib/tftpd.service" "$U/"
mkdir -p "$U/tftpd.socket.d" "$U/tftpd.service.d" "$R/etc/sysusers.d" "$R/etc/tmpfiles.d"
printf '[Socket]\nListenDatagram=\nListenDatagram=127.0.0.1:%s\n' "$PORT" >"$U/tftpd.socket.d/test.conf"
cat >"$U/tftpd.service.d/test.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/opt/cloister/tftpd -v --create /srv/tftp
ReadWritePaths=/srv/tftp/upload
# Sanitizer builds (lib.sh): no LeakSanitizer in a chrooted monitor.
Environment=ASAN_OPTIONS=detect_leaks=0
EOF
cp "$top_srcdir/contrib/tftpd.sysusers" "$R/etc/sysusers.d/tftpd.conf"
cp "$top_srcdir/contrib/tftpd.tmpfiles" "$R/etc/tmpfiles.d/tftpd.conf"
echo 'd /srv/tftp/upload 0755 tftp tftp - -' >"$R/etc/tmpfiles.d/tftpd-test.conf"
cat >"$U/cloister-test.target" <<'EOF'
[Unit]
Description=cloister unit test
Wants=tftpd.socket cloister-report.service
EOF
# Waits for the client (/out/go), reports, stops tftpd, powers off.
cat >"$U/cloister-report.service" <<'EOF'
[Unit]
After=tftpd.socket
[Service]
Type=oneshot
ExecStart=/bin/sh -c '\
echo booted >/out/booted; \
for i in $(seq 1 900); do [ -e /out/go ] && break; sleep 0.1; done; \
systemctl show -p ActiveState,SubState,StatusText,MainPID tftpd.service >/out/show; \
P=$(systemctl show -P MainPID tftpd.service); \
cat /proc/$P/status >/out/main; readlink /proc/$P/root >/out/main.root; \
for c in $(cat /proc/$P/task/$P/children); do cat /proc/$c/status; done >/out/children; \
systemctl stop tftpd.service; \
systemctl show -p Result,ExecMainStatus tftpd.service >/out/stopped; \
journalctl --no-pager -o cat -u tftpd.service >/out/journal; \
systemctl --no-block poweroff'
EOF

# The container's systemd makes cgroups below ours: give it ones of its
# own, in every hierarchy nspawn looks at (the named systemd one and the
# unified one on a hybrid host; the unified one alone on a cgroup2 host).
CGS=()
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
	[ -e "$h/cgroup.procs" ] && CGS+=("$h/cloister-boot-$$")
done
[ ${#CGS[@]} -gt 0 ] || { [ -e /sys/fs/cgroup/cgroup.procs ] && CGS+=("/sys/fs/cgroup/cloister-boot-$$"); }
[ ${#CGS[@]} -gt 0 ] || bail "no cgroup hierarchy for the container"
# On a hybrid host nspawn also makes payload/ and supervisor/ at the root
# of the unified hierarchy: they are ours to remove afterwards, so they
# must not exist before.
STRAY=()
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
	for d in payload supervisor; do
		[ -e "$h/cgroup.procs" ] || continue
		[ -e "$h/$d" ] && skip_all "$h/$d exists: another container is running"
		STRAY+=("$h/$d")
	done
done
mkdir "${CGS[@]}" || bail "cannot create ${CGS[*]}"
# Everything in them is ours: end what is left (the container's processes
# outlive a killed systemd-nspawn), then remove the cgroups.
cleanup_cgroup() {
	local i pids
	for i in 1 2 3 4 5; do
		pids=$(cat $(find "${CGS[@]}" "${STRAY[@]}" -name cgroup.procs 2>/dev/null) 2>/dev/null)
		[ -z "$pids" ] && break
		kill -KILL $pids 2>/dev/null
		sleep 0.2
	done
	find "${CGS[@]}" "${STRAY[@]}" -depth -type d -exec rmdir {} + 2>/dev/null
}
trap 'cleanup; cleanup_cgroup' EXIT

sh -c 'for g in $1; do echo $$ >"$g/cgroup.procs" || exit 1; done; shift; exec "$@"' \
	sh "${CGS[*]}" \
	timeout -k 5 150 systemd-nspawn --quiet -D "$R" --keep-unit --register=no \
	--link-journal=no --bind-ro=/usr --bind="$OUT":/out \
	-b -- systemd.unit=cloister-test.target >"$B/console.log" 2>&1 &
NSPAWN=$!
_started_pids+=("$NSPAWN")

if wait_for 60 test -e "$OUT/booted"; then
	pass "the container boots systemd into cloister-test.target"
else
	fail "the container boots systemd into cloister-test.target"
	diag_file "$B/console.log" 30
fi

timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c get big.bin "$B/big.hpa" >/dev/null 2>&1
check "socket activation: tftp-hpa gets a file intact from tftpd.service" \
	cmp -s "$R/srv/tftp/big.bin" "$B/big.hpa"
timeout 30 curl -s --tftp-blksize 1400 -o "$B/big.curl" "tftp://127.0.0.1:$PORT/big.bin" >/dev/null 2>&1
check "curl gets it intact with blksize 1400" cmp -s "$R/srv/tftp/big.bin" "$B/big.curl"
timeout 30 tftp -m binary 127.0.0.1 "$PORT" -c put "$TMPBASE/up.bin" upload/up.bin >/dev/null 2>&1
check "an upload lands in ReadWritePaths=/srv/tftp/upload" \
	cmp -s "$TMPBASE/up.bin" "$R/srv/tftp/upload/up.bin"

touch "$OUT/go"
wait_for 60 test -e "$OUT/journal"
wait "$NSPAWN" 2>/dev/null
diag "$(cat "$OUT/show" 2>/dev/null)"

like "$(cat "$OUT/show" 2>/dev/null)" 'SubState=running' "tftpd.service was running"
like "$(cat "$OUT/show" 2>/dev/null)" 'StatusText=Serving: ' "it reported its STATUS= (Type=notify)"
tuid=$(awk -F: '$1 == "tftp" { print $3 }' "$R/etc/passwd")
juid=$(awk -F: '$1 == "tftp-jail" { print $3 }' "$R/etc/passwd")
if [ -n "$tuid" ] && [ -n "$juid" ]; then
	pass "tftpd.sysusers made tftp ($tuid) and tftp-jail ($juid) at boot"
else
	fail "tftpd.sysusers made tftp and tftp-jail at boot"
fi
is "$(proc_field_of "$OUT/main" Uid 2>/dev/null)" "$tuid $tuid $tuid $tuid" "the monitor runs as tftp"
is "$(proc_field_of "$OUT/main" CapPrm)" 00000000000001e0 "the monitor permits only its caps (no CAP_NET_BIND_SERVICE: no port below 1024)"
is "$(cat "$OUT/main.root" 2>/dev/null)" /srv/tftp "the monitor is chrooted into /srv/tftp"
is "$(grep -c "^Uid:[[:space:]]*$juid[[:space:]]" "$OUT/children" 2>/dev/null)" \
	"$(grep -c '^Seccomp:[[:space:]]*2' "$OUT/children" 2>/dev/null)" \
	"every child runs as tftp-jail under seccomp"
like "$(grep -c '^CapPrm:[[:space:]]*0000000000000000' "$OUT/children" 2>/dev/null)" '^[1-9]' \
	"children hold no capability"
is "$(tr '\n' ' ' <"$OUT/stopped" 2>/dev/null)" "Result=success ExecMainStatus=0 " \
	"systemctl stop: tftpd exits 0"
unlike "$(cat "$OUT/journal" 2>/dev/null)" 'Cannot open|SIGSYS|signal 31|denied' \
	"the journal shows no refusal by the sandbox"
diag_file "$OUT/journal" 6

finish
