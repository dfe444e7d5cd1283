#!/bin/sh
# Install what cloister needs to build and to run its whole test suite on
# Debian 12, as root. Safe to run again.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake pkg-config \
	libsystemd-dev libseccomp-dev libcap-dev libinih-dev libgcrypt20-dev check \
	libcurl4-openssl-dev \
	clang libclang-rt-14-dev \
	tftp-hpa curl atftp busybox \
	iproute2 nftables procps mandoc python3 openbsd-inetd strace tmux >/dev/null
# Packaging checks: systemd-analyze and setpriv (tests/integration/units.sh),
# systemd-nspawn (units-boot.sh), the SELinux policy development files
# (selinux/, selinux.sh).
apt-get install -y -qq --no-install-recommends \
	systemd systemd-container util-linux \
	selinux-policy-dev checkpolicy semodule-utils >/dev/null
# The relay's origin in tests/integration/relay.sh: nginx (ETag, gzip and
# TLS on loopback) and openssl to make its test CA.
apt-get install -y -qq --no-install-recommends nginx openssl >/dev/null
# promtool (tests/integration/metrics.sh checks the metrics file with
# `promtool check metrics`, the exposition format's reference parser): Debian
# ships it only in the prometheus package, whose server this does not use.
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# node-tftp (tests/integration/node-tftp.sh): Node.js from Debian where there
# is none, and the npm package tftp at a fixed version in a fixed place
# outside the source tree, where the test looks for it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
NODE_PREFIX=${CLOISTER_NODE_PREFIX:-/var/cache/cloister-node}
if [ "$(NODE_PATH="$NODE_PREFIX/node_modules" node -p 'require("tftp/package.json").version' 2>/dev/null)" != 0.1.2 ]; then
	npm install --no-save --no-audit --no-fund --loglevel=error \
		--prefix "$NODE_PREFIX" tftp@0.1.2 >/dev/null
fi
# make bench: dnsmasq, gnuplot for the charts; tests/bench/bench.sh unpacks
# tftpd-hpa and atftpd (they conflict as packages) into
# /var/cache/cloister-bench itself.
apt-get install -y -qq --no-install-recommends \
	dnsmasq-base gnuplot-nox tftp-hpa atftp busybox diffutils >/dev/null
