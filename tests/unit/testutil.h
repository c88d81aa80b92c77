/* Small helpers shared by the unit tests. */
#ifndef TLSD_TESTUTIL_H
#define TLSD_TESTUTIL_H

/* A formatted path in a small ring of buffers: eight can be alive at once. */
const char *test_pathf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Removes a directory tree (a test's temporary directory). */
void test_rmtree(const char *dir);

#endif
