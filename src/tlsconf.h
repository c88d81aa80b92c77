/* s6-tlsd-io's TLS configuration, read once from the environment and the
 * options while still privileged: keypairs, trust anchors, ALPN. */
#ifndef TLSD_TLSCONF_H
#define TLSD_TLSCONF_H

#include "anchors.h"
#include "keyset.h"
#include "options.h"
#include "server.h"
#include "sesscache.h"

#define TLSCONF_ALPN_MAX 16
/* The longest server name a client can send (BearSSL keeps 255 bytes). */
#define TLSCONF_NAME_MAX 255

struct tlsconf {
	struct tls_keyset keys;
	struct tls_anchors anchors;
	const char *alpn[TLSCONF_ALPN_MAX];
	char alpn_buf[1024];
	struct tls_sesscache cache;
	struct tls_server_config server;
};

/* Fills c from o and the environment, and maps the session cache (an
 * unusable one is warned about and left out); on error prints one line
 * and exits 100 (usage: variables unset, bad ALPN list) or 96 (files). */
void tlsconf_load(struct tlsconf *c, const struct tlsd_options *o);

/* Splits "h2,http/1.1" into names (pointing into buf). Returns their
 * count, or -1 when a name is empty or longer than 255 bytes, or there
 * are too many. */
int tlsconf_alpn_split(const char *list, char *buf, size_t bufsize,
                       const char **names, size_t max);

#endif
