/* vsnprintf for the conversions the programs use: d i u x X o c s p %
 * and f, with the flags - 0 + space #, a width and a precision (numbers
 * or *), and the length modifiers hh h l ll z j t. C99's contract: the
 * result is the length the whole output would have. */
#include "rt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++)
		if (o->len + 1 < o->cap)
			o->buf[o->len] = s[i];
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, &c, 1);
}

struct spec {
	int left, zero, plus, space, alt, width, prec;
};

/* sign or prefix, zeros up to the precision, digits, padded to width */
static void field(struct out *o, const struct spec *sp, const char *pre,
                  const char *dig, int nd)
{
	int np = (int)RT(strlen)(pre);
	int zeros = sp->prec > nd ? sp->prec - nd : 0;
	int total = np + zeros + nd;
	int fill = sp->width > total ? sp->width - total : 0;

	if (sp->zero && !sp->left && sp->prec < 0)
		zeros += fill, fill = 0;
	if (!sp->left)
		pad(o, ' ', fill);
	put(o, pre, (size_t)np);
	pad(o, '0', zeros);
	put(o, dig, (size_t)nd);
	if (sp->left)
		pad(o, ' ', fill);
}

static int utoa(char *end, uintmax_t v, unsigned base, int upper)
{
	const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do
		end[-++n] = d[v % base];
	while (v /= base);
	return n;
}

static void integer(struct out *o, struct spec *sp, char conv, uintmax_t u,
                    int neg)
{
	char tmp[32], *end = tmp + sizeof tmp;
	unsigned base = conv == 'o'                    ? 8
	                : (conv == 'x' || conv == 'X') ? 16
	                                               : 10;
	int nd =
	    (u == 0 && sp->prec == 0) ? 0 : utoa(end, u, base, conv == 'X');
	const char *pre = neg ? "-" : sp->plus ? "+" : sp->space ? " " : "";

	if (conv != 'd' && conv != 'i')
		pre = "";
	if (sp->alt && u && base == 16)
		pre = conv == 'X' ? "0X" : "0x";
	if (sp->alt && base == 8 && (sp->prec <= nd))
		sp->prec = nd + (u != 0);
	field(o, sp, pre, end - nd, nd);
}

/* fixed point: enough for the milliseconds the log line prints */
static void fixed(struct out *o, struct spec *sp, double v)
{
	char tmp[48], *end = tmp + sizeof tmp;
	int prec = sp->prec < 0 ? 6 : sp->prec > 9 ? 9 : sp->prec;
	const char *pre = v < 0 ? "-" : sp->plus ? "+" : sp->space ? " " : "";
	uint64_t scale = 1, whole, frac, r;
	int n = 0;

	if (v != v || v - v != 0) { /* NaN or infinite */
		struct spec s = *sp;

		s.zero = 0, s.prec = -1;
		field(o, &s, pre, v != v ? "nan" : "inf", 3);
		return;
	}
	if (v < 0)
		v = -v;
	for (int i = 0; i < prec; i++)
		scale *= 10;
	if (v >= 1.8e19 / (double)scale) {
		v = 1.8e19 / (double)scale; /* beyond any value printed here */
	}
	{
		/* the product in extended precision is exact enough to round
		 * as glibc does: to nearest, an exact half to even */
		long double x = (long double)v * (long double)scale;
		long double fl = (long double)(uint64_t)x;

		r = (uint64_t)fl;
		if (x - fl > 0.5L || (x - fl == 0.5L && (r & 1)))
			r++;
	}
	whole = r / scale, frac = r % scale;
	if (prec) {
		for (int i = 0; i < prec; i++, frac /= 10)
			end[-++n] = (char)('0' + frac % 10);
		end[-++n] = '.';
	} else if (sp->alt)
		end[-++n] = '.';
	n += utoa(end - n, whole, 10, 0);
	sp->prec = -1;
	field(o, sp, pre, end - n, n);
}

static const char *parse_num(const char *f, int *v, va_list *ap)
{
	if (*f == '*') {
		*v = va_arg(*ap, int);
		return f + 1;
	}
	*v = 0;
	while (*f >= '0' && *f <= '9')
		*v = *v * 10 + (*f++ - '0');
	return f;
}

