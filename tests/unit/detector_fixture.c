/* The detector suites' fixture: audit events written into one stream,
 * judged by the whole default catalogue with info verdicts on and repeats
 * not folded, and the checks on the verdicts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector_fixture.h"

tu_ctx cov_T;
static int T_live;
static tu_text S;

void cov_teardown(void)
{
	if (T_live)
		tu_free(&cov_T);
	T_live = 0;
	free(S.s);
	memset(&S, 0, sizeof(S));
}

/* One audit event at second t of a minute: who (username, then the
 * groups as a JSON list body or ""), from where, with which client, and
 * the rest of the record. ' stands for " to keep the events readable. */
void cov_event(const char *user, const char *groups, const char *ip, const char *ua,
	       const char *verb, int t, const char *rest)
{
	static unsigned serial;
	char line[8192];
	int n;
	size_t k;

	n = snprintf(line, sizeof(line),
		     "{'kind':'Event','apiVersion':'audit.k8s.io/v1','level':'RequestResponse',"
		     "'auditID':'cov-%u','stage':'ResponseComplete','verb':'%s',"
		     "'user':{'username':'%s','groups':[%s]},'sourceIPs':['%s'],"
		     "'userAgent':'%s','stageTimestamp':'2024-05-02T10:%02d:%02d.000000Z',%s}\n",
		     ++serial, verb, user, groups, ip, ua, t / 60 % 60, t % 60, rest);
	ck_assert(n > 0 && (size_t)n < sizeof(line));
	for (k = 0; k < (size_t)n; k++)
		if (line[k] == '\'')
			line[k] = '"';
	tu_put(&S, line, (size_t)n);
}

void cov_judge(void)
{
	kag_registry *reg;

	if (T_live)
		tu_free(&cov_T);
	/* each request's own verdict, repeats not folded */
	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	ck_assert_int_eq(kag_registry_set_option_u64(reg, KAG_ROPT_REPEAT_WINDOW, 0), KAG_OK);
	tu_init_registry(&cov_T, reg);
	T_live = 1;
	tu_judge(&cov_T, S.s ? S.s : "", S.len);
	ck_assert_msg(cov_T.n_errors == 0, "parse error: %s", cov_T.n_errors ? cov_T.errors[0] : "");
	S.len = 0;
}

/* The n-th verdict of detector id, which must exist. */
const char *cov_nth(const char *id, size_t n)
{
	const char *v = tu_find(&cov_T, id, n);

	ck_assert_msg(v != NULL, "no verdict %zu of %s in:\n%s", n, id, cov_T.out ? cov_T.out : "");
	return v;
}

void cov_has(const char *v, const char *path, const char *want)
{
	const char *got = tu_json_get(v, path);

	ck_assert_msg(got && strcmp(got, want) == 0, "%s is %s, want %s in\n%s", path,
		      got ? got : "(absent)", want, v);
}

/* assessment, severity and a fragment of the reason */
void cov_is(const char *v, const char *assessment, const char *severity, const char *why)
{
	const char *r;

	cov_has(v, "assessment", assessment);
	cov_has(v, "severity", severity);
	r = tu_json_get(v, "reason"); /* a static buffer: read last */
	ck_assert_msg(r && strstr(r, why), "reason lacks '%s' in\n%s", why, v);
}

/* No verdict of detector id ranks above info. */
void cov_quiet(const char *id)
{
	const char *v;
	size_t i;

	for (i = 0; (v = tu_find(&cov_T, id, i)) != NULL; i++)
		ck_assert_msg(strcmp(tu_json_get(v, "severity"), "info") == 0,
			      "%s ranks above info:\n%s", id, v);
}
