/*
 * fuzz_pem: the project's own PEM decoder (crypto/pem.c), which reads
 * every KEYFILE, CERTFILE and CAFILE.
 *
 * On the input: pem_decode returns NULL or a message, and on success the
 * objects lie in order inside the decoded buffer, their names terminated.
 * Then the objects are written back as canonical PEM (64-column base64)
 * and decoded again: the same names and bytes must come back, and
 * BearSSL's own PEM decoder must read that canonical text the same way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "fuzz_util.h"
#include "pem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct out {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct out *o, const void *s, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2 + 64;
		o->p = realloc(o->p, o->cap);
		FUZZ_CHECK(o->p, "realloc");
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void encode(struct out *o, const char *name, const unsigned char *d,
                   size_t n)
{
	size_t col = 0;

	put(o, "-----BEGIN ", 11);
	put(o, name, strlen(name));
	put(o, "-----\n", 6);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)d[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (unsigned)d[i + 1] << 8;
		if (i + 2 < n)
			v |= d[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		put(o, q, 4);
		if ((col += 4) == 64) {
			put(o, "\n", 1);
			col = 0;
		}
	}
	if (col)
		put(o, "\n", 1);
	put(o, "-----END ", 9);
	put(o, name, strlen(name));
	put(o, "-----\n", 6);
}

/* A name survives canonical re-encoding if it is printable, has no '-'
 * at its ends and no blanks at its end (the decoder trims those). */
static int name_ok(const char *n)
{
	size_t l = strlen(n);

	for (size_t i = 0; i < l; i++)
		if ((unsigned char)n[i] < 0x20 || (unsigned char)n[i] > 0x7e)
			return 0;
	return !l || (n[l - 1] != '-' && n[l - 1] != ' ' && n[0] != '-');
}

struct bearssl_obj {
	char name[128];
	struct out data;
};

static void br_append(void *ctx, const void *buf, size_t len)
{
	put(ctx, buf, len);
}

/* BearSSL's decoder on canonical text: how many objects it saw. */
static size_t bearssl_decode(const struct out *text, struct bearssl_obj *objs,
                             size_t max)
{
	br_pem_decoder_context pc;
	size_t pos = 0, n = 0;

	br_pem_decoder_init(&pc);
	while (pos < text->len) {
		size_t k =
		    br_pem_decoder_push(&pc, text->p + pos, text->len - pos);
		int ev = br_pem_decoder_event(&pc);

		pos += k;
		if (ev == BR_PEM_BEGIN_OBJ) {
			FUZZ_CHECK(n < max, "too many objects");
			snprintf(objs[n].name, sizeof objs[n].name, "%s",
			         br_pem_decoder_name(&pc));
			br_pem_decoder_setdest(&pc, br_append, &objs[n].data);
			n++;
		} else if (ev == BR_PEM_ERROR) {
			FUZZ_CHECK(0, "BearSSL refuses canonical PEM");
		} else {
			FUZZ_CHECK(k || ev, "BearSSL PEM decoder stalled");
		}
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pem_file pf, again;
	struct out text = {0};
	unsigned char *copy = malloc(size ? size : 1);
	const char *bad;
	size_t end = 0, n;
	int canon = 1;

	FUZZ_CHECK(copy, "malloc");
	memcpy(copy, data, size); /* exact size: ASan sees reads past it */
	(void)pem_detect(copy, size);
	bad = pem_decode(&pf, copy, size);
	if (bad) {
		FUZZ_CHECK(*bad, "empty message");
		FUZZ_CHECK(!pf.buf && !pf.obj && !pf.n, "left to free");
		free(copy);
		return 0;
	}
	FUZZ_CHECK(pf.len <= size, "decoded %zu bytes from %zu", pf.len, size);
	for (size_t i = 0; i < pf.n; i++) {
		const struct pem_obj *o = &pf.obj[i];

		FUZZ_CHECK(memchr(o->name, 0, sizeof o->name), "name %zu", i);
		FUZZ_CHECK(o->off == end && o->off + o->len <= pf.len,
		           "object %zu at %zu+%zu of %zu", i, o->off, o->len,
		           pf.len);
		end = o->off + o->len;
		canon &= name_ok(o->name);
	}
	FUZZ_CHECK(end == pf.len, "objects end at %zu of %zu", end, pf.len);
	if (!canon || !pf.n || pf.n > 64)
		goto out;

	for (size_t i = 0; i < pf.n; i++)
		encode(&text, pf.obj[i].name, pf.buf + pf.obj[i].off,
		       pf.obj[i].len);
	bad = pem_decode(&again, text.p, text.len);
	FUZZ_CHECK(!bad, "own canonical output refused: %s", bad);
	FUZZ_CHECK(again.n == pf.n && again.len == pf.len &&
	               !memcmp(again.buf, pf.buf, pf.len),
	           "re-encoded objects differ");
	for (size_t i = 0; i < pf.n; i++)
		FUZZ_CHECK(!strcmp(again.obj[i].name, pf.obj[i].name),
		           "name %zu differs", i);
	pem_free(&again);

	{
		static struct bearssl_obj objs[64];

		n = bearssl_decode(&text, objs, 64);
		FUZZ_CHECK(n == pf.n, "BearSSL saw %zu objects, we %zu", n,
		           pf.n);
		for (size_t i = 0; i < n; i++) {
			FUZZ_CHECK(!strcmp(objs[i].name, pf.obj[i].name),
			           "BearSSL name %zu: %s / %s", i, objs[i].name,
			           pf.obj[i].name);
			FUZZ_CHECK(
			    objs[i].data.len == pf.obj[i].len &&
			        (!pf.obj[i].len ||
			         !memcmp(objs[i].data.p, pf.buf + pf.obj[i].off,
			                 pf.obj[i].len)),
			    "BearSSL bytes %zu differ", i);
			free(objs[i].data.p);
			memset(&objs[i], 0, sizeof objs[i]);
		}
	}
out:
	free(text.p);
	pem_free(&pf);
	FUZZ_CHECK(!pf.buf && !pf.obj, "pem_free left something");
	free(copy);
	return 0;
}
