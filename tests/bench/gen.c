/*
 * Deterministic audit stream generator. The shape follows what an API server
 * writes with a typical policy: most lines are system identities renewing
 * leases, reconciling endpoints, writing events and watching objects at
 * Metadata level; some bodies at Request / RequestResponse level; a small
 * share of people and CI, and of what detectors are for (exec, secret reads,
 * denials, RBAC changes, impersonation). Lines average about 1 KB.
 *
 * Randomness is a splitmix64 sequence from the seed, and all formatting is
 * locale-free, so a seed always gives the same bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include "gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__)
#define BENCH_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BENCH_PRINTF(a, b)
#endif

#define N_NODES 24
#define TS_LEN 96 /* room for any struct tm, not just real dates */
#define K8S_VER "v1.30.2"
#define K8S_UA_TAIL "(linux/amd64) kubernetes/3968350"

/* ---- randomness ---- */

static uint64_t next_u64(struct bench_gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rnd(struct bench_gen *g, uint32_t n)
{
	return n ? (uint32_t)((next_u64(g) >> 32) % n) : 0;
}

/* True with probability pct / 100. */
static int chance(struct bench_gen *g, uint32_t pct)
{
	return rnd(g, 100) < pct;
}

static const char *pick(struct bench_gen *g, const char *const *list, size_t n)
{
	return list[rnd(g, (uint32_t)n)];
}

#define PICK(g, list) pick((g), (list), sizeof(list) / sizeof((list)[0]))

/* ---- output ---- */

static void reserve(struct bench_gen *g, size_t more)
{
	struct bench_stream *s = g->s;
	size_t cap;
	char *d;

	if (g->failed || s->len + more <= s->cap)
		return;
	cap = s->cap ? s->cap : 1 << 20;
	while (cap < s->len + more)
		cap *= 2;
	d = realloc(s->data, cap);
	if (!d) {
		g->failed = 1;
		return;
	}
	s->data = d;
	s->cap = cap;
}

static void BENCH_PRINTF(2, 3) putf(struct bench_gen *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	reserve(g, 512);
	if (g->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(g->s->data + g->s->len, g->s->cap - g->s->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		g->failed = 1;
		return;
	}
	if ((size_t)n >= g->s->cap - g->s->len) {
		reserve(g, (size_t)n + 1);
		if (g->failed)
			return;
		va_start(ap, fmt);
		vsnprintf(g->s->data + g->s->len, g->s->cap - g->s->len, fmt, ap);
		va_end(ap);
	}
	g->s->len += (size_t)n;
}

/* ---- field values ---- */

static void uuid(struct bench_gen *g, char out[37])
{
	uint64_t a = next_u64(g), b = next_u64(g);

	snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff),
		 (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
		 (unsigned long long)(b & 0xffffffffffffull));
}

static void suffix(struct bench_gen *g, char *out, size_t n)
{
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	size_t i;

	for (i = 0; i + 1 < n; i++)
		out[i] = alnum[rnd(g, sizeof(alnum) - 1)];
	out[n - 1] = '\0';
}

static void timestamp(int64_t us, char out[TS_LEN])
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(out, TS_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(us % 1000000));
}

/* ---- identities ---- */

enum id_kind { ID_NODE, ID_CONTROL_PLANE, ID_SA, ID_HUMAN };

struct ident {
	char username[96];
	char groups[160];    /* JSON array */
	char extra[400];     /* ,"extra":{...} or "" */
	char ua[192];
	char ip[40];
	char uid[37];
};

static void node_ident(struct bench_gen *g, struct ident *id, int node)
{
	snprintf(id->username, sizeof(id->username), "system:node:node-%02d", node);
	snprintf(id->groups, sizeof(id->groups), "[\"system:nodes\",\"system:authenticated\"]");
	id->extra[0] = '\0';
	snprintf(id->ua, sizeof(id->ua), "kubelet/" K8S_VER " " K8S_UA_TAIL);
	snprintf(id->ip, sizeof(id->ip), "10.0.%d.%d", node / 8, 10 + node);
	id->uid[0] = '\0';
	(void)g;
}

static void control_ident(struct bench_gen *g, struct ident *id, const char *component)
{
	snprintf(id->username, sizeof(id->username), "system:%s", component);
	snprintf(id->groups, sizeof(id->groups), "[\"system:authenticated\"]");
	id->extra[0] = '\0';
	snprintf(id->ua, sizeof(id->ua), "%s/" K8S_VER " " K8S_UA_TAIL "%s", component,
		 chance(g, 50) ? "/leader-election" : "");
	snprintf(id->ip, sizeof(id->ip), "10.0.0.%d", 2 + (int)rnd(g, 3));
	id->uid[0] = '\0';
}

/* A service account; controller = 1 for the kube-controller-manager's own
 * per-controller accounts (their userAgent names the account). */
