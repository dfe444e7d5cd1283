# Tests: Check unit tests and shell integration tests, all speaking TAP so
# that every single test is counted.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	CK_TAP_LOG_FILE_NAME=-; export CK_TAP_LOG_FILE_NAME; \
	CK_DEFAULT_TIMEOUT=60; export CK_DEFAULT_TIMEOUT; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir;

if HAVE_CHECK
CHECK_TESTS = tests/check-packet tests/check-path tests/check-util tests/check-msg \
	tests/check-options tests/check-netascii tests/check-rto tests/check-upload tests/check-chroot \
	tests/check-jail tests/check-transfer tests/check-log
check_PROGRAMS += $(CHECK_TESTS)
TESTS += $(CHECK_TESTS)
endif

CHECK_CFLAGS_ALL = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_packet_SOURCES = tests/check-packet.c
tests_check_packet_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_packet_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_path_SOURCES = tests/check-path.c
tests_check_path_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_path_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_util_SOURCES = tests/check-util.c
tests_check_util_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_util_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_options_SOURCES = tests/check-options.c
tests_check_options_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_options_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_netascii_SOURCES = tests/check-netascii.c
tests_check_netascii_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_netascii_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_rto_SOURCES = tests/check-rto.c
tests_check_rto_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_rto_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_upload_SOURCES = tests/check-upload.c src/upload.c privsep/chroot.c
tests_check_upload_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_upload_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_chroot_SOURCES = tests/check-chroot.c privsep/chroot.c
tests_check_chroot_CFLAGS = $(CHECK_CFLAGS_ALL) $(SECCOMP_CFLAGS)
tests_check_chroot_LDADD = $(CHECK_LIBS) $(SECCOMP_LIBS)

tests_check_msg_SOURCES = tests/check-msg.c
tests_check_msg_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_msg_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_transfer_SOURCES = tests/check-transfer.c
tests_check_transfer_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_transfer_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_log_SOURCES = tests/check-log.c
tests_check_log_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_log_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_jail_SOURCES = tests/check-jail.c
tests_check_jail_CFLAGS = $(CHECK_CFLAGS_ALL) $(SECCOMP_CFLAGS) $(CAP_CFLAGS)
tests_check_jail_LDADD = libprivsep.a libcloister.a $(CHECK_LIBS) $(SECCOMP_LIBS) $(CAP_LIBS)

# The raw-packet client, for what real clients cannot express.
check_PROGRAMS += tests/rawclient
tests_rawclient_SOURCES = tests/rawclient.c
tests_rawclient_LDADD = libcloister.a

INTEGRATION_TESTS = \
	tests/integration/cli.sh \
	tests/integration/rrq-clients.sh \
	tests/integration/refusals.sh \
	tests/integration/privileges.sh \
	tests/integration/child-death.sh \
	tests/integration/activation.sh \
	tests/integration/xinetd.sh \
	tests/integration/notify.sh \
	tests/integration/ipv6.sh \
	tests/integration/signals.sh \
	tests/integration/logging.sh \
	tests/integration/config.sh \
	tests/integration/options.sh \
	tests/integration/uploads.sh \
	tests/integration/loss.sh \
	tests/integration/bigfile.sh
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/lib.sh

# libFuzzer harnesses (clang): ./configure --enable-fuzzing CC=clang
if ENABLE_FUZZING
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined
FUZZERS = tests/fuzz/fuzz-packet tests/fuzz/fuzz-path tests/fuzz/fuzz-msg \
	tests/fuzz/fuzz-options tests/fuzz/fuzz-netascii
noinst_PROGRAMS += $(FUZZERS)
tests_fuzz_fuzz_packet_SOURCES = tests/fuzz/fuzz-packet.c
tests_fuzz_fuzz_packet_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_packet_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_packet_LDADD = libcloister.a
tests_fuzz_fuzz_path_SOURCES = tests/fuzz/fuzz-path.c
tests_fuzz_fuzz_path_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_path_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_path_LDADD = libcloister.a
tests_fuzz_fuzz_msg_SOURCES = tests/fuzz/fuzz-msg.c
tests_fuzz_fuzz_msg_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_msg_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_msg_LDADD = libcloister.a
tests_fuzz_fuzz_options_SOURCES = tests/fuzz/fuzz-options.c
tests_fuzz_fuzz_options_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_options_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_options_LDADD = libcloister.a
tests_fuzz_fuzz_netascii_SOURCES = tests/fuzz/fuzz-netascii.c
tests_fuzz_fuzz_netascii_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_netascii_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_netascii_LDADD = libcloister.a
endif
EXTRA_DIST += tests/fuzz/fuzz-packet.c tests/fuzz/fuzz-path.c tests/fuzz/fuzz-msg.c \
	tests/fuzz/fuzz-options.c tests/fuzz/fuzz-netascii.c \
	tests/fuzz/corpus

# Packaging: the systemd units (checked, the daemon run under their sandbox
# rebuilt by tests/sd-sandbox, and the real units booted in a container),
# the manual pages, the SELinux module.
INTEGRATION_TESTS += tests/integration/units.sh tests/integration/units-boot.sh \
	tests/integration/manpages.sh tests/integration/selinux.sh
check_PROGRAMS += tests/sd-sandbox
tests_sd_sandbox_SOURCES = tests/sd-sandbox.c
tests_sd_sandbox_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS)
tests_sd_sandbox_LDADD = $(SECCOMP_LIBS)

# Speed and memory against tftp-hpa, atftpd and dnsmasq (as root; not part
# of make check): make bench [BENCH_ROUNDS=5]
BENCH_ROUNDS = 3
bench: tftpd
	top_builddir='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/tests/bench/bench.sh $(BENCH_ROUNDS)
.PHONY: bench
EXTRA_DIST += tests/bench/bench.sh
