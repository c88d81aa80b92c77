/*
 * What the CPU can do for BearSSL's record code, known without CPUID.
 *
 * BearSSL's own defaults (br_ssl_engine_set_default_aes_gcm and friends,
 * br_aes_x86ni_ctr_get_vtable, br_ghash_pclmul_get) execute CPUID each
 * time they are asked, and a process asks for every connection. Under a
 * hypervisor CPUID traps: about 9 µs each on the VMs this is measured on
 * (doc/perf-analysis.md), some 170 µs per connection in all. glibc has
 * already run CPUID once at start-up and keeps the answers: we read those.
 */
#ifndef TLSD_CPU_H
#define TLSD_CPU_H

struct tls_cpu {
	int aes_ni; /* AES-NI and PCLMULQDQ usable: BearSSL's x86ni code */
	int sse2;   /* BearSSL's SSE2 ChaCha20 */
};

/* The CPU's features (computed once per process). */
const struct tls_cpu *tls_cpu(void);

#endif
