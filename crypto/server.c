#include "server.h"

#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "ec.h"
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

/*
 * The record code, chosen as BearSSL's set_default_* functions would (the
 * x86ni and PCLMUL code on hardware that has it, the constant-time 64-bit
 * code otherwise) but without their CPUID per call (cpu.h).
 */
static size_t set_ciphers(br_ssl_engine_context *eng, int legacy,
                          uint16_t suites[TLS_SUITES_MAX])
{
	const struct tls_cpu *cpu = tls_cpu();
	br_poly1305_run poly1305 = br_poly1305_ctmulq_get();
	size_t n = tls_suites_select(suites, cpu->aes_ni, legacy);

	/* set_suites copies the list into the engine. */
	br_ssl_engine_set_suites(eng, suites, n);
	br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable,
	                      &br_sslrec_out_gcm_vtable);
	br_ssl_engine_set_aes_ctr(eng, cpu->aes_ni ? &br_aes_x86ni_ctr_vtable
	                                           : &br_aes_ct64_ctr_vtable);
	br_ssl_engine_set_ghash(eng, cpu->aes_ni ? &br_ghash_pclmul
	                                         : &br_ghash_ctmul64);
	br_ssl_engine_set_chapol(eng, &br_sslrec_in_chapol_vtable,
	                         &br_sslrec_out_chapol_vtable);
	br_ssl_engine_set_chacha20(eng, cpu->sse2 ? &br_chacha20_sse2_run
	                                          : &br_chacha20_ct_run);
	br_ssl_engine_set_poly1305(eng, poly1305 ? poly1305
	                                         : &br_poly1305_ctmul_run);
	/* The CBC record code is set only when CBC suites are offered. */
	if (legacy) {
		br_ssl_engine_set_cbc(eng, &br_sslrec_in_cbc_vtable,
		                      &br_sslrec_out_cbc_vtable);
		br_ssl_engine_set_aes_cbc(
		    eng,
		    cpu->aes_ni ? &br_aes_x86ni_cbcenc_vtable
		                : &br_aes_ct64_cbcenc_vtable,
		    cpu->aes_ni ? &br_aes_x86ni_cbcdec_vtable
		                : &br_aes_ct64_cbcdec_vtable);
	}
	br_ssl_engine_set_ec(eng, tls_ec());
	return n;
}

/* Client certificates: validated against the anchors, whose names are
 * sent in the CertificateRequest. -Y tolerates a missing or invalid one. */
static void set_client_auth(struct tls_server *s,
                            const struct tls_server_config *cfg)
{
	br_ssl_engine_context *eng = &s->sc.eng;

	s->client_auth = cfg->client_auth;
	if (!cfg->client_auth)
		return;
	tls_peercert_init(&s->peer, cfg->anchors);
	br_ssl_engine_set_x509(eng, tls_peercert_vtable(&s->peer));
	br_ssl_engine_set_default_rsavrfy(eng);
	br_ssl_engine_set_default_ecdsa(eng);
	br_ssl_server_set_trust_anchor_names_alt(&s->sc, cfg->anchors->ta,
	                                         cfg->anchors->n);
	if (cfg->client_auth == 1)
		br_ssl_engine_add_flags(eng, BR_OPT_TOLERATE_NO_CLIENT_AUTH);
}

static void set_alpn(br_ssl_engine_context *eng,
                     const struct tls_server_config *cfg)
{
	if (!cfg->alpn_num)
		return;
	br_ssl_engine_set_protocol_names(eng, cfg->alpn, cfg->alpn_num);
	if (cfg->alpn_strict)
		br_ssl_engine_add_flags(eng, BR_OPT_FAIL_ON_ALPN_MISMATCH);
}

/* With a single possible keypair (no SNI), it is decoded now, before the
 * first byte from the network; otherwise when the client's name is known. */
static int set_keys(struct tls_server *s, const struct tls_server_config *cfg,
                    struct tls_err *e)
{
	tls_policy_init(&s->policy, cfg->keys);
	if (cfg->keys->snilevel == 0 && cfg->keys->n == 1 &&
	    tls_keyset_decode(cfg->keys, 0, e) < 0)
		return -1;
	br_ssl_server_set_policy(&s->sc, &s->policy.vtable);
	return 0;
}

