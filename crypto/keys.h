/*
 * Server keypairs: a private key and its certificate chain.
 *
 * Reading and decoding are separate steps so that files can be read while
 * privileged and decoded later (for SNI, only the keypair a client's name
 * selects is decoded). Every error leaves a one-line message, naming the
 * file, in a struct tls_err.
 */
#ifndef TLSD_KEYS_H
#define TLSD_KEYS_H

#include <stddef.h>
#include <bearssl.h>

struct tls_err {
	char msg[320];
};

/* Formats a message into e (if not NULL), and keeps it on one line
 * whatever a path in it holds: control characters become '?'. */
void tls_err_set(struct tls_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A file's bytes, read whole; blob_free wipes them (keys live here). */
struct blob {
	unsigned char *data;
	size_t len;
	const char *path; /* for messages; not owned */
};

/*
 * Reads path whole (at most 1 MiB; an empty file is read fine, decoding
 * refuses it). 0, or -1 with e->msg set ("unable to read /path: ...") and
 * nothing to free.
 */
int blob_read(struct blob *b, const char *path, struct tls_err *e);
void blob_free(struct blob *b);

struct tls_keypair {
	int key_type; /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	union {
		br_rsa_private_key rsa;
		br_ec_private_key ec;
	} sk;
	/* leaf first; one owned block: the array, then the DER copies */
	br_x509_certificate *chain;
	size_t chain_len;
	/* owned copy of the key elements sk points to; wiped when freed */
	unsigned char *key_storage;
};

/*
 * Decodes a private key (DER or PEM; RSA PKCS#1 or PKCS#8; EC SEC1 or
 * PKCS#8 on P-256, P-384, P-521) and a certificate chain (DER: one
 * certificate; PEM: one or more CERTIFICATE objects, leaf first), and
 * checks that the key matches the leaf's public key. 0, or -1 with e->msg
 * naming the file at fault ("KEYFILE /path: no private key found", ...).
 * Encrypted keys are refused. On error, kp needs no keypair_free.
 */
int keypair_decode(struct tls_keypair *kp, const struct blob *key,
                   const struct blob *chain, struct tls_err *e);

/* Reads and decodes in one step. On error, kp needs no keypair_free. */
int keypair_load(struct tls_keypair *kp, const char *keyfile,
                 const char *certfile, struct tls_err *e);

/* Wipes and frees; kp is left zeroed, so freeing twice is harmless. */
void keypair_free(struct tls_keypair *kp);

#endif
