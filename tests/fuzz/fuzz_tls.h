/*
 * The fuzz_server harness: a real server engine (tls_server_init, as
 * s6-tlsd-io sets it up) behind the real tunnel (tunnel_init/tunnel_run),
 * fed a client's bytes on a socketpair.
 *
 * Input layout:
 *   byte 0   the server's configuration (FZ_* bits below)
 *   byte 1   the app's behaviour, and --legacy-suites (FZA_* bits below)
 *   rest     every byte the client sends, then EOF
 *
 * The server's key, certificate and random generator are deterministic:
 * the same input always takes the same path (see README.md), so that a
 * recorded full session replays to the end and a crash reproduces.
 */
#ifndef TLSD_FUZZ_TLS_H
#define TLSD_FUZZ_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "tunnel.h"

/* Byte 0: the server. */
#define FZ_AUTH 0x03         /* 0: none, 1: -Y, 2: -y, 3: none */
#define FZ_ALPN 0x04         /* --alpn=h2,http/1.1 */
#define FZ_ALPN_STRICT 0x08  /* --alpn-strict */
#define FZ_SNI_SHIFT 4       /* -k 0, 1, 2 (3: 1) */
#define FZ_CLOSE_NOTIFY 0x40 /* -S */
#define FZ_ENFORCE 0x80      /* -J */

/* Byte 1: the app. */
#define FZA_SILENT 0x01 /* sends nothing (EOF at once) */
#define FZA_GONE 0x02   /* has closed its end of fdw before the start */
#define FZA_TIMER 0x04  /* -K 60000: the handshake timer runs */
#define FZA_BULK 0x08   /* sends 96 KiB rather than 300 bytes */
/* A server setting, in byte 1 because byte 0 is full. */
#define FZA_LEGACY 0x10 /* --legacy-suites: ECDHE AES-CBC offered too */

/* The largest client stream accepted (the socket buffers hold it all). */
#define FZ_MAX_CLIENT (256 * 1024)

struct fz_outcome {
	struct tunnel_result res;
	int handshakes;     /* on_handshake calls */
	int exit_code;      /* outcome_exit_code */
	size_t net_out;     /* bytes the client end received */
	size_t net_records; /* whole records among them */
	int net_shut;       /* the client end read EOF: net_out shut down */
	size_t app_out;     /* bytes the app read on fdw */
	int app_closed;     /* the app read EOF on fdw */
	int skipped;        /* the input was not run (too large) */
};

/* Once: key, certificate, keyset, anchors; reads TLSD_FUZZ_ENGINE. */
void fz_init(void);

/* One input, with every invariant checked (abort on a violation). */
void fz_run(const uint8_t *data, size_t size, struct fz_outcome *out);

/* Writes full client sessions made by a BearSSL client against the
 * deterministic server into dir, each checked by a replay. Returns the
 * number written, or -1. */
int fz_write_seeds(const char *dir);

#endif
