/* Budgets of one record (see budget-private.h): one pass over the bytes,
 * strings skipped eight bytes at a time, nothing allocated. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "budget-private.h"
#include "json-check-private.h"
#include "kag.h"

/* Classes of the bytes outside strings. */
enum { B_OTHER = 0, B_BLANK, B_OPEN, B_CLOSE, B_QUOTE, B_SEP };

static const unsigned char byte_class[256] = {
	[' '] = B_BLANK, ['\t'] = B_BLANK, ['\r'] = B_BLANK, ['\n'] = B_BLANK,
	['{'] = B_OPEN, ['['] = B_OPEN, ['}'] = B_CLOSE, [']'] = B_CLOSE,
	['"'] = B_QUOTE, [':'] = B_SEP, [','] = B_SEP,
};

/* The first byte of s[i, len) that is '"' or '\\', or len. */
static size_t string_run_end(const char *s, size_t i, size_t len)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;

	while (len - i >= 8) {
		uint64_t w, q, b, m;

		memcpy(&w, s + i, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		m = (((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
		if (m)
			return i + (size_t)(__builtin_ctzll(m) >> 3);
		i += 8;
	}
#endif
	while (i < len && s[i] != '"' && s[i] != '\\')
		i++;
	return i;
}

static int broke(kag__budget_scan *r, int hit, size_t at, uint64_t depth, uint64_t values)
{
	r->hit = hit;
	r->at = at;
	r->end = at;
	r->depth = depth;
	r->values = values;
	return hit;
}

int kag__budget_check(const char *s, size_t len, const kag__budget *b, int stop_at_close,
		      kag__budget_scan *r)
{
	uint64_t depth = 0, values = 0;
	size_t i = 0, start;
	int expect = 1; /* a number or literal may start here */

	memset(r, 0, sizeof(*r));
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		switch (byte_class[c]) {
		case B_BLANK:
			i++;
			continue;
		case B_SEP:
			expect = 1;
			i++;
			continue;
		case B_OPEN:
			if (++values > b->max_values)
				return broke(r, KAG__BUDGET_VALUES, i, depth, values);
			if (++depth > b->max_depth)
				return broke(r, KAG__BUDGET_DEPTH, i, depth, values);
			expect = c == '[';
			i++;
			continue;
		case B_CLOSE:
			expect = 0;
			i++;
			if (depth > 0 && --depth == 0 && !r->closed) {
				r->closed = 1;
				if (stop_at_close) {
					r->end = i;
					r->values = values;
					return KAG__BUDGET_OK;
				}
			}
			continue;
		case B_QUOTE:
			if (++values > b->max_values)
				return broke(r, KAG__BUDGET_VALUES, i, depth, values);
			expect = 0;
			start = ++i;
			for (;;) {
				i = string_run_end(s, i, len);
				if (i - start > b->max_string)
					return broke(r, KAG__BUDGET_STRING, start + (size_t)b->max_string,
						     depth, values);
				if (i >= len) {
					r->in_string = 1;
					break;
				}
				if (s[i] == '"') {
					i++;
					break;
				}
				i += 2; /* a backslash and the byte it escapes */
				if (i > len) {
					i = len;
					r->in_string = 1;
					break;
				}
			}
			continue;
		default:
			if (expect) {
				if (++values > b->max_values)
					return broke(r, KAG__BUDGET_VALUES, i, depth, values);
				expect = 0;
			}
			i++;
			continue;
		}
	}
	r->end = len;
	r->depth = depth;
	r->values = values;
	return KAG__BUDGET_OK;
}

void kag__budget_message(char *buf, size_t size, const kag__budget *b, int hit)
{
	switch (hit) {
	case KAG__BUDGET_DEPTH:
		snprintf(buf, size, "nesting deeper than %llu levels",
			 (unsigned long long)b->max_depth);
		break;
	case KAG__BUDGET_VALUES:
		snprintf(buf, size, "more than %llu JSON values in one record (value budget)",
			 (unsigned long long)b->max_values);
		break;
	case KAG__BUDGET_STRING:
		snprintf(buf, size, "a string is longer than %llu bytes",
			 (unsigned long long)b->max_string);
		break;
	default:
		snprintf(buf, size, "within budget");
		break;
	}
}

/* jansson's messages quote the bytes near a fault; kag's never quote input.
 * These messages of jansson 2.x name no input and are kept as they are;
 * any other is replaced by the description of its error code. */
static const char *const plain_messages[] = {
	"invalid token", "unexpected newline", "invalid escape", "unexpected token",
	"'}' expected", "']' expected", "':' expected", "string or '}' expected",
	"'[' or '{' expected", "',' or '}' expected", "',' or ']' expected",
	"premature end of input", "end of file expected", "too big integer",
	"too big negative integer", "real number overflow", "maximum parsing depth reached",
	"duplicate object key", "NUL byte in object key not supported",
	"\\u0000 is not allowed without JSON_ALLOW_NUL", "wrong arguments", NULL
};

/* Is s[0, len) one JSON value as jansson reads it (a check that needs no
 * memory)? 0 when it cannot tell. */
static int text_is_json(const char *s, size_t len)
{
	return s && kag__json_check(s, len) == 0;
}

int kag__json_fault(const struct json_error_t *e, const char *s, size_t len, const char **what)
{
	const char *text = e->text, *near = strstr(text, " near ");
	size_t n = near ? (size_t)(near - text) : strlen(text), i;

	/* jansson reports an allocation that failed inside its reader as a
	 * syntax error, or with no message: the text is checked on its own,
	 * and valid JSON that jansson could not read means memory ran out. */
	if ((text[0] == '\0' || json_error_code(e) == json_error_invalid_syntax ||
	     json_error_code(e) == json_error_unknown) &&
	    text_is_json(s, len)) {
		*what = "out of memory";
		return KAG_ENOMEM;
	}

	for (i = 0; plain_messages[i]; i++) {
		if (strlen(plain_messages[i]) == n && memcmp(plain_messages[i], text, n) == 0) {
			*what = plain_messages[i];
			return strcmp(plain_messages[i], "maximum parsing depth reached") == 0
				       ? KAG_ELIMIT : KAG_EPARSE;
		}
	}
	if (strncmp(text, "control character", 17) == 0) {
		*what = "control character in a string";
		return KAG_EPARSE;
	}
	if (strncmp(text, "invalid Unicode", 15) == 0) {
		*what = "invalid Unicode escape";
		return KAG_EPARSE;
	}
	if (strncmp(text, "unable to decode byte", 21) == 0) {
		*what = "invalid UTF-8";
		return KAG_EPARSE;
	}
	switch (json_error_code(e)) {
	case json_error_out_of_memory:
		*what = "out of memory";
		return KAG_ENOMEM;
	case json_error_stack_overflow:
		*what = "maximum parsing depth reached";
		return KAG_ELIMIT;
	case json_error_invalid_utf8:
		*what = "invalid UTF-8";
		return KAG_EPARSE;
	case json_error_premature_end_of_input:
		*what = "premature end of input";
		return KAG_EPARSE;
	case json_error_end_of_input_expected:
		*what = "end of file expected";
		return KAG_EPARSE;
	case json_error_null_character:
	case json_error_null_byte_in_key:
		*what = "NUL byte where JSON allows none";
		return KAG_EPARSE;
	case json_error_duplicate_key:
		*what = "duplicate object key";
		return KAG_EPARSE;
	case json_error_numeric_overflow:
		*what = "number out of range";
		return KAG_EPARSE;
	case json_error_unknown:
		/* jansson fails without a word only when it could not
		 * allocate its reader */
		if (text[0] == '\0') {
			*what = "out of memory";
			return KAG_ENOMEM;
		}
		*what = "invalid JSON";
		return KAG_EPARSE;
	default:
		*what = "invalid JSON syntax";
		return KAG_EPARSE;
	}
}
