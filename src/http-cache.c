/*
 * http-cache.c - HTTP caching rules and cache metadata; see http-cache.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http-cache.h"

void http_cache_init(struct http_cache_info *c)
{
	memset(c, 0, sizeof(*c));
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* [s, s+len) without surrounding white space and the line's CRLF. */
static void trim(const char **s, size_t *len)
{
	while (*len > 0 && (is_space(**s)))
		(*s)++, (*len)--;
	while (*len > 0 && (is_space((*s)[*len - 1]) || (*s)[*len - 1] == '\r' ||
			    (*s)[*len - 1] == '\n'))
		(*len)--;
}

static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* A validator is kept verbatim, to be sent back, only if printable and
 * short enough; otherwise the response simply has none. */
static void keep_validator(char *out, const char *v, size_t len)
{
	out[0] = '\0';
	if (len == 0 || len >= HTTP_VALIDATOR_MAX || !printable(v, len))
		return;
	memcpy(out, v, len);
	out[len] = '\0';
}

/* 1 to max decimal digits, nothing else. */
static bool digits(const char *s, size_t len, size_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

/* One Cache-Control directive. */
static void directive(struct http_cache_info *c, const char *d, size_t len)
{
	trim(&d, &len);
	if (len == 8 && strncasecmp(d, "no-store", 8) == 0)
		c->no_store = true;
	else if (len >= 8 && strncasecmp(d, "no-cache", 8) == 0)
		c->no_cache = true; /* no-cache="field" too: to be safe, all of it */
	else if (len > 8 && strncasecmp(d, "max-age=", 8) == 0) {
		const char *v = d + 8;
		size_t vlen = len - 8;

		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
			v++, vlen -= 2;
		/* A max-age that does not parse: treat as stale (RFC 9111 4.2.1). */
		if (!digits(v, vlen, 10, &c->max_age))
			c->max_age = 0;
		c->has_max_age = true;
	}
}

static void cache_control(struct http_cache_info *c, const char *v, size_t len)
{
	while (len > 0) {
		const char *comma = memchr(v, ',', len);
		size_t n = comma != NULL ? (size_t)(comma - v) : len;

		directive(c, v, n);
		if (comma == NULL)
			break;
		v += n + 1;
		len -= n + 1;
	}
}

static bool name_is(const char *line, size_t nlen, const char *name)
{
	return strlen(name) == nlen && strncasecmp(line, name, nlen) == 0;
}

void http_cache_header(struct http_cache_info *c, const char *line, size_t len)
{
	const char *colon, *v;
	size_t nlen, vlen;

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		http_cache_init(c); /* a new response: forget the last */
		return;
	}
	colon = memchr(line, ':', len);
	if (colon == NULL)
		return;
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - nlen - 1;
	trim(&v, &vlen);
	if (name_is(line, nlen, "Cache-Control") || name_is(line, nlen, "Pragma")) {
		cache_control(c, v, vlen);
	} else if (name_is(line, nlen, "Expires")) {
		c->has_expires = true;
		if (http_parse_date(v, vlen, &c->expires) < 0)
			c->expires = 0; /* invalid: already expired */
	} else if (name_is(line, nlen, "Date")) {
		c->has_date = http_parse_date(v, vlen, &c->date) == 0;
	} else if (name_is(line, nlen, "Last-Modified")) {
		c->has_last_modified = http_parse_date(v, vlen, &c->last_modified) == 0;
		keep_validator(c->last_modified_text, v, vlen);
	} else if (name_is(line, nlen, "ETag")) {
		keep_validator(c->etag, v, vlen);
	}
}

bool http_cache_storable(const struct http_cache_info *c)
{
	return !c->no_store;
}

uint64_t http_cache_lifetime(const struct http_cache_info *c, int64_t now)
{
	int64_t date = c->has_date ? c->date : now;

	if (c->no_cache)
		return 0;
	if (c->has_max_age)
		return c->max_age;
	if (c->has_expires)
		return c->expires > date ? (uint64_t)(c->expires - date) : 0;
	if (c->has_last_modified && c->last_modified < date) {
		uint64_t h = (uint64_t)(date - c->last_modified) / 10;

		return h < HTTP_HEURISTIC_MAX ? h : HTTP_HEURISTIC_MAX;
	}
	return 0;
}

