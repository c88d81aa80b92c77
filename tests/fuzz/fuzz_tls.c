/*
 * The fuzz_server harness (fuzz_tls.h): a deterministic server, the real
 * tunnel, and the invariants checked after every input.
 */
#include "fuzz_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bearssl.h>

#include "anchors.h"
#include "exitcodes.h"
#include "fuzz_util.h"
#include "keyset.h"
#include "notif.h"
#include "outcome.h"
#include "peercert.h"
#include "server.h"

/* ---- a deterministic throw-away EC key and its self-signed certificate --
 *
 * Made at start-up, never written anywhere but a private temporary
 * directory that is removed at once (tls_keyset_add reads files). Derived
 * from a fixed seed on purpose: a crash found after a full handshake only
 * reproduces against the same key. It protects nothing. */

static br_ec_private_key sk;
static br_ec_public_key pk;
static unsigned char sk_buf[BR_EC_KBUF_PRIV_MAX_SIZE];
static unsigned char pk_buf[BR_EC_KBUF_PUB_MAX_SIZE];
static unsigned char key_der[256];
static size_t key_der_len;
static unsigned char cert_der[1024];
static size_t cert_der_len;

struct der {
	unsigned char b[1024];
	size_t n;
};

static void d_raw(struct der *d, const void *p, size_t n)
{
	FUZZ_CHECK(n <= sizeof d->b - d->n, "DER buffer");
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

static void d_tlv(struct der *d, unsigned char tag, const void *p, size_t n)
{
	unsigned char h[4] = {tag};
	size_t hl = 2;

	if (n < 0x80) {
		h[1] = (unsigned char)n;
	} else if (n < 0x100) {
		h[1] = 0x81, h[2] = (unsigned char)n, hl = 3;
	} else {
		h[1] = 0x82, h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n, hl = 4;
	}
	d_raw(d, h, hl);
	d_raw(d, p, n);
}

/* SEQUENCE OF SET OF { OID 2.5.4.x, UTF8String } for O, then CN. */
static void d_name(struct der *out)
{
	static const struct {
		unsigned char oid;
		const char *v;
	} rdn[] = {{10, "s6-tlsd fuzz"}, {3, "localhost"}};
	struct der name = {.n = 0};

	for (size_t i = 0; i < 2; i++) {
		struct der atv = {.n = 0}, set = {.n = 0};
		unsigned char oid[3] = {0x55, 0x04, rdn[i].oid};

		d_tlv(&atv, 0x06, oid, 3);
		d_tlv(&atv, 0x0c, rdn[i].v, strlen(rdn[i].v));
		d_tlv(&set, 0x30, atv.b, atv.n);
		d_tlv(&name, 0x31, set.b, set.n);
	}
	d_tlv(out, 0x30, name.b, name.n);
}

static void make_keypair(void)
{
	static const unsigned char ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08,
	                                             0x2a, 0x86, 0x48, 0xce,
	                                             0x3d, 0x04, 0x03, 0x02};
	static const unsigned char v3[] = {0xa0, 0x03, 0x02, 0x01, 0x02};
	static const unsigned char serial[] = {0x02, 0x01, 0x01};
	static const unsigned char alg[] = {
	    0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	static const char nb[] = "000101000000Z", na[] = "20991231235959Z";
	const br_ec_impl *ec = br_ec_get_default();
	br_hmac_drbg_context rng;
	struct der tbs = {.n = 0}, body = {.n = 0}, val = {.n = 0};
	struct der spki = {.n = 0}, pub = {.n = 0}, cert = {.n = 0};
	struct der sigbits = {.n = 0};
	unsigned char hash[32], sig[80];
	br_sha256_context h;
	size_t siglen;

	br_hmac_drbg_init(&rng, &br_sha256_vtable, "s6-tlsd fuzz key", 16);
	FUZZ_CHECK(br_ec_keygen(&rng.vtable, ec, &sk, sk_buf, BR_EC_secp256r1),
	           "br_ec_keygen");
	FUZZ_CHECK(br_ec_compute_pub(ec, &pk, pk_buf, &sk), "compute_pub");
	key_der_len = br_encode_ec_raw_der(NULL, &sk, &pk);
	FUZZ_CHECK(key_der_len && key_der_len <= sizeof key_der, "key DER");
	br_encode_ec_raw_der(key_der, &sk, &pk);

	d_raw(&body, v3, sizeof v3);
	d_raw(&body, serial, sizeof serial);
	d_raw(&body, ecdsa_sha256, sizeof ecdsa_sha256);
	d_name(&body);
	d_tlv(&val, 0x17, nb, strlen(nb));
	d_tlv(&val, 0x18, na, strlen(na));
	d_tlv(&body, 0x30, val.b, val.n);
	d_name(&body);
	d_raw(&spki, alg, sizeof alg);
	d_raw(&pub, "", 1); /* no unused bits */
	d_raw(&pub, pk.q, pk.qlen);
	d_tlv(&spki, 0x03, pub.b, pub.n);
	d_tlv(&body, 0x30, spki.b, spki.n);
	d_tlv(&tbs, 0x30, body.b, body.n);

	br_sha256_init(&h);
	br_sha256_update(&h, tbs.b, tbs.n);
	br_sha256_out(&h, hash);
	siglen = br_ecdsa_sign_asn1_get_default()(ec, &br_sha256_vtable, hash,
	                                          &sk, sig);
	FUZZ_CHECK(siglen, "ECDSA signature");
	d_raw(&sigbits, "", 1);
	d_raw(&sigbits, sig, siglen);

	body.n = 0;
	d_raw(&body, tbs.b, tbs.n);
	d_raw(&body, ecdsa_sha256, sizeof ecdsa_sha256);
	d_tlv(&body, 0x03, sigbits.b, sigbits.n);
	d_tlv(&cert, 0x30, body.b, body.n);
	FUZZ_CHECK(cert.n <= sizeof cert_der, "certificate DER");
	memcpy(cert_der, cert.b, cert.n);
	cert_der_len = cert.n;
}

/* ---- the server, configured from input byte 0 ---- */

static struct tls_keyset keys;
static struct tls_anchors anchors;
static struct tls_server srv;
static struct tls_server_config scfg;
static const char *alpn_names[] = {"h2", "http/1.1"};
static enum tunnel_engine engine = TUNNEL_ENGINE_POLL;
static FILE *dump; /* TLSD_FUZZ_DUMP: what the server sent, for debugging */

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	FUZZ_CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	FUZZ_CHECK(write(fd, p, n) == (ssize_t)n, "write %s", path);
	close(fd);
}