/* A shared session cache: sessions resume across processes. */
static void set_cache(struct tls_server *s, const struct tls_server_config *cfg,
                      const uint16_t *suites, size_t n)
{
	s->cache = cfg->cache;
	if (!cfg->cache)
		return;
	tls_sesscache_bind(cfg->cache, cfg->client_auth,
	                   cfg->client_auth ? &s->peer : NULL, suites, n);
	br_ssl_server_set_cache(&s->sc, tls_sesscache_vtable(cfg->cache));
}

enum tls_server_status tls_server_init(struct tls_server *s,
                                       const struct tls_server_config *cfg,
                                       struct tls_err *e)
{
	br_ssl_engine_context *eng = &s->sc.eng;
	uint16_t suites[TLS_SUITES_MAX];
	size_t nsuites;
	int r;

	br_ssl_server_zero(&s->sc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	/* Server preference is enforced by our policy (policy.c), which
	 * needs to see the client's own order. */
	br_ssl_engine_set_all_flags(eng, BR_OPT_NO_RENEGOTIATION);
	set_hashes(eng);
	nsuites = set_ciphers(eng, cfg->legacy_suites, suites);
	if (set_keys(s, cfg, e) < 0)
		return TLS_SERVER_BAD_KEYPAIR;
	set_client_auth(s, cfg);
	set_cache(s, cfg, suites, nsuites);
	set_alpn(eng, cfg);
	br_ssl_engine_set_buffer(eng, s->iobuf, sizeof s->iobuf, 1);
	r = tls_seed(eng);
	if (r < 0) {
		snprintf(e->msg, sizeof e->msg, "unable to getrandom: %s",
		         strerror(-r));
		return TLS_SERVER_NO_RANDOM;
	}
	if (!br_ssl_server_reset(&s->sc)) {
		snprintf(e->msg, sizeof e->msg,
		         "unable to start the TLS server engine: %s",
		         tls_strerror(br_ssl_engine_last_error(eng)));
		return TLS_SERVER_ENGINE_FAILED;
	}
	return TLS_SERVER_OK;
}

const char *tls_server_config_error(const struct tls_server *s)
{
	return s->policy.decode_failed ? s->policy.err.msg : NULL;
}

const char *tls_server_unmatched_name(const struct tls_server *s)
{
	const char *name = br_ssl_engine_get_server_name(&s->sc.eng);

	if (!s->policy.no_match)
		return NULL;
	return name ? name : "";
}

void tls_server_session_info(struct tls_server *s, struct tls_session_info *out)
{
	br_ssl_engine_context *eng = &s->sc.eng;
	const char *sni = br_ssl_engine_get_server_name(eng);
	br_ssl_session_parameters sp;

	br_ssl_engine_get_session_parameters(eng, &sp);
	out->protocol = "TLSv1.2";
	out->cipher = tls_suite_name(sp.cipher_suite);
	explicit_bzero(&sp, sizeof sp); /* the master secret */
	if (!out->cipher)
		out->cipher = "UNKNOWN";
	out->sni = sni && *sni ? sni : NULL;
	out->alpn = br_ssl_engine_get_selected_protocol(eng);
	out->peer_hash = out->peer_subject = NULL;
	if (!s->client_auth)
		return;
	if (tls_server_resumed(s)) {
		/* No certificate in this handshake: the session's own. */
		const struct tls_sesscache_facts *f = &s->cache->facts;

		if (*f->peer_hash)
			out->peer_hash = strcpy(out->hash_buf, f->peer_hash);
		if (f->subject_ok)
			out->peer_subject =
			    strcpy(out->subject_buf, f->peer_subject);
		return;
	}
	if (tls_peercert_hash(&s->peer, out->hash_buf) == 0)
		out->peer_hash = out->hash_buf;
	if (tls_peercert_subject(&s->peer, out->subject_buf,
	                         sizeof out->subject_buf) >= 0)
		out->peer_subject = out->subject_buf;
}

int tls_server_resumed(const struct tls_server *s)
{
	return s->cache && tls_sesscache_resumed(s->cache, &s->sc.eng);
}
