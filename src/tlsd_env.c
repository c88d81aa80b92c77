#include "tlsd_env.h"

#include <stdlib.h>
#include <string.h>

#include "notif.h"

static int apply_one(const char *name, const char *value, void *ctx)
{
	if (value)
		return setenv(name, value, 1) < 0 ? 1 : 0;
	unsetenv(name); /* cannot fail: the name was validated */
	return 0;
}

int tlsd_env_apply(char *block, size_t len)
{
	const char *name;

	/* Every name the block may carry, sent or not (SSL_ALPN is only sent
	 * with --alpn): a stale value from our parent never reaches prog. */
	for (size_t i = 0; (name = notif_name(i)); i++)
		unsetenv(name);
	return notif_parse(block, len, apply_one, NULL);
}

int tlsd_env_is_config(const char *entry)
{
	static const char *const exact[] = {
	    "CADIR",   "CAFILE",  "KEYFILE",           "CERTFILE",
	    "TLS_UID", "TLS_GID", "TLS_SESSION_CACHE", "TLS_SESSION_LIFETIME"};
	size_t n = strcspn(entry, "=");

	/* KEYFILE:x and CERTFILE:x, whatever x is */
	if (!strncmp(entry, "KEYFILE:", 8) || !strncmp(entry, "CERTFILE:", 9))
		return 1;
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (strlen(exact[i]) == n && !memcmp(entry, exact[i], n))
			return 1;
	return 0;
}

char **tlsd_env_for_prog(char **env, int keep)
{
	size_t n = 0, k = 0;
	char **out;

	if (keep)
		return env;
	while (env[n])
		n++;
	out = malloc((n + 1) * sizeof *out);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!tlsd_env_is_config(env[i]))
			out[k++] = env[i];
	out[k] = NULL;
	return out;
}
