/* The cipher suites this server offers, and their names. */
#ifndef TLSD_SUITES_H
#define TLSD_SUITES_H

#include <stddef.h>
#include <stdint.h>

/*
 * Fills out (room for at least TLS_SUITES_MAX) with the suites to offer, in
 * server preference order, and returns their count. AEAD first: AES-GCM
 * ahead of ChaCha20-Poly1305 when aes_hw (AES-NI and PCLMULQDQ usable),
 * else ChaCha20 first; then, only when legacy, ECDHE with AES-CBC (for old
 * TLS 1.2 clients: CBC's MAC-then-encrypt is what LUCKY13 attacks). ECDHE
 * only: no static RSA or ECDH key exchange, no 3DES, no RC4, no NULL.
 */
#define TLS_SUITES_MAX 16
size_t tls_suites_select(uint16_t *out, int aes_hw, int legacy);

/*
 * Orders the suites a client offered (s, n: BearSSL's translated common
 * suites, in the client's order) by the server's preference for aes_hw,
 * with one exception: when the client's own first choice is
 * ChaCha20-Poly1305 (a client without AES hardware says so), the ChaCha20
 * suites go first. Stable; in place.
 */
void tls_suites_order(uint16_t (*s)[2], size_t n, int aes_hw);

/* Whether BearSSL's AES-NI and PCLMUL code can run on this CPU. */
int tls_suites_aes_hw(void);

/* The OpenSSL-style name of a suite ("ECDHE-RSA-AES128-GCM-SHA256"), or
 * NULL when the suite is not one of ours. */
const char *tls_suite_name(uint16_t id);

/* A one-line description of a BearSSL error code (br_ssl_engine_last_error),
 * including received and sent alerts. Returns a static string. */
const char *tls_strerror(int err);

#endif
