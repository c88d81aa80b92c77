/*
 * crypto/keys.c: reading and decoding keypairs. Good inputs come from
 * tests/gen-certs.sh (in $TLSD_CERTS); bad ones are made in a temporary
 * directory per test.
 */
#include <criterion/criterion.h>

#include "testutil.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "keys_impl.h"

#define MIB (1024 * 1024)

static char tmpdir[] = "/tmp/test_keys.XXXXXX";

static void setup(void)
{
	cr_assert(getenv("TLSD_CERTS"), "TLSD_CERTS is not set");
	cr_assert(mkdtemp(tmpdir), "mkdtemp");
}

static void teardown(void)
{
	test_rmtree(tmpdir);
}

/* No .timeout: Criterion 2.4.1 then leaks in its runner (LSan); ctest
 * bounds the time. */
TestSuite(keys, .init = setup, .fini = teardown);

/* A fixture from gen-certs.sh. */
static const char *cert(const char *name)
{
	return test_pathf("%s/%s", getenv("TLSD_CERTS"), name);
}

/* A file in this test's temporary directory. */
static const char *tmp(const char *name)
{
	return test_pathf("%s/%s", tmpdir, name);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = malloc(4 * MIB);

	cr_assert(f && p, "cannot read %s", path);
	*len = fread(p, 1, 4 * MIB, f);
	fclose(f);
	return p;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert(f, "cannot write %s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

static int is_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--)
		if (*c++)
			return 0;
	return 1;
}

/* Loads and checks the leaf is NAME.crt.der, byte for byte. */
static void expect_ok(const char *key, const char *chain, const char *name,
                      int type, size_t chain_len)
{
	struct tls_keypair kp;
	struct tls_err e = {""};
	unsigned char *der;
	size_t len;

	cr_assert_eq(keypair_load(&kp, key, chain, &e), 0, "%s + %s: %s", key,
	             chain, e.msg);
	cr_assert_eq(kp.key_type, type, "%s", key);
	cr_assert_eq(kp.chain_len, chain_len, "%s", chain);
	cr_assert_not_null(kp.key_storage);
	der = slurp(cert(test_pathf("%s.crt.der", name)), &len);
	cr_assert_eq(kp.chain[0].data_len, len);
	cr_assert_arr_eq(kp.chain[0].data, der, len);
	free(der);
	keypair_free(&kp);
	cr_assert(is_zero(&kp, sizeof kp), "keypair_free leaves it zeroed");
}

/* Must fail, with one line naming must_name, leaving nothing to free. */
static void expect_fail(const char *key, const char *chain,
                        const char *must_name)
{
	struct tls_keypair kp;
	struct tls_err e = {""};

	cr_assert_eq(keypair_load(&kp, key, chain, &e), -1, "%s + %s loaded",
	             key, chain);
	cr_assert(strstr(e.msg, must_name), "'%s' does not name %s", e.msg,
	          must_name);
	cr_assert_null(strchr(e.msg, '\n'), "'%s' is not one line", e.msg);
	cr_assert_null(kp.chain);
	cr_assert_null(kp.key_storage);
}

static void expect_fail_msg(const char *key, const char *chain,
                            const char *must_name, const char *must_say)
{
	struct tls_keypair kp;
	struct tls_err e = {""};

	expect_fail(key, chain, must_name);
	keypair_load(&kp, key, chain, &e);
	cr_assert(strstr(e.msg, must_say), "'%s' does not say '%s'", e.msg,
	          must_say);
}

/* ---- every key format with every chain format ---- */

static void all_formats(const char *name, int type, int curve)
{
	static const char *const keys[] = {"key.pem", "key.der", "key.trad.pem",
	                                   "key.trad.der"};
	static const char *const chains[] = {"crt.pem", "crt.der", "chain.pem"};
	struct tls_keypair kp;
	struct tls_err e;
	size_t k, c;

	for (k = 0; k < 4; k++)
		for (c = 0; c < 3; c++)
			expect_ok(cert(test_pathf("%s.%s", name, keys[k])),
			          cert(test_pathf("%s.%s", name, chains[c])),
			          name, type, c == 2 ? 2 : 1);
	cr_assert_eq(keypair_load(&kp, cert(test_pathf("%s.key.pem", name)),
	                          cert(test_pathf("%s.crt.pem", name)), &e),
	             0);
	if (type == BR_KEYTYPE_EC)
		cr_assert_eq(kp.sk.ec.curve, curve);
	else
		cr_assert_eq(kp.sk.rsa.n_bitlen, (unsigned)curve);
	keypair_free(&kp);
}

