/* Files of the tools: policy, rules and address lists read into a
 * registry, and the baseline file of kag-triage and the collectors: read at start, written
 * back atomically (a temporary file in the same directory, flushed to
 * disk, then renamed over the old one, so a crash leaves the old file or
 * the new one, never half of one). */
#ifndef KAG_EXAMPLES_BASELINE_FILE_H
#define KAG_EXAMPLES_BASELINE_FILE_H

#include <kag.h>

/* Read the whole of path (at most max bytes) into a malloc'ed *buf.
 * Returns 0, or -1 with errno set (EFBIG: larger than max). */
int tool_read_file(const char *path, size_t max, char **buf, size_t *len);

/* write(2) all of p[0, n), resuming after signals. 0, or -1 (errno). */
int tool_write_all(int fd, const char *p, size_t n);

/* Load a policy (load: kag_registry_load_policy) or rules file
 * (kag_registry_load_rules) into reg, or with load NULL an address list
 * for known_bad_source named after the file's base name (the name the
 * evidence gives). Returns 0, or -1 after printing "<prog>: <path>: ..."
 * with the library's error name and message (which names the JSON pointer
 * of the offending value or the line). */
int tool_load_registry_file(kag_registry *reg, const char *prog, const char *path,
			    int (*load)(kag_registry *, const char *, size_t));

/* Load path into b. A missing file is an empty baseline when
 * may_be_absent (a first --learn run). Returns 0, or -1 after printing
 * "<prog>: <path>: <reason>" on stderr. */
int baseline_file_load(kag_baseline *b, const char *prog, const char *path,
		       int may_be_absent);

/* Save b to path atomically. Returns 0, or -1 after printing why. */
int baseline_file_save(const kag_baseline *b, const char *prog, const char *path);

#endif
