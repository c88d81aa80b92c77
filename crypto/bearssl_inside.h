/*
 * The only code that touches fields bearssl_ssl.h calls opaque.
 *
 * BearSSL 0.6 (Debian 12's libbearssl) has no public call for what these
 * do; each is named for its one use and says why. They are gathered here
 * so that a new BearSSL is checked in one file: test_sesscache drives
 * the real server engine through all of them (seeding, the policy's
 * choice, the cache's look-up), test_pump and the end-to-end suites too.
 */
#ifndef TLSD_BEARSSL_INSIDE_H
#define TLSD_BEARSSL_INSIDE_H

#include <stddef.h>
#include <stdint.h>
#include <bearssl.h>

/*
 * policy.c: the server context a policy's choose() is handed as const.
 * The engine passes it const only to discourage changes; choose() must
 * reorder the common suites (server preference with an exception for
 * ChaCha20-first clients) and install the chosen keypair's handler, which
 * replaces the context's policy pointer.
 */
br_ssl_server_context *tls_inside_server(const br_ssl_server_context *cc);

/* policy.c: the suites both sides support, in the client's order, as
 * BearSSL translated them: s[i][0] the suite, s[i][1] its elements. */
void tls_inside_client_suites(br_ssl_server_context *sc, uint16_t (**s)[2],
                              size_t *n);

/* policy.c: the policy handler the engine will call for the signature
 * (after tls_policy_set_keypair, the single-keypair handler). */
const br_ssl_server_policy_class **
tls_inside_policy(const br_ssl_server_context *sc);

/*
 * entropy.c: marks OS seeding as done. Left undone, BearSSL adds its
 * system seeder at the first handshake: CPUID for RDRAND, then RDRAND,
 * both trapping under a hypervisor (about 25 µs per connection measured).
 * The caller has injected 32 bytes from getrandom(2) first, the seed the
 * system seeder would otherwise fall back to.
 */
void tls_inside_skip_os_seeding(br_ssl_engine_context *eng);

/*
 * hello.c: the handshake bytes of the record being read. While the
 * engine parses a ClientHello, next points at its first unread byte and
 * left counts those remaining in the record; buf and len bound the
 * engine's input buffer, which the caller must not read beyond.
 */
struct tls_inside_input {
	const unsigned char *next, *buf;
	size_t left, len;
};
void tls_inside_handshake_input(const br_ssl_engine_context *eng,
                                struct tls_inside_input *in);

#endif
