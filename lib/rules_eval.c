/* Caller rules, judged (and freed: the compiled form is the model that
 * rules_load.c builds and the registry owns): a rule's match expression is evaluated in
 * three-valued logic. A predicate on a decisive field that is absent (or a
 * placeholder) is unknown rather than false, and so is an outcome predicate
 * when the outcome is not known; `all`, `any` and `not` combine unknowns as
 * Kleene logic does. A match that is false produces nothing, one that is
 * unknown produces needs_context, never a guess either way. A predicate on a
 * field that is absent and not decisive is simply false (placeholders count
 * as absent). Nothing is allocated per event. */
#include <stdio.h>
#include <string.h>

#include "alloc-private.h"
#include "rules-private.h"


/* The n bytes at s match the n tokens at t. */
static int glob_span(const int16_t *t, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i] != GLOB_ANY && t[i] != s[i])
			return 0;
	return 1;
}

/* The leftmost match of the middle segment of `len` tokens at bit `off`
 * within s[pos, end): the offset just past it, or (size_t)-1. */
static size_t glob_find(const glob_prog *g, size_t off, size_t len, const unsigned char *s,
			size_t pos, size_t end)
{
	size_t w0 = off / 64, nw = (off + len - 1) / 64 - w0 + 1, w;
	const uint64_t *mask = g->mask + w0;
	uint64_t first = (uint64_t)1 << (off % 64), last = (uint64_t)1 << ((off + len - 1) % 64);
	uint64_t d[GLOB_MAX_WORDS] = { 0 };

	if (end - pos < len)
		return (size_t)-1;
	if (nw == 1) {
		uint64_t d0 = 0;

		for (; pos < end; pos++) {
			d0 = ((d0 << 1) | first) & mask[(size_t)g->row[s[pos]] * g->n_words];
			if (d0 & last)
				return pos + 1;
		}
		return (size_t)-1;
	}
	for (; pos < end; pos++) {
		const uint64_t *m = mask + (size_t)g->row[s[pos]] * g->n_words;
		uint64_t carry = first;

		for (w = 0; w < nw; w++) {
			uint64_t out = d[w] >> 63;

			d[w] = ((d[w] << 1) | carry) & m[w];
			carry = out;
		}
		if (d[nw - 1] & last)
			return pos + 1;
	}
	return (size_t)-1;
}

int kag__glob_match(const glob_prog *g, const char *value, size_t n)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t pos, end, off, i;

	if (!g->star)
		return n == g->head && glob_span(g->tok, s, n);
	if (n < (size_t)g->head + g->tail || !glob_span(g->tok, s, g->head) ||
	    !glob_span(g->tok + g->n_tok - g->tail, s + n - g->tail, g->tail))
		return 0;
	pos = g->head;
	end = n - g->tail;
	off = 0;
	for (i = 0; i < g->n_mid; i++) {
		pos = glob_find(g, off, g->mid_len[i], s, pos, end);
		if (pos == (size_t)-1)
			return 0;
		off += g->mid_len[i];
	}
	return 1;
}

static int test_str(const rnode *n, kag_str v)
{
	size_t i;

	switch (n->op) {
	case OP_EQUALS:
	case OP_IN:
		for (i = 0; i < n->n_vals; i++)
			if (v.len == n->lens[i] && memcmp(v.ptr, n->vals[i], v.len) == 0)
				return 1;
		return 0;
	case OP_PREFIX:
		return v.len >= n->lens[0] && memcmp(v.ptr, n->vals[0], n->lens[0]) == 0;
	case OP_SUFFIX:
		return v.len >= n->lens[0] &&
		       memcmp(v.ptr + v.len - n->lens[0], n->vals[0], n->lens[0]) == 0;
	case OP_GLOB:
		return kag__glob_match(n->glob, v.ptr, v.len);
	case OP_EXISTS:
		return n->exists;
	default:
		return 0;
	}
}

