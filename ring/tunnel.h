/*
 * The tunnel: one io_uring drives the four descriptors of s6-tlsd-io and
 * feeds BearSSL's record engine from the completions.
 *
 *   net_in  (fd 0)  --read-->  netin  --recvrec-->  engine
 *   engine  --recvapp-->       appout --write-->    app_out (fdw)
 *   app_in  (fdr)   --read-->  appin  --sendapp-->  engine
 *   engine  --sendrec-->       netout --write-->    net_out (fd 1)
 *
 * At most one operation is in flight per descriptor. Every operation
 * targets a staging queue owned by the tunnel, never the engine's buffers:
 * the engine may write into its send-side buffer on its own (an alert, a
 * close_notify), so a kernel read must not target it; and the engine holds
 * one record at a time, so only queues let one read or write carry
 * several records.
 *
 * The bytes are moved by one of two I/O engines behind one interface
 * (tunnel_io.h): io_uring (the default: one ring submits all four
 * descriptors' operations and waits in the same system call) or poll(2),
 * for kernels or sandboxes where io_uring is refused.
 *
 * This module knows nothing of keys: the caller hands it an engine that is
 * set up and reset, and gets back how the tunnel ended.
 */
#ifndef TLSD_TUNNEL_H
#define TLSD_TUNNEL_H

#include <stddef.h>
#include <stdint.h>
#include <bearssl.h>

/*
 * Staging sizes: three full records each way, so that one read and one
 * write per turn move 48 KiB (about 22 io_uring_enter calls per MiB). A
 * bulk transfer touches the two queues of its direction, about 100 KiB;
 * the other direction's stay at a page or two (doc/perf.md).
 */
#define TUNNEL_RECORDS 3
#define TUNNEL_NETIN_SIZE (TUNNEL_RECORDS * BR_SSL_BUFSIZE_INPUT)
#define TUNNEL_APPOUT_SIZE (TUNNEL_RECORDS * 16384)
#define TUNNEL_APPIN_SIZE (TUNNEL_RECORDS * 16384)
#define TUNNEL_NETOUT_SIZE (TUNNEL_RECORDS * BR_SSL_BUFSIZE_OUTPUT)

struct tunnel_fds {
	int net_in;  /* fd 0: TLS records from the client */
	int net_out; /* fd 1: TLS records to the client (may equal net_in) */
	int app_in;  /* fdr: cleartext from the app */
	int app_out; /* fdw: cleartext to the app */
};

enum tunnel_engine {
	TUNNEL_ENGINE_AUTO,  /* io_uring, or poll(2) when io_uring is refused */
	TUNNEL_ENGINE_URING, /* io_uring only: refused is an error */
	TUNNEL_ENGINE_POLL,  /* poll(2) only */
};

struct tunnel_config {
	enum tunnel_engine engine;
	int close_notify; /* app EOF: 1 close_notify, 0 TCP half-close */
	int enforce_close_notify; /* peer EOF without close_notify is an error
	                           */
	unsigned handshake_timeout_ms; /* 0: none */
	/* How long the network is drained after the app went away (see
	 * tunnel.c); 0: the default, TUNNEL_LINGER_MS. */
	unsigned linger_ms;
	/* Called once, when the handshake has completed. */
	void (*on_handshake)(void *ctx);
	void *ctx;
};

enum tunnel_status {
	TUNNEL_DONE,              /* both directions ended normally */
	TUNNEL_ERR_RING,          /* io_uring failed: err is -errno */
	TUNNEL_ERR_IO,            /* a read or write failed: err is -errno */
	TUNNEL_ERR_TLS,           /* the engine failed: err is BR_ERR_* */
	TUNNEL_ERR_TIMEOUT,       /* the handshake did not complete in time */
	TUNNEL_ERR_EOF_HANDSHAKE, /* peer EOF before the handshake completed */
	TUNNEL_ERR_TRUNCATED,     /* peer EOF in the middle of a record */
	TUNNEL_ERR_NO_CLOSE_NOTIFY, /* enforce_close_notify and a bare EOF */
	TUNNEL_ERR_UNSENT,          /* peer closed the session before app bytes
	                               read from fdr could be sent: err is their
	                               count */
};

struct tunnel_result {
	enum tunnel_status status;
	int err;
	const char *what; /* the failed operation, for messages */
	uint64_t net_bytes_in, net_bytes_out, app_bytes_in, app_bytes_out;
};

/* The tunnel's state: private to ring/ (tunnel_state.h). */
struct tunnel;

/* The process's one tunnel (static storage: its staging queues are
 * touched only as they fill, so an idle direction costs no memory). */
struct tunnel *tunnel_instance(void);

/*
 * Sets up the I/O engine cfg asks for. Returns 0, or -errno when it cannot
 * be set up (io_uring: no kernel support, disabled by sysctl or seccomp).
 * With TUNNEL_ENGINE_AUTO a refused io_uring falls back to poll(2), and
 * tunnel_uring_err says why. eng must be reset and ready; t, eng and the fds
 * must outlive tunnel_run.
 */
int tunnel_init(struct tunnel *t, br_ssl_engine_context *eng,
                const struct tunnel_fds *fds, const struct tunnel_config *cfg);

/* After tunnel_init with TUNNEL_ENGINE_AUTO: why io_uring was refused and
 * poll(2) is used, as -errno; 0 when io_uring is used. */
int tunnel_uring_err(const struct tunnel *t);

/* After tunnel_init chose io_uring: 0 when the ring is restricted to the
 * tunnel's descriptors and opcodes, else the -errno that said this kernel
 * cannot restrict rings (an unrestricted ring is used then). */
int tunnel_restrict_err(const struct tunnel *t);

/* "io_uring" or "poll": the engine tunnel_init chose. */
const char *tunnel_engine_name(const struct tunnel *t);

/* Runs until no more data can move in either direction. Closes app_out
 * and shuts down net_out as the directions end. Releases the engine. */
void tunnel_run(struct tunnel *t, struct tunnel_result *out);

#endif
