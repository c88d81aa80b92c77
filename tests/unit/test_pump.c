/*
 * ring/tunnel.c without a network, in the style of libtls's regress tests:
 * the real tunnel (real server engine, ec256 keypair from $TLSD_CERTS) runs
 * in a forked child over a socketpair and two pipes; this process is the
 * TLS client (a BearSSL client engine, TLS 1.2, trusting the server's key)
 * and the app. The child reports its struct tunnel_result on a pipe.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pump_client.h"

/* Bounds on waits here are generous on purpose: they only turn a hang
 * into a failure, they never measure speed (that is perf/'s job). */
#define WAIT_MS 15000

static struct pump P = {0, -1, -1, -1, -1};
static struct client C;
static struct duplex D;
static struct tunnel_result R;

static void fini(void)
{
	pump_stop(&P);
	duplex_free(&D);
}

TestSuite(pump, .fini = fini, .timeout = 60);

static const struct tunnel_config plain; /* -s, no -J, no timeout */

/* Starts the tunnel and the client, and completes the handshake. */
static void session(const struct tunnel_config *cfg, unsigned flags)
{
	pump_start(&P, cfg, flags);
	client_init(&C, P.sock);
	cr_assert_eq(client_handshake(&C, WAIT_MS), 0,
	             "handshake failed: client error %d",
	             br_ssl_engine_last_error(&C.cc.eng));
}

static void expect_status(enum tunnel_status st)
{
	pump_result(&P, &R, WAIT_MS);
	cr_assert_eq(R.status, st, "tunnel status %d (err %d), expected %d",
	             R.status, R.err, st);
}

/* The app's side of fdw: EOF with nothing (more) in it. */
static void expect_app_eof(void)
{
	char c;

	cr_assert_eq(app_read(P.app_rd, &c, 1, WAIT_MS), 0,
	             "the app did not see EOF on fdw");
}

/* Runs D to completion; on failure, says how the tunnel ended if it did. */
static void run_duplex(int ms)
{
	int r = duplex_run(&D, ms);

	if (r != 1 && pump_poll(&P, 500))
		pump_result(&P, &R, 0);
	cr_assert_eq(r, 1,
	             "transfer incomplete (err %d): up %zu/%zu, down %zu/%zu; "
	             "tunnel status %d err %d",
	             D.err, D.up.got, D.up.len, D.down.got, D.down.len,
	             P.pid ? -1 : (int)R.status, R.err);
}

Test(pump, echo, .timeout = 60)
{
	char buf[8];

	session(&plain, 0);
	cr_assert_eq(client_write(&C, "ping", 4, WAIT_MS), 0);
	cr_assert_eq(app_read(P.app_rd, buf, 4, WAIT_MS), 4);
	cr_assert_arr_eq(buf, "ping", 4);
	cr_assert_eq(app_write(P.app_wr, "ping", 4, WAIT_MS), 0);
	cr_assert_eq(client_read(&C, buf, 4, WAIT_MS), 4);
	cr_assert_arr_eq(buf, "ping", 4);
	pump_close(&P.app_wr);
	shutdown(P.sock, SHUT_WR);
	cr_assert_eq(client_read(&C, buf, 1, WAIT_MS), 0, "no EOF after data");
	expect_app_eof();
	expect_status(TUNNEL_DONE);
	cr_assert_eq(R.app_bytes_in, 4);
	cr_assert_eq(R.app_bytes_out, 4);
}

Test(pump, bulk_both_ways, .timeout = 60)
{
	session(&plain, 0);
	duplex_init(&D, &C, &P, 8 * MIB, 8 * MIB);
	run_duplex(15000);
	xfer_check(&D.up, "client to app");
	xfer_check(&D.down, "app to client");
	expect_status(TUNNEL_DONE);
	cr_assert_eq(R.app_bytes_in, 8 * MIB);
	cr_assert_eq(R.app_bytes_out, 8 * MIB);
}

