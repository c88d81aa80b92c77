/*
 * Private keys: decoding a DER or PEM key file with BearSSL into a
 * keypair's own copy of the key, after checking that the key is usable.
 */
#include "keys_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int be_is_zero(const unsigned char *a, size_t len)
{
	unsigned char acc = 0;

	while (len--)
		acc |= *a++;
	return acc == 0;
}

/* Strips leading zero bytes of a big-endian integer. */
const unsigned char *be_strip(const unsigned char *a, size_t *len)
{
	while (*len && !*a) {
		a++;
		(*len)--;
	}
	return a;
}

/* Compares two unsigned big-endian integers: <0, 0, >0. */
int be_cmp(const unsigned char *a, size_t alen, const unsigned char *b,
           size_t blen)
{
	a = be_strip(a, &alen);
	b = be_strip(b, &blen);
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return alen ? memcmp(a, b, alen) : 0;
}

size_t key_storage_len(const struct tls_keypair *kp)
{
	const br_rsa_private_key *r = &kp->sk.rsa;

	if (kp->key_type == BR_KEYTYPE_EC)
		return kp->sk.ec.xlen;
	return r->plen + r->qlen + r->dplen + r->dqlen + r->iqlen;
}

unsigned char *copy_elt(unsigned char **dst, const unsigned char *src,
                        size_t len)
{
	unsigned char *p = *dst;

	memcpy(p, src, len);
	*dst += len;
	return p;
}

/*
 * p*q into n (RSA_MAX_BYTES), or its length if n is NULL; 0 on failure.
 * BearSSL 0.6's i31 code (the default) gives up on 4096-bit keys.
 */
size_t rsa_modulus(unsigned char *n, const br_rsa_private_key *sk)
{
	size_t len = br_rsa_compute_modulus_get_default()(n, sk);

	if (!len)
		len = br_rsa_i15_compute_modulus(n, sk);
	return len <= RSA_MAX_BYTES ? len : 0;
}

/* Checks that n_bitlen agrees with p*q, so the engine's sizes hold. */
static int rsa_check(const br_rsa_private_key *sk)
{
	unsigned char n[RSA_MAX_BYTES];
	size_t len = rsa_modulus(NULL, sk);
	const unsigned char *p;
	unsigned top, bits;

	if (!len || rsa_modulus(n, sk) != len)
		return -1;
	p = be_strip(n, &len);
	if (!len)
		return -1;
	for (top = p[0], bits = 8 * (unsigned)len; !(top & 0x80); top <<= 1)
		bits--;
	return bits == sk->n_bitlen ? 0 : -1;
}

static int rsa_copy(struct tls_keypair *kp, const br_rsa_private_key *sk,
                    const char *path, struct tls_err *e)
{
	br_rsa_private_key *d = &kp->sk.rsa;
	unsigned char *p;

	if (rsa_check(sk) < 0) {
		tls_err_set(e, "KEYFILE %s: invalid or unsupported RSA key",
		            path);
		return -1;
	}
	kp->key_type = BR_KEYTYPE_RSA;
	*d = *sk;
	p = kp->key_storage = malloc(key_storage_len(kp) + 1);
	if (!p) {
		tls_err_set(e, "KEYFILE %s: %s", path, strerror(ENOMEM));
		return -1;
	}
	d->p = copy_elt(&p, sk->p, sk->plen);
	d->q = copy_elt(&p, sk->q, sk->qlen);
	d->dp = copy_elt(&p, sk->dp, sk->dplen);
	d->dq = copy_elt(&p, sk->dq, sk->dqlen);
	d->iq = copy_elt(&p, sk->iq, sk->iqlen);
	return 0;
}

static int ec_curve_ok(int curve)
{
	const br_ec_impl *ec = br_ec_get_default();

	if (curve != BR_EC_secp256r1 && curve != BR_EC_secp384r1 &&
	    curve != BR_EC_secp521r1)
		return 0;
	return (ec->supported_curves >> curve) & 1;
}

static int ec_copy(struct tls_keypair *kp, const br_ec_private_key *sk,
                   const char *path, struct tls_err *e)
{
	const unsigned char *order;
	size_t olen;

	if (!ec_curve_ok(sk->curve)) {
		tls_err_set(e,
		            "KEYFILE %s: unsupported EC curve (BearSSL id %d); "
		            "use P-256, P-384 or P-521",
		            path, sk->curve);
		return -1;
	}
	order = br_ec_get_default()->order(sk->curve, &olen);
	if (be_is_zero(sk->x, sk->xlen) ||
	    be_cmp(sk->x, sk->xlen, order, olen) >= 0) {
		tls_err_set(e, "KEYFILE %s: invalid EC private key", path);
		return -1;
	}
	kp->key_type = BR_KEYTYPE_EC;
	kp->sk.ec = *sk;
	kp->key_storage = malloc(sk->xlen);
	if (!kp->key_storage) {
		tls_err_set(e, "KEYFILE %s: %s", path, strerror(ENOMEM));
		return -1;
	}
	memcpy(kp->key_storage, sk->x, sk->xlen);
	kp->sk.ec.x = kp->key_storage;
	return 0;
}

