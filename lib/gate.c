/* The evidence gate: before a detector may call an event suspicious or
 * benign, its decisive fields must be present and not placeholders, the
 * outcome must be known when it matters, and the audit level must be able
 * to show what the detector needs. */
#include <stdio.h>
#include <string.h>

#include "alloc-private.h"
#include "gate-private.h"

/* The two decisions an annotation can carry, read in one pass. */
static void decisions(const kag_event *ev, kag_str *authz, kag_str *openshift)
{
	static const char k_authz[] = "authorization.k8s.io/decision";
	static const char k_os[] = "authentication.openshift.io/decision";
	size_t i, n = ev->count[KAG_FIELD_ANNOTATIONS];

	authz->ptr = openshift->ptr = NULL;
	authz->len = openshift->len = 0;
	for (i = 0; i < n; i++) {
		const kag_item *it = kag__item(ev, KAG_FIELD_ANNOTATIONS, i);

		if (!it || !it->key.ptr)
			continue;
		/* the first of a repeated key counts, as for kag__annotation() */
		if (!authz->ptr && it->key.len == sizeof(k_authz) - 1 &&
		    memcmp(it->key.ptr, k_authz, sizeof(k_authz) - 1) == 0)
			*authz = it->val;
		else if (!openshift->ptr && it->key.len == sizeof(k_os) - 1 &&
			 memcmp(it->key.ptr, k_os, sizeof(k_os) - 1) == 0)
			*openshift = it->val;
	}
}

/* needle occurs in s. */
static int contains(kag_str s, const char *needle)
{
	size_t n = strlen(needle), i;

	if (!s.ptr || s.len < n)
		return 0;
	for (i = 0; i + n <= s.len; i++)
		if (s.ptr[i] == needle[0] && memcmp(s.ptr + i, needle, n) == 0)
			return 1;
	return 0;
}

/* The status message is an admission controller's refusal: a webhook's,
 * PodSecurity's or a ValidatingAdmissionPolicy's. An authorizer's refusal
 * always reads 'is forbidden: User "..." cannot ...', and the object's
 * name, which the client chooses, comes before it: a message with that
 * text is never taken for admission. */
static int authorizer_message(kag_str m)
{
	return contains(m, "forbidden: User \"");
}

static int admission_message(const kag_event *ev)
{
	kag_str m;

	if (!kag__usable(ev, KAG_FIELD_RESPONSE_MESSAGE))
		return 0;
	m = ev->str[KAG_FIELD_RESPONSE_MESSAGE];
	if (authorizer_message(m))
		return 0;
	return (contains(m, "admission webhook \"") && contains(m, "denied the request")) ||
	       contains(m, "violates PodSecurity") || contains(m, "ValidatingAdmissionPolicy");
}

int kag__denied_by(const kag_event *ev)
{
	kag_str decision, os_decision;

	if (kag__outcome(ev) != KAG_OUTCOME_DENIED)
		return KAG__DENIED_NOT;
	decisions(ev, &decision, &os_decision);
	if (kag__str_eq(decision, "forbid"))
		return KAG__DENIED_AUTHORIZATION;
	if (kag__str_eq(os_decision, "deny") || ev->code == 401)
		return KAG__DENIED_AUTHENTICATION;
	if (admission_message(ev))
		return KAG__DENIED_ADMISSION;
	/* The authorizers allowed it: what refused it came after them, and
	 * says why in the message (quota, a namespace being deleted, ...). A
	 * record without the message shows no refusal of its own: it is
	 * taken for authorization's, which keeps it counted as probing. */
	if (kag__str_eq(decision, "allow") && kag__usable(ev, KAG_FIELD_RESPONSE_MESSAGE) &&
	    !authorizer_message(ev->str[KAG_FIELD_RESPONSE_MESSAGE]))
		return KAG__DENIED_ADMISSION;
	return KAG__DENIED_AUTHORIZATION;
}

const char *kag__denied_by_name(int by)
{
	switch (by) {
	case KAG__DENIED_AUTHENTICATION: return "authentication";
	case KAG__DENIED_AUTHORIZATION: return "authorization";
	case KAG__DENIED_ADMISSION: return "admission";
	default: return NULL;
	}
}

int kag__outcome(const kag_event *ev)
{
	kag_str decision, os_decision;
	int has_code = kag__has(ev, KAG_FIELD_RESPONSE_CODE);
	int64_t code = ev->code;

	decisions(ev, &decision, &os_decision);
	/* An authorizer's forbid is final whatever the code says. */
	if (kag__str_eq(decision, "forbid"))
		return KAG_OUTCOME_DENIED;
	/* So is an OpenShift oauth-server login decision (a failed login is
	 * answered with a redirect, not a 401). */
	if (kag__str_eq(os_decision, "deny"))
		return KAG_OUTCOME_DENIED;
	if (kag__str_eq(os_decision, "error"))
		return KAG_OUTCOME_ERROR;
	if (ev->stage == KAG_STAGE_REQUEST_RECEIVED)
		return KAG_OUTCOME_UNKNOWN;
	if (ev->stage == KAG_STAGE_PANIC)
		return KAG_OUTCOME_ERROR;
	if (has_code) {
		if (code == 401 || code == 403)
			return KAG_OUTCOME_DENIED;
		if (ev->stage == KAG_STAGE_RESPONSE_STARTED)
			return KAG_OUTCOME_IN_PROGRESS;
		if (code == 101)
			return ev->stage == KAG_STAGE_RESPONSE_COMPLETE ? KAG_OUTCOME_ALLOWED
									: KAG_OUTCOME_IN_PROGRESS;
		if (code >= 200 && code < 400)
			return KAG_OUTCOME_ALLOWED;
		/* a ValidatingAdmissionPolicy, or a webhook choosing the code,
		 * refuses with 422; other 422s are invalid objects: errors */
		if (code == 422 && admission_message(ev))
			return KAG_OUTCOME_DENIED;
		return KAG_OUTCOME_ERROR;
	}
	if (ev->stage == KAG_STAGE_RESPONSE_STARTED)
		return KAG_OUTCOME_IN_PROGRESS;
	return KAG_OUTCOME_UNKNOWN;
}

