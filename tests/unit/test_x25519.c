/* crypto/x25519.c: RFC 7748's vectors, and BearSSL's own X25519 code
 * (br_ec_c25519_m31) on random inputs, through the same br_ec_impl. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "ec.h"

static void unhex(unsigned char *out, const char *hex)
{
	for (size_t i = 0; hex[2 * i]; i++) {
		unsigned v;

		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

/* RFC 7748's X25519(k, u): BearSSL's mul takes k as the RFC writes it */
static void x25519(const br_ec_impl *ec, unsigned char out[32],
                   const unsigned char k[32], const unsigned char u[32])
{
	memcpy(out, u, 32);
	cr_assert_eq(ec->mul(out, 32, k, 32, BR_EC_curve25519), 1);
}

Test(x25519, rfc7748_vector)
{
	unsigned char k[32], u[32], want[32], got[32];

	unhex(k, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba"
	         "449ac4");
	unhex(u, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0"
	         "ab1c4c");
	unhex(want, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b40755"
	            "77a28552");
	x25519(tls_ec(), got, k, u);
	cr_assert_arr_eq(got, want, 32);
}

Test(x25519, rfc7748_iterated)
{
	unsigned char k[32] = {9}, u[32] = {9}, r[32], after1[32],
	              after1000[32];

	unhex(after1, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e8"
	              "0311ae3079");
	unhex(after1000, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f"
	                 "2eb94d99532c51");
	for (int i = 1; i <= 1000; i++) {
		x25519(tls_ec(), r, k, u);
		memcpy(u, k, 32);
		memcpy(k, r, 32);
		if (i == 1)
			cr_assert_arr_eq(k, after1, 32);
	}
	cr_assert_arr_eq(k, after1000, 32);
}

Test(x25519, same_as_bearssl)
{
	const br_ec_impl *ours = tls_ec(), *ref = &br_ec_c25519_m31;

	for (int i = 0; i < 300; i++) {
		unsigned char g[32], a[32], b[32], k[32];
		size_t klen = i % 7 == 0 ? 1 + (size_t)i % 32 : 32;

		cr_assert_eq(getrandom(g, sizeof g, 0), 32);
		cr_assert_eq(getrandom(k, sizeof k, 0), 32);
		if (i % 5 == 0) /* a u at or above p, or with the top bit */
			memset(g + 1, 0xff, 31), g[0] |= 0xe0;
		memcpy(a, g, 32);
		memcpy(b, g, 32);
		cr_assert_eq(ours->mul(a, 32, k, klen, BR_EC_curve25519), 1);
		cr_assert_eq(ref->mul(b, 32, k, klen, BR_EC_curve25519), 1);
		cr_assert_arr_eq(a, b, 32, "round %d", i);
		cr_assert_eq(ours->mulgen(a, k, klen, BR_EC_curve25519), 32);
		cr_assert_eq(ref->mulgen(b, k, klen, BR_EC_curve25519), 32);
		cr_assert_arr_eq(a, b, 32, "mulgen, round %d", i);
	}
	{
		unsigned char g[33] = {0}, k[33] = {1};

		cr_assert_eq(ours->mul(g, 31, k, 1, BR_EC_curve25519), 0);
		cr_assert_eq(ours->mul(g, 32, k, 33, BR_EC_curve25519), 0);
	}
}

Test(x25519, other_curves_are_bearssl)
{
	const br_ec_impl *ours = tls_ec();
	unsigned char k[32], a[65], b[65];

	cr_assert_eq(ours->supported_curves, br_ec_all_m31.supported_curves);
	cr_assert_eq(getrandom(k, sizeof k, 0), 32);
	k[0] &= 0x7f; /* below the P-256 order */
	cr_assert_eq(ours->mulgen(a, k, 32, BR_EC_secp256r1), 65);
	cr_assert_eq(br_ec_all_m31.mulgen(b, k, 32, BR_EC_secp256r1), 65);
	cr_assert_arr_eq(a, b, 65);
	cr_assert_eq(ours->mul(a, 65, k, 32, BR_EC_secp256r1),
	             br_ec_all_m31.mul(b, 65, k, 32, BR_EC_secp256r1));
	cr_assert_arr_eq(a, b, 65);
}
