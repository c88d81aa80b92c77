/*
 * Server keypairs: a private key (skey.c) and its certificate chain
 * (chain.c) decoded together, checked to match, and freed.
 */
#include "keys_impl.h"

#include <stdlib.h>
#include <string.h>

/*
 * An RSA key matches when p*q is the certificate's modulus: that proves
 * the files belong together. (A private-key operation as a further check
 * would cost more than the handshake's own signature, on every
 * connection; a key whose other CRT values are corrupt makes clients
 * refuse its signatures.)
 */
static int rsa_match(const br_rsa_private_key *sk, const br_rsa_public_key *pk)
{
	unsigned char n[RSA_MAX_BYTES];
	size_t len = rsa_modulus(n, sk), nlen = pk->nlen;
	const unsigned char *pn = be_strip(pk->n, &nlen);

	return len && !be_cmp(n, len, pn, nlen);
}

static int ec_match(const br_ec_private_key *sk, const br_ec_public_key *pk,
                    const struct pubhint *hint)
{
	unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
	size_t len;

	if (sk->curve != pk->curve)
		return 0;
	if (hint->len)
		return hint->len == pk->qlen &&
		       !memcmp(hint->q, pk->q, pk->qlen);
	len = br_ec_compute_pub(br_ec_get_default(), NULL, q, sk);
	return len && len == pk->qlen && !memcmp(q, pk->q, len);
}

/* ee: the first certificate's decoder, as chain_decode left it */
static int keypair_match(const struct tls_keypair *kp,
                         const struct pubhint *hint,
                         br_x509_decoder_context *ee)
{
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(ee);

	if (!pk || pk->key_type != kp->key_type)
		return 0;
	if (kp->key_type == BR_KEYTYPE_RSA)
		return rsa_match(&kp->sk.rsa, &pk->key.rsa);
	return ec_match(&kp->sk.ec, &pk->key.ec, hint);
}

int keypair_decode(struct tls_keypair *kp, const struct blob *key,
                   const struct blob *chain, struct tls_err *e)
{
	struct pubhint hint = {.len = 0};
	br_x509_decoder_context ee;

	memset(kp, 0, sizeof *kp);
	if (key_decode(kp, key, e, &hint) < 0 ||
	    chain_decode(kp, chain, e, &ee) < 0)
		goto fail;
	if (!keypair_match(kp, &hint, &ee)) {
		tls_err_set(e, "KEYFILE %s and CERTFILE %s do not match",
		            key->path, chain->path);
		goto fail;
	}
	return 0;
fail:
	keypair_free(kp);
	return -1;
}

int keypair_load(struct tls_keypair *kp, const char *keyfile,
                 const char *certfile, struct tls_err *e)
{
	struct blob key, chain;
	int r;

	memset(kp, 0, sizeof *kp);
	if (blob_read(&key, keyfile, e) < 0)
		return -1;
	r = blob_read(&chain, certfile, e);
	if (!r)
		r = keypair_decode(kp, &key, &chain, e);
	blob_free(&key);
	blob_free(&chain);
	return r;
}

void keypair_free(struct tls_keypair *kp)
{
	if (kp->key_storage) {
		explicit_bzero(kp->key_storage, key_storage_len(kp));
		free(kp->key_storage);
	}
	free(kp->chain);
	explicit_bzero(kp, sizeof *kp);
}
