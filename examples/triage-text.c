/* kag-triage --output=text (triage-text.h). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "triage-text.h"

#define N_SEVERITIES 5 /* KAG_SEVERITY_INFO .. _CRITICAL */

/* The columns. Rows are held as cells separated by tabs (cells never hold
 * control characters); the widths are the widest cell seen, up to a cap
 * past which a cell is cut with "...", so the table is aligned when it is
 * written out. The reason, last, is never cut. */
enum { C_TIME, C_SEVERITY, C_DETECTOR, C_USER, C_OUTCOME, C_SOURCE, N_COLUMNS };
static const char *const headers[N_COLUMNS] = { "TIME", "SEVERITY", "DETECTOR", "USER",
						"OUTCOME", "SOURCE" };
static const size_t caps[N_COLUMNS] = { 32, 8, 40, 40, 11, 80 };

struct triage_text {
	FILE *rows[N_SEVERITIES + 1]; /* one per severity; errors last */
	size_t width[N_COLUMNS];
};

int triage_text_new(struct triage_text **out)
{
	struct triage_text *tt = calloc(1, sizeof(*tt));
	int i;

	*out = NULL;
	if (!tt) {
		fprintf(stderr, "kag-triage: out of memory\n");
		return -1;
	}
	for (i = 0; i <= N_SEVERITIES; i++) {
		if (!(tt->rows[i] = tmpfile())) {
			fprintf(stderr, "kag-triage: --output=text: no temporary file: %s\n",
				strerror(errno));
			triage_text_free(tt);
			return -1;
		}
	}
	for (i = 0; i < N_COLUMNS; i++)
		tt->width[i] = strlen(headers[i]);
	*out = tt;
	return 0;
}

void triage_text_free(struct triage_text *tt)
{
	int i;

	if (!tt)
		return;
	for (i = 0; i <= N_SEVERITIES; i++)
		if (tt->rows[i])
			fclose(tt->rows[i]);
	free(tt);
}

/* Text as it is held: control characters (tabs and line ends among
 * them) as '?', so that a row stays one line of tab-separated cells. */
static size_t put_clean(FILE *f, const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
	return n;
}

/* Cell i of a row being held, and its width counted. */
static void cell(struct triage_text *tt, FILE *f, int i, const char *s)
{
	size_t n = put_clean(f, s);

	if (n > tt->width[i])
		tt->width[i] = n < caps[i] ? n : caps[i];
	fputc('\t', f);
}

/* A cell written out: padded to w, or cut to w with "..." at the end (keep
 * the head) or at the start for the source (keep the file's end and the
 * line). */
static void out_cell(FILE *out, const char *s, size_t n, size_t w, int keep_tail)
{
	size_t i, from = 0, len = n;
	int cut = n > w;

	if (cut) {
		len = w - 3;
		from = keep_tail ? n - len : 0;
		if (keep_tail)
			fputs("...", out);
	}
	fwrite(s + from, 1, len, out);
	if (cut && !keep_tail)
		fputs("...", out);
	for (i = cut ? w : n; i < w; i++)
		fputc(' ', out);
	fputc(' ', out);
}

static const char *str_at(json_t *root, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(root, a);

	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_is_string(v) ? json_string_value(v) : "-";
}

