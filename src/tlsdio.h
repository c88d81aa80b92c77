/* The work of s6-tlsd-io, once its command line is parsed. */
#ifndef TLSD_TLSDIO_H
#define TLSD_TLSDIO_H

#include "options.h"

/* Reads the configuration from the environment, sets up the TLS engine,
 * runs the tunnel between fd 0/1 and fdr/fdw, and exits with the code
 * that says how it ended. */
__attribute__((noreturn)) void tlsdio_run(const struct tlsd_options *o, int fdr,
                                          int fdw);

#endif