Test(keys, ec256_all_formats)
{
	all_formats("ec256", BR_KEYTYPE_EC, BR_EC_secp256r1);
}

Test(keys, ec384_all_formats)
{
	all_formats("ec384", BR_KEYTYPE_EC, BR_EC_secp384r1);
}

Test(keys, ec521_all_formats)
{
	all_formats("ec521", BR_KEYTYPE_EC, BR_EC_secp521r1);
}

Test(keys, rsa2048_all_formats)
{
	all_formats("rsa2048", BR_KEYTYPE_RSA, 2048);
}

Test(keys, pem_chain_of_two)
{
	struct tls_keypair kp;
	struct tls_err e;
	unsigned char *der;
	size_t len;

	run("openssl x509 -in '%s' -outform DER -out '%s'", cert("int.pem"),
	    tmp("int.der"));
	cr_assert_eq(keypair_load(&kp, cert("ec384.key.pem"),
	                          cert("ec384.chain.pem"), &e),
	             0, "%s", e.msg);
	cr_assert_eq(kp.chain_len, 2);
	der = slurp(tmp("int.der"), &len);
	cr_assert_eq(kp.chain[1].data_len, len);
	cr_assert_arr_eq(kp.chain[1].data, der, len);
	free(der);
	keypair_free(&kp);
}

Test(keys, decode_from_memory)
{
	struct blob key = {0}, chain = {0};
	struct tls_keypair kp;
	struct tls_err e;

	cr_assert_eq(blob_read(&key, cert("ec521.key.der"), &e), 0);
	cr_assert_eq(blob_read(&chain, cert("ec521.chain.pem"), &e), 0);
	key.path = "mem:key";
	chain.path = "mem:chain";
	cr_assert_eq(keypair_decode(&kp, &key, &chain, &e), 0, "%s", e.msg);
	cr_assert_eq(kp.chain_len, 2);
	/* the keypair owns copies: the blobs can go */
	blob_free(&key);
	blob_free(&chain);
	cr_assert_null(key.data);
	cr_assert_eq(kp.sk.ec.x, kp.key_storage);
	keypair_free(&kp);
	keypair_free(&kp); /* harmless */
}

Test(keys, blob_read_exact)
{
	unsigned char *want, *big = calloc(1, MIB + 1);
	struct blob b;
	struct tls_err e;
	size_t len;

	want = slurp(cert("rsa2048.key.der"), &len);
	cr_assert_eq(blob_read(&b, cert("rsa2048.key.der"), &e), 0);
	cr_assert_eq(b.len, len);
	cr_assert_arr_eq(b.data, want, len);
	cr_assert_str_eq(b.path, cert("rsa2048.key.der"));
	blob_free(&b);
	spit(tmp("mib"), big, MIB);
	cr_assert_eq(blob_read(&b, tmp("mib"), &e), 0, "%s", e.msg);
	cr_assert_eq(b.len, MIB);
	blob_free(&b);
	free(want);
	free(big);
}

/* ---- odd but valid inputs ---- */

Test(keys, crlf_and_no_final_newline)
{
	unsigned char *p, *q;
	size_t len, i, n = 0;

	p = slurp(cert("rsa2048.key.pem"), &len);
	spit(tmp("nonl.pem"), p, len - 1);
	q = malloc(2 * len);
	for (i = 0; i < len; i++) {
		if (p[i] == '\n')
			q[n++] = '\r';
		q[n++] = p[i];
	}
	spit(tmp("crlf.pem"), q, n);
	free(p);
	free(q);
	run("sed 's/$/\\r/' '%s' >'%s'", cert("rsa2048.chain.pem"),
	    tmp("crlf.crt"));
	expect_ok(tmp("nonl.pem"), cert("rsa2048.crt.pem"), "rsa2048",
	          BR_KEYTYPE_RSA, 1);
	expect_ok(tmp("crlf.pem"), tmp("crlf.crt"), "rsa2048", BR_KEYTYPE_RSA,
	          2);
}

