/* JSON text checked without building anything (see json-check-private.h). */
#include <string.h>

#include "json-check-private.h"
#include "json-text-private.h"

const unsigned char kag__json_ws[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Check a number s[0, n) against JSON's grammar and jansson's ranges: an
 * integer (no fraction, no exponent) must fit int64_t, a real must not
 * overflow a double. Reals too large to tell cheaply are declined. Sets
 * *is_int. */
static int check_number(const char *s, size_t n, int *is_int)
{
	size_t i = 0, int_start, int_digits;
	int64_t exp = 0;
	int neg_exp = 0;

	if (i < n && s[i] == '-')
		i++;
	int_start = i;
	if (i < n && s[i] == '0') {
		i++;
	} else if (i < n && s[i] >= '1' && s[i] <= '9') {
		while (i < n && is_digit(s[i]))
			i++;
	} else {
		return -1;
	}
	int_digits = i - int_start;
	if (i == n) {
		static const char max[] = "9223372036854775807", min[] = "9223372036854775808";

		*is_int = 1;
		if (int_digits < 19)
			return 0;
		if (int_digits > 19)
			return -1;
		return memcmp(s + int_start, s[0] == '-' ? min : max, 19) <= 0 ? 0 : -1;
	}
	*is_int = 0;
	if (s[i] == '.') {
		i++;
		if (i >= n || !is_digit(s[i]))
			return -1;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			neg_exp = s[i++] == '-';
		if (i >= n || !is_digit(s[i]))
			return -1;
		while (i < n && is_digit(s[i])) {
			if (exp < 100000000)
				exp = exp * 10 + (s[i] - '0');
			i++;
		}
	}
	if (i != n)
		return -1;
	/* The value is below 10^(integer digits + exponent); a double holds
	 * up to 1.79e308. Anything that might be larger is left to jansson. */
	if (s[int_start] == '0')
		int_digits = 0;
	if (!neg_exp && (int64_t)int_digits + exp > 300)
		return -1;
	return 0;
}

int kag__json_primitive(const char *s, size_t n, int *is_int)
{
	*is_int = 0;
	switch (s[0]) {
	case 't': return n == 4 && memcmp(s, "true", 4) == 0 ? 0 : -1;
	case 'f': return n == 5 && memcmp(s, "false", 5) == 0 ? 0 : -1;
	case 'n': return n == 4 && memcmp(s, "null", 4) == 0 ? 0 : -1;
	default: return check_number(s, n, is_int);
	}
}

/* ---- one JSON value ---- */

static inline size_t skip_blanks(const char *s, size_t i, size_t n)
{
	while (i < n && kag__json_ws[(unsigned char)s[i]])
		i++;
	return i;
}

/* Bytes from s[i] on that need no look inside a string (printable ASCII
 * other than '"' and '\\'), eight at a time where there are eight. */
static inline size_t plain_run(const unsigned char *s, size_t i, size_t n)
{
	while (n - i >= 8 && !kag__json_special8(s + i))
		i += 8;
	while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
		i++;
	return i;
}

/* The string whose opening quote is at s[i]: checked in one pass up to its
 * closing quote, and the index past that returned; 0 when jansson would
 * refuse it (or, for a key, when it holds \u0000). */
static size_t check_string_at(const char *str, size_t i, size_t n, int key)
{
	const unsigned char *s = (const unsigned char *)str;
	int flags = 0;
	size_t k;

	for (i++;;) {
		unsigned char c;

#ifdef KAG__JSON_SSE2
		{
			unsigned m = 0;

			while (n - i >= 16 && !(m = kag__json_special16(s + i)))
				i += 16;
			i = m ? i + (size_t)__builtin_ctz(m) : plain_run(s, i, n);
		}
#else
		i = plain_run(s, i, n);
#endif
		if (i >= n)
			return 0; /* no closing quote */
		c = s[i];
		if (c == '"')
			break;
		if (c >= 0x80) {
			k = kag__utf8_seq(s + i, n - i);
		} else if (c == '\\') {
			k = kag__json_escape(s, i, n, &flags);
		} else {
			return 0; /* a control character */
		}
		if (!k)
			return 0;
		i += k;
	}
	if (key && (flags & KAG__JSON_NUL))
		return 0;
	return i + 1;
}

int kag__json_check(const char *s, size_t n)
{
	unsigned char stack[KAG__JSON_CHECK_DEPTH]; /* '{' or '[' of each open container */
	size_t i = 0, depth = 0;
	int is_int;

value:
	i = skip_blanks(s, i, n);
	if (i >= n)
		return -1;
	switch (s[i]) {
	case '{':
	case '[':
		if (depth == KAG__JSON_CHECK_DEPTH)
			return -1; /* deeper than this: jansson decides */
		stack[depth++] = (unsigned char)s[i];
		i = skip_blanks(s, i + 1, n);
		if (i < n && s[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
			depth--;
			i++;
			goto after;
		}
		if (stack[depth - 1] == '{')
			goto key;
		goto value;
	case '"':
		i = check_string_at(s, i, n, 0);
		if (!i)
			return -1;
		goto after;
	default: {
		size_t j = i;

		/* a literal or a number runs to the next delimiter */
		while (j < n && !kag__json_ws[(unsigned char)s[j]] && s[j] != ',' && s[j] != ']' &&
		       s[j] != '}')
			j++;
		if (j == i || kag__json_primitive(s + i, j - i, &is_int) < 0)
			return -1;
		i = j;
		goto after;
	}
	}
key:
	i = skip_blanks(s, i, n);
	if (i >= n || s[i] != '"')
		return -1;
	i = check_string_at(s, i, n, 1);
	if (!i)
		return -1;
	i = skip_blanks(s, i, n);
	if (i >= n || s[i] != ':')
		return -1;
	i++;
	goto value;
after:
	i = skip_blanks(s, i, n);
	if (!depth)
		return i == n ? 0 : -1;
	if (i >= n)
		return -1;
	if (s[i] == ',') {
		i++;
		if (stack[depth - 1] == '{')
			goto key;
		goto value;
	}
	if (s[i] != (stack[depth - 1] == '{' ? '}' : ']'))
		return -1;
	depth--;
	i++;
	goto after;
}
