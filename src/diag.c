#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *progname = "s6-tlsd";
static unsigned verbosity = 1;

void diag_init(const char *prog, unsigned v)
{
	progname = prog;
	verbosity = v;
}

unsigned diag_verbosity(void)
{
	return verbosity;
}

/*
 * One write(2) per line, so lines from concurrent processes don't mix.
 * Control characters become '?': a message quotes values from the
 * environment and the command line, and a newline in one must not forge
 * a second log line.
 */
static void say(const char *kind, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof line, "%s: %s: ", progname, kind);

	if (n < 0 || (size_t)n >= sizeof line)
		return;
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	for (char *p = line + n; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	n = (int)strlen(line);
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
	fflush(stderr);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	if (verbosity) {
		va_start(ap, fmt);
		say("fatal", fmt, ap);
		va_end(ap);
	}
	exit(code);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	if (!verbosity)
		return;
	va_start(ap, fmt);
	say("warning", fmt, ap);
	va_end(ap);
}

void info(unsigned level, const char *fmt, ...)
{
	va_list ap;

	if (verbosity < level)
		return;
	va_start(ap, fmt);
	say("info", fmt, ap);
	va_end(ap);
}
