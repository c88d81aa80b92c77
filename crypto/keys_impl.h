/*
 * Private to the keypair code (blob.c, skey.c, chain.c, keys.c): what
 * these files share. Everyone else uses keys.h.
 */
#ifndef TLSD_KEYS_IMPL_H
#define TLSD_KEYS_IMPL_H

#include "keys.h"
#include "ecpub.h"
#include "pem.h"

#include <stddef.h>

#define RSA_MAX_BYTES 512 /* BearSSL: 4096-bit moduli at most */

/* For messages: " (found NAME)" naming a PEM file's first object. */
#define FOUND(pf)                                                              \
	(pf)->n ? " (found " : "", (pf)->n ? (pf)->obj[0].name : "",           \
	    (pf)->n ? ")" : ""

/*
 * The public point an EC key file carries (OpenSSL always writes it):
 * comparing it with the certificate's finds mismatched files without a
 * scalar multiplication, which cost a fifth of a connection's
 * instructions. Without it, the point is computed.
 */
struct pubhint {
	unsigned char q[ECPUB_MAX];
	size_t len;
};

/* blob.c: PEM in a file read whole */
int is_pem(const struct blob *b);
int pem_parse(struct pem_file *pf, const struct blob *b, const char *what,
              struct tls_err *e);

/* skey.c: private keys */
const unsigned char *be_strip(const unsigned char *a, size_t *len);
int be_cmp(const unsigned char *a, size_t alen, const unsigned char *b,
           size_t blen);
size_t key_storage_len(const struct tls_keypair *kp);
unsigned char *copy_elt(unsigned char **dst, const unsigned char *src,
                        size_t len);
size_t rsa_modulus(unsigned char *n, const br_rsa_private_key *sk);
int der_is_key(const unsigned char *der, size_t len);
int key_decode(struct tls_keypair *kp, const struct blob *key,
               struct tls_err *e, struct pubhint *hint);

/* rsakey.c: 1 and *sk (pointing into der) for a plain PKCS#1 or PKCS#8
 * RSA key, 0 for anything else (BearSSL's decoder then decides) */
int rsa_der_decode(const unsigned char *der, size_t len,
                   br_rsa_private_key *sk);

/* chain.c: certificate chains */
int der_is_cert(const unsigned char *der, size_t len);
/* On success, ee holds the first certificate's decoder (its public key). */
int chain_decode(struct tls_keypair *kp, const struct blob *chain,
                 struct tls_err *e, br_x509_decoder_context *ee);

#endif
