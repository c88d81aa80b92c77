/*
 * crypto/anchors.c: trust anchors from CAFILE / CADIR. Certificates come
 * from tests/gen-client-certs.sh (in $TLSD_CLIENT_CERTS); files and
 * directories are arranged in a temporary directory per test.
 */
#include <criterion/criterion.h>

#include "testutil.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anchors.h"
#include "dn.h"

static char tmpdir[] = "/tmp/test_anchors.XXXXXX";

static void setup(void)
{
	cr_assert(getenv("TLSD_CLIENT_CERTS"), "TLSD_CLIENT_CERTS is not set");
	cr_assert(mkdtemp(tmpdir), "mkdtemp");
}

static void teardown(void)
{
	test_rmtree(tmpdir);
}

TestSuite(anchors, .init = setup, .fini = teardown, .timeout = 60);

/* A file from gen-client-certs.sh. */
static const char *cert(const char *name)
{
	return test_pathf("%s/%s", getenv("TLSD_CLIENT_CERTS"), name);
}

/* A file in this test's temporary directory. */
static const char *tmp(const char *name)
{
	return test_pathf("%s/%s", tmpdir, name);
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

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert(f, "cannot write %s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int is_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--)
		if (*c++)
			return 0;
	return 1;
}

static const char CA_DN[] = "C=FR, O=s6-tlsd tests, CN=Client Root CA";
static const char CA2_DN[] = "C=FR, O=s6-tlsd tests, CN=Client Root CA 2";

static void load_ok(struct tls_anchors *a, const char *cafile,
                    const char *cadir, size_t n)
{
	struct tls_err e = {""};

	cr_assert_eq(tls_anchors_load(a, cafile, cadir, &e), 0, "%s", e.msg);
	cr_assert_eq(a->n, n, "%zu anchors, want %zu", a->n, n);
}

/* Anchor i has this subject, key type and flags. */
static void expect_anchor(const struct tls_anchors *a, size_t i, const char *dn,
                          int type, unsigned flags)
{
	char out[256];

	cr_assert_lt(i, a->n);
	cr_assert_gt(
	    tls_dn_format(a->ta[i].dn.data, a->ta[i].dn.len, out, sizeof out),
	    0);
	cr_assert_str_eq(out, dn);
	cr_assert_eq(a->ta[i].pkey.key_type, type, "anchor %zu", i);
	cr_assert_eq(a->ta[i].flags, flags, "anchor %zu", i);
}

/* The anchor's key is the certificate's, byte for byte. */
static void expect_key_of(const struct tls_anchors *a, size_t i,
                          const char *der_name)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk, *ak = &a->ta[i].pkey;
	unsigned char der[8192];
	FILE *f = fopen(cert(der_name), "rb");
	size_t len;

	cr_assert(f);
	len = fread(der, 1, sizeof der, f);
	fclose(f);
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	cr_assert(pk);
	cr_assert_eq(pk->key_type, ak->key_type);
	if (pk->key_type == BR_KEYTYPE_EC) {
		cr_assert_eq(pk->key.ec.curve, ak->key.ec.curve);
		cr_assert_eq(pk->key.ec.qlen, ak->key.ec.qlen);
		cr_assert_arr_eq(pk->key.ec.q, ak->key.ec.q, pk->key.ec.qlen);
	} else {
		cr_assert_eq(pk->key.rsa.nlen, ak->key.rsa.nlen);
		cr_assert_arr_eq(pk->key.rsa.n, ak->key.rsa.n,
		                 pk->key.rsa.nlen);
		cr_assert_eq(pk->key.rsa.elen, ak->key.rsa.elen);
		cr_assert_arr_eq(pk->key.rsa.e, ak->key.rsa.e,
		                 pk->key.rsa.elen);
	}
}

/* Must fail with one line naming must_name (and saying must_say). */
static void expect_fail(const char *cafile, const char *cadir,
                        const char *must_name, const char *must_say)
{
	struct tls_anchors a;
	struct tls_err e = {""};

	cr_assert_eq(tls_anchors_load(&a, cafile, cadir, &e), -1,
	             "loaded %s / %s", cafile, cadir);
	cr_assert(strstr(e.msg, must_name), "'%s' does not name %s", e.msg,
	          must_name);
	cr_assert(!must_say || strstr(e.msg, must_say),
	          "'%s' does not say '%s'", e.msg, must_say);
	cr_assert_null(strchr(e.msg, '\n'), "'%s' is not one line", e.msg);
	cr_assert(is_zero(&a, sizeof a), "nothing to free after a failure");
	tls_anchors_free(&a);
}

