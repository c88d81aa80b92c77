#include "testutil.h"

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
