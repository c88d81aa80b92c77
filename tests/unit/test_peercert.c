/*
 * crypto/peercert.c: client certificate validation, through real
 * handshakes between a BearSSL client engine and our server engine, run
 * in memory (records are shuttled between the two engines' buffers).
 *
 * Server: $TLSD_CERTS/ec256 (gen-certs.sh), with a tls_peercert over the
 * client CAs as its X.509 engine. Client: trusts the server's key as
 * is (br_x509_knownkey), and sends a certificate from $TLSD_CLIENT_CERTS
 * (gen-client-certs.sh) when asked to.
 */
#include <criterion/criterion.h>

#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchors.h"
#include "keys.h"
#include "peercert.h"

TestSuite(peercert, .timeout = 60);

static const char *server_file(const char *name)
{
	cr_assert(getenv("TLSD_CERTS"), "TLSD_CERTS is not set");
	return test_pathf("%s/%s", getenv("TLSD_CERTS"), name);
}

static const char *client_file(const char *name)
{
	cr_assert(getenv("TLSD_CLIENT_CERTS"), "TLSD_CLIENT_CERTS is not set");
	return test_pathf("%s/%s", getenv("TLSD_CLIENT_CERTS"), name);
}

/* Both ends of one connection. */
struct conn {
	struct tls_keypair skp;
	struct tls_anchors ta;
	br_ssl_server_context sc;
	struct tls_peercert pc;
	unsigned char sbuf[BR_SSL_BUFSIZE_BIDI];

	struct tls_keypair ckp;
	br_ssl_client_context cc;
	br_x509_minimal_context cxc; /* set up by init_full, then replaced */
	br_x509_knownkey_context kk;
	br_x509_decoder_context sdc; /* holds the server's public key */
	unsigned char cbuf[BR_SSL_BUFSIZE_BIDI];
};

enum { STRICT = 0, TOLERANT = 1 };

/* The server side, built here rather than by server.c so that this tests
 * the X.509 wrapper alone: full EC profile, TLS 1.2. */
static void server_setup(struct conn *c, const char *cafile, int tolerant)
{
	br_ssl_server_context *sc = &c->sc;
	br_ssl_engine_context *eng = &sc->eng;
	struct tls_err e = {""};

	cr_assert_eq(keypair_load(&c->skp, server_file("ec256.key.pem"),
	                          server_file("ec256.chain.pem"), &e),
	             0, "%s", e.msg);
	cr_assert_eq(tls_anchors_load(&c->ta, cafile, NULL, &e), 0, "%s",
	             e.msg);
	br_ssl_server_init_full_ec(sc, c->skp.chain, c->skp.chain_len,
	                           BR_KEYTYPE_EC, &c->skp.sk.ec);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_buffer(eng, c->sbuf, sizeof c->sbuf, 1);
	tls_peercert_init(&c->pc, &c->ta);
	br_ssl_engine_set_x509(eng, tls_peercert_vtable(&c->pc));
	br_ssl_server_set_trust_anchor_names_alt(sc, c->ta.ta, c->ta.n);
	br_ssl_engine_set_default_rsavrfy(eng);
	br_ssl_engine_set_default_ecdsa(eng);
	if (tolerant)
		br_ssl_engine_add_flags(eng, BR_OPT_TOLERATE_NO_CLIENT_AUTH);
	cr_assert(br_ssl_server_reset(sc));
}

/* The client trusts exactly the server's leaf key. */
static void client_trust(struct conn *c)
{
	const br_x509_certificate *leaf = &c->skp.chain[0];
	const br_x509_pkey *pk;

	br_x509_decoder_init(&c->sdc, NULL, NULL);
	br_x509_decoder_push(&c->sdc, leaf->data, leaf->data_len);
	pk = br_x509_decoder_get_pkey(&c->sdc);
	cr_assert(pk && pk->key_type == BR_KEYTYPE_EC);
	br_x509_knownkey_init_ec(&c->kk, &pk->key.ec, BR_KEYTYPE_SIGN);
	br_ssl_engine_set_x509(&c->cc.eng, &c->kk.vtable);
}

