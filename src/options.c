#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

enum {
	OPT_ALPN = 256,
	OPT_ALPN_STRICT,
	OPT_SNI,
	OPT_MANDATORY_SNI,
	OPT_LEGACY_SUITES,
	OPT_FORK_IO,
};

static const struct option long_options[] = {
    {"close-notify", no_argument, NULL, 'S'},
    {"no-close-notify", no_argument, NULL, 's'},
    {"enforce-close-notify", no_argument, NULL, 'J'},
    {"no-enforce-close-notify", no_argument, NULL, 'j'},
    {"client-cert", no_argument, NULL, 'Y'},
    {"mandatory-client-cert", no_argument, NULL, 'y'},
    {"verbosity", required_argument, NULL, 'v'},
    {"handshake-timeout", required_argument, NULL, 'K'},
    {"sni-level", required_argument, NULL, 'k'},
    {"sni", no_argument, NULL, OPT_SNI},
    {"mandatory-sni", no_argument, NULL, OPT_MANDATORY_SNI},
    {"notification-fd", required_argument, NULL, 'd'},
    {"alpn", required_argument, NULL, OPT_ALPN},
    {"alpn-strict", no_argument, NULL, OPT_ALPN_STRICT},
    {"legacy-suites", no_argument, NULL, OPT_LEGACY_SUITES},
    {"fork-io", no_argument, NULL, OPT_FORK_IO},
    {"keep", no_argument, NULL, 'Z'},
    {"no-keep", no_argument, NULL, 'z'},
    {NULL, 0, NULL, 0},
};

int options_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Messages quote what the user typed: keep them on one line, and keep
 * terminal escapes out of them. */
static const char *one_line(char *msg)
{
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return msg;
}

static const char *bad_number(const char *opt, const char *arg)
{
	static char msg[160];

	snprintf(msg, sizeof msg, "invalid number for %s: %.64s", opt, arg);
	return one_line(msg);
}

static void set_defaults(struct tlsd_options *o)
{
	*o = (struct tlsd_options){.verbosity = 1, .notif_fd = -1};
}

/* Applies one parsed option; returns NULL or the usage error. */
static const char *apply(struct tlsd_options *o, int c, const char *arg)
{
	unsigned n;

	switch (c) {
	case 'S':
		o->close_notify = 1;
		break;
	case 's':
		o->close_notify = 0;
		break;
	case 'J':
		o->enforce_close_notify = 1;
		break;
	case 'j':
		o->enforce_close_notify = 0;
		break;
	case 'Y':
		o->client_cert = 1;
		break;
	case 'y':
		o->client_cert = 2;
		break;
	case 'Z':
		o->keep_env = 1;
		break;
	case 'z':
		o->keep_env = 0;
		break;
	case OPT_SNI:
		o->snilevel = 1;
		break;
	case OPT_MANDATORY_SNI:
		o->snilevel = 2;
		break;
	case OPT_ALPN:
		o->alpn = arg;
		break;
	case OPT_ALPN_STRICT:
		o->alpn_strict = 1;
		break;
	case OPT_LEGACY_SUITES:
		o->legacy_suites = 1;
		break;
	case OPT_FORK_IO:
		o->fork_io = 1;
		break;
	case 'v':
		if (options_uint(arg, &o->verbosity))
			return bad_number("-v", arg);
		break;
	case 'K':
		if (options_uint(arg, &o->kimeout))
			return bad_number("-K", arg);
		break;
	case 'k':
		if (options_uint(arg, &o->snilevel))
			return bad_number("-k", arg);
		break;
	case 'd':
		if (options_uint(arg, &n) || n > INT_MAX)
			return bad_number("-d", arg);
		o->notif_fd = (int)n;
		break;
	}
	return NULL;
}

static const char *unknown(int c, char **argv, int failed_index)
{
	static char msg[160];

	if (c == '?' && optopt > 0x20 && optopt < 0x7f)
		snprintf(msg, sizeof msg, "unknown option: -%c", optopt);
	else if (c == ':' && optopt > 0x20 && optopt < 0x7f)
		snprintf(msg, sizeof msg, "option -%c requires an argument",
		         optopt);
	else
		snprintf(msg, sizeof msg, "unknown or incomplete option: %.64s",
		         argv[failed_index]);
	return one_line(msg);
}

int options_parse(int argc, char **argv, struct tlsd_options *o,
                  enum options_program prog, const char **err)
{
	/* '+': stop at the first operand; ':': report missing arguments. */
	const char *shortopts =
	    prog == OPTIONS_TLSD ? "+:SsJjYyZzv:K:k:" : "+:SsJjYyv:K:k:d:";

	set_defaults(o);
	optind = 0; /* glibc: full re-initialisation, so tests can re-parse */
	opterr = 0;
	for (;;) {
		int before = optind ? optind : 1;
		int c = getopt_long(argc, argv, shortopts, long_options, NULL);
		const char *e;

		if (c == -1)
			break;
		/* the long options table is shared: refuse the other's own */
		if ((prog == OPTIONS_TLSD_IO &&
		     (c == 'Z' || c == 'z' || c == OPT_FORK_IO)) ||
		    (prog == OPTIONS_TLSD && c == 'd'))
			c = '?', optopt = 0;
		if (c == '?' || c == ':') {
			*err =
			    unknown(c, argv, before < argc ? before : argc - 1);
			return -1;
		}
		e = apply(o, c, optarg);
		if (e) {
			*err = e;
			return -1;
		}
	}
	return optind;
}
