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
	tests/check-options tests/check-netascii tests/check-rto tests/check-upload tests/check-open-in-root \
	tests/check-jail tests/check-transfer tests/check-log
CHECK_TESTS += tests/check-monitor-tables tests/check-handshake
CHECK_TESTS += tests/check-names tests/check-policy-decide
CHECK_TESTS += tests/check-policy
CHECK_TESTS += tests/check-client-limits
CHECK_TESTS += tests/check-remap
CHECK_TESTS += tests/check-metrics
CHECK_TESTS += tests/check-tftpc
CHECK_TESTS += tests/check-relay
check_PROGRAMS += $(CHECK_TESTS)
TESTS += $(CHECK_TESTS)
endif

CHECK_CFLAGS_ALL = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_packet_SOURCES = tests/check-packet.c
tests_check_packet_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_packet_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_relay_SOURCES = tests/check-relay.c
tests_check_relay_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_relay_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_path_SOURCES = tests/check-path.c
tests_check_path_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_path_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_policy_decide_SOURCES = tests/check-policy-decide.c
tests_check_policy_decide_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_policy_decide_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_names_SOURCES = tests/check-names.c
tests_check_names_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_names_LDADD = libcloister.a $(CHECK_LIBS)
tests_check_remap_SOURCES = tests/check-remap.c
tests_check_remap_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_remap_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_metrics_SOURCES = tests/check-metrics.c
tests_check_metrics_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_metrics_LDADD = libcloister.a $(CHECK_LIBS)
tests_check_tftpc_SOURCES = tests/check-tftpc.c
tests_check_tftpc_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_tftpc_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_util_SOURCES = tests/check-util.c
tests_check_util_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_util_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_options_SOURCES = tests/check-options.c
tests_check_options_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_options_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_netascii_SOURCES = tests/check-netascii.c tests/netascii-ref.h
tests_check_netascii_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_netascii_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_rto_SOURCES = tests/check-rto.c
tests_check_rto_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_rto_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_upload_SOURCES = tests/check-upload.c src/upload.c privsep/open-in-root.c
tests_check_upload_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_upload_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_open_in_root_SOURCES = tests/check-open-in-root.c privsep/open-in-root.c
tests_check_open_in_root_CFLAGS = $(CHECK_CFLAGS_ALL) $(SECCOMP_CFLAGS)
tests_check_open_in_root_LDADD = $(CHECK_LIBS) $(SECCOMP_LIBS)

tests_check_msg_SOURCES = tests/check-msg.c
tests_check_msg_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_msg_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_transfer_SOURCES = tests/check-transfer.c
tests_check_transfer_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_transfer_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_log_SOURCES = tests/check-log.c
tests_check_log_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_log_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_monitor_tables_SOURCES = tests/check-monitor-tables.c
tests_check_monitor_tables_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_monitor_tables_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_handshake_SOURCES = tests/check-handshake.c
tests_check_handshake_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_handshake_LDADD = libcloister.a $(CHECK_LIBS)

tests_check_policy_SOURCES = tests/check-policy.c
tests_check_policy_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_policy_LDADD = libcloister.a $(CHECK_LIBS)
tests_check_client_limits_SOURCES = tests/check-client-limits.c
tests_check_client_limits_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_client_limits_LDADD = libcloister.a $(CHECK_LIBS)

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
	tests/integration/relay.sh \
	tests/integration/refusals.sh \
	tests/integration/privileges.sh \
	tests/integration/child-death.sh \
	tests/integration/reuse.sh \
	tests/integration/storm.sh \
	tests/integration/orphans.sh \
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
	tests/integration/window-bounds.sh \
	tests/integration/deadline.sh \
	tests/integration/bigfile.sh \
	tests/integration/node-tftp.sh \
	tests/integration/flood.sh \
	tests/integration/amplification.sh
INTEGRATION_TESTS += tests/integration/remap-hpa.sh
INTEGRATION_TESTS += tests/integration/policy.sh
INTEGRATION_TESTS += tests/integration/metrics.sh
INTEGRATION_TESTS += tests/integration/balancer.sh
INTEGRATION_TESTS += tests/integration/tftpc.sh tests/integration/tftpc-loss.sh \
	tests/integration/tftpc-tty.sh
TESTS += $(INTEGRATION_TESTS)
CLEANFILES += tests/integration/.run-alone.lock
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/lib.sh tests/integration/node-tftp.js \
	tests/integration/forge.py

# libFuzzer harnesses (clang): ./configure --enable-fuzzing CC=clang
if ENABLE_FUZZING
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined
FUZZERS = tests/fuzz/fuzz-packet tests/fuzz/fuzz-path tests/fuzz/fuzz-msg \
	tests/fuzz/fuzz-options tests/fuzz/fuzz-netascii \
	tests/fuzz/fuzz-read-engine tests/fuzz/fuzz-write-engine
