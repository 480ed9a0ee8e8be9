/*
 * kag-webhook: judge audit events posted over HTTPS, as the kube-apiserver's
 * audit webhook backend, Fluent Bit's http output or Vector's http sink
 * post them.
 *
 *   kag-webhook --tls-cert=FILE --tls-key=FILE [options]
 *   kag-webhook --insecure-http --listen=127.0.0.1:PORT [options]
 *
 * Plain HTTP is never a default: --insecure-http must be asked for, and
 * then listens on a loopback address only (behind a TLS proxy on the same
 * host or in the same pod).
 *
 * HTTP is libmicrohttpd's, TLS is GnuTLS's. A POST to one of the --path
 * paths (default /audit) carries one body: an EventList (the apiserver), a
 * JSON array of events (Fluent Bit `Format json`, Vector's json codec) or
 * NDJSON (Fluent Bit `json_lines`, Vector newline_delimited framing), any
 * shape kag-triage reads. Each body is judged whole as one message, with
 * "http:<path>#<post number>" as the source of its error records, by ONE
 * judging thread that owns the one session: correlation (stage
 * de-duplication, bursts, repeats) spans posts from every client.
 *
 * Acknowledgement. A post is answered 200 only after its verdict records
 * have been handed to the kernel (write(2) to --output or stdout): the
 * connection is suspended (MHD_suspend_connection) until the judging thread
 * is done with its body. So a crash never loses a batch that was answered
 * 200; a batch whose records were written but whose answer was lost (a
 * crash in between, a dropped connection) is sent again by the client and
 * judged twice (at-least-once; verdict ids let a reader de-duplicate).
 *
 * Answers to a post:
 *   200  judged, records written (also a body with some bad records: the
 *        good ones were judged, the bad ones are error records)
 *   400  no event in the body and at least one record rejected (malformed
 *        JSON, not an audit record): it can never be judged, so it must
 *        not be retried; the error records name it
 *   401  bearer token missing or wrong (--token-file), WWW-Authenticate
 *   403  client certificate missing or not valid (--client-ca)
 *   404  unknown path, 405 method other than POST (Allow: POST)
 *   413  body longer than --max-body (by Content-Length, or while read)
 *   415  Content-Type other than application/json, application/x-ndjson,
 *        application/jsonl (parameters such as charset are ignored)
 *   429  the queue is full (--queue batches or --queue-bytes body bytes),
 *        with Retry-After: 1: the apiserver and both collectors retry
 *   503  shutting down, with Retry-After: 1 and Connection: close
 *   500  the output could not be written (the program then stops)
 * Every refusal with 400 to 415 is written as an error record (never
 * quoting the body, a header or the path); 429 and 503 are not, as the
 * client sends the batch again. Each answer counts in
 * kag_http_responses_total{code}. A refused body is read and dropped up to
 * twice --max-body before the answer, for clients that read the answer
 * only once they have sent the whole body; a longer one is answered at
 * once and the connection closed.
 *
 * GET /healthz: 200 "ok", 503 while shutting down; no authentication.
 * GET /metrics: the Prometheus text exposition; the same authentication as
 * posts (Prometheus sends a client certificate and a bearer token).
 *
 * SIGTERM, SIGINT: stop accepting connections (MHD_quiesce_daemon); posts
 * already queued are judged and answered 200, posts that arrive on open
 * connections meanwhile are answered 503; wait for the answers to go out
 * (at most --shutdown-timeout seconds), flush the session (requests seen
 * only at RequestReceived, error summaries), save the baseline with
 * --learn, exit 0. SIGHUP reopens --output=FILE (logrotate). A record cut
 * short by a kill -9 at the end of the output gets its line ended when the
 * file is opened again.
 *
 * Exit status: 0 after a termination signal, 1 when it cannot start (TLS
 * files, address in use) or the output cannot be written, 2 on a usage
 * error.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include <kag.h>

#include "baseline-file.h"
#include "collector.h"
#include "metrics.h"
#include "webhook-queue.h"

#define PROG "kag-webhook"
#define WEBHOOK_MAX_PATHS 16
#define WEBHOOK_DEFAULT_LISTEN "127.0.0.1:9443"
#define WEBHOOK_DEFAULT_MAX_BODY (16u << 20)
#define WEBHOOK_DEFAULT_QUEUE 64
#define WEBHOOK_DEFAULT_QUEUE_BYTES (256u << 20)
#define WEBHOOK_DEFAULT_THREADS 2
#define WEBHOOK_DEFAULT_CONNECTIONS 256
#define WEBHOOK_DEFAULT_TIMEOUT 60
#define WEBHOOK_DEFAULT_SHUTDOWN 30
#define WEBHOOK_CHUNKED_START (64u << 10)

/* The answers counted by code (kag_http_responses_total). */
static const unsigned answer_codes[] = { 200, 400, 401, 403, 404, 405, 413, 415, 429,
					 500, 503 };
#define N_CODES (sizeof(answer_codes) / sizeof(answer_codes[0]))

struct webhook {
	/* options */
	struct collector_options copt;
	const char *listen;
	const char *paths[WEBHOOK_MAX_PATHS];
	size_t npaths;
	const char *tls_cert, *tls_key, *client_ca, *token_file;
	int insecure_http;
	const char *out_path;     /* --output=FILE; NULL: stdout */
	const char *ready_file;
	size_t max_body, queue_batches, queue_bytes;
	unsigned threads, connections, timeout, shutdown_timeout;