static void add_missing(kag__gate_result *g, int field)
{
	size_t i;

	for (i = 0; i < g->n_missing; i++)
		if (g->missing[i] == field)
			return;
	if (g->n_missing < KAG__MAX_FIELDS)
		g->missing[g->n_missing++] = field;
}

static void append_reason(kag__gate_result *g, const char *text)
{
	size_t n = strlen(g->reason);

	snprintf(g->reason + n, sizeof(g->reason) - n, "%s%s", n ? "; " : "", text);
}

void kag__gate_check(kag__gate_result *g, const kag__detector_def *d,
		     const kag_event *ev, int outcome)
{
	size_t i;

	/* every member but the arrays, which n_missing and the NUL bound */
	g->passed = 0;
	g->n_missing = 0;
	g->reason[0] = '\0';
	g->outcome = outcome;
	g->stage_ok = ev->stage != KAG_STAGE_REQUEST_RECEIVED;
	g->level_ok = 1;
	g->no_outcome = 0;
	if (!d) {
		g->passed = g->stage_ok && outcome != KAG_OUTCOME_UNKNOWN;
		g->no_outcome = !g->passed;
		return;
	}
	for (i = 0; i < d->n_required; i++) {
		if (!kag__usable(ev, d->required[i]))
			add_missing(g, d->required[i]);
	}
	if (d->needs_outcome && outcome == KAG_OUTCOME_UNKNOWN) {
		g->stage_ok = 0;
		g->no_outcome = 1;
	}
	if (d->min_level > KAG_LEVEL_METADATA) {
		int body = d->min_level >= KAG_LEVEL_REQUEST_RESPONSE
			   ? kag__has(ev, KAG_FIELD_RESPONSE_OBJECT)
			   : kag__has(ev, KAG_FIELD_REQUEST_OBJECT);

		if (!body)
			g->level_ok = 0;
	}
	g->passed = g->n_missing == 0 && g->stage_ok && g->level_ok;
}

void kag__gate_explain(kag__gate_result *g, const kag__detector_def *d, const kag_event *ev)
{
	size_t i;

	g->reason[0] = '\0';
	if (!d) {
		if (g->no_outcome)
			append_reason(g, "the outcome of the request is not known");
		return;
	}
	if (g->n_missing) {
		char text[200];
		size_t n = 0;

		n += snprintf(text, sizeof(text), "decisive field%s missing:",
			      g->n_missing > 1 ? "s" : "");
		for (i = 0; i < g->n_missing && n < sizeof(text); i++)
			n += snprintf(text + n, sizeof(text) - n, " %s",
				      kag_field_name(g->missing[i]));
		append_reason(g, text);
	}
	if (g->no_outcome) {
		append_reason(g, ev->stage == KAG_STAGE_REQUEST_RECEIVED
				 ? "stage RequestReceived carries no outcome"
				 : "the outcome of the request is not known (no responseStatus.code "
				   "or authorization decision)");
	} else if (!g->stage_ok) {
		append_reason(g, "stage RequestReceived cannot support a final judgement");
	}
	if (!g->level_ok) {
		char text[160];

		snprintf(text, sizeof(text), "audit level %s carries no %s body",
			 ev->level ? kag_level_name(ev->level) : "(unknown)",
			 d->min_level >= KAG_LEVEL_REQUEST_RESPONSE ? "response" : "request");
		append_reason(g, text);
	}
}

/* ---- the public, stand-alone gate ---- */

struct kag_gate {
	kag__gate_result r;
};

int kag_gate_evaluate(kag_gate **out, const kag_registry *r, const char *detector_id,
		      const kag_event *ev)
{
	const kag__detector_def *d = NULL;
	kag_gate *g;

	if (!out || !ev || (detector_id && !r))
		return KAG_EINVAL;
	*out = NULL;
	if (detector_id) {
		int i = kag__registry_find_entry(r, detector_id);

		if (i < 0)
			return KAG_ENOTFOUND;
		d = &r->entries[i].def;
	}
	g = kag__malloc(sizeof(*g));
	if (!g)
		return KAG_ENOMEM;
	kag__gate_check(&g->r, d, ev, kag__outcome(ev));
	kag__gate_explain(&g->r, d, ev);
	*out = g;
	return KAG_OK;
}

void kag_gate_free(kag_gate *g)
{
	kag__free(g);
}

int kag_gate_passed(const kag_gate *g)
{
	return g ? g->r.passed : 0;
}

int kag_gate_outcome(const kag_gate *g)
{
	return g ? g->r.outcome : KAG_OUTCOME_UNKNOWN;
}

int kag_gate_stage_ok(const kag_gate *g)
{
	return g ? g->r.stage_ok : 0;
}

int kag_gate_level_ok(const kag_gate *g)
{
	return g ? g->r.level_ok : 0;
}

size_t kag_gate_missing_count(const kag_gate *g)
{
	return g ? g->r.n_missing : 0;
}

int kag_gate_missing_field(const kag_gate *g, size_t i)
{
	return g && i < g->r.n_missing ? g->r.missing[i] : -1;
}

const char *kag_gate_reason(const kag_gate *g)
{
	return g ? g->r.reason : "";
}
