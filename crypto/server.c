#include "server.h"

#include <stdio.h>
#include <string.h>

#include "entropy.h"
#include "suites.h"

/* Hash functions: SHA-1 for the CBC suites' HMAC and for client signatures,
 * the SHA-2 family for signatures and the TLS 1.2 PRF. No MD5 (TLS 1.0). */
static void set_hashes(br_ssl_engine_context *eng)
{
	br_ssl_engine_set_hash(eng, br_sha1_ID, &br_sha1_vtable);
	br_ssl_engine_set_hash(eng, br_sha224_ID, &br_sha224_vtable);
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
}

static void set_ciphers(br_ssl_engine_context *eng)
{
	uint16_t suites[TLS_SUITES_MAX];
	size_t n = tls_suites_select(suites, tls_suites_aes_hw());

	/* set_suites copies the list into the engine. */
	br_ssl_engine_set_suites(eng, suites, n);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_default_aes_cbc(eng);
	br_ssl_engine_set_default_ec(eng);
}

/* The key is used to sign ECDHE parameters only (BR_KEYTYPE_SIGN): never
 * for static RSA or static ECDH key exchange. */
static void set_key(br_ssl_server_context *sc, const struct tls_keypair *kp)
{
	if (kp->key_type == BR_KEYTYPE_RSA)
		br_ssl_server_set_single_rsa(sc, kp->chain, kp->chain_len,
					     &kp->sk.rsa, BR_KEYTYPE_SIGN,
					     br_rsa_private_get_default(),
					     br_rsa_pkcs1_sign_get_default());
	else
		br_ssl_server_set_single_ec(sc, kp->chain, kp->chain_len,
					    &kp->sk.ec, BR_KEYTYPE_SIGN,
					    BR_KEYTYPE_EC, br_ec_get_default(),
					    br_ecdsa_sign_asn1_get_default());
}

int tls_server_init(struct tls_server *s, const struct tls_keypair *kp,
		    struct tls_err *e)
{
	br_ssl_server_context *sc = &s->sc;
	br_ssl_engine_context *eng = &sc->eng;
	int r;

	br_ssl_server_zero(sc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_all_flags(eng, BR_OPT_ENFORCE_SERVER_PREFERENCES |
						 BR_OPT_NO_RENEGOTIATION);
	set_hashes(eng);
	set_ciphers(eng);
	set_key(sc, kp);
	br_ssl_engine_set_buffer(eng, s->iobuf, sizeof s->iobuf, 1);
	r = tls_seed(eng);
	if (r < 0) {
		snprintf(e->msg, sizeof e->msg, "unable to getrandom: %s",
			 strerror(-r));
		return -2;
	}
	if (!br_ssl_server_reset(sc)) {
		snprintf(e->msg, sizeof e->msg,
			 "unable to start the TLS server engine: %s",
			 tls_strerror(br_ssl_engine_last_error(eng)));
		return -1;
	}
	return 0;
}

void tls_server_session_info(const struct tls_server *s,
			     struct tls_session_info *out)
{
	const br_ssl_engine_context *eng = &s->sc.eng;
	const char *sni = br_ssl_engine_get_server_name(eng);

	out->protocol = "TLSv1.2";
	out->cipher = tls_suite_name(eng->session.cipher_suite);
	if (!out->cipher)
		out->cipher = "UNKNOWN";
	out->sni = sni && *sni ? sni : NULL;
}
