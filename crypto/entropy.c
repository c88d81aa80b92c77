#include "entropy.h"

#include "bearssl_inside.h"

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
	/* No RDRAND on top: the kernel's 32 bytes are enough (why, in
	 * bearssl_inside.h). */
	tls_inside_skip_os_seeding(eng);
	return 0;
}
