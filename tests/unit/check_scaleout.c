/* Scale-out: a stream split by principal (user.username) into K parts,
 * each part judged in its own session, gives the same verdicts as one
 * session over the whole stream. This holds because every piece of
 * cross-event state in a session is keyed by something a principal owns:
 *  - stage de-duplication and pending RequestReceived: by auditID, and
 *    every stage of one request carries the same user;
 *  - rbac_probing: by username and source IP;
 *  - secrets_access bursts, discovery lists, new_user_agent first-seen
 *    clients, persistence_workload RBAC-then-workload sequences: by
 *    username;
 *  - credential_minting self-approval: by CSR name, remembered with its
 *    creator, and only a creator approving its own CSR is reported, so the
 *    approval lands in the creator's part.
 * The session clock is the one piece of state a part does not share: an
 * event without any time is judged at the latest time its session has seen
 * (in a part, the latest time of the part's principals; windows and
 * correlation times then differ), and a RequestReceived waiting for its
 * later stage is released when the session's clock passes twice the late
 * allowance, so stages arriving later than that, out of order, may be
 * judged differently. The comparison below leaves out events without a
 * time (some provider samples have none).
 * Tables are per session, so parts evict later than one session would: the
 * streams here stay below every capacity. The router is what a collector
 * fleet does with a topic keyed by user.username: one parser reads the
 * stream and each event goes to the session of its key's partition. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---- verdict lists ---- */

typedef struct {
	char **lines;
	size_t n, cap;
} vlist;

static void vlist_add(vlist *l, const char *s, size_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->lines = realloc(l->lines, l->cap * sizeof(*l->lines));
		ck_assert_ptr_nonnull(l->lines);
	}
	l->lines[l->n] = malloc(len + 1);
	ck_assert_ptr_nonnull(l->lines[l->n]);
	memcpy(l->lines[l->n], s, len);
	l->lines[l->n][len] = '\0';
	l->n++;
}

static void vlist_free(vlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->lines[i]);
	free(l->lines);
	memset(l, 0, sizeof(*l));
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_result(vlist *l, const kag_result *res)
{
	size_t i, len;

	for (i = 0; i < kag_result_count(res); i++) {
		const char *json = kag_verdict_json(kag_result_verdict(res, i), &len);

		vlist_add(l, json, len);
	}
}

static size_t vlist_count(const vlist *l, const char *needle)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += strstr(l->lines[i], needle) != NULL;
	return n;
}

/* Sorted lists equal; else the first difference, for the message. */
static const char *vlist_diff(vlist *a, vlist *b)
{
	static char msg[1200];
	size_t i;

	qsort(a->lines, a->n, sizeof(*a->lines), cmp_line);
	qsort(b->lines, b->n, sizeof(*b->lines), cmp_line);
	for (i = 0; i < a->n && i < b->n; i++) {
		if (strcmp(a->lines[i], b->lines[i]) != 0) {
			snprintf(msg, sizeof(msg), "verdict %zu differs:\n  one session: %.500s\n"
				 "  partitioned: %.500s", i, a->lines[i], b->lines[i]);
			return msg;
		}
	}
	if (a->n != b->n) {
		snprintf(msg, sizeof(msg), "one session: %zu verdicts, partitioned: %zu; first "
			 "extra: %.500s", a->n, b->n, a->n > b->n ? a->lines[i] : b->lines[i]);
		return msg;
	}
	return NULL;
}

/* ---- routing ---- */

enum { BY_USERNAME, ROUND_ROBIN };

/* FNV-1a of the username ("" when absent): a stable partitioner. */
static size_t partition_of(const kag_event *ev, size_t k)
{
	const char *u = "";
	size_t len = 0, i;
	uint64_t h = 0xcbf29ce484222325ULL;

	if (kag_event_get_string(&u, &len, ev, KAG_FIELD_USER_USERNAME) != KAG_OK)
		len = 0;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)u[i]) * 0x100000001b3ULL;
	return (size_t)(h % k);
}

typedef struct {
	const char *name;  /* the source */
	const char *data;
	size_t len;
} chunk;

/* Judge the chunks (in order, one stream) with k sessions over reg, each
 * event routed by `how`; k = 1 is the single-session reference. */
