/* The elliptic-curve code the engine uses: BearSSL's br_ec_all_m31, with
 * X25519 in 64-bit arithmetic (x25519.c). */
#ifndef TLSD_EC_H
#define TLSD_EC_H

#include <bearssl.h>

const br_ec_impl *tls_ec(void);

#define TLS_EC_CURVES                                                          \
	((uint32_t)1 << BR_EC_secp256r1 | (uint32_t)1 << BR_EC_secp384r1 |     \
	 (uint32_t)1 << BR_EC_secp521r1 | (uint32_t)1 << BR_EC_curve25519)

#endif
