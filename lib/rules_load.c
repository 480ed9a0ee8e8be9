/* Caller rules, loaded: declarative detectors compiled from JSON (schema
 * in kag.h and examples/rules.json) into the registry next to the
 * built-ins. A rule is a registry entry like any other: the session runs
 * its gate (decisive fields, audit level) and its judge (rules_eval.c), and
 * its verdicts carry its id, severity and ATT&CK techniques.
 *
 * Loading is all or nothing; errors name the offending value by JSON
 * pointer and are kept on the registry (kag_registry_error_message()). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc-private.h"
#include "jptr-private.h"
#include "load-private.h"
#include "rules-private.h"

#define RULES_MAX_BYTES (16u << 20)
#define RULES_MAX 4096
#define RULE_MAX_NODES 512
#define RULE_MAX_DEPTH 32
#define IN_MAX_VALUES 4096
#define VALUE_MAX_BYTES 1024
#define TITLE_MAX_BYTES 200
#define DESC_MAX_BYTES 2000
#define GLOBS_MAX 1024          /* glob patterns in one rules file */

/* ---- names ---- */

static const char *const assessments[] = { "benign", "suspicious", "malicious" };
static const char *const severities[] = { "info", "low", "medium", "high", "critical" };
static const char *const confidences[] = { "low", "medium", "high" };
static const char *const levels[] = { NULL, "Metadata", "Request", "RequestResponse" };
static const char *const outcomes[] = { "allowed", "denied", "in_progress", "error",
					"unknown" };
static const struct {
	const char *name;
	int id;
} identities[] = {
	{ "control-plane", KAG__ID_CONTROL_PLANE },
	{ "node", KAG__ID_NODE },
	{ "kube-system-sa", KAG__ID_KUBE_SYSTEM_SA },
	{ "provider", KAG__ID_PROVIDER },
	{ "operator", KAG__ID_PLATFORM_OPERATOR },
	{ "none", KAG__ID_NONE },
};
#define N_IDENTITIES (sizeof(identities) / sizeof(identities[0]))

static const struct {
	const char *name;
	int op;
} field_ops[] = {
	{ "equals", OP_EQUALS }, { "in", OP_IN }, { "prefix", OP_PREFIX },
	{ "suffix", OP_SUFFIX }, { "glob", OP_GLOB }, { "exists", OP_EXISTS },
	{ "eq", OP_EQ }, { "ne", OP_NE }, { "lt", OP_LT }, { "le", OP_LE },
	{ "gt", OP_GT }, { "ge", OP_GE },
};
#define N_FIELD_OPS (sizeof(field_ops) / sizeof(field_ops[0]))

static int name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* ---- compiling ---- */

typedef struct {
	kag_registry *r;
	kag__jptr path;
	kag__rule *rule;        /* the rule being compiled */
	size_t n_nodes;
	size_t n_globs;         /* glob patterns in the file so far */
	int uses[KAG__FIELD_COUNT];  /* fields the match reads */
	int uses_order[KAG__FIELD_COUNT];
	size_t n_uses;
} compiler;

/* Reject the document at the pointer being read. */
#define fail(C, ...) kag__load_fail((C)->r, &(C)->path, __VA_ARGS__)

/* fail() with the pointer extended by `key` for the report. */
static int at(compiler *C, const char *key, int code, const char *reason)
{
	kag__jptr_push(&C->path, key);
	return fail(C, code, "%s", reason);
}

static int get_string(compiler *C, json_t *v, size_t max, const char **out)
{
	if (!json_is_string(v))
		return fail(C, KAG_ESCHEMA, "expected a string, got %s", kag__json_kind(v));
	if (json_string_length(v) == 0)
		return fail(C, KAG_ESCHEMA, "must not be empty");
	if (json_string_length(v) > max)
		return fail(C, KAG_ELIMIT, "longer than %zu bytes", max);
	*out = json_string_value(v);
	return KAG_OK;
}

static int get_name(compiler *C, json_t *v, const char *const *names, size_t n, int *out,
		    const char *what)
{
	char known[160];
	size_t i, k = 0;
	int idx;

	if (!json_is_string(v))
		return fail(C, KAG_ESCHEMA, "expected %s name, got %s", what, kag__json_kind(v));
	idx = name_index(names, n, json_string_value(v));
	if (idx >= 0) {
		*out = idx;
		return KAG_OK;
	}
	known[0] = '\0';
	for (i = 0; i < n; i++)
		if (names[i] && k < sizeof(known))
			k += (size_t)snprintf(known + k, sizeof(known) - k, "%s%s", k ? ", " : "",
					      names[i]);
	return fail(C, KAG_ESCHEMA, "unknown %s \"%s\" (one of: %s)", what,
		    json_string_value(v), known);
}

/* Parse a predicate's field path. Pair fields take a key after a dot:
 * "annotations.<key>", "user.extra.<key>", "impersonatedUser.extra.<key>". */
