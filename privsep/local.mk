# Everything about the split between monitor and children.
noinst_LIBRARIES += libprivsep.a
libprivsep_a_SOURCES = \
	privsep/jail.c privsep/jail.h \
	privsep/seccomp-child.c privsep/seccomp-child.h \
	privsep/seccomp-monitor.c privsep/seccomp-monitor.h privsep/sanitizer.h \
	privsep/caps.c privsep/caps.h \
	privsep/open-in-root.c privsep/open-in-root.h \
	privsep/spawn.c privsep/spawn.h \
	privsep/child.c privsep/child.h
libprivsep_a_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS)

# The monitor-child message codec is pure and shared with the tests and
# fuzzers: it goes into the pure library, but it belongs here.
libcloister_a_SOURCES += privsep/msg.c privsep/msg.h
