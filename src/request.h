/*
 * request.h - deciding on one request: parse, name, open, negotiate.
 *
 * The monitor's policy for a single RRQ or WRQ, kept apart from the event
 * loop. Every refusal carries the TFTP error the client is sent and a
 * reason for the log.
 */
#ifndef CLOISTER_REQUEST_H
#define CLOISTER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-index.h"
#include "metrics.h"
#include "msg.h"
#include "path.h"
#include "policy.h"
#include "settings.h"
#include "tftp-options.h"
#include "tftp-packet.h"
#include "upload.h"

#define ESCAPED_NAME_MAX (TFTP_FILENAME_MAX * 4 + 4)

struct refusal {
	enum tftp_error code;
	const char *text; /* static: sent to the client and logged */
	bool malformed;   /* the datagram was no request: an offence (client-limits.h) */
	enum metrics_refusal reason; /* for tftpd_refused_total */
};

struct request {
	struct tftp_request req;        /* points into the datagram */
	char file[ESCAPED_NAME_MAX];    /* the client's name, escaped, for logs */
	char path[TFTP_PATH_MAX];       /* normalised, relative to the root */
	int fd;                         /* file to hand over, -1 until opened */
	bool is_upload;
	struct upload upload;           /* when is_upload: the temporary file */
	struct tftp_opt_result opts;
	struct psep_job job;            /* all but transfer_id */
	struct client_quirk limits;     /* the client's [client] sections */
	const char *alias_once;         /* an [alias-once] entry's key (in the policy), or NULL */
	const char *relay_url;          /* relayed: fd is the body fetched from here */
	const char *relay_cache;        /* ..and came from the cache so (static), or NULL */
	bool stream;                    /* relayed: fd is a pipe of stream_size bytes */
	uint64_t stream_size;
};

/*
 * Parse the datagram and check what needs neither the client nor the file
 * system: opcode, mode, uploads or downloads enabled. 0 with *ret filled
 * (fd -1, no path yet), or -EACCES with *ret_refusal set; file names are
 * escaped into ret->file as soon as they are known.
 */
int request_parse(const struct settings *s, const uint8_t *buf, size_t len,
		  struct request *ret, struct refusal *ret_refusal);

/*
 * Take the policy's answer for this request: its path (refused if it
 * names one of our temporary files) and the client's protocol limits.
 * 0, or -EACCES with *ret_refusal set.
 */
int request_resolve(const struct policy_answer *a, struct request *r,
		    struct refusal *ret_refusal);

/* Where a request's file is opened. */
struct request_site {
	int root_fd;
	bool world_readable_only; /* started as root: serve only files others may read */
	int null_fd;              /* /dev/null, where wrq-devnull uploads go */
};

/*
 * Open the file (RRQ; default-file when it does not exist) or create the
 * upload's temporary file (WRQ; under the client's directory with
 * upload-dir-per-client, or /dev/null with wrq-devnull) under the root,
 * negotiate the options with path_mtu (0 = unknown) and build the job.
 * 0, or -EACCES with *ret_refusal set and nothing left open.
 */
int request_open(const struct settings *s, const struct request_site *site,
		 const struct addr_key *client, unsigned path_mtu, int family, struct request *r,
		 struct refusal *ret_refusal);

/*
 * The transfer's first packet, which the monitor sends itself: the OACK,
 * else for an RRQ DATA 1 (read from the file opened by request_open; for
 * netascii, encoded), else for a WRQ ACK 0. Its length, or -errno.
 * *ret_last: DATA 1 holds the whole file.
 */
int request_first_packet(const struct request *r, uint8_t *buf, size_t size, bool *ret_last);

/* Close what request_open opened; removes an upload's temporary file
 * unless it was committed. */
void request_release(struct request *r);

#endif
