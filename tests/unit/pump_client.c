#include "pump_client.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keys.h"
#include "server.h"

/* --- time and descriptors --- */

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int left_ms(long long end)
{
	long long l = end - now_ms();

	return l < 0 ? 0 : (int)l;
}

void set_nonblock(int fd)
{
	cr_assert(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
}

void pump_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static const char *cert_path(const char *name)
{
	static char buf[1024];
	const char *dir = getenv("TLSD_CERTS");

	cr_assert(dir, "TLSD_CERTS is not set");
	snprintf(buf, sizeof buf, "%s/%s", dir, name);
	return buf;
}

/* --- the tunnel's process --- */

/* Large: static, in the child's copy of the address space. */
static struct tls_keyset child_keys;
static struct tls_server_config child_conf = {.keys = &child_keys};
static struct tls_server child_srv;

static int child_setup(const struct tunnel_fds *fds,
                       const struct tunnel_config *cfg)
{
	const char *dir = getenv("TLSD_CERTS");
	const char *engine = getenv("TLSD_TEST_ENGINE");
	struct tunnel_config c = *cfg;
	char key[1024], crt[1024];
	struct tls_err e;

	/* The same cases run against each I/O engine (see CMakeLists). */
	if (engine && !strcmp(engine, "poll"))
		c.engine = TUNNEL_ENGINE_POLL;
	else if (engine && !strcmp(engine, "uring"))
		c.engine = TUNNEL_ENGINE_URING;
	if (!dir)
		return -1;
	snprintf(key, sizeof key, "%s/ec256.key.pem", dir);
	snprintf(crt, sizeof crt, "%s/ec256.chain.pem", dir);
	tls_keyset_init(&child_keys, 0);
	if (tls_keyset_add(&child_keys, NULL, key, crt, &e) < 0)
		return -2;
	if (tls_server_init(&child_srv, &child_conf, &e) < 0)
		return -3;
	return tunnel_init(tunnel_instance(), tls_server_engine(&child_srv),
	                   fds, &c);
}

static void child_main(int res_fd, const struct tunnel_fds *fds,
                       const struct tunnel_config *cfg)
{
	struct tunnel_result r = {.status = PUMP_SETUP_FAILED};
	int e;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN); /* like the program */
	alarm(60);
	e = child_setup(fds, cfg);
	if (!e)
		tunnel_run(tunnel_instance(), &r);
	else
		r.err = e;
	r.what = NULL; /* meaningless in the parent */
	(void)!write(res_fd, &r, sizeof r);
	_exit(0);
}

static void pipes(int *sv, int *in, int *out, int *res)
{
	cr_assert(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	cr_assert(!pipe(in) && !pipe(out) && !pipe(res), "pipe");
}

void pump_start(struct pump *p, const struct tunnel_config *cfg, unsigned flags)
{
	int sv[2], in[2], out[2], res[2]; /* in: fdr, out: fdw */

	signal(SIGPIPE, SIG_IGN);
	pipes(sv, in, out, res);
	if (flags & PUMP_APP_NONBLOCK) {
		set_nonblock(in[0]);
		set_nonblock(out[1]);
	}
	p->pid = fork();
	cr_assert(p->pid >= 0, "fork");
	if (!p->pid) {
		struct tunnel_fds fds = {sv[1], sv[1], in[0], out[1]};

		close(sv[0]), close(in[1]), close(out[0]), close(res[0]);
		child_main(res[1], &fds, cfg);
	}
	close(sv[1]), close(in[0]), close(out[1]), close(res[1]);
	p->sock = sv[0], p->app_wr = in[1], p->app_rd = out[0];
	p->res = res[0];
	set_nonblock(p->sock), set_nonblock(p->app_wr), set_nonblock(p->app_rd);
}

int pump_poll(struct pump *p, int ms)
{
	struct pollfd pf = {p->res, POLLIN, 0};

	return poll(&pf, 1, ms) == 1;
}

void pump_result(struct pump *p, struct tunnel_result *r, int ms)
{
	ssize_t n;
	int st = 0;

	cr_assert(pump_poll(p, ms), "no result from the tunnel in %d ms", ms);
	n = read(p->res, r, sizeof *r);
	waitpid(p->pid, &st, 0);
	p->pid = 0;
	cr_assert(n == sizeof *r, "the tunnel's process died (%s %d)",
	          WIFSIGNALED(st) ? "signal" : "exit",
	          WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	cr_assert(r->status != PUMP_SETUP_FAILED,
	          "the tunnel could not start: %d", r->err);
}

void pump_stop(struct pump *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = 0;
	pump_close(&p->res);
	pump_close(&p->sock);
	pump_close(&p->app_rd);
	pump_close(&p->app_wr);
}

/* --- the client engine --- */

/* The server's public key, from its leaf certificate. */
static void client_key(struct client *c)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	struct tls_err e;
	struct blob b;

	cr_assert(!blob_read(&b, cert_path("ec256.crt.der"), &e), "%s", e.msg);
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, b.data, b.len);
	pk = br_x509_decoder_get_pkey(&dc);
	cr_assert(pk && pk->key_type == BR_KEYTYPE_EC, "leaf: no EC key");
	cr_assert(pk->key.ec.qlen <= sizeof c->q);
	memcpy(c->q, pk->key.ec.q, pk->key.ec.qlen);
	c->pk.curve = pk->key.ec.curve;
	c->pk.q = c->q;
	c->pk.qlen = pk->key.ec.qlen;
	blob_free(&b);
}

