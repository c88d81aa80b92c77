/*
 * crypto/sesscache.c and crypto/hello.c: the real server engine
 * (server.c, $TLSD_CERTS/ec256) and a BearSSL client talk in memory; the
 * shared region is plain memory here, as a mapped file is to the cache.
 * A fake clock drives expiry and stale locks.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "sesscache.h"
#include "testutil.h"

static const char *cert_file(const char *name)
{
	cr_assert(getenv("TLSD_CERTS"), "TLSD_CERTS is not set");
	return test_pathf("%s/%s", getenv("TLSD_CERTS"), name);
}

static const char *client_file(const char *name)
{
	cr_assert(getenv("TLSD_CLIENT_CERTS"), "TLSD_CLIENT_CERTS is not set");
	return test_pathf("%s/%s", getenv("TLSD_CLIENT_CERTS"), name);
}

static int64_t fake_now = 1700000000000; /* ms */
static int64_t clock_fake(void)
{
	return fake_now;
}

/* The region, the server's configuration and both engines. */
struct world {
	unsigned char *region;
	struct tls_sesscache cache;
	struct tls_keyset keys;
	struct tls_anchors anchors;
	struct tls_server_config cfg;
	struct tls_server srv;
	br_ssl_client_context cc;
	br_x509_minimal_context cxc;
	br_x509_knownkey_context kk;
	br_x509_decoder_context sdc;
	struct tls_keypair ckp;
	unsigned char cbuf[BR_SSL_BUFSIZE_BIDI];
	br_ssl_session_parameters sess; /* the client's last session */
};

static struct world *W;

static void setup(void)
{
	struct tls_err e = {""};
	const char *why = "";
	size_t len = tls_sesscache_size();

	W = calloc(1, sizeof *W);
	W->region = calloc(1, len);
	cr_assert(W && W->region);
	tls_sesscache_format(W->region);
	cr_assert_eq(tls_sesscache_attach(&W->cache, W->region, len, 300, &why),
	             0, "%s", why);
	W->cache.now = clock_fake;
	tls_keyset_init(&W->keys, 0);
	cr_assert_eq(tls_keyset_add(&W->keys, NULL, cert_file("ec256.key.pem"),
	                            cert_file("ec256.crt.pem"), &e),
	             0, "%s", e.msg);
	W->cfg.keys = &W->keys;
	W->cfg.cache = &W->cache;
}

static void teardown(void)
{
	tls_keyset_free(&W->keys);
	if (W->cfg.client_auth)
		tls_anchors_free(&W->anchors);
	keypair_free(&W->ckp);
	free(W->region);
	free(W);
}

TestSuite(sesscache, .init = setup, .fini = teardown, .timeout = 30);

/* -Y with the client CAs. */
static void tolerant_client_auth(void)
{
	struct tls_err e = {""};

	cr_assert_eq(
	    tls_anchors_load(&W->anchors, client_file("cas.pem"), NULL, &e), 0,
	    "%s", e.msg);
	W->cfg.client_auth = 1;
	W->cfg.anchors = &W->anchors;
}

static void client_trust(void)
{
	const br_x509_certificate *leaf = &W->keys.e[0].kp.chain[0];
	const br_x509_pkey *pk;

	br_x509_decoder_init(&W->sdc, NULL, NULL);
	br_x509_decoder_push(&W->sdc, leaf->data, leaf->data_len);
	pk = br_x509_decoder_get_pkey(&W->sdc);
	cr_assert(pk && pk->key_type == BR_KEYTYPE_EC);
	br_x509_knownkey_init_ec(&W->kk, &pk->key.ec, BR_KEYTYPE_SIGN);
	br_ssl_engine_set_x509(&W->cc.eng, &W->kk.vtable);
}

static void client_cert(const char *name)
{
	struct tls_err e = {""};

	keypair_free(&W->ckp);
	cr_assert_eq(
	    keypair_load(&W->ckp, client_file(test_pathf("%s.key", name)),
	                 client_file(test_pathf("%s.chain.pem", name)), &e),
	    0, "%s", e.msg);
	br_ssl_client_set_single_ec(&W->cc, W->ckp.chain, W->ckp.chain_len,
	                            &W->ckp.sk.ec, BR_KEYTYPE_SIGN,
	                            BR_KEYTYPE_EC, br_ec_get_default(),
	                            br_ecdsa_sign_asn1_get_default());
}

/*
 * One connection: the client asks for name (NULL: no SNI), offering the
 * session it kept when resume is set, with the certificate cert (NULL:
 * none). Returns whether the server resumed; the handshake must succeed.
 */
