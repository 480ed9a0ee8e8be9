/* Shared helpers for the Check suites. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

void tu_init_registry(tu_ctx *t, kag_registry *reg)
{
	memset(t, 0, sizeof(*t));
	t->reg = reg;
	if (!kag_registry_is_sealed(reg))
		ck_assert_int_eq(kag_registry_seal(reg), KAG_OK);
	ck_assert_int_eq(kag_session_new(&t->sess, reg), KAG_OK);
	ck_assert_int_eq(kag_session_set_option_u64(t->sess, KAG_SOPT_EMIT_BENIGN, 1), KAG_OK);
	ck_assert_int_eq(kag_parser_new(&t->parser), KAG_OK);
}

void tu_init(tu_ctx *t)
{
	kag_registry *reg;

	ck_assert_int_eq(kag_registry_new(&reg), KAG_OK);
	tu_init_registry(t, reg);
}

static void free_lines(char **lines)
{
	size_t i;

	if (!lines)
		return;
	for (i = 0; lines[i]; i++)
		free(lines[i]);
	free(lines);
}

void tu_free(tu_ctx *t)
{
	kag_parser_free(t->parser);
	kag_session_free(t->sess);
	kag_registry_free(t->reg);
	free(t->out);
	free_lines(t->lines);
	free_lines(t->errors);
	memset(t, 0, sizeof(*t));
}

static char **push_line(char **lines, size_t *n, const char *s, size_t len)
{
	lines = realloc(lines, (*n + 2) * sizeof(char *));
	ck_assert_ptr_nonnull(lines);
	lines[*n] = malloc(len + 1);
	ck_assert_ptr_nonnull(lines[*n]);
	memcpy(lines[*n], s, len);
	lines[*n][len] = '\0';
	lines[++*n] = NULL;
	return lines;
}

static void collect(tu_ctx *t, const kag_result *res)
{
	size_t i;

	for (i = 0; i < kag_result_count(res); i++) {
		size_t len;
		const char *json = kag_verdict_json(kag_result_verdict(res, i), &len);

		ck_assert_ptr_nonnull(json);
		t->out = realloc(t->out, t->out_len + len + 2);
		ck_assert_ptr_nonnull(t->out);
		memcpy(t->out + t->out_len, json, len);
		t->out_len += len;
		t->out[t->out_len++] = '\n';
		t->out[t->out_len] = '\0';
		t->lines = push_line(t->lines, &t->n_verdicts, json, len);
	}
}

static void drain(tu_ctx *t)
{
	const kag_event *ev;
	const kag_result *res;
	int rc;

	while ((rc = kag_parser_next(&ev, t->parser)) != KAG_ITEROVER) {
		if (rc < 0) {
			char msg[700];
			size_t n = t->n_errors;

			t->last_error = rc;
			snprintf(t->last_message, sizeof(t->last_message), "%s",
				 kag_parser_error_message(t->parser));
			snprintf(msg, sizeof(msg), "%s line %llu: %s", kag_error_name(rc),
				 (unsigned long long)kag_parser_error_line(t->parser),
				 kag_parser_error_message(t->parser));
			t->errors = push_line(t->errors, &n, msg, strlen(msg));
			t->n_errors = n;
			continue;
		}
		t->n_events++;
		ck_assert_int_eq(kag_session_evaluate(&res, t->sess, ev), KAG_OK);
		collect(t, res);
	}
}

void tu_judge(tu_ctx *t, const char *data, size_t len)
{
	const kag_result *res;

	if (len == (size_t)-1)
		len = strlen(data);
	ck_assert_int_eq(kag_parser_reset(t->parser), KAG_OK);
	ck_assert_int_eq(kag_parser_feed(t->parser, data, len), KAG_OK);
	drain(t);
	ck_assert_int_eq(kag_parser_finish(t->parser), KAG_OK);
	drain(t);
	ck_assert_int_eq(kag_session_flush(&res, t->sess), KAG_OK);
	collect(t, res);
}

void tu_put(tu_text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		TU_REQUIRE(t->s != NULL);
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

char *tu_read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len_out)
		*len_out = (size_t)n;
	return buf;
}

char *tu_read_data_file(const char *relpath, size_t *len_out)
{
	char path[2048];

	ck_assert(snprintf(path, sizeof(path), "%s/%s", KAG_TEST_DATA, relpath) <
		  (int)sizeof(path));
	return tu_read_file(path, len_out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_files(const char *rel, int notes, char ***files, size_t *n)
{
	char dir[2048];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s%s%s", KAG_TEST_DATA, *rel ? "/" : "", rel);
	d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		char path[2048], sub[1024];
		struct stat st;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		ck_assert(snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name) <
			  (int)sizeof(sub));
		ck_assert(snprintf(path, sizeof(path), "%s/%s", KAG_TEST_DATA, sub) <
			  (int)sizeof(path));
		ck_assert_int_eq(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			add_files(sub, notes, files, n);
		} else if (S_ISREG(st.st_mode) &&
			   (notes || len <= 3 || strcmp(e->d_name + len - 3, ".md") != 0)) {
			*files = realloc(*files, (*n + 1) * sizeof(char *));
			ck_assert_ptr_nonnull(*files);
			(*files)[*n] = strdup(sub);
			ck_assert_ptr_nonnull((*files)[*n]);
			(*n)++;
		}
	}
	closedir(d);
}

char **tu_data_files(size_t *n_out, int notes)
{
	char **files = NULL;
	size_t n = 0;

	add_files("", notes, &files, &n);
	qsort(files, n, sizeof(char *), cmp_str);
	*n_out = n;
	return files;
}

void tu_free_files(char **files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

void tu_judge_file(tu_ctx *t, const char *relpath)
{
	size_t len;
	char *data;

	data = tu_read_data_file(relpath, &len);
	ck_assert_int_eq(kag_parser_set_source(t->parser, relpath), KAG_OK);
	tu_judge(t, data, len);
	free(data);
}

/* A verdict record starts {"id":"<32 hex digits>","schema":...: the
 * place past the id, or NULL when the record does not start so. */
