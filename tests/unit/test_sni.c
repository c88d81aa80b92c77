#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "keyset.h"

Test(sni, exact_and_case)
{
	cr_assert_eq(tls_sni_match("example.com", "example.com"), 2);
	cr_assert_eq(tls_sni_match("Example.COM", "eXample.com"), 2);
	cr_assert_eq(tls_sni_match("example.com", "www.example.com"), 0);
	cr_assert_eq(tls_sni_match("www.example.com", "example.com"), 0);
}

Test(sni, wildcard_one_label_only)
{
	cr_assert_eq(tls_sni_match("*.example.com", "foo.example.com"), 1);
	cr_assert_eq(tls_sni_match("*.example.com", "FOO.Example.Com"), 1);
	cr_assert_eq(tls_sni_match("*.example.com", "example.com"), 0);
	cr_assert_eq(tls_sni_match("*.example.com", "a.b.example.com"), 0);
	cr_assert_eq(tls_sni_match("*.example.com", ".example.com"), 0);
	cr_assert_eq(tls_sni_match("*.example.com", "*.example.com"), 0);
}

Test(sni, pattern_validity)
{
	cr_assert(tls_sni_pattern_ok("example.com"));
	cr_assert(tls_sni_pattern_ok("*.example.com"));
	cr_assert(tls_sni_pattern_ok("localhost"));
	cr_assert_not(tls_sni_pattern_ok("*.com"));
	cr_assert_not(tls_sni_pattern_ok("*"));
	cr_assert_not(tls_sni_pattern_ok(""));
	cr_assert_not(tls_sni_pattern_ok("foo.*.com"));
	cr_assert_not(tls_sni_pattern_ok("*foo.example.com"));
	cr_assert_not(tls_sni_pattern_ok("*.example.com."));
}

/* A keyset of entries whose files exist (any file will do: selection
 * reads but does not decode). */
static void add(struct tls_keyset *ks, const char *name)
{
	struct tls_err e;

	cr_assert_eq(tls_keyset_add(ks, name, "/dev/null", "/dev/null", &e), 0,
	             "%s", e.msg);
}

static struct tls_keyset sample(unsigned snilevel)
{
	struct tls_keyset ks;

	tls_keyset_init(&ks, snilevel);
	add(&ks, NULL);              /* 0: default */
	add(&ks, "*.example.com");   /* 1 */
	add(&ks, "www.example.com"); /* 2 */
	add(&ks, "other.org");       /* 3 */
	return ks;
}

Test(sni, select_level1)
{
	struct tls_keyset ks = sample(1);

	cr_assert_eq(tls_keyset_select(&ks, "www.example.com"), 2);
	cr_assert_eq(tls_keyset_select(&ks, "WWW.example.com"), 2);
	cr_assert_eq(tls_keyset_select(&ks, "mail.example.com"), 1);
	cr_assert_eq(tls_keyset_select(&ks, "other.org"), 3);
	cr_assert_eq(tls_keyset_select(&ks, "unknown.net"), 0);
	cr_assert_eq(tls_keyset_select(&ks, NULL), 0);
	cr_assert_eq(tls_keyset_select(&ks, ""), 0);
	tls_keyset_free(&ks);
}

Test(sni, select_level0_ignores_names)
{
	struct tls_keyset ks = sample(0);

	cr_assert_eq(tls_keyset_select(&ks, "www.example.com"), 0);
	tls_keyset_free(&ks);
}

Test(sni, select_level2_no_default)
{
	struct tls_keyset ks = sample(2);

	cr_assert_eq(tls_keyset_select(&ks, "mail.example.com"), 1);
	cr_assert_eq(tls_keyset_select(&ks, "unknown.net"), -1);
	cr_assert_eq(tls_keyset_select(&ks, NULL), -1);
	tls_keyset_free(&ks);
}

Test(sni, add_errors)
{
	struct tls_keyset ks;
	struct tls_err e;

	tls_keyset_init(&ks, 1);
	cr_assert_eq(tls_keyset_add(&ks, "*.com", "/dev/null", "/dev/null", &e),
	             -1);
	cr_assert(strstr(e.msg, "*.com"));
	cr_assert_eq(
	    tls_keyset_add(&ks, "a.org", "/nonexistent/k", "/dev/null", &e),
	    -1);
	cr_assert(strstr(e.msg, "/nonexistent/k"));
	cr_assert_eq(ks.n, 0);
	tls_keyset_free(&ks);
}