static void sa_ident(struct bench_gen *g, struct ident *id, const char *ns, const char *name,
		     const char *ua, int controller)
{
	char pod[16], jti[37], poduid[37];

	snprintf(id->username, sizeof(id->username), "system:serviceaccount:%s:%s", ns, name);
	snprintf(id->groups, sizeof(id->groups),
		 "[\"system:serviceaccounts\",\"system:serviceaccounts:%s\",\"system:authenticated\"]",
		 ns);
	uuid(g, id->uid);
	if (controller) {
		id->extra[0] = '\0';
		snprintf(id->ua, sizeof(id->ua),
			 "kube-controller-manager/" K8S_VER " " K8S_UA_TAIL "/%s", id->username);
		snprintf(id->ip, sizeof(id->ip), "10.0.0.%d", 2 + (int)rnd(g, 3));
		return;
	}
	suffix(g, pod, 6);
	uuid(g, jti);
	uuid(g, poduid);
	snprintf(id->extra, sizeof(id->extra),
		 ",\"extra\":{\"authentication.kubernetes.io/credential-id\":[\"JTI=%s\"],"
		 "\"authentication.kubernetes.io/node-name\":[\"node-%02u\"],"
		 "\"authentication.kubernetes.io/pod-name\":[\"%s-%s\"],"
		 "\"authentication.kubernetes.io/pod-uid\":[\"%s\"]}",
		 jti, rnd(g, N_NODES), name, pod, poduid);
	snprintf(id->ua, sizeof(id->ua), "%s", ua);
	snprintf(id->ip, sizeof(id->ip), "10.244.%u.%u", rnd(g, N_NODES), 2 + rnd(g, 250));
}

static const char *const humans[] = {
	"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com",
};
static const char *const human_groups[] = {
	"[\"sre\",\"system:authenticated\"]", "[\"dev\",\"system:authenticated\"]",
	"[\"dev\",\"payments\",\"system:authenticated\"]", "[\"sre\",\"oncall\",\"system:authenticated\"]",
};
static const char *const human_uas[] = {
	"kubectl/" K8S_VER " " K8S_UA_TAIL, "kubectl/v1.29.4 (darwin/arm64) kubernetes/55bc0ec",
	"k9s/v0.32.4 (linux/amd64)", "Lens/2024.4.230844-latest",
};

static void human_ident(struct bench_gen *g, struct ident *id)
{
	uint32_t h = rnd(g, sizeof(humans) / sizeof(humans[0]));

	if (chance(g, 25)) {
		sa_ident(g, id, "ci", "deployer", "helm/v3.14.4", 0);
		return;
	}
	snprintf(id->username, sizeof(id->username), "%s", humans[h]);
	snprintf(id->groups, sizeof(id->groups), "%s", human_groups[h]);
	snprintf(id->extra, sizeof(id->extra),
		 ",\"extra\":{\"authentication.kubernetes.io/credential-id\":[\"X509SHA256=%016llx\"]}",
		 (unsigned long long)next_u64(g));
	snprintf(id->ua, sizeof(id->ua), "%s", PICK(g, human_uas));
	snprintf(id->ip, sizeof(id->ip), "%s.%u", h & 1 ? "198.51.100" : "203.0.113",
		 10 + h * 7 + rnd(g, 3));
	id->uid[0] = '\0';
}

/* ---- one audit line ---- */

struct req {
	const char *level;        /* Metadata, Request, RequestResponse */
	const char *verb;
	const char *resource, *subresource, *ns, *group, *version;
	char name[96];
	char uri[512];
	int code;
	const char *status_extra; /* ,"status":"Failure",... or "" */
	const char *impersonated; /* JSON object or NULL */
	const char *reason;       /* authorization.k8s.io/reason */
	const char *decision;
	char request_object[2048];
	char response_object[2048];
	int64_t received_us, stage_us;
	char audit_id[37];
};

static const char *api_prefix(const struct req *r)
{
	return r->group[0] ? "/apis" : "/api";
}

static void build_uri(struct req *r, const char *query)
{
	char gv[64];

	if (r->group[0])
		snprintf(gv, sizeof(gv), "%s/%s", r->group, r->version);
	else
		snprintf(gv, sizeof(gv), "%s", r->version);
	snprintf(r->uri, sizeof(r->uri), "%s/%s%s%s/%s%s%s%s%s%s", api_prefix(r), gv,
		 r->ns[0] ? "/namespaces/" : "", r->ns, r->resource, r->name[0] ? "/" : "",
		 r->name, r->subresource[0] ? "/" : "", r->subresource, query ? query : "");
}

static void level_count(struct bench_gen *g, const char *level)
{
	if (strcmp(level, "Metadata") == 0)
		g->s->levels[1]++;
	else if (strcmp(level, "Request") == 0)
		g->s->levels[2]++;
	else
		g->s->levels[3]++;
}

