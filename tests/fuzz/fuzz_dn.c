/*
 * fuzz_dn: tls_dn_format (crypto/dn.c) on the input as a DER Name, into
 * buffers of many sizes. The answers must agree: one length (or -1) for
 * every buffer large enough, -1 for every buffer too small, and the same
 * text; the text is valid UTF-8 whose only control character is a newline
 * right after a backslash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dn.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strict UTF-8 (no overlong forms, surrogates, or past U+10FFFF). */
static int utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i], k, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			k = 1, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			k = 2, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			k = 3, cp = c & 0x07;
		else
			return 0;
		if (i + k >= n)
			return 0;
		for (unsigned j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static void check_text(const char *s, size_t n)
{
	FUZZ_CHECK(strlen(s) == n, "NUL inside the text (%zu of %zu)",
	           strlen(s), n);
	FUZZ_CHECK(utf8_ok((const unsigned char *)s, n), "not UTF-8: %s", s);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			FUZZ_CHECK(i > 0 && s[i - 1] == '\\',
			           "bare newline at %zu", i);
		else
			FUZZ_CHECK(c >= 0x20 && c != 0x7f,
			           "control character %#x at %zu", c, i);
	}
}

/* A buffer of exactly cap bytes, so ASan sees a write past it. */
static int fmt(const uint8_t *der, size_t len, size_t cap, char **out)
{
	int r;

	*out = malloc(cap ? cap : 1);
	FUZZ_CHECK(*out, "malloc");
	memset(*out, 'X', cap ? cap : 1);
	r = tls_dn_format(der, len, *out, cap);
	FUZZ_CHECK(r >= -1, "returned %d", r);
	if (r >= 0) {
		FUZZ_CHECK((size_t)r < cap, "length %d with cap %zu", r, cap);
		FUZZ_CHECK((*out)[r] == 0, "not terminated");
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Every value byte gives at most 4 output bytes, every attribute at
	 * most ", ST=" around it: 8 bytes per input byte always suffice. */
	size_t big = 8 * size + 16;
	size_t caps[] = {0, 1, 2, 3, 8, 64, 1024};
	char *ref, *out, *der;
	int r, k;

	/* An exact-size copy: ASan sees any read past the DER. */
	der = malloc(size ? size : 1);
	FUZZ_CHECK(der, "malloc");
	memcpy(der, data, size);

	r = fmt((const uint8_t *)der, size, big, &ref);
	if (r >= 0)
		check_text(ref, (size_t)r);
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		k = fmt((const uint8_t *)der, size, caps[i], &out);
		if (r < 0 || (size_t)r >= caps[i])
			FUZZ_CHECK(k == -1, "cap %zu: %d (large buffer: %d)",
			           caps[i], k, r);
		else
			FUZZ_CHECK(k == r && !strcmp(out, ref),
			           "cap %zu: %d, large buffer %d", caps[i], k,
			           r);
		free(out);
	}
	/* Just enough room, and one byte short. */
	if (r >= 0) {
		k = fmt((const uint8_t *)der, size, (size_t)r + 1, &out);
		FUZZ_CHECK(k == r && !strcmp(out, ref), "exact room: %d", k);
		free(out);
		k = fmt((const uint8_t *)der, size, (size_t)r, &out);
		FUZZ_CHECK(k == -1, "one byte short: %d", k);
		free(out);
	}
	/* NULL and empty inputs are refused, not dereferenced. */
	FUZZ_CHECK(tls_dn_format(NULL, size, ref, big) == -1, "NULL der");
	FUZZ_CHECK(tls_dn_format((const uint8_t *)der, size, NULL, 16) == -1,
	           "NULL out");
	free(ref);
	free(der);
	return 0;
}
