#include "cpu.h"

#include <bearssl.h>

#if defined(__x86_64__) && defined(__has_include)
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#define TLSD_GLIBC_X86 1
#endif
#endif

static void probe(struct tls_cpu *c)
{
#ifdef TLSD_GLIBC_X86
	/* glibc 2.33+: its start-up answers, no instruction executed. The
	 * x86ni and SSE2 code also needs BearSSL built with it (Debian's
	 * is): the vtables are then non-NULL, which costs nothing to ask. */
	c->aes_ni = CPU_FEATURE_ACTIVE(AES) && CPU_FEATURE_ACTIVE(PCLMULQDQ) &&
	            CPU_FEATURE_ACTIVE(SSE4_1);
	c->sse2 = CPU_FEATURE_ACTIVE(SSE2);
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