void client_init(struct client *c, int fd)
{
	br_ssl_engine_context *eng = &c->cc.eng;

	client_key(c);
	br_ssl_client_init_full(&c->cc, &c->xm, NULL, 0);
	br_x509_knownkey_init_ec(&c->xk, &c->pk,
	                         BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);
	br_ssl_engine_set_x509(eng, &c->xk.vtable);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_buffer(eng, c->iobuf, sizeof c->iobuf, 1);
	cr_assert(br_ssl_client_reset(&c->cc, "localhost", 0),
	          "client reset: %d", br_ssl_engine_last_error(eng));
	c->fd = fd;
	c->eof = c->err = 0;
}

static int client_send(struct client *c)
{
	size_t len;
	unsigned char *buf = br_ssl_engine_sendrec_buf(&c->cc.eng, &len);
	ssize_t n;

	if (!buf || c->err)
		return 0;
	n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN)
			c->err = errno;
		return 0;
	}
	br_ssl_engine_sendrec_ack(&c->cc.eng, (size_t)n);
	return 1;
}

static int client_recv(struct client *c)
{
	size_t len;
	unsigned char *buf = br_ssl_engine_recvrec_buf(&c->cc.eng, &len);
	ssize_t n;

	if (!buf || c->eof || c->err)
		return 0;
	n = recv(c->fd, buf, len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN)
			c->err = errno;
		return 0;
	}
	if (!n)
		c->eof = 1;
	else
		br_ssl_engine_recvrec_ack(&c->cc.eng, (size_t)n);
	return 1;
}

int client_io(struct client *c)
{
	int any = 0;

	while (client_send(c) | client_recv(c))
		any = 1;
	return any;
}

short client_events(const struct client *c)
{
	br_ssl_engine_context *eng = (br_ssl_engine_context *)&c->cc.eng;
	short ev = 0;
	size_t len;

	if (c->err)
		return 0;
	if (br_ssl_engine_sendrec_buf(eng, &len))
		ev |= POLLOUT;
	if (!c->eof && br_ssl_engine_recvrec_buf(eng, &len))
		ev |= POLLIN;
	return ev;
}

unsigned client_state(const struct client *c)
{
	return br_ssl_engine_current_state(&c->cc.eng);
}

/* Runs the engine until done(c), or until nothing more can happen. */
static int client_wait(struct client *c, int (*done)(struct client *), int ms)
{
	long long end = now_ms() + ms;
	struct pollfd pf;

	for (;;) {
		client_io(c);
		if (done(c))
			return 0;
		pf = (struct pollfd){c->fd, client_events(c), 0};
		if (!pf.events || now_ms() >= end)
			return -1;
		poll(&pf, 1, left_ms(end));
	}
}

static int flushed(struct client *c)
{
	return !(client_state(c) & BR_SSL_SENDREC);
}

static int handshaken(struct client *c)
{
	return (client_state(c) & BR_SSL_SENDAPP) && flushed(c);
}

static int can_send(struct client *c)
{
	return (client_state(c) & BR_SSL_SENDAPP) != 0;
}

static int readable(struct client *c)
{
	return (client_state(c) & (BR_SSL_RECVAPP | BR_SSL_CLOSED)) || c->eof;
}

int client_handshake(struct client *c, int ms)
{
	return client_wait(c, handshaken, ms);
}

size_t client_push(struct client *c, const void *p, size_t n)
{
	size_t len;
	unsigned char *buf = br_ssl_engine_sendapp_buf(&c->cc.eng, &len);

	if (!buf)
		return 0;
	if (n > len)
		n = len;
	memcpy(buf, p, n);
	br_ssl_engine_sendapp_ack(&c->cc.eng, n);
	return n;
}