static int connect(const char *name, int resume, const char *cert)
{
	br_ssl_engine_context *s = &W->srv.sc.eng, *k = &W->cc.eng;
	struct tls_err e = {""};

	cr_assert_eq(tls_server_init(&W->srv, &W->cfg, &e), 0, "%s", e.msg);
	br_ssl_client_init_full(&W->cc, &W->cxc, NULL, 0);
	br_ssl_engine_set_versions(k, BR_TLS12, BR_TLS12);
	client_trust();
	if (cert)
		client_cert(cert);
	br_ssl_engine_set_buffer(k, W->cbuf, sizeof W->cbuf, 1);
	if (resume)
		br_ssl_engine_set_session_parameters(k, &W->sess);
	cr_assert(br_ssl_client_reset(&W->cc, name, resume));
	cr_assert_lt(test_settle(k, s), 1000, "the handshake does not settle");
	cr_assert(test_engine_ready(s) && test_engine_ready(k),
	          "handshake failed: server %d, client %d",
	          br_ssl_engine_last_error(s), br_ssl_engine_last_error(k));
	br_ssl_engine_get_session_parameters(k, &W->sess);
	return tls_server_resumed(&W->srv);
}

Test(sesscache, resumes_a_saved_session)
{
	cr_assert_not(connect("localhost", 0, NULL));
	cr_assert(W->cache.saved, "the full handshake's session was not saved");
	cr_assert(connect("localhost", 1, NULL), "not resumed");
	cr_assert(connect("LocalHost", 1, NULL), "names compare without case");
	cr_assert_not(W->cache.saved, "a resumed session is saved again");
}

Test(sesscache, no_sni_resumes_without_sni)
{
	cr_assert_not(connect(NULL, 0, NULL));
	cr_assert(connect(NULL, 1, NULL));
}

Test(sesscache, another_name_is_a_full_handshake)
{
	cr_assert_not(connect("localhost", 0, NULL));
	cr_assert_not(connect("other.example", 1, NULL));
}

Test(sesscache, no_name_then_a_name_is_a_full_handshake)
{
	cr_assert_not(connect(NULL, 0, NULL));
	cr_assert_not(connect("localhost", 1, NULL));
}

Test(sesscache, expires)
{
	cr_assert_not(connect("localhost", 0, NULL));
	fake_now += 299999;
	cr_assert(connect("localhost", 1, NULL));
	fake_now += 1;
	cr_assert_not(connect("localhost", 1, NULL), "expired, yet resumed");
}

Test(sesscache, created_in_the_future_is_refused)
{
	cr_assert_not(connect("localhost", 0, NULL));
	fake_now -= 3600000;
	cr_assert_not(connect("localhost", 1, NULL));
	fake_now += 3600000;
}

/* The slot holding the session the client kept. */
static unsigned char *find_id(void)
{
	size_t len = tls_sesscache_size();

	for (size_t i = TLS_SESSCACHE_HEADER_SIZE; i + 32 <= len; i++)
		if (!memcmp(W->region + i, W->sess.session_id, 32))
			return W->region + i;
	cr_assert_fail("the session is not in the region");
	return NULL;
}

Test(sesscache, a_corrupt_slot_is_a_miss)
{
	cr_assert_not(connect("localhost", 0, NULL));
	find_id()[40] ^= 1; /* in the master secret */
	cr_assert_not(connect("localhost", 1, NULL));
	/* The full handshake stored a new session, which resumes. */
	cr_assert(connect("localhost", 1, NULL));
}

Test(sesscache, a_slot_being_written_is_a_miss)
{
	unsigned char *id;

	cr_assert_not(connect("localhost", 0, NULL));
	id = find_id();
	id[-8] |= 1; /* the sequence number, odd: a writer is in it */
	cr_assert_not(connect("localhost", 1, NULL));
}

/* All four slots of a bucket held by writers: a save fails while they
 * are recent, and takes a slot over once they are stale (died). */
Test(sesscache, stale_locks_are_taken_over)
{
	unsigned char *id, *slot0;
	size_t slot_size, bucket;
	uint32_t seq = 1, when;

	cr_assert_not(connect("localhost", 0, NULL));
	id = find_id();
	/* The slot size: the header records it after magic and version. */
	memcpy(&seq, W->region + 12, 4);
	slot_size = seq;
	seq = 1;
	bucket = (size_t)(id - 8 - W->region - TLS_SESSCACHE_HEADER_SIZE) /
	         slot_size / TLS_SESSCACHE_WAYS;
	slot0 = W->region + TLS_SESSCACHE_HEADER_SIZE +
	        bucket * TLS_SESSCACHE_WAYS * slot_size;
	when = (uint32_t)(fake_now / 1000);
	for (int i = 0; i < TLS_SESSCACHE_WAYS; i++) {
		memcpy(slot0 + i * slot_size, &seq, 4);
		memcpy(slot0 + i * slot_size + 4, &when, 4);
	}
	/* A session whose ID falls in that bucket (the same first bytes),
	 * saved through the class as the engine would. */
	{
		const br_ssl_session_cache_class **vt =
		    tls_sesscache_vtable(&W->cache);
		br_ssl_session_parameters p = W->sess;

		p.session_id[31] ^= 0x55; /* same bucket: first bytes kept */
		W->cache.saved = 0;
		(*vt)->save(vt, &W->srv.sc, &p);
		cr_assert_not(W->cache.saved, "saved into a held slot");
		fake_now += TLS_SESSCACHE_STALE_S * 1000;
		(*vt)->save(vt, &W->srv.sc, &p);
		cr_assert(W->cache.saved, "a stale lock was not taken over");
	}
}

