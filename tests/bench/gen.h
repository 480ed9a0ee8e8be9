/*
 * Deterministic generator of a realistic Kubernetes audit stream (JSON lines)
 * for the benchmark: mostly control-plane reconciliation, some human and CI
 * activity, and a little of what the detectors look for.
 */
#ifndef KAG_BENCH_GEN_H
#define KAG_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>

/* Kinds of request in the mix (one request may give two lines). */
enum bench_kind {
	BK_LEASE,          /* node and leader-election lease renewals */
	BK_ENDPOINTS,      /* endpoints / endpointslices reconciliation */
	BK_EVENTS,         /* core events created and patched */
	BK_CONFIGMAP,      /* configmap reads by system components */
	BK_LIST_WATCH,     /* list and watch by nodes and controllers */
	BK_CONTROLLER,     /* status updates, gets, patches by controllers */
	BK_HUMAN_READ,     /* kubectl / helm reads by people and CI */
	BK_POD_CREATE,     /* pods created by controllers and people */
	BK_SECRET_READ,    /* secret reads outside the control plane */
	BK_DENIED,         /* 403s */
	BK_EXEC,           /* pods/exec */
	BK_RBAC_CHANGE,    /* role bindings created or changed */
	BK_IMPERSONATE,    /* requests with impersonatedUser */
	BK_COUNT_
};

struct bench_stream {
	char *data;
	size_t len, cap;
	size_t lines;                 /* audit events written (one per line) */
	size_t requests[BK_COUNT_];   /* requests of each kind */
	size_t levels[4];             /* lines per level: 1 Metadata .. 3 RequestResponse */
	size_t request_received;      /* lines at stage RequestReceived */
};

/* Append n_lines audit events generated from seed to s (zeroed or freshly
 * freed). Returns 0, or -1 when out of memory. The same seed and count give
 * the same bytes on every platform. */
int bench_generate(struct bench_stream *s, size_t n_lines, uint64_t seed);

/* The same stream produced piecewise, for streams too large to hold: after
 * bench_gen_init(), each bench_gen_fill() appends whole lines to the stream
 * until its length reaches min_len or every line is written. The caller may
 * empty the buffer between calls (s->len = 0; the counters keep counting):
 * the concatenated pieces are the bytes bench_generate() gives. Returns 1
 * while lines remain, 0 when done, -1 when out of memory. */
struct bench_gen {
	struct bench_stream *s;
	uint64_t rng;
	int64_t now_us;
	int with_received;   /* the next request also logs RequestReceived */
	int failed;
	size_t target;       /* s->lines when done */
};

void bench_gen_init(struct bench_gen *g, struct bench_stream *s, size_t n_lines, uint64_t seed);
int bench_gen_fill(struct bench_gen *g, size_t min_len);

void bench_stream_free(struct bench_stream *s);

const char *bench_kind_name(int kind);

#endif
