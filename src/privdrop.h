/* Dropping root after the keys are read: TLS_GID and TLS_UID. */
#ifndef TLSD_PRIVDROP_H
#define TLSD_PRIVDROP_H

enum privdrop_result {
	PRIVDROP_OK,
	PRIVDROP_BAD_UID, /* TLS_UID is not a number */
	PRIVDROP_BAD_GID, /* TLS_GID is not a number */
	PRIVDROP_FAILED,  /* a system call failed: errno is set */
};

/*
 * When running as root and TLS_UID or TLS_GID is set: drops supplementary
 * groups, then sets the gid, then the uid. Does nothing when not root.
 * *what names the failed call.
 */
enum privdrop_result privdrop_from_env(const char **what);

#endif