static const struct {
	const char *prefix;
	int field;
} pairs[] = {
	{ "annotations.", KAG_FIELD_ANNOTATIONS },
	{ "user.extra.", KAG_FIELD_USER_EXTRA },
	{ "impersonatedUser.extra.", KAG_FIELD_IMP_EXTRA },
};
#define N_PAIRS (sizeof(pairs) / sizeof(pairs[0]))

/* The pair field whose "<path>.<key>" form s is, or -1. */
static int pair_field(const char *s, size_t len, size_t *key_off)
{
	size_t i;

	for (i = 0; i < N_PAIRS; i++) {
		size_t pl = strlen(pairs[i].prefix);

		if (len > pl && memcmp(s, pairs[i].prefix, pl) == 0) {
			*key_off = pl;
			return pairs[i].field;
		}
	}
	return -1;
}

static int parse_field(compiler *C, json_t *v, rnode *n)
{
	const char *s;
	size_t len, off;
	int rc;

	rc = get_string(C, v, VALUE_MAX_BYTES, &s);
	if (rc < 0)
		return rc;
	len = json_string_length(v);
	n->field = pair_field(s, len, &off);
	if (n->field >= 0) {
		n->key_len = len - off;
		n->key = kag__strndup(s + off, n->key_len);
		if (!n->key)
			return fail(C, KAG_ENOMEM, "out of memory");
		return KAG_OK;
	}
	if (kag_field_from_path(&n->field, s, len) < 0)
		return fail(C, KAG_ESCHEMA, "unknown field path \"%s\"", s);
	return KAG_OK;
}

static void note_use(compiler *C, int field)
{
	if (field < 0 || C->uses[field])
		return;
	C->uses[field] = 1;
	C->uses_order[C->n_uses++] = field;
}

/* Compile the glob s (len bytes) into *out. On an error, the KAG_E* code,
 * with the reason in why. */
static int glob_build(glob_prog **out, const char *s, size_t len, char *why, size_t why_size)
{
	int16_t tok[GLOB_MAX_BYTES];
	uint16_t seg[GLOB_MAX_BYTES + 1];       /* tokens of each segment */
	int row_of[256];
	size_t n_tok = 0, n_seg = 1, n_bytes = 0, head, tail, n_mid, n_rows = 0, n_words;
	size_t i, r;
	glob_prog *g;

	*out = NULL;
	seg[0] = 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int t = c;

		if (c == '\\') {
			if (++i == len) {
				snprintf(why, why_size, "bad glob: a trailing '\\' escapes "
					 "nothing");
				return KAG_ESCHEMA;
			}
			t = (unsigned char)s[i];
		} else if (c == '*') {
			t = GLOB_STAR;
		} else if (c == '?') {
			t = GLOB_ANY;
		} else if (c == '[' || c == ']') {
			snprintf(why, why_size, "bad glob: character classes are not supported "
				 "(only * and ?); write \\%c for a literal '%c'", c, c);
			return KAG_ESCHEMA;
		}
		if (++n_bytes > GLOB_MAX_BYTES) {
			snprintf(why, why_size, "glob pattern longer than %d bytes (after "
				 "unescaping)", GLOB_MAX_BYTES);
			return KAG_ELIMIT;
		}
		if (t != GLOB_STAR) {
			tok[n_tok++] = (int16_t)t;
			seg[n_seg - 1]++;
		} else if (n_seg == 1 || seg[n_seg - 1] > 0) {
			seg[n_seg++] = 0;       /* a run of stars is one star */
		}
	}
	head = seg[0];
	tail = n_seg > 1 ? seg[n_seg - 1] : 0;
	n_mid = n_seg > 2 ? n_seg - 2 : 0;
	n_words = (n_tok - head - tail + 63) / 64;

	/* a row of masks per byte the middle segments name, one for the rest */
	for (i = 0; i < 256; i++)
		row_of[i] = -1;
	for (i = head; i < n_tok - tail; i++)
		if (tok[i] != GLOB_ANY && row_of[tok[i]] < 0)
			row_of[tok[i]] = (int)n_rows++;
	g = kag__calloc(1, sizeof(*g) + (n_rows + 1) * n_words * sizeof(g->mask[0]) +
			n_tok * sizeof(*g->tok) + n_mid * sizeof(*g->mid_len));
	if (!g) {
		snprintf(why, why_size, "out of memory");
		return KAG_ENOMEM;
	}
	g->tok = (int16_t *)(g->mask + (n_rows + 1) * n_words);
	g->mid_len = (uint16_t *)(g->tok + n_tok);
	memcpy(g->tok, tok, n_tok * sizeof(*tok));
	memcpy(g->mid_len, seg + 1, n_mid * sizeof(*seg));
	g->n_tok = (uint16_t)n_tok;
	g->head = (uint16_t)head;
	g->tail = (uint16_t)tail;
	g->n_mid = (uint16_t)n_mid;
	g->n_words = (uint16_t)n_words;
	g->star = n_seg > 1;
	for (i = 0; i < 256; i++)
		g->row[i] = (uint8_t)(row_of[i] >= 0 ? (size_t)row_of[i] : n_rows);
	for (i = 0; i < n_tok - head - tail; i++) {
		int t = tok[head + i];
		uint64_t bit = (uint64_t)1 << (i % 64);

		for (r = 0; r <= n_rows; r++)
			if (t == GLOB_ANY || row_of[t] == (int)r)
				g->mask[r * n_words + i / 64] |= bit;
	}
	*out = g;
	return KAG_OK;
}