void fz_init(void)
{
	static int done;
	char dir[] = "/tmp/tlsd-fuzz-XXXXXX", key[64], crt[64];
	const char *names[] = {NULL, "localhost", "*.example.com"};
	const char *eng = getenv("TLSD_FUZZ_ENGINE");
	struct tls_err e;

	if (done)
		return;
	done = 1;
	signal(SIGPIPE, SIG_IGN); /* like the program */
	if (eng && !strcmp(eng, "uring"))
		engine = TUNNEL_ENGINE_URING;
	if (getenv("TLSD_FUZZ_DUMP"))
		dump = fopen(getenv("TLSD_FUZZ_DUMP"), "w");
	make_keypair();
	FUZZ_CHECK(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(key, sizeof key, "%s/key.der", dir);
	snprintf(crt, sizeof crt, "%s/crt.der", dir);
	write_file(key, key_der, key_der_len);
	write_file(crt, cert_der, cert_der_len);
	tls_keyset_init(&keys, 0);
	for (size_t i = 0; i < 3; i++)
		FUZZ_CHECK(!tls_keyset_add(&keys, names[i], key, crt, &e), "%s",
		           e.msg);
	/* The certificate is its own anchor: a pinned self-signed client
	 * certificate (direct trust), the same key as the server's. */
	FUZZ_CHECK(!tls_anchors_load(&anchors, crt, NULL, &e), "%s", e.msg);
	unlink(key);
	unlink(crt);
	rmdir(dir);
}

static unsigned cfg_auth(unsigned c0)
{
	return (c0 & FZ_AUTH) == 3 ? 0 : c0 & FZ_AUTH;
}

static unsigned cfg_sni(unsigned c0)
{
	unsigned k = (c0 >> FZ_SNI_SHIFT) & 3;

	return k == 3 ? 1 : k;
}

static void server_setup(unsigned c0, unsigned c1)
{
	static const char seed[] = "s6-tlsd fuzz server";
	struct tls_err e;
	int alpn = (c0 & FZ_ALPN) != 0;

	keys.snilevel = cfg_sni(c0);
	scfg = (struct tls_server_config){
	    .keys = &keys,
	    .client_auth = (int)cfg_auth(c0),
	    .anchors = &anchors,
	    .alpn = alpn ? alpn_names : NULL,
	    .alpn_num = alpn ? 2 : 0,
	    .alpn_strict = (c0 & FZ_ALPN_STRICT) != 0,
	    .legacy_suites = (c1 & FZA_LEGACY) != 0,
	};
	FUZZ_CHECK(!tls_server_init(&srv, &scfg, &e), "%s", e.msg);
	/* Deterministic from here: the server random, the ECDHE key (and
	 * ECDSA signatures are deterministic in BearSSL). */
	br_hmac_drbg_init(&srv.sc.eng.rng, &br_sha256_vtable, seed,
	                  sizeof seed - 1);
}

/* ---- on_handshake: what s6-tlsd-io's notify() does, and checks ---- */

struct hs_ctx {
	struct fz_outcome *o;
	unsigned c0;
};

static int notif_cb(const char *name, const char *value, void *ctx)
{
	int *n = ctx;

	(*n)++;
	FUZZ_CHECK(*name, "empty name");
	(void)value;
	return 0;
}

static void on_handshake(void *p)
{
	struct hs_ctx *hc = p;
	struct tls_session_info si;
	struct notif_facts f = {0};
	char block[NOTIF_MAX];
	unsigned st = br_ssl_engine_current_state(tls_server_engine(&srv));
	ssize_t len;
	int n = 0, i;

	hc->o->handshakes++;
	FUZZ_CHECK(st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP), "state %#x", st);
	tls_server_session_info(&srv, &si);
	FUZZ_CHECK(si.cipher && strcmp(si.cipher, "UNKNOWN"),
	           "unknown suite %#x", srv.sc.eng.session.cipher_suite);
	if (cfg_auth(hc->c0) == 2)
		FUZZ_CHECK(si.peer_hash && tls_peercert_valid(&srv.peer),
		           "-y and no valid client certificate");
	if (si.peer_hash)
		FUZZ_CHECK(strlen(si.peer_hash) == 71, "%s", si.peer_hash);
	if (si.alpn)
		FUZZ_CHECK((hc->c0 & FZ_ALPN) && (!strcmp(si.alpn, "h2") ||
		                                  !strcmp(si.alpn, "http/1.1")),
		           "ALPN %s", si.alpn);
	if (cfg_sni(hc->c0) == 2) {
		FUZZ_CHECK(si.sni, "-k 2 and no server name");
		i = tls_keyset_select(&keys, si.sni);
		FUZZ_CHECK(i > 0 && keys.e[i].name, "-k 2 and name %s", si.sni);
	}
	f.protocol = si.protocol;
	f.cipher = si.cipher;
	f.sni = si.sni;
	f.peer_hash = si.peer_hash;
	f.peer_subject = si.peer_subject;
	f.alpn_configured = (hc->c0 & FZ_ALPN) != 0;
	f.alpn = si.alpn;
	len = notif_build(block, sizeof block, &f);
	FUZZ_CHECK(len > 0, "notification block does not fit");
	FUZZ_CHECK(notif_parse(block, (size_t)len, notif_cb, &n) == 0,
	           "own notification block refused");
	FUZZ_CHECK(n == 5 + f.alpn_configured, "%d entries", n);
}

