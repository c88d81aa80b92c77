/* The environment: getenv, and setenv/unsetenv for what s6-tlsd hands to
 * prog. The first change copies the array into the heap; strings set
 * here are allocated and never freed (the process execs or exits). */
#include "rt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char **RT(environ);
static int owned; /* environ is our heap copy */

static char **slot(const char *name, size_t len)
{
	for (char **e = RT(environ); e && *e; e++)
		if (!RT(strncmp)(*e, name, len) && (*e)[len] == '=')
			return e;
	return NULL;
}

static int bad_name(const char *name)
{
	if (!name || !*name || RT(strchr)(name, '=')) {
		errno = EINVAL;
		return 1;
	}
	return 0;
}

char *RT(getenv)(const char *name)
{
	size_t len = RT(strlen)(name);
	char **e = RT(strchr)(name, '=') ? NULL : slot(name, len);

	return e ? *e + len + 1 : NULL;
}

static int own(size_t extra)
{
	size_t n = 0;
	char **copy;

	while (RT(environ) && RT(environ)[n])
		n++;
	copy = RT(malloc)((n + extra + 1) * sizeof *copy);
	if (!copy)
		return -1;
	for (size_t i = 0; i < n; i++)
		copy[i] = RT(environ)[i];
	copy[n] = NULL;
	if (owned)
		RT(free)(RT(environ));
	RT(environ) = copy;
	owned = 1;
	return 0;
}

int RT(setenv)(const char *name, const char *value, int overwrite)
{
	size_t nl, vl;
	char **e, *s;

	if (bad_name(name))
		return -1;
	nl = RT(strlen)(name);
	e = slot(name, nl);
	if (e && !overwrite)
		return 0;
	vl = RT(strlen)(value);
	s = RT(malloc)(nl + vl + 2);
	if (!s)
		return -1;
	RT(memcpy)(s, name, nl);
	s[nl] = '=';
	RT(memcpy)(s + nl + 1, value, vl + 1);
	if (e) {
		*e = s;
		return 0;
	}
	if (own(1) < 0) {
		RT(free)(s);
		return -1;
	}
	for (e = RT(environ); *e; e++)
		;
	e[0] = s, e[1] = NULL;
	return 0;
}

int RT(unsetenv)(const char *name)
{
	size_t nl;
	char **e;

	if (bad_name(name))
		return -1;
	nl = RT(strlen)(name);
	while ((e = slot(name, nl)))
		do
			e[0] = e[1];
		while (*e++);
	return 0;
}
