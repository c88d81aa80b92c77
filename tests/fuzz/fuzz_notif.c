/*
 * fuzz_notif: the handshake notification block (src/notif.c).
 *
 * 1. notif_parse on the input as a received block: it returns 0 or one of
 *    its error codes; on 0, the entries it reports put back together give
 *    the input again, byte for byte; a callback's nonzero return stops the
 *    walk and comes back.
 * 2. A build -> parse round trip with facts taken from the input: byte 0
 *    says which facts are set (bits 0-5) and whether ALPN is configured
 *    (bit 6), byte 1 the buffer size (x 17), and the rest, split on NUL
 *    bytes, gives the values. notif_build succeeds exactly when the block
 *    fits, and notif_parse gives the facts back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "notif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
    "SSL_PROTOCOL",           "SSL_CIPHER",
    "SSL_TLS_SNI_SERVERNAME", "SSL_PEER_CERT_HASH",
    "SSL_PEER_CERT_SUBJECT",  "SSL_ALPN",
};
#define NNAMES 6

struct seen {
	const char *buf; /* the block being parsed */
	size_t len;
	const char *name[NNAMES + 1], *value[NNAMES + 1];
	int n, stop_at, stop_code;
};

static int name_index(const char *name)
{
	for (int i = 0; i < NNAMES; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

static int in_block(const struct seen *s, const char *p)
{
	return p >= s->buf && p < s->buf + s->len &&
	       memchr(p, 0, (size_t)(s->buf + s->len - p)) != NULL;
}

static int collect(const char *name, const char *value, void *ctx)
{
	struct seen *s = ctx;
	int k = name_index(name);

	FUZZ_CHECK(s->n < NNAMES, "more than %d entries", NNAMES);
	FUZZ_CHECK(in_block(s, name), "name outside the block");
	FUZZ_CHECK(!value || in_block(s, value), "value outside the block");
	FUZZ_CHECK(k >= 0, "unknown name %s", name);
	for (int i = 0; i < s->n; i++)
		FUZZ_CHECK(strcmp(s->name[i], name), "%s twice", name);
	s->name[s->n] = name;
	s->value[s->n] = value;
	if (++s->n == s->stop_at)
		return s->stop_code;
	return 0;
}

static void parse_input(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1), *back;
	struct seen s = {.n = 0};
	size_t pos = 0;
	int r;

	FUZZ_CHECK(buf, "malloc");
	memcpy(buf, data, size);
	s.buf = buf, s.len = size;
	r = notif_parse(buf, size, collect, &s);
	FUZZ_CHECK(r <= 0 && r >= NOTIF_EDUP, "returned %d", r);
	FUZZ_CHECK(notif_strerror(r) && *notif_strerror(r), "strerror");
	if (r < 0) {
		FUZZ_CHECK(s.n == 0, "callback called for a bad block (%d)", r);
		free(buf);
		return;
	}
	/* Lossless: the entries make the block again. */
	back = malloc(size);
	FUZZ_CHECK(back, "malloc");
	for (int i = 0; i < s.n; i++) {
		size_t nl = strlen(s.name[i]);

		FUZZ_CHECK(pos + nl + 1 <= size, "entries longer than block");
		memcpy(back + pos, s.name[i], nl);
		pos += nl;
		if (s.value[i]) {
			size_t vl = strlen(s.value[i]);

			FUZZ_CHECK(pos + vl + 2 <= size, "entries too long");
			back[pos++] = '=';
			memcpy(back + pos, s.value[i], vl);
			pos += vl;
		}
		back[pos++] = 0;
	}
	FUZZ_CHECK(pos + 1 == size, "entries make %zu bytes of %zu", pos + 1,
	           size);
	back[pos] = 0;
	FUZZ_CHECK(!memcmp(back, data, size), "entries differ from block");
	free(back);

	/* A nonzero return from the callback stops the walk. */
	if (s.n) {
		struct seen t = {.n = 0};

		memcpy(buf, data, size);
		t.buf = buf, t.len = size;
		t.stop_at = 1 + (int)(data[0] % (unsigned)s.n);
		t.stop_code = 77;
		FUZZ_CHECK(notif_parse(buf, size, collect, &t) == 77 &&
		               t.n == t.stop_at,
		           "callback's return not passed on");
	}
	free(buf);
}

static void round_trip(const uint8_t *data, size_t size)
{
	const char *v[NNAMES] = {NULL};
	char *strs, *p, *end, *buf;
	unsigned set = data[0];
	size_t cap = (size_t)data[1] * 17, want = 1, lim;
	struct notif_facts f;
	struct seen s = {.n = 0};
	ssize_t len;
	int n, r;

	/* The values: NUL-separated, after the two control bytes. */
	strs = malloc(size - 2 + 1);
	FUZZ_CHECK(strs, "malloc");
	memcpy(strs, data + 2, size - 2);
	strs[size - 2] = 0;
	p = strs, end = strs + (size - 2);
	for (int i = 0; i < NNAMES; i++) {
		if (!(set & 1u << i))
			continue;
		v[i] = p;
		if (p < end)
			p += strlen(p) + 1;
		if (p > end)
			p = end;
	}
	f = (struct notif_facts){
	    v[0], v[1], v[2], v[3], v[4], (set & 0x40) != 0, v[5]};
	n = f.alpn_configured ? NNAMES : NNAMES - 1;
	for (int i = 0; i < n; i++)
		want += strlen(names[i]) + (v[i] ? 1 + strlen(v[i]) : 0) + 1;

	buf = malloc(cap ? cap : 1);
	FUZZ_CHECK(buf, "malloc");
	len = notif_build(buf, cap, &f);
	lim = cap < NOTIF_MAX ? cap : NOTIF_MAX;
	if (want > lim) {
		FUZZ_CHECK(len == -1, "built %zd bytes in %zu", len, lim);
		goto out;
	}
	FUZZ_CHECK(len == (ssize_t)want, "built %zd bytes, expected %zu", len,
	           want);
	s.buf = buf, s.len = (size_t)len;
	r = notif_parse(buf, (size_t)len, collect, &s);
	FUZZ_CHECK(r == 0, "own block refused: %s", notif_strerror(r));
	FUZZ_CHECK(s.n == n, "%d entries of %d", s.n, n);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(!strcmp(s.name[i], names[i]), "entry %d is %s", i,
		           s.name[i]);
		FUZZ_CHECK(!v[i] == !s.value[i], "%s: set %d, got %d", names[i],
		           !!v[i], !!s.value[i]);
		FUZZ_CHECK(!v[i] || !strcmp(v[i], s.value[i]),
		           "%s: value differs", names[i]);
	}
out:
	free(buf);
	free(strs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_input(data, size);
	if (size >= 2)
		round_trip(data, size);
	return 0;
}
