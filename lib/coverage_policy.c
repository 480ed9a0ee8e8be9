/* The coverage advice as an audit.k8s.io/v1 Policy (coverage-private.h):
 * one rule per level, naming the resources the detectors saw without the
 * body they needed. Resource names come from the audit log, which anyone
 * who can send a request writes: only names made of the characters of
 * Kubernetes resource and group names are advised, so the text stays YAML
 * whatever the log holds. */
#include <stdio.h>

#include "alloc-private.h"
#include "coverage-private.h"

typedef struct {
	const kag__coverage_key *res;
	int level;
} item;

/* Resources whose bodies carry the secret values they hold: their level
 * is never raised above this, whatever a detector could read in them. */
static const struct {
	const char *group, *resource, *subresource;
	int max_level;
} k_leaky[] = {
	{ "", "secrets", "", KAG_LEVEL_METADATA },
	{ "", "configmaps", "", KAG_LEVEL_METADATA },
	{ "authentication.k8s.io", "tokenreviews", "", KAG_LEVEL_METADATA },
	/* the request says which audience; the response is the token */
	{ "", "serviceaccounts", "token", KAG_LEVEL_REQUEST },
};

static int part_is(const kag__coverage_key *k, int part, const char *s)
{
	kag_str v = kag__coverage_part(k, part);

	return v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

static int max_level(const kag__coverage_key *k)
{
	size_t i;

	for (i = 0; i < sizeof(k_leaky) / sizeof(k_leaky[0]); i++)
		if (part_is(k, 0, k_leaky[i].group) && part_is(k, 1, k_leaky[i].resource) &&
		    part_is(k, 2, k_leaky[i].subresource))
			return k_leaky[i].max_level;
	return KAG_LEVEL_REQUEST_RESPONSE;
}

/* Lower-case letters, digits, '.' and '-': a resource or group name. */
static int plain(kag_str s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		char ch = s.ptr[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
		      ch == '-'))
			return 0;
	}
	return 1;
}

/* The level advised for a row: 0 when none (no level reason, a name that
 * is not a resource's, or a resource whose body stays out of the log). */
static int advised(const kag__coverage_row *r)
{
	int level = r->level, cap;
	const kag__coverage_key *k = &r->res;

	if (!level || !k->rlen || !plain(kag__coverage_part(k, 0)) ||
	    !plain(kag__coverage_part(k, 1)) || !plain(kag__coverage_part(k, 2)))
		return 0;
	cap = max_level(k);
	if (level > cap)
		level = cap;
	return level > KAG_LEVEL_METADATA ? level : 0;
}

static item *find(item *items, size_t n, const kag__coverage_key *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (kag__coverage_key_eq(items[i].res, k))
			return &items[i];
	return NULL;
}

/* Every advised resource once, at the most detailed level any detector
 * asked for, ordered by level, then name. */
static size_t collect(const kag__coverage *c, item *items)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < c->n; i++) {
		const kag__coverage_det *d = &c->det[i];

		for (j = 0; j < d->n_rows; j++) {
			const kag__coverage_row *r = &d->rows[j];
			int level = advised(r);
			item *it;

			if (!level)
				continue;
			it = find(items, n, &r->res);
			if (!it) {
				it = &items[n++];
				it->res = &r->res;
				it->level = 0;
			}
			if (level > it->level)
				it->level = level;
		}
	}
	for (i = 1; i < n; i++) {
		item x = items[i];

		for (k = i; k > 0; k--) {
			const item *p = &items[k - 1];

			if (p->level < x.level ||
			    (p->level == x.level && kag__coverage_key_cmp(p->res, x.res) < 0))
				break;
			items[k] = *p;
		}
		items[k] = x;
	}
	return n;
}

/* "# for privileged_workload (40 events), exposed_service (3 events)":
 * the detectors whose resources the rule at `level` names. */
static void put_detectors(kag_buf *b, const kag__coverage *c, const kag_registry *reg,
			  item *items, size_t n, int level)
{
	size_t i, j, shown = 0;

	for (i = 0; i < c->n; i++) {
		const kag__coverage_det *d = &c->det[i];
		uint64_t events = 0;
		char num[48];

		for (j = 0; j < d->n_rows; j++) {
			const kag__coverage_row *r = &d->rows[j];
			const item *it = advised(r) ? find(items, n, &r->res) : NULL;

			if (it && it->level == level)
				events += r->unjudged + r->weakened;
		}
		if (!events)
			continue;
		kag__buf_puts(b, shown++ ? ", " : "  # for ");
		kag__buf_puts(b, reg->entries[i].def.id);
		snprintf(num, sizeof(num), " (%llu event%s)", (unsigned long long)events,
			 events == 1 ? "" : "s");
		kag__buf_puts(b, num);
	}
	kag__buf_putc(b, '\n');
}

