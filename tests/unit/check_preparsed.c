/* The pre-parsed path: every event of every corpus file (tests/data), built
 * field by field with the builder API, is judged exactly like the event
 * parsed from its JSON. Three sessions run side by side over each file:
 *   parsed   - the parser's events (jansson front end, the reference);
 *   copied   - events built from the parsed event's accessors (any format);
 *   direct   - events built from fields read out of the record with jansson
 *              by their native names (native events, EventList and array
 *              items), without kag's front end; other formats as copied.
 * After each event, and at the final flush, the three give the same verdict
 * records, benign ones and bodies included, apart from event.format
 * ("builder") and event.source (a built event has no input position). */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define OBS KAG_STATE_OBSERVED

/* ---- verdicts, normalised for comparison ---- */

/* The verdict records of a result, one per line, with event.format and
 * event.source removed. */
static char *normalise(const kag_result *res)
{
	size_t i, len = 0;
	char *out = calloc(1, 1);

	ck_assert_ptr_nonnull(out);
	for (i = 0; i < kag_result_count(res); i++) {
		size_t n;
		const char *text = kag_verdict_json(kag_result_verdict(res, i), &n);
		json_error_t err;
		json_t *v = json_loadb(text, n, 0, &err), *event;
		char *s;

		ck_assert_msg(v != NULL, "verdict is not JSON: %s", err.text);
		event = json_object_get(v, "event");
		ck_assert_ptr_nonnull(event);
		json_object_del(event, "format");
		json_object_del(event, "source");
		s = json_dumps(v, JSON_COMPACT);
		ck_assert_ptr_nonnull(s);
		out = realloc(out, len + strlen(s) + 2);
		ck_assert_ptr_nonnull(out);
		memcpy(out + len, s, strlen(s));
		len += strlen(s);
		out[len++] = '\n';
		out[len] = '\0';
		free(s);
		json_decref(v);
	}
	return out;
}

struct lane {
	kag_registry *reg;
	kag_session *sess;
};

static void lane_init(struct lane *l)
{
	ck_assert_int_eq(kag_registry_new(&l->reg), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(l->reg), KAG_OK);
	ck_assert_int_eq(kag_session_new(&l->sess, l->reg), KAG_OK);
	ck_assert_int_eq(kag_session_set_option_u64(l->sess, KAG_SOPT_EMIT_BENIGN, 1), KAG_OK);
	/* bodies in the records too, so that built bodies are compared */
	ck_assert_int_eq(kag_session_set_option_u64(l->sess, KAG_SOPT_INCLUDE_BODIES, 1), KAG_OK);
}

static void lane_free(struct lane *l)
{
	kag_session_free(l->sess);
	kag_registry_free(l->reg);
}

static char *lane_judge(struct lane *l, const kag_event *ev)
{
	const kag_result *res;

	ck_assert_int_eq(ev ? kag_session_evaluate(&res, l->sess, ev)
			    : kag_session_flush(&res, l->sess), KAG_OK);
	return normalise(res);
}

/* ---- building from the accessors ---- */

/* Copy every field of `from` into the built event `to`, with its state.
 * skip: a field id left out (-1: none). */
static void copy_event(kag_event *to, const kag_event *from, int skip)
{
	int f;

	ck_assert_int_eq(kag_event_clear(to), KAG_OK);
	for (f = 0; f < (int)kag_field_count(); f++) {
		int state = kag_event_field_state(from, f);
		const char *s, *k;
		size_t len, klen, i, n;
		int64_t num;

		if (state == KAG_STATE_ABSENT || f == skip)
			continue;
		if (kag_event_get_string(&s, &len, from, f) == KAG_OK) {
			ck_assert_int_eq(kag_event_set_string(to, f, s, len, state), KAG_OK);
		} else if (kag_event_get_int(&num, from, f) == KAG_OK) {
			ck_assert_int_eq(kag_event_set_int(to, f, num, state), KAG_OK);
		} else {
			/* objects, and lists that may be empty, carry a state of their own */
			ck_assert_int_eq(kag_event_set_present(to, f, state), KAG_OK);
			n = kag_event_item_count(from, f);
			for (i = 0; i < n; i++) {
				if (kag_event_get_item(&s, &len, from, f, i) == KAG_OK) {
					ck_assert_int_eq(kag_event_add_item(to, f, s, len, state), KAG_OK);
				} else {
					ck_assert_int_eq(kag_event_get_pair(&k, &klen, &s, &len, from, f, i),
							 KAG_OK);
					ck_assert_int_eq(kag_event_add_pair(to, f, k, klen, s, len, state),
							 KAG_OK);
				}
			}
		}
	}
}

