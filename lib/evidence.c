/* Evidence rendering: the audit fields a verdict was decided on, under their
 * native names and shapes, with secrets kept out (redact.c): the request
 * URI's query values only where known harmless, request and response
 * bodies only when the caller opts in, and then with secret values
 * replaced. */
#include <string.h>

#include "redact-private.h"
#include "verdict-private.h"

void kag__put_str_or_null(kag_buf *b, const kag_event *ev, int field)
{
	if (kag__has(ev, field))
		kag__buf_put_json_str(b, ev->str[field].ptr, ev->str[field].len);
	else
		KAG__BUF_LIT(b, "null");
}

static void put_list(kag_buf *b, const kag_event *ev, int field)
{
	size_t i;

	kag__buf_putc(b, '[');
	for (i = 0; i < ev->count[field]; i++) {
		const kag_item *it = kag__item(ev, field, i);

		if (i)
			kag__buf_putc(b, ',');
		kag__buf_put_json_str(b, it->val.ptr, it->val.len);
	}
	kag__buf_putc(b, ']');
}

/* user.extra: repeated pairs regrouped into {"key":["v1","v2"]}. */
static void put_extra(kag_buf *b, const kag_event *ev, int field)
{
	size_t i, j;
	int first_key = 1;

	kag__buf_putc(b, '{');
	for (i = 0; i < ev->count[field]; i++) {
		const kag_item *it = kag__item(ev, field, i);
		int seen = 0;

		for (j = 0; j < i && !seen; j++) {
			const kag_item *pj = kag__item(ev, field, j);

			seen = pj->key.len == it->key.len &&
			       memcmp(pj->key.ptr, it->key.ptr, it->key.len) == 0;
		}
		if (seen)
			continue;
		if (!first_key)
			kag__buf_putc(b, ',');
		first_key = 0;
		kag__buf_put_json_str(b, it->key.ptr, it->key.len);
		KAG__BUF_LIT(b, ":[");
		for (j = i; j < ev->count[field]; j++) {
			const kag_item *pj = kag__item(ev, field, j);

			if (pj->key.len != it->key.len || memcmp(pj->key.ptr, it->key.ptr, it->key.len))
				continue;
			if (j != i)
				kag__buf_putc(b, ',');
			kag__buf_put_json_str(b, pj->val.ptr, pj->val.len);
		}
		kag__buf_putc(b, ']');
	}
	kag__buf_putc(b, '}');
}

static void put_user(kag_buf *b, const kag_event *ev, int base)
{
	if (!kag__has(ev, base)) {
		KAG__BUF_LIT(b, "null");
		return;
	}
	kag__buf_putc(b, '{');
	if (kag__has(ev, base + 1)) {
		KAG__BUF_LIT(b, "\"username\":");
		kag__buf_put_json_str(b, ev->str[base + 1].ptr, ev->str[base + 1].len);
		kag__buf_putc(b, ',');
	}
	if (kag__has(ev, base + 2)) {
		KAG__BUF_LIT(b, "\"uid\":");
		kag__buf_put_json_str(b, ev->str[base + 2].ptr, ev->str[base + 2].len);
		kag__buf_putc(b, ',');
	}
	KAG__BUF_LIT(b, "\"groups\":");
	put_list(b, ev, base + 3);
	if (kag__has(ev, base + 4)) {
		KAG__BUF_LIT(b, ",\"extra\":");
		put_extra(b, ev, base + 4);
	}
	kag__buf_putc(b, '}');
}

/* An object member: its key written out as JSON (quoted, with the colon),
 * and the event field of its value. */
typedef struct {
	const char *key;
	size_t key_len;
	int field;
} member;

#define MEMBER(name, field) { "\"" name "\":", sizeof(name) + 2, field }

/* Write the present string fields of `m` as object members; `first` says
 * whether no member was written yet. */
static void put_string_members(kag_buf *b, const kag_event *ev, const member *m, size_t n,
			       int first)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!kag__has(ev, m[i].field))
			continue;
		if (!first)
			kag__buf_putc(b, ',');
		first = 0;
		kag__buf_put(b, m[i].key, m[i].key_len);
		kag__buf_put_json_str(b, ev->str[m[i].field].ptr, ev->str[m[i].field].len);
	}
}

static void put_object_ref(kag_buf *b, const kag_event *ev)
{
	static const member m[] = {
		MEMBER("resource", KAG_FIELD_OBJ_RESOURCE),
		MEMBER("subresource", KAG_FIELD_OBJ_SUBRESOURCE),
		MEMBER("namespace", KAG_FIELD_OBJ_NAMESPACE),
		MEMBER("name", KAG_FIELD_OBJ_NAME),
		MEMBER("apiGroup", KAG_FIELD_OBJ_API_GROUP),
		MEMBER("apiVersion", KAG_FIELD_OBJ_API_VERSION),
	};

	if (!kag__has(ev, KAG_FIELD_OBJECT_REF)) {
		KAG__BUF_LIT(b, "null");
		return;
	}
	kag__buf_putc(b, '{');
	put_string_members(b, ev, m, sizeof(m) / sizeof(m[0]), 1);
	kag__buf_putc(b, '}');
}