static int written(FILE *f)
{
	if (ferror(f)) {
		fprintf(stderr, "kag-triage: --output=text: temporary file: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

int triage_text_verdict(struct triage_text *tt, const kag_verdict *v)
{
	int sev = kag_verdict_severity(v);
	FILE *f = tt->rows[sev >= 0 && sev < N_SEVERITIES ? sev : 0];
	size_t len;
	const char *json = kag_verdict_json(v, &len);
	json_t *root = json_loadb(json, len, 0, NULL);
	const char *src = kag_verdict_source(v);
	uint64_t reps = kag_verdict_repeat_count(v), corr = kag_verdict_correlation_count(v);

	if (!root) {
		fprintf(stderr, "kag-triage: out of memory\n");
		return -1;
	}
	cell(tt, f, C_TIME, str_at(root, "event", "time", NULL));
	cell(tt, f, C_SEVERITY, kag_severity_name(sev));
	cell(tt, f, C_DETECTOR, kag_verdict_detector(v));
	cell(tt, f, C_USER, str_at(root, "evidence", "user", "username"));
	cell(tt, f, C_OUTCOME, kag_outcome_name(kag_verdict_outcome(v)));
	cell(tt, f, C_SOURCE, *src ? src : "-");
	if (kag_verdict_assessment(v) != KAG_ASSESSMENT_SUSPICIOUS) {
		/* suspicious is what a table is read for; others say what they are */
		fputc('[', f);
		fputs(kag_assessment_name(kag_verdict_assessment(v)), f);
		fputs("] ", f);
	}
	put_clean(f, kag_verdict_reason(v));
	if (corr)
		fprintf(f, " (%llu events correlated)", (unsigned long long)corr);
	if (reps)
		fprintf(f, " (repeated %llu more times in the window)", (unsigned long long)reps);
	fputc('\n', f);
	json_decref(root);
	return written(f);
}

int triage_text_error(struct triage_text *tt, const char *source, unsigned long long line,
		      int code, const char *path, const char *message)
{
	FILE *f = tt->rows[N_SEVERITIES];
	char where[512];

	snprintf(where, sizeof(where), "%s:%llu", *source ? source : "-", line);
	cell(tt, f, C_TIME, "-");
	cell(tt, f, C_SEVERITY, "ERROR");
	cell(tt, f, C_DETECTOR, kag_error_name(code));
	cell(tt, f, C_USER, "-");
	cell(tt, f, C_OUTCOME, "-");
	cell(tt, f, C_SOURCE, where);
	if (*path) {
		put_clean(f, path);
		fputs(": ", f);
	}
	put_clean(f, message);
	fputc('\n', f);
	return written(f);
}

int triage_text_error_summary(struct triage_text *tt, int code, unsigned long long held,
			      unsigned long long seen, const char *message)
{
	FILE *f = tt->rows[N_SEVERITIES];

	cell(tt, f, C_TIME, "-");
	cell(tt, f, C_SEVERITY, "ERRORS");
	cell(tt, f, C_DETECTOR, code ? kag_error_name(code) : "-");
	cell(tt, f, C_USER, "-");
	cell(tt, f, C_OUTCOME, "-");
	cell(tt, f, C_SOURCE, "-");
	fprintf(f, "%llu of %llu records held back, like: ", held, seen);
	put_clean(f, message);
	fputc('\n', f);
	return written(f);
}

/* One held row (without its line end) written out aligned. */
static void out_row(const struct triage_text *tt, FILE *out, char *row)
{
	int i;

	for (i = 0; i < N_COLUMNS; i++) {
		char *tab = strchr(row, '\t');
		size_t n = tab ? (size_t)(tab - row) : strlen(row);

		out_cell(out, row, n, tt->width[i], i == C_SOURCE);
		row += tab ? n + 1 : n;
	}
	fputs(row, out);
	fputc('\n', out);
}

int triage_text_write(struct triage_text *tt, FILE *out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int i, rc = 0;

	for (i = 0; i < N_COLUMNS; i++)
		out_cell(out, headers[i], strlen(headers[i]), tt->width[i], 0);
	fputs("REASON\n", out);
	/* critical first; the errors after the verdicts */
	for (i = N_SEVERITIES - 1; i >= -1 && !rc; i--) {
		FILE *f = tt->rows[i < 0 ? N_SEVERITIES : i];

		rewind(f);
		while ((n = getline(&line, &cap, f)) > 0) {
			if (line[n - 1] == '\n')
				line[n - 1] = '\0';
			out_row(tt, out, line);
		}
		if (ferror(f)) {
			fprintf(stderr, "kag-triage: --output=text: temporary file: %s\n",
				strerror(errno));
			rc = -1;
		}
	}
	free(line);
	return ferror(out) ? -1 : rc;
}
