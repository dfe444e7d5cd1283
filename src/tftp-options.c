/*
 * tftp-options.c - option negotiation (RFC 2347 framework; blksize RFC 2348;
 * timeout and tsize RFC 2349; windowsize RFC 7440; rollover and utimeout
 * from tftp-hpa).
 *
 * Pure: reads the parsed request and the operator's limits, writes only
 * *ret and the caller's OACK buffer. Each option's rule (accepted range,
 * and whether a value outside it is dropped or clamped) sits in its own
 * decide_*() function below.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tftp-options.h"
#include "util.h"

#define TFTP_TIMEOUT_MIN 1          /* seconds, RFC 2349 */
#define TFTP_TIMEOUT_MAX 255
#define TFTP_UTIMEOUT_MIN 10000     /* microseconds, tftp-hpa */
#define TFTP_UTIMEOUT_MAX 255000000
#define TFTP_WINDOWSIZE_MIN 1       /* RFC 7440 */
#define USEC_PER_SEC 1000000u

/*
 * The largest OACK negotiate can produce: every option once (duplicates are
 * never acknowledged) with its longest value. The names are our canonical
 * spellings, never the client's, so the client cannot make them longer.
 * tsize can be any 64-bit size. This is what makes the header's promise
 * "always fits in TFTP_OACK_MAX" true; check-options recomputes it at run
 * time from a real negotiation.
 */
#define STR_(x) #x
#define STR(x) STR_(x)
#define OACK_PAIR(name, longest) (sizeof(name) + sizeof(longest))
#define OACK_LONGEST                                                                               \
	(2 + OACK_PAIR("blksize", STR(TFTP_BLKSIZE_MAX)) +                                         \
	 OACK_PAIR("tsize", "18446744073709551615") +                                              \
	 OACK_PAIR("timeout", STR(TFTP_TIMEOUT_MAX)) +                                             \
	 OACK_PAIR("windowsize", STR(TFTP_WINDOWSIZE_MAX)) + OACK_PAIR("rollover", "1") +          \
	 OACK_PAIR("utimeout", STR(TFTP_UTIMEOUT_MAX)))
_Static_assert(OACK_LONGEST <= TFTP_OACK_MAX, "an OACK could exceed TFTP_OACK_MAX");
_Static_assert(sizeof(((struct tftp_opt_result *)0)->values[0]) >= sizeof("18446744073709551615"),
	       "values[] cannot hold a 64-bit decimal");
_Static_assert(TFTP_OPT_COUNT <= 32, "refused is a 32-bit mask");
_Static_assert((uint64_t)TFTP_TIMEOUT_MAX * USEC_PER_SEC <= UINT32_MAX, "timeout_us overflows");

enum verdict {
	OPT_DROP = 0,    /* not acknowledged; the default stays */
	OPT_ACK = 1,     /* acknowledged with *ret_val */
	OPT_NOSPACE = 2, /* the whole request is refused with ERROR 3 */
};

/* The operator's limits, brought into the header's ranges: a limit that is
 * out of range must never let a value through that the RFCs forbid. */
struct limits {
	uint64_t blksize_max;
	uint64_t windowsize_max;
	const struct tftp_opt_limits *lim;
	enum tftp_opcode op;
};

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

/*
 * A run of digits too long for 64 bits is still a well-formed number, only
 * larger than any limit: saturate it, so that clamped options clamp it and
 * ranged options drop it. Signs, spaces, "0x" and trailing text stay
 * invalid (parse_u64), so "+8", " 8" and "8x" are never read as 8.
 */
static int parse_saturated(const char *s, uint64_t *ret)
{
	int r = parse_u64(s, ret);

	if (r == -ERANGE) {
		*ret = UINT64_MAX;
		return 0;
	}
	return r;
}

/*
 * RFC 2348: 8..65464 octets. Below 8 is invalid and dropped. Above our
 * limit is clamped: the RFC lets the OACK carry a value less than or equal
 * to the client's, and clamping keeps a client asking 65464 working behind
 * a small MTU (PEERS users' request 4).
 */
static enum verdict decide_blksize(const char *v, const struct limits *l, uint64_t *ret_val)
{
	uint64_t n;

	if (parse_saturated(v, &n) < 0 || n < TFTP_BLKSIZE_MIN)
		return OPT_DROP;
	*ret_val = n > l->blksize_max ? l->blksize_max : n;
	return OPT_ACK;
}

