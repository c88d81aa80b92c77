/* scandir over getdents64, for the trust-anchor directory. */
#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int RT(alphasort)(const struct dirent **a, const struct dirent **b)
{
	/* strcoll in the C locale, the only one these programs run in */
	return RT(strcmp)((*a)->d_name, (*b)->d_name);
}

static int add(struct dirent ***list, size_t *n, size_t *cap,
               const struct dirent *d)
{
	size_t len = RT(strlen)(d->d_name);
	size_t size = offsetof(struct dirent, d_name) + len + 1;
	struct dirent *copy;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct dirent **g = RT(reallocarray)(*list, ncap, sizeof *g);

		if (!g)
			return -1;
		*list = g, *cap = ncap;
	}
	/* only the used part of d_name is allocated: callers read the name */
	copy = RT(malloc)(size < sizeof *copy ? (size + 7) & ~(size_t)7 : size);
	if (!copy)
		return -1;
	RT(memcpy)(copy, d, size);
	(*list)[(*n)++] = copy;
	return 0;
}

static void sort(struct dirent **v, size_t n,
                 int (*cmp)(const struct dirent **, const struct dirent **))
{
	for (size_t i = 1; i < n; i++) {
		struct dirent *x = v[i];
		size_t j = i;

		for (; j && cmp((const struct dirent **)&v[j - 1],
		                (const struct dirent **)&x) > 0;
		     j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void drop(struct dirent **v, size_t n)
{
	while (n)
		RT(free)(v[--n]);
	RT(free)(v);
}

int RT(scandir)(const char *restrict dir, struct dirent ***restrict out,
                int (*keep)(const struct dirent *),
                int (*cmp)(const struct dirent **, const struct dirent **))
{
	union {
		char b[4096];
		struct dirent align;
	} buf;
	struct dirent **v = NULL;
	size_t n = 0, cap = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e;
	ssize_t got;

	if (fd < 0)
		return -1;
	while ((got = getdents64(fd, buf.b, sizeof buf.b)) > 0) {
		for (ssize_t off = 0; off < got;) {
			struct dirent *d =
			    (struct dirent *)(void *)(buf.b + off);

			off += d->d_reclen;
			if ((!keep || keep(d)) && add(&v, &n, &cap, d) < 0)
				goto fail;
		}
	}
	if (got < 0)
		goto fail;
	close(fd);
	if (cmp)
		sort(v, n, cmp);
	*out = v;
	return (int)n;
fail:
	e = errno;
	close(fd);
	drop(v, n);
	errno = e;
	return -1;
}
