/*
 * Command-line options shared by s6-tlsd and s6-tlsd-io.
 *
 * Both programs accept the same TLS options, short and long; s6-tlsd also
 * takes -Z/-z. The last of conflicting options wins. Parsing stops at the
 * first operand (s6-tlsd's prog must keep its own options).
 */
#ifndef TLSD_OPTIONS_H
#define TLSD_OPTIONS_H

struct tlsd_options {
	int close_notify;         /* -S: 1, -s: 0 (default) */
	int enforce_close_notify; /* -J: 1, -j: 0 (default) */
	int client_cert;          /* 0: none, 1: -Y (optional), 2: -y */
	unsigned verbosity;       /* -v, default 1 */
	unsigned kimeout;         /* -K, handshake timeout in ms, 0: none */
	unsigned snilevel;        /* -k */
	int notif_fd;             /* -d, -1: no notification */
	int keep_env;             /* s6-tlsd only: -Z 1, -z 0 (default) */
	const char *alpn;         /* --alpn=LIST, NULL: no ALPN */
	int alpn_strict;          /* --alpn-strict */
	int legacy_suites;        /* --legacy-suites: also ECDHE AES-CBC */
	int fork_io;              /* s6-tlsd only: --fork-io */
};

enum options_program { OPTIONS_TLSD_IO, OPTIONS_TLSD };

/*
 * Parses argv into *o (which it first sets to the defaults). Returns the
 * index of the first operand, or -1 with *err set to a one-line message
 * (stored in a static buffer) on wrong usage.
 */
int options_parse(int argc, char **argv, struct tlsd_options *o,
                  enum options_program prog, const char **err);

/* Parses a decimal unsigned number that fits in unsigned; 0 or -1. */
int options_uint(const char *s, unsigned *out);

#endif
