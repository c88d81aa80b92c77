/*
 * A small C runtime for the two per-connection executables.
 *
 * Why: on a virtual machine every CPUID instruction traps to the
 * hypervisor (9 us each on the machine doc/perf-analysis.md measures), and
 * glibc's start-up runs dozens of them to size its caches: a static empty
 * main costs 0.85 ms and 28 page faults, against 0.1 ms and 4 without
 * glibc. Both programs start once per connection, and neither needs more
 * of libc than the few calls below, so the release executables link this
 * runtime instead (CMake option TLSD_NOLIBC, x86-64 only). Everything else
 * (unit tests, the sanitizer build, other architectures) uses the system
 * libc, and the sources are the same.
 *
 * Each file is compiled twice: with TLSD_RT_EXPORT the functions carry the
 * standard names and replace libc in the executables; without it they are
 * named rt_*, live beside glibc, and the unit tests compare the two.
 */
#ifndef TLSD_RT_H
#define TLSD_RT_H

#include <dirent.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>

#ifdef TLSD_RT_EXPORT
#define RT(n) n
#else
#define RT(n) rt_##n
#endif

/* string.c */
void *RT(memcpy)(void *restrict d, const void *restrict s, size_t n);
void *RT(memmove)(void *d, const void *s, size_t n);
void *RT(memset)(void *d, int c, size_t n);
int RT(memcmp)(const void *a, const void *b, size_t n);
int RT(bcmp)(const void *a, const void *b, size_t n);
void *RT(memchr)(const void *s, int c, size_t n);
void *RT(memmem)(const void *h, size_t hl, const void *n, size_t nl);
void RT(explicit_bzero)(void *d, size_t n);
size_t RT(strlen)(const char *s);
size_t RT(strnlen)(const char *s, size_t max);
int RT(strcmp)(const char *a, const char *b);
int RT(strncmp)(const char *a, const char *b, size_t n);
int RT(strcasecmp)(const char *a, const char *b);
char *RT(strchr)(const char *s, int c);
char *RT(strrchr)(const char *s, int c);
size_t RT(strcspn)(const char *s, const char *reject);
char *RT(strcpy)(char *restrict d, const char *restrict s);
char *RT(strdup)(const char *s);
unsigned long RT(strtoul)(const char *restrict s, char **restrict end,
                          int base);

/* fmt.c */
int RT(vsnprintf)(char *restrict buf, size_t cap, const char *restrict fmt,
                  va_list ap);
int RT(snprintf)(char *restrict buf, size_t cap, const char *restrict fmt, ...);
int RT(asprintf)(char **restrict out, const char *restrict fmt, ...);

/* malloc.c */
void *RT(malloc)(size_t n);
void *RT(calloc)(size_t k, size_t n);
void *RT(realloc)(void *p, size_t n);
void *RT(reallocarray)(void *p, size_t k, size_t n);
void RT(free)(void *p);

/* getopt.c */
extern char *RT(optarg);
extern int RT(optind), RT(opterr), RT(optopt);
int RT(getopt_long)(int argc, char *const *argv, const char *shortopts,
                    const struct option *longopts, int *longindex);

/* env.c: the test build works on its own array, not the process's */
extern char **RT(environ);
char *RT(getenv)(const char *name);
int RT(setenv)(const char *name, const char *value, int overwrite);
int RT(unsetenv)(const char *name);

/* errtext.c */
char *RT(strerror)(int e);
char *RT(strsignal)(int sig);

/* dir.c */
int RT(alphasort)(const struct dirent **a, const struct dirent **b);
int RT(scandir)(const char *restrict dir, struct dirent ***restrict list,
                int (*keep)(const struct dirent *),
                int (*cmp)(const struct dirent **, const struct dirent **));

/* exec.c */
int RT(execvpe)(const char *file, char *const *argv, char *const *envp);

#endif