static int compile_glob(compiler *C, rnode *n, const char *s, size_t len)
{
	char why[200];
	int rc;

	if (++C->n_globs > GLOBS_MAX)
		return fail(C, KAG_ELIMIT, "more than %d glob patterns in one rules file",
			    GLOBS_MAX);
	rc = glob_build(&n->glob, s, len, why, sizeof(why));
	if (rc < 0)
		return fail(C, rc, "%s", why);
	return KAG_OK;
}

/* Test hook (tests/unit/check_rules.c): 1 if the glob `pattern` matches
 * `value`, 0 if not, or the KAG_E* code compiling the pattern fails with. */
int kag__glob_test(const char *pattern, size_t plen, const char *value, size_t vlen)
{
	glob_prog *g;
	char why[200];
	int rc = glob_build(&g, pattern, plen, why, sizeof(why));

	if (rc < 0)
		return rc;
	rc = kag__glob_match(g, value, vlen);
	kag__free(g);
	return rc;
}

static int add_value(compiler *C, rnode *n, json_t *v)
{
	const char *s = NULL;
	size_t len;
	int rc = get_string(C, v, VALUE_MAX_BYTES, &s);

	if (rc < 0) {
		if (rc == KAG_ESCHEMA && json_is_string(v))
			return fail(C, rc, "must not be empty (an empty value counts as absent: "
				    "use exists)");
		return rc;
	}
	len = json_string_length(v);
	if ((n->op == OP_EQUALS || n->op == OP_IN) && kag__is_placeholder(s, len))
		return fail(C, KAG_ESCHEMA, "\"%s\" is a placeholder, which counts as absent "
			    "and never matches: use exists", s);
	n->vals[n->n_vals] = kag__strndup(s, len);
	if (!n->vals[n->n_vals])
		return fail(C, KAG_ENOMEM, "out of memory");
	n->lens[n->n_vals++] = len;
	return KAG_OK;
}

static int add_number(compiler *C, rnode *n, json_t *v)
{
	if (!json_is_integer(v))
		return fail(C, KAG_ESCHEMA, "expected an integer status code, got %s",
			    kag__json_kind(v));
	n->nums[n->n_nums++] = (int64_t)json_integer_value(v);
	return KAG_OK;
}

/* The value of a field predicate (the pointer is at the operator key). */
static int compile_field_op(compiler *C, rnode *n, json_t *v)
{
	int kind = kag__field_kind(n->field);
	int is_code = kind == KAG__KIND_INT;
	int string_ok = kind == KAG__KIND_STRING || kind == KAG__KIND_LIST ||
			(kind == KAG__KIND_PAIRS && n->key);
	int numeric = n->op >= OP_EQ && n->op <= OP_GE;
	size_t i, count;
	json_t *item;
	int rc;

	if (n->op == OP_EXISTS) {
		if (!json_is_boolean(v))
			return fail(C, KAG_ESCHEMA, "expected true or false, got %s", kag__json_kind(v));
		n->exists = json_is_true(v);
		return KAG_OK;
	}
	if (numeric && !is_code)
		return fail(C, KAG_ESCHEMA, "numeric comparisons apply to responseStatus.code "
			    "only");
	if (!numeric && !is_code && !string_ok)
		return fail(C, KAG_ESCHEMA, "field %s%s can only be tested with exists",
			    kag_field_name(n->field), n->field == KAG_FIELD_ANNOTATIONS ||
			    n->field == KAG_FIELD_USER_EXTRA || n->field == KAG_FIELD_IMP_EXTRA
			    ? " (name a key: annotations.<key>)" : "");
	if (is_code && (n->op == OP_PREFIX || n->op == OP_SUFFIX || n->op == OP_GLOB))
		return fail(C, KAG_ESCHEMA, "responseStatus.code is a number: use equals, in, "
			    "eq, ne, lt, le, gt or ge");
	count = n->op == OP_IN ? json_array_size(v) : 1;
	if (n->op == OP_IN) {
		if (!json_is_array(v))
			return fail(C, KAG_ESCHEMA, "expected an array, got %s", kag__json_kind(v));
		if (count == 0)
			return fail(C, KAG_ESCHEMA, "an empty list never matches");
		if (count > IN_MAX_VALUES)
			return fail(C, KAG_ELIMIT, "more than %d values", IN_MAX_VALUES);
	}
	if (is_code) {
		n->nums = kag__calloc(count, sizeof(*n->nums));
		if (!n->nums)
			return fail(C, KAG_ENOMEM, "out of memory");
		if (n->op == OP_EQUALS)
			n->op = OP_EQ;
		else if (n->op == OP_IN)
			n->op = OP_CODE_IN;
		if (n->op != OP_CODE_IN)
			return add_number(C, n, v);
		json_array_foreach(v, i, item) {
			size_t old = kag__jptr_index(&C->path, i);

			rc = add_number(C, n, item);
			if (rc < 0)
				return rc;
			kag__jptr_pop(&C->path, old);
		}
		return KAG_OK;
	}
	n->vals = kag__calloc(count, sizeof(*n->vals));
	n->lens = kag__calloc(count, sizeof(*n->lens));
	if (!n->vals || !n->lens)
		return fail(C, KAG_ENOMEM, "out of memory");
	if (n->op != OP_IN) {
		rc = add_value(C, n, v);
		if (rc == KAG_OK && n->op == OP_GLOB)
			rc = compile_glob(C, n, n->vals[0], n->lens[0]);
		return rc;
	}
	json_array_foreach(v, i, item) {
		size_t old = kag__jptr_index(&C->path, i);

		rc = add_value(C, n, item);
		if (rc < 0)
			return rc;
		kag__jptr_pop(&C->path, old);
	}
	return KAG_OK;
}

