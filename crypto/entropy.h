/* Seeding BearSSL's engine from the kernel. */
#ifndef TLSD_ENTROPY_H
#define TLSD_ENTROPY_H

#include <bearssl.h>

/* Injects 32 bytes from getrandom(2). 0, or -errno. */
int tls_seed(br_ssl_engine_context *eng);

#endif
