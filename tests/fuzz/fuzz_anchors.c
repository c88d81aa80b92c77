/*
 * fuzz_anchors: tls_anchors_load (crypto/anchors.c) on a CAFILE whose
 * bytes are the input. The loader only takes paths, so the bytes go into
 * a memfd, named through /proc/self/fd.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anchors.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every key byte is read into this: ASan checks the copies' bounds. */
static volatile unsigned char sink;

static void check_msg(const struct tls_err *e)
{
	const char *end = memchr(e->msg, 0, sizeof e->msg);

	FUZZ_CHECK(end && end > e->msg, "message empty or not terminated");
	for (const char *p = e->msg; p < end; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
		           "control character in message: %s", e->msg);
}

static void check_anchors(const struct tls_anchors *a)
{
	FUZZ_CHECK(a->n >= 1 && a->n <= a->cap && a->ta, "n %zu cap %zu", a->n,
	           a->cap);
	for (size_t i = 0; i < a->n; i++) {
		const br_x509_trust_anchor *t = &a->ta[i];

		FUZZ_CHECK(t->dn.data && t->dn.len, "anchor %zu: no DN", i);
		FUZZ_CHECK(!(t->flags & ~BR_X509_TA_CA), "flags %x", t->flags);
		if (t->pkey.key_type == BR_KEYTYPE_RSA) {
			FUZZ_CHECK(t->pkey.key.rsa.n && t->pkey.key.rsa.nlen,
			           "anchor %zu: RSA n", i);
			for (size_t k = 0; k < t->pkey.key.rsa.nlen; k++)
				sink ^= t->pkey.key.rsa.n[k];
			for (size_t k = 0; k < t->pkey.key.rsa.elen; k++)
				sink ^= t->pkey.key.rsa.e[k];
		} else {
			FUZZ_CHECK(t->pkey.key_type == BR_KEYTYPE_EC,
			           "anchor %zu: key type %d", i,
			           t->pkey.key_type);
			for (size_t k = 0; k < t->pkey.key.ec.qlen; k++)
				sink ^= t->pkey.key.ec.q[k];
		}
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(a->ta[j].dn.data != t->dn.data,
			           "anchors %zu and %zu share their DN", j, i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct tls_anchors a;
	struct tls_err e;
	int r;

	if (fd < 0) {
		fd = memfd_create("cafile", MFD_CLOEXEC);
		FUZZ_CHECK(fd >= 0, "memfd_create");
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	FUZZ_CHECK(!ftruncate(fd, 0), "ftruncate");
	FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size, "pwrite");
	r = tls_anchors_load(&a, path, NULL, &e);
	FUZZ_CHECK(r == 0 || r == -1, "returned %d", r);
	if (r == 0) {
		check_anchors(&a);
		tls_anchors_free(&a);
		FUZZ_CHECK(!a.ta && !a.n, "not zeroed");
	} else {
		check_msg(&e);
		FUZZ_CHECK(!a.ta && !a.n && !a.cap, "left to free after error");
	}
	return 0;
}