/* "outcome" / "identity": one name or an array of names, as a bit set. */
static int compile_set(compiler *C, rnode *n, json_t *v)
{
	const char *const *names = outcomes;
	const char *idnames[N_IDENTITIES];
	size_t count = 5, i;
	const char *what = "outcome";
	json_t *item;
	int rc, idx;

	if (n->op == OP_IDENTITY) {
		for (i = 0; i < N_IDENTITIES; i++)
			idnames[i] = identities[i].name;
		names = idnames;
		count = N_IDENTITIES;
		what = "identity class";
		note_use(C, KAG_FIELD_USER_USERNAME);
	}
	if (json_is_string(v)) {
		rc = get_name(C, v, names, count, &idx, what);
		if (rc < 0)
			return rc;
		n->set = 1u << (n->op == OP_IDENTITY ? identities[idx].id : idx);
		return KAG_OK;
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return fail(C, KAG_ESCHEMA, "expected %s name or a non-empty array of them, "
			    "got %s", what, kag__json_kind(v));
	json_array_foreach(v, i, item) {
		size_t old = kag__jptr_index(&C->path, i);

		rc = get_name(C, item, names, count, &idx, what);
		if (rc < 0)
			return rc;
		n->set |= 1u << (n->op == OP_IDENTITY ? identities[idx].id : idx);
		kag__jptr_pop(&C->path, old);
	}
	return KAG_OK;
}

static const char grammar[] =
	"a match node is one of {\"all\":[...]}, {\"any\":[...]}, {\"not\":{...}}, "
	"{\"outcome\":...}, {\"identity\":...} or {\"field\":PATH, OP:VALUE} with OP one "
	"of equals, in, prefix, suffix, glob, exists, eq, ne, lt, le, gt, ge";

/* The one operator of a match node: its op, key and value, and the
 * node's "field" (NULL when it has none). */
typedef struct {
	int op;
	const char *key;
	json_t *val, *field;
} node_parts;

static int op_of_key(const char *key)
{
	size_t i;

	if (strcmp(key, "all") == 0)
		return OP_ALL;
	if (strcmp(key, "any") == 0)
		return OP_ANY;
	if (strcmp(key, "not") == 0)
		return OP_NOT;
	if (strcmp(key, "outcome") == 0)
		return OP_OUTCOME;
	if (strcmp(key, "identity") == 0)
		return OP_IDENTITY;
	for (i = 0; i < N_FIELD_OPS; i++)
		if (strcmp(key, field_ops[i].name) == 0)
			return field_ops[i].op;
	return -1;
}

static int node_split(compiler *C, json_t *j, node_parts *np)
{
	const char *key;
	json_t *v;

	np->op = -1;
	np->key = NULL;
	np->val = np->field = NULL;
	json_object_foreach(j, key, v) {
		int this_op;

		if (strcmp(key, "field") == 0) {
			np->field = v;
			continue;
		}
		this_op = op_of_key(key);
		if (this_op < 0) {
			char reason[400];

			snprintf(reason, sizeof(reason), "unknown key in a match node (%s)", grammar);
			return at(C, key, KAG_ESCHEMA, reason);
		}
		if (np->op >= 0) {
			char reason[200];

			snprintf(reason, sizeof(reason), "a match node takes exactly one operator "
				 "(also has \"%s\")", np->key);
			return at(C, key, KAG_ESCHEMA, reason);
		}
		np->op = this_op;
		np->key = key;
		np->val = v;
	}
	if (np->op < 0)
		return fail(C, KAG_ESCHEMA, "%s", grammar);
	return KAG_OK;
}

/* {"field":PATH, OP:VALUE} */
static int compile_field_node(compiler *C, rnode *n, const node_parts *np)
{
	size_t old;
	int rc;

	if (!np->field)
		return fail(C, KAG_ESCHEMA, "operator \"%s\" needs a \"field\"", np->key);
	old = kag__jptr_push(&C->path, "field");
	rc = parse_field(C, np->field, n);
	if (rc < 0)
		return rc;
	kag__jptr_pop(&C->path, old);
	note_use(C, n->field);
	old = kag__jptr_push(&C->path, np->key);
	rc = compile_field_op(C, n, np->val);
	if (rc < 0)
		return rc;
	kag__jptr_pop(&C->path, old);
	return KAG_OK;
}

static int compile_node(compiler *C, json_t *j, rnode **out, int depth);

/* The match nodes of "all" and "any" (the path is at the operator). */
static int compile_kids(compiler *C, rnode *n, json_t *val, int depth)
{
	json_t *item;
	size_t i;
	int rc = KAG_OK;

	if (!json_is_array(val) || json_array_size(val) == 0)
		return fail(C, KAG_ESCHEMA, "expected a non-empty array of match "
			    "nodes, got %s", json_is_array(val) ? "an empty array"
			    : kag__json_kind(val));
	n->kids = kag__calloc(json_array_size(val), sizeof(*n->kids));
	if (!n->kids)
		return fail(C, KAG_ENOMEM, "out of memory");
	json_array_foreach(val, i, item) {
		size_t o2 = kag__jptr_index(&C->path, i);

		rc = compile_node(C, item, &n->kids[i], depth + 1);
		n->n_kids = i + 1;
		if (rc < 0)
			break;
		kag__jptr_pop(&C->path, o2);
	}
	return rc;
}

/* "all", "any", "not", "outcome" or "identity". */
static int compile_logic_node(compiler *C, rnode *n, const node_parts *np, int depth)
{
	size_t old;
	int rc;

	if (np->field)
		return at(C, "field", KAG_ESCHEMA, "\"field\" goes with a field operator (equals, "
			  "in, prefix, suffix, glob, exists, eq, ne, lt, le, gt, ge)");
	old = kag__jptr_push(&C->path, np->key);
	if (np->op == OP_OUTCOME || np->op == OP_IDENTITY) {
		rc = compile_set(C, n, np->val);
	} else if (np->op == OP_NOT) {
		n->kids = kag__calloc(1, sizeof(*n->kids));
		if (!n->kids)
			return fail(C, KAG_ENOMEM, "out of memory");
		n->n_kids = 1;
		rc = compile_node(C, np->val, &n->kids[0], depth + 1);
	} else {
		rc = compile_kids(C, n, np->val, depth);
	}
	if (rc < 0)
		return rc;
	kag__jptr_pop(&C->path, old);
	return KAG_OK;
}

static int compile_node(compiler *C, json_t *j, rnode **out, int depth)
{
	node_parts np;
	rnode *n;
	int rc;

	*out = NULL;
	if (!json_is_object(j))
		return fail(C, KAG_ESCHEMA, "expected a match node (an object), got %s",
			    kag__json_kind(j));
	if (depth > RULE_MAX_DEPTH)
		return fail(C, KAG_ELIMIT, "match nodes nested deeper than %d", RULE_MAX_DEPTH);
	if (++C->n_nodes > RULE_MAX_NODES)
		return fail(C, KAG_ELIMIT, "more than %d match nodes in one rule",
			    RULE_MAX_NODES);
	if ((rc = node_split(C, j, &np)) < 0)
		return rc;
	n = kag__calloc(1, sizeof(*n));
	if (!n)
		return fail(C, KAG_ENOMEM, "out of memory");
	*out = n;
	n->op = np.op;
	n->field = -1;
	if (np.op >= OP_EQUALS && np.op <= OP_GE)
		return compile_field_node(C, n, &np);
	return compile_logic_node(C, n, &np, depth);
}

static int valid_id(const char *id, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.' || (c >= 'A' && c <= 'Z')))
			return 0;
	}
	return 1;
}

