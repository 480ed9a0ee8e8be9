/* Verdict records: built once from a finding and its event, then read by
 * accessors or as one line of JSON. */
#ifndef KAG_VERDICT_PRIVATE_H
#define KAG_VERDICT_PRIVATE_H

#include "cluster-private.h"
#include "coverage-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "gate-private.h"
#include "record-id-private.h"

/* The schemas kag_verdict_render() writes besides kag's own record. */
#define KAG__N_RENDERS 2

/* A token of a verdict's JSON record, as render.c reads it: its span in
 * the text, and the token after it and all it holds. */
typedef struct {
	uint32_t start, end, next;
	unsigned char type;
} kag__jtok;

struct kag_verdict {
	const char *detector;   /* borrowed from the registry */
	const char *title;      /* the detector's title, borrowed likewise */
	int assessment, outcome, severity, confidence;
	uint64_t corr_count;
	uint64_t repeat_count;  /* a repeat window's aggregate: repeats counted */
	uint64_t repeat_key;    /* 0: never counted as a repeat (correlations) */
	int baseline;           /* a benign verdict of a baseline (benign-only)
				 * detector: it stands down when another
				 * verdict on the request is an alert */
	int64_t time_us;
	char id[KAG__RECORD_ID_LEN + 1]; /* the stable id (record_id.c) */
	size_t id_off;          /* where its digits sit in the JSON text */
	kag_buf buf;            /* JSON text, then NUL-terminated strings */
	size_t json_len, evidence_off, evidence_len;
	size_t reason_off, audit_off, source_off;
	size_t n_attack;
	size_t attack_off[KAG__MAX_ATTACK];
	size_t n_missing;
	const char *missing[KAG__MAX_FIELDS * 2];
	size_t n_inferred;
	const char *inferred[KAG__FIELD_COUNT];
	/* kag_verdict_render()'s OCSF and ECS texts, made when first asked
	 * (render.c); a bit of `rendered` per schema says which are current */
	kag_buf render[KAG__N_RENDERS];
	unsigned rendered;
	kag__jtok *tok;         /* the record's tokens while rendering */
	size_t tok_cap;
	kag__coverage_note cov; /* held at RequestReceived: what it adds to
				 * coverage when released (entry 0: nothing) */
	kag_verdict *next;      /* pool, result and pending lists */
};

typedef struct {
	const kag__detector_def *def;
	const kag_event *ev;
	const kag_finding *f;
	const kag__gate_result *gate;
	int include_bodies;
	const struct kag__cluster *cluster;  /* the registry's, or NULL */
} kag__verdict_input;

/* Build v from a finding (or a failed gate). */
int kag__verdict_build(kag_verdict *v, const kag__verdict_input *in);

/* Free what v holds (not v). */
void kag__verdict_dispose(kag_verdict *v);

/* The name kag's own record gives its schema ("schema" member). */
#define KAG__RECORD_SCHEMA "kag/1"

/* Make v a repeat window's aggregate: add "repeats":{"count":N,"first":..,
 * "last":..} to its JSON (times in microseconds, 0: null). */
int kag__verdict_add_repeats(kag_verdict *v, uint64_t count, int64_t first_us,
			     int64_t last_us);

/* Evidence writer (output module). */
/* A string field as a JSON string, or null when absent. */
void kag__put_str_or_null(kag_buf *b, const kag_event *ev, int field);
int kag__render_evidence(kag_buf *b, const kag_event *ev, const kag_finding *f,
			 int include_bodies);

#endif
