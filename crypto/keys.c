/*
 * Server keypairs: reading files, decoding PEM/DER private keys and
 * certificate chains with BearSSL, and checking that they match.
 */
#include "keys.h"
#include "ecpub.h"
#include "pem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOB_MAX (1024 * 1024)
#define RSA_MAX_BYTES 512 /* BearSSL: 4096-bit moduli at most */

void tls_err_set(struct tls_err *e, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	for (p = e->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* ---- files ---- */

/* Moves b->data to a larger buffer, wiping the old one. */
static int blob_grow(struct blob *b, size_t *cap)
{
	size_t ncap = *cap * 2 > BLOB_MAX + 1 ? BLOB_MAX + 1 : *cap * 2;
	unsigned char *p = malloc(ncap);

	if (!p)
		return ENOMEM;
	memcpy(p, b->data, b->len);
	explicit_bzero(b->data, *cap);
	free(b->data);
	b->data = p;
	*cap = ncap;
	return 0;
}

/* Reads fd to its end into b. 0, or an errno value (EFBIG: too large). */
static int blob_read_fd(struct blob *b, int fd)
{
	struct stat st;
	size_t cap = 4096;
	ssize_t r;

	if (fstat(fd, &st) < 0)
		return errno;
	if (S_ISREG(st.st_mode) && st.st_size > BLOB_MAX)
		return EFBIG;
	if (S_ISREG(st.st_mode))
		cap = (size_t)st.st_size + 1;
	b->data = malloc(cap);
	if (!b->data)
		return ENOMEM;
	for (;;) {
		if (b->len == cap && cap > BLOB_MAX)
			return EFBIG;
		if (b->len == cap && blob_grow(b, &cap))
			return ENOMEM;
		r = read(fd, b->data + b->len, cap - b->len);
		if (r == 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return errno;
		if (r > 0)
			b->len += (size_t)r;
	}
}

int blob_read(struct blob *b, const char *path, struct tls_err *e)
{
	int fd, err;

	b->data = NULL;
	b->len = 0;
	b->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		tls_err_set(e, "unable to read %s: %s", path, strerror(errno));
		return -1;
	}
	err = blob_read_fd(b, fd);
	close(fd);
	if (!err)
		return 0;
	blob_free(b);
	b->path = path;
	if (err == EFBIG)
		tls_err_set(e, "unable to read %s: file larger than 1 MiB",
		            path);
	else
		tls_err_set(e, "unable to read %s: %s", path, strerror(err));
	return -1;
}

void blob_free(struct blob *b)
{
	if (b->data) {
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
}

/* ---- PEM ---- */

/* For messages: " (found NAME)" naming a PEM file's first object. */
#define FOUND(pf)                                                              \
	(pf)->n ? " (found " : "", (pf)->n ? (pf)->obj[0].name : "",           \
	    (pf)->n ? ")" : ""

static int is_pem(const struct blob *b)
{
	return pem_detect(b->data, b->len);
}

/* Decodes every object of a PEM file. what: "KEYFILE" or "CERTFILE". */
static int pem_parse(struct pem_file *pf, const struct blob *b,
                     const char *what, struct tls_err *e)
{
	const char *bad = pem_decode(pf, b->data, b->len);

	if (!bad)
		return 0;
	tls_err_set(e, "%s %s: %s", what, b->path, bad);
	return -1;
}

#define pem_file_free pem_free

/* ---- private keys ---- */

static int be_is_zero(const unsigned char *a, size_t len)
{
	unsigned char acc = 0;

	while (len--)
		acc |= *a++;
	return acc == 0;
}

/* Strips leading zero bytes of a big-endian integer. */
static const unsigned char *be_strip(const unsigned char *a, size_t *len)
{
	while (*len && !*a) {
		a++;
		(*len)--;
	}
	return a;
}

/* Compares two unsigned big-endian integers: <0, 0, >0. */
static int be_cmp(const unsigned char *a, size_t alen, const unsigned char *b,
                  size_t blen)
{
	a = be_strip(a, &alen);
	b = be_strip(b, &blen);
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return alen ? memcmp(a, b, alen) : 0;
}

static size_t key_storage_len(const struct tls_keypair *kp)
{
	const br_rsa_private_key *r = &kp->sk.rsa;

	if (kp->key_type == BR_KEYTYPE_EC)
		return kp->sk.ec.xlen;
	return r->plen + r->qlen + r->dplen + r->dqlen + r->iqlen;
}

static unsigned char *copy_elt(unsigned char **dst, const unsigned char *src,
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
static size_t rsa_modulus(unsigned char *n, const br_rsa_private_key *sk)
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

static int der_is_cert(const unsigned char *der, size_t len)
{
	br_x509_decoder_context xc;

	br_x509_decoder_init(&xc, NULL, NULL);
	br_x509_decoder_push(&xc, der, len);
	return br_x509_decoder_last_error(&xc) == 0;
}

static int der_is_key(const unsigned char *der, size_t len)
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

/* Decodes a DER private key into kp (key_type, sk, key_storage). */
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

static int skey_load(struct tls_keypair *kp, const unsigned char *der,
                     size_t len, const char *path, struct tls_err *e,
                     struct pubhint *hint)
{
	br_skey_decoder_context dc;
	int err, r = -1;

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

static int key_decode(struct tls_keypair *kp, const struct blob *key,
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
	pem_file_free(&pf);
	return r;
}

/* ---- certificate chains ---- */

static int is_cert_name(const char *name)
{
	return !strcmp(name, "CERTIFICATE") ||
	       !strcmp(name, "X509 CERTIFICATE");
}

/* Copies the certificates of pf into one block: the array, then DER. */
static int chain_copy(struct tls_keypair *kp, const struct pem_file *pf)
{
	size_t i, n = 0, total = 0;
	unsigned char *p;

	for (i = 0; i < pf->n; i++)
		if (is_cert_name(pf->obj[i].name)) {
			n++;
			total += pf->obj[i].len;
		}
	if (!n)
		return 0;
	kp->chain = malloc(n * sizeof *kp->chain + total);
	if (!kp->chain)
		return -1;
	p = (unsigned char *)(kp->chain + n);
	for (i = 0; i < pf->n; i++)
		if (is_cert_name(pf->obj[i].name)) {
			kp->chain[kp->chain_len].data = p;
			kp->chain[kp->chain_len++].data_len = pf->obj[i].len;
			copy_elt(&p, pf->buf + pf->obj[i].off, pf->obj[i].len);
		}
	return 0;
}

/* Every certificate must decode; a lone DER key gets a clearer word. */
static int chain_check(const struct tls_keypair *kp, int der, const char *path,
                       struct tls_err *e)
{
	br_x509_decoder_context xc;
	const br_x509_certificate *c;
	size_t i;
	int err;

	for (i = 0; i < kp->chain_len; i++) {
		c = &kp->chain[i];
		br_x509_decoder_init(&xc, NULL, NULL);
		br_x509_decoder_push(&xc, c->data, c->data_len);
		err = br_x509_decoder_last_error(&xc);
		if (err && der && der_is_key(c->data, c->data_len))
			tls_err_set(e,
			            "CERTFILE %s: a private key, not a "
			            "certificate",
			            path);
		else if (err)
			tls_err_set(e,
			            "CERTFILE %s: certificate %zu: invalid "
			            "certificate (BearSSL error %d)",
			            path, i + 1, err);
		if (err)
			return -1;
	}
	return 0;
}

static int chain_decode(struct tls_keypair *kp, const struct blob *chain,
                        struct tls_err *e)
{
	struct pem_obj one = {"CERTIFICATE", 0, chain->len};
	struct pem_file pf = {chain->data, chain->len, &one, 1};
	int der = !is_pem(chain), r = 0;

	if (!chain->len) {
		tls_err_set(e, "CERTFILE %s: empty file", chain->path);
		return -1;
	}
	if (!der && pem_parse(&pf, chain, "CERTFILE", e) < 0)
		return -1;
	if (chain_copy(kp, &pf) < 0) {
		tls_err_set(e, "CERTFILE %s: %s", chain->path,
		            strerror(ENOMEM));
		r = -1;
	} else if (!kp->chain_len) {
		tls_err_set(e, "CERTFILE %s: no certificate found%s%s%s",
		            chain->path, FOUND(&pf));
		r = -1;
	}
	if (!der)
		pem_file_free(&pf);
	return r ? r : chain_check(kp, der, chain->path, e);
}

/* ---- matching ---- */

/* p*q must be the certificate's n, and e must undo the private key. */
/*
 * p*q equal to the certificate's modulus proves the files belong
 * together. (A private-key operation as a further check would cost more
 * than the handshake's own signature, on every connection; a key whose
 * other CRT values are corrupt makes clients refuse its signatures.)
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

static int keypair_match(const struct tls_keypair *kp,
                         const struct pubhint *hint)
{
	br_x509_decoder_context xc;
	const br_x509_pkey *pk;

	br_x509_decoder_init(&xc, NULL, NULL);
	br_x509_decoder_push(&xc, kp->chain[0].data, kp->chain[0].data_len);
	pk = br_x509_decoder_get_pkey(&xc);
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

	memset(kp, 0, sizeof *kp);
	if (key_decode(kp, key, e, &hint) < 0 || chain_decode(kp, chain, e) < 0)
		goto fail;
	if (!keypair_match(kp, &hint)) {
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