static void emit_stage(struct bench_gen *g, const struct ident *id, const struct req *r,
		       const char *stage)
{
	char rts[TS_LEN], sts[TS_LEN];
	int received = strcmp(stage, "RequestReceived") == 0;
	int bodies = !received && strcmp(r->level, "Metadata") != 0;

	timestamp(r->received_us, rts);
	timestamp(received ? r->received_us : r->stage_us, sts);
	putf(g, "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"%s\","
		"\"auditID\":\"%s\",\"stage\":\"%s\",\"requestURI\":\"%s\",\"verb\":\"%s\","
		"\"user\":{\"username\":\"%s\"", r->level, r->audit_id, stage, r->uri, r->verb,
	     id->username);
	if (id->uid[0])
		putf(g, ",\"uid\":\"%s\"", id->uid);
	putf(g, ",\"groups\":%s%s}", id->groups, id->extra);
	if (r->impersonated)
		putf(g, ",\"impersonatedUser\":%s", r->impersonated);
	putf(g, ",\"sourceIPs\":[\"%s\"],\"userAgent\":\"%s\",\"objectRef\":{\"resource\":\"%s\"",
	     id->ip, id->ua, r->resource);
	if (r->subresource[0])
		putf(g, ",\"subresource\":\"%s\"", r->subresource);
	if (r->ns[0])
		putf(g, ",\"namespace\":\"%s\"", r->ns);
	if (r->name[0])
		putf(g, ",\"name\":\"%s\"", r->name);
	if (r->group[0])
		putf(g, ",\"apiGroup\":\"%s\"", r->group);
	putf(g, ",\"apiVersion\":\"%s\"}", r->version);
	if (!received)
		putf(g, ",\"responseStatus\":{\"metadata\":{}%s,\"code\":%d}", r->status_extra,
		     r->code);
	if (bodies && r->request_object[0])
		putf(g, ",\"requestObject\":%s", r->request_object);
	if (bodies && strcmp(r->level, "RequestResponse") == 0 && r->response_object[0])
		putf(g, ",\"responseObject\":%s", r->response_object);
	putf(g, ",\"requestReceivedTimestamp\":\"%s\",\"stageTimestamp\":\"%s\"", rts, sts);
	/* Authorization runs after the RequestReceived event is written. */
	if (received)
		putf(g, "}\n");
	else
		putf(g, ",\"annotations\":{\"authorization.k8s.io/decision\":\"%s\","
			"\"authorization.k8s.io/reason\":\"%s\"}}\n", r->decision, r->reason);
	g->s->lines++;
	level_count(g, r->level);
	if (received)
		g->s->request_received++;
}

/* Write the request's line at its final stage, preceded by its
 * RequestReceived line when the generator asks for one. */
static void emit(struct bench_gen *g, const struct ident *id, const struct req *r, const char *stage)
{
	if (g->with_received)
		emit_stage(g, id, r, "RequestReceived");
	g->with_received = 0;
	emit_stage(g, id, r, stage);
}

static void req_init(struct bench_gen *g, struct req *r, const char *verb, const char *resource,
		     const char *ns, const char *group, const char *version)
{
	memset(r, 0, sizeof(*r));
	r->level = "Metadata";
	r->verb = verb;
	r->resource = resource;
	r->subresource = "";
	r->ns = ns;
	r->group = group;
	r->version = version;
	r->code = 200;
	r->status_extra = "";
	r->decision = "allow";
	r->reason = "";
	uuid(g, r->audit_id);
	g->now_us += 1 + rnd(g, 9000);
	r->received_us = g->now_us;
	r->stage_us = g->now_us + 300 + rnd(g, 30000);
}

/* ---- bodies ---- */

static void lease_body(struct bench_gen *g, char *out, size_t n, const char *name, const char *ns,
		       const char *holder, int64_t us)
{
	char ts[TS_LEN], uid[37];

	timestamp(us, ts);
	uuid(g, uid);
	snprintf(out, n,
		 "{\"kind\":\"Lease\",\"apiVersion\":\"coordination.k8s.io/v1\",\"metadata\":"
		 "{\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"%s\",\"resourceVersion\":\"%u\","
		 "\"creationTimestamp\":\"2024-04-02T08:11:40Z\",\"managedFields\":[{\"manager\":"
		 "\"kubelet\",\"operation\":\"Update\",\"apiVersion\":\"coordination.k8s.io/v1\","
		 "\"time\":\"%s\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:spec\":"
		 "{\"f:holderIdentity\":{},\"f:leaseDurationSeconds\":{},\"f:renewTime\":{}}}}]},"
		 "\"spec\":{\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":40,"
		 "\"renewTime\":\"%s\"}}",
		 name, ns, uid, 1000000 + rnd(g, 9000000), ts, holder, ts);
}

static void pod_body(struct bench_gen *g, char *out, size_t n, const char *name, const char *ns,
		     const char *app, int privileged)
{
	snprintf(out, n,
		 "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"generateName\":\"%s-\","
		 "\"namespace\":\"%s\",\"labels\":{\"app\":\"%s\",\"pod-template-hash\":\"%08x\"},"
		 "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\","
		 "\"name\":\"%s\",\"uid\":\"%08x-1c2d-4e5f-8a9b-%012x\",\"controller\":true,"
		 "\"blockOwnerDeletion\":true}]},\"spec\":{\"volumes\":[{\"name\":"
		 "\"kube-api-access-%s\",\"projected\":{\"sources\":[{\"serviceAccountToken\":"
		 "{\"expirationSeconds\":3607,\"path\":\"token\"}}],\"defaultMode\":420}}],"
		 "\"containers\":[{\"name\":\"%s\",\"image\":\"registry.example.com/%s:1.%u.%u\","
		 "\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],\"resources\":"
		 "{\"limits\":{\"memory\":\"512Mi\"},\"requests\":{\"cpu\":\"250m\",\"memory\":"
		 "\"256Mi\"}},\"securityContext\":{\"privileged\":%s,\"runAsNonRoot\":%s},"
		 "\"imagePullPolicy\":\"IfNotPresent\"}],\"restartPolicy\":\"Always\","
		 "\"serviceAccountName\":\"%s\",\"hostNetwork\":%s}}",
		 app, ns, app, rnd(g, 0xffffffffu), name, rnd(g, 0xffffffffu), rnd(g, 0xffffffu),
		 name + strlen(name) - 5, app, app, rnd(g, 30), rnd(g, 10),
		 privileged ? "true" : "false", privileged ? "false" : "true", app,
		 privileged ? "true" : "false");
}