Test(sesscache, client_certificate_facts_are_kept)
{
	struct tls_session_info full, again;

	tolerant_client_auth();
	cr_assert_not(connect("localhost", 0, "ec"));
	tls_server_session_info(&W->srv, &full);
	cr_assert(full.peer_hash && full.peer_subject);
	cr_assert(connect("localhost", 1, NULL), "not resumed with -Y");
	tls_server_session_info(&W->srv, &again);
	cr_assert(again.peer_hash && again.peer_subject);
	cr_assert_str_eq(again.peer_hash, full.peer_hash);
	cr_assert_str_eq(again.peer_subject, full.peer_subject);
}

Test(sesscache, no_certificate_resumes_as_none)
{
	struct tls_session_info si;

	tolerant_client_auth();
	cr_assert_not(connect("localhost", 0, NULL));
	cr_assert(connect("localhost", 1, NULL));
	tls_server_session_info(&W->srv, &si);
	cr_assert_null(si.peer_hash);
	cr_assert_null(si.peer_subject);
}

Test(sesscache, another_client_certificate_mode_is_a_full_handshake)
{
	cr_assert_not(connect("localhost", 0, NULL));
	tolerant_client_auth();
	cr_assert_not(connect("localhost", 1, NULL));
}

Test(sesscache, attach_checks_the_region)
{
	struct tls_sesscache c;
	const char *why = NULL;
	size_t len = tls_sesscache_size();

	cr_assert_eq(tls_sesscache_attach(&c, W->region, len - 1, 300, &why),
	             -1);
	cr_assert_str_eq(why, "wrong size");
	W->region[0] ^= 1;
	cr_assert_eq(tls_sesscache_attach(&c, W->region, len, 300, &why), -1);
	cr_assert_str_eq(why, "not a session cache of this version");
}

/* --- hello.c --- */

/* A ClientHello's tail: one suite, null compression, extensions ext. */
static size_t tail(unsigned char *out, const unsigned char *ext, size_t n)
{
	size_t k = 0;

	out[k++] = 0, out[k++] = 2, out[k++] = 0xc0, out[k++] = 0x2b;
	out[k++] = 1, out[k++] = 0;
	if (ext) {
		out[k++] = (unsigned char)(n >> 8), out[k++] = (unsigned char)n;
		memcpy(out + k, ext, n);
		k += n;
	}
	return k;
}

Test(hello, names)
{
	static const unsigned char sni[] = {
	    0, 0, 0, 14, 0, 12, 0, 0, 3, 'a', 'b', 'c', 0, 0, 3, 'x', 'y', 'z'};
	static const unsigned char other[] = {0, 0x17, 0, 0};
	unsigned char buf[64];
	char name[TLS_HELLO_NAME_MAX + 1];
	size_t n;

	n = tail(buf, NULL, 0);
	cr_assert_eq(tls_hello_server_name(buf, n, name), 0);
	cr_assert_str_eq(name, "");
	n = tail(buf, other, sizeof other);
	cr_assert_eq(tls_hello_server_name(buf, n, name), 0);
	cr_assert_str_eq(name, "");
	n = tail(buf, sni, sizeof sni);
	cr_assert_eq(tls_hello_server_name(buf, n, name), 0);
	cr_assert_str_eq(name, "xyz", "BearSSL keeps the last host_name");
	cr_assert_eq(tls_hello_server_name(buf, n - 1, name), -1, "short");
	buf[n] = 0;
	cr_assert_eq(tls_hello_server_name(buf, n + 1, name), -1, "trailing");
	cr_assert_eq(tls_hello_server_name(buf, 3, name), -1);
}

Test(hello, overlong_names_are_skipped)
{
	unsigned char ext[4 + 2 + 3 + 300], buf[sizeof ext + 16];
	char name[TLS_HELLO_NAME_MAX + 1];
	size_t n;

	memset(ext, 'a', sizeof ext);
	ext[0] = 0, ext[1] = 0, ext[2] = 0x01, ext[3] = 0x31;
	ext[4] = 0x01, ext[5] = 0x2f, ext[6] = 0, ext[7] = 0x01, ext[8] = 0x2c;
	n = tail(buf, ext, sizeof ext);
	cr_assert_eq(tls_hello_server_name(buf, n, name), 0);
	cr_assert_str_eq(name, "");
}
