/*
 * fuzz_server: what a client can send. The input (fuzz_tls.h: a byte of
 * server configuration, a byte of app behaviour, then the client's bytes)
 * goes through the real server engine and the real tunnel (poll engine by
 * default; TLSD_FUZZ_ENGINE=uring for io_uring).
 *
 *   TLSD_FUZZ_WRITE_SEEDS=DIR fuzz_server   writes full-session seeds, exits
 *   TLSD_FUZZ_VERBOSE=1 fuzz_server FILE    prints how each input ended
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_tls.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int verbose;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("TLSD_FUZZ_WRITE_SEEDS");
	int n;

	(void)argc, (void)argv;
	fz_init();
	verbose = getenv("TLSD_FUZZ_VERBOSE") != NULL;
	if (!dir)
		return 0;
	n = fz_write_seeds(dir);
	if (n < 0) {
		fprintf(stderr, "fuzz_server: could not write the seeds\n");
		exit(1);
	}
	fprintf(stderr, "fuzz_server: %d session seeds in %s\n", n, dir);
	exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_outcome o;

	fz_run(data, size, &o);
	if (verbose)
		fprintf(stderr,
		        "config %02x %02x, %zu client bytes: status %d err %d "
		        "(%s), exit %d, handshake %d, net in %llu out %llu "
		        "(%zu records%s), app in %llu out %llu%s\n",
		        size > 0 ? data[0] : 0, size > 1 ? data[1] : 0,
		        size > 2 ? size - 2 : 0, o.res.status, o.res.err,
		        o.res.what ? o.res.what : "-", o.exit_code,
		        o.handshakes, (unsigned long long)o.res.net_bytes_in,
		        (unsigned long long)o.res.net_bytes_out, o.net_records,
		        o.net_shut ? ", shut" : "",
		        (unsigned long long)o.res.app_bytes_in,
		        (unsigned long long)o.res.app_bytes_out,
		        o.app_closed ? ", fdw closed" : "");
	return 0;
}
