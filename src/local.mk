# The pure modules: no I/O, linked by the daemon, the tests and the fuzzers.
noinst_LIBRARIES += libcloister.a
libcloister_a_SOURCES = \
	src/tftp-packet.c src/tftp-packet.h \
	src/path.c src/path.h \
	src/util.c src/util.h \
	src/tftp-options.c src/tftp-options.h \
	src/netascii.c src/netascii.h \
	src/rto.c src/rto.h \
	src/log-format.c src/log-format.h \
	src/transfer.c src/transfer.h src/transfer-internal.h \
	src/transfer-read.c src/transfer-write.c \
	privsep/msg.c privsep/msg.h

sbin_PROGRAMS += tftpd
tftpd_SOURCES = \
	src/tftpd.c \
	src/settings.c src/settings.h \
	src/request.c src/request.h \
	src/upload.c src/upload.h \
	src/listen.c src/listen.h \
	src/monitor.c src/monitor.h \
	src/log.c src/log.h \
	src/notify.c src/notify.h
tftpd_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS) $(INIH_CFLAGS)
tftpd_LDADD = libprivsep.a libcloister.a $(SYSTEMD_LIBS) $(SECCOMP_LIBS) $(CAP_LIBS) $(INIH_LIBS)
