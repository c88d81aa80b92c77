/*
 * X25519 (RFC 7748) in 64-bit arithmetic, behind BearSSL's br_ec_impl.
 *
 * Why: Debian's BearSSL 0.6 has only its 15- and 31-bit curve code, and
 * the X25519 exchange of every handshake (two Montgomery ladders: the
 * ephemeral key, then the shared secret) was 17% of the engine's CPU. A
 * field element here is five 51-bit limbs, multiplied with 64x64->128
 * products. Every other curve, and everything but mul and mulgen, is
 * BearSSL's own br_ec_all_m31.
 *
 * Constant time: the ladder's swaps are masks, not branches; the limb
 * arithmetic has no data-dependent branch or index; the inversion is a
 * fixed chain.
 */
#include "ec.h"

#include <stdint.h>
#include <string.h>

typedef uint64_t fe[5];
typedef unsigned __int128 u128;

#define MASK51 ((UINT64_C(1) << 51) - 1)

static void fe_load(fe h, const unsigned char s[32])
{
	uint64_t w[4];

	for (int i = 0; i < 4; i++) {
		w[i] = 0;
		for (int j = 7; j >= 0; j--)
			w[i] = w[i] << 8 | s[8 * i + j];
	}
	h[0] = w[0] & MASK51;
	h[1] = (w[0] >> 51 | w[1] << 13) & MASK51;
	h[2] = (w[1] >> 38 | w[2] << 26) & MASK51;
	h[3] = (w[2] >> 25 | w[3] << 39) & MASK51;
	h[4] = (w[3] >> 12) & MASK51; /* the top bit is ignored (RFC 7748) */
}

/* limbs back under 2^51 (the top carry wraps around as 19) */
static void fe_carry(fe h)
{
	for (int i = 0; i < 4; i++) {
		h[i + 1] += h[i] >> 51;
		h[i] &= MASK51;
	}
	h[0] += 19 * (h[4] >> 51);
	h[4] &= MASK51;
}

static void fe_store(unsigned char s[32], const fe f)
{
	fe h;
	uint64_t q, w[4];

	memcpy(h, f, sizeof h);
	fe_carry(h);
	fe_carry(h);
	/* h < 2^255 now; subtract p once if h >= p */
	q = (h[0] + 19) >> 51;
	for (int i = 1; i < 5; i++)
		q = (h[i] + q) >> 51;
	h[0] += 19 * q;
	for (int i = 0; i < 4; i++) {
		h[i + 1] += h[i] >> 51;
		h[i] &= MASK51;
	}
	h[4] &= MASK51;
	w[0] = h[0] | h[1] << 51;
	w[1] = h[1] >> 13 | h[2] << 38;
	w[2] = h[2] >> 26 | h[3] << 25;
	w[3] = h[3] >> 39 | h[4] << 12;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			s[8 * i + j] = (unsigned char)(w[i] >> (8 * j));
}

static void fe_add(fe h, const fe f, const fe g)
{
	for (int i = 0; i < 5; i++)
		h[i] = f[i] + g[i];
}

/* f - g + 4p, so that no limb goes negative for inputs under 2^53 */
static void fe_sub(fe h, const fe f, const fe g)
{
	h[0] = f[0] + 4 * (MASK51 - 18) - g[0];
	for (int i = 1; i < 5; i++)
		h[i] = f[i] + 4 * MASK51 - g[i];
	fe_carry(h);
}

static void fe_reduce128(fe h, u128 r[5])
{
	for (int i = 0; i < 4; i++) {
		r[i + 1] += (uint64_t)(r[i] >> 51);
		h[i] = (uint64_t)r[i] & MASK51;
	}
	h[4] = (uint64_t)r[4] & MASK51;
	h[0] += 19 * (uint64_t)(r[4] >> 51);
	h[1] += h[0] >> 51;
	h[0] &= MASK51;
}

