/*
 * Certificate chains: decoding a DER certificate or a PEM chain into a
 * keypair's own copy, and checking that every certificate decodes.
 */
#include "keys_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int der_is_cert(const unsigned char *der, size_t len)
{
	br_x509_decoder_context xc;

	br_x509_decoder_init(&xc, NULL, NULL);
	br_x509_decoder_push(&xc, der, len);
	return br_x509_decoder_last_error(&xc) == 0;
}

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

/* Every certificate must decode; a lone DER key gets a clearer word. The
 * first one's decoder is left in ee: its public key is matched against
 * the private key next, without decoding it a second time (each decode
 * is tens of microseconds, and this runs for every connection). */
static int chain_check(const struct tls_keypair *kp, int der, const char *path,
                       struct tls_err *e, br_x509_decoder_context *ee)
{
	br_x509_decoder_context other;
	const br_x509_certificate *c;
	size_t i;
	int err;

	for (i = 0; i < kp->chain_len; i++) {
		br_x509_decoder_context *xc = i ? &other : ee;

		c = &kp->chain[i];
		br_x509_decoder_init(xc, NULL, NULL);
		br_x509_decoder_push(xc, c->data, c->data_len);
		err = br_x509_decoder_last_error(xc);
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

int chain_decode(struct tls_keypair *kp, const struct blob *chain,
                 struct tls_err *e, br_x509_decoder_context *ee)
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
		pem_free(&pf);
	return r ? r : chain_check(kp, der, chain->path, e, ee);
}