static void judge_split(vlist *out, kag_registry *reg, const chunk *chunks, size_t n_chunks,
			size_t k, int how, uint64_t *dups, int skip_timeless)
{
	kag_session *s[16];
	kag_parser *p;
	const kag_event *ev;
	const kag_result *res;
	size_t i, c, rr = 0;
	int rc, pass;

	ck_assert_uint_le(k, 16);
	for (i = 0; i < k; i++)
		ck_assert_int_eq(kag_session_new(&s[i], reg), KAG_OK);
	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	for (c = 0; c < n_chunks; c++) {
		ck_assert_int_eq(kag_parser_reset(p), KAG_OK);
		ck_assert_int_eq(kag_parser_set_source(p, chunks[c].name), KAG_OK);
		ck_assert_int_eq(kag_parser_feed(p, chunks[c].data, chunks[c].len), KAG_OK);
		for (pass = 0; pass < 2; pass++) {
			if (pass == 1)
				ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
			while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
				size_t part;

				if (rc < 0 || (skip_timeless && kag_event_time_us(ev) == 0))
					continue;
				part = how == BY_USERNAME ? partition_of(ev, k) : rr++ % k;
				ck_assert_int_eq(kag_session_evaluate(&res, s[part], ev), KAG_OK);
				add_result(out, res);
			}
		}
	}
	*dups = 0;
	for (i = 0; i < k; i++) {
		ck_assert_int_eq(kag_session_flush(&res, s[i]), KAG_OK);
		add_result(out, res);
		*dups += kag_session_stat(s[i], KAG_SSTAT_DUPLICATES);
		kag_session_free(s[i]);
	}
	kag_parser_free(p);
}

/* ---- a stream full of per-principal correlation ---- */

typedef struct {
	char *text;
	size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->text + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		ck_assert_int_ge(n, 0);
		if (b->len + (size_t)n < b->cap)
			break;
		b->cap = b->cap ? b->cap * 2 : 65536;
		b->text = realloc(b->text, b->cap);
		ck_assert_ptr_nonnull(b->text);
	}
	b->len += (size_t)n;
}

static const char *const users[] = {
	"alice@example.com", "bob@example.com", "carol@example.com",
	"system:serviceaccount:ci:deployer", "system:serviceaccount:prod:api",
	"dave@example.com", "system:node:worker-1", "system:kube-controller-manager",
};
#define N_USERS (sizeof(users) / sizeof(users[0]))
#define STEPS 44

/* Event `step` of user u's script, or nothing when the script has no event
 * at that step. Returns 1 when an event was written. */
