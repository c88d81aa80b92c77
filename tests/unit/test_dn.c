/*
 * crypto/dn.c: formatting DER X.500 Names. Names are built here by hand,
 * plus one from a certificate made by openssl, compared with its own
 * RFC 2253 rendering.
 */
#include <criterion/criterion.h>

#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "dn.h"

TestSuite(dn, .timeout = 60);

/* ---- building Names ---- */

/* OIDs as BearSSL writes them: length byte, then the OID's DER value. */
#define OID_C "\x03\x55\x04\x06"
#define OID_ST "\x03\x55\x04\x08"
#define OID_L "\x03\x55\x04\x07"
#define OID_O "\x03\x55\x04\x0a"
#define OID_OU "\x03\x55\x04\x0b"
#define OID_CN "\x03\x55\x04\x03"
#define OID_STREET "\x03\x55\x04\x09"
#define OID_EMAIL "\x09\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01"

enum {
	UTF8 = 0x0c,
	PRINTABLE = 0x13,
	TELETEX = 0x14,
	IA5 = 0x16,
	UNIVERSAL = 0x1c,
	BMP = 0x1e,
	NUMERIC = 0x12,
	VISIBLE = 0x1a,
};

struct av {
	const char *oid;
	unsigned char tag;
	const char *val;
	size_t len; /* 0: strlen(val) */
	int join;   /* in the same RDN as the previous one */
};

#define A(oid, tag, val)                                                       \
	{                                                                      \
		oid, tag, val, 0, 0                                            \
	}
#define AL(oid, tag, val, len)                                                 \
	{                                                                      \
		oid, tag, val, len, 0                                          \
	}
#define AJ(oid, tag, val)                                                      \
	{                                                                      \
		oid, tag, val, 0, 1                                            \
	}

#define NAME_MAX_LEN 65536

/* Writes a tag and a DER length; returns the header's size. */
static size_t hdr(unsigned char *p, unsigned char tag, size_t len)
{
	p[0] = tag;
	if (len < 0x80) {
		p[1] = (unsigned char)len;
		return 2;
	}
	if (len < 0x100) {
		p[1] = 0x81;
		p[2] = (unsigned char)len;
		return 3;
	}
	p[1] = 0x82;
	p[2] = (unsigned char)(len >> 8);
	p[3] = (unsigned char)len;
	return 4;
}

static size_t tlv(unsigned char *p, unsigned char tag, const void *v,
                  size_t len)
{
	size_t h = hdr(p, tag, len);

	memcpy(p + h, v, len);
	return h + len;
}

static size_t atv(unsigned char *p, const struct av *a)
{
	unsigned char in[1024];
	size_t n, len = a->len ? a->len : strlen(a->val);

	cr_assert_lt(len, 1000);
	n = tlv(in, 0x06, a->oid + 1, (unsigned char)a->oid[0]);
	n += tlv(in + n, a->tag, a->val, len);
	return tlv(p, 0x30, in, n);
}

/* A Name of n attributes, into malloc'd memory of exactly its size. */
static unsigned char *build(const struct av *avs, size_t n, size_t *len)
{
	static unsigned char rdns[NAME_MAX_LEN], set[4096], out[NAME_MAX_LEN];
	size_t rl = 0, sl, i = 0;
	unsigned char *p;

	while (i < n) {
		sl = 0;
		do
			sl += atv(set + sl, &avs[i++]);
		while (i < n && avs[i].join);
		rl += tlv(rdns + rl, 0x31, set, sl);
		cr_assert_lt(rl, sizeof rdns - 4096);
	}
	*len = tlv(out, 0x30, rdns, rl);
	p = malloc(*len ? *len : 1);
	memcpy(p, out, *len);
	return p;
}

/* Formats der (copied to memory of its exact size, so that ASan sees any
 * overread) into a buffer of exactly cap bytes. */
static int fmt(const void *der, size_t len, char *out, size_t cap)
{
	unsigned char *d = malloc(len ? len : 1);
	char *o = malloc(cap ? cap : 1);
	int r;

	memcpy(d, der, len);
	r = tls_dn_format(d, len, o, cap);
	if (r >= 0)
		memcpy(out, o, (size_t)r + 1);
	free(d);
	free(o);
	return r;
}