/* ---- request kinds ---- */

static const char *const app_ns[] = { "default", "prod", "web", "payments", "monitoring" };
static const char *const apps[] = { "api", "frontend", "worker", "checkout", "prometheus" };

static void do_lease(struct bench_gen *g)
{
	struct ident id;
	struct req r;
	uint32_t k = rnd(g, 100);

	if (k < 75) {
		int node = (int)rnd(g, N_NODES);

		node_ident(g, &id, node);
		req_init(g, &r, chance(g, 85) ? "update" : "get", "leases", "kube-node-lease",
			 "coordination.k8s.io", "v1");
		snprintf(r.name, sizeof(r.name), "node-%02d", node);
		r.reason = "";
	} else if (k < 95) {
		static const char *const comps[] = { "kube-controller-manager", "kube-scheduler" };
		const char *c = PICK(g, comps);

		control_ident(g, &id, c);
		req_init(g, &r, chance(g, 80) ? "update" : "get", "leases", "kube-system",
			 "coordination.k8s.io", "v1");
		snprintf(r.name, sizeof(r.name), "%s", c);
		r.reason = "RBAC: allowed by ClusterRoleBinding \\\"system:kube-controller-manager\\\" "
			   "of ClusterRole \\\"system:kube-controller-manager\\\" to User "
			   "\\\"system:kube-controller-manager\\\"";
	} else {
		sa_ident(g, &id, "cert-manager", "cert-manager",
			 "cert-manager-controller/v1.14.4 (linux/amd64) cert-manager/b8ab8a6", 0);
		req_init(g, &r, "update", "leases", "kube-system", "coordination.k8s.io", "v1");
		snprintf(r.name, sizeof(r.name), "cert-manager-controller");
		r.reason = "RBAC: allowed by RoleBinding \\\"cert-manager:leaderelection/kube-system\\\" "
			   "of Role \\\"cert-manager:leaderelection\\\" to ServiceAccount "
			   "\\\"cert-manager/cert-manager\\\"";
	}
	build_uri(&r, NULL);
	if (strcmp(r.verb, "update") == 0 && chance(g, 25)) {
		r.level = "Request";
		lease_body(g, r.request_object, sizeof(r.request_object), r.name, r.ns, id.username,
			   r.received_us);
	}
	emit(g, &id, &r, "ResponseComplete");
}

static void do_endpoints(struct bench_gen *g)
{
	static const char *const svcs[] = { "api", "frontend", "checkout", "kube-dns",
					    "metrics-server", "prometheus-operated" };
	const char *svc = PICK(g, svcs);
	int slice = chance(g, 60);
	struct ident id;
	struct req r;

	sa_ident(g, &id, "kube-system", slice ? "endpointslice-controller" : "endpoint-controller",
		 NULL, 1);
	req_init(g, &r, chance(g, 70) ? "update" : "get", slice ? "endpointslices" : "endpoints",
		 PICK(g, app_ns), slice ? "discovery.k8s.io" : "", "v1");
	if (slice) {
		char sfx[6];

		suffix(g, sfx, sizeof(sfx));
		snprintf(r.name, sizeof(r.name), "%s-%s", svc, sfx);
	} else {
		snprintf(r.name, sizeof(r.name), "%s", svc);
	}
	r.reason = slice ? "RBAC: allowed by ClusterRoleBinding \\\"system:controller:endpointslice-controller\\\" "
			   "of ClusterRole \\\"system:controller:endpointslice-controller\\\" to "
			   "ServiceAccount \\\"endpointslice-controller/kube-system\\\""
			 : "RBAC: allowed by ClusterRoleBinding \\\"system:controller:endpoint-controller\\\" "
			   "of ClusterRole \\\"system:controller:endpoint-controller\\\" to "
			   "ServiceAccount \\\"endpoint-controller/kube-system\\\"";
	build_uri(&r, NULL);
	if (strcmp(r.verb, "update") == 0 && chance(g, 40)) {
		r.level = "Request";
		snprintf(r.request_object, sizeof(r.request_object),
			 "{\"kind\":\"EndpointSlice\",\"apiVersion\":\"discovery.k8s.io/v1\","
			 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"labels\":"
			 "{\"endpointslice.kubernetes.io/managed-by\":\"endpointslice-controller.k8s.io\","
			 "\"kubernetes.io/service-name\":\"%s\"}},\"addressType\":\"IPv4\",\"endpoints\":"
			 "[{\"addresses\":[\"10.244.%u.%u\"],\"conditions\":{\"ready\":true},"
			 "\"nodeName\":\"node-%02u\"},{\"addresses\":[\"10.244.%u.%u\"],\"conditions\":"
			 "{\"ready\":%s},\"nodeName\":\"node-%02u\"}],\"ports\":[{\"name\":\"http\","
			 "\"protocol\":\"TCP\",\"port\":8080}]}",
			 r.name, r.ns, svc, rnd(g, N_NODES), rnd(g, 250), rnd(g, N_NODES), rnd(g, N_NODES),
			 rnd(g, 250), chance(g, 90) ? "true" : "false", rnd(g, N_NODES));
	}
	emit(g, &id, &r, "ResponseComplete");
}

