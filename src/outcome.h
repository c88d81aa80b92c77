/* How a tunnel ended, as an exit code and a one-line message. */
#ifndef TLSD_OUTCOME_H
#define TLSD_OUTCOME_H

#include <stddef.h>

#include "tunnel.h"

/* Returns the exit code for r; for a nonzero code, writes the message. */
int outcome_exit_code(const struct tunnel_result *r, unsigned kimeout,
                      char *msg, size_t len);

#endif
