/*
 * The TLS server engine: BearSSL's server context set up with this
 * project's policy (TLS 1.2 only, forward-secret suites only, server
 * preference, no renegotiation) and the caller's keypair.
 *
 * The engine does no I/O: ring/ moves its bytes.
 */
#ifndef TLSD_SERVER_H
#define TLSD_SERVER_H

#include <bearssl.h>

#include "keys.h"

struct tls_server {
	br_ssl_server_context sc;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

/*
 * Sets up s to serve with kp, which must outlive s. Seeds the engine from
 * getrandom(2). Returns 0, -1 with e->msg set when the engine cannot be
 * set up, or -2 with e->msg set when getrandom failed (a system error).
 */
int tls_server_init(struct tls_server *s, const struct tls_keypair *kp,
		    struct tls_err *e);

static inline br_ssl_engine_context *tls_server_engine(struct tls_server *s)
{
	return &s->sc.eng;
}

/* What a completed handshake established, as strings for the notification. */
struct tls_session_info {
	const char *protocol; /* "TLSv1.2" */
	const char *cipher;   /* OpenSSL-style name */
	const char *sni;      /* NULL when the client sent none */
};

void tls_server_session_info(const struct tls_server *s,
			     struct tls_session_info *out);

#endif
