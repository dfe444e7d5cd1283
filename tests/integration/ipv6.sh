#!/bin/bash
# ipv6.sh - dual-stack, IPv6-only and IPv4-only sockets, and multi-homed
# hosts: every reply leaves from the address its request was sent to.
#
# Two network namespaces of our own (server and client) joined by two veth
# pairs. The server has two IPv4 and two IPv6 addresses plus a link-local
# one on the first link, and one IPv4 address on the second. For each
# address, a download (the transfer socket) and a refusal (the monitor's
# own ERROR through the listening socket) must come from that very
# address, on port 69; rawclient -v shows the source of every datagram.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_root
require_built
require_cmd ip

NS_S=cloister-srv-$$
NS_C=cloister-cli-$$

# ns NAME CMD...: run CMD in namespace NAME.
ns() {
	local n=$1
	shift
	ip netns exec "$n" "$@"
}

setup_net() {
	ip netns add "$NS_S" || return 1
	on_exit "ip netns del $NS_S 2>/dev/null"
	ip netns add "$NS_C" || return 1
	on_exit "ip netns del $NS_C 2>/dev/null"
	local n
	for n in "$NS_S" "$NS_C"; do
		# No duplicate address detection: addresses usable at once.
		ns "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 ||
			return 1
		ns "$n" ip link set lo up || return 1
	done
	ip link add veth-s netns "$NS_S" type veth peer name veth-c netns "$NS_C" || return 1
	ip link add veth-s2 netns "$NS_S" type veth peer name veth-c2 netns "$NS_C" || return 1
	ns "$NS_S" ip addr add 10.98.0.1/24 dev veth-s &&
		ns "$NS_S" ip addr add 10.98.0.2/24 dev veth-s &&
		ns "$NS_S" ip addr add fd00:98::1/64 dev veth-s nodad &&
		ns "$NS_S" ip addr add fd00:98::2/64 dev veth-s nodad &&
		ns "$NS_S" ip addr add fe80::98:1/64 dev veth-s nodad &&
		ns "$NS_S" ip addr add 10.98.1.1/24 dev veth-s2 &&
		ns "$NS_C" ip addr add 10.98.0.10/24 dev veth-c &&
		ns "$NS_C" ip addr add fd00:98::10/64 dev veth-c nodad &&
		ns "$NS_C" ip addr add fe80::98:10/64 dev veth-c nodad &&
		ns "$NS_C" ip addr add 10.98.1.10/24 dev veth-c2 || return 1
	for n in veth-s veth-s2; do ns "$NS_S" ip link set "$n" up || return 1; done
	for n in veth-c veth-c2; do ns "$NS_C" ip link set "$n" up || return 1; done
	# Until the links are up, a first datagram could be lost.
	wait_for 5 links_up
}

links_up() {
	ns "$NS_S" ip -o link show up | grep -c 'veth-s.*LOWER_UP' | grep -qx 2 &&
		ns "$NS_C" ip -o link show up | grep -c 'veth-c.*LOWER_UP' | grep -qx 2
}

setup_net || skip_all "cannot create network namespaces and veth pairs here"

plan 33

ROOT=$(make_root) || bail "make_root"
make_file "$ROOT/a.bin" 3000
TFTPD_PREFIX=(ip netns exec "$NS_S")

# from ADDR: download a.bin from ADDR port 69 in the client namespace;
# sets SRC (the first "FROM" of the reply) and OK (the copy is intact).
from() {
	local got out
	got=$(mktemp "$TMPBASE/got.XXXXXX")
	out=$(ns "$NS_C" "$RAWCLIENT" -v -t 3000 "$1" 69 get a.bin "$got" 2>&1)
	SRC=$(printf '%s\n' "$out" | sed -n 's/^FROM //p' | head -n1)
	OK=no
	if printf '%s\n' "$out" | grep -q '^GOT bytes=3000 ' && cmp -s "$ROOT/a.bin" "$got"; then
		OK=yes
	fi
}

# refusal_from ADDR: request a missing file; sets SRC and LINE (the reply).
refusal_from() {
	local out
	out=$(ns "$NS_C" "$RAWCLIENT" -v -t 3000 "$1" 69 rrq missing.bin 2>&1)
	SRC=$(printf '%s\n' "$out" | sed -n 's/^FROM //p' | head -n1)
	LINE=$(printf '%s\n' "$out" | grep -v '^FROM' | head -n1)
}

