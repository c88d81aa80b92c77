/*
 * The keypairs a server may present: the default pair (KEYFILE/CERTFILE)
 * and pairs for server names (KEYFILE:x/CERTFILE:x), chosen by the name a
 * client asks for (SNI).
 *
 * Files are read when a pair is added, so that it can happen while
 * privileged; a pair is decoded only when a connection selects it, so
 * start-up cost does not grow with the number of names.
 */
#ifndef TLSD_KEYSET_H
#define TLSD_KEYSET_H

#include <stddef.h>

#include "keys.h"

struct tls_keyset_entry {
	char *name; /* NULL for the default pair */
	struct blob key, cert;
	struct tls_keypair kp;
	int decoded;
};

struct tls_keyset {
	struct tls_keyset_entry *e;
	size_t n;
	/* 0: only the default pair; 1: names, then the default pair for
	 * unknown or absent names; 2 and more: names only. */
	unsigned snilevel;
};

void tls_keyset_init(struct tls_keyset *ks, unsigned snilevel);

/* Reads keyfile and certfile for name (NULL: the default pair). Returns
 * 0, or -1 with e->msg naming the file or the bad name. */
int tls_keyset_add(struct tls_keyset *ks, const char *name, const char *keyfile,
                   const char *certfile, struct tls_err *e);

/*
 * Matches a server name against a pattern, case-insensitively. Returns 2
 * for an exact match, 1 when pattern is "*.rest" and name is exactly one
 * non-empty label followed by ".rest", 0 otherwise.
 */
int tls_sni_match(const char *pattern, const char *name);

/* Whether name is usable as a pattern: not empty, and a wildcard only as
 * the whole first label of a name with at least two more labels. */
int tls_sni_pattern_ok(const char *name);

/* The entry serving servername (NULL or "" when the client sent none):
 * an exact name, else a wildcard, else the default pair when snilevel
 * allows it. -1 when nothing serves it. */
int tls_keyset_select(const struct tls_keyset *ks, const char *servername);

/* Decodes entry i if not done yet. 0, or -1 with e->msg. */
int tls_keyset_decode(struct tls_keyset *ks, int i, struct tls_err *e);

void tls_keyset_free(struct tls_keyset *ks);

#endif
