#include "entropy.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int tls_seed(br_ssl_engine_context *eng)
{
	unsigned char seed[32];
	size_t got = 0;

	/* Blocking getrandom: never seed from an uninitialised pool. */
	while (got < sizeof seed) {
		ssize_t r = getrandom(seed + got, sizeof seed - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)r;
	}
	br_ssl_engine_inject_entropy(eng, seed, sizeof seed);
	explicit_bzero(seed, sizeof seed);
	/*
	 * The one engine field written directly (bearssl_ssl.h documents it
	 * in the context): "OS seeding attempted". Left at 0, BearSSL would
	 * add its system seeder at the first handshake: CPUID for RDRAND,
	 * then RDRAND, both trapping under a hypervisor (about 25 µs per
	 * connection measured). The kernel's 32 bytes above are the seed it
	 * would otherwise fall back to.
	 */
	eng->rng_os_rand_done = 1;
	return 0;
}