static void do_events(struct bench_gen *g)
{
	static const char *const reasons[] = { "Pulled", "Created", "Started", "Killing",
					       "BackOff", "Unhealthy", "ScalingReplicaSet",
					       "SuccessfulCreate" };
	const char *reason = PICK(g, reasons);
	const char *ns = PICK(g, app_ns);
	const char *app = PICK(g, apps);
	char pod[32], sfx[6];
	struct ident id;
	struct req r;
	int node = (int)rnd(g, N_NODES);

	if (chance(g, 65))
		node_ident(g, &id, node);
	else
		sa_ident(g, &id, "kube-system", chance(g, 50) ? "replicaset-controller"
							      : "deployment-controller", NULL, 1);
	req_init(g, &r, chance(g, 75) ? "create" : "patch", "events", ns, "", "v1");
	suffix(g, sfx, sizeof(sfx));
	snprintf(pod, sizeof(pod), "%s-%08x-%s", app, rnd(g, 0xffffffffu), sfx);
	snprintf(r.name, sizeof(r.name), "%s.%016llx", pod,
		 (unsigned long long)(next_u64(g) & 0xffffffffffffull));
	build_uri(&r, NULL);
	if (strcmp(r.verb, "create") == 0)
		snprintf(r.uri, sizeof(r.uri), "/api/v1/namespaces/%s/events", ns);
	r.code = strcmp(r.verb, "create") == 0 ? 201 : 200;
	if (chance(g, 50)) {
		char ts[TS_LEN];

		timestamp(r.received_us, ts);
		r.level = "Request";
		snprintf(r.request_object, sizeof(r.request_object),
			 "{\"kind\":\"Event\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
			 "\"namespace\":\"%s\"},\"involvedObject\":{\"kind\":\"Pod\",\"namespace\":"
			 "\"%s\",\"name\":\"%s\",\"uid\":\"%08x-5b2a-4c1d-9e8f-%012x\",\"apiVersion\":"
			 "\"v1\",\"resourceVersion\":\"%u\",\"fieldPath\":\"spec.containers{%s}\"},"
			 "\"reason\":\"%s\",\"message\":\"%s container image \\\"registry.example.com/"
			 "%s:1.%u.0\\\"\",\"source\":{\"component\":\"kubelet\",\"host\":\"node-%02d\"},"
			 "\"firstTimestamp\":\"%s\",\"lastTimestamp\":\"%s\",\"count\":%u,\"type\":"
			 "\"%s\",\"reportingComponent\":\"kubelet\",\"reportingInstance\":\"node-%02d\"}",
			 r.name, ns, ns, pod, rnd(g, 0xffffffffu), rnd(g, 0xffffffu),
			 1000000 + rnd(g, 9000000), app, reason,
			 strcmp(reason, "Pulled") == 0 ? "Successfully pulled" : "Handled",
			 app, rnd(g, 30), node, ts, ts, 1 + rnd(g, 5),
			 strcmp(reason, "BackOff") == 0 || strcmp(reason, "Unhealthy") == 0
				 ? "Warning" : "Normal", node);
	}
	emit(g, &id, &r, "ResponseComplete");
}

static void do_configmap(struct bench_gen *g)
{
	static const char *const cms[] = { "kube-root-ca.crt", "coredns", "kube-proxy",
					   "extension-apiserver-authentication", "kubeadm-config",
					   "cluster-info" };
	struct ident id;
	struct req r;
	uint32_t k = rnd(g, 100);

	if (k < 40)
		node_ident(g, &id, (int)rnd(g, N_NODES));
	else if (k < 60)
		control_ident(g, &id, "kube-scheduler");
	else if (k < 80)
		sa_ident(g, &id, "kube-system", "coredns", "coredns/1.11.1 (linux/amd64) kubernetes/" K8S_VER, 0);
	else
		sa_ident(g, &id, "kube-system", "kube-proxy", "kube-proxy/" K8S_VER " " K8S_UA_TAIL, 0);
	req_init(g, &r, "get", "configmaps", k < 40 ? PICK(g, app_ns) : "kube-system", "", "v1");
	snprintf(r.name, sizeof(r.name), "%s", k < 40 ? "kube-root-ca.crt" : PICK(g, cms));
	build_uri(&r, NULL);
	emit(g, &id, &r, "ResponseComplete");
}

