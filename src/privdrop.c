#include "privdrop.h"

#include <grp.h>
#include <stdlib.h>
#include <unistd.h>

#include "options.h"

static int env_id(const char *name, unsigned *id, int *set)
{
	const char *s = getenv(name);

	*set = s != NULL;
	return s ? options_uint(s, id) : 0;
}

enum privdrop_result privdrop_from_env(const char **what)
{
	unsigned uid = 0, gid = 0;
	int uid_set, gid_set;

	if (env_id("TLS_UID", &uid, &uid_set))
		return PRIVDROP_BAD_UID;
	if (env_id("TLS_GID", &gid, &gid_set))
		return PRIVDROP_BAD_GID;
	if (geteuid() != 0 || (!uid_set && !gid_set))
		return PRIVDROP_OK;
	/* Groups first: once the uid is gone, they cannot be changed. */
	*what = "setgroups";
	if (setgroups(0, NULL) < 0)
		return PRIVDROP_FAILED;
	*what = "setgid";
	if (gid_set && setgid((gid_t)gid) < 0)
		return PRIVDROP_FAILED;
	*what = "setuid";
	if (uid_set && setuid((uid_t)uid) < 0)
		return PRIVDROP_FAILED;
	return PRIVDROP_OK;
}
