/* Verdict construction (the JSON record of design section 6) and accessors. */
#include <string.h>

#include "alloc-private.h"
#include "verdict-private.h"

/* The name a missing field is listed under: a sub-field of an absent
 * object is reported as the object. */
static const char *missing_name(const kag_event *ev, int field)
{
	static const int parents[][2] = {
		{ KAG_FIELD_USER_USERNAME, KAG_FIELD_USER }, { KAG_FIELD_USER_GROUPS, KAG_FIELD_USER },
		{ KAG_FIELD_USER_UID, KAG_FIELD_USER }, { KAG_FIELD_USER_EXTRA, KAG_FIELD_USER },
		{ KAG_FIELD_IMP_USERNAME, KAG_FIELD_IMP_USER }, { KAG_FIELD_IMP_GROUPS, KAG_FIELD_IMP_USER },
		{ KAG_FIELD_OBJ_RESOURCE, KAG_FIELD_OBJECT_REF }, { KAG_FIELD_OBJ_SUBRESOURCE, KAG_FIELD_OBJECT_REF },
		{ KAG_FIELD_OBJ_NAMESPACE, KAG_FIELD_OBJECT_REF }, { KAG_FIELD_OBJ_NAME, KAG_FIELD_OBJECT_REF },
		{ KAG_FIELD_RESPONSE_CODE, KAG_FIELD_RESPONSE_STATUS },
	};
	size_t i;

	for (i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		if (parents[i][0] == field && !kag__has(ev, parents[i][1])) {
			field = parents[i][1];
			break;
		}
	}
	return kag_field_name(field);
}

static void add_missing_name(kag_verdict *v, const kag_event *ev, int field)
{
	const char *name = missing_name(ev, field);
	size_t i;

	for (i = 0; i < v->n_missing; i++)
		if (v->missing[i] == name)
			return;
	if (v->n_missing < sizeof(v->missing) / sizeof(v->missing[0]))
		v->missing[v->n_missing++] = name;
}

/* Did the detector lower its own confidence for the field listed as name
 * (kag__finding_weaker)? Then that step is already taken. */
static int finding_counted(const kag_finding *f, const kag_event *ev, const char *name)
{
	size_t i;

	for (i = 0; i < f->n_missing; i++)
		if (missing_name(ev, f->missing[i]) == name)
			return 1;
	return 0;
}

static int in_fields(const int *fields, size_t n, int field)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fields[i] == field)
			return 1;
	return 0;
}

/* The inferred fields that matter to the detector: its decisive and its
 * wanted ones. Other inferred fields (a GKE stage, level or response code
 * the detector does not name) are listed but cost nothing. */
static unsigned inferred_steps(const kag__detector_def *d, const kag_event *ev)
{
	unsigned steps = 0;
	size_t i;

	for (i = 0; i < d->n_required; i++)
		if (ev->state[d->required[i]] == KAG_STATE_INFERRED)
			steps++;
	for (i = 0; i < d->n_wanted; i++)
		if (ev->state[d->wanted[i]] == KAG_STATE_INFERRED &&
		    !in_fields(d->required, d->n_required, d->wanted[i]))
			steps++;
	return steps;
}

/* Confidence follows the evidence (design section 3). A judged verdict
 * starts from the detector's confidence, which already carries the steps
 * the detector took itself, and goes one step down, to low at the least,
 * for each name in `missing` that the detector did not count and for each
 * decisive or wanted field that a provider mapping inferred. */
static int evidence_confidence(const kag_verdict *v, const kag__verdict_input *in)
{
	unsigned steps = inferred_steps(in->def, in->ev);
	int c = in->f->confidence;
	size_t i;

	for (i = 0; i < v->n_missing; i++)
		if (!finding_counted(in->f, in->ev, v->missing[i]))
			steps++;
	while (steps-- && c > KAG_CONFIDENCE_LOW)
		c--;
	return c;
}