/* ATT&CK technique: T1234 or T1234.123 */
static int valid_technique(const char *s, size_t n)
{
	size_t i;

	if ((n != 5 && n != 9) || s[0] != 'T')
		return 0;
	for (i = 1; i < n; i++) {
		if (i == 5 ? s[i] != '.' : (s[i] < '0' || s[i] > '9'))
			return 0;
	}
	return 1;
}

static int compile_decisive(compiler *C, json_t *v)
{
	kag__rule *ru = C->rule;
	json_t *item;
	size_t i, k;
	int field;

	if (!json_is_array(v))
		return fail(C, KAG_ESCHEMA, "expected an array of field paths, got %s",
			    kag__json_kind(v));
	if (json_array_size(v) > KAG__MAX_FIELDS)
		return fail(C, KAG_ELIMIT, "more than %d decisive fields", KAG__MAX_FIELDS);
	json_array_foreach(v, i, item) {
		size_t old = kag__jptr_index(&C->path, i);
		const char *s;
		int rc = get_string(C, item, VALUE_MAX_BYTES, &s);

		if (rc < 0)
			return rc;
		if (kag_field_from_path(&field, s, json_string_length(item)) < 0) {
			size_t off;

			field = pair_field(s, json_string_length(item), &off);
			if (field >= 0)
				return fail(C, KAG_ESCHEMA, "a decisive field is a whole event field: "
					    "write \"%s\"", kag_field_name(field));
			return fail(C, KAG_ESCHEMA, "unknown field path \"%s\"", s);
		}
		for (k = 0; k < ru->n_required; k++)
			if (ru->required[k] == field)
				return fail(C, KAG_ESCHEMA, "\"%s\" is listed twice", s);
		ru->required[ru->n_required++] = field;
		kag__jptr_pop(&C->path, old);
	}
	return KAG_OK;
}

