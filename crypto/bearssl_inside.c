#include "bearssl_inside.h"

br_ssl_server_context *tls_inside_server(const br_ssl_server_context *cc)
{
	return (br_ssl_server_context *)cc;
}

void tls_inside_client_suites(br_ssl_server_context *sc, uint16_t (**s)[2],
                              size_t *n)
{
	*s = sc->client_suites;
	*n = sc->client_suites_num;
}

const br_ssl_server_policy_class **
tls_inside_policy(const br_ssl_server_context *sc)
{
	return sc->policy_vtable;
}

void tls_inside_skip_os_seeding(br_ssl_engine_context *eng)
{
	eng->rng_os_rand_done = 1;
}

void tls_inside_handshake_input(const br_ssl_engine_context *eng,
                                struct tls_inside_input *in)
{
	in->next = eng->hbuf_in;
	in->left = eng->hlen_in;
	in->buf = eng->ibuf;
	in->len = eng->ibuf_len;
}