/* ---- descriptors ---- */

static void set_bufs(int fd, int size)
{
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		FUZZ_CHECK(w > 0, "harness write: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* TLS records as the server wrote them: checked header by header. */
struct recs {
	unsigned char hdr[5];
	unsigned hdr_len;
	size_t body_left, whole;
};

static void recs_feed(struct recs *r, const unsigned char *p, size_t n)
{
	while (n) {
		if (r->body_left) {
			size_t k = n < r->body_left ? n : r->body_left;

			r->body_left -= k, p += k, n -= k;
			if (!r->body_left)
				r->whole++;
			continue;
		}
		r->hdr[r->hdr_len++] = *p++, n--;
		if (r->hdr_len < 5)
			continue;
		r->hdr_len = 0;
		r->body_left = (size_t)r->hdr[3] << 8 | r->hdr[4];
		FUZZ_CHECK(r->hdr[0] >= 20 && r->hdr[0] <= 23, "record type %u",
		           r->hdr[0]);
		/* BearSSL sends an alert it fails with before a version is
		 * agreed (a TLS 1.1 ClientHello: protocol_version) with
		 * version 0.0 in the record header. */
		FUZZ_CHECK((r->hdr[1] == 3 && r->hdr[2] <= 3) ||
		               (r->hdr[0] == 21 && !r->hdr[1] && !r->hdr[2]),
		           "record version %u.%u", r->hdr[1], r->hdr[2]);
		FUZZ_CHECK(r->body_left > 0 && r->body_left <= 16384 + 2048,
		           "record length %zu", r->body_left);
	}
}

static int recs_boundary(const struct recs *r)
{
	return !r->hdr_len && !r->body_left;
}

/* Reads what is there; returns 1 at EOF, 0 when nothing more is. */
static int drain(int fd, size_t *count, struct recs *r)
{
	static unsigned char buf[1 << 16];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);

		if (n == 0)
			return 1;
		if (n < 0) {
			FUZZ_CHECK(errno == EAGAIN, "drain: %s",
			           strerror(errno));
			return 0;
		}
		*count += (size_t)n;
		if (r && dump) {
			fwrite(buf, 1, (size_t)n, dump);
			fflush(dump);
		}
		if (r)
			recs_feed(r, buf, (size_t)n);
	}
}

