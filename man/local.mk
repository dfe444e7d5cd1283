dist_man_MANS += man/tftpd.8
