/* credential_minting: new credentials issued through the API server:
 * service-account tokens minted with the TokenRequest API or as a
 * long-lived token Secret (type kubernetes.io/service-account-token,
 * which the token controller fills with a token that never expires), and client
 * certificates requested (CertificateSigningRequest created) or approved,
 * with self-approval and privileged subjects (system:masters and other
 * platform names inside the PEM request) singled out. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "body-private.h"
#include "burst-private.h"
#include "codec-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1528", "tokens"),
	KAG__TECHNIQUE("T1552.007", "tokens"),
	KAG__PRIMARY("T1649", "certificates"),
	KAG__TECHNIQUE("T1098.006", "certificates"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_VERB };
static const int wanted[] = { KAG_FIELD_SOURCE_IPS, KAG_FIELD_OBJ_NAME };

enum { K_NONE, K_TOKEN, K_TOKEN_SECRET, K_CSR_CREATE, K_CSR_APPROVAL };

#define TOKEN_SECRET_TYPE "kubernetes.io/service-account-token"

#define KUBELET_SIGNER "kubernetes.io/kube-apiserver-client-kubelet"

/* CSR name -> who created it, for self-approval across events. */
typedef struct {
	uint64_t creator;
	int64_t time_us;
} csr_state;

static int kind_of(const kag_event *ev)
{
	if (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "secrets"))
		return !kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE) &&
		       kag__eq(ev, KAG_FIELD_VERB, "create") ? K_TOKEN_SECRET : K_NONE;
	if (kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "serviceaccounts")) {
		return kag__eq(ev, KAG_FIELD_OBJ_SUBRESOURCE, "token") &&
		       kag__eq(ev, KAG_FIELD_VERB, "create") ? K_TOKEN : K_NONE;
	}
	if (!kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "certificatesigningrequests"))
		return K_NONE;
	if (!kag__has(ev, KAG_FIELD_OBJ_SUBRESOURCE))
		return kag__eq(ev, KAG_FIELD_VERB, "create") ? K_CSR_CREATE : K_NONE;
	if (kag__eq(ev, KAG_FIELD_OBJ_SUBRESOURCE, "approval") &&
	    (kag__eq(ev, KAG_FIELD_VERB, "update") || kag__eq(ev, KAG_FIELD_VERB, "patch")))
		return K_CSR_APPROVAL;
	return K_NONE;
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	/* a denied attempt is rbac_probing's; nothing was issued */
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	return kind_of(ev) != K_NONE;
}

/* ---- PEM inside base64: look for platform names in the subject ---- */

/* Decode base64 (whitespace skipped, stops at '=' or at another byte).
 * Returns the decoded length, or (size_t)-1 when out is too small. */