static void do_list_watch(struct bench_gen *g)
{
	static const char *const node_watch[] = { "pods", "services", "configmaps", "nodes",
						  "endpointslices", "runtimeclasses", "csidrivers" };
	static const char *const ctrl_watch[] = { "deployments", "replicasets", "pods",
						  "statefulsets", "daemonsets", "jobs", "namespaces",
						  "serviceaccounts", "persistentvolumeclaims" };
	struct ident id;
	struct req r;
	int watch = chance(g, 70);
	char query[160];
	const char *res;
	const char *group = "";

	if (chance(g, 55)) {
		node_ident(g, &id, (int)rnd(g, N_NODES));
		res = PICK(g, node_watch);
	} else {
		control_ident(g, &id, chance(g, 50) ? "kube-controller-manager" : "kube-scheduler");
		res = PICK(g, ctrl_watch);
	}
	if (strcmp(res, "deployments") == 0 || strcmp(res, "replicasets") == 0 ||
	    strcmp(res, "statefulsets") == 0 || strcmp(res, "daemonsets") == 0)
		group = "apps";
	else if (strcmp(res, "jobs") == 0)
		group = "batch";
	else if (strcmp(res, "endpointslices") == 0)
		group = "discovery.k8s.io";
	else if (strcmp(res, "runtimeclasses") == 0)
		group = "node.k8s.io";
	else if (strcmp(res, "csidrivers") == 0)
		group = "storage.k8s.io";
	req_init(g, &r, watch ? "watch" : "list", res, "", group, "v1");
	if (watch)
		snprintf(query, sizeof(query),
			 "?allowWatchBookmarks=true&resourceVersion=%u&timeout=%um%us&timeoutSeconds=%u&watch=true",
			 1000000 + rnd(g, 9000000), 5 + rnd(g, 5), rnd(g, 60), 300 + rnd(g, 300));
	else
		snprintf(query, sizeof(query), "?limit=500&resourceVersion=0");
	build_uri(&r, query);
	r.reason = "RBAC: allowed by ClusterRoleBinding \\\"system:kube-scheduler\\\" of "
		   "ClusterRole \\\"system:kube-scheduler\\\" to User \\\"system:kube-scheduler\\\"";
	if (watch) {
		r.stage_us = r.received_us + 1000;
		emit(g, &id, &r, chance(g, 50) ? "ResponseStarted" : "ResponseComplete");
	} else {
		emit(g, &id, &r, "ResponseComplete");
	}
}

static void do_controller(struct bench_gen *g)
{
	struct ident id;
	struct req r;
	uint32_t k = rnd(g, 100);
	char sfx[6];
	const char *app = PICK(g, apps);

	suffix(g, sfx, sizeof(sfx));
	if (k < 45) {
		int node = (int)rnd(g, N_NODES);

		node_ident(g, &id, node);
		if (chance(g, 50)) {
			req_init(g, &r, "patch", "pods", PICK(g, app_ns), "", "v1");
			r.subresource = "status";
			snprintf(r.name, sizeof(r.name), "%s-%08x-%s", app, rnd(g, 0xffffffffu), sfx);
		} else {
			req_init(g, &r, "patch", "nodes", "", "", "v1");
			r.subresource = "status";
			snprintf(r.name, sizeof(r.name), "node-%02d", node);
		}
	} else if (k < 75) {
		sa_ident(g, &id, "kube-system", chance(g, 50) ? "deployment-controller"
							      : "replicaset-controller", NULL, 1);
		req_init(g, &r, chance(g, 60) ? "update" : "get",
			 chance(g, 50) ? "replicasets" : "deployments", PICK(g, app_ns), "apps", "v1");
		snprintf(r.name, sizeof(r.name), "%s-%08x", app, rnd(g, 0xffffffffu));
		if (chance(g, 50))
			r.subresource = "status";
	} else {
		sa_ident(g, &id, "kube-system", "generic-garbage-collector", NULL, 1);
		req_init(g, &r, "get", "pods", PICK(g, app_ns), "", "v1");
		snprintf(r.name, sizeof(r.name), "%s-%08x-%s", app, rnd(g, 0xffffffffu), sfx);
	}
	build_uri(&r, NULL);
	if (strcmp(r.verb, "get") != 0 && chance(g, 30)) {
		r.level = chance(g, 50) ? "RequestResponse" : "Request";
		snprintf(r.request_object, sizeof(r.request_object),
			 "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"name\":\"%s\","
			 "\"namespace\":\"%s\",\"resourceVersion\":\"%u\",\"generation\":%u},"
			 "\"status\":{\"observedGeneration\":%u,\"replicas\":%u,\"readyReplicas\":%u,"
			 "\"availableReplicas\":%u,\"conditions\":[{\"type\":\"Available\",\"status\":"
			 "\"True\",\"lastUpdateTime\":\"2024-05-01T09:12:44Z\",\"reason\":"
			 "\"MinimumReplicasAvailable\",\"message\":\"Deployment has minimum availability.\"},"
			 "{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\","
			 "\"message\":\"ReplicaSet \\\"%s\\\" has successfully progressed.\"}]}}",
			 strcmp(r.resource, "pods") == 0 ? "Pod" : "ReplicaSet",
			 r.group[0] ? "apps/v1" : "v1", r.name, r.ns, 1000000 + rnd(g, 9000000),
			 1 + rnd(g, 40), 1 + rnd(g, 40), 1 + rnd(g, 6), rnd(g, 6), rnd(g, 6), r.name);
		snprintf(r.response_object, sizeof(r.response_object), "%s", r.request_object);
	}
	emit(g, &id, &r, "ResponseComplete");
}

static void do_human_read(struct bench_gen *g)
{
	static const char *const res[] = { "pods", "deployments", "services", "configmaps",
					   "ingresses", "nodes", "namespaces" };
	struct ident id;
	struct req r;
	const char *rs = PICK(g, res);
	const char *group = strcmp(rs, "deployments") == 0 ? "apps"
			    : strcmp(rs, "ingresses") == 0 ? "networking.k8s.io" : "";
	int cluster = strcmp(rs, "nodes") == 0 || strcmp(rs, "namespaces") == 0;

	human_ident(g, &id);
	req_init(g, &r, chance(g, 60) ? "list" : "get", rs, cluster ? "" : PICK(g, app_ns), group,
		 "v1");
	if (strcmp(r.verb, "get") == 0) {
		char sfx[6];

		suffix(g, sfx, sizeof(sfx));
		snprintf(r.name, sizeof(r.name), "%s-%s", PICK(g, apps), sfx);
	}
	build_uri(&r, strcmp(r.verb, "list") == 0 ? "?limit=500" : NULL);
	r.reason = "RBAC: allowed by ClusterRoleBinding \\\"dev-view\\\" of ClusterRole "
		   "\\\"view\\\" to Group \\\"dev\\\"";
	emit(g, &id, &r, "ResponseComplete");
}

