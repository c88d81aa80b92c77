#include "cpu.h"

#include <bearssl.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

static void probe(struct tls_cpu *c)
{
#if defined(__x86_64__)
	/* One CPUID, leaf 1, asked here: the executables do not run glibc's
	 * start-up (src/nolibc), so its cached answers are not there, and
	 * BearSSL's own tests would ask three more times. Each CPUID traps
	 * to the hypervisor on a virtual machine (9 us on the one
	 * doc/perf-analysis.md measures). Leaf 1 exists on every x86-64.
	 * server.c links BearSSL's x86ni and PCLMUL code by name, so the
	 * build already requires a BearSSL that has them (Debian's does);
	 * BearSSL's own tests ask for the same bits. */
	unsigned a, b, cx, d;

	__cpuid(1, a, b, cx, d);
	c->aes_ni = (cx & bit_AES) && (cx & bit_PCLMUL) && (cx & bit_SSE4_1);
	c->sse2 = (d & bit_SSE2) != 0;
#else
	/* Elsewhere, BearSSL's own tests. */
	c->aes_ni =
	    br_aes_x86ni_ctr_get_vtable() != NULL && br_ghash_pclmul_get() != 0;
	c->sse2 = br_chacha20_sse2_get() != 0;
#endif
}

const struct tls_cpu *tls_cpu(void)
{
	static struct tls_cpu c;
	static int done;

	if (!done) {
		probe(&c);
		done = 1;
	}
	return &c;
}