static size_t b64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		int v = kag__b64_value((unsigned char)s[i]);

		if (v < 0) {
			if (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
				continue;
			break;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return (size_t)-1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

static const unsigned char *find(const unsigned char *h, size_t hn, const char *needle)
{
	size_t nn = strlen(needle), i;

	for (i = 0; nn <= hn && i <= hn - nn; i++)
		if (memcmp(h + i, needle, nn) == 0)
			return h + i;
	return NULL;
}

static const char *const platform_subjects[] = {
	"system:masters", "system:admin", "system:kube-controller-manager",
	"system:kube-scheduler", "system:nodes", NULL
};

/* The first platform name in the CSR's subject, NULL if none, or "?" when
 * the request cannot be decoded within the bounds. system:nodes is what a
 * kubelet client certificate (nodes_expected) must carry. */
static const char *csr_privileged_subject(kag_str request, int nodes_expected)
{
	unsigned char pem[6144], der[4608];
	const unsigned char *begin, *end, *body = pem;
	size_t n, dn, i;

	if (!request.ptr)
		return NULL;
	n = b64_decode(request.ptr, request.len, pem, sizeof(pem));
	if (n == (size_t)-1)
		return "?";
	begin = find(pem, n, "-----BEGIN");
	if (begin) {
		const unsigned char *nl = memchr(begin, '\n', n - (size_t)(begin - pem));

		if (!nl)
			return "?";
		end = find(nl, n - (size_t)(nl - pem), "-----END");
		if (!end)
			return "?";
		dn = b64_decode((const char *)nl + 1, (size_t)(end - nl - 1), der, sizeof(der));
		if (dn == (size_t)-1)
			return "?";
		body = der;
		n = dn;
	}
	/* ASN.1 strings are stored verbatim in the DER subject */
	for (i = 0; platform_subjects[i]; i++) {
		if (nodes_expected && strcmp(platform_subjects[i], "system:nodes") == 0)
			continue;
		if (find(body, n, platform_subjects[i]))
			return platform_subjects[i];
	}
	return NULL;
}

static uint64_t user_hash(const kag_event *ev)
{
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];

	return kag__hash(u.ptr, u.len, 0x51ed270b27aeb3c5ULL);
}

/* The CSR's name: objectRef, else the body's metadata (generateName). */
static kag_str csr_name(const kag_event *ev)
{
	kag_str n = { NULL, 0 };
	int i;

	if (kag__usable(ev, KAG_FIELD_OBJ_NAME))
		return ev->str[KAG_FIELD_OBJ_NAME];
	for (i = 1; i >= 0 && !n.ptr; i--)
		n = kag__json_str(json_object_get(kag__event_body(ev, i), "metadata"), "name");
	return n;
}

static int is_client_signer(kag_str signer)
{
	return kag__str_eq(signer, "kubernetes.io/kube-apiserver-client") ||
	       kag__str_eq(signer, KUBELET_SIGNER) ||
	       kag__str_eq(signer, "kubernetes.io/legacy-unknown");
}

static int has_client_usage(json_t *spec)
{
	json_t *u = json_object_get(spec, "usages"), *v;
	size_t i;

	json_array_foreach(u, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), "client auth") == 0)
			return 1;
	}
	return 0;
}

/* Approved, denied or unknown (-1) from status.conditions of a body. */
static int approval_decision(json_t *body)
{
	json_t *conds = json_object_get(json_object_get(body, "status"), "conditions"), *c;
	size_t i;
	int denied = 0;

	json_array_foreach(conds, i, c) {
		kag_str t = kag__json_str(c, "type");

		if (kag__str_eq(t, "Approved"))
			return 1;
		if (kag__str_eq(t, "Denied") || kag__str_eq(t, "Failed"))
			denied = 1;
	}
	return denied ? 0 : -1;
}

static int judge_token(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], ns[96], name[96];
	int target_system = !kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) ||
			    kag__in_system_namespace(ev, ctx->policy);
	int platform = kag__is_platform(ev, ctx);
	int severity;
	json_t *spec = json_object_get(kag__event_body(ev, 0), "spec");

	/* kubelets mint the projected tokens of their pods */
	if (platform && ctx->identity == KAG__ID_NODE)
		return KAG_OK;
	if (platform && target_system)
		return KAG_OK;
	if (platform)
		severity = KAG_SEVERITY_LOW;
	else
		severity = kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) && target_system
			   ? KAG_SEVERITY_HIGH : KAG_SEVERITY_MEDIUM;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s%s%s%s minted a token for service account %s/%s (TokenRequest)",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    platform ? " (" : "", platform ? kag__identity_class_name(ctx->identity) : "",
		    platform ? ", outside the system namespaces)" : "",
		    kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)),
		    kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name)));
	kag__finding_attack(f, "T1528");
	kag__finding_attack(f, "T1552.007");
	kag__extra_key(f, "credential");
	kag__buf_puts(f->extra, "{\"kind\":\"serviceaccount-token\"");
	if (spec) {
		json_t *exp = json_object_get(spec, "expirationSeconds");
		json_t *bound = json_object_get(spec, "boundObjectRef");

		if (json_is_integer(exp)) {
			kag__buf_puts(f->extra, ",\"expirationSeconds\":");
			kag__buf_put_i64(f->extra, (int64_t)json_integer_value(exp));
		}
		kag__buf_puts(f->extra, ",\"boundObject\":");
		if (json_is_object(bound)) {
			kag_str k = kag__json_str(bound, "kind"), n = kag__json_str(bound, "name");
			char b[160];

			snprintf(b, sizeof(b), "%.*s/%.*s", k.ptr ? (int)(k.len > 40 ? 40 : k.len) : 1,
				 k.ptr ? k.ptr : "?", n.ptr ? (int)(n.len > 100 ? 100 : n.len) : 1,
				 n.ptr ? n.ptr : "?");
			kag__buf_put_json_str(f->extra, b, strlen(b));
		} else {
			kag__buf_puts(f->extra, "null");
		}
	}
	kag__buf_putc(f->extra, '}');
	return KAG_OK;
}