static int script_event(sbuf *b, size_t u, int step, long t)
{
	const char *user = users[u];
	char ts[64], id[64];
	const char *ua = step < 30 ? "kubectl/v1.30.1 (linux/amd64)" : "python-requests/2.31.0";
	const char *ip = u % 2 ? "203.0.113.7" : "10.1.2.3";

	snprintf(ts, sizeof(ts), "2024-05-01T%02ld:%02ld:%02ld.000000Z", 10 + t / 3600,
		 (t / 60) % 60, t % 60);
	snprintf(id, sizeof(id), "u%zu-s%d", u, step);
#define HEAD(stage, level, verb) \
	sb_printf(b, "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"%s\"," \
		  "\"auditID\":\"%s\",\"stage\":\"%s\",\"stageTimestamp\":\"%s\"," \
		  "\"requestReceivedTimestamp\":\"%s\",\"verb\":\"%s\",\"user\":{\"username\":\"%s\"," \
		  "\"groups\":[\"system:authenticated\"]},\"sourceIPs\":[\"%s\"],\"userAgent\":\"%s\",", \
		  level, id, stage, ts, ts, verb, user, ip, ua)

	if (step < 12 && (u % 3 != 2 || step < 4)) {
		/* denied secret lists: a probing burst for most users */
		HEAD("ResponseComplete", "Metadata", "list");
		sb_printf(b, "\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"ns%d\"},"
			  "\"responseStatus\":{\"code\":403},\"annotations\":"
			  "{\"authorization.k8s.io/decision\":\"forbid\"}}\n", step);
	} else if (step < 19) {
		/* reads of distinct secrets: a secret burst */
		HEAD("ResponseComplete", "Metadata", "get");
		sb_printf(b, "\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"prod\","
			  "\"name\":\"s%d\"},\"responseStatus\":{\"code\":200}}\n", step);
	} else if (step < 26) {
		/* lists across namespaces: discovery */
		HEAD("ResponseComplete", "Metadata", "list");
		sb_printf(b, "\"objectRef\":{\"resource\":\"%s\",\"namespace\":\"team%d\"},"
			  "\"responseStatus\":{\"code\":200}}\n", step % 2 ? "pods" : "configmaps", step);
	} else if (step == 26) {
		/* an RBAC change ... */
		HEAD("ResponseComplete", "RequestResponse", "create");
		sb_printf(b, "\"objectRef\":{\"resource\":\"clusterrolebindings\",\"apiGroup\":"
			  "\"rbac.authorization.k8s.io\",\"name\":\"crb-%zu\"},\"responseStatus\":"
			  "{\"code\":201},\"requestObject\":{\"kind\":\"ClusterRoleBinding\","
			  "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"cluster-admin\"},"
			  "\"subjects\":[{\"kind\":\"User\",\"name\":\"%s\"}]}}\n", u, user);
	} else if (step == 27 || step == 28) {
		/* ... and a request seen at RequestReceived, then ResponseComplete */
		snprintf(id, sizeof(id), "u%zu-cm", u);
		HEAD(step == 27 ? "RequestReceived" : "ResponseComplete", "Metadata", "delete");
		sb_printf(b, "\"objectRef\":{\"resource\":\"namespaces\",\"name\":\"tmp-%zu\"}%s}\n", u,
			  step == 27 ? "" : ",\"responseStatus\":{\"code\":200}");
	} else if (step == 29) {
		/* ... then a workload change: a persistence sequence */
		HEAD("ResponseComplete", "Metadata", "create");
		sb_printf(b, "\"objectRef\":{\"resource\":\"daemonsets\",\"apiGroup\":\"apps\","
			  "\"namespace\":\"default\",\"name\":\"ds-%zu\"},\"responseStatus\":"
			  "{\"code\":201}}\n", u);
	} else if (step == 30 || step == 31) {
		/* a new client for this identity, and exec with two stages */
		snprintf(id, sizeof(id), "u%zu-exec", u);
		HEAD(step == 30 ? "ResponseStarted" : "ResponseComplete", "Metadata", "create");
		sb_printf(b, "\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\","
			  "\"namespace\":\"prod\",\"name\":\"api-%zu\"},\"requestURI\":"
			  "\"/api/v1/namespaces/prod/pods/api/exec?command=sh\","
			  "\"responseStatus\":{\"code\":101}}\n", u);
	} else if (step == 32) {
		/* a client certificate request ... */
		HEAD("ResponseComplete", "Metadata", "create");
		sb_printf(b, "\"objectRef\":{\"resource\":\"certificatesigningrequests\","
			  "\"name\":\"csr-%zu\"},\"responseStatus\":{\"code\":201}}\n", u);
	} else if (step == 34) {
		/* ... approved by its creator */
		HEAD("ResponseComplete", "Metadata", "update");
		sb_printf(b, "\"objectRef\":{\"resource\":\"certificatesigningrequests\","
			  "\"subresource\":\"approval\",\"name\":\"csr-%zu\"},\"responseStatus\":"
			  "{\"code\":200}}\n", u);
	} else if (step == 36) {
		/* a request whose later stage never comes (released by flush) */
		snprintf(id, sizeof(id), "u%zu-lost", u);
		HEAD("RequestReceived", "Metadata", "create");
		sb_printf(b, "\"objectRef\":{\"resource\":\"serviceaccounts\",\"subresource\":"
			  "\"token\",\"namespace\":\"kube-system\",\"name\":\"x\"}}\n");
	} else if (step == 38 && u % 2) {
		/* impersonation */
		HEAD("ResponseComplete", "Metadata", "get");
		sb_printf(b, "\"impersonatedUser\":{\"username\":\"system:admin\",\"groups\":"
			  "[\"system:masters\"]},\"objectRef\":{\"resource\":\"nodes\"},"
			  "\"responseStatus\":{\"code\":200}}\n");
	} else if (step == 40) {
		/* a second denied burst from another address */
		ip = "198.51.100.9";
		HEAD("ResponseComplete", "Metadata", "get");
		sb_printf(b, "\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\","
			  "\"namespace\":\"kube-system\",\"name\":\"etcd\"},\"responseStatus\":"
			  "{\"code\":403}}\n");
	} else {
		return 0;
	}
#undef HEAD
	return 1;
}

/* Users' scripts interleaved one event at a time, a second apart; plus
 * events with no username at all. */
static char *make_stream(size_t *len_out)
{
	sbuf b = { NULL, 0, 0 };
	long t = 0;
	int step;
	size_t u;

	sb_printf(&b, "%s", "");
	for (step = 0; step < STEPS; step++) {
		for (u = 0; u < N_USERS; u++) {
			if (script_event(&b, u, step, t))
				t++;
		}
		if (step % 4 == 0) {
			sb_printf(&b, "{\"kind\":\"Event\",\"level\":\"Metadata\",\"auditID\":\"anon-%d\","
				  "\"stage\":\"ResponseComplete\",\"stageTimestamp\":"
				  "\"2024-05-01T10:00:%02ld.500000Z\",\"verb\":\"list\","
				  "\"objectRef\":{\"resource\":\"secrets\"},\"sourceIPs\":"
				  "[\"192.0.2.1\"],\"responseStatus\":{\"code\":401}}\n", step, t % 60);
		}
	}
	*len_out = b.len;
	return b.text;
}

