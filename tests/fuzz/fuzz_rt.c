/*
 * fuzz_rt: src/nolibc against glibc on the same input. The input is split
 * on NUL bytes into arguments; getopt_long parses them both ways (option
 * strings like options.c's, with a long option that is a prefix of
 * another), and each argument goes through strtoul, the string functions
 * and snprintf's %s, %d and %x conversions. Any difference is a crash.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "getopt_trace.h"
#include "rt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 32

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void one_arg(const char *a, const char *b)
{
	static const int bases[] = {0, 10, 16};
	char x[64], y[64];

	for (int k = 0; k < 3; k++) {
		char *ea, *eb;
		unsigned long va, vb;
		int xa, xb;

		errno = 0;
		va = strtoul(a, &ea, bases[k]);
		xa = errno, errno = 0;
		vb = rt_strtoul(a, &eb, bases[k]);
		xb = errno;
		FUZZ_CHECK(va == vb && ea == eb && xa == xb, "strtoul(%s, %d)",
		           a, bases[k]);
		FUZZ_CHECK(snprintf(x, sizeof x, "%d|%-6x|%05lu", (int)va,
		                    (unsigned)va, va) ==
		                   rt_snprintf(y, sizeof y, "%d|%-6x|%05lu",
		                               (int)va, (unsigned)va, va) &&
		               !strcmp(x, y),
		           "%s vs %s", x, y);
	}
	FUZZ_CHECK(strcspn(a, "=,:") == rt_strcspn(a, "=,:"), "strcspn");
	FUZZ_CHECK(sign(strcasecmp(a, b)) == sign(rt_strcasecmp(a, b)),
	           "strcasecmp");
	FUZZ_CHECK(sign(strcmp(a, b)) == sign(rt_strcmp(a, b)), "strcmp");
	FUZZ_CHECK(memmem(a, strlen(a), b, strlen(b)) ==
	               rt_memmem(a, strlen(a), b, strlen(b)),
	           "memmem");
	FUZZ_CHECK(strrchr(a, '/') == rt_strrchr(a, '/'), "strrchr");
	snprintf(x, sizeof x, "%s|%.3s|%8.2s", a, b, a);
	rt_snprintf(y, sizeof y, "%s|%.3s|%8.2s", a, b, a);
	FUZZ_CHECK(!strcmp(x, y), "%s vs %s", x, y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	char ta[4096], tb[4096];
	int argc = 1;

	argv[0] = strdup("prog");
	for (size_t p = 0; p < size && argc < MAX_ARGS;) {
		const uint8_t *z = memchr(data + p, 0, size - p);
		size_t l = z ? (size_t)(z - (data + p)) : size - p;

		argv[argc] = malloc(l + 1);
		FUZZ_CHECK(argv[argc], "malloc");
		memcpy(argv[argc], data + p, l);
		argv[argc++][l] = 0;
		p += l + 1;
	}
	argv[argc] = NULL;
	getopt_trace(1, argc, argv, ta, sizeof ta);
	getopt_trace(0, argc, argv, tb, sizeof tb);
	FUZZ_CHECK(!strcmp(ta, tb), "getopt_long: %s vs %s", ta, tb);
	for (int i = 1; i < argc; i++)
		one_arg(argv[i], argv[i + 1 < argc ? i + 1 : 0]);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return 0;
}
