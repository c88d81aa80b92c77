#include "tlsconf.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "exitcodes.h"
#include "sessfile.h"

extern char **environ;

int tlsconf_alpn_split(const char *list, char *buf, size_t bufsize,
                       const char **names, size_t max)
{
	size_t n = 0;
	char *p, *save = NULL;

	if (strlen(list) >= bufsize)
		return -1;
	strcpy(buf, list);
	/* strtok_r would skip empty names: walk commas by hand. */
	for (p = buf;; p = save + 1) {
		save = strchr(p, ',');
		if (save)
			*save = 0;
		if (!*p || strlen(p) > 255 || n == max)
			return -1;
		names[n++] = p;
		if (!save)
			return (int)n;
	}
}

static void add_pair(struct tlsconf *c, const char *name, const char *key,
                     const char *cert)
{
	struct tls_err e;

	if (tls_keyset_add(&c->keys, name, key, cert, &e) < 0)
		die(EXIT_TLS_CONFIG, "%s", e.msg);
}

/*
 * An entry whose name can never match a client's (empty, longer than a DNS
 * name, a top-level wildcard, a '*' that is not the whole first label) is
 * skipped before its files are looked at: a run script written for
 * s6-networking may carry one, and it must not stop the other names.
 */
static int name_usable(const char *name, size_t len)
{
	char buf[TLSCONF_NAME_MAX + 1];

	if (!len || len > TLSCONF_NAME_MAX)
		return 0;
	memcpy(buf, name, len);
	buf[len] = 0;
	return tls_sni_pattern_ok(buf);
}

/* Every KEYFILE:x=path with its CERTFILE:x. */
static void load_named_pairs(struct tlsconf *c)
{
	for (char **ep = environ; *ep; ep++) {
		const char *name = *ep + 8, *eq = strchr(*ep, '=');
		char var[9 + TLSCONF_NAME_MAX + 1], *cert;
		size_t len;

		if (strncmp(*ep, "KEYFILE:", 8) || !eq)
			continue;
		len = (size_t)(eq - name);
		if (!name_usable(name, len)) {
			if (diag_verbosity() >= 2)
				warn("ignoring KEYFILE:%.*s: a server name "
				     "that can never match",
				     (int)(len > 200 ? 200 : len), name);
			continue;
		}
		memcpy(var, "CERTFILE:", 9);
		memcpy(var + 9, name, len);
		var[9 + len] = 0;
		cert = getenv(var);
		if (!cert)
			die(EXIT_TLS_CONFIG, "KEYFILE:%s is set but %s is not",
			    var + 9, var);
		add_pair(c, var + 9, eq + 1, cert);
	}
}

static void load_keys(struct tlsconf *c, unsigned snilevel)
{
	const char *key = getenv("KEYFILE"), *cert = getenv("CERTFILE");

	tls_keyset_init(&c->keys, snilevel);
	if (snilevel < 2) {
		if (!key)
			die(EXIT_TLS_USAGE, "KEYFILE is not set");
		if (!cert)
			die(EXIT_TLS_USAGE, "CERTFILE is not set");
		add_pair(c, NULL, key, cert);
	}
	if (snilevel)
		load_named_pairs(c);
	if (!c->keys.n)
		die(EXIT_TLS_CONFIG,
		    "no usable keypair: no KEYFILE:name variable with a "
		    "usable server name is set");
}

static void load_anchors(struct tlsconf *c, int client_auth)
{
	const char *cafile = getenv("CAFILE"), *cadir = getenv("CADIR");
	struct tls_err e;

	if (!client_auth)
		return;
	if (!cafile && !cadir)
		die(EXIT_TLS_USAGE,
		    "client certificates (-Y/-y) need CADIR or CAFILE set");
	if (tls_anchors_load(&c->anchors, cafile, cadir, &e) < 0)
		die(EXIT_TLS_CONFIG, "%s", e.msg);
}

/* --legacy-suites, or TLS_LEGACY_SUITES set to anything but "" or "0" (for
 * run scripts, where an environment variable is easier than an option). */
static int legacy_suites(const struct tlsd_options *o)
{
	const char *v = getenv("TLS_LEGACY_SUITES");

	return o->legacy_suites || (v && *v && strcmp(v, "0"));
}

void tlsconf_load(struct tlsconf *c, const struct tlsd_options *o)
{
	int n = 0;

	if (o->alpn) {
		n = tlsconf_alpn_split(o->alpn, c->alpn_buf, sizeof c->alpn_buf,
		                       c->alpn, TLSCONF_ALPN_MAX);
		if (n < 0)
			die(EXIT_TLS_USAGE, "invalid --alpn list: %s", o->alpn);
	}
	load_keys(c, o->snilevel);
	load_anchors(c, o->client_cert);
	c->server = (struct tls_server_config){
	    .keys = &c->keys,
	    .client_auth = o->client_cert,
	    .anchors = &c->anchors,
	    .alpn = c->alpn,
	    .alpn_num = (size_t)n,
	    .alpn_strict = o->alpn_strict,
	    .legacy_suites = legacy_suites(o),
	    .cache = sessfile_open(&c->cache),
	};
}