static kag_registry *sealed_registry(void)
{
	kag_registry *r;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	return r;
}

static const size_t parts[] = { 2, 3, 5, 8, 13 };

START_TEST(split_by_username_synthetic)
{
	kag_registry *reg = sealed_registry();
	vlist one = { 0 }, split = { 0 };
	chunk c;
	size_t len, i;
	uint64_t dups;
	const char *diff;
	char *stream = make_stream(&len);

	c.name = "scaleout.jsonl";
	c.data = stream;
	c.len = len;
	judge_split(&one, reg, &c, 1, 1, BY_USERNAME, &dups, 0);

	/* the single-session run exercises every kind of cross-event state */
	ck_assert_uint_gt(dups, 0);
	ck_assert_uint_ge(vlist_count(&one, "\"detector\":\"rbac_probing\",\"assessment\":\"suspicious\""), 1);
	ck_assert_uint_ge(vlist_count(&one, "\"correlation\":{"), 8);
	ck_assert_uint_ge(vlist_count(&one, "\"detector\":\"secrets_access\""), 1);
	ck_assert_uint_ge(vlist_count(&one, "\"detector\":\"discovery\""), 1);
	ck_assert_uint_ge(vlist_count(&one, "\"detector\":\"new_user_agent\""), 1);
	ck_assert_uint_ge(vlist_count(&one, "self-approval"), 1);
	ck_assert_uint_ge(vlist_count(&one, "\"detector\":\"persistence_workload\",\"assessment\":\"suspicious\",\"outcome\":\"allowed\",\"severity\":\"high\""), 1);
	ck_assert_uint_ge(vlist_count(&one, "\"stage\":\"RequestReceived\""), 1);

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		uint64_t split_dups;

		judge_split(&split, reg, &c, 1, parts[i], BY_USERNAME, &split_dups, 0);
		diff = vlist_diff(&one, &split);
		ck_assert_msg(diff == NULL, "K=%zu: %s", parts[i], diff);
		ck_assert_uint_eq(split_dups, dups);
		vlist_free(&split);
	}
	vlist_free(&one);
	free(stream);
	kag_registry_free(reg);
}
END_TEST

/* The equivalence is about the key: spreading the same stream over
 * sessions without regard to the principal loses correlation. */
START_TEST(split_round_robin_differs)
{
	kag_registry *reg = sealed_registry();
	vlist one = { 0 }, split = { 0 };
	chunk c;
	size_t len;
	uint64_t dups, split_dups;
	char *stream = make_stream(&len);

	c.name = "scaleout.jsonl";
	c.data = stream;
	c.len = len;
	judge_split(&one, reg, &c, 1, 1, BY_USERNAME, &dups, 0);
	judge_split(&split, reg, &c, 1, 3, ROUND_ROBIN, &split_dups, 0);
	ck_assert_ptr_nonnull(vlist_diff(&one, &split));
	ck_assert_uint_lt(vlist_count(&split, "\"correlation\":{"),
			  vlist_count(&one, "\"correlation\":{"));
	vlist_free(&one);
	vlist_free(&split);
	free(stream);
	kag_registry_free(reg);
}
END_TEST

