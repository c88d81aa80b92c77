/*
 * perf-client: the TLS client of the benchmarks, on OpenSSL's libssl (its
 * AES-GCM is AES-NI/VAES assembly: it is not what limits the numbers).
 * Prints one JSON object on stdout.
 *
 *   perf-client [-p PORT] [-c CIPHERS] [-2] download BYTES
 *       read until the server closes; checks that BYTES arrived
 *   perf-client ... upload BYTES
 *       write BYTES, half-close TCP (no close_notify), then read the app's
 *       reply (the count it received, one line) and check it
 *   perf-client ... pingpong COUNT [SIZE]
 *       COUNT round trips of SIZE (64) bytes; latency quantiles in µs
 *   perf-client ... [-R] connrate THREADS SECONDS
 *       per thread, in a loop: connect, handshake, read one line, read to
 *       EOF, close; connections per second
 *
 * -P: no TLS at all (plain TCP; pingpong and connrate): the client of the
 * floors (a cleartext relay, the app itself on the socket, the
 * super-server starting only the app).
 * -c CIPHERS: OpenSSL cipher list for TLS 1.2 (and TLS 1.2 only); without
 * it the client is a default OpenSSL client (TLS 1.2 and 1.3, the default
 * list), except -2 caps it at TLS 1.2. Certificates are not verified (the
 * client's cost is not what is measured); session tickets are not asked
 * for.
 * -R (connrate): resume. Each thread keeps the session of its first
 * connection and offers its ID on every following one (TLS 1.2 session-ID
 * resumption: -R caps the protocol at TLS 1.2, and there are no tickets);
 * a connection that did not resume replaces the kept session by its own,
 * so an expired or evicted session is not offered again. "resumed" in the
 * output counts the connections the server resumed.
 * Times start when the handshake has completed (bulk, ping-pong).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static int port = 4433;
static const char *ciphers;
static int tls12_only;
static int plain;
static int resume;
static SSL_CTX *ctx;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what)
{
	unsigned long e = ERR_get_error();
	char msg[256] = "";

	if (e)
		ERR_error_string_n(e, msg, sizeof msg);
	printf("{\"error\": \"%s: %s%s\"}\n", what, msg,
	       e ? "" : strerror(errno));
	exit(1);
}

static void make_ctx(void)
{
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		die("SSL_CTX_new");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_options(ctx,
	                    SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	/* No cache: -R hands each connection its session (SSL_set_session). */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (ciphers || tls12_only || resume)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	if (ciphers && !SSL_CTX_set_cipher_list(ctx, ciphers))
		die("cipher list");
	/* Read many records per read(2). */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, 256 * 1024);
}

