#include <criterion/criterion.h>
#include <bearssl.h>

#include "cpu.h"
#include "suites.h"

#define ECDSA_AES128GCM BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
#define ECDSA_AES256GCM BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
#define ECDSA_CHACHA BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
#define RSA_CHACHA BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
#define ECDSA_CBC BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA

Test(suites, offered_list_is_forward_secret_aead_first)
{
	uint16_t s[TLS_SUITES_MAX];
	size_t n = tls_suites_select(s, 1, 1);

	cr_assert_eq(n, 14);
	cr_assert_eq(s[0], ECDSA_AES128GCM);
	cr_assert_eq(s[4], ECDSA_CHACHA);
	for (size_t i = 0; i < n; i++) {
		const char *name = tls_suite_name(s[i]);

		cr_assert(name && !strncmp(name, "ECDHE-", 6), "%04x", s[i]);
		/* AEAD suites (GCM, ChaCha20) before every CBC suite */
		if (i < 6)
			cr_assert(strstr(name, "GCM") ||
			          strstr(name, "CHACHA"));
		else
			cr_assert(!strstr(name, "GCM") &&
			          !strstr(name, "CHACHA"));
	}
	n = tls_suites_select(s, 0, 1);
	cr_assert_eq(s[0], ECDSA_CHACHA, "without AES hardware");
}

Test(suites, default_list_is_aead_only)
{
	uint16_t s[TLS_SUITES_MAX];

	for (int hw = 0; hw < 2; hw++) {
		size_t n = tls_suites_select(s, hw, 0);

		cr_assert_eq(n, 6);
		cr_assert_eq(s[0], hw ? ECDSA_AES128GCM : ECDSA_CHACHA);
		for (size_t i = 0; i < n; i++) {
			const char *name = tls_suite_name(s[i]);

			cr_assert(strstr(name, "GCM") || strstr(name, "CHACHA"),
			          "%s", name);
		}
	}
}

Test(suites, openssl_names)
{
	cr_assert_str_eq(tls_suite_name(ECDSA_AES128GCM),
	                 "ECDHE-ECDSA-AES128-GCM-SHA256");
	cr_assert_str_eq(tls_suite_name(RSA_CHACHA),
	                 "ECDHE-RSA-CHACHA20-POLY1305");
	cr_assert_str_eq(tls_suite_name(ECDSA_CBC), "ECDHE-ECDSA-AES128-SHA");
	cr_assert_null(tls_suite_name(BR_TLS_RSA_WITH_AES_128_GCM_SHA256));
	cr_assert_null(tls_suite_name(BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA));
}

static void order(uint16_t (*s)[2], size_t n, int aes_hw, const uint16_t *want)
{
	tls_suites_order(s, n, aes_hw);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(s[i][0], want[i], "position %zu: %04x", i,
		             s[i][0]);
}

Test(suites, server_order_wins)
{
	uint16_t s[][2] = {
	    {ECDSA_CBC, 1}, {ECDSA_AES256GCM, 2}, {ECDSA_AES128GCM, 3}};
	const uint16_t want[] = {ECDSA_AES128GCM, ECDSA_AES256GCM, ECDSA_CBC};

	order(s, 3, 1, want);
	cr_assert_eq(s[0][1], 3, "translated half moves with the suite");
}

Test(suites, chacha_honoured_when_client_puts_it_first)
{
	uint16_t s[][2] = {
	    {ECDSA_CHACHA, 0}, {ECDSA_AES128GCM, 0}, {ECDSA_CBC, 0}};
	const uint16_t want[] = {ECDSA_CHACHA, ECDSA_AES128GCM, ECDSA_CBC};

	order(s, 3, 1, want);
}

Test(suites, chacha_not_first_when_client_prefers_aes)
{
	uint16_t s[][2] = {
	    {ECDSA_AES256GCM, 0}, {ECDSA_CHACHA, 0}, {ECDSA_AES128GCM, 0}};
	const uint16_t want[] = {ECDSA_AES128GCM, ECDSA_AES256GCM,
	                         ECDSA_CHACHA};

	order(s, 3, 1, want);
}

Test(suites, error_strings)
{
	cr_assert(strstr(tls_strerror(BR_ERR_BAD_MAC), "MAC"));
	cr_assert(strstr(tls_strerror(BR_ERR_RECV_FATAL_ALERT + 40),
	                 "handshake_failure"));
	cr_assert(strstr(tls_strerror(BR_ERR_SEND_FATAL_ALERT + 70),
	                 "protocol_version"));
	cr_assert(strstr(tls_strerror(54), "X.509"));
	cr_assert(strstr(tls_strerror(9999), "9999"));
}

/* cpu.c reads glibc's start-up answers instead of executing CPUID: they
 * must agree with BearSSL's own probes (which do execute it). */
Test(suites, cpu_features_agree_with_bearssl)
{
	const struct tls_cpu *c = tls_cpu();

	cr_assert_eq(c->aes_ni, br_aes_x86ni_ctr_get_vtable() != NULL &&
	                            br_ghash_pclmul_get() != 0);
	cr_assert_eq(c->sse2, br_chacha20_sse2_get() != 0);
	cr_assert_eq(tls_suites_aes_hw(), c->aes_ni);
	cr_assert_eq(tls_cpu(), c, "computed once");
}
