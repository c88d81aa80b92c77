#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "notif.h"

/* Literal blocks: sizeof includes the compiler's final NUL, so drop it. */
#define BLOCK(s) s, sizeof(s) - 1

struct seen {
	int n;
	char names[8][32];
	char values[8][NOTIF_MAX];
	int bare[8];
};

static int record(const char *name, const char *value, void *ctx)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, 8);
	snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
	s->bare[s->n] = !value;
	snprintf(s->values[s->n], sizeof s->values[0], "%s",
	         value ? value : "");
	s->n++;
	return 0;
}

/* Parses a copy of block[0..len) and returns notif_parse's result. */
static int parse_copy(const char *block, size_t len, struct seen *s)
{
	static char buf[2 * NOTIF_MAX];

	cr_assert_leq(len, sizeof buf);
	memcpy(buf, block, len);
	memset(s, 0, sizeof *s);
	return notif_parse(buf, len, record, s);
}

static const struct notif_facts full = {
    .protocol = "TLSv1.2",
    .cipher = "ECDHE-RSA-CHACHA20-POLY1305",
    .sni = "www.example.com",
    .peer_hash = "SHA256:0123456789abcdef0123456789abcdef"
                 "0123456789abcdef0123456789abcdef",
    .peer_subject = "C=FR, O=Example\\, Inc., CN=client",
};

Test(notif, exact_bytes_bare_entries)
{
	static const char want[] =
	    "SSL_PROTOCOL=TLSv1.2\0"
	    "SSL_CIPHER=ECDHE-ECDSA-AES128-GCM-SHA256\0"
	    "SSL_TLS_SNI_SERVERNAME\0SSL_PEER_CERT_HASH\0"
	    "SSL_PEER_CERT_SUBJECT\0";
	struct notif_facts f = {
	    .protocol = "TLSv1.2",
	    .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256",
	};
	char buf[NOTIF_MAX];
	ssize_t n = notif_build(buf, sizeof buf, &f);

	/* sizeof want counts the literal's own NUL: the block's last one */
	cr_assert_eq(n, (ssize_t)sizeof want);
	cr_assert(!memcmp(buf, want, sizeof want));
	cr_assert_eq(buf[n - 1], '\0');
	cr_assert_eq(buf[n - 2], '\0');
}

Test(notif, exact_bytes_alpn)
{
	static const char want[] =
	    "SSL_PROTOCOL=TLSv1.2\0SSL_CIPHER=X\0"
	    "SSL_TLS_SNI_SERVERNAME=a.b\0SSL_PEER_CERT_HASH\0"
	    "SSL_PEER_CERT_SUBJECT\0SSL_ALPN=h2\0";
	struct notif_facts f = {.protocol = "TLSv1.2",
	                        .cipher = "X",
	                        .sni = "a.b",
	                        .alpn_configured = 1,
	                        .alpn = "h2"};
	char buf[NOTIF_MAX];

	cr_assert_eq(notif_build(buf, sizeof buf, &f), (ssize_t)sizeof want);
	cr_assert(!memcmp(buf, want, sizeof want));
	f.alpn = NULL; /* configured, nothing agreed: bare */
	cr_assert_eq(notif_build(buf, sizeof buf, &f),
	             (ssize_t)sizeof want - 3);
	cr_assert(!memcmp(buf + sizeof want - 13, "SSL_ALPN\0\0", 10));
}

Test(notif, round_trip)
{
	char buf[NOTIF_MAX];
	ssize_t n = notif_build(buf, sizeof buf, &full);
	struct seen s;

	cr_assert_gt(n, 0);
	cr_assert_eq(parse_copy(buf, (size_t)n, &s), 0);
	cr_assert_eq(s.n, 5);
	cr_assert_str_eq(s.names[0], "SSL_PROTOCOL");
	cr_assert_str_eq(s.values[0], "TLSv1.2");
	cr_assert_str_eq(s.names[1], "SSL_CIPHER");
	cr_assert_str_eq(s.values[1], full.cipher);
	cr_assert_str_eq(s.names[2], "SSL_TLS_SNI_SERVERNAME");
	cr_assert_str_eq(s.values[2], full.sni);
	cr_assert_str_eq(s.names[3], "SSL_PEER_CERT_HASH");
	cr_assert_str_eq(s.values[3], full.peer_hash);
	cr_assert_str_eq(s.names[4], "SSL_PEER_CERT_SUBJECT");
	cr_assert_str_eq(s.values[4], full.peer_subject);
	for (int i = 0; i < 5; i++)
		cr_assert(!s.bare[i]);
}

