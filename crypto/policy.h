/*
 * The server's policy handler: picks the keypair for the name the client
 * asked for (SNI), decodes it if needed, puts the common suites in the
 * server's order (tls_suites_order), and hands the rest of the choice
 * (suite, signature hash) to BearSSL's single-keypair handler.
 */
#ifndef TLSD_POLICY_H
#define TLSD_POLICY_H

#include <bearssl.h>

#include "keyset.h"

struct tls_policy {
	const br_ssl_server_policy_class *vtable;
	struct tls_keyset *keys;
	int chosen;        /* the entry chosen, -1 before the handshake */
	int aes_hw;        /* AES-GCM before ChaCha20 in our preference */
	int decode_failed; /* the chosen entry's files did not decode */
	int no_match;      /* no keypair serves the client's name */
	struct tls_err err;
};

void tls_policy_init(struct tls_policy *p, struct tls_keyset *keys);

/* Installs keypair kp as the server's single keypair: used for keys
 * known before the handshake too. Its key signs only (ECDHE). */
void tls_policy_set_keypair(br_ssl_server_context *sc,
                            const struct tls_keypair *kp);

#endif