	/* loaded */
	char *cert_pem, *key_pem, *ca_pem;
	char *token;
	size_t token_len;

	/* running */
	struct collector *coll;
	struct collector_stream *stream; /* the judging thread's */
	struct metrics *m;
	struct wq q;
	struct MHD_Daemon *d;
	int out_fd;
	struct outbuf out;               /* the judging thread's */
	atomic_uint_fast64_t posts;      /* numbers the posts */
	atomic_int inflight;             /* requests begun, not yet completed */
	atomic_int stopping;
	atomic_int failed;               /* output not writable: stop, exit 1 */

	/* own metric series */
	int m_code[N_CODES];
	int m_full_batches, m_full_bytes, m_dropped_records;
	int m_depth, m_depth_bytes, m_cap, m_cap_bytes, m_bytes_in, m_posts;
};

/* One HTTP request (MHD's per-request pointer). */
enum req_kind {
	REQ_POST,      /* a post being read */
	REQ_REFUSED,   /* refused: its body is read and dropped, then answered */
	REQ_ANSWERED   /* an answer is queued */
};

struct request {
	enum req_kind kind;
	struct MHD_Connection *conn;
	char source[96];
	unsigned refusal;            /* REQ_REFUSED: the answer's code */
	char *body;
	size_t len, cap, reserved;   /* reserved: bytes of the queue's cap */
	size_t dropped;              /* REQ_REFUSED: body bytes read and dropped */
	int queued;                  /* handed to the judging thread */
	int judged;                  /* the judging thread set answer */
	unsigned answer;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " --tls-cert=FILE --tls-key=FILE [options]\n"
		"       " PROG " --insecure-http [options]\n"
		"Judge Kubernetes audit events posted over HTTPS: the kube-apiserver's audit\n"
		"webhook (EventList batches), Fluent Bit's and Vector's http outputs (JSON\n"
		"arrays, NDJSON). Posts are answered 200 once their verdicts are written.\n\n"
		"  --listen=ADDR:PORT  address to listen on (default %s; port 0: any free\n"
		"                      port, see --ready-file; [::1]:PORT for IPv6)\n"
		"  --path=PATH         accept posts on PATH (repeatable; default /audit)\n"
		"  --tls-cert=FILE     server certificate chain (PEM)\n"
		"  --tls-key=FILE      its private key (PEM)\n"
		"  --client-ca=FILE    require client certificates issued by these CAs\n"
		"                      (mTLS; 403 without a valid one)\n"
		"  --token-file=FILE   require \"Authorization: Bearer <token>\" (401)\n"
		"  --insecure-http     plain HTTP without TLS, on a loopback --listen\n"
		"                      address only (behind a TLS proxy on the host)\n"
		"  --output=FILE       append records to FILE, reopened on SIGHUP\n"
		"                      (default: stdout)\n"
		"  --max-body=BYTES    longest body (default %u; 413 past it)\n"
		"  --queue=N           posts waiting to be judged (default %u; 429 past it)\n"
		"  --queue-bytes=BYTES body bytes held, received or waiting (default %u;\n"
		"                      429 past it; at least --max-body)\n"
		"  --threads=N         HTTP threads (default %u)\n"
		"  --max-connections=N open connections (default %u)\n"
		"  --timeout=SEC       idle connection timeout (default %u)\n"
		"  --shutdown-timeout=SEC  on SIGTERM, wait at most SEC for the answers\n"
		"                      of posts in progress (default %u)\n"
		"  --ready-file=FILE   once listening, write ADDR:PORT to FILE\n",
		WEBHOOK_DEFAULT_LISTEN, WEBHOOK_DEFAULT_MAX_BODY, WEBHOOK_DEFAULT_QUEUE,
		WEBHOOK_DEFAULT_QUEUE_BYTES, WEBHOOK_DEFAULT_THREADS, WEBHOOK_DEFAULT_CONNECTIONS,
		WEBHOOK_DEFAULT_TIMEOUT, WEBHOOK_DEFAULT_SHUTDOWN);
	collector_usage(out);
	fprintf(out,
		"  --version           print the library version and exit\n"
		"  -h, --help          this text\n");
}

/* ---- answers ---- */

static void count_answer(struct webhook *w, unsigned code)
{
	size_t i;

	for (i = 0; i < N_CODES; i++)
		if (answer_codes[i] == code)
			metrics_add(w->m, w->m_code[i], 1);
}

static const char *answer_text(unsigned code)
{
	switch (code) {
	case 200: return "";
	case 400: return "no audit event could be read from the body\n";
	case 401: return "unauthorized\n";
	case 403: return "forbidden\n";
	case 404: return "not found\n";
	case 405: return "method not allowed\n";
	case 413: return "body too large\n";
	case 415: return "unsupported content type\n";
	case 429: return "queue full, retry later\n";
	case 503: return "shutting down, retry later\n";
	default: return "internal error\n";
	}
}

/* Queue an answer. text is static; NULL: answer_text(code). close asks
 * the client to open a new connection for the next request. */
