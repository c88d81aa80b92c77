/* The environment s6-tlsd gives prog. */
#ifndef TLSD_TLSD_ENV_H
#define TLSD_TLSD_ENV_H

#include <stddef.h>

/*
 * Applies a notification block to the process environment: every name a
 * block may carry is first removed, then NAME=value entries are set. The
 * block is validated whole before anything is set. Returns 0, a notif_parse
 * error code (see notif.h), or 1 if setenv failed (errno set).
 */
int tlsd_env_apply(char *block, size_t len);

/* Whether the environment entry "NAME=value" is TLS configuration that
 * -z keeps from prog: CADIR, CAFILE, KEYFILE, CERTFILE, KEYFILE:x,
 * CERTFILE:x, TLS_UID, TLS_GID. */
int tlsd_env_is_config(const char *entry);

/*
 * The environment for prog: env itself with keep set (-Z), else a new
 * array (malloc'd; NULL if that fails) without the configuration entries.
 */
char **tlsd_env_for_prog(char **env, int keep);

#endif