static size_t put_cstr(kag_buf *b, const char *s, size_t len)
{
	size_t off = b->len;

	kag__buf_put(b, s, len);
	kag__buf_putc(b, '\0');
	return off;
}

static void put_json_cstr(kag_buf *b, const char *s)
{
	kag__buf_put_json_str(b, s, strlen(s));
}

/* A string that needs no escaping, quoted: the library's own names
 * (formats, field paths) and detector ids, which registration keeps to
 * letters, digits, '_', '-' and '.'. */
static void put_plain_cstr(kag_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (kag__buf_reserve(b, n + 2) < 0)
		return;
	b->data[b->len] = '"';
	memcpy(b->data + b->len + 1, s, n);
	b->data[b->len + n + 1] = '"';
	b->len += n + 2;
}

/* A JSON array of strings; plain says they need no escaping. */
static void put_name_list(kag_buf *b, const char *const *names, size_t n, int plain)
{
	size_t i;

	kag__buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			kag__buf_putc(b, ',');
		if (plain)
			put_plain_cstr(b, names[i]);
		else
			put_json_cstr(b, names[i]);
	}
	kag__buf_putc(b, ']');
}

/* The attack techniques: the finding's, or the detector's primary ones
 * when the gate stopped it. */
static void put_attack(kag_buf *b, const kag__detector_def *d, const kag_finding *f)
{
	size_t i, n = 0;

	if (f) {
		for (i = 0; i < f->n_attack; i++) {
			if (i)
				kag__buf_putc(b, ',');
			put_json_cstr(b, f->attack[i]);
		}
	} else if (d->attack) {
		for (i = 0; d->attack[i].id; i++) {
			if (!d->attack[i].primary)
				continue;
			if (n++)
				kag__buf_putc(b, ',');
			put_json_cstr(b, d->attack[i].id);
		}
	}
}

static void put_time_or_null(kag_buf *b, int64_t us)
{
	if (us)
		kag__buf_put_time_us(b, us);
	else
		KAG__BUF_LIT(b, "null");
}

static void put_correlation(kag_buf *b, const kag_finding *f)
{
	KAG__BUF_LIT(b, ",\"correlation\":{\"count\":");
	kag__buf_put_u64(b, f->corr_count);
	KAG__BUF_LIT(b, ",\"first\":");
	put_time_or_null(b, f->corr_first_us);
	KAG__BUF_LIT(b, ",\"last\":");
	put_time_or_null(b, f->corr_last_us);
	KAG__BUF_LIT(b, ",\"distinct\":");
	put_name_list(b, f->distinct, f->n_distinct, 0);
	kag__buf_putc(b, '}');
}

/* The finding, when the gate let the detector judge. */
static const kag_finding *judged(const kag__verdict_input *in)
{
	return in->gate->passed ? in->f : NULL;
}

/* The verdict's enumerations, from the finding or, when the gate stopped the
 * detector, "needs context" at the detector's context severity; and the
 * names of the fields missing and inferred. */
static void set_fields(kag_verdict *v, const kag__verdict_input *in)
{
	const kag_event *ev = in->ev;
	const kag__detector_def *d = in->def;
	const kag_finding *f = judged(in);
	size_t i;

	v->detector = d->id;
	v->title = d->title && *d->title ? d->title : d->id;
	v->rendered = 0;
	v->outcome = in->gate->outcome;
	v->time_us = ev->time_us;
	v->n_missing = v->n_inferred = v->n_attack = 0;
	v->corr_count = 0;
	v->repeat_count = 0;
	v->repeat_key = 0;
	if (!f) {
		v->assessment = KAG_ASSESSMENT_NEEDS_CONTEXT;
		v->severity = d->ctx_severity;
		v->confidence = KAG_CONFIDENCE_LOW;
	} else {
		v->assessment = f->assessment;
		v->severity = f->severity;
		v->corr_count = f->corr_count;
	}
	for (i = 0; i < in->gate->n_missing; i++)
		add_missing_name(v, ev, in->gate->missing[i]);
	for (i = 0; i < d->n_wanted; i++)
		if (!kag__usable(ev, d->wanted[i]))
			add_missing_name(v, ev, d->wanted[i]);
	for (i = 0; in->f && i < in->f->n_missing; i++)
		add_missing_name(v, ev, in->f->missing[i]);
	for (i = 0; i < KAG__FIELD_COUNT; i++)
		if (ev->state[i] == KAG_STATE_INFERRED)
			v->inferred[v->n_inferred++] = kag_field_name((int)i);
	/* needs_context: the detector could not judge, always low */
	if (f)
		v->confidence = evidence_confidence(v, in);
}