static const char *conversion(struct out *o, const char *f, va_list *ap)
{
	struct spec sp = {0, 0, 0, 0, 0, 0, -1};
	int len = 0; /* -2 hh, -1 h, 1 l, 2 ll, 3 size_t/intmax_t/ptrdiff_t */

	for (;; f++) {
		if (*f == '-')
			sp.left = 1;
		else if (*f == '0')
			sp.zero = 1;
		else if (*f == '+')
			sp.plus = 1;
		else if (*f == ' ')
			sp.space = 1;
		else if (*f == '#')
			sp.alt = 1;
		else
			break;
	}
	f = parse_num(f, &sp.width, ap);
	if (sp.width < 0)
		sp.left = 1, sp.width = -sp.width;
	if (*f == '.') {
		f = parse_num(f + 1, &sp.prec, ap);
		if (sp.prec < 0)
			sp.prec = -1;
	}
	for (;; f++) {
		if (*f == 'h')
			len = len == -1 ? -2 : -1;
		else if (*f == 'l')
			len = len == 1 ? 2 : 1;
		else if (*f == 'z' || *f == 'j' || *f == 't')
			len = 3;
		else
			break;
	}
	switch (*f) {
	case 'd':
	case 'i': {
		intmax_t v = len >= 1 ? (len == 1 ? va_arg(*ap, long)
		                                  : va_arg(*ap, long long))
		                      : va_arg(*ap, int);

		if (len == -1)
			v = (short)v;
		else if (len == -2)
			v = (signed char)v;
		integer(o, &sp, *f, v < 0 ? -(uintmax_t)v : (uintmax_t)v,
		        v < 0);
		break;
	}
	case 'u':
	case 'x':
	case 'X':
	case 'o': {
		uintmax_t v = len >= 1
		                  ? (len == 1 ? va_arg(*ap, unsigned long)
		                              : va_arg(*ap, unsigned long long))
		                  : va_arg(*ap, unsigned);

		if (len == -1)
			v = (unsigned short)v;
		else if (len == -2)
			v = (unsigned char)v;
		integer(o, &sp, *f, v, 0);
		break;
	}
	case 'p': {
		uintptr_t v = (uintptr_t)va_arg(*ap, void *);

		sp.alt = 1;
		integer(o, &sp, 'x', v, 0);
		break;
	}
	case 'c': {
		char c = (char)va_arg(*ap, int);

		sp.prec = -1, sp.zero = 0;
		field(o, &sp, "", &c, 1);
		break;
	}
	case 's': {
		const char *s = va_arg(*ap, const char *);
		size_t n;

		if (!s)
			s = "(null)";
		n = sp.prec >= 0 ? RT(strnlen)(s, (size_t)sp.prec)
		                 : RT(strlen)(s);
		sp.prec = -1, sp.zero = 0;
		field(o, &sp, "", s, (int)n);
		break;
	}
	case 'f':
	case 'F':
		fixed(o, &sp, va_arg(*ap, double));
		break;
	case '%':
		put(o, "%", 1);
		break;
	default: /* unknown: copied as it stands */
		put(o, "%", 1);
		if (!*f)
			return f;
		put(o, f, 1);
		break;
	}
	return f + 1;
}

int RT(vsnprintf)(char *restrict buf, size_t cap, const char *restrict fmt,
                  va_list ap)
{
	struct out o = {buf, cap, 0};
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		const char *pc = RT(strchr)(fmt, '%');
		size_t n = pc ? (size_t)(pc - fmt) : RT(strlen)(fmt);

		put(&o, fmt, n);
		fmt += n;
		if (*fmt == '%')
			fmt = conversion(&o, fmt + 1, &aq);
	}
	va_end(aq);
	if (cap)
		buf[o.len < cap ? o.len : cap - 1] = 0;
	return o.len > 0x7fffffff ? -1 : (int)o.len;
}

int RT(snprintf)(char *restrict buf, size_t cap, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = RT(vsnprintf)(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}

int RT(asprintf)(char **restrict out, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = RT(vsnprintf)(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(*out = RT(malloc)((size_t)n + 1)))
		return -1;
	va_start(ap, fmt);
	RT(vsnprintf)(*out, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return n;
}
