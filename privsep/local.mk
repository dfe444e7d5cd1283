# Everything about the split between monitor and children.
noinst_LIBRARIES += libprivsep.a
libprivsep_a_SOURCES = \
	privsep/jail.c privsep/jail.h \
	privsep/seccomp-child.c privsep/seccomp-child.h \
	privsep/seccomp-monitor.c privsep/seccomp-monitor.h privsep/sanitizer.h \
	privsep/caps.c privsep/caps.h \
	privsep/chroot.c privsep/chroot.h \
	privsep/spawn.c privsep/spawn.h \
	privsep/child.c privsep/child.h \
	privsep/fetcher.c privsep/fetcher.h privsep/fetcher-jail.c \
	privsep/seccomp-fetcher.c privsep/fetcher-cache.c privsep/fetcher-cache.h
libprivsep_a_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS) $(CURL_CFLAGS)
