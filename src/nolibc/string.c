/* The string and memory functions the programs, BearSSL and gcc's own
 * struct copies call. Byte loops: the buffers are short (a TLS record at
 * most), and the compiler is told not to turn them back into calls to
 * themselves (-fno-tree-loop-distribute-patterns in CMakeLists.txt). */
#include "rt.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *RT(memcpy)(void *restrict d, const void *restrict s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	/* words while both are aligned alike, then bytes */
	if ((((uintptr_t)dp ^ (uintptr_t)sp) & 7) == 0) {
		while (n && ((uintptr_t)dp & 7))
			*dp++ = *sp++, n--;
		for (; n >= 8; n -= 8, dp += 8, sp += 8)
			*(uint64_t *)(void *)dp =
			    *(const uint64_t *)(const void *)sp;
	}
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *RT(memmove)(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp == sp || !n)
		return d;
	if (dp < sp || dp >= sp + n)
		return RT(memcpy)(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

void *RT(memset)(void *d, int c, size_t n)
{
	unsigned char *dp = d;

	while (n && ((uintptr_t)dp & 7))
		*dp++ = (unsigned char)c, n--;
	if (n >= 8) {
		uint64_t w = 0x0101010101010101ULL * (unsigned char)c;

		for (; n >= 8; n -= 8, dp += 8)
			*(uint64_t *)(void *)dp = w;
	}
	while (n--)
		*dp++ = (unsigned char)c;
	return d;
}

void RT(explicit_bzero)(void *d, size_t n)
{
	RT(memset)(d, 0, n);
	/* the compiler must assume the zeroed bytes are read */
	__asm__ volatile("" : : "r"(d) : "memory");
}

int RT(memcmp)(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

/* clang turns memcmp(...) == 0 into this */
int RT(bcmp)(const void *a, const void *b, size_t n)
{
	return RT(memcmp)(a, b, n);
}

void *RT(memchr)(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

void *RT(memmem)(const void *h, size_t hl, const void *n, size_t nl)
{
	const unsigned char *hp = h, *np = n;

	if (!nl)
		return (void *)h;
	for (size_t i = 0; hl >= nl && i <= hl - nl; i++)
		if (hp[i] == np[0] && !RT(memcmp)(hp + i, np, nl))
			return (void *)(hp + i);
	return NULL;
}

size_t RT(strlen)(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t RT(strnlen)(const char *s, size_t max)
{
	size_t i = 0;

	while (i < max && s[i])
		i++;
	return i;
}

int RT(strcmp)(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int RT(strncmp)(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++)
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	return 0;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int RT(strcasecmp)(const char *a, const char *b)
{
	while (*a && lower((unsigned char)*a) == lower((unsigned char)*b))
		a++, b++;
	return lower((unsigned char)*a) - lower((unsigned char)*b);
}

char *RT(strchr)(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *RT(strrchr)(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

size_t RT(strcspn)(const char *s, const char *reject)
{
	size_t i = 0;

	for (; s[i]; i++)
		for (const char *r = reject; *r; r++)
			if (s[i] == *r)
				return i;
	return i;
}

char *RT(strcpy)(char *restrict d, const char *restrict s)
{
	return RT(memcpy)(d, s, RT(strlen)(s) + 1);
}

char *RT(strdup)(const char *s)
{
	size_t n = RT(strlen)(s) + 1;
	char *d = RT(malloc)(n);

	return d ? RT(memcpy)(d, s, n) : NULL;
}

static int digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'z' ? c - 'a' + 10 : 99;
}

unsigned long RT(strtoul)(const char *restrict s, char **restrict end, int base)
{
	const char *p = s;
	unsigned long v = 0;
	int neg = 0, any = 0, over = 0;

	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if ((base == 0 || base == 16) && p[0] == '0' &&
	    lower((unsigned char)p[1]) == 'x' &&
	    digit((unsigned char)p[2]) < 16)
		p += 2, base = 16;
	else if (base == 0)
		base = *p == '0' ? 8 : 10;
	for (;; p++) {
		int d = digit((unsigned char)*p);

		if (d >= base)
			break;
		any = 1;
		if (v > (ULONG_MAX - (unsigned long)d) / (unsigned long)base)
			over = 1;
		else
			v = v * (unsigned long)base + (unsigned long)d;
	}
	if (end)
		*end = (char *)(any ? p : s);
	if (over) {
		errno = ERANGE;
		return ULONG_MAX;
	}
	return neg ? -v : v;
}
