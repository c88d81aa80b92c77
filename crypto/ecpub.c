#include "ecpub.h"

#include <string.h>

/* A DER element: its tag, and its contents in [p, p + len). */
struct der {
	unsigned tag;
	const unsigned char *p;
	size_t len;
};

/* Reads the element at *pos of [buf, buf + end); advances *pos past it. */
static int der_next(const unsigned char *buf, size_t end, size_t *pos,
                    struct der *d)
{
	size_t i = *pos, len;

	if (end - i < 2)
		return 0;
	d->tag = buf[i++];
	len = buf[i++];
	if (len & 0x80) {
		unsigned n = len & 0x7f;

		if (n == 0 || n > 3 || end - i < n)
			return 0;
		for (len = 0; n--;)
			len = len << 8 | buf[i++];
	}
	if (end - i < len)
		return 0;
	d->p = buf + i;
	d->len = len;
	*pos = i + len;
	return 1;
}

/* ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING,
 *   parameters [0] OPTIONAL, publicKey [1] BIT STRING OPTIONAL } */
static size_t from_sec1(const struct der *seq, unsigned char *out)
{
	size_t pos = 0, bpos = 0;
	struct der d, bits;

	while (der_next(seq->p, seq->len, &pos, &d)) {
		if (d.tag != 0xa1)
			continue;
		if (!der_next(d.p, d.len, &bpos, &bits) || bits.tag != 0x03 ||
		    bits.len < 2 || bits.p[0] != 0 || bits.len - 1 > ECPUB_MAX)
			return 0;
		memcpy(out, bits.p + 1, bits.len - 1);
		return bits.len - 1;
	}
	return 0;
}

size_t ecpub_find(const unsigned char *der, size_t len,
                  unsigned char out[ECPUB_MAX])
{
	size_t pos = 0, in = 0;
	struct der seq, ver, d;

	if (!der_next(der, len, &pos, &seq) || seq.tag != 0x30 ||
	    !der_next(seq.p, seq.len, &in, &ver) || ver.tag != 0x02 ||
	    ver.len != 1)
		return 0;
	if (ver.p[0] == 1)
		return from_sec1(&seq, out);
	/* PKCS#8: version 0, AlgorithmIdentifier, OCTET STRING { SEC1 } */
	if (ver.p[0] != 0 || !der_next(seq.p, seq.len, &in, &d) ||
	    !der_next(seq.p, seq.len, &in, &d) || d.tag != 0x04)
		return 0;
	return ecpub_find(d.p, d.len, out);
}