# served ADDR SHOWN: a download and a refusal, both from SHOWN:69.
served() {
	from "$1"
	is "$SRC $OK" "$2:69 yes" "$1: a.bin served intact, from $2:69"
	refusal_from "$1"
	is "$SRC ${LINE%% msg=*}" "$2:69 ERROR code=1" "$1: the monitor's ERROR 1 comes from $2:69"
}

# ---------------------------------------------------------------------------
# One dual-stack socket: [::]:69 serves both families.

if start_tftpd --listen='[::]:69' "$ROOT"; then
	pass "tftpd --listen=[::]:69 starts in the server namespace"
else
	bail "tftpd --listen=[::]:69 did not start"
fi
served 10.98.0.1 10.98.0.1
served 10.98.0.2 10.98.0.2
served 10.98.1.1 10.98.1.1
served fd00:98::1 '[fd00:98::1]'
served fd00:98::2 '[fd00:98::2]'
served 'fe80::98:1%veth-c' '[fe80::98:1]'

# IPv4 clients through the dual-stack socket are logged as IPv4.
check "an IPv4 client of the dual-stack socket is logged as 10.98.0.10:PORT" \
	log_has 'transfer [0-9]+ RRQ client=10\.98\.0\.10:[0-9]+ file="a\.bin" mode=octet result=ok'
check "an IPv6 client is logged as [fd00:98::10]:PORT" \
	log_has 'transfer [0-9]+ RRQ client=\[fd00:98::10\]:[0-9]+ file="a\.bin" .*result=ok'
check "a link-local client is logged with its link: [fe80::98:10%veth-s]:PORT" \
	log_has 'transfer [0-9]+ RRQ client=\[fe80::98:10%veth-s\]:[0-9]+ file="a\.bin" .*result=ok'
is "$(log_count 'result=ok')" 6 "six transfers, all result=ok"
stop_tftpd
is "$TFTPD_STATUS" 0 "the dual-stack server stops with status 0"

# ---------------------------------------------------------------------------
# [::] next to an IPv4 address on the same port: [::] is IPv6 only (or
# the second bind would fail), and the IPv4 socket takes only its address.

if start_tftpd --listen='[::]:69' --listen=10.98.0.1:69 "$ROOT"; then
	pass "tftpd --listen=[::]:69 --listen=10.98.0.1:69 starts (the [::] socket is IPv6-only)"
else
	bail "tftpd --listen=[::]:69 --listen=10.98.0.1:69 did not start"
fi
served 10.98.0.1 10.98.0.1
served fd00:98::2 '[fd00:98::2]'
out=$(ns "$NS_C" "$RAWCLIENT" -t 1500 10.98.0.2 69 rrq a.bin 2>&1)
is "$out" TIMEOUT "IPv4 to 10.98.0.2 gets no answer: [::] is IPv6-only, the IPv4 socket is 10.98.0.1 only"
stop_tftpd

# ---------------------------------------------------------------------------
# A link-local address alone, named with its link.

if start_tftpd --listen='[fe80::98:1%veth-s]:69' "$ROOT"; then
	pass "tftpd --listen=[fe80::98:1%veth-s]:69 starts"
else
	bail "tftpd --listen=[fe80::98:1%veth-s]:69 did not start"
fi
like "$(grep -E '(^|: )ready:' "$TFTPD_LOG")" 'on \[fe80::98:1%veth-s\]:69 ' \
	"the ready line shows the link-local socket with its link"
served 'fe80::98:1%veth-c' '[fe80::98:1]'
out=$(ns "$NS_C" "$RAWCLIENT" -t 1500 fd00:98::1 69 rrq a.bin 2>&1)
is "$out" TIMEOUT "a request to another address of the link gets no answer"
stop_tftpd

# ---------------------------------------------------------------------------
# IPv4 only.

if start_tftpd --listen=0.0.0.0:69 "$ROOT"; then
	pass "tftpd --listen=0.0.0.0:69 starts"
else
	bail "tftpd --listen=0.0.0.0:69 did not start"
fi
served 10.98.1.1 10.98.1.1
out=$(ns "$NS_C" "$RAWCLIENT" -t 1500 fd00:98::1 69 rrq a.bin 2>&1)
is "$out" TIMEOUT "an IPv6 request to an IPv4-only server gets no answer"
stop_tftpd

finish
