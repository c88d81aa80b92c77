/*
 * The interface between the tunnel's logic (tunnel.c) and an I/O engine
 * (io_uring.c, io_poll.c). The logic decides what to read and write; an
 * engine performs it and reports each result through tunnel_complete().
 */
#ifndef TLSD_TUNNEL_IO_H
#define TLSD_TUNNEL_IO_H

#include <stddef.h>

#include "tunnel_state.h"

/* The four operations, one per descriptor; also fixed-file slots. */
enum op { OP_NETRD, OP_NETWR, OP_APPRD, OP_APPWR, OP_COUNT };

#define OP_BIT(op) (1u << (op))

struct tunnel_io {
	const char *name;
	/* 0 or -errno. */
	int (*setup)(struct tunnel *t);
	/* Starts a read (NETRD, APPRD) into buf or a write from buf. */
	void (*submit)(struct tunnel *t, enum op op, void *buf, size_t len);
	void (*timer_start)(struct tunnel *t, unsigned ms);
	void (*timer_stop)(struct tunnel *t);
	/* The logic closed op's descriptor: drop any reference to it. */
	void (*dropped)(struct tunnel *t, enum op op);
	/* Waits for at least one result and reports them; 0 or -errno. */
	int (*wait)(struct tunnel *t);
	/* Abandons what is in flight and releases the engine. */
	void (*finish)(struct tunnel *t);
};

extern const struct tunnel_io tunnel_io_uring;
extern const struct tunnel_io tunnel_io_poll;

/* The fd behind an operation. */
int tunnel_fd(const struct tunnel *t, enum op op);

/* An operation's result: bytes moved, 0 for EOF, or -errno (never
 * -EAGAIN: waiting for readiness is the engine's business). */
void tunnel_complete(struct tunnel *t, enum op op, int res);

/* The handshake timer expired. */
void tunnel_timeout(struct tunnel *t);

#endif
