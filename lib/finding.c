/* Findings: what a detector reports before it becomes a verdict. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "finding-private.h"
#include "redact-private.h"

void kag__report(kag_finding *f, int assessment, int severity, int confidence,
		 const char *fmt, ...)
{
	va_list ap;

	f->reported = 1;
	f->assessment = assessment;
	f->severity = severity;
	f->confidence = confidence;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

/* Copy src into dst of size bytes (size > 0), cut to fit and always
 * NUL-terminated. */
static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void kag__finding_attack(kag_finding *f, const char *technique)
{
	size_t i;

	for (i = 0; i < f->n_attack; i++)
		if (strcmp(f->attack[i], technique) == 0)
			return;
	if (f->n_attack < KAG__MAX_ATTACK)
		copy_cut(f->attack[f->n_attack++], sizeof(f->attack[0]), technique);
}

void kag__finding_weaker(kag_finding *f, int field)
{
	if (f->confidence > KAG_CONFIDENCE_LOW)
		f->confidence--;
	if (field >= 0 && f->n_missing < KAG__MAX_FIELDS)
		f->missing[f->n_missing++] = field;
}

const char *kag__show(const kag_event *ev, int field, char *buf, size_t size)
{
	size_t n, i;

	if (!kag__usable(ev, field)) {
		copy_cut(buf, size, "?");
		return buf;
	}
	n = ev->str[field].len < size - 1 ? ev->str[field].len : size - 1;
	/* reasons name the path only: the query and a fragment may carry
	 * credentials */
	if (field == KAG_FIELD_REQUEST_URI)
		n = kag__uri_path_len(ev->str[field].ptr, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)ev->str[field].ptr[i];

		buf[i] = c >= 0x20 && c != 0x7f ? (char)c : '?';
	}
	buf[n] = '\0';
	return buf;
}

void kag__extra_key(kag_finding *f, const char *key)
{
	if (f->extra->len)
		kag__buf_putc(f->extra, ',');
	kag__buf_put_json_str(f->extra, key, strlen(key));
	kag__buf_putc(f->extra, ':');
}

int kag_finding_report(kag_finding *f, int assessment, int severity, int confidence,
		       const char *reason)
{
	if (!f || assessment < KAG_ASSESSMENT_BENIGN || assessment > KAG_ASSESSMENT_NEEDS_CONTEXT ||
	    severity < KAG_SEVERITY_INFO || severity > KAG_SEVERITY_CRITICAL ||
	    confidence < KAG_CONFIDENCE_LOW || confidence > KAG_CONFIDENCE_HIGH)
		return KAG_EINVAL;
	f->reported = 1;
	f->assessment = assessment;
	f->severity = severity;
	f->confidence = confidence;
	copy_cut(f->reason, sizeof(f->reason), reason ? reason : "");
	return KAG_OK;
}

int kag_finding_add_attack(kag_finding *f, const char *technique)
{
	size_t n;

	if (!f || !technique)
		return KAG_EINVAL;
	n = strlen(technique);
	if (n == 0 || n >= sizeof(f->attack[0]))
		return KAG_EINVAL;
	if (f->n_attack >= KAG__MAX_ATTACK)
		return KAG_ELIMIT;
	kag__finding_attack(f, technique);
	return KAG_OK;
}
