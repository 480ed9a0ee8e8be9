/* Threads: one sealed registry shared by N threads, each judging the same
 * corpus with its own session and parser, must give every thread exactly
 * the verdicts (and parse errors, and gate results) of a single-threaded
 * run. Built to run under ThreadSanitizer too (.ci/run). Worker threads
 * never call Check: they record what they saw, and the main thread
 * asserts. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define N_THREADS 4
#define N_ROUNDS 2

/* ---- the shared corpus: every file under tests/data, read once ---- */

typedef struct {
	char *name;   /* path relative to tests/data, used as the source */
	char *data;
	size_t len;
} corpus_file;

static corpus_file *corpus;
static size_t n_corpus;

static void corpus_load(void)
{
	size_t i;
	char **files = tu_data_files(&n_corpus, 0);

	corpus = calloc(n_corpus, sizeof(*corpus));
	ck_assert_ptr_nonnull(corpus);
	for (i = 0; i < n_corpus; i++) {
		corpus[i].name = files[i];
		corpus[i].data = tu_read_data_file(files[i], &corpus[i].len);
	}
	free(files); /* the names are the corpus's now */
	ck_assert_uint_gt(n_corpus, 20);
}

static void corpus_free(void)
{
	size_t i;

	for (i = 0; i < n_corpus; i++) {
		free(corpus[i].name);
		free(corpus[i].data);
	}
	free(corpus);
	corpus = NULL;
	n_corpus = 0;
}

/* ---- the shared registry: built-ins, a policy, rules and a callback ---- */

static const char policy[] =
	"{\"version\":1,\"thresholds\":{\"probe\":3,\"secret_burst\":2,\"discovery\":2},"
	"\"capacities\":{\"dedup\":64,\"principals\":8,\"pending\":8,\"new_terms\":16},"
	"\"add_trusted_users\":[\"system:serviceaccount:argocd:argocd-application-controller\"]}";

static const char rules[] =
	"{\"version\":1,\"rules\":[{\"id\":\"t_delete\",\"title\":\"deletes by people\","
	"\"assessment\":\"suspicious\",\"severity\":\"medium\",\"decisive\":[\"verb\"],"
	"\"match\":{\"all\":[{\"field\":\"verb\",\"in\":[\"delete\",\"deletecollection\"]},"
	"{\"identity\":\"none\"},{\"not\":{\"field\":\"userAgent\",\"glob\":\"kube-*\"}}]}}]}";

/* A caller detector: pure, reads only the event and its user data. */
static int kubectl_cb(kag_finding *f, const kag_event *ev, int outcome, void *user_data)
{
	const char *ua, *prefix = user_data;
	size_t len;

	if (kag_event_get_string(&ua, &len, ev, KAG_FIELD_USER_AGENT) != KAG_OK ||
	    len < strlen(prefix) || memcmp(ua, prefix, strlen(prefix)) != 0)
		return 0;
	return kag_finding_report(f, KAG_ASSESSMENT_BENIGN, KAG_SEVERITY_INFO,
				  outcome == KAG_OUTCOME_ALLOWED ? KAG_CONFIDENCE_HIGH
				  : KAG_CONFIDENCE_LOW, "kubectl client") == KAG_OK ? 0 : 1;
}

static kag_registry *shared_registry(void)
{
	static const int decisive[] = { KAG_FIELD_USER_AGENT };
	kag_registry *r;

	ck_assert_int_eq(kag_registry_new(&r), KAG_OK);
	ck_assert_int_eq(kag_registry_add_detector(r, "t_kubectl", "kubectl clients", decisive, 1,
						   KAG_LEVEL_METADATA, kubectl_cb, "kubectl/"), KAG_OK);
	ck_assert_int_eq(kag_registry_load_rules(r, rules, strlen(rules)), KAG_OK);
	ck_assert_int_eq(kag_registry_load_policy(r, policy, strlen(policy)), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(r), KAG_OK);
	return r;
}

/* ---- one judging run, identical in every thread ---- */

typedef struct {
	char *text;
	size_t len, cap;
	int failed;          /* an API call failed: which one is in text */
} out_buf;

static void put(out_buf *o, const char *s, size_t n)
{
	if (o->len + n + 2 > o->cap) {
		size_t cap = o->cap ? o->cap : 65536;
		char *nt;

		while (o->len + n + 2 > cap)
			cap *= 2;
		nt = realloc(o->text, cap);
		if (!nt) {
			o->failed = 1;
			return;
		}
		o->text = nt;
		o->cap = cap;
	}
	memcpy(o->text + o->len, s, n);
	o->len += n;
	o->text[o->len++] = '\n';
	o->text[o->len] = '\0';
}

static void put_str(out_buf *o, const char *s)
{
	put(o, s, strlen(s));
}