/* A string member's value, or null when absent. */
static void put_str_or_null(kag_finding *f, kag_str s)
{
	if (s.ptr)
		kag__buf_put_json_str(f->extra, s.ptr, s.len);
	else
		kag__buf_puts(f->extra, "null");
}

/* A Secret of the service-account-token type: the token controller writes
 * into it a token bound to no pod and no expiry, the credential the
 * TokenRequest API replaced. Only its type and annotation are read; its
 * data never leaves the library. Without a body (a Metadata-level secrets
 * policy, the common one) nothing shows the type: no verdict. */
static int judge_token_secret(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	static const kag__body_needle needles[] = { { "service-account-token", 0 }, { NULL, 0 } };
	char user[128], ns[96], name[128], sa[128];
	int platform = kag__is_platform(ev, ctx), system_ns, severity;
	json_t *body, *meta;
	kag_str account;

	if (!kag__event_body_may_contain(ev, 0, needles))
		return KAG_OK;
	body = kag__event_body(ev, 0);
	if (!kag__str_eq(kag__json_str(body, "type"), TOKEN_SECRET_TYPE))
		return KAG_OK;
	system_ns = kag__in_system_namespace(ev, ctx->policy);
	if (platform && system_ns)
		return KAG_OK; /* the platform's own legacy tokens */
	meta = json_object_get(body, "metadata");
	account = kag__json_str(json_object_get(meta, "annotations"),
				"kubernetes.io/service-account.name");
	if (!kag__usable(ev, KAG_FIELD_OBJ_NAME)) {
		kag_str n = kag__json_str(meta, "name");

		snprintf(name, sizeof(name), "%.*s", n.ptr ? (int)(n.len > 120 ? 120 : n.len) : 5,
			 n.ptr ? n.ptr : "(new)");
	} else {
		kag__show(ev, KAG_FIELD_OBJ_NAME, name, sizeof(name));
	}
	snprintf(sa, sizeof(sa), "%.*s", account.ptr ? (int)(account.len > 120 ? 120 : account.len)
						     : 1, account.ptr ? account.ptr : "?");
	if (platform)
		severity = KAG_SEVERITY_LOW;
	else
		severity = system_ns ? KAG_SEVERITY_CRITICAL : KAG_SEVERITY_HIGH;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s%s%s%s created secret %s/%s of type %s for service account %s: a "
		    "long-lived token that never expires",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    platform ? " (" : "", platform ? kag__identity_class_name(ctx->identity) : "",
		    platform ? ", outside the system namespaces)" : "",
		    kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)), name, TOKEN_SECRET_TYPE,
		    sa);
	kag__finding_attack(f, "T1528");
	kag__finding_attack(f, "T1552.007");
	if (!account.ptr)
		kag__finding_weaker(f, KAG_FIELD_REQUEST_OBJECT);
	kag__extra_key(f, "credential");
	kag__buf_puts(f->extra, "{\"kind\":\"serviceaccount-token-secret\",\"serviceAccount\":");
	put_str_or_null(f, account);
	kag__buf_puts(f->extra, ",\"expires\":false}");
	return KAG_OK;
}

static void put_csr_extra(kag_finding *f, const char *kind, kag_str name, kag_str signer,
			  const char *subject, int self)
{
	kag__extra_key(f, "credential");
	kag__buf_puts(f->extra, "{\"kind\":\"");
	kag__buf_puts(f->extra, kind);
	kag__buf_puts(f->extra, "\",\"csr\":");
	put_str_or_null(f, name);
	kag__buf_puts(f->extra, ",\"signerName\":");
	put_str_or_null(f, signer);
	kag__buf_puts(f->extra, ",\"privilegedSubject\":");
	if (subject && strcmp(subject, "?") != 0)
		kag__buf_put_json_str(f->extra, subject, strlen(subject));
	else
		kag__buf_puts(f->extra, "null");
	kag__buf_puts(f->extra, ",\"selfApproved\":");
	kag__buf_puts(f->extra, self ? "true" : "false");
	kag__buf_putc(f->extra, '}');
}