Test(keys, x509_certificate_name_and_extra_objects)
{
	run("sed 's/ CERTIFICATE-----/ X509 CERTIFICATE-----/' '%s' >'%s'",
	    cert("ec256.chain.pem"), tmp("x509.pem"));
	expect_ok(cert("ec256.key.pem"), tmp("x509.pem"), "ec256",
	          BR_KEYTYPE_EC, 2);
	/* key and certificate in one file serve as both */
	run("cat '%s' '%s' >'%s'", cert("ec256.key.trad.pem"),
	    cert("ec256.crt.pem"), tmp("both.pem"));
	expect_ok(tmp("both.pem"), tmp("both.pem"), "ec256", BR_KEYTYPE_EC, 1);
}

Test(keys, ec_parameters_before_key)
{
	struct tls_keypair kp;
	struct tls_err e;

	run("openssl ecparam -name prime256v1 -genkey -out '%s' 2>/dev/null",
	    tmp("k.pem"));
	run("openssl req -x509 -new -key '%s' -subj /CN=x -days 1 -out '%s' "
	    "2>/dev/null",
	    tmp("k.pem"), tmp("c.pem"));
	run("grep -q 'EC PARAMETERS' '%s'", tmp("k.pem"));
	cr_assert_eq(keypair_load(&kp, tmp("k.pem"), tmp("c.pem"), &e), 0, "%s",
	             e.msg);
	keypair_free(&kp);
}

/*
 * BearSSL's br_rsa_compute_pubexp() gives up unless p and q are both 3
 * mod 4, which OpenSSL does not ensure: keys where it fails must load.
 */
Test(keys, rsa_key_with_p_1_mod_4)
{
	struct tls_keypair kp;
	struct tls_err e;
	int i, found = 0;

	for (i = 0; i < 40 && !found; i++) {
		run("openssl genpkey -algorithm RSA -pkeyopt "
		    "rsa_keygen_bits:2048 -out '%s' 2>/dev/null",
		    tmp("r.pem"));
		run("openssl req -x509 -new -key '%s' -subj /CN=x -days 1 "
		    "-out '%s' 2>/dev/null",
		    tmp("r.pem"), tmp("r.crt"));
		cr_assert_eq(keypair_load(&kp, tmp("r.pem"), tmp("r.crt"), &e),
		             0, "%s", e.msg);
		found = br_rsa_compute_pubexp_get_default()(&kp.sk.rsa) == 0;
		keypair_free(&kp);
	}
	cr_assert(found, "no key with p or q = 1 mod 4 in 40 tries");
}

/* BearSSL 0.6's default (i31) modulus code gives up on 4096 bits. */
Test(keys, rsa4096)
{
	struct tls_keypair kp;
	struct tls_err e;

	run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 "
	    "-out '%s' 2>/dev/null",
	    tmp("r.pem"));
	run("openssl req -x509 -new -key '%s' -subj /CN=x -days 1 -out '%s' "
	    "2>/dev/null",
	    tmp("r.pem"), tmp("r.crt"));
	cr_assert_eq(keypair_load(&kp, tmp("r.pem"), tmp("r.crt"), &e), 0, "%s",
	             e.msg);
	cr_assert_eq(kp.sk.rsa.n_bitlen, 4096);
	keypair_free(&kp);
}

/* ---- mismatches ---- */

Test(keys, mismatch_curves_and_types)
{
	expect_fail_msg(cert("ec256.key.pem"), cert("ec384.crt.pem"),
	                cert("ec256.key.pem"), "do not match");
	expect_fail(cert("ec256.key.pem"), cert("ec384.crt.pem"),
	            cert("ec384.crt.pem"));
	expect_fail(cert("rsa2048.key.pem"), cert("ec256.crt.pem"),
	            cert("ec256.crt.pem"));
	expect_fail(cert("ec521.key.der"), cert("rsa2048.crt.der"),
	            cert("ec521.key.der"));
}

Test(keys, mismatch_same_curve)
{
	/* the intermediate CA's key is P-256 too */
	expect_fail_msg(cert("int.key"), cert("ec256.crt.pem"), cert("int.key"),
	                "do not match");
	/* the leaf's key with the intermediate first */
	expect_fail(cert("ec256.key.pem"), cert("int.pem"), cert("int.pem"));
}

