#!/bin/sh
# Install what cloister needs to build and to run its whole test suite on
# Debian 12, as root. Safe to run again.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake pkg-config \
	libsystemd-dev libseccomp-dev libcap-dev libinih-dev check \
	clang libclang-rt-14-dev \
	tftp-hpa curl atftp busybox \
	iproute2 nftables procps mandoc python3 openbsd-inetd >/dev/null
# Packaging checks: systemd-analyze and setpriv (tests/integration/units.sh),
# systemd-nspawn (units-boot.sh), the SELinux policy development files
# (selinux/, selinux.sh).
apt-get install -y -qq --no-install-recommends \
	systemd systemd-container util-linux \
	selinux-policy-dev checkpolicy semodule-utils >/dev/null
