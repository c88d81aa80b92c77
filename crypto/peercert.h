/*
 * Client certificate validation for the server engine: BearSSL's
 * "minimal" X.509 engine, wrapped so that it also records what the -d
 * notification reports about the client's end-entity certificate (its
 * SHA-256 and its subject DN).
 *
 * Set up:
 *	tls_peercert_init(&pc, &anchors);
 *	br_ssl_engine_set_x509(eng, tls_peercert_vtable(&pc));
 *	br_ssl_server_set_trust_anchor_names_alt(sc, anchors.ta, anchors.n);
 *	br_ssl_engine_set_default_rsavrfy(eng);  (CertificateVerify)
 *	br_ssl_engine_set_default_ecdsa(eng);
 * then, once the handshake is complete, tls_peercert_valid / _hash /
 * _subject.
 *
 * With BR_OPT_TOLERATE_NO_CLIENT_AUTH (-Y), BearSSL completes the
 * handshake even when the chain does not validate (and then skips the
 * client's CertificateVerify): that case must read as "no certificate",
 * and it does here, as only a chain whose end_chain returned 0 counts.
 */
#ifndef TLSD_PEERCERT_H
#define TLSD_PEERCERT_H

#include <stddef.h>
#include <stdint.h>
#include <bearssl.h>

#include "anchors.h"

/* Subject DNs larger than this (DER bytes) are reported as unavailable. */
#define TLS_PEERCERT_DN_MAX 1024

struct tls_peercert {
	const br_x509_class *vtable; /* first: BearSSL calls through it */
	br_x509_minimal_context xc;  /* does the validation */
	br_x509_decoder_context dc;  /* extracts the end-entity's subject */
	br_sha256_context sha;
	uint32_t ncerts; /* certificates started in the current chain */
	int valid;       /* end_chain returned 0 for a non-empty chain */
	int dn_ok;       /* dn holds the whole end-entity subject */
	unsigned char hash[32];
	unsigned char dn[TLS_PEERCERT_DN_MAX];
	size_t dn_len;
};

/* Sets pc up to validate against a (which must outlive pc). Call it again
 * before reusing pc for another connection. */
void tls_peercert_init(struct tls_peercert *pc, const struct tls_anchors *a);

/* For br_ssl_engine_set_x509. */
const br_x509_class **tls_peercert_vtable(struct tls_peercert *pc);

/* 1 if the client sent a chain and it validated; else 0. */
int tls_peercert_valid(const struct tls_peercert *pc);

/* Writes "SHA256:<64 lowercase hex>" (71 chars and a NUL) of the
 * end-entity certificate's DER and returns 0, or -1 when not valid. */
int tls_peercert_hash(const struct tls_peercert *pc, char out[72]);

/* The subject DN, formatted by tls_dn_format: its length, or -1 when not
 * valid, when the DN was too large or malformed, or when cap is short. */
int tls_peercert_subject(const struct tls_peercert *pc, char *out, size_t cap);

#endif
