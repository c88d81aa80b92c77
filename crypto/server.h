/*
 * The TLS server engine: BearSSL's server context set up with this
 * project's policy (TLS 1.2 only, forward-secret suites only, server
 * preference, no renegotiation), keypairs chosen by SNI, optional client
 * certificates, and ALPN.
 *
 * The engine does no I/O: ring/ moves its bytes.
 */
#ifndef TLSD_SERVER_H
#define TLSD_SERVER_H

#include <bearssl.h>

#include "anchors.h"
#include "keys.h"
#include "keyset.h"
#include "peercert.h"
#include "policy.h"
#include "sesscache.h"

struct tls_server_config {
	struct tls_keyset *keys;
	int client_auth;                   /* 0 none, 1 optional, 2 required */
	const struct tls_anchors *anchors; /* with client_auth */
	const char **alpn;                 /* protocols, in preference order */
	size_t alpn_num;                   /* 0: no ALPN */
	int alpn_strict;                   /* no common protocol: fail */
	int legacy_suites;                 /* also offer ECDHE AES-CBC */
	struct tls_sesscache *cache;       /* NULL: no session resumption */
};

struct tls_server {
	br_ssl_server_context sc;
	struct tls_policy policy;
	struct tls_peercert peer;
	int client_auth;
	struct tls_sesscache *cache;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

/* What tls_server_init says; src/outcome.c maps it to an exit code. */
enum tls_server_status {
	TLS_SERVER_OK = 0,
	TLS_SERVER_ENGINE_FAILED = -1, /* BearSSL refused the set-up */
	TLS_SERVER_NO_RANDOM = -2,     /* getrandom failed: a system error */
	TLS_SERVER_BAD_KEYPAIR = -3,   /* the only keypair does not decode */
};

/*
 * Sets up s for cfg, which must outlive s. Seeds the engine from
 * getrandom(2). On failure e->msg says why, in one line.
 */
enum tls_server_status tls_server_init(struct tls_server *s,
                                       const struct tls_server_config *cfg,
                                       struct tls_err *e);

static inline br_ssl_engine_context *tls_server_engine(struct tls_server *s)
{
	return &s->sc.eng;
}

/* When the handshake failed because the keypair a client's name selected
 * could not be decoded: the message (naming the file); else NULL. */
const char *tls_server_config_error(const struct tls_server *s);

/* When the handshake failed because no keypair serves the name the client
 * sent (-k 2): that name, "" if it sent none; else NULL. */
const char *tls_server_unmatched_name(const struct tls_server *s);

/* What a completed handshake established, for the notification. */
struct tls_session_info {
	const char *protocol;     /* "TLSv1.2" */
	const char *cipher;       /* OpenSSL-style name */
	const char *sni;          /* NULL when the client sent none */
	const char *alpn;         /* NULL when none was agreed */
	const char *peer_hash;    /* "SHA256:<hex>", NULL: no valid cert */
	const char *peer_subject; /* formatted DN, NULL: none */
	char hash_buf[72];
	char subject_buf[1024];
};

/* With client certificates, a resumed session reports the facts its
 * full handshake established (kept in the cache), not this handshake's. */
void tls_server_session_info(struct tls_server *s,
                             struct tls_session_info *out);

/* Once the handshake is complete: 1 if it resumed a cached session. */
int tls_server_resumed(const struct tls_server *s);

#endif