/* ---- building from the JSON record, by native field names ---- */

static void put_string(kag_event *ev, json_t *obj, const char *key, int field)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		ck_assert_int_eq(kag_event_set_string(ev, field, json_string_value(v),
						      json_string_length(v), OBS), KAG_OK);
}

static void put_list(kag_event *ev, json_t *arr, int field)
{
	size_t i;
	json_t *v;

	if (json_is_array(arr))
		ck_assert_int_eq(kag_event_set_present(ev, field, OBS), KAG_OK);
	json_array_foreach(arr, i, v) {
		ck_assert(json_is_string(v));
		ck_assert_int_eq(kag_event_add_item(ev, field, json_string_value(v),
						    json_string_length(v), OBS), KAG_OK);
	}
}

static void put_pair(kag_event *ev, int field, const char *key, json_t *v)
{
	ck_assert(json_is_string(v));
	ck_assert_int_eq(kag_event_add_pair(ev, field, key, strlen(key), json_string_value(v),
					    json_string_length(v), OBS), KAG_OK);
}

static void put_user(kag_event *ev, json_t *u, int base)
{
	json_t *extra, *vals, *v;
	const char *key;
	size_t i;

	if (!json_is_object(u))
		return;
	ck_assert_int_eq(kag_event_set_present(ev, base, OBS), KAG_OK);
	put_string(ev, u, "username", base + 1);
	put_string(ev, u, "uid", base + 2);
	put_list(ev, json_object_get(u, "groups"), base + 3);
	extra = json_object_get(u, "extra");
	if (json_is_object(extra))
		ck_assert_int_eq(kag_event_set_present(ev, base + 4, OBS), KAG_OK);
	json_object_foreach(extra, key, vals) {
		if (json_is_string(vals))
			put_pair(ev, base + 4, key, vals);
		else
			json_array_foreach(vals, i, v)
				put_pair(ev, base + 4, key, v);
	}
}

static void put_body(kag_event *ev, json_t *obj, const char *key, int field)
{
	json_t *v = json_object_get(obj, key);
	char *text;

	if (!v || json_is_null(v))
		return;
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(kag_event_set_string(ev, field, text, strlen(text), OBS), KAG_OK);
	free(text);
}

static void build_native(kag_event *ev, json_t *obj)
{
	static const struct { const char *key; int field; } strs[] = {
		{ "auditID", KAG_FIELD_AUDIT_ID },
		{ "stage", KAG_FIELD_STAGE },
		{ "level", KAG_FIELD_LEVEL },
		{ "verb", KAG_FIELD_VERB },
		{ "requestURI", KAG_FIELD_REQUEST_URI },
		{ "userAgent", KAG_FIELD_USER_AGENT },
		{ "requestReceivedTimestamp", KAG_FIELD_REQUEST_RECEIVED_TS },
		{ "stageTimestamp", KAG_FIELD_STAGE_TS },
		{ "timestamp", KAG_FIELD_TIMESTAMP },
	};
	static const struct { const char *key; int field; } refs[] = {
		{ "resource", KAG_FIELD_OBJ_RESOURCE },
		{ "subresource", KAG_FIELD_OBJ_SUBRESOURCE },
		{ "namespace", KAG_FIELD_OBJ_NAMESPACE },
		{ "name", KAG_FIELD_OBJ_NAME },
		{ "apiGroup", KAG_FIELD_OBJ_API_GROUP },
		{ "apiVersion", KAG_FIELD_OBJ_API_VERSION },
	};
	json_t *o, *v;
	const char *key;
	size_t i;

	ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		put_string(ev, obj, strs[i].key, strs[i].field);
	put_user(ev, json_object_get(obj, "user"), KAG_FIELD_USER);
	put_user(ev, json_object_get(obj, "impersonatedUser"), KAG_FIELD_IMP_USER);
	put_list(ev, json_object_get(obj, "sourceIPs"), KAG_FIELD_SOURCE_IPS);
	o = json_object_get(obj, "objectRef");
	if (json_is_object(o))
		ck_assert_int_eq(kag_event_set_present(ev, KAG_FIELD_OBJECT_REF, OBS), KAG_OK);
	for (i = 0; json_is_object(o) && i < sizeof(refs) / sizeof(refs[0]); i++)
		put_string(ev, o, refs[i].key, refs[i].field);
	o = json_object_get(obj, "responseStatus");
	if (json_is_object(o)) {
		ck_assert_int_eq(kag_event_set_present(ev, KAG_FIELD_RESPONSE_STATUS, OBS), KAG_OK);
		v = json_object_get(o, "code");
		if (json_is_integer(v))
			ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE,
							   json_integer_value(v), OBS), KAG_OK);
		put_string(ev, o, "reason", KAG_FIELD_RESPONSE_REASON);
		put_string(ev, o, "message", KAG_FIELD_RESPONSE_MESSAGE);
		put_string(ev, o, "status", KAG_FIELD_RESPONSE_STATUS_TEXT);
	}
	o = json_object_get(obj, "annotations");
	if (json_is_object(o))
		ck_assert_int_eq(kag_event_set_present(ev, KAG_FIELD_ANNOTATIONS, OBS), KAG_OK);
	json_object_foreach(o, key, v)
		put_pair(ev, KAG_FIELD_ANNOTATIONS, key, v);
	put_body(ev, obj, "requestObject", KAG_FIELD_REQUEST_OBJECT);
	put_body(ev, obj, "responseObject", KAG_FIELD_RESPONSE_OBJECT);
}

