/*
 * perf-records: the ceiling. BearSSL's record layer alone: a BearSSL client
 * engine and a BearSSL server engine in one process, in memory, no system
 * call. They handshake once (EC P-256 key, ECDSA), then the server sends
 * BYTES of application data and the client receives it, record by record
 * (16 KiB of plaintext each), with the same copies the tunnel makes (app
 * data into sendapp, records out of sendrec and into recvrec, cleartext out
 * of recvapp).
 *
 *   perf-records KEY.pem CHAIN.pem SUITE BYTES
 *   SUITE: aes128gcm | aes256gcm | chacha20 | aes128cbc
 *
 * Prints one JSON object: seal MB/s (time spent in the server engine:
 * encryption, MAC, framing), open MB/s (client engine: decryption and
 * checking), and pair MB/s (both on one core). The transfer is timed in
 * 4 MiB slices and each figure is the median slice, so that a moment of
 * preemption on a busy machine does not drag it down; the whole-run
 * averages are printed too ("avg_*"). MB = 10^6 bytes. Also says which
 * implementations BearSSL picked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bearssl.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what)
{
	printf("{\"error\": \"%s\"}\n", what);
	exit(1);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long n;

	if (!f)
		fail("cannot open a key or chain file");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
		fail("cannot read a key or chain file");
	fclose(f);
	*len = (size_t)n;
	return b;
}

struct der {
	unsigned char *buf;
	size_t len, cap;
};

static void der_append(void *ctx, const void *data, size_t len)
{
	struct der *d = ctx;

	if (d->len + len > d->cap) {
		d->cap = (d->len + len) * 2;
		d->buf = realloc(d->buf, d->cap);
		if (!d->buf)
			fail("out of memory");
	}
	memcpy(d->buf + d->len, data, len);
	d->len += len;
}

/* Decodes the PEM objects of a file; returns how many (at most max). */
static size_t pem_all(const char *path, struct der *out, size_t max)
{
	br_pem_decoder_context pc;
	size_t len, n = 0;
	unsigned char *b = slurp(path, &len), *p = b;

	br_pem_decoder_init(&pc);
	while (len) {
		size_t k = br_pem_decoder_push(&pc, p, len);

		p += k;
		len -= k;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			if (n == max)
				fail("too many PEM objects");
			memset(&out[n], 0, sizeof out[n]);
			br_pem_decoder_setdest(&pc, der_append, &out[n]);
			break;
		case BR_PEM_END_OBJ:
			n++;
			break;
		case BR_PEM_ERROR:
			fail("bad PEM");
		}
	}
	free(b);
	return n;
}

