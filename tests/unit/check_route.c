/* The detector index (lib/route.c). Its promise: an entry left out of an
 * event's candidates is one whose applies() test is false for that event,
 * so the index never changes a verdict. Checked over a grid of built events
 * (every verb and resource a detector names, and others, with the
 * subresources, outcomes, identities, namespaces and names the tests look
 * at), over the generated benchmark stream and over every corpus file; and
 * the index does prune what it should. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/gen.h"
#include "gate-private.h"
#include "identity-private.h"
#include "route-private.h"
#include "testutil.h"

#define OBS KAG_STATE_OBSERVED

struct fixture {
	kag_registry *reg;
	kag__route rt;
	size_t checked, applied;
};

static void fixture_init(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	ck_assert_int_eq(kag_registry_new(&fx->reg), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(fx->reg), KAG_OK);
	kag__route_build(&fx->rt, fx->reg);
}

/* Every entry whose applies() accepts ev is a candidate. */
static void check_event(struct fixture *fx, const kag_event *ev, const char *what)
{
	const kag_registry *r = fx->reg;
	uint64_t cand = kag__route_candidates(&fx->rt, ev);
	kag__ctx ctx;
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.reg = r;
	ctx.policy = &r->policy;
	ctx.outcome = kag__outcome(ev);
	ctx.identity = kag__identity_class(&r->policy, ev, KAG_FIELD_USER_USERNAME,
					   KAG_FIELD_USER_GROUPS);
	for (i = 0; i < r->n_entries; i++) {
		const kag__detector_def *d = &r->entries[i].def;

		if (!d->applies || !d->applies(ev, &ctx))
			continue;
		fx->applied++;
		TU_REQUIRE_MSG((cand >> i) & 1, "%s: %s applies but the index left it out", what,
			       d->id);
	}
	fx->checked++;
}

static const char *const verbs[] = { "get", "list", "watch", "create", "update", "patch",
				     "delete", "deletecollection", "proxy", "connect",
				     "impersonate", "escalate", "bind", "Create", NULL };
static const char *const resources[] = {
	"pods", "secrets", "services", "ingresses", "nodes", "roles", "clusterroles",
	"rolebindings", "clusterrolebindings", "serviceaccounts", "certificatesigningrequests",
	"cronjobs", "daemonsets", "deployments", "statefulsets", "replicasets", "jobs",
	"replicationcontrollers", "podtemplates", "mutatingwebhookconfigurations",
	"validatingwebhookconfigurations", "validatingadmissionpolicies",
	"validatingadmissionpolicybindings", "mutatingadmissionpolicies",
	"mutatingadmissionpolicybindings", "events", "configmaps", "leases", "endpoints",
	"selfsubjectaccessreviews", "selfsubjectrulesreviews", "namespaces", "", NULL
};
static const char *const subresources[] = { NULL, "exec", "attach", "portforward",
					    "ephemeralcontainers", "token", "approval", "proxy",
					    "status", NULL };
static const char *const users[] = { "alice", "system:serviceaccount:kube-system:deployer",
				     "system:anonymous", NULL };

static void set(kag_event *ev, int field, const char *v)
{
	TU_REQUIRE_INT_EQ(kag_event_set_string(ev, field, v, strlen(v), OBS), KAG_OK);
}

START_TEST(grid)
{
	struct fixture fx;
	kag_event *ev;
	size_t v, r, s, u, k;

	fixture_init(&fx);
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	for (v = 0; verbs[v] || v == 0; v++) {
		for (r = 0; resources[r] || r == 0; r++) {
			for (s = 0; s == 0 || subresources[s]; s++) {
				for (u = 0; users[u]; u++) {
					for (k = 0; k < 8; k++) {
						char what[256];

						TU_REQUIRE_INT_EQ(kag_event_clear(ev), KAG_OK);
						set(ev, KAG_FIELD_AUDIT_ID, "5b3f2d1e");
						set(ev, KAG_FIELD_STAGE, "ResponseComplete");
						set(ev, KAG_FIELD_LEVEL, "RequestResponse");
						/* k: absent verb and resource, code, ns, name */
						if (!(k == 7 && v == 0))
							set(ev, KAG_FIELD_VERB, verbs[v]);
						if (!(k == 7 && r == 0) && resources[r])
							set(ev, KAG_FIELD_OBJ_RESOURCE, resources[r]);
						if (subresources[s])
							set(ev, KAG_FIELD_OBJ_SUBRESOURCE, subresources[s]);
						set(ev, KAG_FIELD_USER_USERNAME, users[u]);
						set(ev, KAG_FIELD_USER_AGENT, "kubectl/v1.30.1");
						set(ev, KAG_FIELD_OBJ_NAMESPACE,
						    k & 2 ? "kube-system" : "default");
						set(ev, KAG_FIELD_OBJ_NAME,
						    k & 4 ? "coredns" : (k & 1 ? "aws-auth" : "web"));
						set(ev, KAG_FIELD_REQUEST_URI, "/api/v1/x");
						TU_REQUIRE_INT_EQ(kag_event_add_item(ev, KAG_FIELD_SOURCE_IPS,
										     "203.0.113.7", 11, OBS),
								  KAG_OK);
						if (k != 3)
							TU_REQUIRE_INT_EQ(kag_event_set_int(ev,
									  KAG_FIELD_RESPONSE_CODE,
									  k == 5 ? 201 : 200, OBS),
									  KAG_OK);
						snprintf(what, sizeof(what), "%s %s/%s by %s (%zu)",
							 verbs[v] ? verbs[v] : "-",
							 resources[r] ? resources[r] : "-",
							 subresources[s] ? subresources[s] : "-",
							 users[u], k);
						check_event(&fx, ev, what);
					}
				}
			}
			if (!resources[r])
				break;
		}
		if (!verbs[v])
			break;
	}
	/* the grid reaches every indexed detector */
	ck_assert_uint_gt(fx.applied, 1000);
	kag_event_free(ev);
	kag_registry_free(fx.reg);
}
END_TEST