static int compile_attack(compiler *C, json_t *v)
{
	kag__rule *ru = C->rule;
	json_t *item;
	size_t i, k;

	if (!json_is_array(v))
		return fail(C, KAG_ESCHEMA, "expected an array of ATT&CK technique ids, got %s",
			    kag__json_kind(v));
	if (json_array_size(v) > KAG__MAX_ATTACK)
		return fail(C, KAG_ELIMIT, "more than %d ATT&CK techniques", KAG__MAX_ATTACK);
	json_array_foreach(v, i, item) {
		size_t old = kag__jptr_index(&C->path, i);

		if (!json_is_string(item) ||
		    !valid_technique(json_string_value(item), json_string_length(item)))
			return fail(C, KAG_ESCHEMA, "expected an ATT&CK technique id such as "
				    "\"T1609\" or \"T1552.007\"");
		for (k = 0; k < i; k++)
			if (strcmp(ru->attack_buf[k], json_string_value(item)) == 0)
				return fail(C, KAG_ESCHEMA, "\"%s\" is listed twice",
					    json_string_value(item));
		ru->attack_buf[i] = kag__strdup(json_string_value(item));
		if (!ru->attack_buf[i])
			return fail(C, KAG_ENOMEM, "out of memory");
		ru->attack[i] = (kag__technique)KAG__PRIMARY(ru->attack_buf[i], NULL);
		kag__jptr_pop(&C->path, old);
	}
	return KAG_OK;
}

/* The --list-detectors text of a rule. */
static int build_doc(compiler *C, json_t *desc, json_t *match)
{
	kag__rule *ru = C->rule;
	kag_buf b;
	size_t n;

	kag__buf_init(&b);
	kag__buf_puts(&b, "finds: ");
	kag__buf_puts(&b, desc ? json_string_value(desc) : ru->title);
	kag__buf_puts(&b, "\nmatch: ");
	n = json_dumpb(match, NULL, 0, JSON_COMPACT);
	if (n > 0 && kag__buf_reserve(&b, n) == KAG_OK) {
		json_dumpb(match, b.data + b.len, n, JSON_COMPACT);
		b.len += n;
	}
	kag__detector_facts(&b, &(kag__detector_def){ .required = ru->required,
						    .n_required = ru->n_required,
						    .min_level = ru->min_level,
						    .attack = ru->attack });
	kag__buf_puts(&b, "\nsource: caller rule");
	kag__buf_terminate(&b);
	if (b.oom) {
		kag__buf_dispose(&b);
		return fail(C, KAG_ENOMEM, "out of memory");
	}
	ru->doc = b.data;
	return KAG_OK;
}

static const char *const rule_keys[] = {
	"id", "title", "description", "assessment", "severity", "confidence", "attack",
	"decisive", "min_level", "match",
};

/* Only known keys, and the required ones present. */
static int check_rule_keys(compiler *C, json_t *j)
{
	static const char *const required_keys[] = { "id", "title", "assessment", "severity",
						       "match" };
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(j))
		return fail(C, KAG_ESCHEMA, "expected a rule (an object), got %s", kag__json_kind(j));
	json_object_foreach(j, key, v) {
		if (name_index(rule_keys, sizeof(rule_keys) / sizeof(rule_keys[0]), key) < 0)
			return at(C, key, KAG_ESCHEMA, "unknown key in a rule (known: id, title, "
				  "description, assessment, severity, confidence, attack, decisive, "
				  "min_level, match)");
	}
	for (i = 0; i < sizeof(required_keys) / sizeof(required_keys[0]); i++)
		if (!json_object_get(j, required_keys[i]))
			return fail(C, KAG_ESCHEMA, "missing required key \"%s\"", required_keys[i]);
	return KAG_OK;
}

/* id: valid, and unique among built-ins, earlier loads and this file (the
 * rules before this one are `ids`). The path is at "id". */
