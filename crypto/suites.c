#include "suites.h"

#include <stdio.h>
#include <bearssl.h>

#include "cpu.h"

struct suite {
	uint16_t id;
	const char *name;
};

static const struct suite gcm[] = {
    {BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
     "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256"},
    {BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
     "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384"},
};

static const struct suite chapol[] = {
    {BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
     "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
     "ECDHE-RSA-CHACHA20-POLY1305"},
};

static const struct suite cbc[] = {
    {BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "ECDHE-ECDSA-AES128-SHA256"},
    {BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE-RSA-AES128-SHA256"},
    {BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, "ECDHE-ECDSA-AES256-SHA384"},
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
	return tls_cpu()->aes_ni;
}

size_t tls_suites_select(uint16_t *out, int aes_hw, int legacy)
{
	size_t n = 0;

	if (aes_hw) {
		n = append(out, n, gcm, COUNT(gcm));
		n = append(out, n, chapol, COUNT(chapol));
	} else {
		n = append(out, n, chapol, COUNT(chapol));
		n = append(out, n, gcm, COUNT(gcm));
	}
	return legacy ? append(out, n, cbc, COUNT(cbc)) : n;
}

static int is_chacha(uint16_t id)
{
	return id == BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 ||
	       id == BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;
}

/* Sort key: ChaCha20 first when the client asked for it first, then the
 * server's rank. */
static unsigned order_key(uint16_t id, int chacha_first, const uint16_t *pref,
                          size_t npref)
{
	unsigned rank = (unsigned)npref;

	for (size_t i = 0; i < npref; i++)
		if (pref[i] == id)
			rank = (unsigned)i;
	return (chacha_first && is_chacha(id) ? 0 : 0x100) + rank;
}

void tls_suites_order(uint16_t (*s)[2], size_t n, int aes_hw)
{
	uint16_t pref[TLS_SUITES_MAX];
	/* Ranks over every suite we can offer: only offered ones get here. */
	size_t npref = tls_suites_select(pref, aes_hw, 1);
	int chacha_first = n > 0 && is_chacha(s[0][0]);

	/* Insertion sort: a few dozen entries at most, and stable. */
	for (size_t i = 1; i < n; i++) {
		uint16_t cur[2] = {s[i][0], s[i][1]};
		unsigned k = order_key(cur[0], chacha_first, pref, npref);
		size_t j = i;

		for (; j > 0; j--) {
			if (order_key(s[j - 1][0], chacha_first, pref, npref) <=
			    k)
				break;
			s[j][0] = s[j - 1][0];
			s[j][1] = s[j - 1][1];
		}
		s[j][0] = cur[0];
		s[j][1] = cur[1];
	}
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

struct code_name {
	int code;
	const char *name;
};

static const struct code_name alerts[] = {
    {0, "close_notify"},
    {10, "unexpected_message"},
    {20, "bad_record_mac"},
    {22, "record_overflow"},
    {40, "handshake_failure"},
    {42, "bad_certificate"},
    {43, "unsupported_certificate"},
    {44, "certificate_revoked"},
    {45, "certificate_expired"},
    {46, "certificate_unknown"},
    {47, "illegal_parameter"},
    {48, "unknown_ca"},
    {49, "access_denied"},
    {50, "decode_error"},
    {51, "decrypt_error"},
    {70, "protocol_version"},
    {71, "insufficient_security"},
    {80, "internal_error"},
    {86, "inappropriate_fallback"},
    {90, "user_canceled"},
    {100, "no_renegotiation"},
    {109, "missing_extension"},
    {110, "unsupported_extension"},
    {112, "unrecognized_name"},
    {116, "certificate_required"},
    {120, "no_application_protocol"},
};

static const struct code_name engine_errors[] = {
    {BR_ERR_OK, "no error"},
    {BR_ERR_BAD_PARAM, "bad parameter"},
    {BR_ERR_BAD_STATE, "bad engine state"},
    {BR_ERR_UNSUPPORTED_VERSION,
     "client asked for an unsupported protocol version"},
    {BR_ERR_BAD_VERSION, "bad protocol version in a record"},
    {BR_ERR_BAD_LENGTH, "bad record length"},
    {BR_ERR_TOO_LARGE, "record too large"},
    {BR_ERR_BAD_MAC, "bad record MAC"},
    {BR_ERR_NO_RANDOM, "no entropy"},
    {BR_ERR_UNKNOWN_TYPE, "unknown record type (not TLS?)"},
    {BR_ERR_UNEXPECTED, "unexpected message"},
    {BR_ERR_BAD_CCS, "bad ChangeCipherSpec"},
    {BR_ERR_BAD_ALERT, "bad alert message"},
    {BR_ERR_BAD_HANDSHAKE, "bad handshake message"},
    {BR_ERR_OVERSIZED_ID, "oversized session id"},
    {BR_ERR_BAD_CIPHER_SUITE, "bad cipher suite"},
    {BR_ERR_BAD_COMPRESSION, "bad compression"},
    {BR_ERR_BAD_FRAGLEN, "bad fragment length"},
    {BR_ERR_BAD_SECRENEG, "bad secure renegotiation"},
    {BR_ERR_EXTRA_EXTENSION, "unexpected extension"},
    {BR_ERR_BAD_SNI, "bad server name"},
    {BR_ERR_BAD_HELLO_DONE, "bad ServerHelloDone"},
    {BR_ERR_LIMIT_EXCEEDED, "limit exceeded"},
    {BR_ERR_BAD_FINISHED, "bad Finished message"},
    {BR_ERR_RESUME_MISMATCH, "session resumption mismatch"},
    {BR_ERR_INVALID_ALGORITHM, "invalid algorithm"},
    {BR_ERR_BAD_SIGNATURE, "bad signature"},
    {BR_ERR_WRONG_KEY_USAGE, "wrong key usage"},
    {BR_ERR_NO_CLIENT_AUTH, "no client certificate"},
    {BR_ERR_IO, "I/O error"},
};

static const char *lookup(const struct code_name *t, size_t n, int code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

static const char *alert_name(int alert)
{
	const char *s = lookup(alerts, COUNT(alerts), alert);

	return s ? s : "unknown alert";
}

const char *tls_strerror(int err)
{
	static char buf[96];
	const char *s;

	if (err >= BR_ERR_SEND_FATAL_ALERT &&
	    err < BR_ERR_SEND_FATAL_ALERT + 256) {
		snprintf(buf, sizeof buf, "sent fatal alert %d (%s)",
		         err & 0xff, alert_name(err & 0xff));
		return buf;
	}
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT) {
		snprintf(buf, sizeof buf, "peer sent fatal alert %d (%s)",
		         err & 0xff, alert_name(err & 0xff));
		return buf;
	}
	s = lookup(engine_errors, COUNT(engine_errors), err);
	if (s)
		return s;
	if (err >= 32 && err < 64)
		snprintf(
		    buf, sizeof buf,
		    "client certificate validation failed (X.509 error %d)",
		    err);
	else
		snprintf(buf, sizeof buf, "TLS engine error %d", err);
	return buf;
}
