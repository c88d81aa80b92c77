/*
 * The tunnel: one io_uring drives the four descriptors of s6-tlsd-io and
 * feeds BearSSL's record engine from the completions.
 *
 *   net_in  (fd 0)  --read-->  netin  --recvrec-->  engine
 *   engine  --recvapp--------------------write-->   app_out (fdw)
 *   app_in  (fdr)   --read-->  appin  --sendapp-->  engine
 *   engine  --sendrec-->       netout --write-->    net_out (fd 1)
 *
 * At most one operation is in flight per descriptor. Bytes read from the
 * network and from the app land in staging queues owned by the tunnel,
 * never in the engine's buffers: the engine may write into its send-side
 * buffer on its own (an alert, a close_notify), so a kernel read must not
 * target it. The engine's recvapp buffer is written to the app directly:
 * the engine leaves it alone until recvapp_ack.
 *
 * This module knows nothing of keys: the caller hands it an engine that is
 * set up and reset, and gets back how the tunnel ended.
 */
#ifndef TLSD_TUNNEL_H
#define TLSD_TUNNEL_H

#include <stddef.h>
#include <stdint.h>
#include <liburing.h>
#include <bearssl.h>

/* Staging sizes. netin holds two full records, so that one read can bring
 * several. appin takes four records' worth of app data per read, and
 * netout holds four sealed records, so that one read and one write per
 * turn move 64 KiB: fewer io_uring_enter calls per byte. */
#define TUNNEL_NETIN_SIZE (2 * BR_SSL_BUFSIZE_INPUT)
#define TUNNEL_APPIN_SIZE (4 * 16384)
#define TUNNEL_NETOUT_SIZE (4 * BR_SSL_BUFSIZE_OUTPUT)

struct tunnel_fds {
	int net_in;  /* fd 0: TLS records from the client */
	int net_out; /* fd 1: TLS records to the client (may equal net_in) */
	int app_in;  /* fdr: cleartext from the app */
	int app_out; /* fdw: cleartext to the app */
};

struct tunnel_config {
	int close_notify;         /* app EOF: 1 close_notify, 0 TCP half-close */
	int enforce_close_notify; /* peer EOF without close_notify is an error */
	unsigned handshake_timeout_ms; /* 0: none */
	/* Called once, when the handshake has completed. */
	void (*on_handshake)(void *ctx);
	void *ctx;
};

enum tunnel_status {
	TUNNEL_DONE,             /* both directions ended normally */
	TUNNEL_ERR_RING,         /* io_uring failed: err is -errno */
	TUNNEL_ERR_IO,           /* a read or write failed: err is -errno */
	TUNNEL_ERR_TLS,          /* the engine failed: err is BR_ERR_* */
	TUNNEL_ERR_TIMEOUT,      /* the handshake did not complete in time */
	TUNNEL_ERR_EOF_HANDSHAKE, /* peer EOF before the handshake completed */
	TUNNEL_ERR_TRUNCATED,    /* peer EOF in the middle of a record */
	TUNNEL_ERR_NO_CLOSE_NOTIFY, /* enforce_close_notify and a bare EOF */
	TUNNEL_ERR_UNSENT,       /* peer closed the session before app bytes
				    read from fdr could be sent: err is their
				    count */
};

struct tunnel_result {
	enum tunnel_status status;
	int err;
	const char *what; /* the failed operation, for messages */
	uint64_t net_bytes_in, net_bytes_out, app_bytes_in, app_bytes_out;
};

/* Byte queue: data in [head, tail) of buf. */
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

struct tunnel {
	struct io_uring ring;
	int ring_ready;
	br_ssl_engine_context *eng;
	struct tunnel_fds fd;
	struct tunnel_config cfg;
	struct tunnel_result res;
	struct bq netin, appin, netout;
	struct framer framer;
	unsigned inflight;  /* bit per operation */
	unsigned polling;   /* bit per operation waiting for readiness */
	size_t appwr_len;   /* length of the write in flight to app_out */
	unsigned flags;     /* TF_* in tunnel.c */
	unsigned char netin_buf[TUNNEL_NETIN_SIZE];
	unsigned char appin_buf[TUNNEL_APPIN_SIZE];
	unsigned char netout_buf[TUNNEL_NETOUT_SIZE];
};

/*
 * Creates the ring. Returns 0, or -errno when io_uring cannot be set up
 * (no kernel support, disabled by sysctl or seccomp). eng must be reset
 * and ready; t, eng and the fds must outlive tunnel_run.
 */
int tunnel_init(struct tunnel *t, br_ssl_engine_context *eng,
		const struct tunnel_fds *fds, const struct tunnel_config *cfg);

/* Runs until no more data can move in either direction. Closes app_out
 * and shuts down net_out as the directions end. Releases the ring. */
void tunnel_run(struct tunnel *t, struct tunnel_result *out);

#endif