/* ---- one input ---- */

#define APP_SMALL 300
#define APP_BULK (96 * 1024)

static void check_outcome(const struct fz_outcome *o, unsigned c0, unsigned c1,
                          size_t clen, size_t app_len, const struct recs *r)
{
	const struct tunnel_result *res = &o->res;
	int hs = o->handshakes;

	FUZZ_CHECK(hs <= 1, "on_handshake called %d times", hs);
	FUZZ_CHECK(res->status <= TUNNEL_ERR_UNSENT, "status %d", res->status);
	/* Nothing here can fail a system call, time out or stall; but an
	 * app that is gone (EPIPE on fdw) makes the run an error once both
	 * directions are done: the client's bytes it did not take are lost. */
	FUZZ_CHECK(res->status != TUNNEL_ERR_RING &&
	               res->status != TUNNEL_ERR_TIMEOUT &&
	               (res->status != TUNNEL_ERR_IO ||
	                ((c1 & FZA_GONE) && res->err == -EPIPE)),
	           "status %d err %d (%s)", res->status, res->err,
	           res->what ? res->what : "?");
	if (res->status == TUNNEL_ERR_IO)
		FUZZ_CHECK(hs == 1 && o->net_shut,
		           "EPIPE before the handshake or the end");
	if (res->status == TUNNEL_DONE) {
		FUZZ_CHECK(hs == 1, "done without a handshake");
		FUZZ_CHECK(o->net_shut, "done, network output not shut down");
		FUZZ_CHECK((c1 & FZA_GONE) || o->app_closed,
		           "done, fdw not closed");
		FUZZ_CHECK(recs_boundary(r), "done, last record cut");
	}
	if (res->status == TUNNEL_ERR_EOF_HANDSHAKE)
		FUZZ_CHECK(!hs, "EOF in handshake after the handshake");
	if (res->status == TUNNEL_ERR_UNSENT)
		FUZZ_CHECK(res->err > 0 && (size_t)res->err <= app_len,
		           "unsent %d", res->err);
	if (res->app_bytes_out || res->app_bytes_in)
		FUZZ_CHECK(hs == 1, "app bytes moved before the handshake");
	FUZZ_CHECK(res->net_bytes_in <= clen, "read %llu of %zu",
	           (unsigned long long)res->net_bytes_in, clen);
	FUZZ_CHECK(res->app_bytes_in <= app_len, "app in %llu",
	           (unsigned long long)res->app_bytes_in);
	FUZZ_CHECK(res->net_bytes_out <= o->net_out, "net out %llu > %zu",
	           (unsigned long long)res->net_bytes_out, o->net_out);
	if (!(c1 & FZA_GONE))
		FUZZ_CHECK(res->app_bytes_out == o->app_out,
		           "app out %llu, app got %zu",
		           (unsigned long long)res->app_bytes_out, o->app_out);
	FUZZ_CHECK(o->exit_code == (res->status == TUNNEL_DONE ? EXIT_TLS_OK
	                            : res->status <= TUNNEL_ERR_IO
	                                ? EXIT_TLS_SYS
	                                : EXIT_TLS_RUN),
	           "exit code %d for status %d", o->exit_code, res->status);
}