/* The real audit samples, judged file after file as one stream. */
START_TEST(split_by_username_corpus)
{
	static const char *const files[] = {
		"audit2rbac-demo/demo.log",
		"openshift-docs/kube-apiserver-audit.jsonl",
		"openshift-docs/openshift-apiserver-audit.jsonl",
		"openshift-docs/oauth-server-audit.jsonl",
		"openshift-cluster-logging-operator/audit.log",
		"panther-analysis/eks_audit_native_events.jsonl",
		"panther-analysis/gke_cloudaudit_logentries.jsonl",
		"panther-analysis/aks_diagnostic_records.jsonl",
		"khi-gke/gke_k8s_audit_logentries.jsonl",
		"sumologic-docs/aks_diagnostic_records_audit.jsonl",
		"falco-k8s-audit/exec_pod.json",
		"falco-k8s-audit/attach_pod.json",
		"falco-k8s-audit/create_kube_system_secret.json",
	};
	enum { N = sizeof(files) / sizeof(files[0]) };
	kag_registry *reg;
	vlist one = { 0 }, split = { 0 };
	chunk c[N];
	char *data[N];
	size_t i;
	uint64_t dups, split_dups;
	const char *diff;
	static const char policy[] = "{\"thresholds\":{\"probe\":2,\"secret_burst\":2,\"discovery\":2}}";

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_load_policy(reg, policy, strlen(policy)), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	for (i = 0; i < N; i++) {
		char path[1024];

		snprintf(path, sizeof(path), "%s/%s", KAG_TEST_DATA, files[i]);
		data[i] = tu_read_file(path, &c[i].len);
		c[i].data = data[i];
		c[i].name = files[i];
	}
	judge_split(&one, reg, c, N, 1, BY_USERNAME, &dups, 1);
	ck_assert_uint_gt(one.n, 40);
	ck_assert_uint_ge(vlist_count(&one, "\"correlation\":{"), 1);
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		judge_split(&split, reg, c, N, parts[i], BY_USERNAME, &split_dups, 1);
		diff = vlist_diff(&one, &split);
		ck_assert_msg(diff == NULL, "K=%zu: %s", parts[i], diff);
		ck_assert_uint_eq(split_dups, dups);
		vlist_free(&split);
	}
	vlist_free(&one);
	for (i = 0; i < N; i++)
		free(data[i]);
	kag_registry_free(reg);
}
END_TEST

/* The dedup key is the request, not the auditID alone: clients may choose
 * their auditID (the Audit-ID header), and a new request must not pass for
 * a later stage of an earlier one. */
START_TEST(reused_audit_id_is_judged)
{
	static const char stream[] =
		"{\"auditID\":\"x\",\"stage\":\"ResponseComplete\",\"stageTimestamp\":"
		"\"2024-05-01T10:00:00Z\",\"verb\":\"get\",\"requestURI\":\"/api/v1/namespaces/prod/pods\","
		"\"user\":{\"username\":\"mallory\"},\"objectRef\":{\"resource\":\"pods\","
		"\"namespace\":\"prod\"},\"responseStatus\":{\"code\":200}}\n"
		/* the same user, the same auditID, another request */
		"{\"auditID\":\"x\",\"stage\":\"ResponseStarted\",\"stageTimestamp\":"
		"\"2024-05-01T10:00:01Z\",\"verb\":\"create\",\"requestURI\":"
		"\"/api/v1/namespaces/prod/pods/api/exec?command=sh\",\"user\":{\"username\":\"mallory\"},"
		"\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\",\"namespace\":\"prod\","
		"\"name\":\"api\"},\"responseStatus\":{\"code\":101}}\n"
		/* its real later stage: a duplicate */
		"{\"auditID\":\"x\",\"stage\":\"ResponseComplete\",\"stageTimestamp\":"
		"\"2024-05-01T10:00:09Z\",\"verb\":\"create\",\"requestURI\":"
		"\"/api/v1/namespaces/prod/pods/api/exec?command=sh\",\"user\":{\"username\":\"mallory\"},"
		"\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\",\"namespace\":\"prod\","
		"\"name\":\"api\"},\"responseStatus\":{\"code\":101}}\n"
		/* another user, the same auditID and request */
		"{\"auditID\":\"x\",\"stage\":\"ResponseStarted\",\"stageTimestamp\":"
		"\"2024-05-01T10:00:10Z\",\"verb\":\"create\",\"requestURI\":"
		"\"/api/v1/namespaces/prod/pods/api/exec?command=sh\",\"user\":{\"username\":\"eve\"},"
		"\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\",\"namespace\":\"prod\","
		"\"name\":\"api\"},\"responseStatus\":{\"code\":101}}\n";
	tu_ctx t;
	const char *v;

	tu_init(&t);
	tu_judge(&t, stream, (size_t)-1);
	ck_assert_uint_eq(t.n_events, 4);
	ck_assert_uint_eq(kag_session_stat(t.sess, KAG_SSTAT_DUPLICATES), 1);
	ck_assert_uint_eq(tu_count(&t, "interactive_access"), 2);
	v = tu_find(&t, "interactive_access", 0);
	ck_assert_str_eq(tu_json_get(v, "evidence.user.username"), "mallory");
	ck_assert_str_eq(tu_json_get(v, "event.stage"), "ResponseStarted");
	v = tu_find(&t, "interactive_access", 1);
	ck_assert_str_eq(tu_json_get(v, "evidence.user.username"), "eve");
	tu_free(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scaleout");
	TCase *tc = tcase_create("partition");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, split_by_username_synthetic);
	tcase_add_test(tc, split_round_robin_differs);
	tcase_add_test(tc, split_by_username_corpus);
	tcase_add_test(tc, reused_audit_id_is_judged);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