/* ---- CAFILE ---- */

Test(anchors, cafile_bundle_of_two)
{
	struct tls_anchors a;

	run("cat %s %s >%s", cert("ca.pem"), cert("ca2.pem"), tmp("b.pem"));
	load_ok(&a, tmp("b.pem"), NULL, 2);
	expect_anchor(&a, 0, CA_DN, BR_KEYTYPE_EC, BR_X509_TA_CA);
	expect_anchor(&a, 1, CA2_DN, BR_KEYTYPE_RSA, BR_X509_TA_CA);
	expect_key_of(&a, 0, "ca.der");
	expect_key_of(&a, 1, "ca2.der");
	tls_anchors_free(&a);
	cr_assert(is_zero(&a, sizeof a), "tls_anchors_free leaves it zeroed");
	tls_anchors_free(&a);
}

Test(anchors, cafile_der)
{
	struct tls_anchors a;

	load_ok(&a, cert("ca2.der"), NULL, 1);
	expect_anchor(&a, 0, CA2_DN, BR_KEYTYPE_RSA, BR_X509_TA_CA);
	expect_key_of(&a, 0, "ca2.der");
	tls_anchors_free(&a);
}

Test(anchors, cafile_crlf_and_other_objects)
{
	struct tls_anchors a;

	/* keys and text around the certificates are ignored */
	run("(echo 'Client CAs'; cat %s %s; echo; cat %s) | sed 's/$/\\r/' "
	    ">%s",
	    cert("ca.key"), cert("ca.pem"), cert("ca2.pem"), tmp("b.pem"));
	load_ok(&a, tmp("b.pem"), NULL, 2);
	expect_anchor(&a, 0, CA_DN, BR_KEYTYPE_EC, BR_X509_TA_CA);
	expect_anchor(&a, 1, CA2_DN, BR_KEYTYPE_RSA, BR_X509_TA_CA);
	tls_anchors_free(&a);
}

Test(anchors, cafile_duplicates_kept_once)
{
	struct tls_anchors a;

	run("cat %s %s %s >%s", cert("ca.pem"), cert("ca2.pem"), cert("ca.pem"),
	    tmp("b.pem"));
	load_ok(&a, tmp("b.pem"), NULL, 2);
	tls_anchors_free(&a);
}

Test(anchors, cafile_trusted_certificate)
{
	struct tls_anchors a;

	run("openssl x509 -in %s -trustout -addtrust clientAuth -out %s",
	    cert("ca.pem"), tmp("t.pem"));
	run("grep -q 'BEGIN TRUSTED CERTIFICATE' %s", tmp("t.pem"));
	load_ok(&a, tmp("t.pem"), NULL, 1);
	expect_anchor(&a, 0, CA_DN, BR_KEYTYPE_EC, BR_X509_TA_CA);
	tls_anchors_free(&a);
}

Test(anchors, non_ca_certificate_is_direct_trust)
{
	struct tls_anchors a;

	load_ok(&a, cert("self.pem"), NULL, 1);
	expect_anchor(&a, 0, "O=s6-tlsd tests, CN=client self", BR_KEYTYPE_EC,
	              0);
	tls_anchors_free(&a);
}

/* ---- CADIR ---- */

/* ca.pem as PEM, ca2 as DER, a hash link, and things to skip. */
static void make_dir(void)
{
	run("mkdir %s && cp %s %s/ca.pem && cp %s %s/ca2.der", tmp("d"),
	    cert("ca.pem"), tmp("d"), cert("ca2.der"), tmp("d"));
	cr_assert_eq(symlink("ca.pem", tmp("d/0a1b2c3d.0")), 0);
	spit(tmp("d/.hidden"), "not a certificate", 17);
	run("mkdir %s && echo garbage >%s", tmp("d/sub"), tmp("d/sub/x"));
}

Test(anchors, cadir_pem_der_and_hash_link)
{
	struct tls_anchors a;

	make_dir();
	load_ok(&a, NULL, tmp("d"), 2);
	/* name order: 0a1b2c3d.0 (ca.pem), ca.pem (a duplicate), ca2.der */
	expect_anchor(&a, 0, CA_DN, BR_KEYTYPE_EC, BR_X509_TA_CA);
	expect_anchor(&a, 1, CA2_DN, BR_KEYTYPE_RSA, BR_X509_TA_CA);
	expect_key_of(&a, 1, "ca2.der");
	tls_anchors_free(&a);
	load_ok(&a, NULL, test_pathf("%s/", tmp("d")), 2);
	tls_anchors_free(&a);
}

