/* Coverage (coverage-private.h): counts, the JSON object and the audit
 * policy snippet. What each detector needs comes from its definition (the
 * gate's verdict on min_level and the decisive fields) and from what it
 * reported missing, never from a table of detectors kept here. */
#include <stdio.h>

#include "alloc-private.h"
#include "coverage-private.h"

int kag__coverage_init(kag__coverage *c, size_t n_entries)
{
	memset(c, 0, sizeof(*c));
	kag__buf_init(&c->json);
	kag__buf_init(&c->policy);
	c->det = kag__calloc(n_entries ? n_entries : 1, sizeof(*c->det));
	if (!c->det)
		return KAG_ENOMEM;
	c->n = n_entries;
	return KAG_OK;
}

void kag__coverage_dispose(kag__coverage *c)
{
	size_t i;

	if (c->det) {
		for (i = 0; i < c->n; i++)
			kag__free(c->det[i].rows);
	}
	kag__free(c->det);
	kag__buf_dispose(&c->json);
	kag__buf_dispose(&c->policy);
	memset(c, 0, sizeof(*c));
}

/* ---- notes ---- */

static void key_read(kag__coverage_key *k, const kag_event *ev)
{
	static const int parts[] = { KAG_FIELD_OBJ_API_GROUP, KAG_FIELD_OBJ_RESOURCE,
				     KAG_FIELD_OBJ_SUBRESOURCE };
	unsigned char *len[3];
	size_t i, n = 0;

	len[0] = &k->glen;
	len[1] = &k->rlen;
	len[2] = &k->slen;
	k->fits = 1;
	for (i = 0; i < 3; i++) {
		kag_str v = kag__usable(ev, parts[i]) ? ev->str[parts[i]] : (kag_str){ NULL, 0 };

		if (v.len > KAG__COVERAGE_KEY - n) {
			k->fits = 0;
			v.len = 0;
		}
		if (v.len)
			memcpy(k->key + n, v.ptr, v.len);
		*len[i] = (unsigned char)v.len;
		n += v.len;
	}
}

/* The level at which a body field is logged; 0 for other fields. */
static int body_level(int field)
{
	if (field == KAG_FIELD_REQUEST_OBJECT)
		return KAG_LEVEL_REQUEST;
	if (field == KAG_FIELD_RESPONSE_OBJECT)
		return KAG_LEVEL_REQUEST_RESPONSE;
	return 0;
}

/* A missing field of a finding: a body the event's level does not log
 * (the level is the reason), or a field the event lacks. */
static void finding_missing(kag__coverage_note *n, const kag_event *ev, int field)
{
	int need = body_level(field);

	if (need && ev->level < need) {
		n->reasons |= KAG__COV_LEVEL;
		if (need > n->level)
			n->level = need;
		return;
	}
	n->reasons |= KAG__COV_FIELD;
	n->fields |= (uint64_t)1 << field;
}

/* The gate stopped the detector. */
static void gate_reasons(kag__coverage_note *n, const kag__detector_def *d,
			 const kag_event *ev, const kag__gate_result *g)
{
	size_t i;

	if (!g->stage_ok && ev->stage == KAG_STAGE_REQUEST_RECEIVED)
		n->reasons |= KAG__COV_STAGE;
	else if (g->no_outcome)
		n->reasons |= KAG__COV_OUTCOME;
	for (i = 0; i < g->n_missing; i++) {
		n->reasons |= KAG__COV_FIELD;
		n->fields |= (uint64_t)1 << g->missing[i];
	}
	if (d && !g->level_ok) {
		n->reasons |= KAG__COV_LEVEL;
		if (ev->level < d->min_level)
			n->level = d->min_level;
	}
}

int kag__coverage_note_make(kag__coverage_note *n, size_t entry, const kag__detector_def *d,
			    const kag_event *ev, const kag__gate_result *g, const kag_finding *f)
{
	size_t i;

	n->entry = 0;
	n->weakened = 0;
	n->reasons = 0;
	n->fields = 0;
	n->level = 0;
	if (!g->passed) {
		gate_reasons(n, d, ev, g);
	} else if (f->assessment == KAG_ASSESSMENT_NEEDS_CONTEXT) {
		for (i = 0; i < f->n_missing; i++)
			finding_missing(n, ev, f->missing[i]);
		if (!n->reasons)
			n->reasons = g->outcome == KAG_OUTCOME_UNKNOWN ? KAG__COV_OUTCOME
								       : KAG__COV_OTHER;
	} else {
		/* judged: only an absent body the level explains weakens it */
		for (i = 0; i < f->n_missing; i++) {
			int need = body_level(f->missing[i]);

			if (need && ev->level < need && need > n->level)
				n->level = need;
		}
		if (!n->level)
			return 0;
		n->weakened = 1;
	}
	n->entry = entry + 1;
	key_read(&n->res, ev);
	return 1;
}