static int test_num(const rnode *n, int64_t c)
{
	size_t i;

	switch (n->op) {
	case OP_EQ: return c == n->nums[0];
	case OP_NE: return c != n->nums[0];
	case OP_LT: return c < n->nums[0];
	case OP_LE: return c <= n->nums[0];
	case OP_GT: return c > n->nums[0];
	case OP_GE: return c >= n->nums[0];
	case OP_CODE_IN:
		for (i = 0; i < n->n_nums; i++)
			if (c == n->nums[i])
				return 1;
		return 0;
	case OP_EXISTS: return n->exists;
	default: return 0;
	}
}

int kag__rule_is_decisive(const kag__rule *ru, int field)
{
	size_t i;

	for (i = 0; i < ru->n_required; i++)
		if (ru->required[i] == field)
			return 1;
	return 0;
}

/* A predicate on an absent field (or a key absent from a pair field). */
static int absent(const kag__rule *ru, const rnode *n, int decisive_field)
{
	if (decisive_field >= 0 && kag__rule_is_decisive(ru, decisive_field))
		return TV_UNKNOWN;
	return n->op == OP_EXISTS && !n->exists ? TV_TRUE : TV_FALSE;
}

static int eval_field(const kag__rule *ru, const rnode *n, const kag_event *ev)
{
	int kind = kag__field_kind(n->field);
	size_t i;

	if (!kag__usable(ev, n->field))
		return absent(ru, n, n->field);
	switch (kind) {
	case KAG__KIND_STRING:
		return test_str(n, ev->str[n->field]);
	case KAG__KIND_INT:
		return test_num(n, ev->code);
	case KAG__KIND_LIST: {
		int seen = 0;

		for (i = 0; i < ev->count[n->field]; i++) {
			const kag_item *it = kag__item(ev, n->field, i);

			if (!it || kag__is_placeholder(it->val.ptr, it->val.len))
				continue;
			seen = 1;
			if (test_str(n, it->val))
				return TV_TRUE;
		}
		return seen ? TV_FALSE : absent(ru, n, n->field);
	}
	case KAG__KIND_PAIRS: {
		int seen = 0;

		if (!n->key)
			return test_str(n, (kag_str){ "", 0 }); /* exists only */
		for (i = 0; i < ev->count[n->field]; i++) {
			const kag_item *it = kag__item(ev, n->field, i);

			if (!it || it->key.len != n->key_len ||
			    memcmp(it->key.ptr, n->key, n->key_len) != 0 ||
			    kag__is_placeholder(it->val.ptr, it->val.len))
				continue;
			seen = 1;
			if (test_str(n, it->val))
				return TV_TRUE;
		}
		/* the pair field is there: a missing key is a definite absence */
		return seen ? TV_FALSE : absent(ru, n, -1);
	}
	default:
		return test_str(n, (kag_str){ "", 0 }); /* objects and bodies: exists */
	}
}

static int eval(const kag__rule *ru, const rnode *n, const kag_event *ev,
		const kag__ctx *ctx)
{
	size_t i;
	int acc, v;

	switch (n->op) {
	case OP_ALL:
		acc = TV_TRUE;
		for (i = 0; i < n->n_kids; i++) {
			v = eval(ru, n->kids[i], ev, ctx);
			if (v == TV_FALSE)
				return TV_FALSE;
			if (v == TV_UNKNOWN)
				acc = TV_UNKNOWN;
		}
		return acc;
	case OP_ANY:
		acc = TV_FALSE;
		for (i = 0; i < n->n_kids; i++) {
			v = eval(ru, n->kids[i], ev, ctx);
			if (v == TV_TRUE)
				return TV_TRUE;
			if (v == TV_UNKNOWN)
				acc = TV_UNKNOWN;
		}
		return acc;
	case OP_NOT:
		v = eval(ru, n->kids[0], ev, ctx);
		return v == TV_UNKNOWN ? v : !v;
	case OP_OUTCOME:
		if (ctx->outcome == KAG_OUTCOME_UNKNOWN && !(n->set & (1u << KAG_OUTCOME_UNKNOWN)))
			return TV_UNKNOWN;
		return (n->set >> ctx->outcome) & 1u ? TV_TRUE : TV_FALSE;
	case OP_IDENTITY:
		if (!kag__usable(ev, KAG_FIELD_USER_USERNAME) &&
		    kag__rule_is_decisive(ru, KAG_FIELD_USER_USERNAME))
			return TV_UNKNOWN;
		return (n->set >> ctx->identity) & 1u ? TV_TRUE : TV_FALSE;
	default:
		return eval_field(ru, n, ev);
	}
}

