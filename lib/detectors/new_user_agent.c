/* new_user_agent: an identity already seen with one client now using a
 * client it has not used before (first-seen user-agent product per
 * identity). The first client of an identity is its baseline and is not
 * reported. Products compare without versions, so upgrades stay quiet. The
 * table holds new_terms_capacity entries (identities plus their clients),
 * least recently used evicted (within a set of 8 above 64 entries). Platform identities (controller_baseline's
 * classes) are left out: they run many component clients by design. The
 * user agent is set by the client: this is a low-severity lead, never
 * proof. */
#include <stdio.h>
#include <string.h>

#include "detector-private.h"
#include "finding-private.h"
#include "identity-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1078", NULL),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_USER_AGENT };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS };

#define PRODUCT_MAX 40

typedef struct {
	int64_t first_us;
	char product[PRODUCT_MAX];   /* identity entries: its first client */
} term_state;

static uint64_t capacity(const kag__policy *p)
{
	return p->new_terms_capacity;
}

/* The product token (kag__ua_product); a userAgent that starts with none
 * stands for itself, as far as it fits. */
static kag_str product(const kag_event *ev)
{
	kag_str ua = ev->str[KAG_FIELD_USER_AGENT], p = kag__ua_product(ua);

	if (p.len == 0)
		p.len = ua.len < PRODUCT_MAX - 1 ? ua.len : PRODUCT_MAX - 1;
	return p;
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	/* platform identities run many component clients by design */
	if (ctx->identity != KAG__ID_NONE)
		return 0;
	/* judged once per request, on a stage that carries the outcome */
	if (ev->stage == KAG_STAGE_REQUEST_RECEIVED)
		return 0;
	if (!kag__usable(ev, KAG_FIELD_USER_USERNAME) || !kag__usable(ev, KAG_FIELD_USER_AGENT))
		return 0;
	/* anonymous callers have no identity to baseline */
	return !kag__eq(ev, KAG_FIELD_USER_USERNAME, "system:anonymous");
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME], p = product(ev);
	uint64_t uh = kag__hash(u.ptr, u.len, 0xa54ff53a5f1d36f1ULL);
	uint64_t id_key = uh ^ 0x1f83d9abfb41bd6bULL;
	uint64_t pair_key = kag__hash(p.ptr, p.len, uh);
	term_state *id, *pair;
	char user[128], prod[PRODUCT_MAX], ua[160];

	if (!ctx->state)
		return KAG_OK;
	id = kag__lru_find(ctx->state, id_key);
	if (!id) {
		/* a new identity: its first client is the baseline */
		id = kag__lru_insert(ctx->state, id_key);
		id->first_us = ctx->now_us;
		snprintf(id->product, sizeof(id->product), "%.*s", (int)p.len, p.ptr);
		pair = kag__lru_insert(ctx->state, pair_key);
		pair->first_us = ctx->now_us;
		return KAG_OK;
	}
	if (kag__lru_find(ctx->state, pair_key))
		return KAG_OK;
	/* the insert may evict the identity entry: copy what the reason needs */
	snprintf(prod, sizeof(prod), "%s", id->product);
	pair = kag__lru_insert(ctx->state, pair_key);
	pair->first_us = ctx->now_us;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_LOW, KAG_CONFIDENCE_MEDIUM,
		    "%s used a new client: user agent %s (first seen client: %s)",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    kag__show(ev, KAG_FIELD_USER_AGENT, ua, sizeof(ua)), prod);
	kag__finding_attack(f, "T1078");
	kag__extra_key(f, "newTerm");
	kag__buf_puts(f->extra, "{\"field\":\"userAgent\",\"product\":");
	kag__buf_put_json_str(f->extra, p.ptr, p.len);
	kag__buf_puts(f->extra, ",\"baselineProduct\":");
	kag__buf_put_json_str(f->extra, prod, strlen(prod));
	kag__buf_putc(f->extra, '}');
	return KAG_OK;
}

const kag__detector_def kag__det_new_user_agent = {
	.id = "new_user_agent",
	.title = "Identity using a client (user-agent product) it has not used before",
	.about = {
		.finds =
			"an identity, already seen in this session with another client, sends a "
			"request with a user-agent product (the token before the first '/', so "
			"versions do not count) it has not used before (low); the first client of "
			"an identity is its baseline and is not reported; anonymous callers and "
			"platform identities (controller_baseline classes) are left out; the "
			"table is bounded by new_terms_capacity entries (identities and their "
			"clients), least recently used evicted (within a set of 8 entries when "
			"the table holds more than 64)",
		.false_positives =
			"people switching between kubectl, dashboards and SDKs; the user agent is "
			"set by the client, so this is a lead to weigh with other verdicts for "
			"the same identity, never proof by itself",
		.peers =
			"Elastic new_terms rules on user agent (secret access, forbidden "
			"requests, self-subject reviews, anonymous requests); GuardDuty "
			"AnomalousBehavior findings",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 0,
	.ctx_severity = KAG_SEVERITY_LOW,
	.state_size = sizeof(term_state),
	.state_capacity = capacity,
	.applies = applies,
	.judge = judge,
};
