#include "sessfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "exitcodes.h"
#include "options.h"

static uint32_t lifetime_from_env(void)
{
	const char *s = getenv("TLS_SESSION_LIFETIME");
	unsigned v;

	if (!s || !*s)
		return TLS_SESSCACHE_LIFETIME_DEFAULT;
	if (options_uint(s, &v) < 0 || !v || v > TLS_SESSCACHE_LIFETIME_MAX)
		die(EXIT_TLS_USAGE,
		    "invalid TLS_SESSION_LIFETIME: %s (expected 1 to %u "
		    "seconds)",
		    s, TLS_SESSCACHE_LIFETIME_MAX);
	return v;
}

/* Who the engine runs as once privileges are dropped (privdrop.c). */
static void engine_ids(uid_t *uid, gid_t *gid)
{
	const char *u = getenv("TLS_UID"), *g = getenv("TLS_GID");
	unsigned v;

	*uid = geteuid();
	*gid = getegid();
	if (*uid != 0)
		return;
	if (u && options_uint(u, &v) == 0)
		*uid = (uid_t)v;
	if (g && options_uint(g, &v) == 0)
		*gid = (gid_t)v;
}

/* A formatted file under a temporary name, then linked into place: the
 * loser of a race between two first processes uses the winner's file. */
static int create(const char *path, uid_t uid, gid_t gid)
{
	unsigned char head[TLS_SESSCACHE_HEADER_SIZE] = {0};
	char tmp[PATH_MAX];
	int fd, e = 0;

	if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd =
	    open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	tls_sesscache_format(head);
	if ((geteuid() == 0 && fchown(fd, uid, gid) < 0) ||
	    ftruncate(fd, (off_t)tls_sesscache_size()) < 0 ||
	    pwrite(fd, head, sizeof head, 0) != (ssize_t)sizeof head ||
	    link(tmp, path) < 0)
		e = errno;
	unlink(tmp);
	if (!e)
		return fd;
	close(fd);
	if (e != EEXIST) {
		errno = e;
		return -1;
	}
	return open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
}

/* Why the file cannot be used, or NULL. */
static const char *unusable(const struct stat *st, uid_t uid, char *buf,
                            size_t cap)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != uid)
		snprintf(buf, cap, "owned by uid %u, not %u",
		         (unsigned)st->st_uid, (unsigned)uid);
	else if (st->st_mode & 077)
		snprintf(buf, cap, "open to group or others (mode %04o)",
		         (unsigned)(st->st_mode & 07777));
	else if ((size_t)st->st_size != tls_sesscache_size())
		snprintf(buf, cap, "wrong size (%lld bytes, expected %zu)",
		         (long long)st->st_size, tls_sesscache_size());
	else
		return NULL;
	return buf;
}

static struct tls_sesscache *map(struct tls_sesscache *c, const char *path,
                                 int fd, uint32_t lifetime, uid_t uid)
{
	size_t len = tls_sesscache_size();
	const char *why;
	char buf[96];
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0) {
		why = strerror(errno);
	} else if (!(why = unusable(&st, uid, buf, sizeof buf))) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			why = strerror(errno);
		else if (tls_sesscache_attach(c, p, len, lifetime, &why) < 0)
			munmap(p, len);
		else
			why = NULL;
	}
	close(fd);
	if (!why)
		return c;
	warn("session cache %s: %s: not resuming sessions", path, why);
	return NULL;
}

struct tls_sesscache *sessfile_open(struct tls_sesscache *c)
{
	const char *path = getenv("TLS_SESSION_CACHE");
	uint32_t lifetime;
	uid_t uid;
	gid_t gid;
	int fd;

	if (!path || !*path)
		return NULL;
	lifetime = lifetime_from_env();
	engine_ids(&uid, &gid);
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		fd = create(path, uid, gid);
	if (fd < 0) {
		warn("session cache %s: unable to open: %s: not resuming "
		     "sessions",
		     path, strerror(errno));
		return NULL;
	}
	return map(c, path, fd, lifetime, uid);
}