static int judge_csr_create(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], nm[128];
	kag_str name = csr_name(ev);
	json_t *spec = json_object_get(kag__event_body(ev, 0), "spec");
	kag_str signer = kag__json_str(spec, "signerName");
	const char *subject = NULL;
	int severity, client;

	/* kubelet TLS bootstrap and rotation, controllers */
	if (kag__is_platform(ev, ctx) ||
	    kag__str_prefix(ev->str[KAG_FIELD_USER_USERNAME], "system:bootstrap:"))
		return KAG_OK;
	if (name.ptr && ctx->state) {
		csr_state *st = kag__state_get(ctx, kag__hash(name.ptr, name.len,
							      0x6a09e667f3bcc909ULL));

		st->creator = user_hash(ev);
		st->time_us = ctx->now_us;
	}
	snprintf(nm, sizeof(nm), "%.*s", name.ptr ? (int)(name.len > 120 ? 120 : name.len) : 5,
		 name.ptr ? name.ptr : "(new)");
	kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user));
	if (!spec) {
		kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_MEDIUM, KAG_CONFIDENCE_HIGH,
			    "%s requested a certificate (CSR %s); the signer and subject are not "
			    "in the record", user, nm);
		kag__finding_weaker(f, KAG_FIELD_REQUEST_OBJECT);
		kag__finding_attack(f, "T1649");
		put_csr_extra(f, "certificate-request", name, signer, NULL, 0);
		return KAG_OK;
	}
	client = is_client_signer(signer) || has_client_usage(spec);
	subject = csr_privileged_subject(kag__json_str(spec, "request"),
					 kag__str_eq(signer, KUBELET_SIGNER));
	/* a serving certificate grants no API access; a kubelet client
	 * certificate is the node bootstrap flow, whose approval (by a
	 * non-platform identity) is what issues anything */
	if (!subject && (!client ||
			 kag__str_eq(signer, KUBELET_SIGNER)))
		return KAG_OK;
	severity = subject && strcmp(subject, "?") != 0 ? KAG_SEVERITY_CRITICAL : KAG_SEVERITY_HIGH;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s requested a client certificate (CSR %s, signer %.*s)%s%s", user, nm,
		    signer.ptr ? (int)(signer.len > 80 ? 80 : signer.len) : 1,
		    signer.ptr ? signer.ptr : "?",
		    subject && strcmp(subject, "?") != 0 ? " for the platform subject " : "",
		    subject && strcmp(subject, "?") != 0 ? subject : "");
	kag__finding_attack(f, "T1649");
	kag__finding_attack(f, "T1098.006");
	put_csr_extra(f, "certificate-request", name, signer, subject, 0);
	return KAG_OK;
}