/* ---- dates --------------------------------------------------------------- */

static int number(const char *s, size_t n, int *ret)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int http_parse_date(const char *s, size_t len, int64_t *ret)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int day, year, hh, mm, ss, mon = -1;

	/* "Sun, 06 Nov 1994 08:49:37 GMT": 29 bytes exactly */
	if (len != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ' ||
	    memcmp(s + 26, "GMT", 3) != 0)
		return -EINVAL;
	for (int i = 0; i < 12; i++)
		if (memcmp(s + 8, months + 3 * i, 3) == 0)
			mon = i + 1;
	if (mon < 0 || number(s + 5, 2, &day) < 0 || number(s + 12, 4, &year) < 0 ||
	    number(s + 17, 2, &hh) < 0 || number(s + 20, 2, &mm) < 0 ||
	    number(s + 23, 2, &ss) < 0)
		return -EINVAL;
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970)
		return -EINVAL;
	*ret = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

/* ---- entries --------------------------------------------------------------- */

int http_cache_entry_format(const struct http_cache_entry *e, char *buf, size_t size)
{
	int n = snprintf(buf, size, "url %s\nbody %s\nsize %llu\nfresh %lld\netag %s\nlm %s\n",
			 e->url, e->body,
			 (unsigned long long)e->size, (long long)e->fresh_until, e->etag,
			 e->last_modified);

	return n < 0 || (size_t)n >= size ? -ENOBUFS : n;
}

static bool body_name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= sizeof(((struct http_cache_entry *)0)->body))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || s[i] == '-'))
			return false;
	return true;
}

/* The value of "key VALUE\n" at *p, which moves past it. */
static bool field(const char **p, const char *end, const char *key, const char **v,
		  size_t *vlen)
{
	size_t klen = strlen(key);
	const char *nl;

	if ((size_t)(end - *p) <= klen || memcmp(*p, key, klen) != 0 || (*p)[klen] != ' ')
		return false;
	*v = *p + klen + 1;
	nl = memchr(*v, '\n', (size_t)(end - *v));
	if (nl == NULL)
		return false;
	*vlen = (size_t)(nl - *v);
	*p = nl + 1;
	return printable(*v, *vlen);
}

static bool text_field(const char **p, const char *end, const char *key, char *out, size_t size)
{
	const char *v;
	size_t n;

	if (!field(p, end, key, &v, &n) || n >= size)
		return false;
	memcpy(out, v, n);
	out[n] = '\0';
	return true;
}

static bool number_field(const char **p, const char *end, const char *key, uint64_t *ret)
{
	const char *v;
	size_t n;

	/* One spelling per number: what parses formats back the same. */
	return field(p, end, key, &v, &n) && !(n > 1 && v[0] == '0') && digits(v, n, 19, ret);
}

int http_cache_entry_parse(const char *buf, size_t len, struct http_cache_entry *ret)
{
	const char *p = buf, *end = buf + len;
	struct http_cache_entry e;
	uint64_t fresh;

	memset(&e, 0, sizeof(e));
	if (!text_field(&p, end, "url", e.url, sizeof(e.url)) || e.url[0] == '\0' ||
	    !text_field(&p, end, "body", e.body, sizeof(e.body)) ||
	    !body_name_ok(e.body, strlen(e.body)) || !number_field(&p, end, "size", &e.size) ||
	    !number_field(&p, end, "fresh", &fresh) || fresh > INT64_MAX ||
	    !text_field(&p, end, "etag", e.etag, sizeof(e.etag)) ||
	    !text_field(&p, end, "lm", e.last_modified, sizeof(e.last_modified)) || p != end)
		return -EINVAL;
	e.fresh_until = (int64_t)fresh;
	*ret = e;
	return 0;
}
