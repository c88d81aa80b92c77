/*
 * malloc for a process that lives one connection: size classes of powers
 * of two, each with a free list, carved from mappings of 256 KiB (the
 * kernel fills a page only where it is touched). Blocks above 1 MiB get a
 * mapping of their own. Nothing is returned to the kernel but those; the
 * process exits soon.
 *
 * Why not one large reservation: it would count against RLIMIT_AS and
 * RLIMIT_DATA, which daemontools-style set-ups lower (softlimit -m). All
 * allocation happens during set-up, before the sandbox forbids mmap.
 */
#include "rt.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MIN_SHIFT 4
#define BIG_SHIFT 20 /* classes up to 1 MiB */
#define ARENA (256UL << 10)
#define HDR 16

struct hdr {
	size_t size;  /* usable bytes */
	size_t klass; /* shift, or 0 for a block with its own mapping */
};

static void *freelist[BIG_SHIFT + 1];
static unsigned char *next, *limit;

static unsigned shift_for(size_t n)
{
	unsigned s = MIN_SHIFT;

	while (((size_t)1 << s) < n)
		s++;
	return s;
}

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void *carve(unsigned s)
{
	size_t need = HDR + ((size_t)1 << s);
	struct hdr *h;

	if (!next || (size_t)(limit - next) < need) {
		size_t len = need > ARENA ? need : ARENA;
		unsigned char *m = map(len);

		if (!m)
			return NULL;
		next = m, limit = m + len;
	}
	h = (struct hdr *)(void *)next;
	next += need;
	h->size = (size_t)1 << s;
	h->klass = s;
	return (unsigned char *)h + HDR;
}

void *RT(malloc)(size_t n)
{
	unsigned s;
	void *p;

	if (n > ((size_t)1 << BIG_SHIFT)) {
		struct hdr *h;
		size_t len = (n + HDR + 4095) & ~(size_t)4095;

		if (n > SIZE_MAX / 2 || !(h = map(len))) {
			errno = ENOMEM;
			return NULL;
		}
		h->size = len - HDR, h->klass = 0;
		return (unsigned char *)h + HDR;
	}
	s = shift_for(n ? n : 1);
	p = freelist[s];
	if (p) {
		freelist[s] = *(void **)p;
		return p;
	}
	p = carve(s);
	if (!p)
		errno = ENOMEM;
	return p;
}

void RT(free)(void *p)
{
	struct hdr *h;

	if (!p)
		return;
	h = (struct hdr *)(void *)((unsigned char *)p - HDR);
	if (!h->klass) {
		munmap(h, h->size + HDR);
		return;
	}
	*(void **)p = freelist[h->klass];
	freelist[h->klass] = p;
}

void *RT(calloc)(size_t k, size_t n)
{
	void *p;

	if (n && k > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	p = RT(malloc)(k * n);
	/* a recycled block holds old bytes; fresh arena pages are zero,
	 * but which one this is is not worth tracking */
	return p ? RT(memset)(p, 0, k * n) : NULL;
}

void *RT(realloc)(void *p, size_t n)
{
	struct hdr *h;
	void *q;

	if (!p)
		return RT(malloc)(n);
	h = (struct hdr *)(void *)((unsigned char *)p - HDR);
	if (n <= h->size)
		return p;
	q = RT(malloc)(n);
	if (!q)
		return NULL;
	RT(memcpy)(q, p, h->size);
	RT(free)(p);
	return q;
}

void *RT(reallocarray)(void *p, size_t k, size_t n)
{
	if (n && k > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	return RT(realloc)(p, k * n);
}