/* Without the public point in the key file, the match is computed. */
Test(keys, ec_key_without_public_point)
{
	const char *formats[] = {"", "-outform DER"};

	for (int i = 0; i < 2; i++) {
		const char *k = tmp(i ? "nopub.der" : "nopub.pem");

		run("openssl ec -in '%s' -no_public %s -out '%s' 2>/dev/null",
		    cert("ec256.key.trad.pem"), formats[i], k);
		expect_ok(k, cert("ec256.chain.pem"), "ec256", BR_KEYTYPE_EC,
		          2);
		expect_fail_msg(k, cert("ec384.crt.pem"), k, "do not match");
	}
	/* another P-256 key: same curve, computed point differs */
	run("openssl ec -in '%s' -no_public -out '%s' 2>/dev/null",
	    cert("int.key"), tmp("int-nopub.pem"));
	expect_fail_msg(tmp("int-nopub.pem"), cert("ec256.crt.pem"),
	                tmp("int-nopub.pem"), "do not match");
}

Test(keys, mismatch_same_rsa_size)
{
	run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
	    "-out '%s' 2>/dev/null",
	    tmp("other.pem"));
	expect_fail_msg(tmp("other.pem"), cert("rsa2048.crt.pem"),
	                tmp("other.pem"), "do not match");
}

/* ---- unreadable files ---- */

Test(keys, missing_file)
{
	expect_fail_msg(tmp("nope.pem"), cert("ec256.crt.pem"), tmp("nope.pem"),
	                "No such file or directory");
	expect_fail_msg(cert("ec256.key.pem"), tmp("nope.crt"), tmp("nope.crt"),
	                "No such file or directory");
}

Test(keys, directory)
{
	expect_fail_msg(tmpdir, cert("ec256.crt.pem"), tmpdir,
	                "Is a directory");
}

Test(keys, oversize_file)
{
	unsigned char *big = calloc(1, MIB + 1);
	struct blob b;
	struct tls_err e;

	spit(tmp("big"), big, MIB + 1);
	free(big);
	cr_assert_eq(blob_read(&b, tmp("big"), &e), -1);
	cr_assert_null(b.data);
	cr_assert(strstr(e.msg, tmp("big")), "%s", e.msg);
	expect_fail(tmp("big"), cert("ec256.crt.pem"), tmp("big"));
	expect_fail(cert("ec256.key.pem"), tmp("big"), tmp("big"));
}

Test(keys, empty_file)
{
	spit(tmp("empty"), "", 0);
	expect_fail(tmp("empty"), cert("ec256.crt.pem"), tmp("empty"));
	expect_fail(cert("ec256.key.pem"), tmp("empty"), tmp("empty"));
}

/* ---- bad contents ---- */

Test(keys, garbage)
{
	unsigned char junk[3000];
	unsigned x = 12345;
	size_t i;

	for (i = 0; i < sizeof junk; i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (unsigned char)(x >> 16);
	}
	spit(tmp("junk"), junk, sizeof junk);
	junk[0] = 0x30; /* looks like DER */
	spit(tmp("junk.der"), junk, sizeof junk);
	spit(tmp("text"), "hello world\n", 12);
	spit(tmp("nobase64.pem"), "-----BEGIN PRIVATE KEY-----\n!!!!\n", 33);
	expect_fail(tmp("junk"), cert("ec256.crt.pem"), tmp("junk"));
	expect_fail(tmp("junk.der"), cert("ec256.crt.pem"), tmp("junk.der"));
	expect_fail(tmp("text"), cert("ec256.crt.pem"), tmp("text"));
	expect_fail(tmp("nobase64.pem"), cert("ec256.crt.pem"),
	            tmp("nobase64.pem"));
	expect_fail(cert("ec256.key.pem"), tmp("junk"), tmp("junk"));
	expect_fail(cert("ec256.key.pem"), tmp("junk.der"), tmp("junk.der"));
	expect_fail(cert("ec256.key.pem"), tmp("text"), tmp("text"));
}

Test(keys, cert_as_key_and_key_as_cert)
{
	expect_fail_msg(cert("ec256.crt.pem"), cert("ec256.crt.pem"),
	                cert("ec256.crt.pem"), "no private key");
	expect_fail_msg(cert("rsa2048.crt.der"), cert("rsa2048.crt.der"),
	                cert("rsa2048.crt.der"), "certificate");
	expect_fail_msg(cert("ec384.key.pem"), cert("ec384.key.pem"),
	                cert("ec384.key.pem"), "no certificate");
	expect_fail_msg(cert("ec384.key.pem"), cert("ec384.key.der"),
	                cert("ec384.key.der"), "private key");
	expect_fail(cert("rsa2048.key.trad.pem"), cert("rsa2048.key.trad.der"),
	            cert("rsa2048.key.trad.der"));
}

