/* Builder calls that take a native Event, or one of its members, as JSON
 * text (kag_event_set_record, kag_event_set_member) and the list of those
 * members: bindings fill events from decoded records with the parser and
 * the native front ends' own table and rules (parser.c, native-private.h,
 * frontend_jansson.c), never with a copy of them. */
#include <stdio.h>
#include <string.h>

#include "alloc-private.h"
#include "budget-private.h"
#include "format-private.h"
#include "native-private.h"

struct kag__member_error {
	char message[384]; /* as long as the parser's */
	char path[128];
};

size_t kag_native_member_count(void)
{
	return KAG__K_NATIVE_COUNT_;
}

const char *kag_native_member_name(size_t i)
{
	return i < KAG__K_NATIVE_COUNT_ ? kag__member_sets[KAG__SET_TOP].m[i].name : NULL;
}

static const char *const empty = "";

const char *kag_event_error_message(const kag_event *ev)
{
	return ev && ev->member_err ? ev->member_err->message : empty;
}

const char *kag_event_error_path(const kag_event *ev)
{
	return ev && ev->member_err ? ev->member_err->path : empty;
}

/* Keep an error in the event: its message and, in a field of its own, the
 * pointer, as the parser reports them. */
static int keep_text(kag_event *ev, int rc, const char *path, const char *message)
{
	if (!ev->member_err) {
		ev->member_err = kag__malloc(sizeof(*ev->member_err));
		if (!ev->member_err)
			return rc;
	}
	snprintf(ev->member_err->path, sizeof(ev->member_err->path), "%s", path);
	snprintf(ev->member_err->message, sizeof(ev->member_err->message), "%s", message);
	return rc;
}

static int keep_error(kag_event *ev, int rc, const kag_fmt_error *err)
{
	return keep_text(ev, rc, err->path, err->message);
}

static void clear_error(kag_event *ev)
{
	if (ev->member_err)
		ev->member_err->message[0] = ev->member_err->path[0] = '\0';
}

/* The member's text, held to the parser's default budgets as the value of
 * a record's only member: one level deeper than the text itself, and two
 * values (the record object and the key) more. */
static int within_budgets(const char *json, size_t len, const char *path, kag_fmt_error *err)
{
	kag__budget b = { KAG__DEFAULT_MAX_DEPTH - 1, KAG__DEFAULT_MAX_VALUES - 2,
			  KAG__DEFAULT_MAX_STRING };
	kag__budget named = { KAG__DEFAULT_MAX_DEPTH, KAG__DEFAULT_MAX_VALUES,
			      KAG__DEFAULT_MAX_STRING };
	kag__budget_scan scan;
	char m[96];

	if (len > KAG__DEFAULT_MAX_RECORD)
		return kag__fmt_fail(err, KAG_ELIMIT, path, "record longer than %u bytes",
				     (unsigned)KAG__DEFAULT_MAX_RECORD);
	if (kag__budget_check(json, len, &b, 0, &scan) == KAG__BUDGET_OK)
		return KAG_OK;
	kag__budget_message(m, sizeof(m), &named, scan.hit);
	return kag__fmt_fail(err, KAG_ELIMIT, path, "%s", m);
}

/* The member's value, read as the parser reads records (repeated keys are
 * an error, NUL in strings is allowed), with the parser's message. The
 * pointer is the member's, where the parser gives an offset. */
static int decode(json_t **out, const char *json, size_t len, const char *path,
		  kag_fmt_error *err)
{
	json_error_t jerr;
	const char *what;
	int rc;

	*out = json_loadb(json, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
			  &jerr);
	if (*out)
		return KAG_OK;
	rc = kag__json_fault(&jerr, json, len, &what);
	return kag__fmt_fail(err, rc, path, "invalid JSON: %s", what);
}

int kag_event_set_member(kag_event *ev, const char *name, size_t name_len, const char *json,
			 size_t json_len)
{
	const kag__member *m;
	kag_fmt_error err;
	char path[128];
	json_t *v;
	int id, rc;

	if (!ev || (!name && name_len) || !json)
		return KAG_EINVAL;
	clear_error(ev);
	id = name ? kag__top_member(name, name_len) : -1;
	if (id < 0 || id >= KAG__K_NATIVE_COUNT_)
		return KAG_OK; /* the parser does not read it */
	m = &kag__member_sets[KAG__SET_TOP].m[id];
	snprintf(path, sizeof(path), "/%s", m->name);
	err.code = 0;
	err.message[0] = err.path[0] = '\0';
	if ((rc = within_budgets(json, json_len, path, &err)) < 0 ||
	    (rc = decode(&v, json, json_len, path, &err)) < 0)
		return keep_error(ev, rc, &err);
	if (m->kind == KAG__NM_BODY && !json_is_null(v))
		kag__event_drop_body(ev, m->field == KAG_FIELD_REQUEST_OBJECT ? 0 : 1);
	rc = kag__native_member_fill(ev, id, v, &err);
	json_decref(v);
	if (rc < 0)
		return keep_error(ev, rc, &err);
	/* stage, level and the event time, from the strings set so far */
	kag__event_finish(ev);
	return KAG_OK;
}

int kag_event_set_record(kag_event *ev, const char *json, size_t len)
{
	int rc;

	if (!ev || (!json && len))
		return KAG_EINVAL;
	clear_error(ev);
	/* Room for the error and the reader first: an error is never
	 * reported without its message. */
	if (!ev->member_err && !(ev->member_err = kag__calloc(1, sizeof(*ev->member_err)))) {
		kag__event_reset(ev);
		return KAG_ENOMEM;
	}
	if (!ev->reader) {
		if ((rc = kag_parser_new(&ev->reader)) < 0) {
			kag__event_reset(ev);
			return keep_text(ev, rc, "", kag_strerror(rc));
		}
		kag_parser_set_option_u64(ev->reader, KAG_OPT_FORMAT, KAG_FORMAT_NATIVE);
	}
	/* The parser copies the text: the event points into the copy. */
	rc = kag__parser_read_record(ev->reader, json, len, ev);
	if (rc < 0)
		return keep_text(ev, rc, kag_parser_error_path(ev->reader),
				 kag_parser_error_message(ev->reader));
	return KAG_OK;
}

int kag_event_check_native(kag_event *ev)
{
	kag_fmt_error err;

	if (!ev)
		return KAG_EINVAL;
	clear_error(ev);
	if (kag__native_identified(ev))
		return KAG_OK;
	kag__fmt_fail(&err, KAG_ESCHEMA, "", "%s", kag__not_an_event);
	return keep_error(ev, KAG_ESCHEMA, &err);
}
