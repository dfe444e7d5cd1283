/*
 * transfer-common.c - what the read and write engines share: timers and
 * the hold, errors, the report, block-number arithmetic.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "transfer-common.h"

uint16_t xfer_wire_block(const struct xfer *x, uint64_t index)
{
	/* RFC 1350 numbers blocks from 1 in 16 bits. Past 65535 the common
	 * convention wraps to 0; the rollover option may ask for 1. */
	if (index == 0)
		return 0;
	if (x->job->rollover == 1)
		return (uint16_t)((index - 1) % 65535 + 1);
	return (uint16_t)index;
}

static int report(struct xfer *x, enum psep_status status)
{
	int answer = 0;

	x->res->status = status;
	x->res->duration_usec = x->io->now_us(x->io->ctx) - x->start_us;
	if (x->rto.have_sample)
		x->res->rtt_usec = x->rto.srtt_us;
	if (!x->reported && x->io->report != NULL)
		answer = x->io->report(x->io->ctx, x->res);
	x->reported = true;
	return answer;
}

bool xfer_finish(struct xfer *x, enum psep_status status)
{
	(void)report(x, status);
	return false;
}

int xfer_report_ok(struct xfer *x)
{
	return report(x, PSEP_OK);
}

static bool is_unreachable(int e)
{
	return e == -ECONNREFUSED || e == -EHOSTUNREACH || e == -ENETUNREACH || e == -EHOSTDOWN;
}

bool xfer_io_failed(struct xfer *x, int e)
{
	/* An ICMP error names the client gone (a closed port, no route to
	 * it): resending would only feed a flood or a dead end. */
	return xfer_finish(x, is_unreachable(e) ? PSEP_UNREACHABLE : PSEP_INTERNAL);
}

void xfer_send_error(struct xfer *x, enum tftp_error code, const char *text)
{
	uint8_t pkt[TFTP_ERROR_PKT_MAX];
	int n = tftp_pkt_build_error(pkt, sizeof(pkt), code, text);

	if (n > 0)
		(void)x->io->send(x->io->ctx, pkt, (size_t)n);
}

bool xfer_fail(struct xfer *x, enum tftp_error code, const char *text, enum psep_status status)
{
	xfer_send_error(x, code, text);
	return xfer_finish(x, status);
}

bool xfer_peer_error(struct xfer *x, const uint8_t *buf, size_t len, bool after_oack)
{
	uint16_t code = 0;
	char msg[PSEP_PEER_MSG_MAX];

	if (tftp_pkt_parse_error(buf, len, &code, msg, sizeof(msg)) < 0)
		return xfer_finish(x, PSEP_PROTOCOL);
	if (code > TFTP_ERR_OPTNEG)
		code = TFTP_ERR_UNDEF;
	x->res->peer_error = code;
	/* msg is printable ASCII and NUL-terminated; the report must carry
	 * zeros after the NUL, and has the same size. */
	memset(x->res->peer_message, 0, sizeof(x->res->peer_message));
	memcpy(x->res->peer_message, msg, strnlen(msg, sizeof(msg) - 1));
	/* RFC 2347: ERROR 8 in answer to an OACK is how UEFI/PXE clients end
	 * their size probe. */
	if (after_oack && code == TFTP_ERR_OPTNEG)
		return xfer_finish(x, PSEP_PROBE);
	return xfer_finish(x, PSEP_PEER_ERROR);
}

static uint64_t hold_interval(const struct xfer *x)
{
	uint64_t t = (uint64_t)x->job->rto_max_ms * 1000 + 2000000;

	return t > HOLD_INTERVAL_MIN_US ? t : HOLD_INTERVAL_MIN_US;
}

uint64_t xfer_timer(const struct xfer *x)
{
	uint64_t t = x->holding ? x->hold_tick_us + hold_interval(x)
				: x->io->now_us(x->io->ctx) + rto_timeout(&x->rto);

	return t < x->deadline_us ? t : x->deadline_us;
}

static unsigned resend_limit(const struct xfer *x)
{
	if (!x->verified && x->job->retries > UNVERIFIED_RESENDS_MAX)
		return UNVERIFIED_RESENDS_MAX;
	return x->job->retries;
}

void xfer_answered(struct xfer *x)
{
	x->answered = true;
	x->tries = 0;
}

void xfer_progress(struct xfer *x)
{
	x->answered = true;
	x->verified = true;
	x->holding = false;
	x->tries = 0;
	x->wakes = 0;
}

void xfer_rtt_sample(struct xfer *x, uint64_t sent_us, bool first_packet)
{
	uint64_t now = x->io->now_us(x->io->ctx), rtt;

	if (now < sent_us)
		return;
	rtt = now - sent_us;
	if (first_packet && rtt > (uint64_t)x->job->timeout_ms * 1000)
		return;
	rto_sample(&x->rto, (uint32_t)(rtt > UINT32_MAX ? UINT32_MAX : rtt));
}

void xfer_sent(struct xfer *x)
{
	x->sent_us = x->io->now_us(x->io->ctx);
}

enum timeout_action xfer_on_timeout(struct xfer *x)
{
	x->epoch++;
	if (x->holding) {
		if (x->hold_resends >= HOLD_RESENDS_MAX)
			return TIMEOUT_GIVE_UP;
		x->hold_resends++;
		x->hold_tick_us = x->io->now_us(x->io->ctx);
		/* One that has not shown it is real is only listened to. */
		return x->verified ? TIMEOUT_RESEND : TIMEOUT_HOLD;
	}
	x->tries++;
	if (x->tries <= resend_limit(x)) {
		rto_backoff(&x->rto);
		return TIMEOUT_RESEND;
	}
	/* A client's user set its retries: no hold after them. */
	if (!x->answered || (x->job->flags & TRANSFER_JOB_CLIENT))
		return TIMEOUT_GIVE_UP;
	/* The first hold interval runs from the last send. */
	x->holding = true;
	x->hold_resends = 0;
	x->hold_tick_us = x->sent_us;
	return TIMEOUT_HOLD;
}

bool xfer_wake(struct xfer *x)
{
	/* ACK 0 can be forged blind: one that never acknowledged data wakes
	 * us once, enough for a real client whose first blocks were all
	 * lost. */
	unsigned max = x->verified ? WAKES_MAX : WAKES_UNVERIFIED_MAX;

	if (!x->holding || x->wakes >= max)
		return false;
	x->wakes++;
	x->holding = false;
	x->tries = 0;
	return true;
}

bool xfer_check_deadline(struct xfer *x)
{
	if (x->io->now_us(x->io->ctx) < x->deadline_us)
		return true;
	return xfer_fail(x, TFTP_ERR_UNDEF, "Transfer took too long", PSEP_DEADLINE);
}

bool xfer_answer_resent_request(struct xfer *x, const uint8_t *pkt, size_t len)
{
	int e;

	/* A forged client can resend its request too: each answer counts
	 * as a resend of the first packet. */
	if (++x->tries > resend_limit(x) + 1)
		return true;
	x->res->retransmits++;
	e = x->io->send(x->io->ctx, pkt, len);
	if (e < 0)
		return xfer_io_failed(x, e);
	xfer_sent(x);
	return true;
}

bool xfer_first_sent_by_monitor(const struct xfer *x)
{
	return x->job->first_sent_usec != 0;
}