Test(keys, der_with_two_certificates)
{
	run("cat '%s' '%s' >'%s'", cert("ec256.crt.der"), cert("ec384.crt.der"),
	    tmp("two.der"));
	expect_fail(cert("ec256.key.pem"), tmp("two.der"), tmp("two.der"));
}

Test(keys, two_private_keys)
{
	run("cat '%s' '%s' >'%s'", cert("ec256.key.pem"), cert("int.key"),
	    tmp("two.pem"));
	expect_fail_msg(tmp("two.pem"), cert("ec256.crt.pem"), tmp("two.pem"),
	                "more than one");
}

/* Every cut inside an object fails (a cut in its END line may not). */
static void cut_everywhere(const char *src, const char *key, const char *chain,
                           int cut_key)
{
	unsigned char *p;
	size_t len, n, end, begin2;
	const char *f = tmp("cut.pem");
	char *s;

	p = slurp(src, &len);
	p[len - 1] = 0; /* a newline: now a string */
	s = strstr((char *)p, "-----END");
	end = (size_t)(s - (char *)p);
	s = strstr(s + 1, "-----BEGIN");
	begin2 = s ? (size_t)(strchr(s, '\n') - (char *)p) + 1 : len;
	s = strstr(s ? s : (char *)p, "-----END");
	for (n = 0; n < len; n++) {
		spit(f, p, n);
		if (n < end || (n >= begin2 && n < (size_t)(s - (char *)p)))
			expect_fail(cut_key ? f : key, cut_key ? chain : f, f);
	}
	free(p);
}

Test(keys, truncated_pem)
{
	cut_everywhere(cert("ec256.key.pem"), NULL, cert("ec256.crt.pem"), 1);
	cut_everywhere(cert("ec256.key.trad.pem"), NULL, cert("ec256.crt.pem"),
	               1);
	cut_everywhere(cert("ec256.chain.pem"), cert("ec256.key.pem"), NULL, 0);
}

/* Offset in the file of base64 character i of the first object. */
static size_t b64_offset(const unsigned char *p, size_t i)
{
	size_t off = (size_t)((unsigned char *)strchr((char *)p, '\n') - p);

	for (off++;; off++)
		if (p[off] != '\n' && p[off] != '\r' && !i--)
			return off;
}

Test(keys, corrupted_base64)
{
	unsigned char *p;
	const char *f = tmp("corrupt.pem"), *crt = cert("ec256.crt.pem");
	size_t len, i, off;
	unsigned char was;
	struct tls_keypair kp;
	struct tls_err e;

	p = slurp(cert("ec256.key.pem"), &len);
	p[len - 1] = 0;
	/* one character of the private scalar (DER bytes 36..67) */
	off = b64_offset(p, 60);
	was = p[off];
	p[off] = was == 'A' ? 'B' : 'A';
	spit(f, p, len);
	expect_fail(f, crt, f);
	/* not base64 at all */
	p[off] = '*';
	spit(f, p, len);
	expect_fail_msg(f, crt, f, "PEM");
	p[off] = was;
	/* every character, a valid substitute; scalar and header must fail */
	for (i = 0; i < 184; i++) {
		off = b64_offset(p, i);
		was = p[off];
		p[off] = was == 'z' ? '0' : 'z';
		spit(f, p, len);
		if (i >= 48 && i <= 89)
			expect_fail(f, crt, f);
		else if (keypair_load(&kp, f, crt, &e) == 0)
			keypair_free(&kp); /* e.g. in the public key copy */
		else
			cr_assert(strstr(e.msg, f), "%s", e.msg);
		p[off] = was;
	}
	free(p);
}