static void note_failure(out_buf *o, const char *what, int rc)
{
	char m[200];

	snprintf(m, sizeof(m), "FAILED %s: %s", what, kag_error_name(rc));
	put_str(o, m);
	o->failed = 1;
}

static void put_result(out_buf *o, const kag_result *res)
{
	size_t i, len;

	for (i = 0; i < kag_result_count(res); i++) {
		const char *json = kag_verdict_json(kag_result_verdict(res, i), &len);

		put(o, json, len);
	}
}

/* The gate of one detector, chosen by the event's position, as text. */
static void put_gate(out_buf *o, const kag_registry *r, const kag_event *ev, size_t nth)
{
	const char *id = kag_registry_detector_id(r, nth % kag_registry_count(r));
	kag_gate *g;
	char m[512];
	int rc = kag_gate_evaluate(&g, r, id, ev);

	if (rc != KAG_OK) {
		note_failure(o, "kag_gate_evaluate", rc);
		return;
	}
	snprintf(m, sizeof(m), "gate %s: passed=%d outcome=%d missing=%zu %s", id,
		 kag_gate_passed(g), kag_gate_outcome(g), kag_gate_missing_count(g),
		 kag_gate_reason(g));
	put_str(o, m);
	kag_gate_free(g);
}

static void judge_corpus(out_buf *o, kag_registry *r, kag_session *s)
{
	kag_parser *p = NULL;
	const kag_event *ev;
	const kag_result *res;
	size_t i, nth = 0;
	int rc, pass;

	rc = kag_parser_new(&p);
	if (rc != KAG_OK) {
		note_failure(o, "kag_parser_new", rc);
		return;
	}
	for (i = 0; i < n_corpus && !o->failed; i++) {
		kag_parser_reset(p);
		kag_parser_set_source(p, corpus[i].name);
		if ((rc = kag_parser_feed(p, corpus[i].data, corpus[i].len)) != KAG_OK) {
			note_failure(o, "kag_parser_feed", rc);
			break;
		}
		for (pass = 0; pass < 2; pass++) {
			if (pass == 1)
				kag_parser_finish(p);
			while ((rc = kag_parser_next(&ev, p)) != KAG_ITEROVER) {
				if (rc < 0) {
					char m[600];

					snprintf(m, sizeof(m), "error %s %s:%llu %s", kag_error_name(rc),
						 corpus[i].name,
						 (unsigned long long)kag_parser_error_line(p),
						 kag_parser_error_message(p));
					put_str(o, m);
					continue;
				}
				put_gate(o, r, ev, nth++);
				if ((rc = kag_session_evaluate(&res, s, ev)) != KAG_OK) {
					note_failure(o, "kag_session_evaluate", rc);
					break;
				}
				put_result(o, res);
			}
		}
	}
	if ((rc = kag_session_flush(&res, s)) != KAG_OK)
		note_failure(o, "kag_session_flush", rc);
	else
		put_result(o, res);
	kag_parser_free(p);
}

/* ---- threads ---- */

typedef struct {
	kag_registry *reg;       /* the shared registry */
	pthread_barrier_t *start;
	out_buf out[N_ROUNDS];
	int rc_new;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	kag_session *s = NULL;
	int round;

	/* every thread creates its session at the same moment (the registry's
	 * reference count is shared), then the main thread drops its own
	 * reference while the workers judge */
	w->rc_new = kag_session_new(&s, w->reg);
	pthread_barrier_wait(w->start);
	pthread_barrier_wait(w->start);
	if (w->rc_new != KAG_OK)
		return NULL;
	for (round = 0; round < N_ROUNDS; round++) {
		kag_session *fresh = NULL;

		judge_corpus(&w->out[round], w->reg, s);
		/* the next round starts from an empty session, as the reference */
		if (kag_session_new(&fresh, w->reg) != KAG_OK) {
			w->out[round].failed = 1;
			break;
		}
		kag_session_free(s);
		s = fresh;
	}
	kag_session_free(s);
	return NULL;
}