/*
 * RFC 2349 tsize. RRQ: the client sends "0" and reads the size from the
 * OACK. Its value carries no information, so any value is accepted and
 * ignored (some clients send a non-zero one); what goes back is only ever
 * our own number. When the size is not exact (netascii) we stay silent
 * rather than announce a wrong one.
 * WRQ: the client announces the size of its upload, and an acknowledged
 * tsize echoes it. A value that is not a number is dropped. A size over
 * the operator's cap refuses the request up front with ERROR 3, the code
 * RFC 2349 gives a client for a file too large for it, instead of failing
 * mid-transfer. A number too long for 64 bits is over any cap, and is
 * dropped when there is none (it cannot be echoed as it was sent).
 */
static enum verdict decide_tsize(const char *v, const struct limits *l, uint64_t *ret_val)
{
	uint64_t n;
	int r;

	if (l->op == TFTP_OP_RRQ) {
		if (!l->lim->tsize_known)
			return OPT_DROP;
		*ret_val = l->lim->file_size;
		return OPT_ACK;
	}
	r = parse_u64(v, &n);
	if (r == -ERANGE)
		return l->lim->upload_max != 0 ? OPT_NOSPACE : OPT_DROP;
	if (r < 0)
		return OPT_DROP;
	if (l->lim->upload_max != 0 && n > l->lim->upload_max)
		return OPT_NOSPACE;
	*ret_val = n;
	return OPT_ACK;
}

/* RFC 2349: 1..255 seconds. Out of range is dropped, never clamped: the
 * RFC requires the OACK's timeout to match the client's, so the server can
 * only accept it as sent or omit it. */
static enum verdict decide_timeout(const char *v, const struct limits *l, uint64_t *ret_val)
{
	(void)l;
	return parse_bounded(v, TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX, ret_val) < 0 ? OPT_DROP
										 : OPT_ACK;
}

/* RFC 7440: 1..65535 blocks. 0 is invalid and dropped; above our limit is
 * clamped, as the RFC lets the OACK carry a value up to the client's. */
static enum verdict decide_windowsize(const char *v, const struct limits *l, uint64_t *ret_val)
{
	uint64_t n;

	if (parse_saturated(v, &n) < 0 || n < TFTP_WINDOWSIZE_MIN)
		return OPT_DROP;
	*ret_val = n > l->windowsize_max ? l->windowsize_max : n;
	return OPT_ACK;
}

/* rollover (tftp-hpa extension, no RFC): the block number after 65535 is
 * 0 or 1. Anything else is dropped. Parsed like every other number, so
 * "01" is 1 and is answered "1": one number syntax for every option. */
static enum verdict decide_rollover(const char *v, const struct limits *l, uint64_t *ret_val)
{
	(void)l;
	return parse_bounded(v, 0, 1, ret_val) < 0 ? OPT_DROP : OPT_ACK;
}

/* utimeout (tftp-hpa): 10000..255000000 microseconds, dropped outside, like
 * timeout. tftp-hpa < 5.1 overflowed a static buffer printing it
 * (CVE-2011-2199); our values[] is sized by _Static_assert above. */
static enum verdict decide_utimeout(const char *v, const struct limits *l, uint64_t *ret_val)
{
	(void)l;
	return parse_bounded(v, TFTP_UTIMEOUT_MIN, TFTP_UTIMEOUT_MAX, ret_val) < 0 ? OPT_DROP
										   : OPT_ACK;
}

static const struct {
	const char *name; /* canonical, as sent in the OACK */
	enum verdict (*decide)(const char *value, const struct limits *l, uint64_t *ret_val);
} options[TFTP_OPT_COUNT] = {
	[TFTP_OPT_BLKSIZE] = { "blksize", decide_blksize },
	[TFTP_OPT_TSIZE] = { "tsize", decide_tsize },
	[TFTP_OPT_TIMEOUT] = { "timeout", decide_timeout },
	[TFTP_OPT_WINDOWSIZE] = { "windowsize", decide_windowsize },
	[TFTP_OPT_ROLLOVER] = { "rollover", decide_rollover },
	[TFTP_OPT_UTIMEOUT] = { "utimeout", decide_utimeout },
};

const char *tftp_opt_name(enum tftp_opt opt)
{
	if ((unsigned)opt >= TFTP_OPT_COUNT)
		return NULL;
	return options[opt].name;
}

int tftp_opt_from_name(const char *name)
{
	int i;

	if (!name)
		return -1;
	/* RFC 2347: option names are case-insensitive. */
	for (i = 0; i < TFTP_OPT_COUNT; i++)
		if (ascii_casecmp(name, options[i].name) == 0)
			return i;
	return -1;
}

static void set_defaults(struct tftp_opt_result *res)
{
	memset(res, 0, sizeof(*res));
	/* RFC 1350 block size and lock-step (RFC 7440 windowsize 1); a
	 * timeout_us of 0 leaves the adaptive timer in charge. */
	res->blksize = TFTP_BLKSIZE_DEFAULT;
	res->windowsize = 1;
}