static void do_pod_create(struct bench_gen *g)
{
	struct ident id;
	struct req r;
	const char *app = PICK(g, apps);
	char sfx[6];
	int human = chance(g, 15);

	if (human)
		human_ident(g, &id);
	else
		sa_ident(g, &id, "kube-system", "replicaset-controller", NULL, 1);
	req_init(g, &r, "create", "pods", PICK(g, app_ns), "", "v1");
	suffix(g, sfx, sizeof(sfx));
	snprintf(r.name, sizeof(r.name), "%s-%08x-%s", app, rnd(g, 0xffffffffu), sfx);
	build_uri(&r, NULL);
	snprintf(r.uri, sizeof(r.uri), "/api/v1/namespaces/%s/pods", r.ns);
	r.code = 201;
	r.level = chance(g, 70) ? "Request" : "Metadata";
	pod_body(g, r.request_object, sizeof(r.request_object), r.name, r.ns, app,
		 human && chance(g, 10));
	r.reason = "RBAC: allowed by ClusterRoleBinding \\\"system:controller:replicaset-controller\\\" "
		   "of ClusterRole \\\"system:controller:replicaset-controller\\\" to ServiceAccount "
		   "\\\"replicaset-controller/kube-system\\\"";
	emit(g, &id, &r, "ResponseComplete");
}

static void do_secret_read(struct bench_gen *g)
{
	struct ident id;
	struct req r;
	uint32_t k = rnd(g, 100);

	if (k < 50)
		sa_ident(g, &id, "cert-manager", "cert-manager",
			 "cert-manager-controller/v1.14.4 (linux/amd64) cert-manager/b8ab8a6", 0);
	else if (k < 70)
		sa_ident(g, &id, "kube-system", "bootstrap-signer", NULL, 1);
	else
		human_ident(g, &id);
	req_init(g, &r, chance(g, 70) ? "get" : "list", "secrets",
		 k >= 50 && k < 70 ? "kube-system" : PICK(g, app_ns), "", "v1");
	if (strcmp(r.verb, "get") == 0)
		snprintf(r.name, sizeof(r.name), "%s-tls", PICK(g, apps));
	build_uri(&r, NULL);
	emit(g, &id, &r, "ResponseComplete");
}

static void do_denied(struct bench_gen *g)
{
	static const char *const res[] = { "secrets", "clusterroles", "nodes", "pods",
					   "serviceaccounts", "rolebindings" };
	struct ident id;
	struct req r;
	const char *rs = PICK(g, res);
	const char *group = strcmp(rs, "clusterroles") == 0 || strcmp(rs, "rolebindings") == 0
			    ? "rbac.authorization.k8s.io" : "";
	char msg[512];

	if (chance(g, 60))
		sa_ident(g, &id, PICK(g, app_ns), "default", "curl/8.5.0", 0);
	else
		human_ident(g, &id);
	req_init(g, &r, "list", rs, strcmp(rs, "clusterroles") == 0 || strcmp(rs, "nodes") == 0
				    ? "" : PICK(g, app_ns), group, "v1");
	build_uri(&r, NULL);
	r.code = 403;
	r.decision = "forbid";
	snprintf(msg, sizeof(msg),
		 ",\"status\":\"Failure\",\"message\":\"%s is forbidden: User \\\"%s\\\" cannot list "
		 "resource \\\"%s\\\"\",\"reason\":\"Forbidden\",\"details\":{\"kind\":\"%s\"}",
		 rs, id.username, rs, rs);
	r.status_extra = msg;
	emit(g, &id, &r, "ResponseComplete");
}

static void do_exec(struct bench_gen *g)
{
	static const char *const cmds[] = {
		"?command=sh&container=app&stdin=true&stdout=true&tty=true",
		"?command=%2Fbin%2Fbash&container=app&stdin=true&stdout=true&tty=true",
		"?command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&container=app&stdout=true",
		"?command=ls&command=-la&container=app&stderr=true&stdout=true",
	};
	struct ident id;
	struct req r;
	char sfx[6];

	human_ident(g, &id);
	req_init(g, &r, "create", "pods", PICK(g, app_ns), "", "v1");
	r.subresource = "exec";
	suffix(g, sfx, sizeof(sfx));
	snprintf(r.name, sizeof(r.name), "%s-%08x-%s", PICK(g, apps), rnd(g, 0xffffffffu), sfx);
	build_uri(&r, PICK(g, cmds));
	r.code = 101;
	r.reason = "RBAC: allowed by ClusterRoleBinding \\\"sre-admin\\\" of ClusterRole "
		   "\\\"admin\\\" to Group \\\"sre\\\"";
	emit(g, &id, &r, "ResponseStarted");
}

