# contrib/: systemd units, sysusers.d and tmpfiles.d entries, inetd and
# xinetd examples, an example configuration file.

# The service unit names the installed binary: generated at build time.
systemdsystemunit_DATA = contrib/tftpd.socket
nodist_systemdsystemunit_DATA = contrib/tftpd.service
CLEANFILES += contrib/tftpd.service

contrib/tftpd.service: contrib/tftpd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) contrib && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' $(srcdir)/contrib/tftpd.service.in >$@.tmp && \
	mv $@.tmp $@

# sysusers.d and tmpfiles.d read only files ending in .conf.
sysusersdir = $(prefix)/lib/sysusers.d
tmpfilesdir = $(prefix)/lib/tmpfiles.d

install-data-local: install-contrib-data
uninstall-local: uninstall-contrib-data
.PHONY: install-contrib-data uninstall-contrib-data

install-contrib-data:
	$(MKDIR_P) '$(DESTDIR)$(sysusersdir)' '$(DESTDIR)$(tmpfilesdir)'
	$(INSTALL_DATA) $(srcdir)/contrib/tftpd.sysusers '$(DESTDIR)$(sysusersdir)/tftpd.conf'
	$(INSTALL_DATA) $(srcdir)/contrib/tftpd.tmpfiles '$(DESTDIR)$(tmpfilesdir)/tftpd.conf'

uninstall-contrib-data:
	rm -f '$(DESTDIR)$(sysusersdir)/tftpd.conf' '$(DESTDIR)$(tmpfilesdir)/tftpd.conf'

examplesdir = $(docdir)/examples
dist_examples_DATA = contrib/tftpd.conf contrib/inetd.conf.tftpd
xinetdexamplesdir = $(examplesdir)/xinetd.d
dist_xinetdexamples_DATA = contrib/xinetd.d/tftp

EXTRA_DIST += contrib/tftpd.service.in contrib/tftpd.socket \
	contrib/tftpd.sysusers contrib/tftpd.tmpfiles \
	contrib/example-root/hello.txt \
	contrib/scale-out/README.md contrib/scale-out/nftables-balancer.nft \
	contrib/scale-out/keepalived.conf contrib/scale-out/kubernetes.yaml

# distcheck installs as a user who cannot write the system's unit directory.
AM_DISTCHECK_CONFIGURE_FLAGS = --with-systemdsystemunitdir='$$(prefix)/lib/systemd/system'