static void put_name(kag_buf *b, const kag__coverage_key *k)
{
	kag_str r = kag__coverage_part(k, 1), s = kag__coverage_part(k, 2);

	kag__buf_putc(b, '"');
	kag__buf_put(b, r.ptr, r.len);
	if (s.len) {
		kag__buf_putc(b, '/');
		kag__buf_put(b, s.ptr, s.len);
	}
	kag__buf_putc(b, '"');
}

/* The resources of the rule at `level`: one entry per group. */
static void put_resources(kag_buf *b, const item *items, size_t n, int level)
{
	size_t i;
	const item *group = NULL;

	KAG__BUF_LIT(b, "    resources:\n");
	for (i = 0; i < n; i++) {
		const item *it = &items[i];
		kag_str g = kag__coverage_part(it->res, 0);

		if (it->level != level)
			continue;
		if (group && kag__coverage_part(group->res, 0).len == g.len &&
		    memcmp(kag__coverage_part(group->res, 0).ptr, g.ptr, g.len) == 0) {
			KAG__BUF_LIT(b, ", ");
		} else {
			if (group)
				KAG__BUF_LIT(b, "]\n");
			KAG__BUF_LIT(b, "      - group: \"");
			kag__buf_put(b, g.ptr, g.len);
			KAG__BUF_LIT(b, "\"\n        resources: [");
			group = it;
		}
		put_name(b, it->res);
	}
	if (group)
		KAG__BUF_LIT(b, "]\n");
}

static const char k_head[] =
	"# Audit policy rules that would let kag's detectors judge the events\n"
	"# they could not. The first rule that matches a request sets its level:\n"
	"# put these before the rules that log these resources at a lower level.\n"
	"apiVersion: audit.k8s.io/v1\n"
	"kind: Policy\n"
	"rules:\n"
	"  # Secret, ConfigMap and TokenReview bodies carry the secrets they hold:\n"
	"  # Metadata is the right level for them, and kag judges their use at it.\n"
	"  - level: Metadata\n"
	"    resources:\n"
	"      - group: \"\"\n"
	"        resources: [\"secrets\", \"configmaps\"]\n"
	"      - group: \"authentication.k8s.io\"\n"
	"        resources: [\"tokenreviews\"]\n";

static void put_rules(kag_buf *b, const kag__coverage *c, const kag_registry *reg,
		      item *items, size_t n)
{
	int level;
	size_t i;

	for (level = KAG_LEVEL_REQUEST; level <= KAG_LEVEL_REQUEST_RESPONSE; level++) {
		for (i = 0; i < n && items[i].level != level; i++)
			;
		if (i == n)
			continue;
		put_detectors(b, c, reg, items, n, level);
		KAG__BUF_LIT(b, "  - level: ");
		kag__buf_puts(b, kag_level_name(level));
		kag__buf_putc(b, '\n');
		/* a read's response is the whole object or list: only the
		 * writes' responses show what a detector needs */
		if (level == KAG_LEVEL_REQUEST_RESPONSE)
			KAG__BUF_LIT(b, "    verbs: [\"create\", \"update\", \"patch\"]\n");
		put_resources(b, items, n, level);
	}
}

const char *kag__coverage_policy(kag__coverage *c, const kag_registry *r, size_t *len)
{
	kag_buf *b = &c->policy;
	item *items = kag__calloc(c->n * KAG__COVERAGE_ROWS + 1, sizeof(*items));
	uint64_t stage = 0;
	size_t i, n;

	if (!items)
		return NULL;
	b->len = 0;
	b->oom = 0;
	n = collect(c, items);
	for (i = 0; i < c->n; i++)
		stage += c->det[i].reason[3];
	if (n || stage)
		kag__buf_put(b, k_head, sizeof(k_head) - 1);
	put_rules(b, c, r, items, n);
	if (stage) {
		char text[200];

		snprintf(text, sizeof(text),
			 "# %llu time%s a detector lacked the outcome of a request logged at\n"
			 "# stage RequestReceived only: keep ResponseComplete out of omitStages.\n",
			 (unsigned long long)stage, stage == 1 ? "" : "s");
		kag__buf_puts(b, text);
	}
	kag__free(items);
	if (kag__buf_terminate(b) < 0 || b->oom)
		return NULL;
	if (len)
		*len = b->len;
	return b->data;
}
