/* The detector suites' fixture (detector_fixture.c). */
#ifndef KAG_DETECTOR_FIXTURE_H
#define KAG_DETECTOR_FIXTURE_H

#include "testutil.h"

/* the verdicts of the last cov_judge() */
extern tu_ctx cov_T;

/* Check fixture teardown: frees the context and the stream. */
void cov_teardown(void);
/* One audit event at second t of a minute: who (username, then the
 * groups as a JSON list body or ""), from where, with which client, and
 * the rest of the record. ' stands for " to keep the events readable. */
void cov_event(const char *user, const char *groups, const char *ip, const char *ua,
	       const char *verb, int t, const char *rest);
/* Judge the events written since the last call. */
void cov_judge(void);
/* The n-th verdict of detector id, which must exist. */
const char *cov_nth(const char *id, size_t n);
/* The member at path of verdict v is want. */
void cov_has(const char *v, const char *path, const char *want);
/* assessment, severity and a fragment of the reason */
void cov_is(const char *v, const char *assessment, const char *severity, const char *why);
/* No verdict of detector id ranks above info. */
void cov_quiet(const char *id);

#endif
