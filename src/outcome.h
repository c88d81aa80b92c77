/* How a tunnel ended, as an exit code and a one-line message. */
#ifndef TLSD_OUTCOME_H
#define TLSD_OUTCOME_H

#include <stddef.h>

#include "server.h"
#include "tunnel.h"

/* The exit code for a failed tls_server_init. */
int outcome_init_code(enum tls_server_status st);

/* Returns the exit code for r; for a nonzero code, writes the message. */
int outcome_exit_code(const struct tunnel_result *r, unsigned kimeout,
                      char *msg, size_t len);

/* The same, knowing the server engine: a handshake that failed because
 * the keypair the client's name chose does not decode is a configuration
 * error (96), and one that found no keypair for that name says the name. */
int outcome_tunnel_code(const struct tunnel_result *r, unsigned kimeout,
                        const struct tls_server *s, char *msg, size_t len);

#endif