/* Record an accepted value in the field the transfer reads. */
static void apply(struct tftp_opt_result *res, enum tftp_opt opt, uint64_t val,
		  enum tftp_opcode op, uint32_t acked_mask)
{
	switch (opt) {
	case TFTP_OPT_BLKSIZE:
		res->blksize = (uint32_t)val;
		break;
	case TFTP_OPT_TSIZE:
		/* RRQ: the value is our own file size, nothing to record. */
		if (op == TFTP_OP_WRQ) {
			res->tsize = val;
			res->tsize_given = 1;
		}
		break;
	case TFTP_OPT_TIMEOUT:
		/* utimeout is the finer of the two and wins in either
		 * order; both are still acknowledged (tftp-hpa does so). */
		if (!(acked_mask & (1u << TFTP_OPT_UTIMEOUT)))
			res->timeout_us = (uint32_t)val * USEC_PER_SEC;
		break;
	case TFTP_OPT_WINDOWSIZE:
		res->windowsize = (uint32_t)val;
		break;
	case TFTP_OPT_ROLLOVER:
		res->rollover = (uint8_t)val;
		break;
	case TFTP_OPT_UTIMEOUT:
		res->timeout_us = (uint32_t)val;
		break;
	case TFTP_OPT_COUNT:
		break;
	}
}

int tftp_opt_negotiate(const struct tftp_request *req, const struct tftp_opt_limits *lim,
		       struct tftp_opt_result *ret)
{
	struct tftp_opt_result res;
	struct limits l;
	uint32_t seen = 0, acked = 0;
	size_t i, n;

	if (!ret)
		return TFTP_ERR_BADOP;
	set_defaults(ret);
	if (!req || !lim || (req->opcode != TFTP_OP_RRQ && req->opcode != TFTP_OP_WRQ))
		return TFTP_ERR_BADOP;

	set_defaults(&res);
	l.blksize_max = clamp_u64(lim->blksize_max, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX);
	l.windowsize_max = clamp_u64(lim->windowsize_max, TFTP_WINDOWSIZE_MIN, TFTP_WINDOWSIZE_MAX);
	l.lim = lim;
	l.op = req->opcode;

	n = req->n_options < TFTP_OPTIONS_MAX ? req->n_options : TFTP_OPTIONS_MAX;
	for (i = 0; i < n; i++) {
		const struct tftp_option *o = &req->options[i];
		enum verdict v;
		uint64_t val = 0;
		int opt;

		if (!o->name || !o->value)
			continue;
		/* RFC 2347: unknown options are ignored. A refused one
		 * (--refuse) is treated exactly as an unknown one. */
		opt = tftp_opt_from_name(o->name);
		if (opt < 0 || (lim->refused & (1u << opt)))
			continue;
		/* The first of duplicates wins, even when its value is
		 * invalid: a later copy must not give a second reading of
		 * the same request (and cannot append a second OACK pair). */
		if (seen & (1u << opt))
			continue;
		seen |= 1u << opt;

		v = options[opt].decide(o->value, &l, &val);
		if (v == OPT_NOSPACE)
			return TFTP_ERR_NOSPACE; /* *ret keeps the defaults */
		if (v == OPT_DROP)
			continue;
		apply(&res, (enum tftp_opt)opt, val, l.op, acked);
		acked |= 1u << opt;
		/* Only options the client sent get here, in its order: an
		 * unrequested tsize makes EFI PXE reject the OACK (PEERS
		 * users' request 3). */
		(void)snprintf(res.values[opt], sizeof(res.values[opt]), "%" PRIu64, val);
		res.acked[res.n_acked++] = (enum tftp_opt)opt;
	}
	*ret = res;
	return 0;
}

int tftp_opt_build_oack(const struct tftp_opt_result *res, uint8_t *buf, size_t size)
{
	const char *names[TFTP_OPT_COUNT], *values[TFTP_OPT_COUNT];
	size_t i;

	if (!res || res->n_acked > TFTP_OPT_COUNT)
		return -EINVAL;
	/* Nothing acknowledged: answer as RFC 1350 (DATA 1 or ACK 0). An
	 * empty OACK would only invite clients' parsers to misbehave. */
	if (res->n_acked == 0)
		return 0;
	for (i = 0; i < res->n_acked; i++) {
		enum tftp_opt opt = res->acked[i];

		names[i] = tftp_opt_name(opt);
		if (!names[i])
			return -EINVAL;
		/* Never trust a value that is not terminated in its slot. */
		if (memchr(res->values[opt], '\0', sizeof(res->values[opt])) == NULL)
			return -EINVAL;
		values[i] = res->values[opt];
	}
	/* The codec measures before writing: buf is untouched on -ENOBUFS. */
	return tftp_pkt_build_oack(buf, size, names, values, res->n_acked);
}

