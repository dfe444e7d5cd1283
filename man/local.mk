dist_man_MANS += man/tftpd.8
dist_man_MANS += man/tftpd.conf.5
dist_man_MANS += man/tftpc.1
