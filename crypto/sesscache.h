/*
 * A session cache that many processes share: BearSSL's session cache
 * class over a region of memory that each process maps from one file
 * (src/sessfile.c opens and maps it; nothing here does I/O).
 *
 * The region is a header and a table of fixed-size slots, grouped in
 * buckets of TLS_SESSCACHE_WAYS by the first bytes of the session ID
 * (random: the engine makes them). No lock is ever held across a system
 * call, and none survives its holder:
 *   - a writer takes a slot by moving its sequence number from even to
 *     odd with a compare-and-swap, fills it, and makes it even again; a
 *     slot left odd for TLS_SESSCACHE_STALE_S seconds (its writer died)
 *     can be taken over;
 *   - a reader copies a slot and keeps the copy only when the sequence
 *     number was even and unchanged around the copy, and the copy's
 *     checksum (SHA-256 over the slot's contents) holds: a torn, half
 *     written or corrupted slot reads as a miss, never as a session.
 *
 * A session is resumed only when, besides its ID: it is younger than the
 * lifetime; the client asks for the same server name (RFC 6066); its
 * suite is one this server offers now; the client certificate mode (-Y,
 * -y or none) is the one it was made under, and with -y it carried a
 * valid certificate. The entry keeps what the notification reports about
 * the client's certificate, so a resumed connection tells the app the
 * same SSL_PEER_* facts as the full handshake did.
 */
#ifndef TLSD_SESSCACHE_H
#define TLSD_SESSCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <bearssl.h>

#include "hello.h"
#include "peercert.h"
#include "suites.h"

#define TLS_SESSCACHE_SLOTS 4096
#define TLS_SESSCACHE_WAYS 4
#define TLS_SESSCACHE_STALE_S 5
/* Formatted client subjects longer than this are not cached (such a
 * session is simply never resumed). */
#define TLS_SESSCACHE_SUBJECT_MAX 512
#define TLS_SESSCACHE_LIFETIME_DEFAULT 300
#define TLS_SESSCACHE_LIFETIME_MAX 86400

/* What a resumed connection reports, as its full handshake did. */
struct tls_sesscache_facts {
	char sni[TLS_HELLO_NAME_MAX + 1];
	char peer_hash[72];                           /* "": no valid cert */
	char peer_subject[TLS_SESSCACHE_SUBJECT_MAX]; /* "": none */
	int subject_ok; /* peer_subject is the subject */
};

struct tls_sesscache {
	const br_ssl_session_cache_class *vtable; /* first: BearSSL's */
	unsigned char *region;
	uint32_t lifetime;
	int64_t (*now)(void); /* ms; CLOCK_REALTIME unless a test's */
	/* The connection's set-up (tls_sesscache_bind). */
	int client_auth;
	const struct tls_peercert *peer;
	uint16_t suites[TLS_SUITES_MAX];
	size_t nsuites;
	/* The connection's outcome. */
	int loaded; /* load() found a session (the engine may still decline) */
	int saved;  /* save() stored this connection's session */
	unsigned char loaded_id[32];
	struct tls_sesscache_facts facts; /* the loaded session's */
};

/* The header's size, then the size of a region (and of the file). */
#define TLS_SESSCACHE_HEADER_SIZE 64
size_t tls_sesscache_size(void);

/* Writes an empty table's header into a zeroed region of that size. */
void tls_sesscache_format(void *region);

/*
 * Sets c up over region (len bytes, shared) with lifetime seconds.
 * Returns 0, or -1 with *why set (a static string) when the region is not
 * a table of this version and geometry.
 */
int tls_sesscache_attach(struct tls_sesscache *c, void *region, size_t len,
                         uint32_t lifetime, const char **why);

/* The connection's policy: its client certificate mode, the validator
 * whose facts a new session keeps (NULL without client certificates), the
 * suites offered. Called by tls_server_init. */
void tls_sesscache_bind(struct tls_sesscache *c, int client_auth,
                        const struct tls_peercert *peer, const uint16_t *suites,
                        size_t n);

/* For br_ssl_server_set_cache. */
const br_ssl_session_cache_class **
tls_sesscache_vtable(struct tls_sesscache *c);

/* Once the handshake is complete: 1 if it resumed a cached session (its
 * facts are then in c->facts), else 0. */
int tls_sesscache_resumed(const struct tls_sesscache *c,
                          const br_ssl_engine_context *eng);

#endif