/* "detector" to "reason" of the record. */
static void put_judgement(kag_buf *b, kag_verdict *v, const kag__verdict_input *in)
{
	const kag_finding *f = judged(in);

	/* The enumeration names come from the library's tables: plain ASCII,
	 * written as they are. */
	/* the id's digits are written once the record is complete (set_id) */
	KAG__BUF_LIT(b, "{\"id\":\"");
	v->id_off = b->len;
	KAG__BUF_LIT(b, "00000000000000000000000000000000\",\"schema\":\"" KAG__RECORD_SCHEMA "\"");
	if (in->cluster)
		kag__buf_put(b, in->cluster->json, in->cluster->json_len);
	KAG__BUF_LIT(b, ",\"detector\":");
	put_plain_cstr(b, in->def->id);
	KAG__BUF_LIT(b, ",\"assessment\":\"");
	kag__buf_puts(b, kag_assessment_name(v->assessment));
	KAG__BUF_LIT(b, "\",\"outcome\":\"");
	kag__buf_puts(b, kag_outcome_name(v->outcome));
	KAG__BUF_LIT(b, "\",\"severity\":\"");
	kag__buf_puts(b, kag_severity_name(v->severity));
	KAG__BUF_LIT(b, "\",\"confidence\":\"");
	kag__buf_puts(b, kag_confidence_name(v->confidence));
	KAG__BUF_LIT(b, "\",\"attack\":[");
	put_attack(b, in->def, f);
	KAG__BUF_LIT(b, "],\"reason\":");
	if (f) {
		kag__buf_put_json_str(b, f->reason, strlen(f->reason));
	} else {
		/* "cannot judge: " and the gate's reason, one string */
		KAG__BUF_LIT(b, "\"cannot judge: ");
		kag__buf_put_json_chars(b, in->gate->reason, strlen(in->gate->reason));
		kag__buf_putc(b, '"');
	}
}

/* The record's "event" object: which event it is and where it was read. */
static void put_event(kag_buf *b, const kag_event *ev)
{
	static const int time_fields[] = { KAG_FIELD_STAGE_TS, KAG_FIELD_REQUEST_RECEIVED_TS,
					   KAG_FIELD_TIMESTAMP };
	int time_field = -1;
	size_t i;

	KAG__BUF_LIT(b, ",\"event\":{\"auditID\":");
	kag__put_str_or_null(b, ev, KAG_FIELD_AUDIT_ID);
	KAG__BUF_LIT(b, ",\"stage\":");
	kag__put_str_or_null(b, ev, KAG_FIELD_STAGE);
	KAG__BUF_LIT(b, ",\"level\":");
	kag__put_str_or_null(b, ev, KAG_FIELD_LEVEL);
	KAG__BUF_LIT(b, ",\"time\":");
	for (i = 0; i < 3 && time_field < 0; i++)
		if (kag__has(ev, time_fields[i]))
			time_field = time_fields[i];
	if (time_field >= 0)
		kag__buf_put_json_str(b, ev->str[time_field].ptr, ev->str[time_field].len);
	else
		KAG__BUF_LIT(b, "null");
	KAG__BUF_LIT(b, ",\"format\":");
	put_plain_cstr(b, ev->format);
	KAG__BUF_LIT(b, ",\"source\":");
	if (ev->source) {
		/* "name:line", one string */
		kag__buf_putc(b, '"');
		kag__buf_put_json_chars(b, ev->source, strlen(ev->source));
		kag__buf_putc(b, ':');
		kag__buf_put_u64(b, ev->line);
		kag__buf_putc(b, '"');
	} else {
		KAG__BUF_LIT(b, "null");
	}
	kag__buf_putc(b, '}');
}

