/* A detector's documentation (kag-triage --list-detectors), written from
 * its definition: the decisive fields, level and ATT&CK techniques it
 * states once, between the paragraphs of prose it adds. */
#include <string.h>

#include "detector-private.h"

#define DOC_WIDTH 78

/* "label: text", the text broken at spaces into lines of at most
 * DOC_WIDTH columns, continued with two spaces; nothing when text is NULL.
 * Lines after the first of b are started with a newline. */
static void put_paragraph(kag_buf *b, const char *label, const char *text)
{
	size_t col = strlen(label) + 2;
	int space = 0;

	if (!text)
		return;
	if (b->len)
		kag__buf_putc(b, '\n');
	kag__buf_puts(b, label);
	kag__buf_puts(b, ": ");
	while (*text) {
		size_t n;

		if (*text == ' ') {
			space = 1;
			text++;
			continue;
		}
		n = strcspn(text, " ");
		if (space && col + 1 + n > DOC_WIDTH) {
			kag__buf_puts(b, "\n  ");
			col = 2;
		} else if (space) {
			kag__buf_putc(b, ' ');
			col++;
		}
		kag__buf_put(b, text, n);
		col += n;
		text += n;
		space = 0;
	}
}

/* "label: " and the text of a line written into t, wrapped; t is
 * disposed of. */
static void put_line(kag_buf *b, const char *label, kag_buf *t)
{
	kag__buf_terminate(t);
	if (t->oom)
		b->oom = 1;
	else
		put_paragraph(b, label, t->data);
	kag__buf_dispose(t);
}

static void put_fields(kag_buf *b, const kag__detector_def *d)
{
	kag_buf t;
	size_t i;

	kag__buf_init(&t);
	for (i = 0; i < d->n_required; i++) {
		if (i)
			kag__buf_puts(&t, ", ");
		kag__buf_puts(&t, kag_field_name(d->required[i]));
	}
	if (d->needs_outcome)
		kag__buf_puts(&t, i ? ", outcome" : "outcome");
	kag__buf_puts(&t, i || d->needs_outcome ? " (absent => needs_context)" : "none");
	if (d->about.fields) {
		kag__buf_puts(&t, "; ");
		kag__buf_puts(&t, d->about.fields);
	}
	put_line(b, "decisive fields", &t);
}

static void put_level(kag_buf *b, const kag__detector_def *d)
{
	const char *body = NULL;
	kag_buf t;

	if (d->min_level >= KAG_LEVEL_REQUEST_RESPONSE)
		body = "without the response body: needs_context";
	else if (d->min_level >= KAG_LEVEL_REQUEST)
		body = "without the request body: needs_context";
	kag__buf_init(&t);
	kag__buf_puts(&t, kag_level_name(d->min_level));
	if (body || d->about.level) {
		kag__buf_puts(&t, " (");
		kag__buf_puts(&t, body ? body : "");
		kag__buf_puts(&t, body && d->about.level ? "; " : "");
		kag__buf_puts(&t, d->about.level ? d->about.level : "");
		kag__buf_putc(&t, ')');
	}
	put_line(b, "level", &t);
}

static int same_case(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The techniques, those reported in the same case together:
 * "T1528, T1552.007 (tokens); T1649, T1098.006 (certificates)". */
static void put_attack(kag_buf *b, const kag__detector_def *d)
{
	const kag__technique *a = d->attack;
	kag_buf t;
	size_t i;

	kag__buf_init(&t);
	for (i = 0; a && a[i].id; i++) {
		if (i)
			kag__buf_puts(&t, same_case(a[i - 1].when, a[i].when) ? ", " : "; ");
		kag__buf_puts(&t, a[i].id);
		if (a[i].when && !(a[i + 1].id && same_case(a[i].when, a[i + 1].when))) {
			kag__buf_puts(&t, " (");
			kag__buf_puts(&t, a[i].when);
			kag__buf_putc(&t, ')');
		}
	}
	if (!i)
		kag__buf_puts(&t, "none");
	put_line(b, "ATT&CK", &t);
}

void kag__detector_facts(kag_buf *b, const kag__detector_def *d)
{
	put_fields(b, d);
	put_level(b, d);
	put_attack(b, d);
}

void kag__detector_doc(kag_buf *b, const kag__detector_def *d)
{
	const kag__detector_about *a = &d->about;

	put_paragraph(b, "finds", a->finds);
	kag__detector_facts(b, d);
	put_paragraph(b, "severity", a->severity);
	put_paragraph(b, "never", a->never);
	put_paragraph(b, "false positives", a->false_positives);
	put_paragraph(b, "peer rules", a->peers);
}
