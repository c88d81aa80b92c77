/*
 * getopt_long, glibc's or src/nolibc's, over one argv: every answer
 * (return, optarg, optind, optopt) as text, so that test_rt and fuzz_rt
 * can compare the two. The option strings are shaped like options.c's: a
 * '+' and ':' prefix, and a long option that is a prefix of another.
 */
#ifndef TLSD_GETOPT_TRACE_H
#define TLSD_GETOPT_TRACE_H

#include <getopt.h>
#include <stdio.h>

#include "rt.h"

static const struct option trace_longs[] = {
    {"close-notify", no_argument, NULL, 'S'},
    {"verbosity", required_argument, NULL, 'v'},
    {"sni", no_argument, NULL, 300},
    {"sni-level", required_argument, NULL, 'k'},
    {"fork-io", no_argument, NULL, 301},
    {"keep", no_argument, NULL, 'Z'},
    {"no-keep", no_argument, NULL, 'z'},
    {NULL, 0, NULL, 0},
};

static inline void getopt_trace(int glibc, int argc, char **argv, char *out,
                                size_t cap)
{
	const char *so = "+:SsZzv:k:";
	size_t n = 0;

	if (glibc)
		optind = 0, opterr = 0;
	else
		rt_optind = 0, rt_opterr = 0;
	while (n + 64 < cap) {
		int c = glibc
		            ? getopt_long(argc, argv, so, trace_longs, NULL)
		            : rt_getopt_long(argc, argv, so, trace_longs, NULL);
		char *arg = glibc ? optarg : rt_optarg;

		n += (size_t)snprintf(
		    out + n, cap - n, "[%d %p %d %d]", c, (void *)arg,
		    glibc ? optind : rt_optind,
		    c == '?' || c == ':' ? (glibc ? optopt : rt_optopt) : 0);
		if (c == -1)
			break;
	}
}

#endif