Test(keys, unsupported_curve)
{
	run("openssl genpkey -algorithm EC -pkeyopt "
	    "ec_paramgen_curve:secp256k1 -out '%s' 2>/dev/null",
	    tmp("k1.pem"));
	run("openssl pkey -in '%s' -traditional -out '%s'", tmp("k1.pem"),
	    tmp("k1.trad.pem"));
	run("openssl req -x509 -new -key '%s' -subj /CN=x -days 1 -out '%s' "
	    "2>/dev/null",
	    tmp("k1.pem"), tmp("k1.crt"));
	expect_fail_msg(tmp("k1.pem"), tmp("k1.crt"), tmp("k1.pem"), "P-256");
	expect_fail_msg(tmp("k1.trad.pem"), tmp("k1.crt"), tmp("k1.trad.pem"),
	                "P-256");
}

Test(keys, encrypted_keys)
{
	run("openssl pkey -in '%s' -aes128 -passout pass:x -out '%s'",
	    cert("ec256.key.pem"), tmp("enc.pem"));
	run("openssl pkey -in '%s' -traditional -aes128 -passout pass:x "
	    "-out '%s'",
	    cert("rsa2048.key.pem"), tmp("enc.trad.pem"));
	expect_fail_msg(tmp("enc.pem"), cert("ec256.crt.pem"), tmp("enc.pem"),
	                "encrypted");
	expect_fail_msg(tmp("enc.trad.pem"), cert("rsa2048.crt.pem"),
	                tmp("enc.trad.pem"), "encrypted");
}

/* crypto/rsakey.c's DER walk against BearSSL's decoder: the same key, or
 * no answer (then BearSSL decides). */
static int same_int(const unsigned char *a, size_t al, const unsigned char *b,
                    size_t bl)
{
	return al == bl && !memcmp(a, b, al);
}

/* 1 if rsa_der_decode answered, and then BearSSL said the same */
static int compare_rsa(const unsigned char *der, size_t len)
{
	br_rsa_private_key ours;
	const br_rsa_private_key *ref;
	br_skey_decoder_context dc;

	if (!rsa_der_decode(der, len, &ours))
		return 0;
	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	cr_assert_eq(br_skey_decoder_last_error(&dc), 0,
	             "accepted what BearSSL refuses");
	cr_assert_eq(br_skey_decoder_key_type(&dc), BR_KEYTYPE_RSA);
	ref = br_skey_decoder_get_rsa(&dc);
	cr_assert_eq(ours.n_bitlen, ref->n_bitlen);
	cr_assert(same_int(ours.p, ours.plen, ref->p, ref->plen), "p");
	cr_assert(same_int(ours.q, ours.qlen, ref->q, ref->qlen), "q");
	cr_assert(same_int(ours.dp, ours.dplen, ref->dp, ref->dplen), "dp");
	cr_assert(same_int(ours.dq, ours.dqlen, ref->dq, ref->dqlen), "dq");
	cr_assert(same_int(ours.iq, ours.iqlen, ref->iq, ref->iqlen), "iq");
	return 1;
}

Test(keys, rsa_der_walk_is_bearssl)
{
	const char *bits[] = {"1024", "3072"};
	const char *files[6];
	size_t nf = 0;

	files[nf++] = cert("rsa2048.key.der");
	files[nf++] = cert("rsa2048.key.trad.der");
	for (int i = 0; i < 2; i++) {
		char name[32], trad[32];

		snprintf(name, sizeof name, "r%s.der", bits[i]);
		snprintf(trad, sizeof trad, "r%s.trad.der", bits[i]);
		run("openssl genpkey -algorithm RSA -pkeyopt "
		    "rsa_keygen_bits:%s "
		    "-outform DER -out '%s' 2>/dev/null",
		    bits[i], tmp(name));
		run("openssl pkey -inform DER -in '%s' -traditional -outform "
		    "DER -out '%s' 2>/dev/null",
		    tmp(name), tmp(trad));
		files[nf++] = strdup(tmp(name));
		files[nf++] = strdup(tmp(trad));
	}
	for (size_t f = 0; f < nf; f++) {
		size_t len;
		unsigned char *der = slurp(files[f], &len);

		cr_assert_eq(compare_rsa(der, len), 1, "%s not walked",
		             files[f]);
		/* no prefix is a key; no altered byte gives another key */
		for (size_t cut = 0; cut < len; cut++)
			cr_assert_eq(
			    rsa_der_decode(der, cut, &(br_rsa_private_key){0}),
			    0, "%s cut at %zu", files[f], cut);
		for (size_t at = 0; at < len && at < 64; at++) {
			der[at] ^= 0x41;
			compare_rsa(der, len);
			der[at] ^= 0x41;
		}
		free(der);
	}
}