static void check_stream(struct fixture *fx, const char *data, size_t len, const char *what)
{
	kag_parser *p;
	const kag_event *ev;
	int rc;

	ck_assert_int_eq(kag_parser_new(&p), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(p, data, len), KAG_OK);
	ck_assert_int_eq(kag_parser_finish(p), KAG_OK);
	while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
		if (rc == KAG_OK)
			check_event(fx, ev, what);
	}
	kag_parser_free(p);
}

START_TEST(generated_stream)
{
	struct fixture fx;
	struct bench_stream s;

	fixture_init(&fx);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(bench_generate(&s, 4000, 7), 0);
	check_stream(&fx, s.data, s.len, "generated stream");
	ck_assert_uint_eq(fx.checked, s.lines);
	bench_stream_free(&s);
	kag_registry_free(fx.reg);
}
END_TEST

START_TEST(corpus)
{
	struct fixture fx;
	size_t n, i, len;
	char **files = tu_data_files(&n, 0);

	fixture_init(&fx);
	for (i = 0; i < n; i++) {
		char *data = tu_read_data_file(files[i], &len);

		check_stream(&fx, data, len, files[i]);
		free(data);
	}
	tu_free_files(files, n);
	ck_assert_uint_gt(fx.checked, 300);
	ck_assert_uint_gt(fx.applied, 100);
	kag_registry_free(fx.reg);
}
END_TEST

static uint64_t bit_of(const kag_registry *r, const char *id)
{
	int i = kag__registry_find_entry(r, id);

	ck_assert_int_ge(i, 0);
	return 1ULL << i;
}

/* The index narrows: a lease renewal is not offered to the detectors of
 * pods, secrets or RBAC; a secret read is offered to secrets_access. */
START_TEST(prunes)
{
	struct fixture fx;
	kag_event *ev;
	uint64_t cand, any;

	fixture_init(&fx);
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	set(ev, KAG_FIELD_VERB, "update");
	set(ev, KAG_FIELD_OBJ_RESOURCE, "leases");
	cand = kag__route_candidates(&fx.rt, ev);
	ck_assert_uint_eq(cand & bit_of(fx.reg, "privileged_workload"), 0);
	ck_assert_uint_eq(cand & bit_of(fx.reg, "secrets_access"), 0);
	ck_assert_uint_eq(cand & bit_of(fx.reg, "rbac_escalation"), 0);
	ck_assert_uint_eq(cand & bit_of(fx.reg, "interactive_access"), 0);
	ck_assert_uint_eq(cand & bit_of(fx.reg, "discovery"), 0);
	any = bit_of(fx.reg, "controller_baseline") | bit_of(fx.reg, "rbac_probing") |
	      bit_of(fx.reg, "impersonation") | bit_of(fx.reg, "public_source");
	ck_assert_uint_eq(cand & any, any);

	ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
	set(ev, KAG_FIELD_VERB, "get");
	set(ev, KAG_FIELD_OBJ_RESOURCE, "secrets");
	cand = kag__route_candidates(&fx.rt, ev);
	ck_assert_uint_ne(cand & bit_of(fx.reg, "secrets_access"), 0);
	ck_assert_uint_eq(cand & bit_of(fx.reg, "privileged_workload"), 0);

	/* no verb: only the detectors that take any verb */
	ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
	set(ev, KAG_FIELD_OBJ_RESOURCE, "nodes");
	cand = kag__route_candidates(&fx.rt, ev);
	ck_assert_uint_ne(cand & bit_of(fx.reg, "node_proxy"), 0);
	ck_assert_uint_eq(cand & bit_of(fx.reg, "secrets_access"), 0);
	kag_event_free(ev);
	kag_registry_free(fx.reg);
}
END_TEST

/* A caller detector names no verbs or resources: it sees every event. */
static int count_cb(kag_finding *f, const kag_event *ev, int outcome, void *ud)
{
	(void)f;
	(void)ev;
	(void)outcome;
	(*(int *)ud)++;
	return 0;
}

START_TEST(caller_detectors_see_everything)
{
	kag_registry *reg;
	kag_session *sess;
	kag_event *ev;
	const kag_result *res;
	int calls = 0;
	static const char *const vs[] = { "update", "get", "frobnicate" };
	size_t i;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(reg, "mine", "counts events", NULL, 0,
						   KAG_LEVEL_METADATA, count_cb, &calls), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	ck_assert_int_eq(kag_session_new(&sess, reg), KAG_OK);
	ck_assert_int_eq(kag_event_new(&ev), KAG_OK);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(kag_event_clear(ev), KAG_OK);
		set(ev, KAG_FIELD_VERB, vs[i]);
		set(ev, KAG_FIELD_OBJ_RESOURCE, i == 2 ? "widgets" : "leases");
		ck_assert_int_eq(kag_session_evaluate(&res, sess, ev), KAG_OK);
	}
	ck_assert_int_eq(calls, 3);
	kag_event_free(ev);
	kag_session_free(sess);
	kag_registry_free(reg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("route");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, grid);
	tcase_add_test(tc, generated_stream);
	tcase_add_test(tc, corpus);
	tcase_add_test(tc, prunes);
	tcase_add_test(tc, caller_detectors_see_everything);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