Test(pump, nonblocking_app_slow_reader, .timeout = 60)
{
	session(&plain, PUMP_APP_NONBLOCK);
	duplex_init(&D, &C, &P, 512 * KIB, 256 * KIB);
	D.read_gap_ms = 2;
	run_duplex(15000);
	xfer_check(&D.up, "client to app");
	xfer_check(&D.down, "app to client");
	expect_status(TUNNEL_DONE);
	cr_assert_eq(R.app_bytes_in, 256 * KIB);
	cr_assert_eq(R.app_bytes_out, 512 * KIB);
}

Test(pump, half_close, .timeout = 60)
{
	static const char req[] = "GET /answer\r\n";
	char buf[64];

	session(&plain, 0);
	cr_assert_eq(client_write(&C, req, sizeof req - 1, WAIT_MS), 0);
	shutdown(P.sock, SHUT_WR); /* no close_notify */
	cr_assert_eq(app_read(P.app_rd, buf, sizeof buf, WAIT_MS),
	             sizeof req - 1, "the app did not get request + EOF");
	cr_assert_arr_eq(buf, req, sizeof req - 1);
	duplex_init(&D, &C, &P, 0, MIB);
	D.up.shut = D.up.eof = 1;
	run_duplex(10000);
	xfer_check(&D.down, "answer");
	cr_assert(C.eof, "the client did not see a TCP EOF");
	cr_assert(!(client_state(&C) & BR_SSL_CLOSED), "close_notify sent");
	expect_status(TUNNEL_DONE);
	cr_assert_eq(R.app_bytes_in, MIB);
	cr_assert_eq(R.app_bytes_out, sizeof req - 1);
}

Test(pump, close_notify, .timeout = 60)
{
	struct tunnel_config cfg = {.close_notify = 1};
	char buf[8];

	session(&cfg, 0);
	cr_assert_eq(app_write(P.app_wr, "bye", 3, WAIT_MS), 0);
	pump_close(&P.app_wr);
	cr_assert_eq(client_read(&C, buf, sizeof buf, WAIT_MS), 3);
	cr_assert_arr_eq(buf, "bye", 3);
	cr_assert(client_state(&C) & BR_SSL_CLOSED, "no close_notify");
	cr_assert_eq(br_ssl_engine_last_error(&C.cc.eng), 0,
	             "closed with error %d",
	             br_ssl_engine_last_error(&C.cc.eng));
	expect_app_eof();
	expect_status(TUNNEL_DONE);
}

Test(pump, enforce_close_notify_bare_eof, .timeout = 60)
{
	struct tunnel_config cfg = {.enforce_close_notify = 1};

	session(&cfg, 0);
	shutdown(P.sock, SHUT_WR);
	expect_status(TUNNEL_ERR_NO_CLOSE_NOTIFY);
	expect_app_eof();
}

Test(pump, bare_eof_accepted, .timeout = 60)
{
	session(&plain, 0);
	shutdown(P.sock, SHUT_WR);
	expect_app_eof();
	pump_close(&P.app_wr);
	expect_status(TUNNEL_DONE);
}

Test(pump, eof_mid_record, .timeout = 60)
{
	unsigned char *rec;
	size_t len;

	session(&plain, 0);
	cr_assert_eq(client_push(&C, "secret data", 11), 11);
	br_ssl_engine_flush(&C.cc.eng, 0);
	rec = br_ssl_engine_sendrec_buf(&C.cc.eng, &len);
	cr_assert(rec && len > 11, "no sealed record");
	cr_assert_eq(app_write(P.sock, rec, len / 2, WAIT_MS), 0);
	shutdown(P.sock, SHUT_WR);
	expect_status(TUNNEL_ERR_TRUNCATED);
	expect_app_eof();
}

