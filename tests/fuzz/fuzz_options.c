/*
 * fuzz_options: options_parse (src/options.c) on an argv made from the
 * input, and tlsconf_alpn_split (src/tlsconf.c) on the --alpn list it
 * finds.
 *
 * Byte 0, bit 0: which program (s6-tlsd-io or s6-tlsd). The rest is split
 * on NUL bytes into arguments, after argv[0]. Each argument is its own
 * allocation, so ASan sees any read past one.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "options.h"
#include "tlsconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

static void check_alpn(const char *list)
{
	const char *names[TLSCONF_ALPN_MAX];
	char buf[1024], join[1024];
	size_t pos = 0;
	int n =
	    tlsconf_alpn_split(list, buf, sizeof buf, names, TLSCONF_ALPN_MAX);

	FUZZ_CHECK(n == -1 || (n >= 1 && n <= TLSCONF_ALPN_MAX), "%d", n);
	if (n < 0)
		return;
	/* Names are 1..255 bytes without commas; joined, they are list. */
	for (int i = 0; i < n; i++) {
		size_t l = strlen(names[i]);

		FUZZ_CHECK(names[i] >= buf && names[i] < buf + sizeof buf,
		           "name outside the buffer");
		FUZZ_CHECK(l >= 1 && l <= 255 && !strchr(names[i], ','),
		           "bad name %s", names[i]);
		FUZZ_CHECK(pos + l + 1 <= sizeof join, "too long");
		if (i)
			join[pos++] = ',';
		memcpy(join + pos, names[i], l);
		pos += l;
	}
	join[pos] = 0;
	FUZZ_CHECK(!strcmp(join, list), "split and joined: %s", join);
}

static void check_options(const struct tlsd_options *o, int argc, char **argv,
                          enum options_program prog)
{
	FUZZ_CHECK(o->close_notify == 0 || o->close_notify == 1, "-S/-s");
	FUZZ_CHECK(o->enforce_close_notify == 0 || o->enforce_close_notify == 1,
	           "-J/-j");
	FUZZ_CHECK(o->client_cert >= 0 && o->client_cert <= 2, "-Y/-y");
	FUZZ_CHECK(o->keep_env == 0 || o->keep_env == 1, "-Z/-z");
	FUZZ_CHECK(o->alpn_strict == 0 || o->alpn_strict == 1, "strict");
	FUZZ_CHECK(o->legacy_suites == 0 || o->legacy_suites == 1, "legacy");
	FUZZ_CHECK(o->notif_fd >= -1, "-d %d", o->notif_fd);
	if (prog == OPTIONS_TLSD)
		FUZZ_CHECK(o->notif_fd == -1, "s6-tlsd took -d");
	else
		FUZZ_CHECK(!o->keep_env, "s6-tlsd-io took -Z");
	if (o->alpn) {
		int found = 0;

		/* --alpn=LIST or --alpn LIST: inside one of the arguments */
		for (int i = 1; i < argc; i++)
			if (o->alpn >= argv[i] &&
			    o->alpn <= argv[i] + strlen(argv[i]))
				found = 1;
		FUZZ_CHECK(found, "--alpn value outside argv");
		check_alpn(o->alpn);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *save[MAX_ARGS + 2];
	enum options_program prog;
	struct tlsd_options o, o2;
	const char *err = NULL, *err2 = NULL;
	int argc = 1, i, i2;
	size_t p;

	if (!size)
		return 0;
	prog = data[0] & 1 ? OPTIONS_TLSD : OPTIONS_TLSD_IO;
	argv[0] = strdup(prog == OPTIONS_TLSD ? "s6-tlsd" : "s6-tlsd-io");
	for (p = 1; p < size && argc < MAX_ARGS;) {
		const uint8_t *z = memchr(data + p, 0, size - p);
		size_t l = z ? (size_t)(z - (data + p)) : size - p;

		argv[argc] = malloc(l + 1);
		FUZZ_CHECK(argv[argc], "malloc");
		memcpy(argv[argc], data + p, l);
		argv[argc++][l] = 0;
		p += l + 1;
	}
	argv[argc] = NULL;
	memcpy(save, argv, sizeof argv);

	i = options_parse(argc, argv, &o, prog, &err);
	FUZZ_CHECK(i == -1 || (i >= 1 && i <= argc), "returned %d of %d", i,
	           argc);
	for (int k = 0; k <= argc; k++)
		FUZZ_CHECK(argv[k] == save[k], "argv permuted");
	if (i < 0) {
		FUZZ_CHECK(err && *err && strlen(err) < 160, "bad message");
		/* one line, no terminal escapes, whatever was typed */
		for (const char *c = err; *c; c++)
			FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f,
			           "control character in: %s", err);
	} else {
		check_options(&o, argc, argv, prog);
		/* Parsing stopped at an operand, or after "--". */
		if (i < argc)
			FUZZ_CHECK(!strcmp(argv[i - 1], "--") ||
			               argv[i][0] != '-' ||
			               !strcmp(argv[i], "-"),
			           "stopped at %s", argv[i]);
	}
	/* Parsing again gives the same answer (getopt's state is reset). */
	i2 = options_parse(argc, argv, &o2, prog, &err2);
	FUZZ_CHECK(i2 == i, "second parse: %d, first %d", i2, i);
	if (i >= 0)
		FUZZ_CHECK(!memcmp(&o, &o2, sizeof o), "second parse differs");
	else
		FUZZ_CHECK(!strcmp(err, err2), "second message differs");

	for (int k = 0; k < argc; k++)
		free(argv[k]);
	return 0;
}