static void fe_mul(fe h, const fe f, const fe g)
{
	uint64_t g19[5];
	u128 r[5];

	for (int i = 1; i < 5; i++)
		g19[i] = 19 * g[i];
	r[0] = (u128)f[0] * g[0] + (u128)f[1] * g19[4] + (u128)f[2] * g19[3] +
	       (u128)f[3] * g19[2] + (u128)f[4] * g19[1];
	r[1] = (u128)f[0] * g[1] + (u128)f[1] * g[0] + (u128)f[2] * g19[4] +
	       (u128)f[3] * g19[3] + (u128)f[4] * g19[2];
	r[2] = (u128)f[0] * g[2] + (u128)f[1] * g[1] + (u128)f[2] * g[0] +
	       (u128)f[3] * g19[4] + (u128)f[4] * g19[3];
	r[3] = (u128)f[0] * g[3] + (u128)f[1] * g[2] + (u128)f[2] * g[1] +
	       (u128)f[3] * g[0] + (u128)f[4] * g19[4];
	r[4] = (u128)f[0] * g[4] + (u128)f[1] * g[3] + (u128)f[2] * g[2] +
	       (u128)f[3] * g[1] + (u128)f[4] * g[0];
	fe_reduce128(h, r);
}

static void fe_sq(fe h, const fe f)
{
	uint64_t d0 = 2 * f[0], d1 = 2 * f[1], d3 = 2 * f[3];
	uint64_t f19_3 = 19 * f[3], f19_4 = 19 * f[4];
	u128 r[5];

	r[0] = (u128)f[0] * f[0] + (u128)d1 * f19_4 + (u128)(2 * f[2]) * f19_3;
	r[1] = (u128)d0 * f[1] + (u128)(2 * f[2]) * f19_4 + (u128)f[3] * f19_3;
	r[2] = (u128)d0 * f[2] + (u128)f[1] * f[1] + (u128)d3 * f19_4;
	r[3] = (u128)d0 * f[3] + (u128)d1 * f[2] + (u128)f[4] * f19_4;
	r[4] = (u128)d0 * f[4] + (u128)d1 * f[3] + (u128)f[2] * f[2];
	fe_reduce128(h, r);
}

static void fe_mul_small(fe h, const fe f, uint32_t k)
{
	u128 r[5];

	for (int i = 0; i < 5; i++)
		r[i] = (u128)f[i] * k;
	fe_reduce128(h, r);
}

static void fe_nsq(fe h, const fe f, int n)
{
	fe_sq(h, f);
	while (--n > 0)
		fe_sq(h, h);
}

/* z^(p-2) = z^(2^255 - 21): the usual chain, 254 squarings, 11 products */
static void fe_invert(fe out, const fe z)
{
	fe z2, z9, z11, t, z2_5, z2_10, z2_20, z2_50, z2_100;

	fe_sq(z2, z);
	fe_nsq(t, z2, 2);
	fe_mul(z9, t, z);
	fe_mul(z11, z9, z2);
	fe_sq(t, z11);
	fe_mul(z2_5, t, z9); /* 2^5 - 1 */
	fe_nsq(t, z2_5, 5);
	fe_mul(z2_10, t, z2_5);
	fe_nsq(t, z2_10, 10);
	fe_mul(z2_20, t, z2_10);
	fe_nsq(t, z2_20, 20);
	fe_mul(t, t, z2_20);
	fe_nsq(t, t, 10);
	fe_mul(z2_50, t, z2_10);
	fe_nsq(t, z2_50, 50);
	fe_mul(z2_100, t, z2_50);
	fe_nsq(t, z2_100, 100);
	fe_mul(t, t, z2_100);
	fe_nsq(t, t, 50);
	fe_mul(t, t, z2_50);
	fe_nsq(t, t, 5);
	fe_mul(out, t, z11); /* 2^255 - 21 */
}

static void fe_cswap(fe f, fe g, uint64_t bit)
{
	uint64_t m = -bit;

	for (int i = 0; i < 5; i++) {
		uint64_t x = m & (f[i] ^ g[i]);

		f[i] ^= x;
		g[i] ^= x;
	}
}