/* ---- counting ---- */

int kag__coverage_key_eq(const kag__coverage_key *a, const kag__coverage_key *b)
{
	return a->glen == b->glen && a->rlen == b->rlen && a->slen == b->slen &&
	       memcmp(a->key, b->key, (size_t)a->glen + a->rlen + a->slen) == 0;
}

/* The row of a resource, a new one while there is room, or NULL (other). */
static kag__coverage_row *row_of(kag__coverage_det *d, const kag__coverage_key *k)
{
	kag__coverage_row *r;
	size_t i;

	if (!k->fits)
		return NULL;
	for (i = 0; i < d->n_rows; i++)
		if (kag__coverage_key_eq(&d->rows[i].res, k))
			return &d->rows[i];
	if (!d->rows) {
		d->rows = kag__calloc(KAG__COVERAGE_ROWS, sizeof(*d->rows));
		if (!d->rows)
			return NULL;
	}
	if (d->n_rows == KAG__COVERAGE_ROWS)
		return NULL;
	r = &d->rows[d->n_rows++];
	r->res = *k;
	return r;
}

void kag__coverage_count(kag__coverage *c, const kag__coverage_note *n, int verdict,
			 int level_only)
{
	kag__coverage_det *d;
	kag__coverage_row *r;
	size_t i;

	if (!n->entry || n->entry > c->n)
		return;
	d = &c->det[n->entry - 1];
	r = row_of(d, &n->res);
	if (r && n->level > r->level)
		r->level = n->level;
	if (n->weakened) {
		d->weakened++;
		*(r ? &r->weakened : &d->other_weakened) += 1;
		return;
	}
	d->unjudged++;
	*(r ? &r->unjudged : &d->other_unjudged) += 1;
	if (verdict)
		d->verdicts++;
	else if (level_only)
		d->level_silent++;
	for (i = 0; i < KAG__COV_REASONS; i++)
		if (n->reasons & (1u << i))
			d->reason[i]++;
	for (i = 0; i < KAG__FIELD_COUNT; i++)
		if (n->fields & ((uint64_t)1 << i))
			d->field[i]++;
}

uint64_t kag__coverage_stat(const kag__coverage *c, size_t i, int stat)
{
	const kag__coverage_det *d;

	if (i >= c->n)
		return 0;
	d = &c->det[i];
	switch (stat) {
	case KAG_DSTAT_LEVEL_UNJUDGED: return d->level_silent;
	case KAG_DSTAT_UNJUDGED: return d->unjudged;
	case KAG_DSTAT_UNJUDGED_VERDICTS: return d->verdicts;
	case KAG_DSTAT_WEAKENED: return d->weakened;
	case KAG_DSTAT_REASON_LEVEL: return d->reason[0];
	case KAG_DSTAT_REASON_FIELD: return d->reason[1];
	case KAG_DSTAT_REASON_OUTCOME: return d->reason[2];
	case KAG_DSTAT_REASON_STAGE: return d->reason[3];
	case KAG_DSTAT_REASON_OTHER: return d->reason[4];
	default: return 0;
	}
}

/* ---- reading the table ---- */

kag_str kag__coverage_part(const kag__coverage_key *k, int part)
{
	size_t off = part == 0 ? 0 : part == 1 ? k->glen : (size_t)k->glen + k->rlen;
	size_t len = part == 0 ? k->glen : part == 1 ? k->rlen : k->slen;

	return (kag_str){ k->key + off, len };
}

static int str_cmp(kag_str a, kag_str b)
{
	int c = memcmp(a.ptr, b.ptr, a.len < b.len ? a.len : b.len);

	return c ? c : (a.len > b.len) - (a.len < b.len);
}

int kag__coverage_key_cmp(const kag__coverage_key *a, const kag__coverage_key *b)
{
	int part, c;

	for (part = 0; part < 3; part++)
		if ((c = str_cmp(kag__coverage_part(a, part), kag__coverage_part(b, part))) != 0)
			return c;
	return 0;
}

/* The rows of d in report order: most events first, then by name. */
static size_t rows_sorted(const kag__coverage_det *d, const kag__coverage_row **out)
{
	size_t i, j;

	for (i = 0; i < d->n_rows; i++) {
		const kag__coverage_row *r = &d->rows[i];
		uint64_t n = r->unjudged + r->weakened;

		for (j = i; j > 0; j--) {
			const kag__coverage_row *q = out[j - 1];
			uint64_t m = q->unjudged + q->weakened;

			if (m > n || (m == n && kag__coverage_key_cmp(&q->res, &r->res) < 0))
				break;
			out[j] = q;
		}
		out[j] = r;
	}
	return d->n_rows;
}

