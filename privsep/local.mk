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
