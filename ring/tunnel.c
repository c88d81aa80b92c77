/*
 * The tunnel's logic: what to read and write next, what a result means,
 * when each direction ends. The I/O itself is an engine's (tunnel_io.h).
 */
#include "tunnel.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bq.h"
#include "framer.h"
#include "tunnel_io.h"

enum {
	TF_HANDSHAKE = 1u << 0,  /* the handshake has completed */
	TF_NET_EOF = 1u << 1,    /* net_in gave EOF */
	TF_APP_EOF = 1u << 2,    /* app_in gave EOF */
	TF_RX_DONE = 1u << 3,    /* app_out closed: nothing more to the app */
	TF_TX_DONE = 1u << 4,    /* net_out shut down: nothing more out */
	TF_CLOSE_SENT = 1u << 5, /* br_ssl_engine_close() was called */
	TF_FAILED = 1u << 6,     /* res holds an error */
	TF_FINISHING = 1u << 8,  /* abandoning: results no longer count */
	TF_APP_GONE = 1u << 9,   /* a write to app_out failed with EPIPE */
};

/* How long the network is drained, after the app went away, before the
 * socket is closed: closing with unread input makes the kernel reset the
 * connection, and the peer may then lose what we sent it last. */
#define TUNNEL_LINGER_MS 2000

static int has(const struct tunnel *t, unsigned f)
{
	return (t->flags & f) != 0;
}

static void fail(struct tunnel *t, enum tunnel_status st, int err,
                 const char *what)
{
	if (has(t, TF_FAILED))
		return;
	t->flags |= TF_FAILED;
	t->res.status = st;
	t->res.err = err;
	t->res.what = what;
}

int tunnel_fd(const struct tunnel *t, enum op op)
{
	switch (op) {
	case OP_NETRD:
		return t->fd.net_in;
	case OP_NETWR:
		return t->fd.net_out;
	case OP_APPRD:
		return t->fd.app_in;
	default:
		return t->fd.app_out;
	}
}

struct tunnel *tunnel_instance(void)
{
	static struct tunnel t;

	return &t;
}

int tunnel_uring_err(const struct tunnel *t)
{
	return t->uring_err;
}

int tunnel_restrict_err(const struct tunnel *t)
{
	return t->restrict_err;
}

const char *tunnel_engine_name(const struct tunnel *t)
{
	return t->io->name;
}

static int setup_engine(struct tunnel *t, enum tunnel_engine want)
{
	int r;

	t->uring_err = t->restrict_err = 0;
	t->io = want == TUNNEL_ENGINE_POLL ? &tunnel_io_poll : &tunnel_io_uring;
	r = t->io->setup(t);
	if (r >= 0 || want != TUNNEL_ENGINE_AUTO)
		return r;
	/* io_uring refused (old kernel, sysctl, seccomp): poll(2) instead. */
	t->uring_err = r;
	t->restrict_err = 0;
	t->io = &tunnel_io_poll;
	return t->io->setup(t);
}

int tunnel_init(struct tunnel *t, br_ssl_engine_context *eng,
                const struct tunnel_fds *fds, const struct tunnel_config *cfg)
{
	memset(&t->res, 0, sizeof t->res);
	t->eng = eng;
	t->fd = *fds;
	t->cfg = *cfg;
	t->inflight = 0;
	t->flags = 0;
	t->timer = TIMER_NONE;
	t->linger = LINGER_NONE;
	bq_init(&t->netin, t->netin_buf, sizeof t->netin_buf);
	bq_init(&t->appout, t->appout_buf, sizeof t->appout_buf);
	bq_init(&t->appin, t->appin_buf, sizeof t->appin_buf);
	bq_init(&t->netout, t->netout_buf, sizeof t->netout_buf);
	framer_init(&t->framer);
	return setup_engine(t, cfg->engine);
}

/* --- moving bytes between the staging queues and the engine --- */

static int feed_records(struct tunnel *t)
{
	size_t len, n;
	unsigned char *buf = br_ssl_engine_recvrec_buf(t->eng, &len);

	n = bq_len(&t->netin);
	if (!buf || !n)
		return 0;
	if (n > len)
		n = len;
	memcpy(buf, bq_data(&t->netin), n);
	framer_feed(&t->framer, buf, n);
	bq_consume(&t->netin, n);
	br_ssl_engine_recvrec_ack(t->eng, n);
	return 1;
}

static int feed_app(struct tunnel *t)
{
	size_t len, n;
	unsigned char *buf = br_ssl_engine_sendapp_buf(t->eng, &len);

	n = bq_len(&t->appin);
	if (!buf || !n)
		return 0;
	if (n > len)
		n = len;
	memcpy(buf, bq_data(&t->appin), n);
	bq_consume(&t->appin, n);
	br_ssl_engine_sendapp_ack(t->eng, n);
	/* The app has paused (all it wrote is in): seal what we have. */
	if (!bq_len(&t->appin))
		br_ssl_engine_flush(t->eng, 0);
	return 1;
}