static size_t count_lines(const char *text, const char *needle)
{
	size_t n = 0;
	const char *p = text;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

START_TEST(shared_registry_same_verdicts)
{
	kag_registry *reg = shared_registry();
	kag_session *s;
	out_buf ref;
	worker w[N_THREADS];
	pthread_t th[N_THREADS];
	pthread_barrier_t start;
	int i, round;

	corpus_load();

	/* single-threaded reference */
	memset(&ref, 0, sizeof(ref));
	ck_assert_int_eq(kag_session_new(&s, reg), KAG_OK);
	judge_corpus(&ref, reg, s);
	kag_session_free(s);
	ck_assert_msg(!ref.failed, "reference run: %s", ref.text);
	/* the run is worth comparing: many verdicts, parse errors, correlation,
	 * every kind of registry entry */
	ck_assert_uint_gt(count_lines(ref.text, "\"detector\":"), 200);
	ck_assert_uint_gt(count_lines(ref.text, "\nerror KAG_"), 0);
	ck_assert_uint_gt(count_lines(ref.text, "\"correlation\":{"), 0);
	ck_assert_uint_gt(count_lines(ref.text, "\"detector\":\"t_delete\""), 0);
	ck_assert_uint_gt(count_lines(ref.text, "\"detector\":\"t_kubectl\""), 0);
	ck_assert_uint_gt(count_lines(ref.text, "\"detector\":\"rbac_probing\""), 0);

	ck_assert_int_eq(pthread_barrier_init(&start, NULL, N_THREADS + 1), 0);
	memset(w, 0, sizeof(w));
	for (i = 0; i < N_THREADS; i++) {
		w[i].reg = reg;
		w[i].start = &start;
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	pthread_barrier_wait(&start);
	/* sessions hold the registry now; the caller's reference may go */
	kag_registry_free(reg);
	pthread_barrier_wait(&start);
	for (i = 0; i < N_THREADS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&start);

	for (i = 0; i < N_THREADS; i++) {
		ck_assert_int_eq(w[i].rc_new, KAG_OK);
		for (round = 0; round < N_ROUNDS; round++) {
			out_buf *o = &w[i].out[round];

			ck_assert_msg(!o->failed, "thread %d round %d: %s", i, round,
				      o->text ? o->text : "out of memory");
			ck_assert_msg(o->len == ref.len && memcmp(o->text, ref.text, ref.len) == 0,
				      "thread %d round %d: %zu bytes of output, reference %zu", i,
				      round, o->len, ref.len);
			free(o->text);
		}
	}
	free(ref.text);
	corpus_free();
}
END_TEST

/* Registries are independent: threads that each build, configure, seal and
 * free their own registry (and sessions) give the shared-registry result. */
static void *work_own(void *arg)
{
	worker *w = arg;
	kag_registry *r = NULL;
	kag_session *s = NULL;
	int rc;

	pthread_barrier_wait(w->start);
	if ((rc = kag_registry_new(&r)) != KAG_OK ||
	    (rc = kag_registry_load_rules(r, rules, strlen(rules))) != KAG_OK ||
	    (rc = kag_registry_load_policy(r, policy, strlen(policy))) != KAG_OK ||
	    (rc = kag_registry_seal(r)) != KAG_OK ||
	    (rc = kag_session_new(&s, r)) != KAG_OK) {
		note_failure(&w->out[0], "registry setup", rc);
	} else {
		judge_corpus(&w->out[0], r, s);
	}
	kag_session_free(s);
	kag_registry_free(r);
	return NULL;
}

START_TEST(own_registries_same_verdicts)
{
	kag_registry *reg;
	kag_session *s;
	out_buf ref;
	worker w[N_THREADS];
	pthread_t th[N_THREADS];
	pthread_barrier_t start;
	int i;

	corpus_load();
	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_load_rules(reg, rules, strlen(rules)), KAG_OK);
	ck_assert_int_eq(kag_registry_load_policy(reg, policy, strlen(policy)), KAG_OK);
	ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	memset(&ref, 0, sizeof(ref));
	ck_assert_int_eq(kag_session_new(&s, reg), KAG_OK);
	judge_corpus(&ref, reg, s);
	kag_session_free(s);
	kag_registry_free(reg);
	ck_assert_msg(!ref.failed, "reference run: %s", ref.text);

	ck_assert_int_eq(pthread_barrier_init(&start, NULL, N_THREADS), 0);
	memset(w, 0, sizeof(w));
	for (i = 0; i < N_THREADS; i++) {
		w[i].start = &start;
		ck_assert_int_eq(pthread_create(&th[i], NULL, work_own, &w[i]), 0);
	}
	for (i = 0; i < N_THREADS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&start);
	for (i = 0; i < N_THREADS; i++) {
		out_buf *o = &w[i].out[0];

		ck_assert_msg(!o->failed, "thread %d: %s", i, o->text ? o->text : "out of memory");
		ck_assert_msg(o->len == ref.len && memcmp(o->text, ref.text, ref.len) == 0,
			      "thread %d: %zu bytes of output, reference %zu", i, o->len, ref.len);
		free(o->text);
	}
	free(ref.text);
	corpus_free();
}
END_TEST

static Suite *threads_suite(void)
{
	Suite *s = suite_create("threads");
	TCase *tc = tcase_create("threads");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, shared_registry_same_verdicts);
	tcase_add_test(tc, own_registries_same_verdicts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(threads_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
