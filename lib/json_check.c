/* JSON text checked without building anything (see json-check-private.h). */
#include <string.h>

#include "json-check-private.h"
#include "json-scan-private.h"

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

int kag__json_check(const char *s, size_t n)
{
	kag__jscan sc;
	kag__jscan_opts o;
	size_t end;
	int rc;

	/* no tokens and no key check: the scan allocates nothing */
	memset(&o, 0, sizeof(o));
	o.max_depth = KAG__JSON_CHECK_DEPTH;
	kag__jscan_init(&sc);
	rc = kag__jscan_run(&sc, s, n, &o, &end);
	kag__jscan_dispose(&sc);
	return rc < 0 ? -1 : 0;
}