/* The session asks every rule first whether the event is its business: a
 * match that is true or unknown is (the gate then decides needs_context). */
int kag__rule_applies(const kag_event *ev, const kag__ctx *ctx)
{
	return ctx->rule && eval(ctx->rule, ctx->rule->match, ev, ctx) != TV_FALSE;
}

static size_t show_value(const kag_event *ev, int field, char *buf, size_t size)
{
	int kind = kag__field_kind(field);
	size_t i;

	if (kind == KAG__KIND_INT)
		return (size_t)snprintf(buf, size, "%lld", (long long)ev->code);
	if (kind == KAG__KIND_LIST) {
		for (i = 0; i < ev->count[field]; i++) {
			const kag_item *it = kag__item(ev, field, i);
			size_t k, n;

			if (!it || kag__is_placeholder(it->val.ptr, it->val.len))
				continue;
			n = it->val.len < size - 1 ? it->val.len : size - 1;
			for (k = 0; k < n; k++) {
				unsigned char c = (unsigned char)it->val.ptr[k];

				buf[k] = c >= 0x20 && c != 0x7f ? (char)c : '?';
			}
			buf[n] = '\0';
			return n;
		}
		snprintf(buf, size, "?");
		return 1;
	}
	kag__show(ev, field, buf, size);
	return strlen(buf);
}

int kag__rule_judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	const kag__rule *ru = ctx->rule;
	char reason[sizeof(f->reason)], value[72];
	size_t i, n, shown = 0;
	int tv;

	if (!ru)
		return KAG_OK;
	tv = eval(ru, ru->match, ev, ctx);
	if (tv == TV_FALSE)
		return KAG_OK;
	for (i = 0; ru->attack[i].id; i++)
		kag__finding_attack(f, ru->attack[i].id);
	if (tv == TV_UNKNOWN) {
		/* the gate passed, so every decisive field is here: only the
		 * outcome can leave the match undecided */
		kag__report(f, KAG_ASSESSMENT_NEEDS_CONTEXT, ru->ctx_severity, KAG_CONFIDENCE_LOW,
			    "rule %s depends on the outcome of the request, which is not known "
			    "(no responseStatus.code or authorization decision)", ru->id);
		return KAG_OK;
	}
	n = (size_t)snprintf(reason, sizeof(reason), "%s (rule %s)", ru->title, ru->id);
	for (i = 0; i < ru->n_shown && n < sizeof(reason); i++) {
		if (!kag__usable(ev, ru->shown[i]))
			continue;
		show_value(ev, ru->shown[i], value, sizeof(value));
		n += (size_t)snprintf(reason + n, sizeof(reason) - n, "%s%s=%s",
				      shown++ ? ", " : ": ", kag_field_name(ru->shown[i]), value);
	}
	kag__report(f, ru->assessment, ru->severity, ru->confidence, "%s", reason);
	return KAG_OK;
}

/* ---- freeing ---- */

static void node_free(rnode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n_kids; i++)
		node_free(n->kids[i]);
	kag__free(n->kids);
	for (i = 0; i < n->n_vals; i++)
		kag__free(n->vals[i]);
	kag__free(n->vals);
	kag__free(n->lens);
	kag__free(n->nums);
	kag__free(n->glob);
	kag__free(n->key);
	kag__free(n);
}

void kag__rule_free(kag__rule *rule)
{
	size_t i;

	if (!rule)
		return;
	kag__free(rule->id);
	kag__free(rule->title);
	kag__free(rule->doc);
	for (i = 0; i < KAG__MAX_ATTACK; i++)
		kag__free(rule->attack_buf[i]);
	node_free(rule->match);
	kag__free(rule);
}
