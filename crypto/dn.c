/*
 * Formatting a DER X.500 Name. The Name is walked once per attribute kind
 * (six times) rather than collected first: no allocation, no limit on
 * the number of attributes, and the first walk checks the whole structure.
 */
#include "dn.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

/* A run of DER bytes, [p, end). */
struct der {
	const unsigned char *p, *end;
};

/* The attributes we print, in output order: last byte of 2.5.4.x. */
static const struct {
	unsigned char oid;
	const char *key;
} kinds[] = {
    {6, "C"}, {8, "ST"}, {7, "L"}, {10, "O"}, {11, "OU"}, {3, "CN"},
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

enum {
	T_UTF8 = 0x0c,
	T_PRINTABLE = 0x13,
	T_TELETEX = 0x14,
	T_IA5 = 0x16,
	T_UNIVERSAL = 0x1c,
	T_BMP = 0x1e,
	T_OID = 0x06,
	T_SEQUENCE = 0x30,
	T_SET = 0x31,
};

/*
 * Reads one TLV from d: strict DER, so a one-byte tag (no high tag
 * numbers: none belong in a Name) and a definite length in its shortest
 * form, of at most 4 bytes. The content must fit in d. On success, v is
 * the content and d moves past it.
 */
static int der_next(struct der *d, unsigned char *tag, struct der *v)
{
	const unsigned char *p = d->p;
	size_t left = (size_t)(d->end - p), len, n, i;

	if (left < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = p[0];
	len = p[1];
	p += 2;
	left -= 2;
	if (len & 0x80) {
		n = len & 0x7f;
		/* 0: indefinite length; p[0] == 0: not the shortest form */
		if (n == 0 || n > 4 || n > left || p[0] == 0)
			return -1;
		for (len = 0, i = 0; i < n; i++)
			len = len << 8 | p[i];
		if (len < 0x80)
			return -1;
		p += n;
		left -= n;
	}
	if (len > left)
		return -1;
	v->p = p;
	v->end = p + len;
	d->p = p + len;
	return 0;
}

/* Which of kinds[] an OID is; -1: another OID; -2: an empty one. */
static int oid_kind(const struct der *oid)
{
	size_t i, len = (size_t)(oid->end - oid->p);

	if (len == 0)
		return -2;
	if (len != 3 || oid->p[0] != 0x55 || oid->p[1] != 0x04)
		return -1;
	for (i = 0; i < NKINDS; i++)
		if (oid->p[2] == kinds[i].oid)
			return (int)i;
	return -1;
}

typedef int (*atv_fn)(void *ctx, int kind, unsigned char tag,
                      const struct der *val);

/* AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY }. */
static int atv_walk(struct der *set, atv_fn fn, void *ctx)
{
	struct der atv, oid, val;
	unsigned char tag;
	int kind;

	if (der_next(set, &tag, &atv) < 0 || tag != T_SEQUENCE)
		return -1;
	if (der_next(&atv, &tag, &oid) < 0 || tag != T_OID)
		return -1;
	kind = oid_kind(&oid);
	if (kind == -2 || der_next(&atv, &tag, &val) < 0 || atv.p != atv.end)
		return -1;
	return fn(ctx, kind, tag, &val);
}

/*
 * Name ::= SEQUENCE OF RelativeDistinguishedName, and
 * RDN ::= SET SIZE (1..MAX) OF AttributeTypeAndValue. Calls fn for every
 * attribute in order; stops at the first error (fn's or the DER's).
 */
static int name_walk(const unsigned char *der, size_t len, atv_fn fn, void *ctx)
{
	struct der all = {der, der + len}, name, set;
	unsigned char tag;

	if (der_next(&all, &tag, &name) < 0 || tag != T_SEQUENCE ||
	    all.p != all.end)
		return -1;
	while (name.p < name.end) {
		if (der_next(&name, &tag, &set) < 0 || tag != T_SET ||
		    set.p == set.end)
			return -1;
		while (set.p < set.end)
			if (atv_walk(&set, fn, ctx) < 0)
				return -1;
	}
	return 0;
}

/* ---- string types to code points ---- */

static int is_surrogate(uint32_t c)
{
	return c >= 0xd800 && c <= 0xdfff;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static int utf8_next(struct der *v, uint32_t *cp)
{
	static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
	const unsigned char *p = v->p;
	size_t n, i, left = (size_t)(v->end - p);
	uint32_t c = p[0];

	if (c < 0x80)
		n = 0;
	else if ((c & 0xe0) == 0xc0)
		n = 1, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		n = 2, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		n = 3, c &= 0x07;
	else
		return -1;
	if (n >= left)
		return -1;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || is_surrogate(c))
		return -1;
	v->p += n + 1;
	*cp = c;
	return 0;
}

static uint32_t be16(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* UCS-2; a well-formed UTF-16 surrogate pair is taken too. */
static int bmp_next(struct der *v, uint32_t *cp)
{
	size_t left = (size_t)(v->end - v->p);
	uint32_t c, lo;

	if (left < 2)
		return -1;
	c = be16(v->p);
	v->p += 2;
	if (!is_surrogate(c)) {
		*cp = c;
		return 0;
	}
	if (c >= 0xdc00 || left < 4)
		return -1;
	lo = be16(v->p);
	if (lo < 0xdc00 || lo > 0xdfff)
		return -1;
	v->p += 2;
	*cp = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

static int ucs4_next(struct der *v, uint32_t *cp)
{
	uint32_t c;

	if (v->end - v->p < 4)
		return -1;
	c = be16(v->p) << 16 | be16(v->p + 2);
	if (c > 0x10ffff || is_surrogate(c))
		return -1;
	v->p += 4;
	*cp = c;
	return 0;
}

/* The next character of a value of type tag; v is not empty. */
static int char_next(unsigned char tag, struct der *v, uint32_t *cp)
{
	switch (tag) {
	case T_PRINTABLE:
	case T_IA5:
		if (*v->p >= 0x80)
			return -1;
		/* fall through */
	case T_TELETEX:
		*cp = *v->p++;
		return 0;
	case T_UTF8:
		return utf8_next(v, cp);
	case T_BMP:
		return bmp_next(v, cp);
	default:
		return ucs4_next(v, cp);
	}
}

static int is_string_type(unsigned char tag)
{
	return tag == T_UTF8 || tag == T_PRINTABLE || tag == T_TELETEX ||
	       tag == T_IA5 || tag == T_UNIVERSAL || tag == T_BMP;
}

/* ---- output ---- */

struct out {
	char *buf;
	size_t len, room; /* room: cap less the final NUL */
	int full;
};

static void put(struct out *o, const void *s, size_t n)
{
	if (n > o->room - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_utf8(struct out *o, uint32_t c)
{
	unsigned char b[4];

	if (c < 0x80) {
		b[0] = (unsigned char)c;
		put(o, b, 1);
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xc0 | c >> 6);
		b[1] = (unsigned char)(0x80 | (c & 0x3f));
		put(o, b, 2);
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xe0 | c >> 12);
		b[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (c & 0x3f));
		put(o, b, 3);
	} else {
		b[0] = (unsigned char)(0xf0 | c >> 18);
		b[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (c & 0x3f));
		put(o, b, 4);
	}
}

/* One character of a value; edge: it is the first or the last one. */
static void put_char(struct out *o, uint32_t c, int edge)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3] = {'\\'};

	/* c < 0x80: strchr would only see c's low byte */
	if ((c && c < 0x80 && strchr(",=+<>#\\\n", (int)c)) ||
	    (c == ' ' && edge)) {
		esc[1] = (char)c;
		put(o, esc, 2);
	} else if (c < 0x20 || c == 0x7f) {
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		put(o, esc, 3);
	} else {
		put_utf8(o, c);
	}
}

struct fmt {
	struct out o;
	int want;  /* index in kinds[] */
	int count; /* attributes written so far */
};

static int emit(void *ctx, int kind, unsigned char tag, const struct der *val)
{
	struct fmt *f = ctx;
	struct der v = *val;
	const unsigned char *first = v.p;
	uint32_t c;

	if (kind != f->want || !is_string_type(tag))
		return 0;
	if (f->count++)
		put(&f->o, ", ", 2);
	put(&f->o, kinds[kind].key, strlen(kinds[kind].key));
	put(&f->o, "=", 1);
	while (v.p < v.end) {
		int edge = v.p == first;

		if (char_next(tag, &v, &c) < 0)
			return -1;
		put_char(&f->o, c, edge || v.p == v.end);
	}
	return f->o.full ? -1 : 0;
}

int tls_dn_format(const unsigned char *der, size_t len, char *out, size_t cap)
{
	struct fmt f = {{out, 0, cap ? cap - 1 : 0, 0}, 0, 0};

	if (!der || !out || !cap)
		return -1;
	for (f.want = 0; f.want < (int)NKINDS; f.want++)
		if (name_walk(der, len, emit, &f) < 0)
			return -1;
	if (f.o.len > INT_MAX)
		return -1;
	out[f.o.len] = 0;
	return (int)f.o.len;
}
