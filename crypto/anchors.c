/*
 * Trust anchors from CAFILE or CADIR: certificates (PEM or DER) turned
 * into br_x509_trust_anchor entries that own their DN and key bytes.
 */
#include "anchors.h"
#include "pem.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* What is being read, for messages. */
struct loader {
	struct tls_anchors *a;
	const char *what; /* "CAFILE" or "CADIR" */
	const char *path; /* the file being read */
	struct tls_err *e;
	size_t found; /* certificates in that file */
};

static int fail(struct loader *l, const char *why)
{
	tls_err_set(l->e, "%s %s: %s", l->what, l->path, why);
	return -1;
}

/* ---- a growable buffer, fed by BearSSL's decoders ---- */

struct buf {
	unsigned char *p;
	size_t len, cap;
	int oom;
};

static void buf_append(void *ctx, const void *src, size_t n)
{
	struct buf *b = ctx;
	size_t ncap = b->cap ? b->cap : 256;
	unsigned char *p;

	if (b->oom)
		return;
	while (ncap - b->len < n && ncap <= SIZE_MAX / 2)
		ncap *= 2;
	if (ncap - b->len < n) {
		b->oom = 1;
		return;
	}
	if (ncap != b->cap) {
		p = realloc(b->p, ncap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

/* ---- certificates to anchors ---- */

/* The length of the DER SEQUENCE at p (header included), or 0. */
static size_t der_span(const unsigned char *p, size_t len)
{
	size_t n, i, hdr = 2, body;

	if (len < 2 || p[0] != 0x30)
		return 0;
	body = p[1];
	if (body & 0x80) {
		n = body & 0x7f;
		if (n == 0 || n > 4 || len - 2 < n)
			return 0;
		for (body = 0, i = 0; i < n; i++)
			body = body << 8 | p[2 + i];
		hdr += n;
	}
	return body <= len - hdr ? hdr + body : 0;
}

static size_t pkey_len(const br_x509_pkey *pk)
{
	if (pk->key_type == BR_KEYTYPE_RSA)
		return pk->key.rsa.nlen + pk->key.rsa.elen;
	return pk->key.ec.qlen;
}

/* Copies pk's elements to p, pointing ta's key at them. */
static void pkey_copy(br_x509_trust_anchor *ta, const br_x509_pkey *pk,
                      unsigned char *p)
{
	ta->pkey = *pk;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		br_rsa_public_key *k = &ta->pkey.key.rsa;

		k->n = memcpy(p, pk->key.rsa.n, k->nlen);
		k->e = memcpy(p + k->nlen, pk->key.rsa.e, k->elen);
	} else {
		ta->pkey.key.ec.q = memcpy(p, pk->key.ec.q, pk->key.ec.qlen);
	}
}

/*
 * Decodes a certificate into ta: one malloc'd block holds the DN, then
 * the key. 0, or a BearSSL error code (or -1: out of memory).
 */
static int anchor_make(br_x509_trust_anchor *ta, const unsigned char *der,
                       size_t len)
{
	br_x509_decoder_context dc;
	struct buf dn = {0};
	const br_x509_pkey *pk;
	unsigned char *p;
	int err;

	br_x509_decoder_init(&dc, buf_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	err = br_x509_decoder_last_error(&dc);
	pk = br_x509_decoder_get_pkey(&dc);
	if (err || !pk || dn.oom || !dn.len) {
		free(dn.p);
		return err ? err : dn.oom ? -1 : BR_ERR_X509_INVALID_VALUE;
	}
	p = realloc(dn.p, dn.len + pkey_len(pk));
	if (!p) {
		free(dn.p);
		return -1;
	}
	ta->dn.data = p;
	ta->dn.len = dn.len;
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	pkey_copy(ta, pk, p + dn.len);
	return 0;
}

static int bytes_eq(const void *x, size_t xlen, const void *y, size_t ylen)
{
	return xlen == ylen && !memcmp(x, y, xlen);
}

static int anchor_eq(const br_x509_trust_anchor *x,
                     const br_x509_trust_anchor *y)
{
	const br_x509_pkey *kx = &x->pkey, *ky = &y->pkey;

	if (x->flags != y->flags || kx->key_type != ky->key_type ||
	    !bytes_eq(x->dn.data, x->dn.len, y->dn.data, y->dn.len))
		return 0;
	if (kx->key_type == BR_KEYTYPE_RSA)
		return bytes_eq(kx->key.rsa.n, kx->key.rsa.nlen, ky->key.rsa.n,
		                ky->key.rsa.nlen) &&
		       bytes_eq(kx->key.rsa.e, kx->key.rsa.elen, ky->key.rsa.e,
		                ky->key.rsa.elen);
	return kx->key.ec.curve == ky->key.ec.curve &&
	       bytes_eq(kx->key.ec.q, kx->key.ec.qlen, ky->key.ec.q,
	                ky->key.ec.qlen);
}

/* Appends ta to a, which takes it over; a copy of one already in is
 * freed instead (CADIR hash links, a CA listed twice). */
static int anchors_push(struct tls_anchors *a, br_x509_trust_anchor *ta)
{
	br_x509_trust_anchor *n;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (anchor_eq(&a->ta[i], ta)) {
			free(ta->dn.data);
			return 0;
		}
	if (a->n == a->cap) {
		n = reallocarray(a->ta, a->cap ? a->cap * 2 : 8, sizeof *n);
		if (!n) {
			free(ta->dn.data);
			return -1;
		}
		a->ta = n;
		a->cap = a->cap ? a->cap * 2 : 8;
	}
	a->ta[a->n++] = *ta;
	return 0;
}

static int cert_add(struct loader *l, const unsigned char *der, size_t len)
{
	br_x509_trust_anchor ta;
	char why[80];
	int err;

	if (!len || der_span(der, len) != len)
		return fail(l, "invalid certificate (bad DER framing)");
	err = anchor_make(&ta, der, len);
	if (err > 0) {
		snprintf(why, sizeof why,
		         "invalid certificate (BearSSL error %d)", err);
		return fail(l, why);
	}
	if (err < 0 || anchors_push(l->a, &ta) < 0)
		return fail(l, strerror(ENOMEM));
	l->found++;
	return 0;
}

/* ---- PEM ---- */

/* Certificates become anchors; other objects (keys, CRLs) are ignored. */
static int pem_cert(struct loader *l, const struct pem_obj *o,
                    const unsigned char *der)
{
	size_t len = o->len;

	/* OpenSSL's TRUSTED CERTIFICATE: the certificate, then trust
	 * settings that BearSSL has no use for. */
	if (!strcmp(o->name, "TRUSTED CERTIFICATE"))
		len = der_span(der, len);
	else if (strcmp(o->name, "CERTIFICATE") &&
	         strcmp(o->name, "X509 CERTIFICATE"))
		return 0;
	return cert_add(l, der, len);
}

static int pem_load(struct loader *l, const struct blob *b)
{
	struct pem_file pf;
	const char *bad = pem_decode(&pf, b->data, b->len);
	int r = 0;

	if (bad)
		return fail(l, bad);
	for (size_t i = 0; !r && i < pf.n; i++)
		r = pem_cert(l, &pf.obj[i], pf.buf + pf.obj[i].off);
	pem_free(&pf);
	return r;
}

/* ---- files and directories ---- */

static int file_load(struct loader *l, const char *path)
{
	struct tls_err why;
	struct blob b;
	int r;

	l->path = path;
	l->found = 0;
	if (blob_read(&b, path, &why) < 0) {
		tls_err_set(l->e, "%s: %s", l->what, why.msg);
		return -1;
	}
	if (!b.len)
		r = fail(l, "empty file");
	else if (pem_detect(b.data, b.len))
		r = pem_load(l, &b);
	else if (der_span(b.data, b.len) != b.len)
		r = fail(l, "not a certificate (neither PEM nor one DER "
		            "object)");
	else
		r = cert_add(l, b.data, b.len);
	if (!r && !l->found)
		r = fail(l, "no certificate found");
	blob_free(&b);
	return r;
}

static int not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* A directory entry: regular files (or links to them) are read. */
static int dir_entry(struct loader *l, const char *dir, const char *name)
{
	size_t dlen = strlen(dir);
	const char *slash = dlen && dir[dlen - 1] == '/' ? "" : "/";
	struct stat st;
	char *path;
	int r = 0;

	if (asprintf(&path, "%s%s%s", dir, slash, name) < 0) {
		tls_err_set(l->e, "%s %s: %s", l->what, dir, strerror(ENOMEM));
		return -1;
	}
	if (stat(path, &st) < 0) {
		tls_err_set(l->e, "%s %s: %s", l->what, path, strerror(errno));
		r = -1;
	} else if (S_ISREG(st.st_mode))
		r = file_load(l, path);
	free(path);
	return r;
}

/* Name order, so that anchors and messages do not depend on readdir. */
static int dir_load(struct loader *l, const char *dir)
{
	struct dirent **list;
	int n, i, r = 0;

	n = scandir(dir, &list, not_dot, alphasort);
	if (n < 0) {
		tls_err_set(l->e, "%s %s: unable to read directory: %s",
		            l->what, dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!r)
			r = dir_entry(l, dir, list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return r;
}

int tls_anchors_load(struct tls_anchors *a, const char *cafile,
                     const char *cadir, struct tls_err *e)
{
	struct loader l = {a, cadir ? "CADIR" : "CAFILE", NULL, e, 0};
	int r;

	memset(a, 0, sizeof *a);
	if (!cadir && !cafile) {
		tls_err_set(e, "neither CADIR nor CAFILE is set");
		return -1;
	}
	r = cadir ? dir_load(&l, cadir) : file_load(&l, cafile);
	if (!r && !a->n) {
		tls_err_set(e, "CADIR %s: no certificate found", cadir);
		r = -1;
	}
	if (r < 0)
		tls_anchors_free(a);
	return r;
}

void tls_anchors_free(struct tls_anchors *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->ta[i].dn.data);
	free(a->ta);
	memset(a, 0, sizeof *a);
}
