/*
 * clients-file.c - the file of client addresses seen.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clients-file.h"
#include "log.h"

static bool remember(struct clients_file *cf, const struct addr_key *k)
{
	if (addr_index_find(&cf->known, k) != ADDR_INDEX_NONE)
		return false;
	if (cf->n_known == CLIENTS_FILE_MAX) {
		if (!cf->full_logged)
			log_msg(LOG_WARNING, "clients-file: %d addresses known: no more are added",
				CLIENTS_FILE_MAX);
		cf->full_logged = true;
		return false;
	}
	addr_index_add(&cf->known, (uint32_t)cf->n_known++, k);
	return true;
}

/* The address of one line: its last word ("TIME ADDRESS"). */
static void read_line(struct clients_file *cf, char *line)
{
	char *word = strrchr(line, ' ');
	struct addr_key k = { 0 };

	word = word != NULL ? word + 1 : line;
	if (inet_pton(AF_INET, word, k.addr) == 1)
		k.family = 4;
	else if (inet_pton(AF_INET6, word, k.addr) == 1)
		k.family = 6;
	if (k.family != 0)
		(void)remember(cf, &k);
}

static void read_known(struct clients_file *cf)
{
	FILE *fp;
	char line[128];
	int fd = dup(cf->fd);

	if (fd < 0 || (fp = fdopen(fd, "r")) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		read_line(cf, line);
	}
	fclose(fp);
}

int clients_file_open(const char *path, struct clients_file *ret)
{
	int e;

	*ret = (struct clients_file){ .fd = -1 };
	if (path == NULL)
		return 0;
	e = addr_index_init(&ret->known, CLIENTS_FILE_MAX);
	if (e < 0)
		return e;
	ret->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
	if (ret->fd < 0) {
		e = -errno;
		log_msg(LOG_ERR, "cannot open the clients-file %s: %s", path, strerror(errno));
		addr_index_free(&ret->known);
		return e;
	}
	read_known(ret);
	return 0;
}

void clients_file_note(struct clients_file *cf, const struct addr_key *host)
{
	char text[ADDR_KEY_TEXT_MAX], line[ADDR_KEY_TEXT_MAX + 32], when[32];
	time_t now = time(NULL);
	struct tm tm;
	struct addr_key k = *host;
	int n;

	if (cf->fd < 0)
		return;
	k.port = 0;
	k.scope = 0; /* one line per address, on whichever link */
	if (!remember(cf, &k))
		return;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	n = snprintf(line, sizeof(line), "%s %s\n", when, addr_key_host_text(&k, text, sizeof(text)));
	if (n > 0 && write(cf->fd, line, (size_t)n) != n)
		log_msg(LOG_WARNING, "clients-file: cannot append %s: %s", text, strerror(errno));
}
