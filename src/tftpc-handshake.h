/*
 * tftpc-handshake.h - a client's request and the server's first answer
 * (RFC 1350, RFC 2347), up to the point where the engine takes over.
 */
#ifndef CLOISTER_TFTPC_HANDSHAKE_H
#define CLOISTER_TFTPC_HANDSHAKE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "msg.h"
#include "tftp-options.h"
#include "tftp-packet.h"

struct tftpc_request {
	enum tftp_opcode op;       /* TFTP_OP_RRQ (get) or TFTP_OP_WRQ (put) */
	const char *file;          /* as sent */
	enum tftp_mode mode;
	bool options;              /* ask for ask's options (RFC 2347) at all */
	struct tftp_opt_ask ask;
	uint32_t timeout_ms;       /* first wait for an answer, doubled per resend */
	unsigned retries;          /* resends of the request before giving up */
	volatile sig_atomic_t *interrupted; /* may be NULL */
};

struct tftpc_handshake {
	struct sockaddr_storage peer; /* where the answer came from: the transfer's TID */
	socklen_t peer_len;
	bool oack;                 /* options were negotiated: opts holds them */
	struct tftp_opt_result opts; /* RFC 1350 defaults without an OACK */
	bool fell_back;            /* the server refused or botched options: asked again without */
	size_t first_len;          /* get without options: DATA 1 is in the caller's buffer */
	uint32_t rtt_us;           /* the answer's round trip, 0 when the request was resent */
	uint32_t resends;
	uint16_t error_code;       /* -EREMOTEIO: the server's ERROR */
	char error_msg[PSEP_PEER_MSG_MAX];
};

/*
 * Send the request from sock (unconnected, bound) to srv and wait for the
 * answer from srv's address, on any port: OACK, DATA 1 (get) or ACK 0
 * (put), or ERROR. An ERROR 8 or an OACK that tftp_opt_accept refuses
 * (answered with ERROR 8) makes it ask once more without options. buf
 * (bufsize >= 516 + what a DATA 1 may hold) receives the answers.
 * Returns 0 with *ret filled, or -ETIMEDOUT (no answer after the
 * retries), -EREMOTEIO (ERROR: ret->error_code, ret->error_msg), -EPROTO
 * (an answer that makes no sense), -EINTR (interrupted), -errno.
 */
int tftpc_handshake_run(int sock, const struct sockaddr *srv, socklen_t srv_len,
			const struct tftpc_request *rq, uint8_t *buf, size_t bufsize,
			struct tftpc_handshake *ret);

#endif
