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

#include "msg.h"
#include "path.h"
#include "settings.h"
#include "tftp-options.h"
#include "tftp-packet.h"
#include "upload.h"

#define ESCAPED_NAME_MAX (TFTP_FILENAME_MAX * 4 + 4)

struct refusal {
	enum tftp_error code;
	const char *text; /* static: sent to the client and logged */
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
};

/*
 * Parse the datagram and check what needs no file system: opcode, mode,
 * uploads enabled, the name's rules. 0 with *ret filled (fd -1), or -1
 * with *ret_refusal set; file names are escaped into ret->file as soon
 * as they are known.
 */
int request_parse(const struct settings *s, const uint8_t *buf, size_t len,
		  struct request *ret, struct refusal *ret_refusal);

/*
 * Open the file (RRQ) or create the upload's temporary file (WRQ) under
 * root_fd, negotiate the options with path_mtu (0 = unknown) and build
 * the job. 0, or -1 with *ret_refusal set and nothing left open.
 * world_readable_only: started as root, serve only files others may read.
 */
int request_open(const struct settings *s, int root_fd, bool world_readable_only,
		 unsigned path_mtu, int family, struct request *r, struct refusal *ret_refusal);

/* Close what request_open opened; removes an upload's temporary file
 * unless it was committed. */
void request_release(struct request *r);

#endif