static enum MHD_Result answer(struct webhook *w, struct MHD_Connection *conn, unsigned code,
			      const char *text, const char *ctype, int close_after)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	if (!text)
		text = answer_text(code);
	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				ctype ? ctype : "text/plain; charset=utf-8");
	if (code == 429 || code == 503)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (code == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"kag-webhook\"");
	if (code == 405) /* posts only (the GET routes answer with answer_405) */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
	if (close_after || atomic_load(&w->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	if (rc == MHD_YES)
		count_answer(w, code);
	return rc;
}

/* A refused post: its error record goes to the judging thread, which owns
 * the stream and the output. Never quotes the body, the path or a header. */
static void refusal_record(struct webhook *w, struct request *r, int code, const char *message)
{
	struct wq_item *it = calloc(1, sizeof(*it));

	if (!it) {
		metrics_add(w->m, w->m_dropped_records, 1);
		return;
	}
	it->kind = WQ_RECORD;
	it->code = code;
	snprintf(it->message, sizeof(it->message), "%s", message);
	snprintf(it->source, sizeof(it->source), "%s", r->source);
	if (!wq_push(&w->q, it)) {
		free(it);
		metrics_add(w->m, w->m_dropped_records, 1);
	}
}

/* Refuse a post with code (its error record, if any, already queued).
 * The answer waits until the body has been read and dropped: a client that
 * reads the answer only after sending its whole body (Python's
 * http.client) would otherwise meet a closed connection instead of it. */
static void refuse(struct request *r, unsigned code)
{
	r->kind = REQ_REFUSED;
	r->refusal = code;
}

static void refuse_body_length(struct webhook *w, struct request *r)
{
	char m[96];

	snprintf(m, sizeof(m), "post body longer than %zu bytes (dropped)", w->max_body);
	refusal_record(w, r, KAG_ELIMIT, m);
	refuse(r, 413);
}

/* ---- authentication ---- */

/* Equal in time that depends on the expected token's length only. */
static int token_equal(const char *got, size_t got_len, const char *want, size_t want_len)
{
	unsigned char diff = got_len != want_len;
	size_t i;

	for (i = 0; i < want_len; i++)
		diff |= (unsigned char)(want[i] ^ (i < got_len ? got[i] : 0));
	return diff == 0;
}

/* 0 when the request may go on, else the refusal's code (401, 403). */
static unsigned authenticate(struct webhook *w, struct MHD_Connection *conn, const char **why)
{
	if (w->ca_pem) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		gnutls_session_t session = ci ? (gnutls_session_t)ci->tls_session : NULL;
		gnutls_typed_vdata_st purpose = {
			.type = GNUTLS_DT_KEY_PURPOSE_OID,
			.data = (void *)GNUTLS_KP_TLS_WWW_CLIENT,
		};
		unsigned int n = 0, status = 0;

		if (!session || !gnutls_certificate_get_peers(session, &n) || n == 0) {
			*why = "post without a client certificate";
			return 403;
		}
		/* the chain against --client-ca (MHD's trust list), dates, and
		 * the extended key usage when the certificate has one */
		if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 ||
		    status != 0) {
			*why = "post with a client certificate that is not valid";
			return 403;
		}
	}
	if (w->token) {
		const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							    MHD_HTTP_HEADER_AUTHORIZATION);

		if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
			*why = "post without a bearer token";
			return 401;
		}
		for (h += 7; *h == ' '; h++)
			;
		if (!token_equal(h, strlen(h), w->token, w->token_len)) {
			*why = "post with a wrong bearer token";
			return 401;
		}
	}
	return 0;
}

/* ---- routes ---- */

static const char *find_path(const struct webhook *w, const char *url)
{
	size_t i;

	for (i = 0; i < w->npaths; i++)
		if (strcmp(url, w->paths[i]) == 0)
			return w->paths[i];
	return NULL;
}

/* application/json, application/x-ndjson or application/jsonl, with or
 * without parameters (charset). */
static int content_type_ok(const char *ct)
{
	static const char *const ok[] = { "application/json", "application/x-ndjson",
					  "application/jsonl" };
	size_t i, n;

	if (!ct)
		return 0;
	for (n = 0; ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t'; n++)
		;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strlen(ok[i]) == n && strncasecmp(ct, ok[i], n) == 0)
			return 1;
	return 0;
}

static enum MHD_Result get_metrics(struct webhook *w, struct MHD_Connection *conn)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	size_t batches, bytes;
	char *text;
	size_t len;

	wq_depth(&w->q, &batches, &bytes);
	metrics_set(w->m, w->m_depth, batches);
	metrics_set(w->m, w->m_depth_bytes, bytes);
	if (metrics_render(w->m, &text, &len) < 0)
		return answer(w, conn, 500, NULL, NULL, 0);
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	rc = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	if (rc == MHD_YES)
		count_answer(w, 200);
	return rc;
}

static enum MHD_Result answer_405(struct webhook *w, struct MHD_Connection *conn,
				  const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	const char *text = answer_text(405);

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(conn, 405, resp);
	MHD_destroy_response(resp);
	if (rc == MHD_YES)
		count_answer(w, 405);
	return rc;
}

/* The request's headers are in: answer /healthz and /metrics now; refuse
 * a post, or get ready for its body. */