Test(notif, round_trip_bare)
{
	struct notif_facts f = {.protocol = "TLSv1.2", .cipher = "C"};
	char buf[NOTIF_MAX];
	ssize_t n = notif_build(buf, sizeof buf, &f);
	struct seen s;

	cr_assert_eq(parse_copy(buf, (size_t)n, &s), 0);
	cr_assert_eq(s.n, 5);
	cr_assert(!s.bare[0] && !s.bare[1]);
	cr_assert(s.bare[2] && s.bare[3] && s.bare[4]);
	cr_assert_str_eq(s.names[4], "SSL_PEER_CERT_SUBJECT");
}

Test(notif, empty_value_is_not_bare)
{
	struct seen s;

	cr_assert_eq(parse_copy(BLOCK("SSL_CIPHER=\0\0"), &s), 0);
	cr_assert_eq(s.n, 1);
	cr_assert(!s.bare[0]);
	cr_assert_str_eq(s.values[0], "");
}

Test(notif, value_with_equals)
{
	struct seen s;

	cr_assert_eq(parse_copy(BLOCK("SSL_PEER_CERT_SUBJECT=CN=a\\=b, O=x\0"
	                              "SSL_PROTOCOL=TLSv1.2\0\0"),
	                        &s),
	             0);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.names[0], "SSL_PEER_CERT_SUBJECT");
	cr_assert_str_eq(s.values[0], "CN=a\\=b, O=x");
	cr_assert_str_eq(s.values[1], "TLSv1.2");
}

Test(notif, value_may_hold_any_byte_but_nul)
{
	struct seen s;

	cr_assert_eq(parse_copy(BLOCK("SSL_PEER_CERT_SUBJECT=CN=\xc3\xa9t\xc3"
	                              "\xa9\n\x01\xff\0\0"),
	                        &s),
	             0);
	cr_assert_str_eq(s.values[0], "CN=\xc3\xa9t\xc3\xa9\n\x01\xff");
}

Test(notif, no_terminator)
{
	struct seen s;

	cr_assert_eq(parse_copy(BLOCK("SSL_PROTOCOL=TLSv1.2\0"), &s),
	             NOTIF_ETRUNC);
	cr_assert_eq(s.n, 0);
}

Test(notif, missing_final_nul)
{
	struct seen s;

	cr_assert_eq(parse_copy(BLOCK("SSL_PROTOCOL=TLSv1.2"), &s),
	             NOTIF_ETRUNC);
	cr_assert_eq(
	    parse_copy(BLOCK("SSL_PROTOCOL=TLSv1.2\0SSL_CIPHER=X"), &s),
	    NOTIF_ETRUNC);
	cr_assert_eq(s.n, 0);
}

Test(notif, empty_input)
{
	struct seen s;

	cr_assert_eq(parse_copy("", 0, &s), NOTIF_ETRUNC);
	/* a lone NUL is not "entries then NUL": it has no double NUL */
	cr_assert_eq(parse_copy(BLOCK("\0"), &s), NOTIF_ETRUNC);
}

Test(notif, oversize)
{
	static char big[NOTIF_MAX + 2];
	struct seen s;

	/* a well-framed block, just one byte too long */
	memset(big, 'A', sizeof big);
	memcpy(big, "SSL_CIPHER=", 11);
	big[NOTIF_MAX - 1] = big[NOTIF_MAX] = '\0';
	cr_assert_eq(parse_copy(big, NOTIF_MAX + 1, &s), NOTIF_EBIG);
	cr_assert_eq(s.n, 0);
	/* the same block at exactly NOTIF_MAX is fine */
	big[NOTIF_MAX - 2] = '\0';
	cr_assert_eq(parse_copy(big, NOTIF_MAX, &s), 0);
	cr_assert_eq(strlen(s.values[0]), NOTIF_MAX - 2 - 11);
}

Test(notif, build_too_big)
{
	static char value[NOTIF_MAX];
	struct notif_facts f = {.protocol = "TLSv1.2", .cipher = value};
	char buf[2 * NOTIF_MAX];

	memset(value, 'x', sizeof value - 1);
	cr_assert_eq(notif_build(buf, sizeof buf, &f), -1);
	/* small caller buffers are refused too, at every length */
	for (size_t cap = 0; cap < 120; cap++)
		cr_assert_eq(notif_build(buf, cap, &full), -1, "cap %zu", cap);
}

Test(notif, build_fits_exactly)
{
	char buf[NOTIF_MAX];
	ssize_t n = notif_build(buf, sizeof buf, &full);

	cr_assert_gt(n, 0);
	cr_assert_eq(notif_build(buf, (size_t)n, &full), n);
	cr_assert_eq(notif_build(buf, (size_t)n - 1, &full), -1);
}