static int tcp_connect(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static SSL *tls_connect(int *fdp)
{
	int fd = tcp_connect();
	SSL *ssl;

	if (fd < 0)
		die("connect");
	ssl = SSL_new(ctx);
	if (!ssl)
		die("SSL_new");
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	if (SSL_connect(ssl) != 1)
		die("handshake");
	*fdp = fd;
	return ssl;
}

static void print_session(SSL *ssl)
{
	EVP_PKEY *k = NULL;
	const char *group = "";
	char gname[64] = "";

	if (SSL_get_peer_tmp_key(ssl, &k) && k) {
		size_t len;

		if (EVP_PKEY_get_group_name(k, gname, sizeof gname, &len))
			group = gname;
		else
			group = EVP_PKEY_get0_type_name(k);
		EVP_PKEY_free(k);
	}
	printf("\"protocol\": \"%s\", \"suite\": \"%s\", \"group\": \"%s\", ",
	       SSL_get_version(ssl), SSL_get_cipher_name(ssl),
	       group ? group : "");
}

static unsigned char buf[256 * 1024];

static int do_download(unsigned long long want)
{
	unsigned long long got = 0;
	double t0, t1, c0;
	int fd, r;
	SSL *ssl = tls_connect(&fd);

	t0 = now();
	c0 = cpu_self();
	while ((r = SSL_read(ssl, buf, sizeof buf)) > 0)
		got += (unsigned)r;
	t1 = now();
	if (r < 0 || SSL_get_error(ssl, r) != SSL_ERROR_ZERO_RETURN)
		ERR_clear_error();
	printf("{");
	print_session(ssl);
	printf("\"bytes\": %llu, \"expected\": %llu, \"seconds\": %.6f, "
	       "\"client_cpu\": %.4f, \"ok\": %s}\n",
	       got, want, t1 - t0, cpu_self() - c0,
	       got == want ? "true" : "false");
	SSL_free(ssl);
	close(fd);
	return got == want ? 0 : 1;
}

static int do_upload(unsigned long long n)
{
	unsigned long long sent = 0, echoed;
	char reply[64];
	size_t rl = 0;
	double t0, t1, c0;
	int fd, r;
	SSL *ssl = tls_connect(&fd);

	memset(buf, 'u', sizeof buf);
	t0 = now();
	c0 = cpu_self();
	while (sent < n) {
		size_t k =
		    n - sent < sizeof buf ? (size_t)(n - sent) : sizeof buf;

		r = SSL_write(ssl, buf, (int)k);
		if (r <= 0)
			die("SSL_write");
		sent += (unsigned)r;
	}
	/* EOF to the app without close_notify: the tunnel keeps sending. */
	shutdown(fd, SHUT_WR);
	while (rl < sizeof reply - 1 &&
	       (r = SSL_read(ssl, reply + rl, (int)(sizeof reply - 1 - rl))) >
	           0)
		rl += (size_t)r;
	t1 = now();
	reply[rl] = 0;
	echoed = strtoull(reply, NULL, 10);
	printf("{");
	print_session(ssl);
	printf("\"bytes\": %llu, \"expected\": %llu, \"seconds\": %.6f, "
	       "\"client_cpu\": %.4f, \"ok\": %s}\n",
	       echoed, n, t1 - t0, cpu_self() - c0,
	       echoed == n && rl ? "true" : "false");
	SSL_free(ssl);
	close(fd);
	return echoed == n ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double quantile(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

/* One message each way, on TLS or (with -P) on the socket itself. */
static int pp_write(SSL *ssl, int fd, const void *p, size_t n)
{
	if (!plain)
		return SSL_write(ssl, p, (int)n);
	return (int)write(fd, p, n);
}

static int pp_read(SSL *ssl, int fd, void *p, size_t n)
{
	if (!plain)
		return SSL_read(ssl, p, (int)n);
	return (int)read(fd, p, n);
}

static int do_pingpong(unsigned long count, size_t size)
{
	unsigned long warm = count / 10 < 200 ? count / 10 : 200;
	double *lat = calloc(count, sizeof *lat), sum = 0, c0 = 0;
	unsigned char msg[4096];
	int fd = -1;
	SSL *ssl = NULL;

	if (plain)
		fd = tcp_connect();
	else
		ssl = tls_connect(&fd);
	if (fd < 0)
		die("connect");
	if (!lat || size > sizeof msg)
		die("pingpong");
	memset(msg, 'p', size);
	for (unsigned long i = 0; i < warm + count; i++) {
		double t0 = now();
		size_t got = 0;

		if (pp_write(ssl, fd, msg, size) != (int)size)
			die("write");
		while (got < size) {
			int r = pp_read(ssl, fd, buf, size - got);

			if (r <= 0)
				die("SSL_read (echo)");
			got += (size_t)r;
		}
		if (i == warm)
			c0 = cpu_self();
		if (i >= warm)
			lat[i - warm] = (now() - t0) * 1e6;
	}
	shutdown(fd, SHUT_WR);
	while (pp_read(ssl, fd, buf, sizeof buf) > 0)
		;
	for (unsigned long i = 0; i < count; i++)
		sum += lat[i];
	qsort(lat, count, sizeof *lat, cmp_double);
	printf("{");
	if (ssl)
		print_session(ssl);
	printf("\"count\": %lu, \"size\": %zu, \"mean_us\": %.2f, "
	       "\"p50_us\": %.2f, \"p90_us\": %.2f, \"p99_us\": %.2f, "
	       "\"p999_us\": %.2f, \"min_us\": %.2f, \"max_us\": %.2f, "
	       "\"client_cpu\": %.4f, \"ok\": true, \"quantiles_us\": [",
	       count, size, sum / (double)count, quantile(lat, count, 0.5),
	       quantile(lat, count, 0.9), quantile(lat, count, 0.99),
	       quantile(lat, count, 0.999), lat[0], lat[count - 1],
	       cpu_self() - c0);
	for (int q = 0; q <= 200; q++)
		printf("%s%.2f", q ? ", " : "",
		       quantile(lat, count, (double)q / 200));
	printf("]}\n");
	if (ssl)
		SSL_free(ssl);
	close(fd);
	return 0;
}

struct worker {
	pthread_t th;
	double deadline;
	unsigned long ok, failed, resumed;
	double lat_sum;
	char suite[64];
	SSL_SESSION *sess; /* -R: the session to offer next */
};

/* One plain connection: read to EOF; 1 if a line came. */
static int plain_line(int fd)
{
	char b[256];
	ssize_t r;
	int line = 0;

	while ((r = read(fd, b, sizeof b)) > 0)
		if (memchr(b, '\n', (size_t)r))
			line = 1;
	return line;
}

/* -R: the session to offer from now on is this connection's. */
static void keep_session(struct worker *w, SSL *ssl)
{
	SSL_SESSION_free(w->sess);
	w->sess = SSL_get1_session(ssl);
}

/* One TLS connection: handshake, read to EOF; 1 if a line came. */
static int tls_line(struct worker *w, int fd)
{
	SSL *ssl = SSL_new(ctx);
	int r, line = 0, reused = 0;

	SSL_set_fd(ssl, fd);
	if (w->sess)
		SSL_set_session(ssl, w->sess);
	if (SSL_connect(ssl) == 1) {
		char b[256];

		if (!w->suite[0])
			snprintf(w->suite, sizeof w->suite, "%s",
			         SSL_get_cipher_name(ssl));
		reused = SSL_session_reused(ssl);
		if (resume && !reused)
			keep_session(w, ssl);
		while ((r = SSL_read(ssl, b, sizeof b)) > 0)
			if (memchr(b, '\n', (size_t)r))
				line = 1;
	}
	/*
	 * OpenSSL makes a session it frees without having sent close_notify
	 * not resumable (ssl_clear_bad_session). The server has closed: say
	 * the shutdown is done rather than write a close_notify to it.
	 */
	if (line)
		SSL_set_shutdown(ssl,
		                 SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	if (line && reused)
		w->resumed++;
	ERR_clear_error();
	SSL_free(ssl);
	return line;
}

static void *connrate_worker(void *arg)
{
	struct worker *w = arg;

	while (now() < w->deadline) {
		double t0 = now();
		int fd = tcp_connect(), line;

		if (fd < 0) {
			w->failed++;
			continue;
		}
		line = plain ? plain_line(fd) : tls_line(w, fd);
		close(fd);
		if (line) {
			w->ok++;
			w->lat_sum += now() - t0;
		} else {
			w->failed++;
		}
	}
	SSL_SESSION_free(w->sess);
	return NULL;
}

static int do_connrate(int threads, double seconds)
{
	struct worker w[16];
	unsigned long ok = 0, failed = 0, resumed = 0;
	double t0 = now(), c0 = cpu_self(), lat = 0, t1;

	if (threads < 1 || threads > 16)
		die("threads");
	for (int i = 0; i < threads; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].deadline = t0 + seconds;
		pthread_create(&w[i].th, NULL, connrate_worker, &w[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		ok += w[i].ok;
		failed += w[i].failed;
		resumed += w[i].resumed;
		lat += w[i].lat_sum;
	}
	t1 = now();
	printf("{\"suite\": \"%s\", \"threads\": %d, \"connections\": %lu, "
	       "\"failed\": %lu, \"resume\": %s, \"resumed\": %lu, "
	       "\"seconds\": %.4f, \"rate\": %.2f, "
	       "\"mean_conn_ms\": %.3f, \"client_cpu\": %.4f, \"ok\": %s}\n",
	       w[0].suite, threads, ok, failed, resume ? "true" : "false",
	       resumed, t1 - t0, (double)ok / (t1 - t0),
	       ok ? lat / (double)ok * 1e3 : 0.0, cpu_self() - c0,
	       ok && !failed ? "true" : "false");
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "p:c:2PR")) != -1) {
		switch (c) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'c':
			ciphers = optarg;
			break;
		case '2':
			tls12_only = 1;
			break;
		case 'P':
			plain = 1;
			break;
		case 'R':
			resume = 1;
			break;
		default:
			return 100;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2) {
		fprintf(stderr,
		        "usage: perf-client [-p PORT] [-c CIPHERS] [-2] [-P] "
		        "[-R] download|upload BYTES | pingpong COUNT [SIZE] | "
		        "connrate THREADS SECONDS\n");
		return 100;
	}
	make_ctx();
	if (!strcmp(argv[0], "download"))
		return do_download(strtoull(argv[1], NULL, 10));
	if (!strcmp(argv[0], "upload"))
		return do_upload(strtoull(argv[1], NULL, 10));
	if (!strcmp(argv[0], "pingpong"))
		return do_pingpong(strtoul(argv[1], NULL, 10),
		                   argc > 2 ? strtoul(argv[2], NULL, 10) : 64);
	if (!strcmp(argv[0], "connrate") && argc > 2)
		return do_connrate(atoi(argv[1]), atof(argv[2]));
	return 100;
}