void fz_run(const uint8_t *data, size_t size, struct fz_outcome *o)
{
	static unsigned char app[APP_BULK];
	unsigned c0 = size > 0 ? data[0] : 0, c1 = size > 1 ? data[1] : 0;
	const uint8_t *client = data + (size > 2 ? 2 : size);
	size_t clen = size > 2 ? size - 2 : 0;
	size_t app_len = c1 & FZA_SILENT ? 0
	                 : c1 & FZA_BULK ? APP_BULK
	                                 : APP_SMALL;
	struct hs_ctx hc = {o, c0};
	struct tunnel_config cfg = {
	    .engine = engine,
	    .close_notify = (c0 & FZ_CLOSE_NOTIFY) != 0,
	    .enforce_close_notify = (c0 & FZ_ENFORCE) != 0,
	    .handshake_timeout_ms = c1 & FZA_TIMER ? 60000 : 0,
	    .on_handshake = on_handshake,
	    .ctx = &hc,
	};
	struct tunnel_fds fds;
	struct recs recs = {.hdr_len = 0};
	char msg[256];
	int sv[2], ain[2], aout[2], probe, fd_baseline;

	memset(o, 0, sizeof *o);
	if (clen > FZ_MAX_CLIENT) {
		o->skipped = 1;
		return;
	}
	fz_init();
	/* the lowest free descriptor now; the same one after the run */
	fd_baseline = dup(2);
	close(fd_baseline);
	for (size_t i = 0; i < app_len; i++)
		app[i] = (unsigned char)(i * 7 + 1);
	FUZZ_CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	           "socketpair: %s", strerror(errno));
	FUZZ_CHECK(!pipe2(ain, O_CLOEXEC) && !pipe2(aout, O_CLOEXEC), "pipe");
	set_bufs(sv[0], 4 << 20);
	set_bufs(sv[1], 4 << 20);
	fcntl(ain[1], F_SETPIPE_SZ, 1 << 20);
	fcntl(aout[1], F_SETPIPE_SZ, 1 << 20);

	/* The client's whole stream, then EOF; the app's, then EOF. */
	write_all(sv[0], client, clen);
	shutdown(sv[0], SHUT_WR);
	write_all(ain[1], app, app_len);
	close(ain[1]);
	if (c1 & FZA_GONE)
		close(aout[0]);

	server_setup(c0, c1);
	fds = (struct tunnel_fds){sv[1], sv[1], ain[0], aout[1]};
	FUZZ_CHECK(!tunnel_init(tunnel_instance(), tls_server_engine(&srv),
	                        &fds, &cfg),
	           "tunnel_init");
	tunnel_run(tunnel_instance(), &o->res);
	o->exit_code = outcome_exit_code(&o->res, cfg.handshake_timeout_ms, msg,
	                                 sizeof msg);

	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	o->net_shut = drain(sv[0], &o->net_out, &recs);
	o->net_records = recs.whole;
	if (!(c1 & FZA_GONE)) {
		fcntl(aout[0], F_SETFL, O_NONBLOCK);
		/* EOF only if the tunnel closed fdw (checked below). */
		o->app_closed = drain(aout[0], &o->app_out, NULL);
		FUZZ_CHECK(o->app_closed == !fd_open(aout[1]),
		           "fdw EOF %d, still open %d", o->app_closed,
		           fd_open(aout[1]));
		close(aout[0]);
	}
	if (fd_open(aout[1]))
		close(aout[1]);
	close(ain[0]);
	close(sv[0]);
	close(sv[1]);
	check_outcome(o, c0, c1, clen, app_len, &recs);
	probe = dup(2);
	close(probe);
	FUZZ_CHECK(probe == fd_baseline, "descriptor leak: next fd %d, was %d",
	           probe, fd_baseline);
}

/* ---- seeds: full sessions of a BearSSL client ---- */

struct bytes {
	unsigned char *p;
	size_t n, cap;
};

