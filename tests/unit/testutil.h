/* Small helpers shared by the unit tests. */
#ifndef TLSD_TESTUTIL_H
#define TLSD_TESTUTIL_H

#include <stddef.h>
#include <bearssl.h>

/* A formatted path in a small ring of buffers: eight can be alive at once. */
const char *test_pathf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Removes a directory tree (a test's temporary directory). */
void test_rmtree(const char *dir);

/* In memory, two engines talking: moves what one has sealed into the
 * other and returns the bytes moved. */
size_t test_pump(br_ssl_engine_context *from, br_ssl_engine_context *to);

/* Pumps both ways until neither moves a byte; returns the rounds it took,
 * 1000 when the engines never settle. */
int test_settle(br_ssl_engine_context *client, br_ssl_engine_context *server);

/* The engine is open and in its application data phase. */
int test_engine_ready(br_ssl_engine_context *eng);

#endif
