/* The evidence gate: before a detector may call an event suspicious or
 * benign, its decisive fields must be present and not placeholders, the
 * outcome must be known when it matters, and the audit level must be able
 * to show what the detector needs. */
#include <stdio.h>
#include <string.h>

#include "alloc-private.h"
#include "detector-private.h"

int kag__outcome(const kag_event *ev)
{
	kag_str decision = kag__annotation(ev, "authorization.k8s.io/decision");
	int has_code = kag__has(ev, KAG_FIELD_RESPONSE_CODE);
	int64_t code = ev->code;

	/* An authorizer's forbid is final whatever the code says. */
	if (kag__str_eq(decision, "forbid"))
		return KAG_OUTCOME_DENIED;
	/* So is an OpenShift oauth-server login decision (a failed login is
	 * answered with a redirect, not a 401). */
	decision = kag__annotation(ev, "authentication.openshift.io/decision");
	if (kag__str_eq(decision, "deny"))
		return KAG_OUTCOME_DENIED;
	if (kag__str_eq(decision, "error"))
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
	if (!d) {
		g->passed = g->stage_ok && outcome != KAG_OUTCOME_UNKNOWN;
		if (!g->passed)
			append_reason(g, "the outcome of the request is not known");
		return;
	}
	for (i = 0; i < d->n_required; i++) {
		if (!kag__usable(ev, d->required[i]))
			add_missing(g, d->required[i]);
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
	if (d->needs_outcome && outcome == KAG_OUTCOME_UNKNOWN) {
		g->stage_ok = 0;
		append_reason(g, ev->stage == KAG_STAGE_REQUEST_RECEIVED
				 ? "stage RequestReceived carries no outcome"
				 : "the outcome of the request is not known (no responseStatus.code "
				   "or authorization decision)");
	} else if (!g->stage_ok) {
		append_reason(g, "stage RequestReceived cannot support a final judgement");
	}
	if (d->min_level > KAG_LEVEL_METADATA) {
		int body = d->min_level >= KAG_LEVEL_REQUEST_RESPONSE
			   ? kag__has(ev, KAG_FIELD_RESPONSE_OBJECT)
			   : kag__has(ev, KAG_FIELD_REQUEST_OBJECT);

		if (!body) {
			char text[160];

			g->level_ok = 0;
			snprintf(text, sizeof(text), "audit level %s carries no %s body",
				 ev->level ? kag_level_name(ev->level) : "(unknown)",
				 d->min_level >= KAG_LEVEL_REQUEST_RESPONSE ? "response" : "request");
			append_reason(g, text);
		}
	}
	g->passed = g->n_missing == 0 && g->stage_ok && g->level_ok;
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