/* The JSON object of a parsed native event: the record at the event's
 * offset, or item `index` of it for EventList and array items. NULL for
 * other formats. The caller owns the returned reference. */
static json_t *native_object(const char *data, size_t len, const kag_event *ev, size_t index)
{
	const char *fmt = kag_event_format(ev);
	uint64_t off = kag_event_offset(ev);
	json_error_t err;
	json_t *rec, *item = NULL;

	if (strcmp(fmt, "native") != 0 && strcmp(fmt, "eventlist") != 0 &&
	    strcmp(fmt, "array") != 0)
		return NULL;
	ck_assert_uint_lt(off, len);
	rec = json_loadb(data + off, len - off, JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &err);
	ck_assert_msg(rec != NULL, "no record at offset %llu: %s", (unsigned long long)off, err.text);
	if (strcmp(fmt, "native") == 0)
		return rec;
	item = json_array_get(strcmp(fmt, "eventlist") == 0 ? json_object_get(rec, "items") : rec,
			      index);
	ck_assert_msg(item != NULL, "no item %zu in the %s at offset %llu", index, fmt,
		      (unsigned long long)off);
	json_incref(item);
	json_decref(rec);
	return item;
}

/* ---- the comparison over one file ---- */

struct totals {
	size_t files, events, direct, verdicts;
};

/* On a difference, print both sides in full and fail with the first
 * differing bytes (Check keeps messages short). */
static void expect_same(const char *what, const char *rel, uint64_t line, const char *want,
			const char *got)
{
	size_t i = 0, from;

	if (strcmp(want, got) == 0)
		return;
	while (want[i] && want[i] == got[i])
		i++;
	from = i > 60 ? i - 60 : 0;
	printf("%s:%llu: %s differs\nparsed:\n%s%s:\n%s", rel, (unsigned long long)line, what,
	       want, what, got);
	ck_abort_msg("%s:%llu: %s verdicts differ at byte %zu:\nparsed: ...%.120s\n%s: ...%.120s",
		     rel, (unsigned long long)line, what, i, want + from, what, got + from);
}

