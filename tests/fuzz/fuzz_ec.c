/*
 * fuzz_ec: crypto/x25519.c against BearSSL's own X25519 code
 * (br_ec_c25519_m31). Input: 32 bytes of point, then up to 32 bytes of
 * scalar (any length, zero included); mul and mulgen must answer alike.
 */
#include <stdint.h>
#include <string.h>

#include "ec.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char a[32], b[32];
	const br_ec_impl *ours = tls_ec(), *ref = &br_ec_c25519_m31;
	size_t klen;
	uint32_t ra, rb;

	if (size < 32)
		return 0;
	klen = size - 32 > 33 ? 33 : size - 32; /* 33: must be refused */
	memcpy(a, data, 32);
	memcpy(b, data, 32);
	ra = ours->mul(a, 32, data + 32, klen, BR_EC_curve25519);
	rb = ref->mul(b, 32, data + 32, klen, BR_EC_curve25519);
	FUZZ_CHECK(ra == rb, "mul: %u vs %u", ra, rb);
	if (ra)
		FUZZ_CHECK(!memcmp(a, b, 32), "mul differs (klen %zu)", klen);
	if (klen <= 32) {
		size_t na = ours->mulgen(a, data + 32, klen, BR_EC_curve25519);
		size_t nb = ref->mulgen(b, data + 32, klen, BR_EC_curve25519);

		FUZZ_CHECK(na == nb && !memcmp(a, b, na), "mulgen differs");
	}
	return 0;
}