FUZZERS += tests/fuzz/fuzz-handshake
FUZZERS += tests/fuzz/fuzz-policy
FUZZERS += tests/fuzz/fuzz-decide
FUZZERS += tests/fuzz/fuzz-client-limits
FUZZERS += tests/fuzz/fuzz-remap
FUZZERS += tests/fuzz/fuzz-tftpc
FUZZERS += tests/fuzz/fuzz-relay
noinst_PROGRAMS += $(FUZZERS)
tests_fuzz_fuzz_packet_SOURCES = tests/fuzz/fuzz-packet.c
tests_fuzz_fuzz_packet_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_packet_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_packet_LDADD = libcloister.a
tests_fuzz_fuzz_relay_SOURCES = tests/fuzz/fuzz-relay.c
tests_fuzz_fuzz_relay_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_relay_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_relay_LDADD = libcloister.a

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
tests_fuzz_fuzz_netascii_SOURCES = tests/fuzz/fuzz-netascii.c tests/netascii-ref.h
tests_fuzz_fuzz_netascii_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_netascii_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_netascii_LDADD = libcloister.a
tests_fuzz_fuzz_read_engine_SOURCES = tests/fuzz/fuzz-read-engine.c tests/fuzz/fuzz-engine.h
tests_fuzz_fuzz_read_engine_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS) -I$(top_srcdir)/tests/fuzz
tests_fuzz_fuzz_read_engine_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_read_engine_LDADD = libcloister.a
tests_fuzz_fuzz_write_engine_SOURCES = tests/fuzz/fuzz-write-engine.c tests/fuzz/fuzz-engine.h
tests_fuzz_fuzz_write_engine_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS) -I$(top_srcdir)/tests/fuzz
tests_fuzz_fuzz_write_engine_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_write_engine_LDADD = libcloister.a
tests_fuzz_fuzz_handshake_SOURCES = tests/fuzz/fuzz-handshake.c tests/fuzz/fuzz-engine.h
tests_fuzz_fuzz_handshake_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS) -I$(top_srcdir)/tests/fuzz
tests_fuzz_fuzz_handshake_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_handshake_LDADD = libcloister.a
tests_fuzz_fuzz_decide_SOURCES = tests/fuzz/fuzz-decide.c tests/fuzz/fuzz-check.h
tests_fuzz_fuzz_decide_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_decide_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_decide_LDADD = libcloister.a
tests_fuzz_fuzz_policy_SOURCES = tests/fuzz/fuzz-policy.c tests/fuzz/fuzz-check.h
tests_fuzz_fuzz_policy_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_policy_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_policy_LDADD = libcloister.a
tests_fuzz_fuzz_client_limits_SOURCES = tests/fuzz/fuzz-client-limits.c tests/fuzz/fuzz-engine.h
tests_fuzz_fuzz_client_limits_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS) -I$(top_srcdir)/tests/fuzz
tests_fuzz_fuzz_client_limits_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_client_limits_LDADD = libcloister.a
tests_fuzz_fuzz_remap_SOURCES = tests/fuzz/fuzz-remap.c tests/fuzz/fuzz-check.h
tests_fuzz_fuzz_remap_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_remap_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_remap_LDADD = libcloister.a
tests_fuzz_fuzz_tftpc_SOURCES = tests/fuzz/fuzz-tftpc.c tests/fuzz/fuzz-check.h
tests_fuzz_fuzz_tftpc_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_tftpc_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_tftpc_LDADD = libcloister.a
endif
EXTRA_DIST += tests/fuzz/fuzz-tftpc.c
EXTRA_DIST += tests/fuzz/fuzz-packet.c tests/fuzz/fuzz-path.c tests/fuzz/fuzz-msg.c \
	tests/fuzz/fuzz-options.c tests/fuzz/fuzz-netascii.c \
	tests/fuzz/fuzz-read-engine.c tests/fuzz/fuzz-write-engine.c tests/fuzz/fuzz-engine.h \
	tests/fuzz/corpus
EXTRA_DIST += tests/fuzz/fuzz-handshake.c
EXTRA_DIST += tests/fuzz/fuzz-policy.c tests/fuzz/fuzz-check.h tests/fuzz/fuzz-decide.c
EXTRA_DIST += tests/fuzz/fuzz-client-limits.c
EXTRA_DIST += tests/fuzz/fuzz-remap.c tests/fuzz/fuzz-check.h

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
# of make check): make bench [BENCH_ROUNDS=5] [BENCH_ONLY="S1 S3"] ...; the
# variables are described at the top of tests/bench/bench.sh. It writes
# BENCHMARKS.md and bench/ (results.tsv, one SVG chart per scenario) in the
# source tree. Its programs are check programs, so that make check keeps
# them compiling, but not tests.
BENCH_TOOLS = tests/bench/loadclient tests/bench/udp-ceiling tests/bench/proctree
check_PROGRAMS += $(BENCH_TOOLS)
tests_bench_loadclient_SOURCES = tests/bench/loadclient.c
tests_bench_loadclient_CFLAGS = $(AM_CFLAGS) -pthread
tests_bench_loadclient_LDFLAGS = -pthread
tests_bench_loadclient_LDADD = libcloister.a
tests_bench_udp_ceiling_SOURCES = tests/bench/udp-ceiling.c
tests_bench_udp_ceiling_LDADD = libcloister.a
tests_bench_proctree_SOURCES = tests/bench/proctree.c
tests_bench_proctree_LDADD = libcloister.a

bench: tftpd tftpc tests/rawclient $(BENCH_TOOLS)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	BENCH_COMMAND='make bench' $(SHELL) $(top_srcdir)/tests/bench/bench.sh
.PHONY: bench
# make bench-relay: one 256 MiB file from the root, relayed streamed, relayed
# whole, in one run (tests/bench/relay.sh; needs nginx).
bench-relay: tftpd tftpc
	top_builddir='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/tests/bench/relay.sh
.PHONY: bench-relay
EXTRA_DIST += tests/bench/bench.sh tests/bench/report.sh tests/bench/relay.sh
