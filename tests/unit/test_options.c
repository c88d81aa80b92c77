#include <criterion/criterion.h>

#include "options.h"

#define ARGV(...) ((char *[]){"prog", __VA_ARGS__, NULL})

static int parse(char **argv, int argc, struct tlsd_options *o,
                 enum options_program p, const char **err)
{
	return options_parse(argc, argv, o, p, err);
}

Test(options, defaults)
{
	char **a = ARGV("3", "4");
	struct tlsd_options o;
	const char *err = NULL;

	cr_assert_eq(parse(a, 3, &o, OPTIONS_TLSD_IO, &err), 1);
	cr_assert_eq(o.verbosity, 1);
	cr_assert_eq(o.notif_fd, -1);
	cr_assert_eq(o.close_notify, 0);
	cr_assert_eq(o.enforce_close_notify, 0);
	cr_assert_eq(o.kimeout, 0);
	cr_assert_eq(o.legacy_suites, 0);
	cr_assert_eq(o.fork_io, 0);
}

Test(options, legacy_suites)
{
	char **a = ARGV("--legacy-suites", "--", "3", "4");
	struct tlsd_options o;
	const char *err = NULL;

	for (int p = OPTIONS_TLSD_IO; p <= OPTIONS_TLSD; p++) {
		cr_assert_eq(parse(a, 5, &o, (enum options_program)p, &err), 3);
		cr_assert_eq(o.legacy_suites, 1);
	}
}

Test(options, fork_io_is_s6_tlsd_only)
{
	char **a = ARGV("--fork-io", "prog");
	char **b = ARGV("--fork-io", "3", "4");
	struct tlsd_options o;
	const char *err = NULL;

	cr_assert_eq(parse(a, 3, &o, OPTIONS_TLSD, &err), 2);
	cr_assert_eq(o.fork_io, 1);
	cr_assert_eq(parse(b, 4, &o, OPTIONS_TLSD_IO, &err), -1);
	cr_assert_str_eq(err, "unknown or incomplete option: --fork-io");
}

Test(options, short_and_last_wins)
{
	char **a = ARGV("-S", "-J", "-s", "-v", "3", "-K", "250", "-d5", "--",
	                "3", "4");
	struct tlsd_options o;
	const char *err = NULL;

	cr_assert_eq(parse(a, 12, &o, OPTIONS_TLSD_IO, &err), 10);
	cr_assert_eq(o.close_notify, 0);
	cr_assert_eq(o.enforce_close_notify, 1);
	cr_assert_eq(o.verbosity, 3);
	cr_assert_eq(o.kimeout, 250);
	cr_assert_eq(o.notif_fd, 5);
}

Test(options, long_forms)
{
	char **a =
	    ARGV("--close-notify", "--enforce-close-notify", "--verbosity=0",
	         "--handshake-timeout=1000", "--notification-fd=7",
	         "--mandatory-sni", "--mandatory-client-cert", "3", "4");
	struct tlsd_options o;
	const char *err = NULL;

	cr_assert_eq(parse(a, 10, &o, OPTIONS_TLSD_IO, &err), 8);
	cr_assert_eq(o.close_notify, 1);
	cr_assert_eq(o.enforce_close_notify, 1);
	cr_assert_eq(o.verbosity, 0);
	cr_assert_eq(o.kimeout, 1000);
	cr_assert_eq(o.notif_fd, 7);
	cr_assert_eq(o.snilevel, 2);
	cr_assert_eq(o.client_cert, 2);
}

Test(options, stops_at_first_operand)
{
	char **a = ARGV("-Z", "prog", "-S", "x");
	struct tlsd_options o;
	const char *err = NULL;

	cr_assert_eq(parse(a, 5, &o, OPTIONS_TLSD, &err), 2);
	cr_assert_eq(o.keep_env, 1);
	cr_assert_eq(o.close_notify, 0);
}

Test(options, errors)
{
	struct tlsd_options o;
	const char *err = NULL;
	char **bad_num = ARGV("-K", "12x", "3", "4");
	char **unknown = ARGV("-q", "3", "4");
	char **missing = ARGV("-v");
	char **neg = ARGV("-v", "-1", "3", "4");
	char **z_in_io = ARGV("-Z", "3", "4");
	char **d_in_tlsd = ARGV("-d", "3", "prog");

	cr_assert_eq(parse(bad_num, 4, &o, OPTIONS_TLSD_IO, &err), -1);
	cr_assert_str_eq(err, "invalid number for -K: 12x");
	cr_assert_eq(parse(unknown, 3, &o, OPTIONS_TLSD_IO, &err), -1);
	cr_assert_str_eq(err, "unknown option: -q");
	cr_assert_eq(parse(missing, 2, &o, OPTIONS_TLSD_IO, &err), -1);
	cr_assert_str_eq(err, "option -v requires an argument");
	cr_assert_eq(parse(neg, 4, &o, OPTIONS_TLSD_IO, &err), -1);
	cr_assert_eq(parse(z_in_io, 3, &o, OPTIONS_TLSD_IO, &err), -1);
	cr_assert_eq(parse(d_in_tlsd, 3, &o, OPTIONS_TLSD, &err), -1);
}

Test(options, messages_stay_on_one_line)
{
	struct tlsd_options o;
	const char *err = NULL;
	char **ctl = ARGV("-\n", "3", "4");
	char **esc = ARGV("-K", "1\033[2J", "3", "4");
	char **lng = ARGV("--bogus\r\n", "3", "4");

	cr_assert_eq(parse(ctl, 4, &o, OPTIONS_TLSD_IO, &err), -1);
	cr_assert_null(strpbrk(err, "\n\r\033"), "%s", err);
	cr_assert_eq(parse(esc, 5, &o, OPTIONS_TLSD_IO, &err), -1);
	cr_assert_null(strpbrk(err, "\n\r\033"), "%s", err);
	cr_assert_eq(parse(lng, 4, &o, OPTIONS_TLSD_IO, &err), -1);
	cr_assert_null(strpbrk(err, "\n\r\033"), "%s", err);
}