static const char *past_id(const char *rec)
{
	size_t i;

	if (strncmp(rec, "{\"id\":\"", 7) != 0)
		return NULL;
	for (i = 7; i < 39; i++)
		if (!strchr("0123456789abcdef", rec[i]) || !rec[i])
			return NULL;
	return strncmp(rec + 39, "\",", 2) == 0 ? rec + 41 : NULL;
}

const char *tu_find(const tu_ctx *t, const char *detector, size_t nth)
{
	size_t i;
	char key[128];

	snprintf(key, sizeof(key), "\"detector\":\"%s\",", detector);
	for (i = 0; i < t->n_verdicts; i++) {
		const char *rest = past_id(t->lines[i]);

		ck_assert_msg(rest != NULL, "verdict record without a leading id: %.80s",
			      t->lines[i]);
		/* "schema" and, when named, "cluster" come between */
		if (strncmp(rest, "\"schema\":\"kag/1\",", 17) == 0)
			rest += 17;
		if (strncmp(rest, "\"cluster\":", 10) == 0)
			rest = strstr(rest, "}},") ? strstr(rest, "}},") + 3 : rest;
		if (strncmp(rest, key, strlen(key)) == 0 && nth-- == 0)
			return t->lines[i];
	}
	return NULL;
}

static size_t count_found(const char *(*find)(const tu_ctx *, const char *, size_t),
			  const tu_ctx *t, const char *detector)
{
	size_t n = 0;

	while (find(t, detector, n))
		n++;
	return n;
}

size_t tu_count(const tu_ctx *t, const char *detector)
{
	return count_found(tu_find, t, detector);
}

const char *tu_find_alert(const tu_ctx *t, const char *detector, size_t nth)
{
	const char *v;
	size_t i;

	for (i = 0; (v = tu_find(t, detector, i)) != NULL; i++)
		if (!strstr(v, "\"severity\":\"info\"") && !strstr(v, "\"assessment\":\"benign\"") &&
		    nth-- == 0)
			return v;
	return NULL;
}

size_t tu_count_alerts(const tu_ctx *t, const char *detector)
{
	return count_found(tu_find_alert, t, detector);
}

static json_t *walk(json_t *root, const char *path)
{
	char part[256];
	json_t *cur = root;

	while (cur && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		/* annotation keys contain dots: try the rest as one key first */
		if (json_is_object(cur) && json_object_get(cur, path))
			return json_object_get(cur, path);
		ck_assert_uint_lt(n, sizeof(part));
		memcpy(part, path, n);
		part[n] = '\0';
		if (json_is_array(cur))
			cur = part[0] >= '0' && part[0] <= '9' ? json_array_get(cur, strtoul(part, NULL, 10))
							       : NULL;
		else
			cur = json_is_object(cur) ? json_object_get(cur, part) : NULL;
		path = dot ? dot + 1 : path + n;
	}
	return cur;
}

const char *tu_json_get(const char *line, const char *path)
{
	static char buf[8192];
	json_error_t err;
	json_t *root = json_loads(line, 0, &err), *v;
	char *dump;

	ck_assert_msg(root != NULL, "verdict is not JSON: %s (%s)", err.text, line);
	v = walk(root, path);
	if (!v) {
		json_decref(root);
		return NULL;
	}
	if (json_is_string(v)) {
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	} else {
		dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(buf, sizeof(buf), "%s", dump);
		free(dump);
	}
	json_decref(root);
	return buf;
}

int tu_json_array_has(const char *line, const char *path, const char *value)
{
	json_error_t err;
	json_t *root = json_loads(line, 0, &err), *arr, *v;
	size_t i;
	int found = 0;

	ck_assert_msg(root != NULL, "verdict is not JSON: %s", err.text);
	arr = walk(root, path);
	if (json_is_array(arr)) {
		json_array_foreach(arr, i, v) {
			if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
				found = 1;
		}
	}
	json_decref(root);
	return found;
}

void tu_expect_item(const kag_event *ev, int field, size_t i, const char *want)
{
	const char *s;
	size_t len;

	ck_assert_int_eq(kag_event_get_item(&s, &len, ev, field, i), KAG_OK);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert(memcmp(s, want, len) == 0);
}

void tu_expect_pair(const kag_event *ev, int field, size_t i, const char *key, const char *val)
{
	const char *k, *v;
	size_t klen, vlen;

	ck_assert_int_eq(kag_event_get_pair(&k, &klen, &v, &vlen, ev, field, i), KAG_OK);
	ck_assert_uint_eq(klen, strlen(key));
	ck_assert(memcmp(k, key, klen) == 0);
	ck_assert_uint_eq(vlen, strlen(val));
	ck_assert(memcmp(v, val, vlen) == 0);
}

int tu_any_event(kag_finding *f, const kag_event *ev, int outcome, void *user_data)
{
	(void)ev;
	(void)outcome;
	(void)user_data;
	return kag_finding_report(f, KAG_ASSESSMENT_SUSPICIOUS, KAG_SEVERITY_LOW,
				  KAG_CONFIDENCE_HIGH, "any event");
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