/* name: a client certificate of gen-client-certs.sh, or NULL for none. */
static void client_setup(struct conn *c, const char *name)
{
	br_ssl_client_context *cc = &c->cc;
	struct tls_err e = {""};

	br_ssl_client_init_full(cc, &c->cxc, NULL, 0);
	br_ssl_engine_set_versions(&cc->eng, BR_TLS12, BR_TLS12);
	client_trust(c);
	if (name) {
		cr_assert_eq(
		    keypair_load(
		        &c->ckp, client_file(test_pathf("%s.key", name)),
		        client_file(test_pathf("%s.chain.pem", name)), &e),
		    0, "%s", e.msg);
		if (c->ckp.key_type == BR_KEYTYPE_RSA)
			br_ssl_client_set_single_rsa(
			    cc, c->ckp.chain, c->ckp.chain_len, &c->ckp.sk.rsa,
			    br_rsa_pkcs1_sign_get_default());
		else
			br_ssl_client_set_single_ec(
			    cc, c->ckp.chain, c->ckp.chain_len, &c->ckp.sk.ec,
			    BR_KEYTYPE_SIGN, BR_KEYTYPE_EC, br_ec_get_default(),
			    br_ecdsa_sign_asn1_get_default());
	}
	br_ssl_engine_set_buffer(&cc->eng, c->cbuf, sizeof c->cbuf, 1);
	cr_assert(br_ssl_client_reset(cc, "localhost", 0));
}

/* Runs the handshake to its end. 0 when both ends completed it, else the
 * server's error (or -1 if the server saw none). */
static int handshake(struct conn *c)
{
	br_ssl_engine_context *s = &c->sc.eng, *k = &c->cc.eng;
	int err;

	cr_assert_lt(test_settle(k, s), 1000, "the handshake does not settle");
	if (test_engine_ready(s) && test_engine_ready(k))
		return 0;
	err = br_ssl_engine_last_error(s);
	return err ? err : -1;
}

static struct conn *conn_new(const char *cafile, int tolerant,
                             const char *client)
{
	struct conn *c = calloc(1, sizeof *c);
	char *ca = strdup(cafile); /* pathf's ring buffers get reused */

	cr_assert(c && ca);
	server_setup(c, ca, tolerant);
	client_setup(c, client);
	free(ca);
	return c;
}

static void conn_free(struct conn *c)
{
	keypair_free(&c->skp);
	keypair_free(&c->ckp);
	tls_anchors_free(&c->ta);
	free(c);
}

/* Both client root CAs, in one bundle. */
static const char *bundle(void)
{
	return client_file("cas.pem");
}

/* "SHA256:" and openssl's SHA-256 of the certificate's DER. */
static void openssl_hash(const char *name, char out[72])
{
	char cmd[1024], hex[80] = "";
	FILE *f;

	snprintf(cmd, sizeof cmd,
	         "openssl x509 -in %s -outform DER | sha256sum",
	         client_file(test_pathf("%s.pem", name)));
	f = popen(cmd, "r");
	cr_assert(f && fgets(hex, sizeof hex, f), "%s", cmd);
	pclose(f);
	cr_assert(strlen(hex) > 64);
	snprintf(out, 72, "SHA256:%.64s", hex);
}

/* Client name is accepted: valid, with this hash and subject. */
static void expect_valid(const char *cafile, int tolerant, const char *name,
                         const char *subject)
{
	struct conn *c = conn_new(cafile, tolerant, name);
	char hash[72], want[72], subj[512];

	cr_assert_eq(handshake(c), 0, "%s: handshake failed", name);
	cr_assert_eq(tls_peercert_valid(&c->pc), 1, "%s", name);
	cr_assert_eq(tls_peercert_hash(&c->pc, hash), 0);
	openssl_hash(name, want);
	cr_assert_str_eq(hash, want);
	if (subject) {
		cr_assert_eq(tls_peercert_subject(&c->pc, subj, sizeof subj),
		             (int)strlen(subject));
		cr_assert_str_eq(subj, subject);
	}
	conn_free(c);
}

/* Client name is refused: by the handshake when strict (with the X.509
 * error err), and reported as no certificate when tolerant. */
static void expect_refused(const char *cafile, const char *name, int err)
{
	struct conn *c = conn_new(cafile, STRICT, name);
	char hash[72], subj[512];

	cr_assert_eq(handshake(c), err, "%s: want error %d", name, err);
	cr_assert_eq(tls_peercert_valid(&c->pc), 0);
	conn_free(c);

	c = conn_new(cafile, TOLERANT, name);
	cr_assert_eq(handshake(c), 0, "%s: tolerant handshake failed", name);
	cr_assert_eq(tls_peercert_valid(&c->pc), 0, "%s", name);
	cr_assert_eq(tls_peercert_hash(&c->pc, hash), -1);
	cr_assert_eq(tls_peercert_subject(&c->pc, subj, sizeof subj), -1);
	conn_free(c);
}

#define EC_SUBJECT                                                             \
	"C=CH, ST=Vaud, L=Z\xc3\xbcrich, O=s6-tlsd tests, OU=Unit B, "         \
	"OU=Unit A, CN=Client\\, EC"

Test(peercert, ec_client)
{
	expect_valid(bundle(), STRICT, "ec", EC_SUBJECT);
	expect_valid(bundle(), TOLERANT, "ec", EC_SUBJECT);
}

