/* s6-tlsd-io: the TLS server tunnel. main only parses the command line. */
#include <fcntl.h>
#include <limits.h>

#include "diag.h"
#include "exitcodes.h"
#include "options.h"
#include "tlsdio.h"

#define USAGE                                                                  \
	"usage: s6-tlsd-io [ -S | -s ] [ -J | -j ] [ -Y | -y ] [ -v "          \
	"verbosity ]"                                                          \
	" [ -K kimeout ] [ -k snilevel ] [ -d notif ] [ -- ] fdr fdw"

static int fd_arg(const char *s, const char *name)
{
	unsigned n;

	if (options_uint(s, &n) || n > INT_MAX)
		die(EXIT_TLS_USAGE, "invalid %s: %s", name, s);
	if (fcntl((int)n, F_GETFD) < 0)
		die(EXIT_TLS_USAGE, "%s %u is not an open descriptor", name, n);
	return (int)n;
}

int main(int argc, char **argv)
{
	struct tlsd_options o;
	const char *err;
	int i = options_parse(argc, argv, &o, OPTIONS_TLSD_IO, &err);

	diag_init("s6-tlsd-io", i < 0 ? 1 : o.verbosity);
	if (i < 0)
		die(EXIT_TLS_USAGE, "%s; %s", err, USAGE);
	if (argc - i < 2)
		die(EXIT_TLS_USAGE, "missing fdr or fdw; %s", USAGE);
	if (o.notif_fd >= 0 && fcntl(o.notif_fd, F_GETFD) < 0)
		die(EXIT_TLS_USAGE, "notification fd %d is not open",
		    o.notif_fd);
	tlsdio_run(&o, fd_arg(argv[i], "fdr"), fd_arg(argv[i + 1], "fdw"));
}