Test(pump, eof_in_handshake, .timeout = 60)
{
	unsigned char *hello;
	size_t len;

	pump_start(&P, &plain, 0);
	client_init(&C, P.sock);
	hello = br_ssl_engine_sendrec_buf(&C.cc.eng, &len);
	cr_assert(hello && len > 10, "no ClientHello");
	cr_assert_eq(app_write(P.sock, hello, len / 2, WAIT_MS), 0);
	shutdown(P.sock, SHUT_WR);
	expect_status(TUNNEL_ERR_EOF_HANDSHAKE);
	expect_app_eof();
}

Test(pump, garbage_instead_of_tls, .timeout = 60)
{
	static const char get[] = "GET / HTTP/1.0\r\n\r\n";

	pump_start(&P, &plain, 0);
	cr_assert_eq(app_write(P.sock, get, sizeof get - 1, WAIT_MS), 0);
	expect_status(TUNNEL_ERR_TLS);
	cr_assert_neq(R.err, 0, "TLS error without a BR_ERR_* code");
	expect_app_eof();
}

Test(pump, handshake_timeout, .timeout = 60)
{
	struct tunnel_config cfg = {.handshake_timeout_ms = 200};
	long long t0 = now_ms(), dt;

	pump_start(&P, &cfg, 0);
	pump_result(&P, &R, WAIT_MS);
	dt = now_ms() - t0;
	cr_assert_eq(R.status, TUNNEL_ERR_TIMEOUT, "status %d (err %d)",
	             R.status, R.err);
	cr_assert(dt >= 150, "timed out after %lld ms", dt);
}

/*
 * Backpressure cases push until nothing moves any more, then check that
 * what the tunnel took is bounded (its queues and the kernel's buffers,
 * well under 16 MiB): a tunnel that kept reading would take all 20 MiB.
 * "Nothing moved for one slice" may also be a busy machine's pause; that
 * only ends the push early and the bound still holds.
 */
#define STILL_MS 300

Test(pump, app_stops_reading, .timeout = 60)
{
	size_t before;

	session(&plain, 0);
	duplex_init(&D, &C, &P, 20 * MIB, 0);
	D.app_paused = 1;
	do {
		before = D.up.sent;
		cr_assert_eq(duplex_run(&D, STILL_MS), 0);
	} while (D.up.sent != before && D.up.sent < 16 * MIB);
	cr_assert(D.up.sent < 16 * MIB, "pushed %zu bytes", D.up.sent);
	cr_log_info("app_stops_reading: stalled after %zu bytes", D.up.sent);
	D.app_paused = 0;
	run_duplex(30000);
	xfer_check(&D.up, "client to app");
	expect_status(TUNNEL_DONE);
	cr_assert_eq(R.app_bytes_out, 20 * MIB);
}

/* Pushes records for ms without blocking: the bytes the engine took. */
static size_t flood(int ms)
{
	static unsigned char junk[16384];
	long long end = now_ms() + ms;
	size_t total = 0;

	while (now_ms() < end && !C.err) {
		total += client_push(&C, junk, sizeof junk);
		br_ssl_engine_flush(&C.cc.eng, 0);
		client_io(&C);
		usleep(1000);
	}
	return total;
}

/* Floods until a slice takes nothing (or 16 MiB went in): the total. */
static size_t flood_until_still(void)
{
	size_t total = 0, n;

	do {
		n = flood(STILL_MS);
		total += n;
	} while (n && total < 16 * MIB);
	return total;
}

Test(pump, app_gone, .timeout = 60)
{
	/* A linger far longer than the wait below: the tunnel can only end
	 * in time because it saw the client's EOF. */
	static const struct tunnel_config cfg = {.linger_ms = 120000};
	size_t took;

	session(&cfg, 0);
	pump_close(&P.app_rd);
	took = flood_until_still();
	cr_assert(took < 16 * MIB, "the tunnel took %zu bytes", took);
	cr_assert(!pump_poll(&P, 0), "the tunnel ended before the app");
	pump_close(&P.app_wr);
	/* The app's output is done: the tunnel drains the network until the
	 * client's EOF (bounded: closing a socket with unread input resets
	 * it, and the client could lose our last bytes), then says that
	 * bytes were lost with the app. */
	cr_assert(!shutdown(P.sock, SHUT_WR));
	expect_status(TUNNEL_ERR_IO);
	cr_assert_eq(R.err, -EPIPE);
	cr_assert_eq(R.app_bytes_out, 0);
}

