/* Redaction of what a verdict shows of a request: the request URI's query,
 * exec commands and opted-in bodies. What is kept is decided by the shape
 * of the data (harmless query parameters by name, credentials by form),
 * not by a list of names known to be secret. */
#ifndef KAG_REDACT_PRIVATE_H
#define KAG_REDACT_PRIVATE_H

#include <stddef.h>

#include "buf-private.h"

/* What stands in for a value that is not shown. */
#define KAG__REDACTED "<redacted>"

/* What kag__mask_credentials() masked. */
enum {
	KAG__CRED_AUTH = 1 << 0,      /* Bearer/Basic values, user:password */
	KAG__CRED_JWT = 1 << 1,       /* a JSON Web Token */
	KAG__CRED_KEY_VALUE = 1 << 2, /* the value of a key naming a secret */
	KAG__CRED_QUERY = 1 << 3,     /* a URL query value not known harmless */
	KAG__CRED_CLOUD_KEY = 1 << 4, /* AWS, GCP, GitHub, Slack keys */
	KAG__CRED_PEM = 1 << 5        /* the body of a PEM private key */
};

/* What the masker carries from one piece of text to the next, for texts
 * that are the parts of one whole (the arguments of a command): a flag
 * waiting for its value (`--password` `x`), a key block not yet closed. */
typedef struct {
	int pending;
	int what;
	int in_pem;
} kag__mask_state;

void kag__mask_init(kag__mask_state *st);

/*
 * Append s (len bytes) to out with what looks like a credential replaced by
 * KAG__REDACTED; the other words are kept as they are. Returns the
 * KAG__CRED_* flags of what was masked (0: out got s unchanged). st may be
 * NULL for a text on its own. Time is linear in len. On allocation failure
 * out->oom is set.
 */
int kag__mask_credentials(kag_buf *out, const char *s, size_t len, kag__mask_state *st);

/* A key (env var name, JSON member, option, header) names a secret. */
int kag__key_is_secret(const char *key, size_t len);

/* A query parameter's name (as written: percent-encoded, '+' for space)
 * is one whose values are known to be harmless. */
int kag__query_param_allowed(const char *name, size_t len);

/* Percent-decode s (and '+' as space) into out, which has room for n
 * bytes; returns the decoded length. */
size_t kag__url_decode(char *out, const char *s, size_t n);

/* The length of a request URI's path: up to its query or fragment. What
 * reasons and evidence show of a URI outside kag__put_redacted_uri(). */
size_t kag__uri_path_len(const char *uri, size_t len);

/* Write a request URI as a JSON string: the path as it is, each query
 * value replaced unless its parameter is allowed, command values masked,
 * a fragment replaced. Sets b->oom when it cannot write the URI safely. */
void kag__put_redacted_uri(kag_buf *b, const char *uri, size_t len);

/* Write an opted-in request or response body as JSON with secret values
 * replaced and the other strings masked; `secrets` says the request was
 * on the secrets resource. A body that cannot be redacted (allocation
 * failure) is written as null. */
struct json_t;
void kag__put_redacted_body(kag_buf *b, struct json_t *body, int secrets);

#endif
