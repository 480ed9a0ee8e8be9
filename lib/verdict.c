/* Verdict construction (the JSON record of design section 6) and accessors. */
#include <string.h>

#include "verdict-private.h"

static void add_missing_name(kag_verdict *v, const kag_event *ev, int field)
{
	static const int parents[][2] = {
		{ KAG_FIELD_USER_USERNAME, KAG_FIELD_USER }, { KAG_FIELD_USER_GROUPS, KAG_FIELD_USER },
		{ KAG_FIELD_USER_UID, KAG_FIELD_USER }, { KAG_FIELD_USER_EXTRA, KAG_FIELD_USER },
		{ KAG_FIELD_IMP_USERNAME, KAG_FIELD_IMP_USER }, { KAG_FIELD_IMP_GROUPS, KAG_FIELD_IMP_USER },
		{ KAG_FIELD_OBJ_RESOURCE, KAG_FIELD_OBJECT_REF }, { KAG_FIELD_OBJ_SUBRESOURCE, KAG_FIELD_OBJECT_REF },
		{ KAG_FIELD_OBJ_NAMESPACE, KAG_FIELD_OBJECT_REF }, { KAG_FIELD_OBJ_NAME, KAG_FIELD_OBJECT_REF },
		{ KAG_FIELD_RESPONSE_CODE, KAG_FIELD_RESPONSE_STATUS },
	};
	const char *name;
	size_t i;

	/* A sub-field of an absent object is reported as the object. */
	for (i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		if (parents[i][0] == field && !kag__has(ev, parents[i][1])) {
			field = parents[i][1];
			break;
		}
	}
	name = kag_field_name(field);
	for (i = 0; i < v->n_missing; i++)
		if (v->missing[i] == name)
			return;
	if (v->n_missing < sizeof(v->missing) / sizeof(v->missing[0]))
		v->missing[v->n_missing++] = name;
}

static size_t put_cstr(kag_buf *b, const char *s, size_t len)
{
	size_t off = b->len;

	kag__buf_put(b, s, len);
	kag__buf_putc(b, '\0');
	return off;
}

static void put_name_list(kag_buf *b, const char *const *names, size_t n)
{
	size_t i;

	kag__buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			kag__buf_putc(b, ',');
		kag__buf_put_json_str(b, names[i], strlen(names[i]));
	}
	kag__buf_putc(b, ']');
}

static void put_time_us(kag_buf *b, int64_t us)
{
	/* RFC 3339 with microseconds, UTC */
	int64_t secs = us / 1000000, frac = us % 1000000, days, rem;
	int y, m, d, i;
	char out[32];
	int64_t era, doe, yoe, doy, mp;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y = (int)(yoe + era * 400 + (m <= 2));
	{
		int vals[7] = { y, m, d, (int)(rem / 3600), (int)(rem % 3600 / 60), (int)(rem % 60),
				(int)frac };
		int widths[7] = { 4, 2, 2, 2, 2, 2, 6 };
		const char seps[7] = { '-', '-', 'T', ':', ':', '.', 'Z' };
		size_t n = 0;

		for (i = 0; i < 7; i++) {
			int w = widths[i], val = vals[i], k;

			for (k = w - 1; k >= 0; k--) {
				out[n + (size_t)k] = (char)('0' + val % 10);
				val /= 10;
			}
			n += (size_t)w;
			out[n++] = seps[i];
		}
		kag__buf_putc(b, '"');
		kag__buf_put(b, out, n);
		kag__buf_putc(b, '"');
	}
}