static int drain_app(struct tunnel *t)
{
	size_t len, n;
	unsigned char *buf = br_ssl_engine_recvapp_buf(t->eng, &len);

	if (!buf)
		return 0;
	if (!(t->inflight & OP_BIT(OP_APPWR)))
		bq_compact(&t->appout);
	n = bq_room(&t->appout);
	if (!n)
		return 0;
	if (n > len)
		n = len;
	memcpy(bq_tail(&t->appout), buf, n);
	bq_produce(&t->appout, n);
	br_ssl_engine_recvapp_ack(t->eng, n);
	return 1;
}

static int drain_records(struct tunnel *t)
{
	size_t len, n;
	unsigned char *buf = br_ssl_engine_sendrec_buf(t->eng, &len);

	if (!buf)
		return 0;
	/* The region being written stays put; only free space is reused. */
	if (!(t->inflight & OP_BIT(OP_NETWR)))
		bq_compact(&t->netout);
	n = bq_room(&t->netout);
	if (!n)
		return 0;
	if (n > len)
		n = len;
	memcpy(bq_tail(&t->netout), buf, n);
	bq_produce(&t->netout, n);
	br_ssl_engine_sendrec_ack(t->eng, n);
	return 1;
}

/*
 * The engines have one timer; the tunnel uses it for two things that
 * never overlap: the handshake timeout (until the handshake completes)
 * and the linger (once both directions are done, which is after it).
 * t->timer says which one runs, t->linger where the linger is.
 */
static void timer_start(struct tunnel *t, enum tunnel_timer what, unsigned ms)
{
	t->timer = what;
	t->io->timer_start(t, ms);
}

static void timer_stop(struct tunnel *t)
{
	if (t->timer == TIMER_NONE)
		return;
	t->timer = TIMER_NONE;
	t->io->timer_stop(t);
}

