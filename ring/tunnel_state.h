/*
 * The tunnel's state, private to ring/ (and to white-box tests): the
 * staging queues, the record framer and each I/O engine's own state.
 * src/ sees only tunnel.h.
 */
#ifndef TLSD_TUNNEL_STATE_H
#define TLSD_TUNNEL_STATE_H

#include <stddef.h>
#include <liburing.h>
#include <bearssl.h>

#include "tunnel.h"

/* Byte queue: data in [head, tail) of buf (bq.h). */
struct bq {
	size_t head, tail, cap;
	unsigned char *buf;
};

/* Framing of the record stream fed to the engine, to tell an EOF at a
 * record boundary from one in the middle of a record. */
struct framer {
	unsigned char hdr[5];
	unsigned hdr_len;
	size_t body_left;
};

struct tunnel_io;

/* An operation's buffer, kept to start it again. */
struct tunnel_pending {
	void *buf;
	size_t len;
};

/* State of the io_uring engine. */
struct tunnel_uring {
	struct io_uring ring;
	struct tunnel_pending pending[4];
	unsigned polling; /* bit per operation waiting for readiness */
	int restricted;   /* opcodes and fds restricted (fixed files) */
	int finishing;
	struct __kernel_timespec ts;
};

/* State of the poll(2) engine: the operation waiting on each fd. */
struct tunnel_poll {
	struct tunnel_pending pending[4];
	long long deadline_ms; /* CLOCK_MONOTONIC; 0: no timer */
};

/* What the engine's one timer is running for (tunnel.c). */
enum tunnel_timer { TIMER_NONE, TIMER_HANDSHAKE, TIMER_LINGER };
/* Draining the network after the app went away (tunnel.c's over()). */
enum tunnel_linger { LINGER_NONE, LINGER_RUNNING, LINGER_OVER };

struct tunnel {
	const struct tunnel_io *io;
	union {
		struct tunnel_uring u;
		struct tunnel_poll p;
	} be;
	int uring_err;    /* why io_uring was not used (AUTO), or 0 */
	int restrict_err; /* why the ring is not restricted, or 0 */
	br_ssl_engine_context *eng;
	struct tunnel_fds fd;
	struct tunnel_config cfg;
	struct tunnel_result res;
	struct bq netin, appout, appin, netout;
	struct framer framer;
	unsigned inflight; /* bit per operation */
	unsigned flags;    /* TF_* in tunnel.c */
	enum tunnel_timer timer;
	enum tunnel_linger linger;
	unsigned char netin_buf[TUNNEL_NETIN_SIZE];
	unsigned char appout_buf[TUNNEL_APPOUT_SIZE];
	unsigned char appin_buf[TUNNEL_APPIN_SIZE];
	unsigned char netout_buf[TUNNEL_NETOUT_SIZE];
};

#endif
