/*
 * Trust anchors for client certificates (-Y / -y), read from CAFILE or
 * CADIR.
 */
#ifndef TLSD_ANCHORS_H
#define TLSD_ANCHORS_H

#include <stddef.h>
#include <bearssl.h>

#include "keys.h"

struct tls_anchors {
	br_x509_trust_anchor *ta; /* n anchors, for BearSSL */
	size_t n;
	size_t cap; /* entries allocated in ta */
	/* Each ta[i].dn.data is one owned block: the DN, then the key. */
};

/*
 * Reads the anchors. Like s6-networking, CADIR wins when both cadir and
 * cafile are set; at least one must be.
 *
 *   - cafile: PEM (every CERTIFICATE, X509 CERTIFICATE or TRUSTED
 *     CERTIFICATE object; other objects are ignored) or DER (one
 *     certificate).
 *   - cadir: every regular file in the directory, symlinks followed, in
 *     name order; names starting with '.' and anything not a regular
 *     file (subdirectories) are skipped. Each file is read as cafile is.
 *     OpenSSL's hash links (xxxxxxxx.0) name certificates seen already:
 *     identical anchors are kept once.
 *
 * Each certificate becomes an anchor with its subject DN and public key
 * (RSA or EC). Certificates that assert CA status (basicConstraints) get
 * BR_X509_TA_CA; others are direct-trust anchors, which BearSSL accepts
 * only as that very end-entity certificate (a pinned self-signed client
 * certificate), as s6-networking does.
 *
 * A file that cannot be read or holds something that does not decode as
 * a certificate is an error, as is finding no certificate at all.
 * Returns 0, or -1 with e->msg set to one line naming the file, and a
 * left with nothing to free.
 */
int tls_anchors_load(struct tls_anchors *a, const char *cafile,
                     const char *cadir, struct tls_err *e);

/* Frees; a is left zeroed, so freeing twice is harmless. */
void tls_anchors_free(struct tls_anchors *a);

#endif
