/* Exit codes of s6-tlsd-io and s6-tlsd: decided here, and only here. */
#ifndef TLSD_EXITCODES_H
#define TLSD_EXITCODES_H

enum {
	EXIT_TLS_OK = 0,      /* the connection terminated normally */
	EXIT_TLS_CONFIG = 96, /* bad key, certificate, or keypair set-up */
	EXIT_TLS_ENGINE = 97, /* the TLS server engine could not be set up */
	EXIT_TLS_RUN = 98,    /* TLS error while running: handshake, records */
	EXIT_TLS_USAGE = 100, /* wrong usage: options, missing variables */
	EXIT_TLS_PROTO = 101, /* s6-tlsd: malformed notification block */
	EXIT_TLS_SYS = 111,   /* a system call failed */
};

#endif