static enum MHD_Result begin(struct webhook *w, struct MHD_Connection *conn, struct request *r,
			     const char *url, const char *method)
{
	const char *path = find_path(w, url), *why = NULL, *cl;
	int is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		     strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	unsigned code;

	r->conn = conn;
	if (strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0) {
		r->kind = REQ_ANSWERED;
		if (!is_get)
			return answer_405(w, conn, "GET, HEAD");
		if (url[1] == 'h')
			return atomic_load(&w->stopping)
				       ? answer(w, conn, 503, "stopping\n", NULL, 1)
				       : answer(w, conn, 200, "ok\n", NULL, 0);
		if ((code = authenticate(w, conn, &why)) != 0)
			return answer(w, conn, code, NULL, NULL, 1);
		return get_metrics(w, conn);
	}

	/* posts (and anything else): numbered, refusals recorded */
	r->kind = REQ_POST;
	metrics_add(w->m, w->m_posts, 1);
	snprintf(r->source, sizeof(r->source), "http:%s#%llu", path ? path : "",
		 (unsigned long long)atomic_fetch_add(&w->posts, 1) + 1);
	if ((code = authenticate(w, conn, &why)) != 0) {
		refusal_record(w, r, KAG_EINVAL, why);
		refuse(r, code);
	} else if (!path) {
		refusal_record(w, r, KAG_ENOTFOUND, "request to a path that takes no posts");
		refuse(r, 404);
	} else if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
		refusal_record(w, r, KAG_EINVAL, "request with a method other than POST");
		refuse(r, 405);
	} else if (!content_type_ok(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_CONTENT_TYPE))) {
		refusal_record(w, r, KAG_ESCHEMA,
			       "post with a content type other than application/json, "
			       "application/x-ndjson or application/jsonl");
		refuse(r, 415);
	} else if (atomic_load(&w->stopping)) {
		refuse(r, 503);
	}

	/* A declared length: a body too long is refused now, one that fits is
	 * reserved whole (429 without keeping it when there is no room). A body
	 * longer than twice --max-body is not read at all: answered now, and
	 * the connection closed. */
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno || end == cl || *end)
			n = ULLONG_MAX;
		if (r->kind == REQ_POST && n > w->max_body)
			refuse_body_length(w, r);
		if (r->kind == REQ_REFUSED && n / 2 > w->max_body) {
			r->kind = REQ_ANSWERED;
			return answer(w, conn, r->refusal, NULL, NULL, 1);
		}
		if (r->kind == REQ_POST && n > 0) {
			if (wq_reserve(&w->q, (size_t)n) != WQ_OK) {
				metrics_add(w->m, w->m_full_bytes, 1);
				refuse(r, 429);
			} else {
				r->reserved = (size_t)n;
				if (!(r->body = malloc((size_t)n)))
					refuse(r, 503);
				else
					r->cap = (size_t)n;
			}
		}
	}
	return MHD_YES;
}

/* Body bytes of a post, as they arrive. 0, or -1 to close the connection
 * (a refused body longer than twice --max-body). */
