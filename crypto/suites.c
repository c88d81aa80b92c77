#include "suites.h"

#include <stdio.h>
#include <bearssl.h>

struct suite {
	uint16_t id;
	const char *name;
};

static const struct suite gcm[] = {
	{BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	 "ECDHE-ECDSA-AES128-GCM-SHA256"},
	{BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	 "ECDHE-RSA-AES128-GCM-SHA256"},
	{BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	 "ECDHE-ECDSA-AES256-GCM-SHA384"},
	{BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	 "ECDHE-RSA-AES256-GCM-SHA384"},
};

static const struct suite chapol[] = {
	{BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	 "ECDHE-ECDSA-CHACHA20-POLY1305"},
	{BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	 "ECDHE-RSA-CHACHA20-POLY1305"},
};

static const struct suite cbc[] = {
	{BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	 "ECDHE-ECDSA-AES128-SHA256"},
	{BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE-RSA-AES128-SHA256"},
	{BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
	 "ECDHE-ECDSA-AES256-SHA384"},
	{BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, "ECDHE-RSA-AES256-SHA384"},
	{BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE-ECDSA-AES128-SHA"},
	{BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE-RSA-AES128-SHA"},
	{BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE-ECDSA-AES256-SHA"},
	{BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE-RSA-AES256-SHA"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static size_t append(uint16_t *out, size_t n, const struct suite *s,
		     size_t count)
{
	for (size_t i = 0; i < count; i++)
		out[n++] = s[i].id;
	return n;
}

int tls_suites_aes_hw(void)
{
	/* The same tests BearSSL's own defaults make for its GCM code. */
	return br_aes_x86ni_ctr_get_vtable() != NULL &&
	       br_ghash_pclmul_get() != 0;
}

size_t tls_suites_select(uint16_t *out, int aes_hw)
{
	size_t n = 0;

	if (aes_hw) {
		n = append(out, n, gcm, COUNT(gcm));
		n = append(out, n, chapol, COUNT(chapol));
	} else {
		n = append(out, n, chapol, COUNT(chapol));
		n = append(out, n, gcm, COUNT(gcm));
	}
	return append(out, n, cbc, COUNT(cbc));
}

static const char *find(const struct suite *s, size_t count, uint16_t id)
{
	for (size_t i = 0; i < count; i++)
		if (s[i].id == id)
			return s[i].name;
	return NULL;
}

const char *tls_suite_name(uint16_t id)
{
	const char *name = find(gcm, COUNT(gcm), id);

	if (!name)
		name = find(chapol, COUNT(chapol), id);
	if (!name)
		name = find(cbc, COUNT(cbc), id);
	return name;
}

static const char *alert_name(int alert)
{
	switch (alert) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	}
	return "unknown alert";
}

static const char *engine_error(int err)
{
	switch (err) {
	case BR_ERR_OK: return "no error";
	case BR_ERR_BAD_PARAM: return "bad parameter";
	case BR_ERR_BAD_STATE: return "bad engine state";
	case BR_ERR_UNSUPPORTED_VERSION:
		return "client asked for an unsupported protocol version";
	case BR_ERR_BAD_VERSION: return "bad protocol version in a record";
	case BR_ERR_BAD_LENGTH: return "bad record length";
	case BR_ERR_TOO_LARGE: return "record too large";
	case BR_ERR_BAD_MAC: return "bad record MAC";
	case BR_ERR_NO_RANDOM: return "no entropy";
	case BR_ERR_UNKNOWN_TYPE: return "unknown record type (not TLS?)";
	case BR_ERR_UNEXPECTED: return "unexpected message";
	case BR_ERR_BAD_CCS: return "bad ChangeCipherSpec";
	case BR_ERR_BAD_ALERT: return "bad alert message";
	case BR_ERR_BAD_HANDSHAKE: return "bad handshake message";
	case BR_ERR_OVERSIZED_ID: return "oversized session id";
	case BR_ERR_BAD_CIPHER_SUITE: return "bad cipher suite";
	case BR_ERR_BAD_COMPRESSION: return "bad compression";
	case BR_ERR_BAD_FRAGLEN: return "bad fragment length";
	case BR_ERR_BAD_SECRENEG: return "bad secure renegotiation";
	case BR_ERR_EXTRA_EXTENSION: return "unexpected extension";
	case BR_ERR_BAD_SNI: return "bad server name";
	case BR_ERR_BAD_HELLO_DONE: return "bad ServerHelloDone";
	case BR_ERR_LIMIT_EXCEEDED: return "limit exceeded";
	case BR_ERR_BAD_FINISHED: return "bad Finished message";
	case BR_ERR_RESUME_MISMATCH: return "session resumption mismatch";
	case BR_ERR_INVALID_ALGORITHM: return "invalid algorithm";
	case BR_ERR_BAD_SIGNATURE: return "bad signature";
	case BR_ERR_WRONG_KEY_USAGE: return "wrong key usage";
	case BR_ERR_NO_CLIENT_AUTH: return "no client certificate";
	case BR_ERR_IO: return "I/O error";
	}
	return NULL;
}

const char *tls_strerror(int err)
{
	static char buf[96];
	const char *s;

	if (err >= BR_ERR_SEND_FATAL_ALERT) {
		snprintf(buf, sizeof buf, "sent fatal alert %d (%s)",
			 err & 0xff, alert_name(err & 0xff));
		return buf;
	}
	if (err >= BR_ERR_RECV_FATAL_ALERT) {
		snprintf(buf, sizeof buf, "peer sent fatal alert %d (%s)",
			 err & 0xff, alert_name(err & 0xff));
		return buf;
	}
	s = engine_error(err);
	if (s)
		return s;
	if (err >= 32 && err < 64)
		snprintf(buf, sizeof buf,
			 "client certificate validation failed (X.509 error %d)",
			 err);
	else
		snprintf(buf, sizeof buf, "TLS engine error %d", err);
	return buf;
}