static void check_handshake(struct tunnel *t)
{
	unsigned st;

	if (has(t, TF_HANDSHAKE))
		return;
	st = br_ssl_engine_current_state(t->eng);
	if (!(st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
		return;
	t->flags |= TF_HANDSHAKE;
	timer_stop(t);
	if (t->cfg.on_handshake)
		t->cfg.on_handshake(t->cfg.ctx);
}

static void pump(struct tunnel *t)
{
	int moved;

	do {
		moved = 0;
		if (!has(t, TF_RX_DONE)) {
			moved |= feed_records(t);
			moved |= drain_app(t);
		}
		moved |= feed_app(t);
		moved |= drain_records(t);
		check_handshake(t);
	} while (moved);
}

/* --- ending each direction --- */

static void rx_end(struct tunnel *t)
{
	if (has(t, TF_RX_DONE))
		return;
	t->flags |= TF_RX_DONE;
	t->io->dropped(t, OP_APPWR);
	close(t->fd.app_out);
}

static void tx_end(struct tunnel *t)
{
	if (has(t, TF_TX_DONE))
		return;
	t->flags |= TF_TX_DONE;
	/* A socket is half-closed so the other direction keeps working;
	 * anything else (a pipe in tests) can only be closed. */
	if (shutdown(t->fd.net_out, SHUT_WR) < 0 && errno == ENOTSOCK &&
	    t->fd.net_out != t->fd.net_in) {
		t->io->dropped(t, OP_NETWR);
		close(t->fd.net_out);
	}
}

static int netout_idle(const struct tunnel *t)
{
	size_t len;

	return !bq_len(&t->netout) && !(t->inflight & OP_BIT(OP_NETWR)) &&
	       !br_ssl_engine_sendrec_buf(t->eng, &len);
}

static int appout_idle(const struct tunnel *t)
{
	return !bq_len(&t->appout) && !(t->inflight & OP_BIT(OP_APPWR));
}

/*
 * After a half-close without close_notify (-s), OpenSSL 3 clients answer
 * our EOF with a fatal alert (decode_error, "unexpected eof") and close.
 * Everything was delivered by then: that alert ends the peer's stream.
 */
static int alert_after_half_close(const struct tunnel *t, int err)
{
	return has(t, TF_TX_DONE) && !t->cfg.close_notify &&
	       err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT;
}

/* The engine is closed: cleanly (close_notify) or on an error. */
static void engine_closed(struct tunnel *t)
{
	int err = br_ssl_engine_last_error(t->eng);

	if (alert_after_half_close(t, err))
		err = 0;
	if (err)
		return fail(t, TUNNEL_ERR_TLS, err, "TLS engine");
	if (!has(t, TF_HANDSHAKE))
		return fail(t, TUNNEL_ERR_EOF_HANDSHAKE, 0, "handshake");
	/* What came before the close_notify goes to the app first. */
	if (appout_idle(t))
		rx_end(t);
	if (bq_len(&t->appin))
		return fail(t, TUNNEL_ERR_UNSENT, (int)bq_len(&t->appin),
		            "send app data");
	if (netout_idle(t))
		tx_end(t);
}

static void net_eof(struct tunnel *t)
{
	size_t len;

	if (!has(t, TF_HANDSHAKE))
		return fail(t, TUNNEL_ERR_EOF_HANDSHAKE, 0, "handshake");
	if (!framer_at_boundary(&t->framer))
		return fail(t, TUNNEL_ERR_TRUNCATED, 0, "read from network");
	if (t->cfg.enforce_close_notify)
		return fail(t, TUNNEL_ERR_NO_CLOSE_NOTIFY, 0,
		            "read from network");
	if (appout_idle(t) && !br_ssl_engine_recvapp_buf(t->eng, &len))
		rx_end(t);
}

/* Returns 1 when it changed the engine's state (pump again). */
static int app_eof(struct tunnel *t)
{
	if (t->cfg.close_notify && !has(t, TF_CLOSE_SENT)) {
		t->flags |= TF_CLOSE_SENT;
		br_ssl_engine_close(t->eng);
		return 1;
	}
	if (netout_idle(t))
		tx_end(t);
	return 0;
}

/* Decides what the end of a stream means. Returns 1 to pump again. */
static int advance(struct tunnel *t)
{
	unsigned st = br_ssl_engine_current_state(t->eng);

	if (st & BR_SSL_CLOSED) {
		engine_closed(t);
		return 0;
	}
	if (has(t, TF_NET_EOF) && !has(t, TF_RX_DONE) && !bq_len(&t->netin))
		net_eof(t);
	if (has(t, TF_APP_EOF) && !has(t, TF_TX_DONE) && !bq_len(&t->appin))
		return app_eof(t);
	return 0;
}

/* --- starting operations --- */

static void submit(struct tunnel *t, enum op op, void *buf, size_t len)
{
	t->inflight |= OP_BIT(op);
	t->io->submit(t, op, buf, len);
}

static int idle(const struct tunnel *t, enum op op)
{
	return !(t->inflight & OP_BIT(op));
}

/* With the app gone, the network is not read while the other direction
 * finishes (the client is held back by TCP), then drained, its bytes
 * dropped, until EOF: see TUNNEL_LINGER_MS. */
static int can_read_net(const struct tunnel *t)
{
	if (has(t, TF_NET_EOF))
		return 0;
	if (has(t, TF_APP_GONE))
		return has(t, TF_TX_DONE);
	return !has(t, TF_RX_DONE) && bq_room(&t->netin);
}

/* App data is read only once the handshake is done: no byte is taken
 * from the app that could not be sent. */
static int can_read_app(const struct tunnel *t)
{
	return has(t, TF_HANDSHAKE) && !has(t, TF_APP_EOF | TF_TX_DONE) &&
	       !has(t, TF_CLOSE_SENT) && bq_room(&t->appin);
}

static void schedule(struct tunnel *t)
{
	if (idle(t, OP_NETRD)) {
		bq_compact(&t->netin);
		if (can_read_net(t))
			submit(t, OP_NETRD, bq_tail(&t->netin),
			       bq_room(&t->netin));
	}
	if (idle(t, OP_APPRD)) {
		bq_compact(&t->appin);
		if (can_read_app(t))
			submit(t, OP_APPRD, bq_tail(&t->appin),
			       bq_room(&t->appin));
	}
	if (idle(t, OP_NETWR) && bq_len(&t->netout))
		submit(t, OP_NETWR, bq_data(&t->netout), bq_len(&t->netout));
	if (idle(t, OP_APPWR) && !has(t, TF_RX_DONE) && bq_len(&t->appout))
		submit(t, OP_APPWR, bq_data(&t->appout), bq_len(&t->appout));
}

/* --- results --- */

static void done_netrd(struct tunnel *t, int res)
{
	if (res < 0)
		return fail(t, TUNNEL_ERR_IO, res, "read from network");
	if (!res) {
		t->flags |= TF_NET_EOF;
		return;
	}
	t->res.net_bytes_in += (unsigned)res;
	if (!has(t, TF_APP_GONE))
		bq_produce(&t->netin, (size_t)res);
}

static void done_netwr(struct tunnel *t, int res)
{
	if (res <= 0)
		return fail(t, TUNNEL_ERR_IO, res ? res : -EIO,
		            "write to network");
	bq_consume(&t->netout, (size_t)res);
	t->res.net_bytes_out += (unsigned)res;
}

static void done_apprd(struct tunnel *t, int res)
{
	if (res < 0)
		return fail(t, TUNNEL_ERR_IO, res, "read from the app");
	if (!res) {
		t->flags |= TF_APP_EOF;
		return;
	}
	bq_produce(&t->appin, (size_t)res);
	t->res.app_bytes_in += (unsigned)res;
}

static void done_appwr(struct tunnel *t, int res)
{
	/* The app is gone: stop reading the network; the other direction
	 * goes on until the app's output ends too. The bytes it did not
	 * take are lost, which the exit status will say (see loop). */
	if (res == -EPIPE) {
		t->flags |= TF_APP_GONE;
		bq_init(&t->netin, t->netin_buf, sizeof t->netin_buf);
		return rx_end(t);
	}
	if (res <= 0)
		return fail(t, TUNNEL_ERR_IO, res ? res : -EIO,
		            "write to the app");
	bq_consume(&t->appout, (size_t)res);
	t->res.app_bytes_out += (unsigned)res;
}

void tunnel_complete(struct tunnel *t, enum op op, int res)
{
	static void (*const done[])(struct tunnel *, int) = {
	    done_netrd, done_netwr, done_apprd, done_appwr};

	t->inflight &= ~OP_BIT(op);
	/* EINTR, ECANCELED: nothing happened; schedule() starts it again. */
	if (has(t, TF_FINISHING) || res == -EINTR || res == -ECANCELED)
		return;
	done[op](t, res);
}

void tunnel_timeout(struct tunnel *t)
{
	enum tunnel_timer what = t->timer;

	t->timer = TIMER_NONE;
	if (what == TIMER_LINGER)
		t->linger = LINGER_OVER;
	else if (what == TIMER_HANDSHAKE &&
	         !has(t, TF_HANDSHAKE | TF_FINISHING))
		fail(t, TUNNEL_ERR_TIMEOUT, 0, "handshake");
}

/* --- the loop --- */

/* On a fatal error, hand what is already sealed (an alert) to the kernel
 * without waiting: the peer may not be reading. */
static void flush_on_failure(struct tunnel *t)
{
	if (!bq_len(&t->netout) || !idle(t, OP_NETWR))
		return;
	(void)!send(t->fd.net_out, bq_data(&t->netout), bq_len(&t->netout),
	            MSG_DONTWAIT | MSG_NOSIGNAL);
}

static int both_done(const struct tunnel *t)
{
	return (t->flags & (TF_RX_DONE | TF_TX_DONE)) ==
	       (TF_RX_DONE | TF_TX_DONE);
}

/*
 * Whether the tunnel is over, every rule in one place:
 *   - an error ends it at once (res says which);
 *   - until both directions are done (rx_end, tx_end), it goes on;
 *   - both done with the app still there: the normal end;
 *   - both done after the app went away (EPIPE): the network is first
 *     drained, its bytes dropped, until EOF or for the linger time (so
 *     the close does not reset what we sent last), and then the tunnel
 *     ends with the app's EPIPE, since what it did not take is lost.
 */
static int over(struct tunnel *t)
{
	if (has(t, TF_FAILED))
		return 1;
	if (!both_done(t))
		return 0;
	if (!has(t, TF_APP_GONE))
		return 1;
	if (has(t, TF_NET_EOF) || t->linger == LINGER_OVER) {
		fail(t, TUNNEL_ERR_IO, -EPIPE, "write to the app");
		return 1;
	}
	if (t->linger == LINGER_NONE) {
		t->linger = LINGER_RUNNING;
		timer_start(t, TIMER_LINGER,
		            t->cfg.linger_ms ? t->cfg.linger_ms
		                             : TUNNEL_LINGER_MS);
	}
	return 0;
}

static void loop(struct tunnel *t)
{
	for (;;) {
		int r;

		do
			pump(t);
		while (advance(t));
		if (over(t))
			return;
		schedule(t);
		if (!t->inflight)
			return fail(t, TUNNEL_ERR_IO, -EDEADLK,
			            "run (stalled)");
		r = t->io->wait(t);
		if (r < 0)
			return fail(t, TUNNEL_ERR_RING, r, "wait for I/O");
	}
}

void tunnel_run(struct tunnel *t, struct tunnel_result *out)
{
	if (t->cfg.handshake_timeout_ms)
		timer_start(t, TIMER_HANDSHAKE, t->cfg.handshake_timeout_ms);
	loop(t);
	if (has(t, TF_FAILED))
		flush_on_failure(t);
	t->flags |= TF_FINISHING;
	timer_stop(t);
	t->io->finish(t);
	*out = t->res;
}
