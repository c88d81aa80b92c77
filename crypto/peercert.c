/*
 * An X.509 engine that forwards every call to BearSSL's minimal engine,
 * and on the side hashes the first certificate of the chain (the
 * client's own) and captures its subject DN.
 */
#include "peercert.h"

#include <string.h>

#include "dn.h"

static struct tls_peercert *from(const br_x509_class **ctx)
{
	return (struct tls_peercert *)(void *)ctx;
}

static const br_x509_class **inner(struct tls_peercert *pc)
{
	return &pc->xc.vtable;
}

/* The certificate being processed is the end-entity's. */
static int at_ee(const struct tls_peercert *pc)
{
	return pc->ncerts == 1;
}

static void dn_append(void *ctx, const void *buf, size_t len)
{
	struct tls_peercert *pc = ctx;

	if (!pc->dn_ok || len > sizeof pc->dn - pc->dn_len) {
		pc->dn_ok = 0;
		return;
	}
	memcpy(pc->dn + pc->dn_len, buf, len);
	pc->dn_len += len;
}

static void pc_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls_peercert *pc = from(ctx);

	pc->ncerts = 0;
	pc->valid = 0;
	pc->dn_ok = 0;
	pc->dn_len = 0;
	pc->xc.vtable->start_chain(inner(pc), server_name);
}

static void pc_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls_peercert *pc = from(ctx);

	if (++pc->ncerts == 1) {
		br_sha256_init(&pc->sha);
		br_x509_decoder_init(&pc->dc, dn_append, pc);
		pc->dn_ok = 1;
	}
	pc->xc.vtable->start_cert(inner(pc), length);
}

static void pc_append(const br_x509_class **ctx, const unsigned char *buf,
                      size_t len)
{
	struct tls_peercert *pc = from(ctx);

	if (at_ee(pc)) {
		br_sha256_update(&pc->sha, buf, len);
		/* BearSSL's decoder must not be pushed once it has failed: it
		 * would run on from a broken state (found by fuzz_server).
		 * (err, not last_error(): that one also says "truncated"
		 * until the certificate is complete.) */
		if (!pc->dc.err)
			br_x509_decoder_push(&pc->dc, buf, len);
	}
	pc->xc.vtable->append(inner(pc), buf, len);
}

static void pc_end_cert(const br_x509_class **ctx)
{
	struct tls_peercert *pc = from(ctx);

	if (at_ee(pc)) {
		br_sha256_out(&pc->sha, pc->hash);
		/* The DN is only trusted from a certificate that decoded. */
		if (br_x509_decoder_last_error(&pc->dc))
			pc->dn_ok = 0;
	}
	pc->xc.vtable->end_cert(inner(pc));
}

/* Returns the minimal engine's verdict: 0, or a BR_ERR_X509_* code. */
static unsigned pc_end_chain(const br_x509_class **ctx)
{
	struct tls_peercert *pc = from(ctx);
	unsigned err = pc->xc.vtable->end_chain(inner(pc));

	pc->valid = err == 0 && pc->ncerts > 0;
	return err;
}

static const br_x509_pkey *pc_get_pkey(const br_x509_class *const *ctx,
                                       unsigned *usages)
{
	const struct tls_peercert *pc = (const void *)ctx;

	return pc->xc.vtable->get_pkey(&pc->xc.vtable, usages);
}

static const br_x509_class peercert_vtable = {
    .context_size = sizeof(struct tls_peercert),
    .start_chain = pc_start_chain,
    .start_cert = pc_start_cert,
    .append = pc_append,
    .end_cert = pc_end_cert,
    .end_chain = pc_end_chain,
    .get_pkey = pc_get_pkey,
};

void tls_peercert_init(struct tls_peercert *pc, const struct tls_anchors *a)
{
	br_x509_minimal_context *xc = &pc->xc;

	memset(pc, 0, sizeof *pc);
	pc->vtable = &peercert_vtable;
	br_x509_minimal_init(xc, &br_sha256_vtable, a->ta, a->n);
	br_x509_minimal_set_hash(xc, br_sha1_ID, &br_sha1_vtable);
	br_x509_minimal_set_hash(xc, br_sha224_ID, &br_sha224_vtable);
	br_x509_minimal_set_hash(xc, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(xc, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(xc, br_sha512_ID, &br_sha512_vtable);
	br_x509_minimal_set_rsa(xc, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(xc, br_ec_get_default(),
	                          br_ecdsa_vrfy_asn1_get_default());
}

const br_x509_class **tls_peercert_vtable(struct tls_peercert *pc)
{
	return &pc->vtable;
}

int tls_peercert_valid(const struct tls_peercert *pc)
{
	return pc->valid;
}

int tls_peercert_hash(const struct tls_peercert *pc, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (!pc->valid)
		return -1;
	memcpy(out, "SHA256:", 7);
	for (i = 0; i < sizeof pc->hash; i++) {
		out[7 + 2 * i] = hex[pc->hash[i] >> 4];
		out[8 + 2 * i] = hex[pc->hash[i] & 15];
	}
	out[71] = 0;
	return 0;
}

int tls_peercert_subject(const struct tls_peercert *pc, char *out, size_t cap)
{
	if (!pc->valid || !pc->dn_ok)
		return -1;
	return tls_dn_format(pc->dn, pc->dn_len, out, cap);
}