Test(notif, empty_name)
{
	struct seen s;

	cr_assert_eq(parse_copy(BLOCK("=TLSv1.2\0\0"), &s), NOTIF_ENAME);
	cr_assert_eq(parse_copy(BLOCK("SSL_PROTOCOL=a\0=\0\0"), &s),
	             NOTIF_ENAME);
	cr_assert_eq(s.n, 0); /* nothing applied from a bad block */
}

Test(notif, bad_name_chars)
{
	static const char *const bad[] = {
	    "ssl_protocol=x",   "SSL-PROTOCOL=x", "SSL PROTOCOL=x",
	    "SSL_PROTOCOL\n=x", "SSL_CIPHER.=x",  "KEYFILE:x=y",
	    "\xffSSL_CIPHER=x", "SSL_CIPHER\x01",
	};
	char buf[64];
	struct seen s;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = strlen(bad[i]);

		memcpy(buf, bad[i], n);
		buf[n] = buf[n + 1] = '\0';
		cr_assert_eq(parse_copy(buf, n + 2, &s), NOTIF_ENAME, "%s",
		             bad[i]);
	}
}

Test(notif, unknown_name)
{
	struct seen s;

	cr_assert_eq(
	    parse_copy(BLOCK("SSL_PROTOCOL=TLSv1.2\0PATH=/tmp\0\0"), &s),
	    NOTIF_EUNKNOWN);
	cr_assert_eq(parse_copy(BLOCK("LD_PRELOAD\0\0"), &s), NOTIF_EUNKNOWN);
	cr_assert_eq(parse_copy(BLOCK("SSL_PROTOCOLX=1\0\0"), &s),
	             NOTIF_EUNKNOWN);
	cr_assert_eq(parse_copy(BLOCK("SSL_PROTOCO=1\0\0"), &s),
	             NOTIF_EUNKNOWN);
	cr_assert_eq(s.n, 0);
}

Test(notif, duplicate_name)
{
	struct seen s;

	cr_assert_eq(parse_copy(BLOCK("SSL_CIPHER=a\0SSL_CIPHER=b\0\0"), &s),
	             NOTIF_EDUP);
	cr_assert_eq(parse_copy(BLOCK("SSL_ALPN\0SSL_ALPN=h2\0\0"), &s),
	             NOTIF_EDUP);
	cr_assert_eq(s.n, 0);
}

Test(notif, garbage_after_terminator)
{
	struct seen s;

	cr_assert_eq(parse_copy(BLOCK("SSL_PROTOCOL=TLSv1.2\0\0x"), &s),
	             NOTIF_ETRAIL);
	cr_assert_eq(parse_copy(BLOCK("SSL_PROTOCOL=TLSv1.2\0\0\0"), &s),
	             NOTIF_ETRAIL);
	cr_assert_eq(parse_copy(BLOCK("SSL_PROTOCOL=TLSv1.2\0\0SSL_CIPHER=x"
	                              "\0\0"),
	                        &s),
	             NOTIF_ETRAIL);
	cr_assert_eq(s.n, 0);
}

Test(notif, embedded_binary_garbage)
{
	static const unsigned char junk[] = {0x16, 0x03, 0x01, 0x00, 0xa5,
	                                     0x01, 0x00, 0x00, 0xa1, 0x03,
	                                     0x03, 0x00, 0x00};
	struct seen s;
	char buf[sizeof junk];

	memcpy(buf, junk, sizeof junk);
	cr_assert_lt(parse_copy(buf, sizeof buf, &s), 0);
	cr_assert_eq(s.n, 0);
	/* a good entry, then binary in the name position */
	cr_assert_eq(parse_copy(BLOCK("SSL_PROTOCOL=TLSv1.2\0\x80\x81=\x01\0"
	                              "\0"),
	                        &s),
	             NOTIF_ENAME);
	/* NULs inside what should be a value split it into a bad name */
	cr_assert_eq(parse_copy(BLOCK("SSL_CIPHER=AB\0\x01\x02\0\0"), &s),
	             NOTIF_ENAME);
}

static int stop_at_second(const char *name, const char *value, void *ctx)
{
	int *calls = ctx;

	return ++*calls == 2 ? 42 : 0;
}

Test(notif, callback_stops_walk)
{
	char buf[NOTIF_MAX];
	ssize_t n = notif_build(buf, sizeof buf, &full);
	int calls = 0;

	cr_assert_eq(notif_parse(buf, (size_t)n, stop_at_second, &calls), 42);
	cr_assert_eq(calls, 2);
}

Test(notif, strerror_covers_codes)
{
	for (int c = NOTIF_EDUP; c < 0; c++) {
		const char *m = notif_strerror(c);

		cr_assert(m && *m && !strchr(m, '\n'));
	}
	cr_assert_str_eq(notif_strerror(NOTIF_EBIG),
	                 "notification block too large");
	cr_assert(notif_strerror(-1000) != NULL);
}
