#include "keyset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void tls_keyset_init(struct tls_keyset *ks, unsigned snilevel)
{
	ks->e = NULL;
	ks->n = 0;
	ks->snilevel = snilevel;
}

int tls_sni_pattern_ok(const char *name)
{
	const char *rest;

	if (!*name)
		return 0;
	if (name[0] != '*')
		return strchr(name, '*') == NULL;
	/* "*.example.com": the star is the first label, and at least two
	 * labels follow, so "*.com" (a top-level wildcard) is refused. */
	if (name[1] != '.')
		return 0;
	rest = name + 2;
	return *rest && !strchr(rest, '*') && strchr(rest, '.') &&
	       rest[strlen(rest) - 1] != '.';
}

int tls_sni_match(const char *pattern, const char *name)
{
	const char *dot;

	if (!strcasecmp(pattern, name))
		return pattern[0] == '*' ? 0 : 2;
	if (pattern[0] != '*' || pattern[1] != '.')
		return 0;
	dot = strchr(name, '.');
	if (!dot || dot == name)
		return 0;
	return !strcasecmp(dot + 1, pattern + 2) ? 1 : 0;
}

int tls_keyset_add(struct tls_keyset *ks, const char *name, const char *keyfile,
                   const char *certfile, struct tls_err *e)
{
	struct tls_keyset_entry *n, *grown;

	if (name && !tls_sni_pattern_ok(name)) {
		snprintf(e->msg, sizeof e->msg,
		         "KEYFILE:%.200s: not a valid server name pattern",
		         name);
		return -1;
	}
	grown = realloc(ks->e, (ks->n + 1) * sizeof *ks->e);
	if (!grown) {
		snprintf(e->msg, sizeof e->msg, "out of memory");
		return -1;
	}
	ks->e = grown;
	n = &ks->e[ks->n];
	memset(n, 0, sizeof *n);
	if (blob_read(&n->key, keyfile, e) < 0)
		return -1;
	if (blob_read(&n->cert, certfile, e) < 0) {
		blob_free(&n->key);
		return -1;
	}
	n->name = name ? strdup(name) : NULL;
	ks->n++;
	return 0;
}

int tls_keyset_select(const struct tls_keyset *ks, const char *servername)
{
	int best = -1, best_score = 0, dflt = -1;

	for (size_t i = 0; i < ks->n; i++) {
		int score;

		if (!ks->e[i].name) {
			dflt = (int)i;
			continue;
		}
		if (!ks->snilevel || !servername || !*servername)
			continue;
		score = tls_sni_match(ks->e[i].name, servername);
		if (score > best_score) {
			best = (int)i;
			best_score = score;
		}
	}
	if (best >= 0)
		return best;
	return ks->snilevel >= 2 ? -1 : dflt;
}

int tls_keyset_decode(struct tls_keyset *ks, int i, struct tls_err *e)
{
	struct tls_keyset_entry *n = &ks->e[i];

	if (n->decoded)
		return 0;
	if (keypair_decode(&n->kp, &n->key, &n->cert, e) < 0)
		return -1;
	n->decoded = 1;
	return 0;
}

void tls_keyset_free(struct tls_keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++) {
		struct tls_keyset_entry *n = &ks->e[i];

		if (n->decoded)
			keypair_free(&n->kp);
		blob_free(&n->key);
		blob_free(&n->cert);
		free(n->name);
	}
	free(ks->e);
	ks->e = NULL;
	ks->n = 0;
}
