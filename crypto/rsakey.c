/*
 * RSA private keys read straight from their DER: PKCS#1's RSAPrivateKey,
 * alone or inside PKCS#8's PrivateKeyInfo, the two forms openssl writes.
 *
 * Why: BearSSL's key decoder is an interpreted (T0) byte-by-byte parser,
 * and decoding a 2048-bit key took 0.15 ms of every RSA connection. This
 * walk is strict: anything it does not expect (other versions, BER
 * lengths, negative or empty integers, attributes, trailing bytes) makes
 * it answer 0, and skey.c then asks BearSSL's decoder, which accepts or
 * names the error as before. test_keys compares the two on every key.
 */
#include "keys_impl.h"

#include <string.h>

struct der {
	const unsigned char *p;
	size_t len;
};

/* One TLV of the given tag: its contents in *out, d moved past it. DER
 * only: the shortest length form. */
static int tlv(struct der *d, unsigned char tag, struct der *out)
{
	size_t n, len = 0, i = 2;

	if (d->len < 2 || d->p[0] != tag)
		return 0;
	n = d->p[1];
	if (n < 0x80) {
		len = n;
	} else {
		n &= 0x7f;
		if (n == 0 || n > 2 || d->len < 2 + n || d->p[2] == 0)
			return 0;
		for (size_t k = 0; k < n; k++)
			len = len << 8 | d->p[2 + k];
		if (len < 0x80 || (n == 2 && len < 0x100))
			return 0;
		i += n;
	}
	if (d->len - i < len)
		return 0;
	out->p = d->p + i;
	out->len = len;
	d->p += i + len;
	d->len -= i + len;
	return 1;
}

/* A positive INTEGER, its magnitude without the sign byte. */
static int uint(struct der *d, const unsigned char **v, size_t *vlen)
{
	struct der x;

	if (!tlv(d, 0x02, &x) || !x.len || (x.p[0] & 0x80))
		return 0;
	if (x.len > 1 && x.p[0] == 0) {
		if (!(x.p[1] & 0x80))
			return 0; /* not minimal */
		x.p++, x.len--;
	}
	if (x.len == 1 && x.p[0] == 0)
		return 0;
	*v = x.p;
	*vlen = x.len;
	return 1;
}

static int version0(struct der *d)
{
	struct der v;

	return tlv(d, 0x02, &v) && v.len == 1 && v.p[0] == 0;
}

static int pkcs1(struct der d, br_rsa_private_key *sk)
{
	enum { N, E, D, P, Q, DP, DQ, IQ, COUNT };
	const unsigned char *v[COUNT];
	size_t vl[COUNT];
	struct der seq;
	unsigned top;

	if (!tlv(&d, 0x30, &seq) || d.len || !version0(&seq))
		return 0;
	for (int i = 0; i < COUNT; i++)
		if (!uint(&seq, &v[i], &vl[i]))
			return 0;
	if (seq.len)
		return 0;
	sk->n_bitlen = 8 * (uint32_t)vl[N];
	for (top = v[N][0]; !(top & 0x80); top <<= 1)
		sk->n_bitlen--;
	/* BearSSL's struct is not const; rsa_copy copies, never writes */
	sk->p = (unsigned char *)v[P], sk->plen = vl[P];
	sk->q = (unsigned char *)v[Q], sk->qlen = vl[Q];
	sk->dp = (unsigned char *)v[DP], sk->dplen = vl[DP];
	sk->dq = (unsigned char *)v[DQ], sk->dqlen = vl[DQ];
	sk->iq = (unsigned char *)v[IQ], sk->iqlen = vl[IQ];
	return 1;
}

int rsa_der_decode(const unsigned char *der, size_t len, br_rsa_private_key *sk)
{
	/* rsaEncryption, 1.2.840.113549.1.1.1, and its NULL parameters */
	static const unsigned char alg[] = {0x06, 0x09, 0x2a, 0x86, 0x48,
	                                    0x86, 0xf7, 0x0d, 0x01, 0x01,
	                                    0x01, 0x05, 0x00};
	struct der d = {der, len}, seq, ai, os;

	if (len > 2 && der[0] == 0x30 && pkcs1(d, sk))
		return 1;
	if (!tlv(&d, 0x30, &seq) || d.len || !version0(&seq) ||
	    !tlv(&seq, 0x30, &ai) || ai.len != sizeof alg ||
	    memcmp(ai.p, alg, sizeof alg) || !tlv(&seq, 0x04, &os) || seq.len)
		return 0;
	return pkcs1(os, sk);
}