int der_is_key(const unsigned char *der, size_t len)
{
	br_skey_decoder_context dc;
	int r;

	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	r = br_skey_decoder_last_error(&dc) == 0;
	explicit_bzero(&dc, sizeof dc);
	return r;
}

/* Does the DER hold an EC OID (id-ecPublicKey, or a named curve's arc)? */
static int der_has_ec_oid(const unsigned char *der, size_t len)
{
	static const unsigned char ecpk[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 2};
	static const unsigned char x962[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 3};
	static const unsigned char secg[] = {0x2b, 0x81, 0x04, 0x00};

	return memmem(der, len, ecpk, sizeof ecpk) ||
	       memmem(der, len, x962, sizeof x962) ||
	       memmem(der, len, secg, sizeof secg);
}

static void skey_fail(int err, const unsigned char *der, size_t len,
                      const char *path, struct tls_err *e)
{
	if (der_is_cert(der, len))
		tls_err_set(e, "KEYFILE %s: a certificate, not a private key",
		            path);
	else if (der_has_ec_oid(der, len))
		tls_err_set(e,
		            "KEYFILE %s: invalid or unsupported EC private key "
		            "(only P-256, P-384 and P-521; BearSSL error %d)",
		            path, err);
	else
		tls_err_set(
		    e, "KEYFILE %s: invalid private key (BearSSL error %d)",
		    path, err);
}

/*
 * Decodes a DER private key into kp (key_type, sk, key_storage) and, for
 * an EC key, the public point its file carries into hint.
 */
static int skey_load(struct tls_keypair *kp, const unsigned char *der,
                     size_t len, const char *path, struct tls_err *e,
                     struct pubhint *hint)
{
	br_skey_decoder_context dc;
	br_rsa_private_key rsa;
	int err, r = -1;

	if (rsa_der_decode(der, len, &rsa))
		return rsa_copy(kp, &rsa, path, e);
	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	err = br_skey_decoder_last_error(&dc);
	if (err)
		skey_fail(err, der, len, path, e);
	else if (br_skey_decoder_key_type(&dc) == BR_KEYTYPE_RSA)
		r = rsa_copy(kp, br_skey_decoder_get_rsa(&dc), path, e);
	else if (br_skey_decoder_key_type(&dc) == BR_KEYTYPE_EC) {
		r = ec_copy(kp, br_skey_decoder_get_ec(&dc), path, e);
		hint->len = ecpub_find(der, len, hint->q);
	} else
		tls_err_set(e, "KEYFILE %s: unsupported key type", path);
	explicit_bzero(&dc, sizeof dc);
	return r;
}

static int is_key_name(const char *name)
{
	return !strcmp(name, "PRIVATE KEY") ||
	       !strcmp(name, "RSA PRIVATE KEY") ||
	       !strcmp(name, "EC PRIVATE KEY");
}

/* Finds the one private key object of a PEM file. */
static const struct pem_obj *pem_find_key(const struct pem_file *pf,
                                          const char *path, struct tls_err *e)
{
	const struct pem_obj *key = NULL;
	size_t i;

	for (i = 0; i < pf->n; i++) {
		if (!strcmp(pf->obj[i].name, "ENCRYPTED PRIVATE KEY")) {
			tls_err_set(e,
			            "KEYFILE %s: encrypted private keys are "
			            "not supported",
			            path);
			return NULL;
		}
		if (is_key_name(pf->obj[i].name) && key) {
			tls_err_set(e, "KEYFILE %s: more than one private key",
			            path);
			return NULL;
		}
		if (is_key_name(pf->obj[i].name))
			key = &pf->obj[i];
	}
	if (!key)
		tls_err_set(e, "KEYFILE %s: no private key found%s%s%s", path,
		            FOUND(pf));
	return key;
}

/*
 * Decodes a key file (DER, or PEM holding one private key) into kp, and
 * into hint the public point an EC key file carries.
 */
int key_decode(struct tls_keypair *kp, const struct blob *key,
               struct tls_err *e, struct pubhint *hint)
{
	const struct pem_obj *o;
	struct pem_file pf;
	int r;

	if (!key->len) {
		tls_err_set(e, "KEYFILE %s: empty file", key->path);
		return -1;
	}
	if (!is_pem(key))
		return skey_load(kp, key->data, key->len, key->path, e, hint);
	if (memmem(key->data, key->len, "Proc-Type: 4,ENCRYPTED", 22)) {
		tls_err_set(e,
		            "KEYFILE %s: encrypted private keys are not "
		            "supported",
		            key->path);
		return -1;
	}
	if (pem_parse(&pf, key, "KEYFILE", e) < 0)
		return -1;
	o = pem_find_key(&pf, key->path, e);
	r = o ? skey_load(kp, pf.buf + o->off, o->len, key->path, e, hint) : -1;
	pem_free(&pf);
	return r;
}