/* "evidence" to the end of the record, and its NUL. */
static void put_evidence_and_rest(kag_buf *b, kag_verdict *v, const kag__verdict_input *in)
{
	const kag_finding *f = judged(in);

	KAG__BUF_LIT(b, ",\"evidence\":");
	v->evidence_off = b->len;
	kag__render_evidence(b, in->ev, f, in->include_bodies);
	v->evidence_len = b->len - v->evidence_off;
	KAG__BUF_LIT(b, ",\"missing\":");
	put_name_list(b, v->missing, v->n_missing, 1);
	KAG__BUF_LIT(b, ",\"inferred\":");
	put_name_list(b, v->inferred, v->n_inferred, 1);
	if (f && f->corr_count)
		put_correlation(b, f);
	kag__buf_putc(b, '}');
	v->json_len = b->len;
	kag__buf_putc(b, '\0');
}

/* NUL-terminated copies for the accessors, after the JSON record. */
static void put_copies(kag_buf *b, kag_verdict *v, const kag__verdict_input *in)
{
	const kag_event *ev = in->ev;
	const kag__detector_def *d = in->def;
	const kag_finding *f = judged(in);
	size_t i;

	/* the evidence first (copied from the record within the same buffer,
	 * so room is made before the copy) */
	if (kag__buf_reserve(b, v->evidence_len + 1) == KAG_OK) {
		memcpy(b->data + b->len, b->data + v->evidence_off, v->evidence_len);
		v->evidence_off = b->len;
		b->len += v->evidence_len;
		kag__buf_putc(b, '\0');
	}
	if (f) {
		v->reason_off = put_cstr(b, f->reason, strlen(f->reason));
	} else {
		v->reason_off = b->len;
		KAG__BUF_LIT(b, "cannot judge: ");
		put_cstr(b, in->gate->reason, strlen(in->gate->reason));
	}
	if (kag__has(ev, KAG_FIELD_AUDIT_ID))
		v->audit_off = put_cstr(b, ev->str[KAG_FIELD_AUDIT_ID].ptr,
					ev->str[KAG_FIELD_AUDIT_ID].len);
	else
		v->audit_off = put_cstr(b, "", 0);
	v->source_off = b->len;
	if (ev->source) {
		kag__buf_puts(b, ev->source);
		kag__buf_putc(b, ':');
		kag__buf_put_u64(b, ev->line);
	}
	kag__buf_putc(b, '\0');
	if (f) {
		for (i = 0; i < f->n_attack; i++)
			v->attack_off[v->n_attack++] = put_cstr(b, f->attack[i], strlen(f->attack[i]));
	} else if (d->attack) {
		for (i = 0; d->attack[i].id && v->n_attack < KAG__MAX_ATTACK; i++)
			if (d->attack[i].primary)
				v->attack_off[v->n_attack++] =
					put_cstr(b, d->attack[i].id, strlen(d->attack[i].id));
	}
}

/* Write the id's digits into the record and the accessor's copy. */
static void put_id(kag_verdict *v, const kag__record_id *id)
{
	kag__record_id_hex(id, v->id);
	if (!v->buf.oom && v->id_off + KAG__RECORD_ID_LEN <= v->buf.len)
		memcpy(v->buf.data + v->id_off, v->id, KAG__RECORD_ID_LEN);
}

/* The stable id: the detector, the request (its auditID; without one, its
 * stage, verb, URI, user, user agent, object and timestamps) and, for a correlated verdict, what was
 * correlated (count, first and last time, the distinct names). Nothing
 * that depends on where or when the record was read (source, line, the
 * session's history) takes part, so the same finding read again gets the
 * same id. */
