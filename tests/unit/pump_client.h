/*
 * Helpers for test_pump.c: the real tunnel runs in a forked child over a
 * socketpair (the network) and two pipes (the app); the test process is
 * both the TLS client (a BearSSL client engine) and the app.
 *
 * Every wait is bounded by a timeout in milliseconds. The parent's ends of
 * the socket and the pipes are non-blocking; the helpers poll.
 */
#ifndef TLSD_PUMP_CLIENT_H
#define TLSD_PUMP_CLIENT_H

#include <stddef.h>
#include <sys/types.h>
#include <bearssl.h>

#include "tunnel.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

/* tunnel_result.status when the child could not set up (err tells where) */
#define PUMP_SETUP_FAILED 100
/* pump_start flag: the tunnel's ends of the app pipes are O_NONBLOCK */
#define PUMP_APP_NONBLOCK 1u

struct pump {
	pid_t pid;  /* the tunnel's process, 0 once reaped */
	int res;    /* read end of the pipe the child reports on */
	int sock;   /* the client's end of the socketpair */
	int app_rd; /* the app reads here what the tunnel writes to fdw */
	int app_wr; /* the app writes here what the tunnel reads from fdr */
};

void pump_start(struct pump *p, const struct tunnel_config *cfg,
                unsigned flags);
/* 1 when the child's result is ready within ms, else 0. */
int pump_poll(struct pump *p, int ms);
/* Waits up to ms for the result and reaps the child; asserts it came. */
void pump_result(struct pump *p, struct tunnel_result *r, int ms);
/* Kills and reaps the child if still there, closes the parent's fds. */
void pump_stop(struct pump *p);
void pump_close(int *fd);

struct client {
	br_ssl_client_context cc;
	br_x509_minimal_context xm; /* required by init_full; replaced */
	br_x509_knownkey_context xk;
	br_ec_public_key pk;
	unsigned char q[160];
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	int fd;
	int eof; /* the socket gave EOF */
	int err; /* errno of a failed send or recv */
};

/* A TLS 1.2 client that trusts the server's key (ec256.crt.der) only. */
void client_init(struct client *c, int fd);
/* Moves records between the engine and the socket without blocking. */
int client_io(struct client *c);
short client_events(const struct client *c);
unsigned client_state(const struct client *c);
/* Handshake; 0, or -1 (engine error, EOF or timeout). */
int client_handshake(struct client *c, int ms);
/* Into the engine's sendapp buffer, no flush: the bytes accepted. */
size_t client_push(struct client *c, const void *p, size_t n);
/* All of it, flushed and written to the socket: 0, or -1. */
int client_write(struct client *c, const void *p, size_t n, int ms);
/* Up to n bytes, fewer only at EOF or close_notify: the count, or -1
 * on timeout or error. */
ssize_t client_read(struct client *c, void *buf, size_t n, int ms);

long long now_ms(void);
void set_nonblock(int fd);
/* n bytes, fewer only at EOF: the count, or -1 on timeout or error. */
ssize_t app_read(int fd, void *buf, size_t n, int ms);
/* All of it (any fd): 0, or -1 on timeout or error. */
int app_write(int fd, const void *p, size_t n, int ms);

/* One direction of a duplex transfer, in odd chunk sizes at both ends. */
struct xfer {
	unsigned char *src, *dst;
	size_t len;
	size_t sent, woff; /* sender: total, in the current chunk */
	unsigned wi, ri;   /* chunk size indices: writes, reads */
	size_t got, extra; /* receiver: stored, beyond len */
	int shut, eof;     /* the sender ended; the receiver saw EOF */
};

struct duplex {
	struct client *c;
	struct pump *p;
	struct xfer up;   /* client to app */
	struct xfer down; /* app to client */
	int read_gap_ms;  /* slow app: 1000 bytes per gap (0: fast) */
	int app_paused;   /* the app does not read */
	long long next_read;
	int err; /* errno of a failed app or client operation */
};

void duplex_init(struct duplex *d, struct client *c, struct pump *p,
                 size_t up_len, size_t down_len);
void duplex_free(struct duplex *d);
/* 1 when both receivers saw EOF, 0 when ms ran out, -1 on an error. Each
 * sender ends its stream when all is sent: the client by shutting down
 * the socket's write side (no close_notify), the app by closing fdr. */
int duplex_run(struct duplex *d, int ms);
/* Asserts that the receiver got exactly what was sent (SHA-256). */
void xfer_check(const struct xfer *x, const char *name);

#endif