int kag__verdict_build(kag_verdict *v, const kag__verdict_input *in)
{
	const kag_event *ev = in->ev;
	const kag_finding *f = in->f;
	const kag__detector_def *d = in->def;
	kag_buf *b = &v->buf;
	size_t i, audit_off, source_off, reason_off, attack_start;
	int time_field = -1;
	static const int time_fields[] = { KAG_FIELD_STAGE_TS, KAG_FIELD_REQUEST_RECEIVED_TS,
					   KAG_FIELD_TIMESTAMP };

	b->len = 0;
	b->oom = 0;
	v->detector = d->id;
	v->outcome = in->gate->outcome;
	v->time_us = ev->time_us;
	v->n_missing = v->n_inferred = v->n_attack = 0;
	v->corr_count = 0;
	if (!in->gate->passed) {
		v->assessment = KAG_ASSESSMENT_NEEDS_CONTEXT;
		v->severity = d->ctx_severity;
		v->confidence = KAG_CONFIDENCE_LOW;
	} else {
		v->assessment = f->assessment;
		v->severity = f->severity;
		v->confidence = f->confidence;
		v->corr_count = f->corr_count;
	}
	for (i = 0; i < in->gate->n_missing; i++)
		add_missing_name(v, ev, in->gate->missing[i]);
	for (i = 0; i < d->n_wanted; i++)
		if (!kag__usable(ev, d->wanted[i]))
			add_missing_name(v, ev, d->wanted[i]);
	for (i = 0; f && i < f->n_missing; i++)
		add_missing_name(v, ev, f->missing[i]);
	for (i = 0; i < KAG_FIELD_COUNT_; i++)
		if (ev->state[i] == KAG_STATE_INFERRED)
			v->inferred[v->n_inferred++] = kag_field_name((int)i);

	kag__buf_puts(b, "{\"detector\":");
	kag__buf_put_json_str(b, d->id, strlen(d->id));
	kag__buf_puts(b, ",\"assessment\":\"");
	kag__buf_puts(b, kag_assessment_name(v->assessment));
	kag__buf_puts(b, "\",\"outcome\":\"");
	kag__buf_puts(b, kag_outcome_name(v->outcome));
	kag__buf_puts(b, "\",\"severity\":\"");
	kag__buf_puts(b, kag_severity_name(v->severity));
	kag__buf_puts(b, "\",\"confidence\":\"");
	kag__buf_puts(b, kag_confidence_name(v->confidence));
	kag__buf_puts(b, "\",\"attack\":[");
	for (i = 0; f && in->gate->passed && i < f->n_attack; i++) {
		if (i)
			kag__buf_putc(b, ',');
		kag__buf_put_json_str(b, f->attack[i], strlen(f->attack[i]));
	}
	if (!(f && in->gate->passed) && d->attack) {
		for (i = 0; d->attack[i]; i++) {
			if (i)
				kag__buf_putc(b, ',');
			kag__buf_put_json_str(b, d->attack[i], strlen(d->attack[i]));
		}
	}
	kag__buf_puts(b, "],\"reason\":");
	if (in->gate->passed) {
		kag__buf_put_json_str(b, f->reason, strlen(f->reason));
	} else {
		kag_buf tmp;

		kag__buf_init(&tmp);
		kag__buf_puts(&tmp, "cannot judge: ");
		kag__buf_puts(&tmp, in->gate->reason);
		kag__buf_put_json_str(b, tmp.data ? tmp.data : "", tmp.len);
		b->oom |= tmp.oom;
		kag__buf_dispose(&tmp);
	}

	kag__buf_puts(b, ",\"event\":{\"auditID\":");
	if (kag__has(ev, KAG_FIELD_AUDIT_ID))
		kag__buf_put_json_str(b, ev->str[KAG_FIELD_AUDIT_ID].ptr, ev->str[KAG_FIELD_AUDIT_ID].len);
	else
		kag__buf_puts(b, "null");
	kag__buf_puts(b, ",\"stage\":");
	if (kag__has(ev, KAG_FIELD_STAGE))
		kag__buf_put_json_str(b, ev->str[KAG_FIELD_STAGE].ptr, ev->str[KAG_FIELD_STAGE].len);
	else
		kag__buf_puts(b, "null");
	kag__buf_puts(b, ",\"level\":");
	if (kag__has(ev, KAG_FIELD_LEVEL))
		kag__buf_put_json_str(b, ev->str[KAG_FIELD_LEVEL].ptr, ev->str[KAG_FIELD_LEVEL].len);
	else
		kag__buf_puts(b, "null");
	kag__buf_puts(b, ",\"time\":");
	for (i = 0; i < 3 && time_field < 0; i++)
		if (kag__has(ev, time_fields[i]))
			time_field = time_fields[i];
	if (time_field >= 0)
		kag__buf_put_json_str(b, ev->str[time_field].ptr, ev->str[time_field].len);
	else
		kag__buf_puts(b, "null");
	kag__buf_puts(b, ",\"format\":");
	kag__buf_put_json_str(b, ev->format, strlen(ev->format));
	kag__buf_puts(b, ",\"source\":");
	if (ev->source) {
		kag_buf tmp;

		kag__buf_init(&tmp);
		kag__buf_puts(&tmp, ev->source ? ev->source : "");
		kag__buf_putc(&tmp, ':');
		kag__buf_put_u64(&tmp, ev->line);
		kag__buf_put_json_str(b, tmp.data ? tmp.data : "", tmp.len);
		b->oom |= tmp.oom;
		kag__buf_dispose(&tmp);
	} else {
		kag__buf_puts(b, "null");
	}
	kag__buf_puts(b, "},\"evidence\":");
	v->evidence_off = b->len;
	kag__render_evidence(b, ev, in->gate->passed ? f : NULL, in->include_bodies);
	v->evidence_len = b->len - v->evidence_off;
	kag__buf_puts(b, ",\"missing\":");
	put_name_list(b, v->missing, v->n_missing);
	kag__buf_puts(b, ",\"inferred\":");
	put_name_list(b, v->inferred, v->n_inferred);
	if (in->gate->passed && f->corr_count) {
		kag__buf_puts(b, ",\"correlation\":{\"count\":");
		kag__buf_put_u64(b, f->corr_count);
		kag__buf_puts(b, ",\"first\":");
		if (f->corr_first_us)
			put_time_us(b, f->corr_first_us);
		else
			kag__buf_puts(b, "null");
		kag__buf_puts(b, ",\"last\":");
		if (f->corr_last_us)
			put_time_us(b, f->corr_last_us);
		else
			kag__buf_puts(b, "null");
		kag__buf_puts(b, ",\"distinct\":");
		put_name_list(b, f->distinct, f->n_distinct);
		kag__buf_putc(b, '}');
	}
	kag__buf_putc(b, '}');
	v->json_len = b->len;
	kag__buf_putc(b, '\0');

	/* NUL-terminated copies for the accessors, after the JSON */
	if (in->gate->passed)
		reason_off = put_cstr(b, f->reason, strlen(f->reason));
	else {
		reason_off = put_cstr(b, "cannot judge: ", 14);
		b->len--; /* continue the same string */
		put_cstr(b, in->gate->reason, strlen(in->gate->reason));
	}
	audit_off = put_cstr(b, kag__has(ev, KAG_FIELD_AUDIT_ID) ? ev->str[KAG_FIELD_AUDIT_ID].ptr : "",
			     kag__has(ev, KAG_FIELD_AUDIT_ID) ? ev->str[KAG_FIELD_AUDIT_ID].len : 0);
	source_off = b->len;
	if (ev->source) {
		kag__buf_puts(b, ev->source ? ev->source : "");
		kag__buf_putc(b, ':');
		kag__buf_put_u64(b, ev->line);
	}
	kag__buf_putc(b, '\0');
	attack_start = b->len;
	(void)attack_start;
	if (f && in->gate->passed) {
		for (i = 0; i < f->n_attack; i++)
			v->attack_off[v->n_attack++] = put_cstr(b, f->attack[i], strlen(f->attack[i]));
	} else if (d->attack) {
		for (i = 0; d->attack[i] && v->n_attack < KAG__MAX_ATTACK; i++)
			v->attack_off[v->n_attack++] = put_cstr(b, d->attack[i], strlen(d->attack[i]));
	}
	v->reason_off = reason_off;
	v->audit_off = audit_off;
	v->source_off = source_off;
	/* detector evidence written to a scratch buffer that ran out of memory */
	if (f && in->gate->passed && f->extra && f->extra->oom)
		return KAG_ENOMEM;
	return b->oom ? KAG_ENOMEM : KAG_OK;
}

/* ---- accessors ---- */

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
