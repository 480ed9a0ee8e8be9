/*
 * kag-triage --output=text: verdicts as a table with aligned columns (time,
 * severity, detector, user, outcome, source, reason), the most severe
 * first and, within a severity, in the order they were judged. Rows are
 * held in temporary files, one per severity, so memory stays constant
 * whatever the length of the input; rejected records follow the verdicts.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef KAG_TRIAGE_TEXT_H
#define KAG_TRIAGE_TEXT_H

#include <stdio.h>

#include <kag.h>

struct triage_text;

/* 0, or -1 after printing why (no temporary file). */
int triage_text_new(struct triage_text **out);
void triage_text_free(struct triage_text *tt);

/* One verdict as a row. 0, or -1 on a write error (printed). */
int triage_text_verdict(struct triage_text *tt, const kag_verdict *v);
/* One rejected record (source, line, code, JSON pointer, message). */
int triage_text_error(struct triage_text *tt, const char *source, unsigned long long line,
		      int code, const char *path, const char *message);
/* A summary of error records held back. */
int triage_text_error_summary(struct triage_text *tt, int code, unsigned long long held,
			      unsigned long long seen, const char *message);

/* Print the header and every row to out, most severe first. 0, or -1. */
int triage_text_write(struct triage_text *tt, FILE *out);

#endif