static int take(struct webhook *w, struct request *r, const char *p, size_t n)
{
	metrics_add(w->m, w->m_bytes_in, n);
	if (r->kind == REQ_POST && n > w->max_body - r->len)
		refuse_body_length(w, r);
	if (r->kind == REQ_POST && n > r->cap - r->len) {
		/* no (or a wrong) Content-Length: grow, reserving as it grows */
		size_t cap = r->cap ? r->cap : WEBHOOK_CHUNKED_START;
		char *nb;

		while (cap < r->len + n)
			cap = cap > w->max_body / 2 ? w->max_body : cap * 2;
		if (wq_reserve(&w->q, cap - r->reserved) != WQ_OK) {
			metrics_add(w->m, w->m_full_bytes, 1);
			refuse(r, 429);
		} else {
			r->reserved = cap; /* given back with the body, whatever happens */
			if (!(nb = realloc(r->body, cap))) {
				refuse(r, 503);
			} else {
				r->body = nb;
				r->cap = cap;
			}
		}
	}
	if (r->kind != REQ_POST) {
		if (r->body) { /* the reservation is given back now */
			free(r->body);
			r->body = NULL;
			wq_release(&w->q, r->reserved);
			r->reserved = 0;
			r->len = r->cap = 0;
		}
		r->dropped += n;
		return r->dropped / 2 > w->max_body ? -1 : 0;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	return 0;
}

/* The whole body is in: hand it to the judging thread and suspend the
 * connection until it is judged, or refuse it. */
static enum MHD_Result submit(struct webhook *w, struct MHD_Connection *conn, struct request *r)
{
	struct wq_item *it;

	switch (wq_admit(&w->q)) {
	case WQ_STOPPING:
		r->kind = REQ_ANSWERED;
		return answer(w, conn, 503, NULL, NULL, 1);
	case WQ_FULL:
		metrics_add(w->m, w->m_full_batches, 1);
		r->kind = REQ_ANSWERED;
		return answer(w, conn, 429, NULL, NULL, 0);
	default:
		break;
	}
	if (!(it = calloc(1, sizeof(*it)))) {
		wq_unadmit(&w->q);
		r->kind = REQ_ANSWERED;
		return answer(w, conn, 503, NULL, NULL, 1);
	}
	it->kind = WQ_BATCH;
	it->owner = r;
	it->body = r->body;
	it->len = r->len;
	it->reserved = r->reserved;
	snprintf(it->source, sizeof(it->source), "%s", r->source);
	r->body = NULL;
	r->reserved = 0;
	r->queued = 1;
	/* suspended before the judging thread can see it, so that its resume
	 * always follows */
	MHD_suspend_connection(conn);
	wq_push(&w->q, it);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct webhook *w = cls;
	struct request *r = *req_cls;

	(void)version;
	if (!r) {
		if (!(r = calloc(1, sizeof(*r))))
			return MHD_NO;
		*req_cls = r;
		atomic_fetch_add(&w->inflight, 1);
		return begin(w, conn, r, url, method);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (r->kind == REQ_ANSWERED)
			return MHD_YES;
		return take(w, r, upload_data, n) < 0 ? MHD_NO : MHD_YES;
	}
	switch (r->kind) {
	case REQ_ANSWERED:
		return MHD_YES;
	case REQ_REFUSED:
		r->kind = REQ_ANSWERED;
		return answer(w, conn, r->refusal, NULL, NULL, r->refusal != 429);
	default:
		break;
	}
	if (r->judged) {
		r->kind = REQ_ANSWERED;
		return answer(w, conn, r->answer, NULL, NULL, 0);
	}
	if (r->queued)
		return MHD_YES;
	return submit(w, conn, r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct webhook *w = cls;
	struct request *r = *req_cls;

	(void)conn;
	(void)toe;
	if (!r)
		return;
	if (r->reserved)
		wq_release(&w->q, r->reserved);
	free(r->body);
	free(r);
	*req_cls = NULL;
	atomic_fetch_sub(&w->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* ---- the judging thread ---- */

static int write_out(struct webhook *w)
{
	if (w->out.len && tool_write_all(w->out_fd, w->out.data, w->out.len) < 0) {
		fprintf(stderr, PROG ": %s: write error: %s\n",
			w->out_path ? w->out_path : "<stdout>", strerror(errno));
		w->out.len = 0;
		return -1;
	}
	w->out.len = 0;
	return 0;
}

/* Judge one body, write its records; the answer for its post. */
static unsigned judge_batch(struct webhook *w, struct wq_item *it)
{
	const kag_session *const one[1] = { collector_stream_session(w->stream) };

	if (atomic_load(&w->failed))
		return 503;
	w->out.len = 0;
	if (collector_judge(w->stream, it->body, it->len, it->source, &w->out) < 0 ||
	    write_out(w) < 0) {
		atomic_store(&w->failed, 1);
		return 500;
	}
	metrics_sessions(w->m, one, 1);
	/* nothing could be read from it: the client must not send it again */
	if (collector_stream_last(w->stream, KAG_PSTAT_EVENTS) == 0 &&
	    collector_stream_last(w->stream, KAG_PSTAT_ERRORS) > 0)
		return 400;
	return 200;
}

static void *judge_main(void *arg)
{
	struct webhook *w = arg;

	for (;;) {
		long due = collector_save_when_due(w->coll, time(NULL));
		struct wq_item *it;
		struct request *r;
		int done;

		it = wq_pop(&w->q, due < 0 ? -1 : due * 1000 + 1, &done);
		if (!it) {
			if (done)
				break;
			continue;
		}
		if (it->kind == WQ_RECORD) {
			if (!atomic_load(&w->failed) &&
			    (collector_reject(w->stream, it->code, it->message, it->source,
					      &w->out) < 0 ||
			     write_out(w) < 0))
				atomic_store(&w->failed, 1);
			wq_done(&w->q, it);
			free(it);
			continue;
		}
		r = it->owner;
		r->answer = judge_batch(w, it);
		r->judged = 1;
		free(it->body);
		wq_done(&w->q, it);
		free(it);
		/* resumed after wq_done(): the slot is free before the client
		 * hears the answer, so its next post finds room */
		MHD_resume_connection(r->conn);
	}
	return NULL;
}

/* ---- start and stop ---- */

static int open_output(struct webhook *w)
{
	int fd = open(w->out_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	off_t end;
	char last;

	if (fd < 0) {
		fprintf(stderr, PROG ": %s: %s\n", w->out_path, strerror(errno));
		return -1;
	}
	/* A process killed while writing may have left a record cut short:
	 * end it, so that the next record starts a line of its own. */
	if ((end = lseek(fd, 0, SEEK_END)) > 0 && pread(fd, &last, 1, end - 1) == 1 &&
	    last != '\n' && tool_write_all(fd, "\n", 1) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", w->out_path, strerror(errno));
		close(fd);
		return -1;
	}
	if (w->out_fd < 0) {
		w->out_fd = fd;
		return 0;
	}
	/* reopen in place: the judging thread's next write goes to the new file */
	if (dup2(fd, w->out_fd) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", w->out_path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The whole of path as a string (tool_read_file() does not terminate it). */
static int load_text(const char *path, size_t max, char **out, size_t *len)
{
	char *t;

	if (tool_read_file(path, max, out, len) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, errno == EFBIG ? "too large" : strerror(errno));
		return -1;
	}
	if (!(t = realloc(*out, *len + 1))) {
		fprintf(stderr, PROG ": out of memory\n");
		free(*out);
		*out = NULL;
		return -1;
	}
	t[*len] = '\0';
	*out = t;
	if (memchr(t, '\0', *len)) {
		fprintf(stderr, PROG ": %s: not a text file\n", path);
		return -1;
	}
	return 0;
}

static int load_pem(const char *path, char **out)
{
	size_t len;

	return load_text(path, 1u << 20, out, &len);
}

static int load_token(struct webhook *w)
{
	size_t len;

	if (load_text(w->token_file, 64u << 10, &w->token, &len) < 0)
		return -1;
	while (len && (w->token[len - 1] == '\n' || w->token[len - 1] == '\r' ||
		       w->token[len - 1] == ' ' || w->token[len - 1] == '\t'))
		len--;
	if (len == 0) {
		fprintf(stderr, PROG ": %s: no token in the file\n", w->token_file);
		return -1;
	}
	w->token[len] = '\0';
	w->token_len = len;
	return 0;
}

static int define_metrics(struct webhook *w)
{
	static const char *const code_labels[N_CODES] = {
		"code=\"200\"", "code=\"400\"", "code=\"401\"", "code=\"403\"", "code=\"404\"",
		"code=\"405\"", "code=\"413\"", "code=\"415\"", "code=\"429\"", "code=\"500\"",
		"code=\"503\"",
	};
	struct metrics *m = w->m;
	size_t i;

	for (i = 0; i < N_CODES; i++)
		if ((w->m_code[i] = metrics_define(m, METRICS_COUNTER, "kag_http_responses_total",
						   code_labels[i],
						   "HTTP answers sent, by status code.")) < 0)
			return -1;
	if ((w->m_posts = metrics_define(m, METRICS_COUNTER, "kag_http_posts_total", NULL,
					 "Requests other than /healthz and /metrics.")) < 0 ||
	    (w->m_bytes_in = metrics_define(m, METRICS_COUNTER, "kag_http_received_bytes_total",
					    NULL, "Body bytes received.")) < 0 ||
	    (w->m_full_batches = metrics_define(m, METRICS_COUNTER, "kag_webhook_queue_full_total",
						"cap=\"batches\"",
						"Posts answered 429, by the cap reached.")) < 0 ||
	    (w->m_full_bytes = metrics_define(m, METRICS_COUNTER, "kag_webhook_queue_full_total",
					      "cap=\"bytes\"",
					      "Posts answered 429, by the cap reached.")) < 0 ||
	    (w->m_dropped_records = metrics_define(m, METRICS_COUNTER,
						   "kag_webhook_records_dropped_total", NULL,
						   "Error records of refused posts not written "
						   "(too many waiting).")) < 0 ||
	    (w->m_depth = metrics_define(m, METRICS_GAUGE, "kag_webhook_queue_batches", NULL,
					 "Posts admitted and not yet judged.")) < 0 ||
	    (w->m_cap = metrics_define(m, METRICS_GAUGE, "kag_webhook_queue_capacity_batches",
				       NULL, "The queue's cap on posts (--queue).")) < 0 ||
	    (w->m_depth_bytes = metrics_define(m, METRICS_GAUGE, "kag_webhook_queue_bytes", NULL,
					       "Body bytes held, received or waiting.")) < 0 ||
	    (w->m_cap_bytes = metrics_define(m, METRICS_GAUGE,
					     "kag_webhook_queue_capacity_bytes", NULL,
					     "The queue's cap on body bytes (--queue-bytes).")) < 0)
		return -1;
	metrics_set(m, w->m_cap, w->queue_batches);
	metrics_set(m, w->m_cap_bytes, w->queue_bytes);
	return 0;
}

/* --listen=HOST:PORT ([V6]:PORT) as a socket address. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sl,
			char *host, size_t hostlen)
{
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints, *res = NULL;
	size_t n;

	if (!colon || colon == spec || !colon[1])
		return -1;
	n = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (n < 3 || spec[n - 1] != ']')
			return -1;
		spec++;
		n -= 2;
	}
	if (n >= hostlen)
		return -1;
	memcpy(host, spec, n);
	host[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int write_ready_file(const char *path, const char *host, int v6, unsigned port)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	if (!(f = fopen(tmp, "w")))
		return -1;
	fprintf(f, v6 ? "[%s]:%u\n" : "%s:%u\n", host, port);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

/* Own options; 1 taken, 0 not ours, -1 usage error (printed). */
static int own_option(struct webhook *w, int argc, char **argv, int *i)
{
	const struct {
		const char *name;
		uint64_t lo, hi;
		size_t *size;      /* the option's field: one of these two */
		unsigned *count;
	} nums[] = {
		{ "--max-body", 1, 1ull << 30, &w->max_body, NULL },
		{ "--queue", 1, 1u << 20, &w->queue_batches, NULL },
		{ "--queue-bytes", 1, 1ull << 40, &w->queue_bytes, NULL },
		{ "--threads", 1, 256, NULL, &w->threads },
		{ "--max-connections", 1, 65536, NULL, &w->connections },
		{ "--timeout", 1, 86400, NULL, &w->timeout },
		{ "--shutdown-timeout", 0, 86400, NULL, &w->shutdown_timeout },
	};
	const struct {
		const char *name;
		const char **field;
	} strs[] = {
		{ "--listen", &w->listen },         { "--tls-cert", &w->tls_cert },
		{ "--tls-key", &w->tls_key },       { "--client-ca", &w->client_ca },
		{ "--token-file", &w->token_file }, { "--ready-file", &w->ready_file },
		{ "--output", &w->out_path },
	};
	const char *a = argv[*i], *v;
	int missing = 0;
	size_t k;

	if (strcmp(a, "--insecure-http") == 0) {
		w->insecure_http = 1;
		return 1;
	}
	for (k = 0; k < sizeof(nums) / sizeof(nums[0]) && !missing; k++) {
		uint64_t n;

		if (!(v = collector_option_value(nums[k].name, argc, argv, i, &missing)))
			continue;
		if (collector_parse_u64(v, nums[k].lo, nums[k].hi, &n) < 0) {
			fprintf(stderr, PROG ": %s: expected a number from %llu to %llu\n",
				nums[k].name, (unsigned long long)nums[k].lo,
				(unsigned long long)nums[k].hi);
			return -1;
		}
		if (nums[k].size)
			*nums[k].size = (size_t)n;
		else
			*nums[k].count = (unsigned)n;
		return 1;
	}
	for (k = 0; k < sizeof(strs) / sizeof(strs[0]) && !missing; k++) {
		if ((v = collector_option_value(strs[k].name, argc, argv, i, &missing))) {
			*strs[k].field = v;
			return 1;
		}
	}
	if (!missing && (v = collector_option_value("--path", argc, argv, i, &missing))) {
		if (v[0] != '/' || strcmp(v, "/healthz") == 0 || strcmp(v, "/metrics") == 0) {
			fprintf(stderr, PROG ": --path=%s: a path starts with / and is neither "
				"/healthz nor /metrics\n", v);
			return -1;
		}
		if (w->npaths == WEBHOOK_MAX_PATHS) {
			fprintf(stderr, PROG ": at most %d --path options\n", WEBHOOK_MAX_PATHS);
			return -1;
		}
		w->paths[w->npaths++] = v;
		return 1;
	}
	if (missing) {
		fprintf(stderr, PROG ": %s needs a value\n", a);
		return -1;
	}
	return 0;
}

/* Wait for a signal; on SIGHUP reopen the output. Returns when a
 * termination signal came or the judging thread failed. */
static void wait_for_end(struct webhook *w, const sigset_t *set)
{
	for (;;) {
		struct timespec t = { 1, 0 };
		int sig = sigtimedwait(set, NULL, &t);

		if (atomic_load(&w->failed))
			return;
		if (sig == SIGHUP) {
			if (w->out_path && open_output(w) < 0)
				atomic_store(&w->failed, 1);
		} else if (sig == SIGTERM || sig == SIGINT) {
			return;
		}
	}
}

int main(int argc, char **argv)
{
	static struct webhook w;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char host[128];
	const union MHD_DaemonInfo *info;
	pthread_t judge;
	sigset_t set;
	unsigned port, flags;
	int i, rc = 1, judge_started = 0;
	time_t until;
	struct outbuf tail = { 0 };

	collector_options_init(&w.copt);
	w.listen = WEBHOOK_DEFAULT_LISTEN;
	w.max_body = WEBHOOK_DEFAULT_MAX_BODY;
	w.queue_batches = WEBHOOK_DEFAULT_QUEUE;
	w.queue_bytes = WEBHOOK_DEFAULT_QUEUE_BYTES;
	w.threads = WEBHOOK_DEFAULT_THREADS;
	w.connections = WEBHOOK_DEFAULT_CONNECTIONS;
	w.timeout = WEBHOOK_DEFAULT_TIMEOUT;
	w.shutdown_timeout = WEBHOOK_DEFAULT_SHUTDOWN;
	w.out_fd = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int taken;

		if (strcmp(a, "--version") == 0) {
			printf(PROG " %s\n", kag_version_string());
			return 0;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if ((taken = own_option(&w, argc, argv, &i)) == 0)
			taken = collector_option(&w.copt, PROG, argc, argv, &i);
		if (taken < 0)
			return 2;
		if (taken == 0) {
			fprintf(stderr, PROG ": unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (collector_options_check(&w.copt, PROG) < 0)
		return 2;
	if (!w.npaths)
		w.paths[w.npaths++] = "/audit";
	if (w.out_path && strcmp(w.out_path, "-") == 0)
		w.out_path = NULL;
	if (!w.tls_cert != !w.tls_key) {
		fprintf(stderr, PROG ": --tls-cert and --tls-key go together\n");
		return 2;
	}
	if (!w.tls_cert && !w.insecure_http) {
		fprintf(stderr, PROG ": give --tls-cert and --tls-key, or --insecure-http for "
			"plain HTTP\n");
		return 2;
	}
	if (w.tls_cert && w.insecure_http) {
		fprintf(stderr, PROG ": --insecure-http and --tls-cert exclude each other\n");
		return 2;
	}
	if (w.client_ca && !w.tls_cert) {
		fprintf(stderr, PROG ": --client-ca needs TLS (--tls-cert, --tls-key)\n");
		return 2;
	}
	if (w.queue_bytes < w.max_body) {
		fprintf(stderr, PROG ": --queue-bytes must be at least --max-body (%zu)\n",
			w.max_body);
		return 2;
	}
	if (parse_listen(w.listen, &addr, &addrlen, host, sizeof(host)) < 0) {
		fprintf(stderr, PROG ": --listen=%s: expected ADDRESS:PORT with a numeric "
			"address\n", w.listen);
		return 2;
	}
	if (w.insecure_http && !is_loopback(&addr)) {
		fprintf(stderr, PROG ": --insecure-http listens on a loopback address only "
			"(127.0.0.0/8, [::1]), behind a TLS proxy on the same host\n");
		return 2;
	}

	/* Signals are taken by the main thread only (sigtimedwait); every
	 * thread started from here on has them blocked. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
		fprintf(stderr, PROG ": cannot set up signals\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	if ((w.tls_cert && (load_pem(w.tls_cert, &w.cert_pem) < 0 ||
			    load_pem(w.tls_key, &w.key_pem) < 0)) ||
	    (w.client_ca && load_pem(w.client_ca, &w.ca_pem) < 0) ||
	    (w.token_file && load_token(&w) < 0))
		goto out;
	if (collector_open(&w.coll, &w.copt, PROG) < 0)
		goto out;
	w.m = collector_metrics(w.coll);
	if (collector_stream_new(&w.stream, w.coll) < 0 || define_metrics(&w) < 0 ||
	    wq_init(&w.q, w.queue_batches, w.queue_bytes) < 0) {
		fprintf(stderr, PROG ": cannot initialise: out of memory\n");
		goto out_coll;
	}
	w.out_fd = STDOUT_FILENO;
	if (w.out_path) {
		w.out_fd = -1;
		if (open_output(&w) < 0)
			goto out_q;
	}
	if (pthread_create(&judge, NULL, judge_main, &w) != 0) {
		fprintf(stderr, PROG ": cannot start the judging thread\n");
		goto out_q;
	}
	judge_started = 1;

	flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (w.tls_cert)
		flags |= MHD_USE_TLS;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	{
		struct MHD_OptionItem opts[] = {
			{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL }, /* first */
			{ MHD_OPTION_SOCK_ADDR, 0, &addr },
			{ MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)w.threads, NULL },
			{ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)w.connections, NULL },
			{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)w.timeout, NULL },
			{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, &w },
			{ w.cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, w.cert_pem },
			{ w.key_pem ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, w.key_pem },
			{ w.ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, w.ca_pem },
			{ MHD_OPTION_END, 0, NULL },
		};
		size_t k, n = 0;

		/* drop the TLS items not given (MHD_OPTION_END would end the list) */
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]) - 1; k++)
			if (opts[k].option != MHD_OPTION_END)
				opts[n++] = opts[k];
		opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
		w.d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &w,
				       MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	}
	if (!w.d) {
		fprintf(stderr, PROG ": cannot listen on %s (address in use, or TLS files "
			"not usable)\n", w.listen);
		goto out_judge;
	}
	info = MHD_get_daemon_info(w.d, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : 0;
	fprintf(stderr, PROG ": listening on %s://%s%s%s:%u%s\n", w.tls_cert ? "https" : "http",
		addr.ss_family == AF_INET6 ? "[" : "", host, addr.ss_family == AF_INET6 ? "]" : "",
		port, w.client_ca ? " (client certificates required)" : "");
	if (w.ready_file &&
	    write_ready_file(w.ready_file, host, addr.ss_family == AF_INET6, port) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", w.ready_file, strerror(errno));
		goto out_daemon;
	}

	wait_for_end(&w, &set);

	/* Stop: no new connection, no new post; the queue drains, and the
	 * answers of the posts judged go out before the daemon stops. */
	atomic_store(&w.stopping, 1);
	wq_stop(&w.q);
	{
		MHD_socket ls = MHD_quiesce_daemon(w.d);

		until = time(NULL) + (time_t)w.shutdown_timeout;
		while (atomic_load(&w.inflight) > 0 && time(NULL) < until) {
			struct timespec t = { 0, 20 * 1000 * 1000 };

			nanosleep(&t, NULL);
		}
		if (atomic_load(&w.inflight) > 0)
			fprintf(stderr, PROG ": %d requests still open after %us: closed\n",
				atomic_load(&w.inflight), w.shutdown_timeout);
		pthread_join(judge, NULL); /* the queue is empty: it returns */
		judge_started = 0;
		MHD_stop_daemon(w.d);
		w.d = NULL;
		if (ls != MHD_INVALID_SOCKET)
			close(ls);
	}
	if (!atomic_load(&w.failed)) {
		rc = 0;
		if (collector_finish(w.stream, &tail) < 0 ||
		    (tail.len && tool_write_all(w.out_fd, tail.data, tail.len) < 0) ||
		    collector_save_baseline(w.coll) < 0)
			rc = 1;
	}
out_daemon:
	if (w.d)
		MHD_stop_daemon(w.d);
out_judge:
	if (judge_started) {
		wq_stop(&w.q);
		pthread_join(judge, NULL);
	}
out_q:
	wq_destroy(&w.q);
out_coll:
	collector_stream_free(w.stream);
	collector_close(w.coll);
out:
	if (w.out_fd >= 0 && w.out_fd != STDOUT_FILENO && close(w.out_fd) < 0 && rc == 0) {
		fprintf(stderr, PROG ": %s: %s\n", w.out_path, strerror(errno));
		rc = 1;
	}
	outbuf_free(&tail);
	outbuf_free(&w.out);
	free(w.cert_pem);
	free(w.key_pem);
	free(w.ca_pem);
	free(w.token);
	return rc;
}