static void put_response_status(kag_buf *b, const kag_event *ev)
{
	static const member m[] = {
		MEMBER("status", KAG_FIELD_RESPONSE_STATUS_TEXT),
		MEMBER("reason", KAG_FIELD_RESPONSE_REASON),
		MEMBER("message", KAG_FIELD_RESPONSE_MESSAGE),
	};
	int has_code = kag__has(ev, KAG_FIELD_RESPONSE_CODE);

	if (!kag__has(ev, KAG_FIELD_RESPONSE_STATUS)) {
		KAG__BUF_LIT(b, "null");
		return;
	}
	if (has_code) {
		KAG__BUF_LIT(b, "{\"code\":");
		kag__buf_put_i64(b, ev->code);
	} else {
		kag__buf_putc(b, '{');
	}
	put_string_members(b, ev, m, sizeof(m) / sizeof(m[0]), !has_code);
	kag__buf_putc(b, '}');
}

/* Annotations whose values carry request content (webhook patches, the
 * last-applied configuration) are body data: they never leave. */
static int annotation_is_body(kag_str key)
{
	return kag__str_prefix(key, "patch.webhook.admission.k8s.io/") ||
	       kag__str_eq(key, "kubectl.kubernetes.io/last-applied-configuration");
}

static void put_annotations(kag_buf *b, const kag_event *ev)
{
	size_t i;
	int first = 1;

	if (!kag__has(ev, KAG_FIELD_ANNOTATIONS)) {
		KAG__BUF_LIT(b, "null");
		return;
	}
	kag__buf_putc(b, '{');
	for (i = 0; i < ev->count[KAG_FIELD_ANNOTATIONS]; i++) {
		const kag_item *it = kag__item(ev, KAG_FIELD_ANNOTATIONS, i);

		if (annotation_is_body(it->key))
			continue;
		if (!first)
			kag__buf_putc(b, ',');
		first = 0;
		kag__buf_put_json_str(b, it->key.ptr, it->key.len);
		kag__buf_putc(b, ':');
		kag__buf_put_json_str(b, it->val.ptr, it->val.len);
	}
	kag__buf_putc(b, '}');
}

static void put_request_uri(kag_buf *b, const kag_event *ev)
{
	kag_str u = ev->str[KAG_FIELD_REQUEST_URI];

	if (!kag__has(ev, KAG_FIELD_REQUEST_URI)) {
		KAG__BUF_LIT(b, "null");
		return;
	}
	kag__put_redacted_uri(b, u.ptr, u.len);
}

static void put_body(kag_buf *b, const char *key, struct json_t *body, int secrets)
{
	kag__buf_putc(b, ',');
	kag__buf_put_json_str(b, key, strlen(key));
	kag__buf_putc(b, ':');
	kag__put_redacted_body(b, body, secrets);
}

int kag__render_evidence(kag_buf *b, const kag_event *ev, const kag_finding *f,
			 int include_bodies)
{
	const char *denied = kag__denied_by_name(kag__denied_by(ev));

	KAG__BUF_LIT(b, "{\"verb\":");
	kag__put_str_or_null(b, ev, KAG_FIELD_VERB);
	KAG__BUF_LIT(b, ",\"user\":");
	put_user(b, ev, KAG_FIELD_USER);
	KAG__BUF_LIT(b, ",\"impersonatedUser\":");
	put_user(b, ev, KAG_FIELD_IMP_USER);
	KAG__BUF_LIT(b, ",\"sourceIPs\":");
	if (kag__has(ev, KAG_FIELD_SOURCE_IPS))
		put_list(b, ev, KAG_FIELD_SOURCE_IPS);
	else
		KAG__BUF_LIT(b, "null");
	KAG__BUF_LIT(b, ",\"userAgent\":");
	kag__put_str_or_null(b, ev, KAG_FIELD_USER_AGENT);
	KAG__BUF_LIT(b, ",\"objectRef\":");
	put_object_ref(b, ev);
	KAG__BUF_LIT(b, ",\"requestURI\":");
	put_request_uri(b, ev);
	KAG__BUF_LIT(b, ",\"responseStatus\":");
	put_response_status(b, ev);
	KAG__BUF_LIT(b, ",\"annotations\":");
	put_annotations(b, ev);
	if (denied) {
		/* who refused it: only authorization denials are probing */
		KAG__BUF_LIT(b, ",\"denied_by\":\"");
		kag__buf_puts(b, denied);
		kag__buf_putc(b, '"');
	}
	if (f && f->extra && f->extra->len) {
		kag__buf_putc(b, ',');
		kag__buf_put(b, f->extra->data, f->extra->len);
	}
	if (include_bodies) {
		if (kag__event_body(ev, 0))
			put_body(b, "requestObject", kag__event_body(ev, 0),
				 kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "secrets"));
		if (kag__event_body(ev, 1))
			put_body(b, "responseObject", kag__event_body(ev, 1),
				 kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "secrets"));
	}
	kag__buf_putc(b, '}');
	return b->oom ? KAG_ENOMEM : KAG_OK;
}
