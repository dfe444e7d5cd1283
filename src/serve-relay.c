/*
 * serve-relay.c - the fetcher's answers, given to the requests that wait
 * for them (relay.h): a body becomes a transfer as a local file would; a
 * failure becomes one log line for the URL and one TFTP error per request.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "serve.h"

static const char *const status_words[] = {
	[RELAY_OK] = "fetched",
	[RELAY_HTTP] = "the origin refused it",
	[RELAY_TIMEOUT] = "timed out",
	[RELAY_CONNECT] = "cannot reach the origin",
	[RELAY_TLS] = "TLS failed",
	[RELAY_TOO_LARGE] = "larger than relay-max-size",
	[RELAY_FAILED] = "failed",
};

/* What the TFTP client is told: "not found" only when the origin said
 * so; everything else is the relay's trouble, said plainly. */
static enum tftp_error client_error(const struct relay_done *d, char *text, size_t size)
{
	if (d->status == RELAY_HTTP && (d->http_status == 404 || d->http_status == 410)) {
		snprintf(text, size, "File not found");
		return TFTP_ERR_NOTFOUND;
	}
	if (d->status == RELAY_HTTP)
		snprintf(text, size, "Relay: the origin answered HTTP %u", d->http_status);
	else
		snprintf(text, size, "Relay: %s", status_words[d->status]);
	return TFTP_ERR_UNDEF;
}

static void answer_waiters(struct serve *sv, uint32_t fetch, struct relay_answer *ans)
{
	struct relay_waiter w;
	char text[96] = "";
	enum tftp_error code = TFTP_ERR_UNDEF;

	if (ans->done.status != RELAY_OK) {
		code = client_error(&ans->done, text, sizeof(text));
		log_msg(LOG_WARNING, "relay: %s: %s, HTTP status %u%s%s", ans->url,
			status_words[ans->done.status], ans->done.http_status,
			ans->done.detail[0] != '\0' ? ": " : "", ans->done.detail);
	} else if (ans->done.cache == RELAY_CACHE_STALE) {
		log_msg(LOG_WARNING, "relay: %s: the origin failed; serving the cached copy, "
			"which is stale", ans->url);
	}
	while (relay_next_waiter(&sv->relay, fetch, &w)) {
		serve_relayed(sv, &w, ans, code, text);
		free(w.pkt);
	}
	relay_done_with(&sv->relay, fetch, ans);
}

/* No fetcher any more: whoever waits is told, and nothing is relayed
 * until a restart (the fetcher is forked before the chroot). */
static void relay_down(struct serve *sv, const char *why)
{
	uint32_t fetch;

	if (sv->relay.sock >= 0) {
		loop_unwatch(sv->loop, sv->relay.sock);
		if (why != NULL)
			log_msg(LOG_ERR, "relay: the fetcher %s: relayed files are refused until "
				"a restart", why);
	}
	relay_lost(&sv->relay);
	while ((fetch = relay_pending_any(&sv->relay)) != RELAY_NONE) {
		struct relay_answer ans = { .done = { .status = RELAY_FAILED }, .fd = -1,
					    .url = sv->relay.p[fetch].url };

		snprintf(ans.done.detail, sizeof(ans.done.detail), "the fetcher is gone");
		answer_waiters(sv, fetch, &ans);
	}
}

void serve_on_relay(struct serve *sv)
{
	for (;;) {
		struct relay_answer ans;
		uint32_t fetch;
		int n = relay_take(&sv->relay, &ans, &fetch);

		if (n == 0)
			return;
		if (n < 0) {
			relay_down(sv, n == -ECONNRESET ? "closed its socket" : "broke the protocol");
			return;
		}
		answer_waiters(sv, fetch, &ans);
	}
}

void serve_relay_exited(struct serve *sv, int status)
{
	char why[64];

	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "exited with status %d", WEXITSTATUS(status));
	log_msg(sv->stopping ? LOG_INFO : LOG_ERR, "relay: the fetcher (pid %d) %s",
		(int)sv->relay.pid, why);
	/* Its last answers are read first: they may still be in the socket. */
	serve_on_relay(sv);
	relay_down(sv, NULL);
	sv->relay.pid = 0;
}
