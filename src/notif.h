/*
 * The handshake notification block, written by s6-tlsd-io on its -d fd
 * and read by s6-tlsd.
 *
 * A block is a sequence of NUL-terminated entries followed by one extra
 * NUL (so it ends with two NULs). An entry is "NAME=value", or a bare
 * "NAME", which tells the reader to remove NAME from the environment.
 * Only the first '=' splits: a value may itself contain '='.
 * Entries, in this order: SSL_PROTOCOL, SSL_CIPHER, SSL_TLS_SNI_SERVERNAME,
 * SSL_PEER_CERT_HASH, SSL_PEER_CERT_SUBJECT, then SSL_ALPN only when ALPN
 * was configured.
 */
#ifndef TLSD_NOTIF_H
#define TLSD_NOTIF_H

#include <stddef.h>
#include <sys/types.h>

/* The largest block either side accepts, terminators included. */
#define NOTIF_MAX 4096

/* What the handshake established; NULL means "does not apply" (bare). */
struct notif_facts {
	const char *protocol;     /* "TLSv1.2" */
	const char *cipher;       /* OpenSSL-style suite name */
	const char *sni;          /* server name the client sent */
	const char *peer_hash;    /* "SHA256:<64 hex>" */
	const char *peer_subject; /* DN, already escaped */
	int alpn_configured;      /* emit SSL_ALPN at all */
	const char *alpn;         /* the agreed protocol */
};

/*
 * Writes the block for *f into buf. Returns its length (both final NULs
 * included), or -1 if it would not fit in cap or in NOTIF_MAX.
 */
ssize_t notif_build(char *buf, size_t cap, const struct notif_facts *f);

/*
 * Walks a received block of len bytes. The whole block is checked first,
 * so cb is never called for a block that turns out to be malformed. Then,
 * for each entry, calls cb(name, value, ctx) with value NULL for a bare
 * entry; name and value point into buf, which is modified (the first '='
 * of each entry becomes a NUL). Returns 0, or a negative code when the
 * block is malformed:
 * NOTIF_ETRUNC (no final double NUL), NOTIF_EBIG (longer than NOTIF_MAX),
 * NOTIF_ENAME (empty name or a name that is not [A-Z0-9_]+), NOTIF_EUNKNOWN
 * (a name that is not one of the entries above), NOTIF_ETRAIL (bytes after
 * the terminator), NOTIF_EDUP (the same name twice). A nonzero return
 * from cb stops the walk and is returned.
 */
enum {
	NOTIF_ETRUNC = -1,
	NOTIF_EBIG = -2,
	NOTIF_ENAME = -3,
	NOTIF_EUNKNOWN = -4,
	NOTIF_ETRAIL = -5,
	NOTIF_EDUP = -6,
};
int notif_parse(char *buf, size_t len,
                int (*cb)(const char *name, const char *value, void *ctx),
                void *ctx);

/* The i-th name a block may carry (in block order), NULL past the last. */
const char *notif_name(size_t i);

/* A one-line description of a notif_parse error code. */
const char *notif_strerror(int code);

#endif
