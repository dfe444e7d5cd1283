# The pure modules: no I/O, linked by the daemon, the tests and the fuzzers
# (privsep/local.mk adds the message codec).
noinst_LIBRARIES += libcloister.a
libcloister_a_SOURCES = \
	src/tftp-packet.c src/tftp-packet.h \
	src/path.c src/path.h \
	src/names.c src/names.h \
	src/remap.c src/remap.h \
	src/policy.c src/policy.h \
	src/util.c src/util.h \
	src/tftp-options.c src/tftp-options.h \
	src/netascii.c src/netascii.h \
	src/rto.c src/rto.h \
	src/log-format.c src/log-format.h \
	src/transfer.c src/transfer.h src/transfer-common.c src/transfer-common.h \
	src/transfer-read.c src/transfer-write.c \
	src/private-mem.c src/private-mem.h \
	src/addr-index.c src/addr-index.h src/siphash.c src/siphash.h \
	src/timer-heap.c src/timer-heap.h \
	src/handshake.c src/handshake.h \
	src/cidr.c src/cidr.h src/acl.c src/acl.h src/alias.c src/alias.h \
	src/client-limits.c src/client-limits.h src/rate-limit.c src/rate-limit.h \
	src/metrics.c src/metrics.h \
	src/relay-url.c src/relay-url.h src/http-cache.c src/http-cache.h
# tftpc's pure pieces.
libcloister_a_SOURCES += src/tftpc-uri.c src/tftpc-uri.h src/tftpc-progress.c src/tftpc-progress.h
# Not pure: the I/O the server's child and tftpc share.
libcloister_a_SOURCES += src/udp-send.c src/udp-send.h src/file-io.c src/file-io.h

sbin_PROGRAMS += tftpd
tftpd_SOURCES = \
	src/tftpd.c \
	src/settings.c src/settings.h \
	src/reload.c src/reload.h \
	src/alias-state.c src/alias-state.h \
	src/checks.c src/checks.h \
	src/clients-file.c src/clients-file.h \
	src/request.c src/request.h \
	src/upload.c src/upload.h \
	src/listen.c src/listen.h src/transfer-socket.c src/transfer-socket.h \
	src/monitor.c src/monitor.h src/loop.h \
	src/serve.c src/serve.h \
	src/relay.c src/relay.h src/serve-relay.c src/relay-start.c src/relay-start.h \
	src/pool.c src/pool.h \
	src/log.c src/log.h \
	src/notify.c src/notify.h \
	src/metrics-file.c src/metrics-file.h
tftpd_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS) $(INIH_CFLAGS)
tftpd_LDADD = libprivsep.a libcloister.a $(SYSTEMD_LIBS) $(SECCOMP_LIBS) $(CAP_LIBS) $(INIH_LIBS) \
	$(CURL_LIBS)

# The client, on the same codec, negotiation and engine as the server.
bin_PROGRAMS += tftpc
tftpc_SOURCES = \
	src/tftpc.c \
	src/tftpc-handshake.c src/tftpc-handshake.h \
	src/tftpc-io.c src/tftpc-io.h \
	src/tftpc-local.c src/tftpc-local.h \
	src/tftpc-digest.c src/tftpc-digest.h
tftpc_CFLAGS = $(AM_CFLAGS) $(GCRYPT_CFLAGS)
tftpc_LDADD = libcloister.a $(GCRYPT_LIBS)