Test(pump, app_gone_linger_is_bounded, .timeout = 60)
{
	static const struct tunnel_config cfg = {.linger_ms = 500};
	long long t0;

	session(&cfg, 0);
	pump_close(&P.app_rd);
	flood_until_still();
	/* A client that never closes: the tunnel still ends, once the
	 * linger is over (never before it). */
	t0 = now_ms();
	pump_close(&P.app_wr);
	expect_status(TUNNEL_ERR_IO);
	cr_assert(now_ms() - t0 >= 400, "lingered only %lld ms", now_ms() - t0);
	cr_assert_eq(R.err, -EPIPE);
}

/* The app writes what fits into its pipe, without blocking. */
static void app_pour(void)
{
	static unsigned char junk[65536];

	if (P.app_wr >= 0)
		(void)!write(P.app_wr, junk, sizeof junk);
}

Test(pump, peer_reset, .timeout = 60)
{
	static char buf[16384];
	struct linger lg = {1, 0};
	long long t0;

	session(&plain, 0);
	for (int i = 0; i < 16; i++) {
		app_pour();
		cr_assert_eq(client_read(&C, buf, sizeof buf, WAIT_MS),
		             sizeof buf);
	}
	app_pour();
	cr_assert(!setsockopt(P.sock, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	pump_close(&P.sock);
	t0 = now_ms();
	while (!pump_poll(&P, 5) && now_ms() - t0 < WAIT_MS)
		app_pour();
	expect_status(TUNNEL_ERR_IO);
	cr_assert(R.err == -ECONNRESET || R.err == -EPIPE, "err %d (%s)", R.err,
	          strerror(-R.err));
}

/* Seals p into records and appends them to out: the new length. */
static size_t seal(const void *p, size_t n, unsigned char *out, size_t off)
{
	unsigned char *rec;
	size_t len;

	cr_assert_eq(client_push(&C, p, n), n);
	br_ssl_engine_flush(&C.cc.eng, 0);
	while ((rec = br_ssl_engine_sendrec_buf(&C.cc.eng, &len))) {
		memcpy(out + off, rec, len);
		br_ssl_engine_sendrec_ack(&C.cc.eng, len);
		off += len;
	}
	return off;
}

/*
 * An extra case, deterministic, for what the bulk cases hit by chance: one
 * read brings two records; the tunnel writes the first to the app while
 * its next read waits on an empty socket, then feeds the second record and
 * so empties netin under that read. The next record must still arrive.
 */
Test(pump, two_records_then_pause, .timeout = 60)
{
	static unsigned char msg[20000], seg[2 * BR_SSL_BUFSIZE_OUTPUT];
	static unsigned char got[sizeof msg];
	size_t n;

	session(&plain, 0);
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (unsigned char)(i * 7 + 1);
	n = seal(msg, 16384, seg, 0);
	n = seal(msg + 16384, sizeof msg - 16384, seg, n);
	cr_assert_eq(app_write(P.sock, seg, n, WAIT_MS), 0); /* one segment */
	cr_assert_eq(app_read(P.app_rd, got, sizeof got, WAIT_MS), sizeof got);
	cr_assert_arr_eq(got, msg, sizeof msg);
	usleep(100 * 1000);
	cr_assert_eq(client_write(&C, "ping", 4, WAIT_MS), 0);
	cr_assert_eq(app_read(P.app_rd, got, 4, WAIT_MS), 4,
	             "the record after the pause did not reach the app");
	cr_assert_arr_eq(got, "ping", 4);
	pump_close(&P.app_wr);
	shutdown(P.sock, SHUT_WR);
	expect_app_eof();
	expect_status(TUNNEL_DONE);
}