Test(peercert, rsa_client)
{
	expect_valid(bundle(), STRICT, "rsa", "O=s6-tlsd tests, CN=client rsa");
}

Test(peercert, chain_through_intermediate)
{
	expect_valid(bundle(), STRICT, "chained",
	             "O=s6-tlsd tests, CN=client chained");
}

Test(peercert, chain_without_its_intermediate)
{
	struct conn *c = conn_new(client_file("ca.pem"), STRICT, NULL);
	struct tls_err e = {""};

	/* the client sends its leaf alone */
	cr_assert_eq(keypair_load(&c->ckp, client_file("chained.key"),
	                          client_file("chained.pem"), &e),
	             0, "%s", e.msg);
	br_ssl_client_set_single_ec(&c->cc, c->ckp.chain, 1, &c->ckp.sk.ec,
	                            BR_KEYTYPE_SIGN, BR_KEYTYPE_EC,
	                            br_ec_get_default(),
	                            br_ecdsa_sign_asn1_get_default());
	cr_assert(br_ssl_client_reset(&c->cc, "localhost", 0));
	cr_assert_eq(handshake(c), BR_ERR_X509_NOT_TRUSTED);
	cr_assert_eq(tls_peercert_valid(&c->pc), 0);
	conn_free(c);
}

Test(peercert, expired)
{
	expect_refused(bundle(), "expired", BR_ERR_X509_EXPIRED);
}

Test(peercert, unrelated_ca)
{
	expect_refused(bundle(), "stranger", BR_ERR_X509_NOT_TRUSTED);
}

Test(peercert, self_signed)
{
	expect_refused(bundle(), "self", BR_ERR_X509_NOT_TRUSTED);
}

Test(peercert, rsa_client_not_under_this_ca)
{
	/* rsa's CA (ca2) is not trusted here */
	expect_refused(client_file("ca.pem"), "rsa", BR_ERR_X509_NOT_TRUSTED);
}

/* A self-signed certificate listed as an anchor: direct trust. */
Test(peercert, pinned_self_signed)
{
	expect_valid(client_file("self.pem"), STRICT, "self",
	             "O=s6-tlsd tests, CN=client self");
}

Test(peercert, no_client_certificate)
{
	struct conn *c = conn_new(bundle(), STRICT, NULL);
	char hash[72];

	cr_assert_eq(handshake(c), BR_ERR_NO_CLIENT_AUTH);
	cr_assert_eq(tls_peercert_valid(&c->pc), 0);
	conn_free(c);
	c = conn_new(bundle(), TOLERANT, NULL);
	cr_assert_eq(handshake(c), 0);
	cr_assert_eq(tls_peercert_valid(&c->pc), 0);
	cr_assert_eq(tls_peercert_hash(&c->pc, hash), -1);
	conn_free(c);
}

/* Over TLS_PEERCERT_DN_MAX: valid, hashed, but no subject. */
Test(peercert, subject_too_large)
{
	struct conn *c = conn_new(bundle(), STRICT, "bigdn");
	char hash[72], want[72], subj[4096];

	cr_assert_eq(handshake(c), 0);
	cr_assert_eq(tls_peercert_valid(&c->pc), 1);
	cr_assert_eq(tls_peercert_hash(&c->pc, hash), 0);
	openssl_hash("bigdn", want);
	cr_assert_str_eq(hash, want);
	cr_assert_eq(tls_peercert_subject(&c->pc, subj, sizeof subj), -1);
	conn_free(c);
}

Test(peercert, subject_buffer_too_small)
{
	struct conn *c = conn_new(bundle(), STRICT, "rsa");
	static const char want[] = "O=s6-tlsd tests, CN=client rsa";
	char subj[sizeof want];

	cr_assert_eq(handshake(c), 0);
	cr_assert_eq(tls_peercert_subject(&c->pc, subj, sizeof want - 1), -1);
	cr_assert_eq(tls_peercert_subject(&c->pc, subj, sizeof want),
	             (int)sizeof want - 1);
	cr_assert_str_eq(subj, want);
	conn_free(c);
}

/* Nothing is reported before any handshake. */
Test(peercert, fresh)
{
	struct tls_anchors a = {0};
	struct tls_peercert *pc = malloc(sizeof *pc);
	char buf[128];

	tls_peercert_init(pc, &a);
	cr_assert_eq((*tls_peercert_vtable(pc))->context_size,
	             sizeof(struct tls_peercert));
	cr_assert_eq(tls_peercert_valid(pc), 0);
	cr_assert_eq(tls_peercert_hash(pc, buf), -1);
	cr_assert_eq(tls_peercert_subject(pc, buf, sizeof buf), -1);
	free(pc);
}
