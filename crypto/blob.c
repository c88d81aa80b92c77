/*
 * Key and certificate files: read whole into a blob (wiped when freed),
 * told PEM from DER and their PEM decoded, each failure a one-line
 * message (tls_err) naming the file.
 */
#include "keys_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOB_MAX (1024 * 1024)

void tls_err_set(struct tls_err *e, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	for (p = e->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* Moves b->data to a larger buffer, wiping the old one. */
static int blob_grow(struct blob *b, size_t *cap)
{
	size_t ncap = *cap * 2 > BLOB_MAX + 1 ? BLOB_MAX + 1 : *cap * 2;
	unsigned char *p = malloc(ncap);

	if (!p)
		return ENOMEM;
	memcpy(p, b->data, b->len);
	explicit_bzero(b->data, *cap);
	free(b->data);
	b->data = p;
	*cap = ncap;
	return 0;
}

/* Reads fd to its end into b. 0, or an errno value (EFBIG: too large). */
static int blob_read_fd(struct blob *b, int fd)
{
	struct stat st;
	size_t cap = 4096;
	ssize_t r;

	if (fstat(fd, &st) < 0)
		return errno;
	if (S_ISREG(st.st_mode) && st.st_size > BLOB_MAX)
		return EFBIG;
	if (S_ISREG(st.st_mode))
		cap = (size_t)st.st_size + 1;
	b->data = malloc(cap);
	if (!b->data)
		return ENOMEM;
	for (;;) {
		if (b->len == cap && cap > BLOB_MAX)
			return EFBIG;
		if (b->len == cap && blob_grow(b, &cap))
			return ENOMEM;
		r = read(fd, b->data + b->len, cap - b->len);
		if (r == 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return errno;
		if (r > 0)
			b->len += (size_t)r;
	}
}

int blob_read(struct blob *b, const char *path, struct tls_err *e)
{
	int fd, err;

	b->data = NULL;
	b->len = 0;
	b->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		tls_err_set(e, "unable to read %s: %s", path, strerror(errno));
		return -1;
	}
	err = blob_read_fd(b, fd);
	close(fd);
	if (!err)
		return 0;
	blob_free(b);
	b->path = path;
	if (err == EFBIG)
		tls_err_set(e, "unable to read %s: file larger than 1 MiB",
		            path);
	else
		tls_err_set(e, "unable to read %s: %s", path, strerror(err));
	return -1;
}

void blob_free(struct blob *b)
{
	if (b->data) {
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
}

int is_pem(const struct blob *b)
{
	return pem_detect(b->data, b->len);
}

/* Decodes every object of a PEM file. what: "KEYFILE" or "CERTFILE". */
int pem_parse(struct pem_file *pf, const struct blob *b, const char *what,
              struct tls_err *e)
{
	const char *bad = pem_decode(pf, b->data, b->len);

	if (!bad)
		return 0;
	tls_err_set(e, "%s %s: %s", what, b->path, bad);
	return -1;
}
