#include "testutil.h"

#include <stdarg.h>
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