static void set_id(kag_verdict *v, const kag__verdict_input *in)
{
	const kag_event *ev = in->ev;
	const kag_finding *f = judged(in);
	kag__record_id id;
	size_t i;

	kag__record_id_init(&id, "kag-verdict/1");
	kag__record_id_str(&id, in->def->id, strlen(in->def->id));
	if (kag__has(ev, KAG_FIELD_AUDIT_ID)) {
		kag__record_id_u64(&id, 1);
		kag__record_id_str(&id, ev->str[KAG_FIELD_AUDIT_ID].ptr,
				   ev->str[KAG_FIELD_AUDIT_ID].len);
	} else {
		/* no auditID: the request's own fields, each by its field id;
		 * an empty string counts as absent, as the event builder and
		 * the parsers do not agree on which of the two they give */
		static const int fields[] = {
			KAG_FIELD_STAGE, KAG_FIELD_VERB, KAG_FIELD_REQUEST_URI,
			KAG_FIELD_USER_USERNAME, KAG_FIELD_USER_AGENT, KAG_FIELD_OBJ_RESOURCE,
			KAG_FIELD_OBJ_SUBRESOURCE, KAG_FIELD_OBJ_NAMESPACE, KAG_FIELD_OBJ_NAME,
			KAG_FIELD_REQUEST_RECEIVED_TS, KAG_FIELD_STAGE_TS, KAG_FIELD_TIMESTAMP
		};

		kag__record_id_u64(&id, 0);
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (!kag__has(ev, fields[i]) || !ev->str[fields[i]].len)
				continue;
			kag__record_id_u64(&id, (uint64_t)fields[i]);
			kag__record_id_str(&id, ev->str[fields[i]].ptr, ev->str[fields[i]].len);
		}
	}
	if (f && f->corr_count) {
		kag__record_id_u64(&id, f->corr_count);
		kag__record_id_u64(&id, (uint64_t)f->corr_first_us);
		kag__record_id_u64(&id, (uint64_t)f->corr_last_us);
		kag__record_id_u64(&id, f->n_distinct);
		for (i = 0; i < f->n_distinct; i++)
			kag__record_id_str(&id, f->distinct[i], strlen(f->distinct[i]));
	}
	put_id(v, &id);
}

int kag__verdict_build(kag_verdict *v, const kag__verdict_input *in)
{
	const kag_finding *f = judged(in);
	kag_buf *b = &v->buf;

	b->len = 0;
	b->oom = 0;
	set_fields(v, in);
	put_judgement(b, v, in);
	put_event(b, in->ev);
	put_evidence_and_rest(b, v, in);
	set_id(v, in);
	put_copies(b, v, in);
	/* detector evidence written to a scratch buffer that ran out of memory */
	if (f && f->extra && f->extra->oom)
		return KAG_ENOMEM;
	return b->oom ? KAG_ENOMEM : KAG_OK;
}

