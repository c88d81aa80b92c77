#include "policy.h"

#include <stddef.h>

#include "bearssl_inside.h"
#include "suites.h"

void tls_policy_set_keypair(br_ssl_server_context *sc,
                            const struct tls_keypair *kp)
{
	/* BR_KEYTYPE_SIGN only: never static RSA or static ECDH key
	 * exchange, whatever the certificate's key usage allows. */
	if (kp->key_type == BR_KEYTYPE_RSA)
		br_ssl_server_set_single_rsa(sc, kp->chain, kp->chain_len,
		                             &kp->sk.rsa, BR_KEYTYPE_SIGN,
		                             br_rsa_private_get_default(),
		                             br_rsa_pkcs1_sign_get_default());
	else
		br_ssl_server_set_single_ec(sc, kp->chain, kp->chain_len,
		                            &kp->sk.ec, BR_KEYTYPE_SIGN,
		                            BR_KEYTYPE_EC, br_ec_get_default(),
		                            br_ecdsa_sign_asn1_get_default());
}

/*
 * Called once the ClientHello is parsed. We install the chosen keypair's
 * single-keypair handler in the server context (bearssl_inside.h says why
 * that needs the context non-const), and since that also points the
 * context's policy at the new handler, the engine calls that handler for
 * the signature later on.
 */
static int choose(const br_ssl_server_policy_class **pctx,
                  const br_ssl_server_context *cc,
                  br_ssl_server_choices *choices)
{
	struct tls_policy *p = (struct tls_policy *)(void *)pctx;
	br_ssl_server_context *sc = tls_inside_server(cc);
	const char *name = br_ssl_engine_get_server_name(&cc->eng);
	const br_ssl_server_policy_class **single;
	int i = tls_keyset_select(p->keys, name);
	uint16_t(*suites)[2];
	size_t n;

	if (i < 0) {
		p->no_match = 1;
		return 0;
	}
	if (tls_keyset_decode(p->keys, i, &p->err) < 0) {
		p->decode_failed = 1;
		return 0;
	}
	p->chosen = i;
	/* The engine leaves the common suites in the client's order (no
	 * BR_OPT_ENFORCE_SERVER_PREFERENCES) so that we can see its first
	 * choice; the single-keypair handler then takes the first usable
	 * suite of the order we make. */
	tls_inside_client_suites(sc, &suites, &n);
	tls_suites_order(suites, n, p->aes_hw);
	tls_policy_set_keypair(sc, &p->keys->e[i].kp);
	single = tls_inside_policy(sc);
	return (*single)->choose(single, cc, choices);
}

/* Never called: only ECDHE suites are offered, and after choose() the
 * engine's policy is the single-keypair handler, which signs. */
static uint32_t do_keyx(const br_ssl_server_policy_class **pctx,
                        unsigned char *data, size_t *len)
{
	return 0;
}

static size_t do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
                      unsigned char *data, size_t hv_len, size_t len)
{
	return 0;
}

static const br_ssl_server_policy_class policy_vtable = {
    sizeof(struct tls_policy),
    choose,
    do_keyx,
    do_sign,
};

void tls_policy_init(struct tls_policy *p, struct tls_keyset *keys)
{
	p->vtable = &policy_vtable;
	p->keys = keys;
	p->chosen = -1;
	p->aes_hw = tls_suites_aes_hw();
	p->decode_failed = 0;
	p->no_match = 0;
	p->err.msg[0] = 0;
}