static const struct {
	const char *name;
	uint16_t id;
} suites[] = {
    {"aes128gcm", BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
    {"aes256gcm", BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
    {"chacha20", BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
    {"aes128cbc", BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256},
};

static br_ssl_server_context sc;
static br_ssl_client_context cc;
static br_x509_minimal_context xc;
static br_x509_knownkey_context kk;
static unsigned char sbuf[BR_SSL_BUFSIZE_BIDI], cbuf[BR_SSL_BUFSIZE_BIDI];
static unsigned char src[16384], dst[16384];

#define SLICE (4u << 20)
#define MAXSLICES 4096

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double sl_seal[MAXSLICES], sl_open[MAXSLICES], sl_pair[MAXSLICES];

/* Moves records from a to b; returns bytes moved. */
static size_t shuttle(br_ssl_engine_context *a, br_ssl_engine_context *b)
{
	size_t alen, blen, n, total = 0;
	unsigned char *ap, *bp;

	while ((ap = br_ssl_engine_sendrec_buf(a, &alen)) &&
	       (bp = br_ssl_engine_recvrec_buf(b, &blen))) {
		n = alen < blen ? alen : blen;
		memcpy(bp, ap, n);
		br_ssl_engine_sendrec_ack(a, n);
		br_ssl_engine_recvrec_ack(b, n);
		total += n;
	}
	return total;
}

int main(int argc, char **argv)
{
	struct der key[2], chain[4];
	br_x509_certificate certs[4];
	br_skey_decoder_context kd;
	br_ec_private_key sk;
	br_ec_public_key pk;
	unsigned char pkbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	size_t nchain, len;
	unsigned long long total, sent = 0, recvd = 0;
	uint16_t suite = 0;
	br_ssl_engine_context *se = &sc.eng, *ce = &cc.eng;
	double t_seal = 0, t_open = 0, t_all, t0;
	double s_seal = 0, s_open = 0, s_t0;
	unsigned long long s_from = 0;
	size_t nsl = 0;

	if (argc < 5) {
		fprintf(stderr,
		        "usage: perf-records KEY.pem CHAIN.pem "
		        "aes128gcm|aes256gcm|chacha20|aes128cbc BYTES\n");
		return 100;
	}
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
		if (!strcmp(argv[3], suites[i].name))
			suite = suites[i].id;
	if (!suite)
		fail("unknown suite");
	total = strtoull(argv[4], NULL, 10);

	if (pem_all(argv[1], key, 2) < 1)
		fail("no key");
	br_skey_decoder_init(&kd);
	br_skey_decoder_push(&kd, key[0].buf, key[0].len);
	if (br_skey_decoder_last_error(&kd) ||
	    br_skey_decoder_key_type(&kd) != BR_KEYTYPE_EC)
		fail("the key must be an EC key");
	sk = *br_skey_decoder_get_ec(&kd);
	if (!br_ec_compute_pub(br_ec_get_default(), &pk, pkbuf, &sk))
		fail("cannot compute the public key");
	nchain = pem_all(argv[2], chain, 4);
	for (size_t i = 0; i < nchain; i++) {
		certs[i].data = chain[i].buf;
		certs[i].data_len = chain[i].len;
	}

	br_ssl_server_init_full_ec(&sc, certs, nchain, BR_KEYTYPE_EC, &sk);
	br_ssl_engine_set_versions(se, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(se, &suite, 1);
	br_ssl_engine_set_buffer(se, sbuf, sizeof sbuf, 1);
	br_ssl_client_init_full(&cc, &xc, NULL, 0);
	br_x509_knownkey_init_ec(&kk, &pk, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);
	br_ssl_engine_set_x509(ce, &kk.vtable);
	br_ssl_engine_set_versions(ce, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(ce, &suite, 1);
	br_ssl_engine_set_buffer(ce, cbuf, sizeof cbuf, 1);
	if (!br_ssl_server_reset(&sc) ||
	    !br_ssl_client_reset(&cc, "localhost", 0))
		fail("engine reset");

	for (int i = 0; i < 100; i++) {
		unsigned sst = br_ssl_engine_current_state(se);
		unsigned cst = br_ssl_engine_current_state(ce);

		if ((sst & BR_SSL_SENDAPP) &&
		    (cst & BR_SSL_RECVAPP || cst & BR_SSL_SENDAPP))
			break;
		if ((sst | cst) & BR_SSL_CLOSED)
			fail("handshake failed");
		shuttle(ce, se);
		shuttle(se, ce);
	}
	if (se->session.cipher_suite != suite)
		fail("handshake did not complete with the suite");

	memset(src, 'r', sizeof src);
	t0 = s_t0 = now();
	while (recvd < total) {
		unsigned char *p;
		double a = now(), b, c;

		/* server: app data in, records sealed */
		while (sent < total &&
		       (p = br_ssl_engine_sendapp_buf(se, &len))) {
			size_t n = len;

			if (n > sizeof src)
				n = sizeof src;
			if (n > total - sent)
				n = (size_t)(total - sent);
			memcpy(p, src, n);
			br_ssl_engine_sendapp_ack(se, n);
			sent += n;
			if (sent == total)
				br_ssl_engine_flush(se, 0);
			if (br_ssl_engine_sendrec_buf(se, &len))
				break;
		}
		b = now();
		/* the wire, then the client: records in, opened, app data out
		 */
		shuttle(se, ce);
		while ((p = br_ssl_engine_recvapp_buf(ce, &len))) {
			memcpy(dst, p, len < sizeof dst ? len : sizeof dst);
			len = len < sizeof dst ? len : sizeof dst;
			br_ssl_engine_recvapp_ack(ce, len);
			recvd += len;
		}
		c = now();
		t_seal += b - a;
		t_open += c - b;
		s_seal += b - a;
		s_open += c - b;
		if (recvd - s_from >= SLICE && nsl < MAXSLICES) {
			double n = (double)(recvd - s_from);

			sl_seal[nsl] = n / s_seal / 1e6;
			sl_open[nsl] = n / s_open / 1e6;
			sl_pair[nsl++] = n / (c - s_t0) / 1e6;
			s_from = recvd;
			s_seal = s_open = 0;
			s_t0 = c;
		}
		if (br_ssl_engine_current_state(ce) & BR_SSL_CLOSED)
			fail("client engine closed");
	}
	t_all = now() - t0;
	printf(
	    "{\"suite\": \"%s\", \"bytes\": %llu, \"slices\": %zu, "
	    "\"seal_MBps\": %.1f, \"open_MBps\": %.1f, \"pair_MBps\": %.1f, ",
	    argv[3], recvd, nsl, median(sl_seal, nsl), median(sl_open, nsl),
	    median(sl_pair, nsl));
	printf(
	    "\"avg_seal_MBps\": %.1f, "
	    "\"avg_open_MBps\": %.1f, \"avg_pair_MBps\": %.1f, \"seconds\": "
	    "%.4f, "
	    "\"aes_x86ni\": %s, \"ghash_pclmul\": %s, \"chacha20_sse2\": %s, "
	    "\"poly1305_ctmulq\": %s}\n",
	    (double)total / t_seal / 1e6, (double)total / t_open / 1e6,
	    (double)total / t_all / 1e6, t_all,
	    br_aes_x86ni_ctr_get_vtable() ? "true" : "false",
	    br_ghash_pclmul_get() ? "true" : "false",
	    br_chacha20_sse2_get() ? "true" : "false",
	    br_poly1305_ctmulq_get() ? "true" : "false");
	return 0;
}
