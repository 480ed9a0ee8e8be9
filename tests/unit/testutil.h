/* Shared helpers for the Check suites. */
#ifndef KAG_TESTUTIL_H
#define KAG_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "kag.h"

/* Everything needed to judge a stream in a test. */
typedef struct {
	kag_registry *reg;
	kag_session *sess;
	kag_parser *parser;
	/* verdict JSON lines of the last tu_judge() call, newline separated */
	char *out;
	size_t out_len;
	size_t n_verdicts;
	size_t n_events;
	size_t n_errors;
	int last_error;          /* last parser error code, 0 if none */
	char last_message[512];  /* its message */
	char **lines;            /* each verdict JSON line */
	char **errors;           /* "CODE line N: message" per rejected record */
} tu_ctx;

/* New context over a sealed default registry, benign verdicts included. */
void tu_init(tu_ctx *t);
/* Same, with a registry the caller built (sealed here if needed). */
void tu_init_registry(tu_ctx *t, kag_registry *reg);
void tu_free(tu_ctx *t);

/* Feed `data` (len bytes, or strlen if len == (size_t)-1), finish, judge
 * every event, flush the session. Accumulates verdicts and errors. */
void tu_judge(tu_ctx *t, const char *data, size_t len);
/* Same, from a file under KAG_TEST_DATA (relative path). */
void tu_judge_file(tu_ctx *t, const char *relpath);

/* The n-th verdict line (0-based) whose detector is `detector`, or NULL. */
const char *tu_find(const tu_ctx *t, const char *detector, size_t nth);
/* Number of verdicts from `detector`. */
size_t tu_count(const tu_ctx *t, const char *detector);
/* The same for alerts: suspicious or malicious verdicts above info (what
 * kag-triage writes by default; needs_context counts too). */
const char *tu_find_alert(const tu_ctx *t, const char *detector, size_t nth);
size_t tu_count_alerts(const tu_ctx *t, const char *detector);

/* Read a JSON member by path ("evidence.user.username", "missing"; an
 * array's item by its index, "evidences.0.api") from a verdict line,
 * dumped compactly into a static buffer; NULL if absent. */
const char *tu_json_get(const char *line, const char *path);
/* 1 if the JSON array at `path` contains the string `value`. */
int tu_json_array_has(const char *line, const char *path, const char *value);

/* Item i of a list field, and pair i of a pair field, are these strings. */
void tu_expect_item(const kag_event *ev, int field, size_t i, const char *want);
void tu_expect_pair(const kag_event *ev, int field, size_t i, const char *key, const char *val);

/* A detector callback that reports every event (suspicious, low, high
 * confidence, "any event"), so that each event's evidence is rendered. */
int tu_any_event(kag_finding *f, const kag_event *ev, int outcome, void *user_data);

/* Read a whole file into a malloc'd buffer (NUL-terminated). */
char *tu_read_file(const char *path, size_t *len_out);
/* Same, for a path relative to KAG_TEST_DATA. */
char *tu_read_data_file(const char *relpath, size_t *len_out);

/* Every file under KAG_TEST_DATA, as paths relative to it in sorted order;
 * the provenance notes (*.md) only when `notes` is set. Free the list with
 * tu_free_files(). */
char **tu_data_files(size_t *n_out, int notes);
void tu_free_files(char **files, size_t n);

/* Run suite s (Check's default fork mode and output); the exit status of
 * a suite's main: 0 when every test passed. */
int tu_run(Suite *s);

/* A growing text buffer, NUL-terminated once written to; free(t.s). */
typedef struct {
	char *s;
	size_t len, cap;
} tu_text;

/* Append s[0, n) to t. */
void tu_put(tu_text *t, const char *s, size_t n);

/* Checks for loops that make hundreds of thousands of them. Check notes
 * the place of every passing ck_assert_*() with a write() to its results
 * file, which then costs more than the code under test (much more under
 * valgrind); these call into Check only when the check fails, and then
 * say where, what, and the values. */
#define TU_REQUIRE(cond)                                                          \
	do {                                                                      \
		if (!(cond))                                                      \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond);     \
	} while (0)
#define TU_REQUIRE_MSG(cond, ...)                                                 \
	do {                                                                      \
		if (!(cond))                                                      \
			ck_abort_msg(__VA_ARGS__);                                \
	} while (0)
#define TU_REQUIRE_INT_EQ(x, y)                                                   \
	do {                                                                      \
		intmax_t tu_x_ = (intmax_t)(x), tu_y_ = (intmax_t)(y);            \
		if (tu_x_ != tu_y_)                                               \
			ck_abort_msg("%s:%d: %s == %s: %jd != %jd", __FILE__,      \
				     __LINE__, #x, #y, tu_x_, tu_y_);             \
	} while (0)

#endif
