/*
 * getopt_long as glibc's behaves for the option strings options.c uses:
 * a leading '+' (stop at the first operand) and ':' (a missing argument
 * returns ':'), options without argument or with a required one, long
 * options by exact name or unique prefix, "--name=value", and optind = 0
 * to start over. It never prints: options.c sets opterr to 0 and writes
 * its own one-line errors.
 */
#include "rt.h"

#include <string.h>

char *RT(optarg);
int RT(optind) = 1, RT(opterr) = 1, RT(optopt) = '?';
static const char *nextchar;

static const struct option *find_long(const struct option *lo, const char *name,
                                      size_t len, int *idx, int *ambiguous)
{
	const struct option *hit = NULL;

	*ambiguous = 0;
	for (int i = 0; lo[i].name; i++)
		if (!RT(strncmp)(lo[i].name, name, len) && !lo[i].name[len]) {
			*idx = i;
			return &lo[i];
		}
	for (int i = 0; lo[i].name; i++) {
		if (RT(strncmp)(lo[i].name, name, len))
			continue;
		if (!hit) {
			hit = &lo[i], *idx = i;
		} else if (hit->has_arg != lo[i].has_arg ||
		           hit->flag != lo[i].flag || hit->val != lo[i].val) {
			*ambiguous = 1;
			return NULL;
		}
	}
	return hit;
}

static int long_option(int argc, char *const *argv, const struct option *lo,
                       int *longindex, int colon)
{
	const char *name = argv[RT(optind)] + 2;
	const char *eq = RT(strchr)(name, '=');
	size_t len = eq ? (size_t)(eq - name) : RT(strlen)(name);
	int idx = 0, ambiguous;
	const struct option *o = find_long(lo, name, len, &idx, &ambiguous);

	RT(optind)++;
	nextchar = NULL;
	if (!o) {
		RT(optopt) = 0;
		return '?';
	}
	if (eq) {
		if (o->has_arg == no_argument) {
			RT(optopt) = o->val;
			return '?';
		}
		RT(optarg) = (char *)eq + 1;
	} else if (o->has_arg == required_argument) {
		if (RT(optind) >= argc) {
			RT(optopt) = o->val;
			return colon ? ':' : '?';
		}
		RT(optarg) = argv[RT(optind)++];
	}
	if (longindex)
		*longindex = idx;
	if (o->flag) {
		*o->flag = o->val;
		return 0;
	}
	return o->val;
}

int RT(getopt_long)(int argc, char *const *argv, const char *shortopts,
                    const struct option *longopts, int *longindex)
{
	const char *so = shortopts, *t;
	int colon, c;

	if (RT(optind) == 0)
		RT(optind) = 1, nextchar = NULL;
	if (*so == '+' || *so == '-')
		so++;
	colon = *so == ':';
	RT(optarg) = NULL;
	if (!nextchar || !*nextchar) {
		const char *a;

		if (RT(optind) >= argc)
			return -1;
		a = argv[RT(optind)];
		if (a[0] != '-' || !a[1])
			return -1;
		if (a[1] == '-' && !a[2]) {
			RT(optind)++;
			return -1;
		}
		if (a[1] == '-' && longopts)
			return long_option(argc, argv, longopts, longindex,
			                   colon);
		nextchar = a + 1;
	}
	c = *nextchar++; /* a char, signed as in glibc: optopt too */
	t = c == ':' ? NULL : RT(strchr)(so, c);
	/* as glibc: optind moves on once the element's last letter is read */
	if (!*nextchar)
		RT(optind)++;
	if (!t) {
		RT(optopt) = c;
		return '?';
	}
	if (t[1] == ':') {
		if (*nextchar) {
			RT(optarg) = (char *)nextchar;
			RT(optind)++;
		} else if (RT(optind) >= argc) {
			RT(optopt) = c;
			nextchar = NULL;
			return colon ? ':' : '?';
		} else {
			RT(optarg) = argv[RT(optind)++];
		}
		nextchar = NULL;
	}
	return c;
}
