# Everything about the split between monitor and children.
noinst_LIBRARIES += libprivsep.a
libprivsep_a_SOURCES = \
	privsep/jail.c privsep/jail.h \
	privsep/seccomp-child.c privsep/seccomp-child.h \
	privsep/seccomp-monitor.c privsep/seccomp-monitor.h privsep/sanitizer.h \
	privsep/caps.c privsep/caps.h \
	privsep/open-in-root.c privsep/open-in-root.h \
	privsep/spawn.c privsep/spawn.h \
	privsep/child.c privsep/child.h \
	privsep/fetcher.c privsep/fetcher.h privsep/fetcher-jail.c \
	privsep/seccomp-fetcher.c privsep/fetcher-cache.c privsep/fetcher-cache.h
libprivsep_a_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS) $(CURL_CFLAGS)

# The message codecs (monitor-child, monitor-fetcher) are pure and shared
# with the tests and fuzzers: they go into the pure library, but they
# belong here.
libcloister_a_SOURCES += privsep/msg.c privsep/msg.h privsep/relay-msg.c privsep/relay-msg.h
