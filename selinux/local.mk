# selinux/: the policy module, built with the distribution's policy
# development files (configure --with-selinux-policy; auto-detected).
# make never installs packages; Debian: apt-get install selinux-policy-dev.
SELINUX_POLICY_FILES = selinux/cloister.te selinux/cloister.fc selinux/cloister.if
EXTRA_DIST += $(SELINUX_POLICY_FILES)

if BUILD_SELINUX
selinuxpolicydir = $(datadir)/selinux/packages
selinuxpolicy_DATA = selinux/cloister.pp
CLEANFILES += selinux/cloister.pp

# The devel Makefile builds in the current directory (and leaves tmp/
# there): build in a scratch directory of our own, also out of tree.
selinux/cloister.pp: $(SELINUX_POLICY_FILES)
	$(AM_V_GEN)rm -rf selinux/build && $(MKDIR_P) selinux/build && \
	for f in $(SELINUX_POLICY_FILES); do cp $(srcdir)/$$f selinux/build/ || exit 1; done && \
	(cd selinux/build && MAKEFLAGS= MFLAGS= MAKELEVEL= \
		$(MAKE) -f '$(SELINUX_DEVEL_MAKEFILE)' cloister.pp >build.log 2>&1 || \
		{ cat build.log >&2; exit 1; }) && \
	cp selinux/build/cloister.pp $@ && rm -rf selinux/build
endif

clean-local: clean-selinux-build
.PHONY: clean-selinux-build
clean-selinux-build:
	rm -rf selinux/build
