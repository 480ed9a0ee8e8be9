/* The one pass over JSON text that kag trusts without jansson.
 *
 * kag__jscan_run() reads one JSON value and checks every byte of it with
 * the rules of kag's jansson readers (jansson 2.x, JSON_ALLOW_NUL): the
 * grammar, strict UTF-8, no control characters in strings, valid escapes,
 * no lone surrogates, no NUL in object keys, integers within int64 and
 * reals within double, and on request no duplicate keys. On request it also
 * cuts the value into tokens (where each string, number, literal, object
 * and array starts and ends, and how many members or items a container
 * has), and it can leave the inside of chosen members of the top-level
 * object untokenized: checked all the same, but kept as one token, which is
 * how the fast front end keeps a request or response body as text.
 *
 * Strings are scanned 16 bytes at a time where SSE2 is there (8 at a time
 * elsewhere): a byte that needs a look (a quote, a backslash, a control
 * character or a byte of a multi-byte sequence) stops the run. The time is
 * linear in the length of the text and in its depth is bounded by the
 * depth limit. Whatever the scan cannot vouch for fails it: the caller then
 * gives the text to jansson, which has the last word. Nothing here knows
 * about events. */
#ifndef KAG_JSON_SCAN_PRIVATE_H
#define KAG_JSON_SCAN_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

/* Containers nested deeper than this fail every scan. */
#define KAG__JSCAN_MAX_DEPTH 128

/* Token types. */
enum { KAG__JT_OBJECT = 1, KAG__JT_ARRAY, KAG__JT_STRING, KAG__JT_PRIMITIVE };

/* One value (or one key) of the text. A string's bytes are those between
 * its quotes; any other value's are the value itself, brackets included.
 * The tokens of a container's members (key, then value) or items follow
 * its own token, depth first. */
typedef struct {
	int32_t type;         /* KAG__JT_* */
	int32_t start, end;   /* its bytes: text[start, end) */
	int32_t size;         /* object: members; array: items; string:
			       * KAG__JSON_ESCAPED | KAG__JSON_NUL (json-check-private.h);
			       * a container kept whole: 0 */
} kag__jtok;

/* What a scan keeps: the tokens, and the keys of the open objects for the
 * duplicate check. Kept between scans to spare allocations. */
typedef struct {
	kag__jtok *tok;
	size_t cap_tok;
	void *keys;           /* keys of the objects being read */
	size_t cap_keys;
	char *decoded;        /* escaped keys, decoded */
	size_t cap_decoded;
	uint32_t *slots;      /* hash table for the keys of large objects */
	size_t cap_slots;
} kag__jscan;

void kag__jscan_init(kag__jscan *sc);
void kag__jscan_dispose(kag__jscan *sc);
/* Free what one unusually large text made the scan keep. */
void kag__jscan_trim(kag__jscan *sc);

/* Called for each member of the top-level object when its key has been
 * read (decoded when it has escapes): `tok` is the index its value's token
 * will have. Returns -1 to fail the scan, else KAG__JSCAN_* member flags:
 * none to tokenize the value as any other. */
typedef int (*kag__jscan_member_fn)(void *ctx, const char *key, size_t len, int tok);

/* What a member function says of a member. */
enum {
	KAG__JSCAN_WHOLE = 1,   /* keep the value's inside out of the tokens */
	KAG__JSCAN_OWN_KEY = 2  /* the function answers for repeats of this
				 * key (it fails the scan on one): with
				 * KAG__JSCAN_UNIQUE, the scan leaves it out of
				 * its own repeated-key check */
};

enum {
	KAG__JSCAN_TOKENS = 1,  /* cut the text into sc->tok */
	KAG__JSCAN_UNIQUE = 2,  /* fail on a repeated key, as jansson does with
				 * JSON_REJECT_DUPLICATES */
	KAG__JSCAN_PREFIX = 4   /* the value ends where it closes: the text may
				 * go on after it (blanks and all) */
};

typedef struct {
	unsigned flags;       /* KAG__JSCAN_* */
	size_t max_depth;     /* 1 .. KAG__JSCAN_MAX_DEPTH */
	uint64_t max_string;  /* longest string, in bytes between its quotes;
			       * 0 for no limit */
	kag__jscan_member_fn member; /* NULL: tokenize every member */
	void *ctx;
} kag__jscan_opts;

/* Scan one JSON value at the start of text[0, n) (blanks before it are
 * allowed). Without KAG__JSCAN_PREFIX the text must hold that value and
 * blanks only. Returns the number of tokens (0 without KAG__JSCAN_TOKENS)
 * and sets *end past the value's last byte, or returns -1 when the text is
 * not what jansson would read, breaks a limit, or memory ran out. */
int kag__jscan_run(kag__jscan *sc, const char *text, size_t n, const kag__jscan_opts *o,
		   size_t *end);

/* Decode the escapes of a string s[0, n) that a scan checked into out (n
 * bytes are enough). Returns the decoded length. */
size_t kag__json_unescape(const char *s, size_t n, char *out);

#endif
