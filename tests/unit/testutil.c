#include "testutil.h"

#include <string.h>

#include <stdarg.h>
#include <ftw.h>
#include <stdio.h>

const char *test_pathf(const char *fmt, ...)
{
	static char buf[8][512];
	static unsigned i;
	char *p = buf[i++ % 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof buf[0], fmt, ap);
	va_end(ap);
	return p;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(path);
}

void test_rmtree(const char *dir)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

size_t test_pump(br_ssl_engine_context *from, br_ssl_engine_context *to)
{
	unsigned char *src, *dst;
	size_t slen, dlen, n;

	src = br_ssl_engine_sendrec_buf(from, &slen);
	dst = src ? br_ssl_engine_recvrec_buf(to, &dlen) : NULL;
	if (!dst)
		return 0;
	n = slen < dlen ? slen : dlen;
	memcpy(dst, src, n);
	br_ssl_engine_sendrec_ack(from, n);
	br_ssl_engine_recvrec_ack(to, n);
	return n;
}

int test_settle(br_ssl_engine_context *client, br_ssl_engine_context *server)
{
	int i;

	for (i = 0; i < 1000; i++)
		if (!test_pump(client, server) && !test_pump(server, client))
			break;
	return i;
}

int test_engine_ready(br_ssl_engine_context *eng)
{
	unsigned st = br_ssl_engine_current_state(eng);

	return !(st & BR_SSL_CLOSED) && (st & BR_SSL_SENDAPP);
}