int kag__verdict_add_repeats(kag_verdict *v, uint64_t count, int64_t first_us,
			     int64_t last_us)
{
	kag_buf ins, *b = &v->buf;
	size_t at = v->json_len - 1, n, i;   /* before the record's closing brace */
	int rc = KAG_ENOMEM;

	kag__buf_init(&ins);
	KAG__BUF_LIT(&ins, ",\"repeats\":{\"count\":");
	kag__buf_put_u64(&ins, count);
	KAG__BUF_LIT(&ins, ",\"first\":");
	put_time_or_null(&ins, first_us);
	KAG__BUF_LIT(&ins, ",\"last\":");
	put_time_or_null(&ins, last_us);
	kag__buf_putc(&ins, '}');
	n = ins.len;
	/* everything after the record (the accessors' NUL-terminated copies)
	 * moves up by n */
	if (!ins.oom && kag__buf_reserve(b, n) == KAG_OK) {
		memmove(b->data + at + n, b->data + at, b->len - at);
		memcpy(b->data + at, ins.data, n);
		b->len += n;
		v->json_len += n;
		v->evidence_off += n;
		v->reason_off += n;
		v->audit_off += n;
		v->source_off += n;
		for (i = 0; i < v->n_attack; i++)
			v->attack_off[i] += n;
		v->repeat_count = count;
		v->rendered = 0;
		rc = KAG_OK;
		/* an aggregate is a record of its own: its id adds the repeats
		 * to the id of the verdict it was made from */
		{
			kag__record_id id;

			kag__record_id_init(&id, "kag-verdict-repeats/1");
			kag__record_id_str(&id, v->id, KAG__RECORD_ID_LEN);
			kag__record_id_u64(&id, count);
			kag__record_id_u64(&id, (uint64_t)first_us);
			kag__record_id_u64(&id, (uint64_t)last_us);
			put_id(v, &id);
		}
	}
	kag__buf_dispose(&ins);
	return rc;
}

void kag__verdict_dispose(kag_verdict *v)
{
	size_t i;

	kag__buf_dispose(&v->buf);
	for (i = 0; i < KAG__N_RENDERS; i++)
		kag__buf_dispose(&v->render[i]);
	kag__free(v->tok);
}

/* ---- accessors ---- */

const char *kag_verdict_id(const kag_verdict *v)
{
	return v ? v->id : NULL;
}

const char *kag_verdict_detector(const kag_verdict *v)
{
	return v ? v->detector : NULL;
}

int kag_verdict_assessment(const kag_verdict *v)
{
	return v ? v->assessment : -1;
}

int kag_verdict_outcome(const kag_verdict *v)
{
	return v ? v->outcome : -1;
}

int kag_verdict_severity(const kag_verdict *v)
{
	return v ? v->severity : -1;
}

int kag_verdict_confidence(const kag_verdict *v)
{
	return v ? v->confidence : -1;
}

const char *kag_verdict_reason(const kag_verdict *v)
{
	return v ? v->buf.data + v->reason_off : NULL;
}

const char *kag_verdict_audit_id(const kag_verdict *v)
{
	return v ? v->buf.data + v->audit_off : NULL;
}

const char *kag_verdict_source(const kag_verdict *v)
{
	return v ? v->buf.data + v->source_off : NULL;
}

size_t kag_verdict_attack_count(const kag_verdict *v)
{
	return v ? v->n_attack : 0;
}

const char *kag_verdict_attack(const kag_verdict *v, size_t i)
{
	return v && i < v->n_attack ? v->buf.data + v->attack_off[i] : NULL;
}

size_t kag_verdict_missing_count(const kag_verdict *v)
{
	return v ? v->n_missing : 0;
}

const char *kag_verdict_missing(const kag_verdict *v, size_t i)
{
	return v && i < v->n_missing ? v->missing[i] : NULL;
}

size_t kag_verdict_inferred_count(const kag_verdict *v)
{
	return v ? v->n_inferred : 0;
}

const char *kag_verdict_inferred(const kag_verdict *v, size_t i)
{
	return v && i < v->n_inferred ? v->inferred[i] : NULL;
}

uint64_t kag_verdict_correlation_count(const kag_verdict *v)
{
	return v ? v->corr_count : 0;
}

uint64_t kag_verdict_repeat_count(const kag_verdict *v)
{
	return v ? v->repeat_count : 0;
}

const char *kag_verdict_evidence_json(const kag_verdict *v, size_t *len_out)
{
	if (!v)
		return NULL;
	if (len_out)
		*len_out = v->evidence_len;
	return v->buf.data + v->evidence_off;
}

const char *kag_verdict_json(const kag_verdict *v, size_t *len_out)
{
	if (!v)
		return NULL;
	if (len_out)
		*len_out = v->json_len;
	return v->buf.data;
}
