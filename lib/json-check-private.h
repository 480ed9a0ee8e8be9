/* JSON text checked with the rules of kag's jansson readers (jansson 2.x
 * with JSON_ALLOW_NUL), without building tokens or a tree: the lexical
 * checks the fast front end makes on each of its tokens, and a check of a
 * whole value (builder bodies, budget.c). Nothing here knows about events. */
#ifndef KAG_JSON_CHECK_PRIVATE_H
#define KAG_JSON_CHECK_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

/* KAG_NO_SIMD (a define, also honoured by the parser and the splitter)
 * builds the portable paths only, as on processors without SSE2. */
#if defined(__SSE2__) && defined(__GNUC__) && !defined(KAG_NO_SIMD)
#include <emmintrin.h>
#define KAG__JSON_SSE2 1
#endif

/* The four JSON blanks: space, tab, newline, carriage return. */
extern const unsigned char kag__json_ws[256];

/* Four hex digits at s to *out; -1 when one is not a hex digit. */
static inline int kag__json_hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

#ifdef KAG__JSON_SSE2
/* Bit i set when byte i of s[0, 16) needs a closer look inside a string: a
 * control character, 0x80 and above (both below 0x20 as signed bytes), '"'
 * or '\\'. */
static inline unsigned kag__json_special16(const unsigned char *s)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i m = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
				 _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
					      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* Flags of a checked string. */
enum { KAG__JSON_ESCAPED = 1, KAG__JSON_NUL = 2 };

/* The escape at s[i] (a backslash), inside s[0, n): the bytes it takes,
 * or 0 when jansson would refuse it. Sets KAG__JSON_ESCAPED, and KAG__JSON_NUL for
 * \u0000. */
static inline size_t kag__json_escape(const unsigned char *s, size_t i, size_t n, int *flags)
{
	uint32_t u, u2;

	*flags |= KAG__JSON_ESCAPED;
	if (i + 1 >= n)
		return 0;
	switch (s[i + 1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		return 2;
	case 'u':
		if (i + 6 > n || kag__json_hex4((const char *)s + i + 2, &u) < 0)
			return 0;
		if (u >= 0xDC00 && u <= 0xDFFF)
			return 0; /* a lone low surrogate */
		if (u >= 0xD800 && u <= 0xDBFF) {
			/* a high surrogate needs a low one right after */
			if (i + 12 > n || s[i + 6] != '\\' || s[i + 7] != 'u' ||
			    kag__json_hex4((const char *)s + i + 8, &u2) < 0 || u2 < 0xDC00 || u2 > 0xDFFF)
				return 0;
			return 12;
		}
		if (u == 0)
			*flags |= KAG__JSON_NUL;
		return 6;
	default:
		return 0;
	}
}

/* Check a literal or a number s[0, n) (n > 0) against JSON's grammar and
 * jansson's ranges: an integer (no fraction, no exponent) must fit
 * int64_t, a real must not overflow a double; reals too large to tell
 * cheaply are refused. 0 when it is valid (*is_int set), else -1. */
int kag__json_primitive(const char *s, size_t n, int *is_int);

/* Is s[0, n) one JSON value (of any type, blanks around it allowed) that
 * jansson reads with JSON_DECODE_ANY | JSON_ALLOW_NUL? 0 if so (duplicate
 * keys are not looked for), -1 if not, or if it is nested more deeply than
 * KAG__JSON_CHECK_DEPTH or holds a number larger than this check decides:
 * jansson has the last word on those. One pass over the text, no tokens. */
int kag__json_check(const char *s, size_t n);

/* Containers kag__json_check() follows at once. */
#define KAG__JSON_CHECK_DEPTH 128

#endif