static int judge_csr_approval(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	char user[128], nm[128];
	kag_str name = csr_name(ev), requester = { NULL, 0 }, signer = { NULL, 0 };
	const char *subject = NULL;
	int decision = -1, self = 0, i, severity;

	if (kag__is_platform(ev, ctx))
		return KAG_OK; /* the csrapprover controller approving kubelet CSRs */
	for (i = 0; i < 2; i++) {
		json_t *body = kag__event_body(ev, i), *spec = json_object_get(body, "spec");

		if (decision < 0 && body)
			decision = approval_decision(body);
		if (!requester.ptr)
			requester = kag__json_str(spec, "username");
		if (!signer.ptr)
			signer = kag__json_str(spec, "signerName");
	}
	for (i = 0; i < 2 && !subject; i++)
		subject = csr_privileged_subject(
			kag__json_str(json_object_get(kag__event_body(ev, i), "spec"), "request"),
			kag__str_eq(signer, KUBELET_SIGNER));
	if (decision == 0)
		return KAG_OK; /* a denial issues nothing */
	if (requester.ptr)
		self = requester.len == ev->str[KAG_FIELD_USER_USERNAME].len &&
		       memcmp(requester.ptr, ev->str[KAG_FIELD_USER_USERNAME].ptr, requester.len) == 0;
	else if (name.ptr && ctx->state) {
		csr_state *st = kag__lru_find(ctx->state,
					      kag__hash(name.ptr, name.len, 0x6a09e667f3bcc909ULL));

		self = st && st->creator == user_hash(ev);
	}
	if (subject && strcmp(subject, "?") == 0)
		subject = NULL;
	severity = self || subject ? KAG_SEVERITY_CRITICAL : KAG_SEVERITY_HIGH;
	snprintf(nm, sizeof(nm), "%.*s", name.ptr ? (int)(name.len > 120 ? 120 : name.len) : 1,
		 name.ptr ? name.ptr : "?");
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity, KAG_CONFIDENCE_HIGH,
		    "%s approved certificate request %s%s%s%s",
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)), nm,
		    self ? ": self-approval (the requester approved its own CSR)" : "",
		    subject ? "; subject includes " : "", subject ? subject : "");
	if (decision < 0)
		kag__finding_weaker(f, KAG_FIELD_REQUEST_OBJECT);
	kag__finding_attack(f, "T1649");
	kag__finding_attack(f, "T1098.006");
	put_csr_extra(f, "certificate-approval", name, signer, subject, self);
	return KAG_OK;
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	switch (kind_of(ev)) {
	case K_TOKEN: return judge_token(f, ev, ctx);
	case K_TOKEN_SECRET: return judge_token_secret(f, ev, ctx);
	case K_CSR_CREATE: return judge_csr_create(f, ev, ctx);
	case K_CSR_APPROVAL: return judge_csr_approval(f, ev, ctx);
	default: return KAG_OK;
	}
}

/* the index: applies() is false outside these (route.c) */
static const char *const route_resources[] = {
	"serviceaccounts", "secrets", "certificatesigningrequests", NULL
};

const kag__detector_def kag__det_credential_minting = {
	.id = "credential_minting",
	.title = "Credentials minted: service-account tokens and client certificates",
	.about = {
		.finds =
			"serviceaccounts/token creates (TokenRequest) by identities outside the "
			"baseline (medium; high for a service account in a system namespace; low "
			"for platform identities minting outside the system namespaces; never for "
			"nodes, whose kubelets mint pod tokens); Secrets created with type "
			"kubernetes.io/service-account-token (the "
			"kubernetes.io/service-account.name annotation names the account), "
			"which the token controller fills with a token that never expires "
			"(high; critical in a system namespace; low for platform identities "
			"outside the system namespaces; evidence.credential names the account, "
			"never the data); CertificateSigningRequests "
			"created for a client signer or with client auth usage (high; medium when "
			"the body is absent; serving certificates and kubelet client requests, "
			"the node bootstrap flow, are not reported unless their subject is a "
			"platform name); CSR approvals (certificatesigningrequests/approval) by "
			"identities outside the baseline (high), self-approval (critical: the "
			"body's spec.username, or the creator remembered in the session) and "
			"platform subjects such as system:masters decoded from the PEM request "
			"(critical)",
		.fields =
			"objectRef.resource/subresource select the request; requestObject spec "
			"(signerName, usages, request, username) when present",
		.level = "Request adds signer, subject and expiry; a token Secret is known "
			 "by its type, in the body only: a secret create logged at Metadata "
			 "level is not reported",
		.false_positives =
			"CI systems and operators that mint tokens by design (older Helm charts "
			"and CI integrations still create token Secrets: move them to "
			"TokenRequest or trust their identity); node TLS bootstrap "
			"(system:bootstrap:*) and the csrapprover are not reported",
		.peers =
			"Panther ServiceAccount.TokenCreated, ClientCertificate.Created; Defender "
			"and GKE long-lived service-account token secret findings; Elastic "
			"TokenRequest and CSR created/approved rules; Stratus create-token, "
			"create-client-certificate",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.state_size = sizeof(csr_state),
	.verbs = kag__verbs_change,
	.resources = route_resources,
	.applies = applies,
	.judge = judge,
};