int client_write(struct client *c, const void *p, size_t n, int ms)
{
	long long end = now_ms() + ms;
	const unsigned char *b = p;

	while (n) {
		size_t k = client_push(c, b, n);

		b += k;
		n -= k;
		if (!k && client_wait(c, can_send, left_ms(end)) < 0)
			return -1;
	}
	br_ssl_engine_flush(&c->cc.eng, 0);
	return client_wait(c, flushed, left_ms(end));
}

ssize_t client_read(struct client *c, void *buf, size_t n, int ms)
{
	long long end = now_ms() + ms;
	size_t got = 0, len;
	unsigned char *app;

	while (got < n) {
		if (client_wait(c, readable, left_ms(end)) < 0)
			return -1;
		app = br_ssl_engine_recvapp_buf(&c->cc.eng, &len);
		if (!app)
			break; /* EOF or closed */
		len = len < n - got ? len : n - got;
		memcpy((unsigned char *)buf + got, app, len);
		br_ssl_engine_recvapp_ack(&c->cc.eng, len);
		got += len;
	}
	return (ssize_t)got;
}

/* --- the app's ends --- */

static int wait_fd(int fd, short ev, long long end)
{
	struct pollfd pf = {fd, ev, 0};

	return poll(&pf, 1, left_ms(end)) == 1 ? 0 : -1;
}

ssize_t app_read(int fd, void *buf, size_t n, int ms)
{
	long long end = now_ms() + ms;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if (wait_fd(fd, POLLIN, end) < 0)
			return -1;
		r = read(fd, (unsigned char *)buf + got, n - got);
		if (!r)
			break;
		if (r < 0 && errno != EAGAIN)
			return -1;
		if (r > 0)
			got += (size_t)r;
	}
	return (ssize_t)got;
}

int app_write(int fd, const void *p, size_t n, int ms)
{
	long long end = now_ms() + ms;
	ssize_t r;

	while (n) {
		if (wait_fd(fd, POLLOUT, end) < 0)
			return -1;
		r = write(fd, p, n);
		if (r < 0 && errno != EAGAIN)
			return -1;
		if (r > 0) {
			p = (const unsigned char *)p + r;
			n -= (size_t)r;
		}
	}
	return 0;
}

/* --- duplex transfers --- */

static const size_t chunks[] = {1, 7, 4093, 16385, 65537};
#define NCHUNKS (sizeof chunks / sizeof chunks[0])

static void xfer_init(struct xfer *x, size_t len, uint32_t seed)
{
	memset(x, 0, sizeof *x);
	x->len = len;
	x->src = malloc(len + 1);
	x->dst = malloc(len + 1);
	cr_assert(x->src && x->dst, "malloc");
	for (size_t i = 0; i < len; i++) {
		seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
		x->src[i] = (unsigned char)seed;
	}
}

/* The size of the sender's next write. */
static size_t xfer_wlen(const struct xfer *x)
{
	size_t k = chunks[x->wi % NCHUNKS] - x->woff;

	return k < x->len - x->sent ? k : x->len - x->sent;
}

/* Returns 1 when the sender's current chunk is complete. */
static int xfer_advance(struct xfer *x, size_t k)
{
	x->sent += k;
	x->woff += k;
	if (x->woff < chunks[x->wi % NCHUNKS] && x->sent < x->len)
		return 0;
	x->woff = 0;
	x->wi++;
	return 1;
}

static void xfer_store(struct xfer *x, const unsigned char *p, size_t n)
{
	size_t k = n < x->len - x->got ? n : x->len - x->got;

	memcpy(x->dst + x->got, p, k);
	x->got += k;
	x->extra += n - k;
}

void duplex_init(struct duplex *d, struct client *c, struct pump *p,
                 size_t up_len, size_t down_len)
{
	memset(d, 0, sizeof *d);
	d->c = c;
	d->p = p;
	xfer_init(&d->up, up_len, 0x9e3779b9u);
	xfer_init(&d->down, down_len, 0x7f4a7c15u);
}

void duplex_free(struct duplex *d)
{
	free(d->up.src), free(d->up.dst);
	free(d->down.src), free(d->down.dst);
	memset(&d->up, 0, sizeof d->up);
	memset(&d->down, 0, sizeof d->down);
}

static int dx_client_send(struct duplex *d)
{
	br_ssl_engine_context *eng = &d->c->cc.eng;
	struct xfer *x = &d->up;
	size_t k, len;
	int moved = 0;

	while (x->sent < x->len && br_ssl_engine_sendapp_buf(eng, &len)) {
		k = client_push(d->c, x->src + x->sent, xfer_wlen(x));
		if (xfer_advance(x, k))
			br_ssl_engine_flush(eng, 0);
		moved = 1;
	}
	if (x->sent == x->len && !x->shut && flushed(d->c)) {
		shutdown(d->c->fd, SHUT_WR); /* no close_notify */
		x->shut = 1;
	}
	return moved;
}

