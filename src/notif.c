#include "notif.h"

#include <string.h>

/* The entries a block may carry, in the order s6-tlsd-io writes them. */
static const char *const known_names[] = {
    "SSL_PROTOCOL",           "SSL_CIPHER",
    "SSL_TLS_SNI_SERVERNAME", "SSL_PEER_CERT_HASH",
    "SSL_PEER_CERT_SUBJECT",  "SSL_ALPN",
};
#define NKNOWN (sizeof known_names / sizeof known_names[0])

const char *notif_name(size_t i)
{
	return i < NKNOWN ? known_names[i] : NULL;
}

/* Appends "name=value\0" (or "name\0" when value is NULL) at *pos. */
static int put_entry(char *buf, size_t cap, size_t *pos, const char *name,
                     const char *value)
{
	size_t nlen = strlen(name);
	size_t vlen = value ? strlen(value) + 1 : 0;

	if (cap - *pos < nlen + vlen + 1)
		return -1;
	memcpy(buf + *pos, name, nlen);
	*pos += nlen;
	if (value) {
		buf[(*pos)++] = '=';
		memcpy(buf + *pos, value, vlen - 1);
		*pos += vlen - 1;
	}
	buf[(*pos)++] = '\0';
	return 0;
}

ssize_t notif_build(char *buf, size_t cap, const struct notif_facts *f)
{
	const char *values[NKNOWN] = {f->protocol,  f->cipher,       f->sni,
	                              f->peer_hash, f->peer_subject, f->alpn};
	size_t n = f->alpn_configured ? NKNOWN : NKNOWN - 1;
	size_t pos = 0;

	if (cap > NOTIF_MAX)
		cap = NOTIF_MAX;
	for (size_t i = 0; i < n; i++)
		if (put_entry(buf, cap, &pos, known_names[i], values[i]))
			return -1;
	if (pos >= cap)
		return -1;
	buf[pos++] = '\0';
	return (ssize_t)pos;
}

/* Index of the known entry called name[0..len), or -1. */
static int known_index(const char *name, size_t len)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (strlen(known_names[i]) == len &&
		    !memcmp(known_names[i], name, len))
			return (int)i;
	return -1;
}

static int name_ok(const char *name, size_t len)
{
	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
	}
	return 1;
}

/* Length of the name part of the entry e (up to '=' or its end). */
static size_t name_len(const char *e)
{
	return strcspn(e, "=");
}

/*
 * Checks the framing and every name of the block without changing it.
 * The block is well formed once it is known to end with "\0\0": each
 * entry is then a C string, and the first empty one is the terminator.
 */
static int check(const char *buf, size_t len)
{
	unsigned seen = 0;
	size_t p = 0;

	if (len > NOTIF_MAX)
		return NOTIF_EBIG;
	while (p < len && buf[p]) {
		const char *end = memchr(buf + p, '\0', len - p);
		size_t nlen;
		int k;

		if (!end)
			return NOTIF_ETRUNC;
		nlen = name_len(buf + p);
		if (!name_ok(buf + p, nlen))
			return NOTIF_ENAME;
		k = known_index(buf + p, nlen);
		if (k < 0)
			return NOTIF_EUNKNOWN;
		if (seen & 1u << k)
			return NOTIF_EDUP;
		seen |= 1u << k;
		p = (size_t)(end - buf) + 1;
	}
	/* p is at the terminator; an empty block has no double NUL at all */
	if (p >= len || !p)
		return NOTIF_ETRUNC;
	return p + 1 == len ? 0 : NOTIF_ETRAIL;
}

int notif_parse(char *buf, size_t len,
                int (*cb)(const char *name, const char *value, void *ctx),
                void *ctx)
{
	int r = check(buf, len);

	for (size_t p = 0; !r && buf[p]; p += strlen(buf + p) + 1) {
		char *name = buf + p;
		size_t nlen = name_len(name);
		const char *value = NULL;

		if (name[nlen] == '=') {
			name[nlen] = '\0';
			value = name + nlen + 1;
			p += nlen + 1; /* strlen below now starts at value */
		}
		r = cb(name, value, ctx);
	}
	return r;
}

const char *notif_strerror(int code)
{
	switch (code) {
	case 0:
		return "no error";
	case NOTIF_ETRUNC:
		return "truncated notification block";
	case NOTIF_EBIG:
		return "notification block too large";
	case NOTIF_ENAME:
		return "invalid name in notification block";
	case NOTIF_EUNKNOWN:
		return "unknown entry in notification block";
	case NOTIF_ETRAIL:
		return "garbage after the notification block";
	case NOTIF_EDUP:
		return "repeated entry in notification block";
	default:
		return "malformed notification block";
	}
}
