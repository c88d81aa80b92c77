/*
 * Small helpers shared by the fuzz targets: an assertion that stays on in
 * every build type and makes libFuzzer keep the input as a crash.
 */
#ifndef TLSD_FUZZ_UTIL_H
#define TLSD_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
			        "%s:%d: invariant failed: %s: ", __FILE__,     \
			        __LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

#endif