/* Formats der; checks the result, that every shorter buffer is refused,
 * and that every truncation of der is refused. */
static void expect_der(const unsigned char *der, size_t len, const char *want)
{
	char out[NAME_MAX_LEN * 2];
	size_t wl = strlen(want), cap, cut;
	int r = fmt(der, len, out, sizeof out);

	cr_assert_eq(r, (int)wl, "got %d '%s', want '%s'", r, r < 0 ? "" : out,
	             want);
	cr_assert_str_eq(out, want);
	cr_assert_eq(fmt(der, len, out, wl + 1), (int)wl);
	cr_assert_str_eq(out, want);
	for (cap = 0; cap <= wl && cap < 300; cap++)
		cr_assert_eq(fmt(der, len, out, cap), -1, "cap %zu", cap);
	for (cut = 0; cut < len && cut < 300; cut++)
		cr_assert_eq(fmt(der, cut, out, sizeof out), -1, "cut %zu",
		             cut);
}

static void expect(const struct av *avs, size_t n, const char *want)
{
	size_t len;
	unsigned char *der = build(avs, n, &len);

	expect_der(der, len, want);
	free(der);
}

static void expect_bad(const struct av *avs, size_t n)
{
	char out[1024];
	size_t len;
	unsigned char *der = build(avs, n, &len);

	cr_assert_eq(fmt(der, len, out, sizeof out), -1, "got '%s'", out);
	free(der);
}

/* A single attribute: "CN=..." (or whatever oid) from one value. */
static void expect1(const char *oid, unsigned char tag, const char *val,
                    size_t len, const char *want)
{
	struct av a = {oid, tag, val, len, 0};

	expect(&a, 1, want);
}