static void compare_file(const char *rel, struct totals *tot)
{
	size_t len, list_index = 0;
	uint64_t list_offset = (uint64_t)-1;
	char *data;
	kag_parser *p;
	kag_event *copied, *direct;
	const kag_event *ev;
	struct lane lp, lc, ld;
	int rc, round;

	data = tu_read_data_file(rel, &len);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	rc = kag_parser_set_option_u64(p, KAG_OPT_FRONTEND, KAG_FRONTEND_JANSSON);
	ck_assert(rc == KAG_OK || (rc == KAG_EINVAL && !(kag_features() & KAG_FEATURE_FAST_FRONTEND)));
	ck_assert_int_eq(kag_parser_set_source(p, rel), KAG_OK);
	ck_assert_int_eq(kag_event_new(&copied), KAG_OK);
	ck_assert_int_eq(kag_event_new(&direct), KAG_OK);
	lane_init(&lp);
	lane_init(&lc);
	lane_init(&ld);
	ck_assert_int_eq(kag_parser_feed(p, data, len), KAG_OK);
	for (round = 0; round < 2; round++) {
		if (round == 1)
			ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
		while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
			uint64_t off = rc < 0 ? kag_parser_error_offset(p) : kag_event_offset(ev);
			char *want, *got;
			json_t *obj;

			/* items of one EventList or array share its offset */
			list_index = off == list_offset ? list_index + 1 : 0;
			list_offset = off;
			if (rc < 0)
				continue;
			tot->events++;
			copy_event(copied, ev, -1);
			obj = native_object(data, len, ev, list_index);
			if (obj) {
				const char *a, *b;
				size_t an, bn;

				build_native(direct, obj);
				json_decref(obj);
				/* the record found is this event's */
				if (kag_event_get_string(&a, &an, ev, KAG_FIELD_AUDIT_ID) == KAG_OK) {
					ck_assert_int_eq(kag_event_get_string(&b, &bn, direct,
									      KAG_FIELD_AUDIT_ID), KAG_OK);
					ck_assert(an == bn && memcmp(a, b, an) == 0);
				}
				tot->direct++;
			} else {
				copy_event(direct, ev, -1);
			}
			want = lane_judge(&lp, ev);
			got = lane_judge(&lc, copied);
			expect_same("copied", rel, kag_event_line(ev), want, got);
			free(got);
			got = lane_judge(&ld, direct);
			expect_same("direct", rel, kag_event_line(ev), want, got);
			free(got);
			tot->verdicts += strlen(want) ? 1 : 0;
			free(want);
		}
	}
	{
		char *want = lane_judge(&lp, NULL), *got = lane_judge(&lc, NULL);

		expect_same("copied (flush)", rel, 0, want, got);
		free(got);
		got = lane_judge(&ld, NULL);
		expect_same("direct (flush)", rel, 0, want, got);
		free(got);
		free(want);
	}
	lane_free(&lp);
	lane_free(&lc);
	lane_free(&ld);
	kag_event_free(copied);
	kag_event_free(direct);
	kag_parser_free(p);
	free(data);
	tot->files++;
}

START_TEST(corpus_built_equals_parsed)
{
	size_t n, i;
	char **files = tu_data_files(&n, 0);
	struct totals tot = { 0, 0, 0, 0 };

	ck_assert_uint_ge(n, 50);
	for (i = 0; i < n; i++)
		compare_file(files[i], &tot);
	tu_free_files(files, n);
	printf("preparsed: %zu files, %zu events (%zu also built from the JSON directly), "
	       "%zu events with verdicts\n", tot.files, tot.events, tot.direct, tot.verdicts);
	/* the comparison covered the corpus, and it had something to compare */
	ck_assert_uint_ge(tot.events, 360);
	ck_assert_uint_ge(tot.direct, 260);
	ck_assert_uint_ge(tot.verdicts, 240);
}
END_TEST

/* The comparison sees a difference: an event built without one decisive
 * field is judged otherwise. */
START_TEST(comparison_detects_a_missing_field)
{
	static const char exec[] =
		"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
		"\"auditID\":\"6e4d3f3a-1b5b-4f0e-9a7e-2c1f5d9e8a01\",\"stage\":\"ResponseStarted\","
		"\"requestURI\":\"/api/v1/namespaces/prod/pods/api-7f9/exec?command=sh\","
		"\"verb\":\"create\",\"user\":{\"username\":\"alice@example.com\",\"groups\":[\"dev\"]},"
		"\"sourceIPs\":[\"203.0.113.10\"],\"objectRef\":{\"resource\":\"pods\","
		"\"subresource\":\"exec\",\"namespace\":\"prod\",\"name\":\"api-7f9\"},"
		"\"responseStatus\":{\"code\":101},\"stageTimestamp\":\"2024-05-01T10:00:00.000000Z\"}";
	kag_parser *p;
	const kag_event *ev;
	kag_event *built;
	struct lane a, b, c;
	char *want, *same, *differs;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, exec, sizeof(exec) - 1), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	ck_assert_int_eq(kag_parser_next(&ev, p), KAG_OK);
	ck_assert_int_eq(kag_event_new(&built), KAG_OK);
	lane_init(&a);
	lane_init(&b);
	lane_init(&c);
	want = lane_judge(&a, ev);
	copy_event(built, ev, -1);
	same = lane_judge(&b, built);
	ck_assert_str_eq(want, same);
	ck_assert(strstr(want, "\"detector\":\"interactive_access\"") != NULL);
	copy_event(built, ev, KAG_FIELD_USER_USERNAME);
	differs = lane_judge(&c, built);
	ck_assert_str_ne(want, differs);
	free(want);
	free(same);
	free(differs);
	lane_free(&a);
	lane_free(&b);
	lane_free(&c);
	kag_event_free(built);
	kag_parser_free(p);
}
END_TEST