/* The client's side. */

static void ask_pair(struct tftp_opt_ask_text *t, size_t *n, enum tftp_opt opt, uint64_t v)
{
	(void)snprintf(t->digits[*n], sizeof(t->digits[*n]), "%" PRIu64, v);
	t->names[*n] = options[opt].name;
	t->values[*n] = t->digits[*n];
	(*n)++;
}

size_t tftp_opt_ask_pairs(const struct tftp_opt_ask *ask, enum tftp_opcode op,
			  struct tftp_opt_ask_text *ret)
{
	size_t n = 0;

	memset(ret, 0, sizeof(*ret));
	if (ask->blksize != 0)
		ask_pair(ret, &n, TFTP_OPT_BLKSIZE, ask->blksize);
	if (ask->windowsize != 0)
		ask_pair(ret, &n, TFTP_OPT_WINDOWSIZE, ask->windowsize);
	if (ask->timeout_s != 0)
		ask_pair(ret, &n, TFTP_OPT_TIMEOUT, ask->timeout_s);
	/* RFC 2349: an RRQ asks with 0, a WRQ announces its size. */
	if (ask->tsize)
		ask_pair(ret, &n, TFTP_OPT_TSIZE, op == TFTP_OP_WRQ ? ask->tsize_value : 0);
	if (ask->rollover >= 0)
		ask_pair(ret, &n, TFTP_OPT_ROLLOVER, (uint64_t)ask->rollover);
	return n;
}

/* The range a server's answer must fall in; max 0: not asked. */
static uint64_t asked_max(const struct tftp_opt_ask *ask, enum tftp_opt opt, uint64_t *ret_min)
{
	*ret_min = 0;
	switch (opt) {
	case TFTP_OPT_BLKSIZE:
		*ret_min = TFTP_BLKSIZE_MIN;
		return ask->blksize;
	case TFTP_OPT_WINDOWSIZE:
		*ret_min = TFTP_WINDOWSIZE_MIN;
		return ask->windowsize;
	case TFTP_OPT_TIMEOUT:
		/* RFC 2349 wants our value back; a server that caps it
		 * (dnsmasq: 255) still names one in range, and its timer
		 * runs by it. */
		*ret_min = TFTP_TIMEOUT_MIN;
		return ask->timeout_s != 0 ? TFTP_TIMEOUT_MAX : 0;
	case TFTP_OPT_TSIZE:
		return ask->tsize ? UINT64_MAX : 0;
	case TFTP_OPT_ROLLOVER:
		return ask->rollover >= 0 ? 1 : 0;
	case TFTP_OPT_UTIMEOUT:
	case TFTP_OPT_COUNT:
		break;
	}
	return 0;
}

/* rollover 0 is a valid answer, so "asked" is not "max > 0" for it. */
static bool was_asked(const struct tftp_opt_ask *ask, enum tftp_opt opt)
{
	uint64_t min;

	return opt == TFTP_OPT_ROLLOVER ? ask->rollover >= 0 : asked_max(ask, opt, &min) != 0;
}

int tftp_opt_accept(const struct tftp_opt_ask *ask, const struct tftp_request *oack,
		    struct tftp_opt_result *ret)
{
	struct tftp_opt_result res;
	uint32_t seen = 0;

	set_defaults(ret);
	if (!ask || !oack || oack->n_options > TFTP_OPTIONS_MAX)
		return -EPROTO;
	set_defaults(&res);
	for (size_t i = 0; i < oack->n_options; i++) {
		const struct tftp_option *o = &oack->options[i];
		int opt = tftp_opt_from_name(o->name);
		uint64_t min, max, v;

		/* RFC 2347: a server answers only what it was asked, once. */
		if (opt < 0 || !was_asked(ask, (enum tftp_opt)opt) || (seen & (1u << opt)))
			return -EPROTO;
		seen |= 1u << opt;
		max = asked_max(ask, (enum tftp_opt)opt, &min);
		if (parse_bounded(o->value, min, max, &v) < 0)
			return -EPROTO;
		if (opt == TFTP_OPT_TSIZE) {
			res.tsize = v;
			res.tsize_given = 1;
		} else {
			apply(&res, (enum tftp_opt)opt, v, TFTP_OP_RRQ, 0);
		}
		(void)snprintf(res.values[opt], sizeof(res.values[opt]), "%" PRIu64, v);
		res.acked[res.n_acked++] = (enum tftp_opt)opt;
	}
	*ret = res;
	return 0;
}