/* ---- the JSON object ---- */

static void put_named_u64(kag_buf *b, const char *name, uint64_t v, int first)
{
	if (!first)
		kag__buf_putc(b, ',');
	kag__buf_put_json_str(b, name, strlen(name));
	kag__buf_putc(b, ':');
	kag__buf_put_u64(b, v);
}

static void put_part(kag_buf *b, const kag__coverage_key *k, int part, int null_if_empty)
{
	kag_str s = kag__coverage_part(k, part);

	if (!s.len && null_if_empty)
		KAG__BUF_LIT(b, "null");
	else
		kag__buf_put_json_str(b, s.ptr, s.len);
}

static void put_level(kag_buf *b, int level)
{
	if (!level) {
		KAG__BUF_LIT(b, "null");
		return;
	}
	kag__buf_putc(b, '"');
	kag__buf_puts(b, kag_level_name(level));
	kag__buf_putc(b, '"');
}

static void put_rows(kag_buf *b, const kag__coverage_det *d)
{
	const kag__coverage_row *sorted[KAG__COVERAGE_ROWS];
	size_t i, n = rows_sorted(d, sorted);

	KAG__BUF_LIT(b, ",\"resources\":[");
	for (i = 0; i < n; i++) {
		const kag__coverage_row *r = sorted[i];

		if (i)
			kag__buf_putc(b, ',');
		KAG__BUF_LIT(b, "{\"group\":");
		put_part(b, &r->res, 0, 0);
		KAG__BUF_LIT(b, ",\"resource\":");
		put_part(b, &r->res, 1, 1);
		KAG__BUF_LIT(b, ",\"subresource\":");
		put_part(b, &r->res, 2, 1);
		put_named_u64(b, "unjudged", r->unjudged, 0);
		put_named_u64(b, "weakened", r->weakened, 0);
		KAG__BUF_LIT(b, ",\"level\":");
		put_level(b, r->level);
		kag__buf_putc(b, '}');
	}
	KAG__BUF_LIT(b, "],\"other\":{");
	put_named_u64(b, "unjudged", d->other_unjudged, 1);
	put_named_u64(b, "weakened", d->other_weakened, 0);
	kag__buf_putc(b, '}');
}

static void put_detector(kag_buf *b, const kag__coverage_det *d, const char *id)
{
	static const char *const reasons[KAG__COV_REASONS] = { "level", "field", "outcome",
								"stage", "other" };
	size_t i, n;

	KAG__BUF_LIT(b, "{\"detector\":");
	kag__buf_put_json_str(b, id, strlen(id));
	put_named_u64(b, "unjudged", d->unjudged, 0);
	put_named_u64(b, "verdicts", d->verdicts, 0);
	put_named_u64(b, "silent", d->unjudged - d->verdicts, 0);
	put_named_u64(b, "weakened", d->weakened, 0);
	KAG__BUF_LIT(b, ",\"reasons\":{");
	for (i = 0; i < KAG__COV_REASONS; i++)
		put_named_u64(b, reasons[i], d->reason[i], i == 0);
	KAG__BUF_LIT(b, "},\"fields\":{");
	for (i = n = 0; i < KAG__FIELD_COUNT; i++)
		if (d->field[i])
			put_named_u64(b, kag_field_name((int)i), d->field[i], n++ == 0);
	kag__buf_putc(b, '}');
	put_rows(b, d);
	kag__buf_putc(b, '}');
}

const char *kag__coverage_json(kag__coverage *c, const kag_registry *r, size_t *len)
{
	kag_buf *b = &c->json;
	uint64_t unjudged = 0, weakened = 0;
	size_t i, n = 0, plen;
	const char *policy = kag__coverage_policy(c, r, &plen);

	b->len = 0;
	b->oom = 0;
	for (i = 0; i < c->n; i++) {
		unjudged += c->det[i].unjudged;
		weakened += c->det[i].weakened;
	}
	KAG__BUF_LIT(b, "{");
	put_named_u64(b, "unjudged", unjudged, 1);
	put_named_u64(b, "weakened", weakened, 0);
	KAG__BUF_LIT(b, ",\"detectors\":[");
	for (i = 0; i < c->n; i++) {
		if (!c->det[i].unjudged && !c->det[i].weakened)
			continue;
		if (n++)
			kag__buf_putc(b, ',');
		put_detector(b, &c->det[i], r->entries[i].def.id);
	}
	KAG__BUF_LIT(b, "],\"policy\":");
	if (policy && plen)
		kag__buf_put_json_str(b, policy, plen);
	else
		KAG__BUF_LIT(b, "null");
	kag__buf_putc(b, '}');
	if (!policy || kag__buf_terminate(b) < 0 || b->oom)
		return NULL;
	if (len)
		*len = b->len;
	return b->data;
}
