/*
 * LD_PRELOAD shim for the SNI benchmark: counts the BearSSL decoder
 * contexts s6-tlsd-io starts (one PEM decoder per PEM file parsed, one
 * private-key decoder per key, one X.509 decoder per certificate looked
 * at) and prints the counts on stderr at exit:
 *   countdecode: pem=N skey=N x509=N
 * Only calls from the executable are seen (they go through the PLT).
 * Since commit 3e474af s6-tlsd-io parses PEM with its own decoder, so
 * pem= stays 0 there: skey= (keys decoded) and x509= (certificates
 * decoded) are the counts that matter.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static unsigned n_pem, n_skey, n_x509;

#define WRAP(fn, counter)                                                      \
	void fn(void *ctx);                                                    \
	void fn(void *ctx)                                                     \
	{                                                                      \
		static void (*real)(void *);                                   \
		if (!real)                                                     \
			real = (void (*)(void *))dlsym(RTLD_NEXT, #fn);        \
		counter++;                                                     \
		real(ctx);                                                     \
	}

WRAP(br_pem_decoder_init, n_pem)
WRAP(br_skey_decoder_init, n_skey)

/* br_x509_decoder_init has three arguments. */
void br_x509_decoder_init(void *ctx, void (*dn)(void *, const void *, size_t),
                          void *dn_ctx);
void br_x509_decoder_init(void *ctx, void (*dn)(void *, const void *, size_t),
                          void *dn_ctx)
{
	static void (*real)(void *, void (*)(void *, const void *, size_t),
	                    void *);
	if (!real)
		real =
		    (void (*)(void *, void (*)(void *, const void *, size_t),
		              void *))dlsym(RTLD_NEXT, "br_x509_decoder_init");
	n_x509++;
	real(ctx, dn, dn_ctx);
}

__attribute__((destructor)) static void report(void)
{
	char buf[96];
	int n =
	    snprintf(buf, sizeof buf, "countdecode: pem=%u skey=%u x509=%u\n",
	             n_pem, n_skey, n_x509);
	if (write(2, buf, (size_t)n) < 0)
		return;
}
