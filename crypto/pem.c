#include "pem.h"

#include <stdlib.h>
#include <string.h>

int pem_detect(const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;

	while (p && p < end) {
		if ((size_t)(end - p) >= 10 && !memcmp(p, "-----BEGIN", 10))
			return 1;
		p = memchr(p, '\n', (size_t)(end - p));
		if (p)
			p++;
	}
	return 0;
}

/* One line, without its end (LF, CRLF) and trailing blanks. */
struct line {
	const unsigned char *p;
	size_t len;
};

static int next_line(const unsigned char **pos, const unsigned char *end,
                     struct line *l)
{
	const unsigned char *p = *pos, *nl;

	if (p >= end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	*pos = nl ? nl + 1 : end;
	l->p = p;
	l->len = (size_t)((nl ? nl : end) - p);
	while (l->len && (p[l->len - 1] == '\r' || p[l->len - 1] == ' ' ||
	                  p[l->len - 1] == '\t'))
		l->len--;
	return 1;
}

/* "-----BEGIN NAME-----" or "-----END NAME-----": copies NAME. */
static int boundary(const struct line *l, const char *kind, char name[64])
{
	size_t k = strlen(kind), n;

	if (l->len < 10 + k || memcmp(l->p, "-----", 5) ||
	    memcmp(l->p + 5, kind, k) || memcmp(l->p + l->len - 5, "-----", 5))
		return 0;
	n = l->len - 10 - k;
	if (n >= 64)
		n = 63;
	memcpy(name, l->p + 5 + k, n);
	name[n] = 0;
	return 1;
}

static int b64(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Base64 state of the object being decoded. */
struct b64 {
	unsigned acc, bits;
	int padded;
};

static const char *decode_line(struct pem_file *pf, struct b64 *s,
                               const struct line *l)
{
	for (size_t i = 0; i < l->len; i++) {
		unsigned char c = l->p[i];
		int v = b64(c);

		if (c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			s->padded = 1;
			continue;
		}
		if (v < 0 || s->padded)
			return "invalid base64 in PEM data";
		s->acc = (s->acc << 6) | (unsigned)v;
		s->bits += 6;
		if (s->bits >= 8) {
			s->bits -= 8;
			pf->buf[pf->len++] = (unsigned char)(s->acc >> s->bits);
			pf->obj[pf->n - 1].len++;
		}
	}
	return NULL;
}

static const char *begin(struct pem_file *pf, const char *name)
{
	struct pem_obj *o = realloc(pf->obj, (pf->n + 1) * sizeof *o);

	if (!o)
		return "out of memory";
	pf->obj = o;
	o += pf->n++;
	memcpy(o->name, name, 64);
	o->off = pf->len;
	o->len = 0;
	return NULL;
}

static const char *run(struct pem_file *pf, const unsigned char *p,
                       const unsigned char *end)
{
	struct line l;
	struct b64 s;
	char name[64], endname[64];
	int open = 0;
	const char *bad;

	while (next_line(&p, end, &l)) {
		if (!open && boundary(&l, "BEGIN ", name)) {
			if ((bad = begin(pf, name)))
				return bad;
			memset(&s, 0, sizeof s);
			open = 1;
		} else if (open && boundary(&l, "END ", endname)) {
			/* leftover bits must be zero padding: 0, 2 or 4 */
			if (strcmp(name, endname) || s.bits > 4 ||
			    (s.acc & ((1u << s.bits) - 1)))
				return "invalid or truncated PEM data";
			open = 0;
		} else if (open && (bad = decode_line(pf, &s, &l))) {
			return bad;
		}
	}
	return open ? "truncated PEM object" : NULL;
}

const char *pem_decode(struct pem_file *pf, const unsigned char *data,
                       size_t len)
{
	const char *bad;

	memset(pf, 0, sizeof *pf);
	/* Base64 only shrinks: the input's size is room enough. */
	pf->buf = malloc(len ? len : 1);
	if (!pf->buf)
		return "out of memory";
	bad = run(pf, data, data + len);
	if (bad)
		pem_free(pf);
	return bad;
}

void pem_free(struct pem_file *pf)
{
	if (pf->buf) {
		explicit_bzero(pf->buf, pf->len);
		free(pf->buf);
	}
	free(pf->obj);
	memset(pf, 0, sizeof *pf);
}