Test(anchors, cadir_openssl_rehash)
{
	struct tls_anchors a;

	make_dir();
	run("openssl rehash %s 2>/dev/null || c_rehash %s >/dev/null", tmp("d"),
	    tmp("d"));
	load_ok(&a, NULL, tmp("d"), 2);
	tls_anchors_free(&a);
}

Test(anchors, cadir_wins_over_cafile)
{
	struct tls_anchors a;

	make_dir();
	load_ok(&a, "/nonexistent/cafile.pem", tmp("d"), 2);
	tls_anchors_free(&a);
}

/* A real-world CADIR: Debian's, with its hash links and its bundle. */
Test(anchors, system_ca_directory)
{
	struct tls_anchors a;
	struct tls_err e = {""};
	size_t bundle;

	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK))
		cr_skip_test("no /etc/ssl/certs/ca-certificates.crt");
	cr_assert_eq(tls_anchors_load(&a, "/etc/ssl/certs/ca-certificates.crt",
	                              NULL, &e),
	             0, "%s", e.msg);
	bundle = a.n;
	cr_assert_gt(bundle, 10);
	tls_anchors_free(&a);
	cr_assert_eq(tls_anchors_load(&a, NULL, "/etc/ssl/certs", &e), 0, "%s",
	             e.msg);
	cr_assert_geq(a.n, bundle);
	tls_anchors_free(&a);
}

/* ---- errors ---- */

Test(anchors, neither_set)
{
	expect_fail(NULL, NULL, "CADIR", "CAFILE");
}

Test(anchors, missing)
{
	expect_fail(tmp("nope.pem"), NULL, tmp("nope.pem"), "CAFILE");
	expect_fail(NULL, tmp("nope"), tmp("nope"), "CADIR");
	spit(tmp("file"), "x", 1);
	expect_fail(NULL, tmp("file"), tmp("file"), "CADIR");
}

Test(anchors, garbage_in_dir)
{
	make_dir();
	spit(tmp("d/README"), "these are our CAs\n", 18);
	expect_fail(NULL, tmp("d"), tmp("d/README"), "not a certificate");
}

Test(anchors, key_in_dir)
{
	make_dir();
	run("cp %s %s", cert("ca.key"), tmp("d/key.pem"));
	expect_fail(NULL, tmp("d"), tmp("d/key.pem"), "no certificate found");
}

Test(anchors, dangling_link_in_dir)
{
	make_dir();
	cr_assert_eq(symlink("gone.pem", tmp("d/ffffffff.0")), 0);
	expect_fail(NULL, tmp("d"), tmp("d/ffffffff.0"), "No such file");
}

Test(anchors, empty_dir)
{
	run("mkdir %s %s", tmp("e"), tmp("e/sub"));
	spit(tmp("e/.dotfile"), "x", 1);
	expect_fail(NULL, tmp("e"), tmp("e"), "no certificate found");
}

Test(anchors, bad_cafiles)
{
	unsigned char junk[300];
	size_t i;

	spit(tmp("empty"), "", 0);
	expect_fail(tmp("empty"), NULL, tmp("empty"), "empty file");
	for (i = 0; i < sizeof junk; i++)
		junk[i] = (unsigned char)(i * 7);
	spit(tmp("junk"), junk, sizeof junk);
	expect_fail(tmp("junk"), NULL, tmp("junk"), "not a certificate");
	expect_fail(cert("ca.key"), NULL, cert("ca.key"),
	            "no certificate found");
	/* truncated PEM; DER with trailing bytes; truncated DER */
	run("head -n 3 %s >%s", cert("ca.pem"), tmp("trunc.pem"));
	expect_fail(tmp("trunc.pem"), NULL, tmp("trunc.pem"), "truncated");
	run("cat %s %s >%s", cert("ca.der"), cert("ca.der"), tmp("two.der"));
	expect_fail(tmp("two.der"), NULL, tmp("two.der"), "not a certificate");
	run("head -c 200 %s >%s", cert("ca.der"), tmp("short.der"));
	expect_fail(tmp("short.der"), NULL, tmp("short.der"),
	            "not a certificate");
	/* a second certificate that is broken spoils the file */
	run("(cat %s; sed 's/^MII/MIX/' %s) >%s", cert("ca.pem"),
	    cert("ca2.pem"), tmp("bad2.pem"));
	expect_fail(tmp("bad2.pem"), NULL, tmp("bad2.pem"), "invalid");
}

Test(anchors, control_characters_in_path_kept_on_one_line)
{
	expect_fail(tmp("new\nline"), NULL, "new?line", NULL);
}
