/*
 * fuzz_keys: keypair_decode (crypto/keys.c) on a private key and a
 * certificate chain split from the input:
 *
 *   2 bytes   the key's length K, big-endian (clamped to what is there)
 *   K bytes   the key file (PEM or DER)
 *   rest      the chain file (PEM or DER)
 *
 * make-corpus.sh writes gen-certs.sh's files in this form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One line, NUL-terminated, no control characters. */
static void check_msg(const struct tls_err *e)
{
	const char *end = memchr(e->msg, 0, sizeof e->msg);

	FUZZ_CHECK(end, "message not terminated");
	FUZZ_CHECK(end > e->msg, "empty message");
	for (const char *p = e->msg; p < end; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
		           "control character in message: %s", e->msg);
}

static void check_pair(const struct tls_keypair *kp)
{
	FUZZ_CHECK(kp->key_type == BR_KEYTYPE_RSA ||
	               kp->key_type == BR_KEYTYPE_EC,
	           "key type %d", kp->key_type);
	FUZZ_CHECK(kp->chain && kp->chain_len >= 1, "no chain");
	FUZZ_CHECK(kp->key_storage, "no key storage");
	for (size_t i = 0; i < kp->chain_len; i++)
		FUZZ_CHECK(kp->chain[i].data && kp->chain[i].data_len,
		           "certificate %zu empty", i);
	if (kp->key_type == BR_KEYTYPE_EC)
		FUZZ_CHECK(kp->sk.ec.x == kp->key_storage && kp->sk.ec.xlen,
		           "EC key not in its storage");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_keypair kp;
	struct tls_err e;
	struct blob key = {NULL, 0, "key.fuzz"}, crt = {NULL, 0, "crt.fuzz"};
	size_t klen;
	int r;

	if (size < 2)
		return 0;
	klen = (size_t)data[0] << 8 | data[1];
	data += 2, size -= 2;
	if (klen > size)
		klen = size;
	/* Exact-size copies: ASan sees any read past either file. */
	key.len = klen;
	key.data = malloc(klen ? klen : 1);
	crt.len = size - klen;
	crt.data = malloc(crt.len ? crt.len : 1);
	FUZZ_CHECK(key.data && crt.data, "malloc");
	memcpy(key.data, data, klen);
	memcpy(crt.data, data + klen, crt.len);

	memset(&e, 0xa5, sizeof e);
	r = keypair_decode(&kp, &key, &crt, &e);
	FUZZ_CHECK(r == 0 || r == -1, "returned %d", r);
	if (r == 0) {
		check_pair(&kp);
		keypair_free(&kp);
		FUZZ_CHECK(!kp.chain && !kp.key_storage, "not zeroed");
		keypair_free(&kp); /* twice is harmless */
	} else {
		check_msg(&e);
		FUZZ_CHECK(!kp.chain && !kp.key_storage,
		           "something left to free after an error");
	}
	free(key.data);
	free(crt.data);
	return 0;
}