/* RFC 7748's ladder; k is the clamped scalar, little-endian */
static void ladder(unsigned char out[32], const unsigned char k[32],
                   const unsigned char u[32])
{
	fe x1, x2 = {1}, z2 = {0}, x3, z3 = {1};
	fe a, aa, b, bb, e, c, d, da, cb;
	uint64_t swap = 0;

	fe_load(x1, u);
	memcpy(x3, x1, sizeof x3);
	for (int t = 254; t >= 0; t--) {
		uint64_t kt = (k[t >> 3] >> (t & 7)) & 1;

		swap ^= kt;
		fe_cswap(x2, x3, swap);
		fe_cswap(z2, z3, swap);
		swap = kt;
		fe_add(a, x2, z2);
		fe_sq(aa, a);
		fe_sub(b, x2, z2);
		fe_sq(bb, b);
		fe_sub(e, aa, bb);
		fe_add(c, x3, z3);
		fe_sub(d, x3, z3);
		fe_mul(da, d, a);
		fe_mul(cb, c, b);
		fe_add(x3, da, cb);
		fe_sq(x3, x3);
		fe_sub(z3, da, cb);
		fe_sq(z3, z3);
		fe_mul(z3, z3, x1);
		fe_mul(x2, aa, bb);
		fe_mul_small(z2, e, 121665);
		fe_add(z2, z2, aa);
		fe_mul(z2, z2, e);
	}
	fe_cswap(x2, x3, swap);
	fe_cswap(z2, z3, swap);
	fe_invert(z2, z2);
	fe_mul(x2, x2, z2);
	fe_store(out, x2);
}

/*
 * BearSSL 0.6's conventions for curve25519, as its ec_c25519_* code has
 * them (test_x25519 compares): the point is the 32-byte little-endian u
 * coordinate; the scalar is little-endian too, as RFC 7748 writes it, at
 * most 32 bytes, zero-extended, and clamped here; the result replaces
 * the point.
 */
static uint32_t x25519_mul(unsigned char *G, size_t Glen,
                           const unsigned char *kb, size_t kblen)
{
	unsigned char k[32] = {0};

	if (Glen != 32 || kblen > 32)
		return 0;
	memcpy(k, kb, kblen);
	k[0] &= 0xF8;
	k[31] &= 0x7F;
	k[31] |= 0x40;
	ladder(G, k, G);
	memset(k, 0, sizeof k);
	return 1;
}

static uint32_t ec_mul(unsigned char *G, size_t Glen, const unsigned char *x,
                       size_t xlen, int curve)
{
	if (curve == BR_EC_curve25519)
		return x25519_mul(G, Glen, x, xlen);
	return br_ec_all_m31.mul(G, Glen, x, xlen, curve);
}

static size_t ec_mulgen(unsigned char *R, const unsigned char *x, size_t xlen,
                        int curve)
{
	const unsigned char *g;
	size_t len;

	if (curve != BR_EC_curve25519)
		return br_ec_all_m31.mulgen(R, x, xlen, curve);
	g = br_ec_all_m31.generator(curve, &len);
	memcpy(R, g, len);
	return x25519_mul(R, len, x, xlen) ? len : 0;
}

static uint32_t ec_muladd(unsigned char *A, const unsigned char *B, size_t len,
                          const unsigned char *x, size_t xlen,
                          const unsigned char *y, size_t ylen, int curve)
{
	return br_ec_all_m31.muladd(A, B, len, x, xlen, y, ylen, curve);
}

static const unsigned char *ec_generator(int curve, size_t *len)
{
	return br_ec_all_m31.generator(curve, len);
}

static const unsigned char *ec_order(int curve, size_t *len)
{
	return br_ec_all_m31.order(curve, len);
}

static size_t ec_xoff(int curve, size_t *len)
{
	return br_ec_all_m31.xoff(curve, len);
}

/* br_ec_all_m31's curves; test_x25519 checks the two agree */
static const br_ec_impl impl = {
    TLS_EC_CURVES, ec_generator, ec_order,  ec_xoff,
    ec_mul,        ec_mulgen,    ec_muladd,
};

const br_ec_impl *tls_ec(void)
{
	return &impl;
}