static void do_rbac_change(struct bench_gen *g)
{
	struct ident id;
	struct req r;
	int cluster = chance(g, 40);
	const char *role = chance(g, 20) ? "cluster-admin" : "edit";
	char *p;

	human_ident(g, &id);
	req_init(g, &r, "create", cluster ? "clusterrolebindings" : "rolebindings",
		 cluster ? "" : PICK(g, app_ns), "rbac.authorization.k8s.io", "v1");
	snprintf(r.name, sizeof(r.name), "%s-%s", role, PICK(g, humans));
	for (p = r.name; *p; p++)
		if (*p == '@' || *p == '.')
			*p = '-';
	build_uri(&r, NULL);
	snprintf(r.uri, sizeof(r.uri), "/apis/rbac.authorization.k8s.io/v1%s%s/%s",
		 cluster ? "" : "/namespaces/", cluster ? "" : r.ns, r.resource);
	r.code = 201;
	r.level = "RequestResponse";
	snprintf(r.request_object, sizeof(r.request_object),
		 "{\"kind\":\"%s\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"metadata\":"
		 "{\"name\":\"%s\"%s%s%s},\"subjects\":[{\"kind\":\"User\",\"apiGroup\":"
		 "\"rbac.authorization.k8s.io\",\"name\":\"%s\"}],\"roleRef\":{\"apiGroup\":"
		 "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"%s\"}}",
		 cluster ? "ClusterRoleBinding" : "RoleBinding", r.name,
		 cluster ? "" : ",\"namespace\":\"", cluster ? "" : r.ns, cluster ? "" : "\"",
		 PICK(g, humans), role);
	snprintf(r.response_object, sizeof(r.response_object), "%s", r.request_object);
	r.reason = "RBAC: allowed by ClusterRoleBinding \\\"sre-admin\\\" of ClusterRole "
		   "\\\"cluster-admin\\\" to Group \\\"sre\\\"";
	emit(g, &id, &r, "ResponseComplete");
}

static void do_impersonate(struct bench_gen *g)
{
	static const char *const targets[] = {
		"{\"username\":\"system:serviceaccount:prod:deploy-bot\",\"groups\":[\"system:serviceaccounts\"]}",
		"{\"username\":\"admin\",\"groups\":[\"system:masters\"]}",
		"{\"username\":\"bob@example.com\",\"groups\":[\"dev\"]}",
	};
	struct ident id;
	struct req r;

	human_ident(g, &id);
	req_init(g, &r, "get", "pods", PICK(g, app_ns), "", "v1");
	build_uri(&r, NULL);
	r.impersonated = PICK(g, targets);
	emit(g, &id, &r, "ResponseComplete");
}

/* Requests per thousand. */
static const struct {
	int kind;
	uint32_t weight;
	void (*fn)(struct bench_gen *g);
} mix[] = {
	{ BK_LEASE, 280, do_lease },
	{ BK_ENDPOINTS, 90, do_endpoints },
	{ BK_EVENTS, 110, do_events },
	{ BK_CONFIGMAP, 80, do_configmap },
	{ BK_LIST_WATCH, 200, do_list_watch },
	{ BK_CONTROLLER, 120, do_controller },
	{ BK_HUMAN_READ, 60, do_human_read },
	{ BK_POD_CREATE, 25, do_pod_create },
	{ BK_SECRET_READ, 10, do_secret_read },
	{ BK_DENIED, 15, do_denied },
	{ BK_EXEC, 4, do_exec },
	{ BK_RBAC_CHANGE, 3, do_rbac_change },
	{ BK_IMPERSONATE, 3, do_impersonate },
};

const char *bench_kind_name(int kind)
{
	static const char *const names[BK_COUNT_] = {
		"lease", "endpoints", "events", "configmap", "list/watch", "controller",
		"human-read", "pod-create", "secret-read", "denied", "exec", "rbac-change",
		"impersonate",
	};

	return kind >= 0 && kind < BK_COUNT_ ? names[kind] : "?";
}

void bench_gen_init(struct bench_gen *g, struct bench_stream *s, size_t n_lines, uint64_t seed)
{
	memset(g, 0, sizeof(*g));
	g->s = s;
	g->rng = seed;
	g->now_us = 1714557600000000ll; /* 2024-05-01T10:00:00Z */
	g->target = s->lines + n_lines;
}

int bench_gen_fill(struct bench_gen *g, size_t min_len)
{
	struct bench_stream *s = g->s;

	while (!g->failed && s->lines < g->target && s->len < min_len) {
		uint32_t w = rnd(g, 1000), acc = 0;
		size_t i;

		for (i = 0; i < sizeof(mix) / sizeof(mix[0]); i++) {
			acc += mix[i].weight;
			if (w < acc)
				break;
		}
		if (i == sizeof(mix) / sizeof(mix[0]))
			i = 0;
		/* Some requests are logged at RequestReceived too (a policy
		 * that keeps every stage): two lines for one request. */
		g->with_received = chance(g, 3) && s->lines + 2 <= g->target;
		mix[i].fn(g);
		s->requests[mix[i].kind]++;
	}
	if (!g->failed)
		reserve(g, 1);
	if (g->failed)
		return -1;
	s->data[s->len] = '\0';
	return s->lines < g->target ? 1 : 0;
}

int bench_generate(struct bench_stream *s, size_t n_lines, uint64_t seed)
{
	struct bench_gen g;

	bench_gen_init(&g, s, n_lines, seed);
	reserve(&g, n_lines * 1100);
	return bench_gen_fill(&g, (size_t)-1) < 0 ? -1 : 0;
}

void bench_stream_free(struct bench_stream *s)
{
	free(s->data);
	memset(s, 0, sizeof(*s));
}