static void expect1_bad(unsigned char tag, const char *val, size_t len)
{
	struct av a = {OID_CN, tag, val, len, 0};

	expect_bad(&a, 1);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define RAW(s) (const unsigned char *)(s), (sizeof(s) - 1)

/* ---- order ---- */

Test(dn, order_normalised)
{
	static const struct av a[] = {
	    A(OID_CN, UTF8, "Name"),    A(OID_EMAIL, IA5, "a@b.example"),
	    A(OID_OU, UTF8, "b"),       A(OID_O, UTF8, "Org"),
	    A(OID_OU, UTF8, "a"),       A(OID_STREET, UTF8, "1 Main St"),
	    A(OID_L, UTF8, "Lausanne"), A(OID_ST, UTF8, "Vaud"),
	    A(OID_C, PRINTABLE, "CH"),
	};

	expect(a, N(a),
	       "C=CH, ST=Vaud, L=Lausanne, O=Org, OU=b, OU=a, CN=Name");
}

Test(dn, already_in_order)
{
	static const struct av a[] = {
	    A(OID_C, PRINTABLE, "FR"),
	    A(OID_O, UTF8, "s6-tlsd tests"),
	    A(OID_CN, UTF8, "Test"),
	};

	expect(a, N(a), "C=FR, O=s6-tlsd tests, CN=Test");
}

Test(dn, repeated_kinds_keep_certificate_order)
{
	static const struct av a[] = {
	    A(OID_CN, UTF8, "c1"), A(OID_OU, UTF8, "z"), A(OID_CN, UTF8, "c2"),
	    A(OID_OU, UTF8, "y"),  A(OID_OU, UTF8, "x"),
	};

	expect(a, N(a), "OU=z, OU=y, OU=x, CN=c1, CN=c2");
}

Test(dn, multi_valued_rdn_flattened)
{
	static const struct av a[] = {
	    A(OID_CN, UTF8, "x"),
	    AJ(OID_OU, UTF8, "y"),
	    AJ(OID_O, UTF8, "z"),
	    A(OID_C, PRINTABLE, "DE"),
	};

	expect(a, N(a), "C=DE, O=z, OU=y, CN=x");
}

Test(dn, empty_and_unrelated)
{
	static const struct av a[] = {
	    A(OID_EMAIL, IA5, "a@b.example"),
	    A(OID_STREET, UTF8, "1 Main St"),
	};

	expect_der(RAW("\x30\x00"), "");
	expect(a, N(a), "");
}

/* ---- escaping ---- */

Test(dn, specials_escaped)
{
	static const char specials[] = ",=+<>#\\\n";
	char val[8], want[16];
	size_t i;

	for (i = 0; specials[i]; i++) {
		snprintf(val, sizeof val, "a%cb", specials[i]);
		snprintf(want, sizeof want, "CN=a\\%cb", specials[i]);
		expect1(OID_CN, UTF8, val, 0, want);
		snprintf(val, sizeof val, "%c", specials[i]);
		snprintf(want, sizeof want, "CN=\\%c", specials[i]);
		expect1(OID_CN, UTF8, val, 0, want);
	}
	expect1(OID_O, UTF8, "Acme, Inc. <sales> #1 a+b=c \\o/", 0,
	        "O=Acme\\, Inc. \\<sales\\> \\#1 a\\+b\\=c \\\\o/");
}

Test(dn, edge_spaces_escaped)
{
	expect1(OID_CN, UTF8, " a", 0, "CN=\\ a");
	expect1(OID_CN, UTF8, "a ", 0, "CN=a\\ ");
	expect1(OID_CN, UTF8, " a b ", 0, "CN=\\ a b\\ ");
	expect1(OID_CN, UTF8, "   x   ", 0, "CN=\\   x  \\ ");
	expect1(OID_CN, UTF8, " ", 0, "CN=\\ ");
	expect1(OID_CN, UTF8, "  ", 0, "CN=\\ \\ ");
	expect1(OID_CN, UTF8, "a b", 0, "CN=a b");
	/* in BMPString too: edges are characters, not bytes */
	expect1(OID_CN, BMP, "\0 \0a\0 ", 6, "CN=\\ a\\ ");
}

Test(dn, controls_in_hex)
{
	expect1(OID_CN, UTF8, "a\x01z", 0, "CN=a\\01z");
	expect1(OID_CN, UTF8, "tab\there", 0, "CN=tab\\09here");
	expect1(OID_CN, UTF8, "cr\r", 0, "CN=cr\\0D");
	expect1(OID_CN, UTF8, "del\x7f", 0, "CN=del\\7F");
	/* a NUL must never reach the NUL-separated notification */
	expect1(OID_CN, UTF8, "a\0SSL_X=evil", 12, "CN=a\\00SSL_X\\=evil");
	expect1(OID_CN, BMP, "\0\0", 2, "CN=\\00");
}

Test(dn, empty_value)
{
	expect1(OID_CN, UTF8, "", 0, "CN=");
}

/* ---- string types ---- */

Test(dn, ascii_types)
{
	expect1(OID_C, PRINTABLE, "FR", 0, "C=FR");
	expect1(OID_CN, IA5, "host.example", 0, "CN=host.example");
}

Test(dn, utf8_non_ascii)
{
	expect1(OID_L, UTF8, "Z\xc3\xbcrich", 0, "L=Z\xc3\xbcrich");
	expect1(OID_CN, UTF8, "\xe2\x82\xac \xf0\x9f\x98\x80", 0,
	        "CN=\xe2\x82\xac \xf0\x9f\x98\x80");
}

Test(dn, teletex_as_latin1)
{
	expect1(OID_O, TELETEX, "caf\xe9 \xa9", 0, "O=caf\xc3\xa9 \xc2\xa9");
}

Test(dn, bmp)
{
	expect1(OID_CN, BMP, "\0Z\0\xfc\x20\xac", 6,
	        "CN=Z\xc3\xbc\xe2\x82\xac");
	/* a surrogate pair: U+1F600 */
	expect1(OID_CN, BMP, "\xd8\x3d\xde\x00", 4, "CN=\xf0\x9f\x98\x80");
	/* U+012C: its low byte is ',', which must not be escaped */
	expect1(OID_CN, BMP, "\x01\x2c\x01\x3d", 4, "CN=\xc4\xac\xc4\xbd");
	expect1(OID_CN, BMP, "", 0, "CN=");
}

Test(dn, universal)
{
	expect1(OID_CN, UNIVERSAL, "\0\0\0A\0\0\0\xe9\0\x01\xf6\x00", 12,
	        "CN=A\xc3\xa9\xf0\x9f\x98\x80");
	expect1(OID_CN, UNIVERSAL, "\0\x10\xff\xff", 4, "CN=\xf4\x8f\xbf\xbf");
}

Test(dn, long_value)
{
	char val[301], want[310];

	memset(val, 'v', 300);
	val[300] = 0;
	snprintf(want, sizeof want, "CN=%s", val);
	expect1(OID_CN, UTF8, val, 0, want);
}

Test(dn, other_types_skipped)
{
	static const struct av a[] = {
	    A(OID_CN, NUMERIC, "123"),     A(OID_O, UTF8, "kept"),
	    A(OID_OU, VISIBLE, "vis"),     A(OID_L, 0x04, "octets"),
	    AL(OID_ST, 0x03, "\0bits", 5), AL(OID_C, 0x30, "\x05\x00", 2),
	};

	expect(a, N(a), "O=kept");
}

/* ---- invalid values ---- */

Test(dn, invalid_utf8)
{
	expect1_bad(UTF8, "\xc3\x28", 2);         /* bad continuation */
	expect1_bad(UTF8, "a\xc3", 2);            /* truncated */
	expect1_bad(UTF8, "\xc0\x80", 2);         /* overlong NUL */
	expect1_bad(UTF8, "\xe0\x80\xaf", 3);     /* overlong '/' */
	expect1_bad(UTF8, "\xf0\x82\x82\xac", 4); /* overlong euro */
	expect1_bad(UTF8, "\xed\xa0\x80", 3);     /* surrogate */
	expect1_bad(UTF8, "\xf4\x90\x80\x80", 4); /* past U+10FFFF */
	expect1_bad(UTF8, "\xf8\x88\x80\x80\x80", 5);
	expect1_bad(UTF8, "\x80", 1);
	expect1_bad(UTF8, "\xff", 1);
}

Test(dn, invalid_bmp_universal_ascii)
{
	expect1_bad(BMP, "\0A\0", 3);       /* odd length */
	expect1_bad(BMP, "\xd8\x3d", 2);    /* lone high surrogate */
	expect1_bad(BMP, "\xd8\x3d\0A", 4); /* high, then no low */
	expect1_bad(BMP, "\xde\x00", 2);    /* lone low surrogate */
	expect1_bad(UNIVERSAL, "\0\0A", 3); /* not a multiple of 4 */
	expect1_bad(UNIVERSAL, "\0\x11\0\0", 4);
	expect1_bad(UNIVERSAL, "\0\0\xd8\0", 4);
	expect1_bad(UNIVERSAL, "\x80\0\0A", 4);
	expect1_bad(PRINTABLE, "caf\xe9", 4);
	expect1_bad(IA5, "\xff", 1);
}

Test(dn, invalid_value_of_unselected_attribute_ignored)
{
	static const struct av a[] = {
	    AL(OID_EMAIL, IA5, "\xff", 1),
	    AL(OID_STREET, UTF8, "\xc0\x80", 2),
	    A(OID_CN, UTF8, "x"),
	};

	expect(a, N(a), "CN=x");
}

/* ---- malformed DER ---- */

/* CN=a: 30 0c | 31 0a | 30 08 | 06 03 55 04 03 | 0c 01 61 */
#define GOOD "\x30\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x0c\x01\x61"

static void bad(const unsigned char *der, size_t len)
{
	char out[256];

	cr_assert_eq(fmt(der, len, out, sizeof out), -1, "got '%s'", out);
}

Test(dn, malformed_der)
{
	char out[64];

	expect_der(RAW(GOOD), "CN=a");
	cr_assert_eq(tls_dn_format(NULL, 0, out, sizeof out), -1);
	bad(RAW(""));
	bad(RAW("\x30"));
	bad(RAW("\x31\x00"));                 /* outer SET */
	bad(RAW("\x04\x00"));                 /* outer OCTET STRING */
	bad(RAW(GOOD "\x00"));                /* trailing byte */
	bad(RAW(GOOD "\x30\x00"));            /* a second Name */
	bad(RAW("\x30\x02\x31\x00"));         /* empty RDN */
	bad(RAW("\x30\x04\x30\x02\x30\x00")); /* RDN as SEQUENCE */
	bad(RAW("\x30\x04\x31\x02\x31\x00")); /* ATV as SET */
	bad(RAW("\x30\x02\x05\x00"));         /* NULL as RDN */
	/* OID with the wrong tag, empty OID, missing value, extra element */
	bad(RAW("\x30\x0c\x31\x0a\x30\x08\x04\x03\x55\x04\x03\x0c\x01\x61"));
	bad(RAW("\x30\x08\x31\x06\x30\x04\x06\x00\x0c\x00"));
	bad(RAW("\x30\x09\x31\x07\x30\x05\x06\x03\x55\x04\x03"));
	bad(RAW("\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x0c\x01\x61"
	        "\x05\x00"));
	/* trailing byte inside the RDN, inside the ATV */
	bad(RAW("\x30\x0d\x31\x0b\x30\x08\x06\x03\x55\x04\x03\x0c\x01\x61"
	        "\x00"));
	bad(RAW("\x30\x0d\x31\x0b\x30\x09\x06\x03\x55\x04\x03\x0c\x01\x61"
	        "\x00"));
}

Test(dn, malformed_lengths)
{
	/* value longer than its ATV, ATV longer than its RDN */
	bad(RAW("\x30\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x0c\x05\x61"));
	bad(RAW("\x30\x0c\x31\x0a\x30\x09\x06\x03\x55\x04\x03\x0c\x01\x61"));
	bad(RAW("\x30\x0c\x31\x0b\x30\x08\x06\x03\x55\x04\x03\x0c\x01\x61"));
	bad(RAW("\x30\x0d\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x0c\x01\x61"));
	/* indefinite, non-minimal, too long, huge */
	bad(RAW("\x30\x80\x00\x00"));
	bad(RAW("\x30\x81\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x0c\x01"
	        "\x61"));
	bad(RAW("\x30\x82\x00\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x0c"
	        "\x01\x61"));
	bad(RAW("\x30\x85\x00\x00\x00\x00\x0c"));
	bad(RAW("\x30\x84\xff\xff\xff\xff\x31\x00"));
	bad(RAW("\x30\x84\x7f\xff\xff\xff\x31\x00"));
	bad(RAW("\x30\x88\xff\xff\xff\xff\xff\xff\xff\xff"));
	bad(RAW("\x30\x81"));
	/* a value whose long-form length runs off the end */
	bad(RAW("\x30\x0b\x31\x09\x30\x07\x06\x03\x55\x04\x03\x0c\x82"));
}

Test(dn, high_tag_numbers_refused)
{
	bad(RAW("\x30\x0d\x31\x0b\x30\x09\x06\x03\x55\x04\x03\x1f\x0c\x01"
	        "\x61"));
	bad(RAW("\x1f\x30\x00"));
}

/* ---- sizes ---- */

Test(dn, output_overflow)
{
	char out[16];

	cr_assert_eq(fmt(RAW(GOOD), out, 0), -1);
	cr_assert_eq(fmt(RAW(GOOD), out, 4), -1);
	cr_assert_eq(fmt(RAW(GOOD), out, 5), 4);
	cr_assert_str_eq(out, "CN=a");
	/* an escape that does not fit whole */
	expect1(OID_CN, UTF8, "ab,", 0, "CN=ab\\,");
	expect1(OID_CN, UTF8, "\x01", 0, "CN=\\01");
	expect1(OID_CN, UTF8, "\xf0\x9f\x98\x80", 0, "CN=\xf0\x9f\x98\x80");
}

Test(dn, many_rdns)
{
	struct av *a = calloc(5000, sizeof *a);
	char *want = malloc(5000 * 6), *p = want;
	size_t i;

	for (i = 0; i < 5000; i++) {
		a[i] = (struct av)A(OID_OU, UTF8, "x");
		p += sprintf(p, "%sOU=x", i ? ", " : "");
	}
	expect(a, 5000, want);
	free(a);
	free(want);
}

/* Random damage to a rich Name: -1 or a proper string, never a crash or
 * an overread (ASan builds check that). */
Test(dn, mutations_are_safe)
{
	static const struct av a[] = {
	    A(OID_CN, UTF8, "Client, EC"), AL(OID_OU, BMP, "\0B", 2),
	    A(OID_O, TELETEX, "caf\xe9"),  AL(OID_L, UNIVERSAL, "\0\0\0Z", 4),
	    AJ(OID_ST, IA5, "Vaud"),       A(OID_C, PRINTABLE, "CH"),
	    A(OID_EMAIL, IA5, "a@b"),
	};
	unsigned char *der, *m;
	char out[512];
	size_t len, i, k, cut;
	int r;

	der = build(a, N(a), &len);
	m = malloc(len);
	srand(12345);
	for (i = 0; i < 20000; i++) {
		memcpy(m, der, len);
		for (k = 0; k < 1 + (size_t)rand() % 3; k++)
			m[(size_t)rand() % len] = (unsigned char)rand();
		cut = i % 4 ? len : (size_t)rand() % len;
		r = fmt(m, cut, out, sizeof out);
		if (r >= 0)
			cr_assert_eq(strlen(out), (size_t)r);
	}
	free(m);
	free(der);
}

/* ---- against openssl ---- */

static void dn_append(void *ctx, const void *buf, size_t len)
{
	unsigned char **p = ctx;

	memcpy(*p, buf, len);
	*p += len;
}

/* The subject as openssl writes it, RFC 2253 escapes, forward order. */
static void openssl_subject(const char *cert, char *out, size_t cap)
{
	char cmd[512];
	FILE *f;

	snprintf(cmd, sizeof cmd,
	         "openssl x509 -in %s -noout -subject -nameopt "
	         "RFC2253,-dn_rev,-esc_msb,sep_comma_plus_space",
	         cert);
	f = popen(cmd, "r");
	cr_assert(f && fgets(out, (int)cap, f), "%s", cmd);
	pclose(f);
	out[strcspn(out, "\n")] = 0;
}

Test(dn, same_as_openssl)
{
	char dir[] = "/tmp/test_dn.XXXXXX", path[64], cmd[1024], want[512],
	     got[512];
	unsigned char der[4096], dn[1024], *p = dn;
	br_x509_decoder_context dc;
	size_t len;
	FILE *f;

	cr_assert(mkdtemp(dir));
	snprintf(cmd, sizeof cmd,
	         "cd %s && openssl req -x509 -new -newkey ec -pkeyopt "
	         "ec_paramgen_curve:P-256 -nodes -keyout k.pem -days 1 -utf8 "
	         "-subj '/C=CH/ST=Vaud/L=Z\xc3\xbcrich/O=Acme, Inc./"
	         "OU=R&D <lab>/OU= lead/CN=#1 x\\\\ ' -outform DER "
	         "-out c.der >/dev/null 2>&1 && openssl x509 -inform DER "
	         "-in c.der -out c.pem",
	         dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(path, sizeof path, "%s/c.der", dir);
	f = fopen(path, "rb");
	cr_assert(f);
	len = fread(der, 1, sizeof der, f);
	fclose(f);
	br_x509_decoder_init(&dc, dn_append, &p);
	br_x509_decoder_push(&dc, der, len);
	cr_assert_eq(br_x509_decoder_last_error(&dc), 0);
	snprintf(path, sizeof path, "%s/c.pem", dir);
	openssl_subject(path, want, sizeof want);
	test_rmtree(dir);
	cr_assert_gt(tls_dn_format(dn, (size_t)(p - dn), got, sizeof got), 0);
	cr_assert_str_eq(got, want + strlen("subject="));
	cr_assert_str_eq(got, "C=CH, ST=Vaud, L=Z\xc3\xbcrich, O=Acme\\, Inc., "
	                      "OU=R&D \\<lab\\>, OU=\\ lead, CN=\\#1 x\\\\\\ ");
}