/* kag_event_set_present(): object and list states of their own. */
START_TEST(present_without_a_value)
{
	kag_event *ev;
	kag_registry *reg;
	kag_session *sess;
	const kag_result *res;
	const char *line;

	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	/* a sub-field of an absent object lends it its state */
	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 403, KAG_STATE_INFERRED),
			 KAG_OK);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_RESPONSE_STATUS), KAG_STATE_INFERRED);
	/* marked first, the object keeps its own */
	ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
	ck_assert_int_eq(kag_event_set_present(ev, KAG_FIELD_RESPONSE_STATUS, KAG_STATE_OBSERVED),
			 KAG_OK);
	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 403, KAG_STATE_INFERRED),
			 KAG_OK);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_RESPONSE_STATUS), KAG_STATE_OBSERVED);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_RESPONSE_CODE), KAG_STATE_INFERRED);
	/* an empty list is observed, with no items; so is an empty object */
	ck_assert_int_eq(kag_event_set_present(ev, KAG_FIELD_USER_GROUPS, KAG_STATE_OBSERVED), KAG_OK);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER_GROUPS), KAG_STATE_OBSERVED);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER), KAG_STATE_OBSERVED);
	ck_assert_uint_eq(kag_event_item_count(ev, KAG_FIELD_USER_GROUPS), 0);
	ck_assert_int_eq(kag_event_set_present(ev, KAG_FIELD_ANNOTATIONS, KAG_STATE_INFERRED), KAG_OK);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_ANNOTATIONS), KAG_STATE_INFERRED);
	/* fields that hold a value are set, not marked */
	ck_assert_int_eq(kag_event_set_present(ev, KAG_FIELD_VERB, KAG_STATE_OBSERVED), KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_present(ev, KAG_FIELD_RESPONSE_CODE, KAG_STATE_OBSERVED),
			 KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_present(ev, KAG_FIELD_REQUEST_OBJECT, KAG_STATE_OBSERVED),
			 KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_present(ev, KAG_FIELD_USER, KAG_STATE_ABSENT), KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_present(ev, (int)kag_field_count(), KAG_STATE_OBSERVED), KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_present(ev, -1, KAG_STATE_OBSERVED), KAG_EINVAL);
	ck_assert_int_eq(kag_event_set_present(NULL, KAG_FIELD_USER, KAG_STATE_OBSERVED), KAG_EINVAL);
	/* cleared with the rest */
	ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_USER_GROUPS), KAG_STATE_ABSENT);
	ck_assert_int_eq(kag_event_field_state(ev, KAG_FIELD_RESPONSE_STATUS), KAG_STATE_ABSENT);

	/* the verdict lists what was inferred: the code, not its object */
	ck_assert_int_eq(kag_event_set_present(ev, KAG_FIELD_RESPONSE_STATUS, KAG_STATE_OBSERVED),
			 KAG_OK);
	ck_assert_int_eq(kag_event_set_int(ev, KAG_FIELD_RESPONSE_CODE, 101, KAG_STATE_INFERRED),
			 KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_VERB, "create", 6, OBS), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_OBJ_RESOURCE, "pods", 4, OBS), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_OBJ_SUBRESOURCE, "exec", 4, OBS), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_USER_USERNAME, "alice@example.com", 17,
					      OBS), KAG_OK);
	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	ck_assert_int_eq(kag_session_new(&sess, reg), KAG_OK);
	ck_assert_int_eq(kag_session_evaluate(&res, sess, ev), KAG_OK);
	ck_assert_uint_ge(kag_result_count(res), 1);
	line = kag_verdict_json(kag_result_verdict(res, 0), NULL);
	ck_assert_str_eq(tu_json_get(line, "inferred"), "[\"responseStatus.code\"]");
	kag_session_free(sess);
	kag_registry_free(reg);
	kag_event_free(ev);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("preparsed");
	TCase *tc = tcase_create("preparsed");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, corpus_built_equals_parsed);
	tcase_add_test(tc, comparison_detects_a_missing_field);
	tcase_add_test(tc, present_without_a_value);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