static void bytes_add(struct bytes *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
		FUZZ_CHECK(b->p, "realloc");
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

struct session {
	const char *name;
	unsigned char c0, c1;
	const char *sni;  /* the client's server name, NULL: none */
	uint16_t suite;   /* the client offers only this one; 0: all */
	int client_cert;  /* the client presents the certificate */
	int alpn;         /* the client offers "http/1.1" */
	size_t data;      /* app bytes from the client */
	size_t chunk;     /* ... flushed every chunk bytes */
	int renegotiate;  /* asks for a renegotiation */
	int close_notify; /* ends with close_notify (else plain EOF) */
	int expect;       /* the replay's status */
};

static br_ssl_client_context cc;
static br_x509_minimal_context cxm;
static br_x509_knownkey_context cxk;
static unsigned char cbuf[BR_SSL_BUFSIZE_BIDI];

/* Moves records both ways until nothing moves; logs the client's. */
static void mem_pump(br_ssl_engine_context *c, br_ssl_engine_context *s,
                     struct bytes *log)
{
	int moved;

	do {
		unsigned char *src, *dst;
		size_t sl, dl, n;

		moved = 0;
		if ((src = br_ssl_engine_sendrec_buf(c, &sl)) &&
		    (dst = br_ssl_engine_recvrec_buf(s, &dl))) {
			n = sl < dl ? sl : dl;
			memcpy(dst, src, n);
			bytes_add(log, src, n);
			br_ssl_engine_sendrec_ack(c, n);
			br_ssl_engine_recvrec_ack(s, n);
			moved = 1;
		}
		if ((src = br_ssl_engine_sendrec_buf(s, &sl)) &&
		    (dst = br_ssl_engine_recvrec_buf(c, &dl))) {
			n = sl < dl ? sl : dl;
			memcpy(dst, src, n);
			br_ssl_engine_sendrec_ack(s, n);
			br_ssl_engine_recvrec_ack(c, n);
			moved = 1;
		}
		if ((src = br_ssl_engine_recvapp_buf(s, &sl))) {
			br_ssl_engine_recvapp_ack(s, sl);
			moved = 1;
		}
		if ((src = br_ssl_engine_recvapp_buf(c, &sl))) {
			br_ssl_engine_recvapp_ack(c, sl);
			moved = 1;
		}
	} while (moved);
}

static int make_session(const struct session *ss, struct bytes *log)
{
	static const char *calpn[] = {"http/1.1"};
	br_ssl_engine_context *c = &cc.eng, *s = tls_server_engine(&srv);
	br_x509_certificate chain = {cert_der, cert_der_len};
	size_t sent = 0;

	server_setup(ss->c0, ss->c1);
	br_ssl_client_init_full(&cc, &cxm, NULL, 0);
	br_x509_knownkey_init_ec(&cxk, &pk, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);
	br_ssl_engine_set_x509(c, &cxk.vtable);
	br_ssl_engine_set_versions(c, BR_TLS12, BR_TLS12);
	if (ss->suite)
		br_ssl_engine_set_suites(c, &ss->suite, 1);
	if (ss->alpn)
		br_ssl_engine_set_protocol_names(c, calpn, 1);
	if (ss->client_cert)
		br_ssl_client_set_single_ec(
		    &cc, &chain, 1, &sk, BR_KEYTYPE_SIGN, BR_KEYTYPE_EC,
		    br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
	br_ssl_engine_set_buffer(c, cbuf, sizeof cbuf, 1);
	if (!br_ssl_client_reset(&cc, ss->sni, 0))
		return -1;
	mem_pump(c, s, log);
	if (!(br_ssl_engine_current_state(c) & BR_SSL_SENDAPP)) {
		fprintf(stderr,
		        "seed %s: handshake failed: client %d, "
		        "server %d\n",
		        ss->name, br_ssl_engine_last_error(c),
		        br_ssl_engine_last_error(s));
		return -1;
	}
	while (sent < ss->data) {
		size_t len, k = ss->data - sent;
		unsigned char *buf = br_ssl_engine_sendapp_buf(c, &len);

		FUZZ_CHECK(buf, "client cannot send");
		if (k > len)
			k = len;
		if (ss->chunk && k > ss->chunk)
			k = ss->chunk;
		for (size_t i = 0; i < k; i++)
			buf[i] =
			    (unsigned char)("GET / HTTP/1.1\r\n"[(sent + i) %
			                                         16]);
		br_ssl_engine_sendapp_ack(c, k);
		sent += k;
		br_ssl_engine_flush(c, 0);
		mem_pump(c, s, log);
	}
	if (ss->renegotiate) {
		br_ssl_engine_renegotiate(c);
		mem_pump(c, s, log);
	}
	if (ss->close_notify) {
		br_ssl_engine_close(c);
		mem_pump(c, s, log);
	}
	return 0;
}

int fz_write_seeds(const char *dir)
{
	/* A session that ends with the client's close_notify while the app
	 * still has bytes to send may end DONE or UNSENT, depending on when
	 * the tunnel reads the app: any status (ANY) is fine there. */
	enum {
		DONE = TUNNEL_DONE,
		TRUNC = TUNNEL_ERR_NO_CLOSE_NOTIFY,
		ANY = -1
	};
	static const struct session list[] = {
	    {"plain", 0, 0, NULL, 0, 0, 0, 18, 0, 0, 1, ANY},
	    {"plain-eof", 0, 0, NULL, 0, 0, 0, 18, 0, 0, 0, DONE},
	    {"plain-eof-J", FZ_ENFORCE, 0, NULL, 0, 0, 0, 18, 0, 0, 0, TRUNC},
	    {"close-notify-S", FZ_CLOSE_NOTIFY, FZA_SILENT, NULL, 0, 0, 0, 100,
	     0, 0, 1, DONE},
	    {"sni-alpn", FZ_ALPN | 2 << FZ_SNI_SHIFT, 0, "www.example.com", 0,
	     0, 1, 40, 0, 0, 1, ANY},
	    {"sni-alpn-strict", FZ_ALPN | FZ_ALPN_STRICT | 1 << FZ_SNI_SHIFT,
	     FZA_TIMER, "localhost", 0, 0, 1, 40, 0, 0, 1, ANY},
	    {"client-cert-Y", 1, 0, "localhost", 0, 1, 0, 18, 0, 0, 1, ANY},
	    {"client-cert-y", 2 | FZ_CLOSE_NOTIFY | FZ_ENFORCE, FZA_SILENT,
	     NULL, 0, 1, 0, 18, 0, 0, 1, DONE},
	    {"no-client-cert-Y", 1, FZA_SILENT, NULL, 0, 0, 0, 18, 0, 0, 1,
	     DONE},
	    {"chacha20", 0, 0, NULL,
	     BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 0, 0, 300, 0, 0,
	     1, ANY},
	    {"aes128-gcm", 0, 0, NULL,
	     BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0, 0, 300, 0, 0, 1,
	     ANY},
	    {"aes256-gcm", 0, 0, NULL,
	     BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, 0, 0, 300, 0, 0, 1,
	     ANY},
	    {"aes128-cbc-sha256", 0, FZA_LEGACY, NULL,
	     BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, 0, 0, 300, 0, 0, 1,
	     ANY},
	    {"aes256-cbc-sha384", 0, FZA_LEGACY, NULL,
	     BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, 0, 0, 300, 0, 0, 1,
	     ANY},
	    {"aes128-cbc-sha", 0, FZA_LEGACY, NULL,
	     BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, 0, 0, 300, 0, 0, 1, ANY},
	    /* the client's close_notify comes before the app's 96 KiB
	     * are sent: TUNNEL_ERR_UNSENT */
	    {"aes256-cbc-sha-unsent", 0, FZA_BULK | FZA_LEGACY, NULL,
	     BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, 0, 0, 300, 0, 0, 1, -1},
	    {"tiny-records", 0, 0, NULL, 0, 0, 0, 40, 1, 0, 1, ANY},
	    {"bulk", 0, FZA_BULK, NULL, 0, 0, 0, 40000, 0, 0, 0, DONE},
	    {"renegotiate", 0, 0, NULL, 0, 0, 0, 18, 0, 1, 1, -1},
	};
	char path[4096];
	int n = 0;

	fz_init();
	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
		const struct session *ss = &list[i];
		struct bytes log = {0};
		struct fz_outcome o;

		bytes_add(&log, &ss->c0, 1);
		bytes_add(&log, &ss->c1, 1);
		if (make_session(ss, &log) < 0) {
			free(log.p);
			return -1;
		}
		/* The replay must get as far: the server is deterministic. */
		fz_run(log.p, log.n, &o);
		fprintf(stderr,
		        "seed %-18s %6zu bytes: status %d (%s), "
		        "handshake %d, app got %zu\n",
		        ss->name, log.n, o.res.status,
		        o.res.what ? o.res.what : "-", o.handshakes, o.app_out);
		if (o.handshakes != 1 ||
		    (ss->expect >= 0 && (int)o.res.status != ss->expect) ||
		    o.app_out != ss->data) {
			fprintf(stderr, "seed %s: replay differs\n", ss->name);
			free(log.p);
			return -1;
		}
		snprintf(path, sizeof path, "%s/session-%s", dir, ss->name);
		write_file(path, log.p, log.n);
		free(log.p);
		n++;
	}
	return n;
}
