/* src/nolibc against glibc: the same calls, the same answers. */
/* truncation is what some cases test */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "getopt_trace.h"
#include "rt.h"

#define FMT(...)                                                               \
	do {                                                                   \
		char a[256], b[256], sa[5], sb[5];                             \
		int na = snprintf(a, sizeof a, __VA_ARGS__);                   \
		int nb = rt_snprintf(b, sizeof b, __VA_ARGS__);                \
		cr_assert_eq(na, nb, "%s: %d vs %d", #__VA_ARGS__, na, nb);    \
		cr_assert_str_eq(a, b, "%s", #__VA_ARGS__);                    \
		snprintf(sa, sizeof sa, __VA_ARGS__);                          \
		rt_snprintf(sb, sizeof sb, __VA_ARGS__);                       \
		cr_assert_str_eq(sa, sb, "truncated %s", #__VA_ARGS__);        \
	} while (0)

Test(rt, format)
{
	FMT("plain");
	FMT("%s|%5s|%-5s|%.2s|%.*s|%c|%%", "abc", "ab", "ab", "abc", 1, "xy",
	    'q');
	FMT("%d %i %d %5d %-5d| %05d %+d % d %.3d", 0, -1, INT_MIN, 42, 42, -42,
	    7, 7, 5);
	FMT("%u %x %X %o %#x %#o %08x %lx", 0u, 255u, 255u, 8u, 255u, 8u,
	    0xbeefu, 0xffffffffffUL);
	FMT("%ld %lld %llu %zu %zd %jd", LONG_MIN, LLONG_MAX, ULLONG_MAX,
	    (size_t)SIZE_MAX, (ssize_t)-3, (intmax_t)-9);
	FMT("%hhd %hd %hhu %hu", 300, 70000, 300, 70000);
	FMT("%.3f %.3f %.3f %.0f %.1f %f %8.2f %-8.2f|", 0.0, 1.2345, 999.9996,
	    2.5, -0.05, 3.14159, 2.0, -2.0);
	FMT("%04o %.0d|%*d|%-*d|", 0644, 0, 4, 1, -4, 2);
	FMT("%s", "");
	FMT("%.3f %.3f %.2f %.0f %.0f", 12.0625, 0.0005, 0.125, 0.5, 1.5);
}

Test(rt, asprintf)
{
	char *p = NULL;

	cr_assert_eq(rt_asprintf(&p, "%s/%s%d", "dir", "name", 12), 10);
	cr_assert_str_eq(p, "dir/name12");
	rt_free(p);
}

Test(rt, strtoul)
{
	static const char *in[] = {"0",
	                           "42",
	                           "  17x",
	                           "+5",
	                           "-1",
	                           "",
	                           "x",
	                           "0x1f",
	                           "0x",
	                           "010",
	                           "18446744073709551615",
	                           "18446744073709551616",
	                           "99999999999999999999999",
	                           "12 ",
	                           "\t9"};
	static const int bases[] = {10, 0, 16};

	for (size_t i = 0; i < sizeof in / sizeof *in; i++)
		for (size_t b = 0; b < 3; b++) {
			char *ea, *eb;
			unsigned long va, vb;
			int xa, xb;

			errno = 0;
			va = strtoul(in[i], &ea, bases[b]);
			xa = errno;
			errno = 0;
			vb = rt_strtoul(in[i], &eb, bases[b]);
			xb = errno;
			cr_assert_eq(va, vb, "\"%s\" base %d", in[i], bases[b]);
			cr_assert_eq(ea, eb, "\"%s\" base %d end", in[i],
			             bases[b]);
			cr_assert_eq(xa, xb, "\"%s\" base %d errno", in[i],
			             bases[b]);
		}
}

#define ARGV(...) ((char *[]){"prog", __VA_ARGS__, NULL})

Test(rt, getopt_long)
{
	char **cases[] = {
	    ARGV("-S", "prog"),
	    ARGV("-Ssv3", "-k", "2", "x", "-S"),
	    ARGV("--close-notify", "--verbosity=4", "--verbosity", "5", "--",
	         "a"),
	    ARGV("--sni", "--sni-l", "7", "--sn", "--fork", "x"),
	    ARGV("--no-k", "--k", "--nope", "a"),
	    ARGV("--close-notify=1", "x"),
	    ARGV("-v"),
	    ARGV("--verbosity"),
	    ARGV("-x", "-Sx", "-:", "y"),
	    ARGV("-", "-S"),
	    ARGV("-vv", "-k"),
	    ARGV("-S\xff", "-\x80"), /* optopt: a signed char, as glibc */
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char a[512], b[512];
		int argc = 0;

		while (cases[i][argc])
			argc++;
		getopt_trace(1, argc, cases[i], a, sizeof a);
		getopt_trace(0, argc, cases[i], b, sizeof b);
		cr_assert_str_eq(a, b, "case %zu", i);
	}
}

Test(rt, texts)
{
	for (int e = 0; e < 140; e++) {
		char a[64];

		snprintf(a, sizeof a, "%s", strerror(e));
		cr_assert_str_eq(a, rt_strerror(e), "errno %d", e);
	}
	for (int s = 1; s < 70; s++) {
		char a[64];

		snprintf(a, sizeof a, "%s", strsignal(s));
		cr_assert_str_eq(a, rt_strsignal(s), "signal %d", s);
	}
}

Test(rt, strings)
{
	char buf[64], ref[64];
	const char *h = "abcabcabd";

	cr_assert_eq(rt_memmem(h, 9, "abd", 3), h + 6);
	cr_assert_eq(rt_memmem(h, 9, "abe", 3), NULL);
	cr_assert_eq(rt_memmem(h, 2, "abc", 3), NULL);
	cr_assert_eq(rt_memmem(h, 9, "", 0), h);
	cr_assert_eq(rt_strcasecmp("WWW.Example", "www.example"), 0);
	cr_assert_lt(rt_strcasecmp("a", "B"), 0);
	cr_assert_eq(rt_strcspn("key=val", "=:"), 3);
	cr_assert_str_eq(rt_strrchr("/a/b", '/'), "/b");
	cr_assert_eq(rt_strchr("ab", 0)[0], 0);
	cr_assert_eq(rt_strncmp("abc", "abd", 2), 0);
	cr_assert_gt(rt_strcmp("b", "a"), 0);
	cr_assert_lt(rt_memcmp("\x01", "\xff", 1), 0);
	for (size_t off = 0; off < 9; off++)
		for (size_t len = 0; len + off < 40; len += 3) {
			for (size_t i = 0; i < sizeof buf; i++)
				buf[i] = ref[i] = (char)i;
			memmove(ref + off, ref + 5, len);
			rt_memmove(buf + off, buf + 5, len);
			cr_assert_arr_eq(buf, ref, sizeof buf);
			memset(ref + off, 0xa5, len);
			rt_memset(buf + off, 0xa5, len);
			cr_assert_arr_eq(buf, ref, sizeof buf);
		}
}

Test(rt, malloc)
{
	enum { N = 400 };
	unsigned char *p[N] = {0};
	size_t len[N] = {0};
	unsigned seed = 1;

	for (int round = 0; round < 20000; round++) {
		int i = (int)((seed = seed * 1103515245 + 12345) >> 8) % N;
		size_t n = ((seed >> 4) % 5 == 0) ? (seed >> 3) % 200000
		                                  : (seed >> 3) % 300;

		for (size_t k = 0; k < len[i]; k++)
			cr_assert_eq(p[i][k], (unsigned char)(i + k),
			             "block %d", i);
		if (round % 3 == 0) {
			rt_free(p[i]);
			p[i] = NULL, len[i] = 0;
			continue;
		}
		p[i] = rt_realloc(p[i], n ? n : 1);
		cr_assert_not_null(p[i]);
		cr_assert_eq((uintptr_t)p[i] % 16, 0);
		for (size_t k = len[i]; k < n; k++)
			p[i][k] = (unsigned char)(i + k);
		len[i] = n;
	}
	{
		unsigned char *z = rt_calloc(1000, 3);

		for (int k = 0; k < 3000; k++)
			cr_assert_eq(z[k], 0);
		rt_free(z);
		cr_assert_null(rt_calloc(SIZE_MAX / 2, 4));
		cr_assert_null(rt_reallocarray(NULL, SIZE_MAX / 2, 4));
	}
	for (int i = 0; i < N; i++)
		rt_free(p[i]);
	p[0] = rt_malloc(3 << 20); /* a mapping of its own */
	memset(p[0], 1, 3 << 20);
	rt_free(p[0]);
}

Test(rt, environment)
{
	char *init[] = {"A=1", "PATH=/bin", "A=2", NULL};

	rt_environ = init;
	cr_assert_str_eq(rt_getenv("A"), "1");
	cr_assert_null(rt_getenv("PAT"));
	cr_assert_null(rt_getenv("A=1"));
	cr_assert_eq(rt_setenv("B", "x", 1), 0);
	cr_assert_eq(rt_setenv("A", "9", 0), 0);
	cr_assert_str_eq(rt_getenv("A"), "1");
	cr_assert_eq(rt_setenv("A", "9", 1), 0);
	cr_assert_str_eq(rt_getenv("A"), "9");
	cr_assert_eq(rt_unsetenv("A"), 0);
	cr_assert_null(rt_getenv("A")); /* both copies are gone */
	cr_assert_str_eq(rt_getenv("B"), "x");
	cr_assert_str_eq(rt_getenv("PATH"), "/bin");
	cr_assert_eq(rt_setenv("", "x", 1), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(rt_setenv("C=D", "x", 1), -1);
	cr_assert_eq(rt_unsetenv("C=D"), -1);
}

static int not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static char *tmpdir(void)
{
	static char t[] = "/tmp/test_rt.XXXXXX";

	cr_assert_not_null(mkdtemp(t));
	return t;
}

static void touch(const char *dir, const char *name, const char *text,
                  mode_t mode)
{
	char p[256];
	int fd;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

Test(rt, scandir)
{
	char *d = tmpdir();
	struct dirent **a, **b;
	int na, nb;
	char name[32];

	for (int i = 0; i < 150; i++) {
		snprintf(name, sizeof name, "f%03d.pem", (i * 37) % 150);
		touch(d, name, "", 0600);
	}
	touch(d, ".hidden", "", 0600);
	na = scandir(d, &a, not_dot, alphasort);
	nb = rt_scandir(d, &b, not_dot, rt_alphasort);
	cr_assert_eq(na, 150);
	cr_assert_eq(na, nb);
	for (int i = 0; i < na; i++) {
		cr_assert_str_eq(a[i]->d_name, b[i]->d_name);
		free(a[i]);
		rt_free(b[i]);
	}
	free(a);
	rt_free(b);
	errno = 0;
	cr_assert_eq(rt_scandir("/nonexistent/dir", &b, NULL, NULL), -1);
	cr_assert_eq(errno, ENOENT);
}

/* runs rt_execvpe in a child: its exit status, or 200 + errno */
static int run(const char *file, char *path)
{
	pid_t p = fork();
	int st;

	if (!p) {
		char *argv[] = {(char *)file, "arg1", NULL};
		char *env[] = {path, NULL};

		rt_environ = env;
		rt_execvpe(file, argv, env);
		_exit(200 + errno);
	}
	cr_assert_eq(waitpid(p, &st, 0), p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(rt, execvpe)
{
	char *d = tmpdir();
	char path[300];

	touch(d, "noshebang", "test \"$1\" = arg1 && exit 7\nexit 8\n", 0755);
	touch(d, "locked", "exit 9\n", 0644);
	snprintf(path, sizeof path, "PATH=/nonexistent:%s", d);
	cr_assert_eq(run("noshebang", path), 7);
	cr_assert_eq(run("locked", path), 200 + EACCES);
	cr_assert_eq(run("absent", path), 200 + ENOENT);
	cr_assert_eq(run("true", "PATH=/nonexistent:/usr/bin:/bin"), 0);
	cr_assert_eq(run("true", "NOPATH=1"), 0); /* default /bin:/usr/bin */
	cr_assert_eq(run("", path), 200 + ENOENT);
	snprintf(path, sizeof path, "%s/noshebang", d);
	cr_assert_eq(run(path, "PATH="), 7);
}