static int dx_client_recv(struct duplex *d)
{
	br_ssl_engine_context *eng = &d->c->cc.eng;
	unsigned char *buf;
	size_t len, k;
	int moved = 0;

	while ((buf = br_ssl_engine_recvapp_buf(eng, &len))) {
		k = chunks[d->down.ri++ % NCHUNKS];
		k = k < len ? k : len;
		xfer_store(&d->down, buf, k);
		br_ssl_engine_recvapp_ack(eng, k);
		moved = 1;
	}
	if (d->c->eof || (client_state(d->c) & BR_SSL_CLOSED))
		d->down.eof = 1;
	if (d->c->err)
		d->err = d->c->err;
	return moved;
}

static int dx_app_write(struct duplex *d)
{
	struct xfer *x = &d->down;
	int *fd = &d->p->app_wr;
	ssize_t n;
	int moved = 0;

	while (*fd >= 0 && x->sent < x->len) {
		n = write(*fd, x->src + x->sent, xfer_wlen(x));
		if (n < 0 && errno != EAGAIN)
			d->err = errno;
		if (n <= 0)
			break;
		xfer_advance(x, (size_t)n);
		moved = 1;
	}
	if (*fd >= 0 && x->sent == x->len) {
		pump_close(fd);
		x->shut = 1;
	}
	return moved;
}

static int dx_may_read(const struct duplex *d)
{
	return d->p->app_rd >= 0 && !d->up.eof && !d->app_paused &&
	       now_ms() >= d->next_read;
}

static int dx_app_read(struct duplex *d)
{
	static unsigned char buf[65537];
	size_t want;
	ssize_t n;
	int moved = 0;

	while (dx_may_read(d)) {
		want = d->read_gap_ms ? 1000 : chunks[d->up.ri++ % NCHUNKS];
		n = read(d->p->app_rd, buf, want);
		if (n < 0 && errno != EAGAIN)
			d->err = errno;
		if (n < 0)
			break;
		moved = 1;
		if (!n)
			d->up.eof = 1;
		xfer_store(&d->up, buf, (size_t)n);
		if (d->read_gap_ms)
			d->next_read = now_ms() + d->read_gap_ms;
	}
	return moved;
}

static void dx_poll(struct duplex *d, long long end)
{
	struct pollfd pf[3];
	int n = 0, ms = left_ms(end);
	short ev = client_events(d->c);

	/* events 0: the fd is left out (POLLHUP would wake us up at once) */
	pf[n++] = (struct pollfd){ev ? d->c->fd : -1, ev, 0};
	if (d->p->app_wr >= 0)
		pf[n++] = (struct pollfd){d->p->app_wr, POLLOUT, 0};
	if (dx_may_read(d))
		pf[n++] = (struct pollfd){d->p->app_rd, POLLIN, 0};
	else if (d->p->app_rd >= 0 && !d->app_paused && !d->up.eof &&
	         d->next_read - now_ms() < ms)
		ms = left_ms(d->next_read);
	poll(pf, (nfds_t)n, ms);
}

int duplex_run(struct duplex *d, int ms)
{
	long long end = now_ms() + ms;
	int moved;

	for (;;) {
		do {
			moved = dx_client_send(d);
			moved |= client_io(d->c);
			moved |= dx_client_recv(d);
			moved |= dx_app_write(d);
			moved |= dx_app_read(d);
		} while (moved && !d->err);
		if (d->err)
			return -1;
		if (d->up.eof && d->down.eof)
			return 1;
		if (now_ms() >= end)
			return 0;
		dx_poll(d, end);
	}
}

static void sha256(const unsigned char *p, size_t n, unsigned char *out)
{
	br_sha256_context h;

	br_sha256_init(&h);
	br_sha256_update(&h, p, n);
	br_sha256_out(&h, out);
}

static size_t first_diff(const struct xfer *x)
{
	size_t i = 0;

	while (i < x->got && x->src[i] == x->dst[i])
		i++;
	return i;
}

void xfer_check(const struct xfer *x, const char *name)
{
	unsigned char hs[32], hr[32];

	cr_assert_eq(x->extra, 0, "%s: %zu bytes more than sent", name,
	             x->extra);
	cr_assert_eq(x->got, x->len, "%s: received %zu of %zu bytes", name,
	             x->got, x->len);
	sha256(x->src, x->len, hs);
	sha256(x->dst, x->got, hr);
	cr_assert(!memcmp(hs, hr, sizeof hs),
	          "%s: SHA-256 differs; first bad byte at offset %zu", name,
	          first_diff(x));
}