static int compile_id(compiler *C, json_t *v, kag__rule **ids, size_t index)
{
	const char *s;
	size_t i;
	int rc;

	if ((rc = get_string(C, v, 64, &s)) < 0)
		return rc;
	if (!valid_id(s, json_string_length(v)))
		return fail(C, KAG_ESCHEMA, "a rule id is 1 to 64 letters, digits, '_', '-' "
			    "or '.'");
	if (kag__registry_find_entry(C->r, s) >= 0)
		return fail(C, KAG_ESCHEMA, "duplicate id \"%s\": a detector with this id is "
			    "already registered", s);
	for (i = 0; i < index; i++)
		if (strcmp(ids[i]->id, s) == 0)
			return fail(C, KAG_ESCHEMA, "duplicate id \"%s\" (also /rules/%zu/id)", s, i);
	C->rule->id = kag__strdup(s);
	if (!C->rule->id)
		return fail(C, KAG_ENOMEM, "out of memory");
	return KAG_OK;
}

/* The path is at "title". */
static int compile_title(compiler *C, json_t *v)
{
	const char *s;
	int rc;

	if ((rc = get_string(C, v, TITLE_MAX_BYTES, &s)) < 0)
		return rc;
	C->rule->title = kag__strdup(s);
	if (!C->rule->title)
		return fail(C, KAG_ENOMEM, "out of memory");
	return KAG_OK;
}

/* One member of the rule, `key`, compiled by the step for it (the path
 * extended by the key while it runs); a member absent is skipped, the
 * required ones being checked before. */
enum { K_ID, K_TITLE, K_DESCRIPTION, K_ASSESSMENT, K_SEVERITY, K_CONFIDENCE, K_MIN_LEVEL,
       K_ATTACK, K_DECISIVE, K_MATCH };

static int compile_member(compiler *C, json_t *v, int which, kag__rule **ids, size_t index)
{
	kag__rule *ru = C->rule;
	const char *s;
	int idx, rc;

	switch (which) {
	case K_ID: return compile_id(C, v, ids, index);
	case K_TITLE: return compile_title(C, v);
	case K_DESCRIPTION: return get_string(C, v, DESC_MAX_BYTES, &s);
	case K_ASSESSMENT:
		return get_name(C, v, assessments, 3, &ru->assessment, "assessment");
	case K_SEVERITY:
		return get_name(C, v, severities, 5, &ru->severity, "severity");
	case K_CONFIDENCE:
		return get_name(C, v, confidences, 3, &ru->confidence, "confidence");
	case K_MIN_LEVEL:
		if ((rc = get_name(C, v, levels, 4, &idx, "audit level")) < 0)
			return rc;
		ru->min_level = idx;
		return KAG_OK;
	case K_ATTACK: return compile_attack(C, v);
	case K_DECISIVE: return compile_decisive(C, v);
	default: return compile_node(C, v, &ru->match, 1);
	}
}

/* The fields a reason names: the decisive ones, what the match reads, who. */
static void choose_shown(compiler *C)
{
	kag__rule *ru = C->rule;
	size_t i;

	for (i = 0; i < ru->n_required && ru->n_shown < MAX_SHOWN; i++) {
		int k = kag__field_kind(ru->required[i]);

		if (k == KAG__KIND_STRING || k == KAG__KIND_INT || k == KAG__KIND_LIST)
			ru->shown[ru->n_shown++] = ru->required[i];
	}
	note_use(C, KAG_FIELD_USER_USERNAME);
	for (i = 0; i < C->n_uses && ru->n_shown < MAX_SHOWN; i++) {
		int f = C->uses_order[i], k = kag__field_kind(f);

		if (!kag__rule_is_decisive(ru, f) &&
		    (k == KAG__KIND_STRING || k == KAG__KIND_INT || k == KAG__KIND_LIST))
			ru->shown[ru->n_shown++] = f;
	}
}

/* Compile rules[index]; `ids` are the ids of the rules before it. */
static int compile_rule(compiler *C, json_t *j, kag__rule **ids, size_t index,
			kag__rule **out)
{
	/* in this order: the severity decides the context severity, and the
	 * decisive fields which fields the match may show */
	static const struct {
		const char *key;
		int which;
	} steps[] = {
		{ "id", K_ID }, { "title", K_TITLE }, { "description", K_DESCRIPTION },
		{ "assessment", K_ASSESSMENT }, { "severity", K_SEVERITY },
		{ "confidence", K_CONFIDENCE }, { "min_level", K_MIN_LEVEL },
		{ "attack", K_ATTACK }, { "decisive", K_DECISIVE }, { "match", K_MATCH },
	};
	kag__rule *ru;
	json_t *v;
	size_t i, old;
	int rc;

	*out = NULL;
	if ((rc = check_rule_keys(C, j)) < 0)
		return rc;
	ru = kag__calloc(1, sizeof(*ru));
	if (!ru)
		return fail(C, KAG_ENOMEM, "out of memory");
	*out = ru;
	C->rule = ru;
	C->n_nodes = 0;
	memset(C->uses, 0, sizeof(C->uses));
	C->n_uses = 0;
	ru->confidence = KAG_CONFIDENCE_HIGH;
	ru->min_level = KAG_LEVEL_METADATA;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (!(v = json_object_get(j, steps[i].key)))
			continue;
		old = kag__jptr_push(&C->path, steps[i].key);
		if ((rc = compile_member(C, v, steps[i].which, ids, index)) < 0)
			return rc;
		kag__jptr_pop(&C->path, old);
		if (steps[i].which == K_SEVERITY)
			ru->ctx_severity = ru->severity >= KAG_SEVERITY_HIGH ? KAG_SEVERITY_MEDIUM
									     : KAG_SEVERITY_LOW;
	}
	choose_shown(C);
	return build_doc(C, json_object_get(j, "description"), json_object_get(j, "match"));
}

/* The top level of a rules file; *rules_out is its "rules" array. */
static int check_top(compiler *C, json_t *root, json_t **rules_out)
{
	const char *key;
	json_t *v;
	size_t old;

	*rules_out = NULL;
	if (!json_is_object(root))
		return fail(C, KAG_ESCHEMA, "a rules file is a JSON object with \"rules\", got %s",
			    kag__json_kind(root));
	json_object_foreach(root, key, v) {
		old = kag__jptr_push(&C->path, key);
		if (strcmp(key, "rules") == 0) {
			if (!json_is_array(v))
				return fail(C, KAG_ESCHEMA, "expected an array of rules, got %s",
					    kag__json_kind(v));
			*rules_out = v;
		} else if (strcmp(key, "version") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) != 1)
				return fail(C, KAG_ESCHEMA, "unsupported rules version (this library "
					    "reads version 1)");
		} else if (strcmp(key, "description") == 0) {
			if (!json_is_string(v))
				return fail(C, KAG_ESCHEMA, "expected a string, got %s",
					    kag__json_kind(v));
		} else {
			return fail(C, KAG_ESCHEMA, "unknown key (known: version, description, "
				    "rules)");
		}
		kag__jptr_pop(&C->path, old);
	}
	if (!*rules_out)
		return fail(C, KAG_ESCHEMA, "missing required key \"rules\"");
	if (json_array_size(*rules_out) > RULES_MAX) {
		kag__jptr_push(&C->path, "rules");
		return fail(C, KAG_ELIMIT, "more than %d rules", RULES_MAX);
	}
	return KAG_OK;
}

/* Compile every rule into compiled[] (*n_out of them, the failed one
 * included, for the caller to free). */
static int compile_rules(compiler *C, json_t *rules, kag__rule **compiled, size_t *n_out)
{
	size_t i, old = kag__jptr_push(&C->path, "rules");
	json_t *v;
	int rc;

	json_array_foreach(rules, i, v) {
		size_t o2 = kag__jptr_index(&C->path, i);

		rc = compile_rule(C, v, compiled, i, &compiled[i]);
		*n_out = i + 1;
		if (rc < 0)
			return rc;
		kag__jptr_pop(&C->path, o2);
	}
	kag__jptr_pop(&C->path, old);
	return KAG_OK;
}

/* The registry takes the compiled rules: one allocation, then nothing can
 * fail. */
static int commit_rules(compiler *C, kag__rule **compiled, size_t n)
{
	kag_registry *r = C->r;
	size_t i;

	if (r->n_entries + n > r->cap_entries) {
		kag__entry *ne = kag__realloc(r->entries, (r->n_entries + n) * sizeof(*ne));

		if (!ne)
			return fail(C, KAG_ENOMEM, "out of memory");
		r->entries = ne;
		r->cap_entries = r->n_entries + n;
	}
	for (i = 0; i < n; i++) {
		kag__rule *ru = compiled[i];
		kag__entry *e = &r->entries[r->n_entries++];

		memset(e, 0, sizeof(*e));
		e->def.id = ru->id;
		e->def.title = ru->title;
		e->def.doc = ru->doc;
		e->def.attack = ru->attack;
		e->def.required = ru->required;
		e->def.n_required = ru->n_required;
		e->def.min_level = ru->min_level;
		e->def.needs_outcome = 0;
		e->def.ctx_severity = ru->ctx_severity;
		e->def.applies = kag__rule_applies;
		e->def.judge = kag__rule_judge;
		e->rule = ru;
		e->enabled = 1;
		compiled[i] = NULL;
	}
	return KAG_OK;
}

int kag_registry_load_rules(kag_registry *r, const char *json, size_t len)
{
	compiler C;
	json_t *root, *rules;
	kag__rule **compiled = NULL;
	size_t i, n = 0;
	int rc;

	rc = kag__load_open(&root, r, json, len, RULES_MAX_BYTES, "the rules file", "rules");
	if (rc < 0)
		return rc;
	memset(&C, 0, sizeof(C));
	C.r = r;
	if ((rc = check_top(&C, root, &rules)) < 0)
		goto done;
	compiled = kag__calloc(json_array_size(rules) + 1, sizeof(*compiled));
	if (!compiled) {
		rc = fail(&C, KAG_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = compile_rules(&C, rules, compiled, &n)) < 0)
		goto done;
	rc = commit_rules(&C, compiled, n);
done:
	if (compiled) {
		for (i = 0; i < n; i++)
			kag__rule_free(compiled[i]);
		kag__free(compiled);
	}
	json_decref(root);
	return rc;
}
