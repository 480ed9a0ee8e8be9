/*
 * Redaction by design. A verdict shows what a request was about, never a
 * credential it carried:
 *
 *  - The request URI keeps its path. In its query every value is replaced
 *    unless the parameter is one of the Kubernetes API's own parameters
 *    whose values are harmless (allowed_params); a parameter without `=`
 *    whose name is not allowed is replaced whole. Names are compared
 *    percent-decoded and ignoring case, `&` and `;` both separate
 *    parameters. Exec `command` values are kept but masked. A fragment
 *    (`#` and what follows, where OAuth's implicit flow puts its tokens)
 *    is replaced whole: clients do not send one, but a request line may
 *    hold a `#`, and a record anything.
 *
 *  - Free text (exec commands, strings of opted-in bodies) keeps its words;
 *    what has the form of a credential is masked: Bearer and Basic values,
 *    user:password (`-u`, `--user`, URL user info), JSON Web Tokens, values
 *    of keys naming a secret (`key=value`, `key: value`, `--key value`),
 *    URL query values not allowed, cloud and service keys, PEM private key
 *    bodies.
 *
 *  - Opted-in bodies: Secret data, values of keys naming a secret (and
 *    the `value` member of an object under such a key: `apiKey: {value:
 *    ...}`), env values whose name names a secret and binaryData are
 *    replaced, at any depth; every other string goes through the masker,
 *    the strings of one array as the parts of one text (container args:
 *    `--password`, then its value).
 */
#include <jansson.h>
#include <string.h>

#include "alloc-private.h"
#include "codec-private.h"
#include "redact-private.h"

#define REDACTED_LEN (sizeof(KAG__REDACTED) - 1)

/* ---- characters and names ---- */

static int is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static int is_hspace(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int is_quote(unsigned char c)
{
	return c == '"' || c == '\'' || c == '`';
}

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_upper_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

static int is_b64url(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '_';
}

static int is_key_char(unsigned char c)
{
	return is_b64url(c) || c == '.';
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* s (n bytes) equals the lowercase word w, ignoring case. */
static int eq_nocase(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!w[i] || lower((unsigned char)s[i]) != (unsigned char)w[i])
			return 0;
	return w[n] == '\0';
}

static const char *find(const char *s, size_t n, const char *needle, size_t k)
{
	const char *p = s, *end = s + n;

	while ((size_t)(end - p) >= k) {
		p = memchr(p, needle[0], (size_t)(end - p) - k + 1);
		if (!p)
			return NULL;
		if (memcmp(p, needle, k) == 0)
			return p;
		p++;
	}
	return NULL;
}

#define KEY_MAX 64

/* The last KEY_MAX characters of a key, lowercase, without the '-', '_',
 * '.' and blanks that join its words: "X-Amz-Security-Token" and
 * "AWS_SECRET_ACCESS_KEY" become "xamzsecuritytoken", "awssecretaccesskey". */
static size_t key_norm(char *out, const char *key, size_t len)
{
	size_t n = 0, i = len;

	while (i > 0 && n < KEY_MAX) {
		unsigned char c = (unsigned char)key[--i];

		if (c == '-' || c == '_' || c == '.' || is_space(c))
			continue;
		out[KEY_MAX - 1 - n++] = (char)lower(c);
	}
	memmove(out, out + KEY_MAX - n, n);
	return n;
}

static int ends_with(const char *k, size_t n, const char *w)
{
	size_t m = strlen(w);

	return n >= m && memcmp(k + n - m, w, m) == 0;
}

/*
 * A key names a secret when, lowercase and with its separators dropped, it
 * contains a word that only names secrets, or is one of the short words
 * that are secrets on their own. Keys that name where a secret is, or
 * something about it (token-file, secretName, secretKeyRef, tokenPath,
 * tokenExpirationSeconds, authType), are not secrets themselves.
 */
int kag__key_is_secret(const char *key, size_t len)
{
	static const char *const parts[] = {
		"token", "passw", "pwd", "secret", "apikey", "accesskey", "privatekey",
		"accountkey", "masterkey", "encryptionkey", "signingkey", "keydata",
		"credential", "passphrase", "authorization", "bearer", "cookie", "signature",
		"sessionid", "sessionkey", "jwt", NULL
	};
	static const char *const whole[] = { "auth", "session", "sig", "pass", NULL };
	static const char *const about[] = { "name", "ref", "file", "path", "dir", "seconds",
					     "type", NULL };
	char k[KEY_MAX];
	size_t n = key_norm(k, key, len), i;

	if (!n)
		return 0;
	for (i = 0; about[i]; i++)
		if (ends_with(k, n, about[i]))
			return 0;
	for (i = 0; whole[i]; i++)
		if (strlen(whole[i]) == n && memcmp(k, whole[i], n) == 0)
			return 1;
	if (ends_with(k, n, "auth"))
		return 1;
	for (i = 0; parts[i]; i++)
		if (find(k, n, parts[i], strlen(parts[i])))
			return 1;
	return 0;
}

/* The key names an Authorization header, whose value starts with a scheme. */
static int key_is_authorization(const char *key, size_t len)
{
	char k[KEY_MAX];
	size_t n = key_norm(k, key, len);

	return find(k, n, "authorization", 13) != NULL;
}

/* HTTP authentication schemes: the word after them is the credential. */
static int is_auth_scheme(const char *w, size_t n)
{
	static const char *const schemes[] = { "bearer", "basic", "token", "digest", "negotiate",
					       "bot", "ntlm", "dpop", "apikey", "aws4-hmac-sha256",
					       NULL };
	size_t i;

	for (i = 0; schemes[i]; i++)
		if (eq_nocase(w, n, schemes[i]))
			return 1;
	return 0;
}

size_t kag__url_decode(char *out, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && kag__hex_value(s[i + 1]) >= 0 &&
		    kag__hex_value(s[i + 2]) >= 0) {
			out[o++] = (char)(kag__hex_value(s[i + 1]) * 16 + kag__hex_value(s[i + 2]));
			i += 2;
		} else if (s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

/*
 * Query parameters of the Kubernetes API whose values say how a request is
 * served, never who makes it: list and watch options, write options,
 * delete options, exec/attach/log/port-forward options, health check
 * options. Not here: `continue` (an opaque server token), `path` (the
 * deprecated proxy parameter, a path of the proxied service), and every
 * parameter of a proxied service (nodes/proxy, services/proxy, pods/proxy
 * queries belong to the service behind them).
 */
static const char *const allowed_params[] = {
	"allowwatchbookmarks", "command", "container", "dryrun", "exclude", "fieldmanager",
	"fieldselector", "fieldvalidation", "follow", "force", "graceperiodseconds", "hash",
	"ignorestorereaderrorwithclusterbreakingpotential", "insecureskiptlsverifybackend",
	"labelselector", "limit", "limitbytes", "orphandependents", "ports", "pretty",
	"previous", "propagationpolicy", "resourceversion", "resourceversionmatch",
	"sendinitialevents", "sinceseconds", "sincetime", "stderr", "stdin", "stdout", "stream",
	"taillines", "timeout", "timeoutseconds", "timestamps", "tty", "verbose", "watch", NULL
};

/* The parameter's decoded name, if allowed: its index in allowed_params,
 * else -1. */
static int param_index(const char *name, size_t len)
{
	char d[192];
	size_t n, i;

	if (len > sizeof(d))
		return -1;
	n = kag__url_decode(d, name, len);
	for (i = 0; allowed_params[i]; i++)
		if (eq_nocase(d, n, allowed_params[i]))
			return (int)i;
	return -1;
}

int kag__query_param_allowed(const char *name, size_t len)
{
	return param_index(name, len) >= 0;
}

/* The allowed parameter at index i is exec's command. */
static int param_is_command(int i)
{
	return i >= 0 && strcmp(allowed_params[i], "command") == 0;
}

/* ---- the credential masker ---- */

/* What the next word is, after a word that announces it. */
enum {
	P_NONE,
	P_SECRET,   /* a secret: masked */
	P_USERPASS, /* user:password: the password masked */
	P_AUTH,     /* an Authorization value: scheme and credential */
	P_BASIC     /* after "Basic": masked if it is base64 of user:password */
};

typedef struct {
	kag_buf *out;
	const char *s;
	size_t len;
	size_t kept; /* s[0 .. kept) is written or masked */
	int found;
} masker;

void kag__mask_init(kag__mask_state *st)
{
	st->pending = P_NONE;
	st->what = 0;
	st->in_pem = 0;
}

/* Replace s[a .. b) (never text already written). */
static void mask(masker *m, size_t a, size_t b, int what)
{
	if (a < m->kept)
		a = m->kept;
	if (b <= a)
		return;
	kag__buf_put(m->out, m->s + m->kept, a - m->kept);
	KAG__BUF_LIT(m->out, KAG__REDACTED);
	m->kept = b;
	m->found |= what;
}

/* Characters that end an unquoted value. */
static int ends_value(unsigned char c)
{
	switch (c) {
	case '&': case ';': case ',': case '}': case ')': case ']': case '<': case '>':
		return 1;
	default:
		return is_space(c) || is_quote(c);
	}
}

static size_t word_end(const masker *m, size_t i)
{
	while (i < m->len && !is_space((unsigned char)m->s[i]))
		i++;
	return i;
}

/* The value at j masked: a quoted one (\" too) between its quotes, else up
 * to a character that ends values. Returns where scanning goes on. */
static size_t take_value(masker *m, size_t j, int what)
{
	const char *s = m->s, *q;
	size_t n = m->len, e;
	int escaped = 0;

	if (j + 1 < n && s[j] == '\\' && is_quote((unsigned char)s[j + 1])) {
		escaped = 1;
		j++;
	}
	if (j < n && is_quote((unsigned char)s[j])) {
		q = memchr(s + j + 1, s[j], n - j - 1);
		if (!q) {
			mask(m, j + 1, n, what);
			return n;
		}
		e = (size_t)(q - s);
		mask(m, j + 1, escaped && s[e - 1] == '\\' ? e - 1 : e, what);
		return e + 1;
	}
	for (e = j; e < n && !ends_value((unsigned char)s[e]); e++)
		;
	mask(m, j, e, what);
	return e;
}

/* [*a, *b) is the word [i, e) without the quotes around it. */
static void unquote(const masker *m, size_t i, size_t e, size_t *a, size_t *b)
{
	while (i < e && (is_quote((unsigned char)m->s[i]) || m->s[i] == '\\'))
		i++;
	while (e > i && (is_quote((unsigned char)m->s[e - 1]) || m->s[e - 1] == '\\'))
		e--;
	*a = i;
	*b = e;
}

/* user:password at [a, e): the password masked. */
static void mask_password(masker *m, size_t a, size_t e)
{
	const char *c = memchr(m->s + a, ':', e - a);

	if (c)
		mask(m, (size_t)(c - m->s) + 1, e, KAG__CRED_AUTH);
}

/* Basic credentials: base64 (a multiple of four characters) of text that
 * holds a colon. */
static int basic_credentials(const char *s, size_t n)
{
	unsigned acc = 0;
	int bits = 0, colon = 0;
	size_t i;

	if (n < 8 || n % 4)
		return 0;
	for (i = 0; i < n; i++) {
		int v;

		if (s[i] == '=') {
			if (i + 2 < n)
				return 0;
			continue;
		}
		v = kag__b64_value((unsigned char)s[i]);
		if (v < 0)
			return 0;
		acc = (acc << 6 | (unsigned)v) & 0xffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			colon |= ((acc >> bits) & 0xff) == ':';
		}
	}
	return colon;
}

/* The word at i, announced by the word before it. */
static size_t take_pending(masker *m, kag__mask_state *st, size_t i)
{
	int p = st->pending, what = st->what;
	size_t e = word_end(m, i), a, b;

	st->pending = P_NONE;
	switch (p) {
	case P_USERPASS:
		unquote(m, i, e, &a, &b);
		if (find(m->s + a, b - a, "://", 3))
			return i; /* a URL (redis-cli -u): its own rules */
		mask_password(m, a, b);
		return e;
	case P_AUTH:
		unquote(m, i, e, &a, &b);
		if (is_auth_scheme(m->s + a, b - a)) {
			st->pending = P_SECRET;
			st->what = KAG__CRED_AUTH;
			return e;
		}
		return take_value(m, i, KAG__CRED_AUTH);
	case P_BASIC:
		unquote(m, i, e, &a, &b);
		if (basic_credentials(m->s + a, b - a))
			mask(m, a, b, KAG__CRED_AUTH);
		return e;
	default:
		return take_value(m, i, what);
	}
}

/* Rules of a word as a whole: "Bearer" and "Basic" announce a credential;
 * -u/--user a user:password; a flag naming a secret its value. Returns
 * where scanning goes on (i: within this word). */
static size_t word_rules(masker *m, kag__mask_state *st, size_t i)
{
	const char *s = m->s;
	size_t e = word_end(m, i), a, b, d;

	unquote(m, i, e, &a, &b);
	if (eq_nocase(s + a, b - a, "bearer")) {
		st->pending = P_SECRET;
		st->what = KAG__CRED_AUTH;
		return i;
	}
	if (eq_nocase(s + a, b - a, "basic")) {
		st->pending = P_BASIC;
		return i;
	}
	if (b - a < 2 || s[a] != '-' || memchr(s + a, '=', b - a))
		return i;
	d = s[a + 1] == '-' ? a + 2 : a + 1;
	if ((d == a + 1 && b - d == 1 && (s[d] == 'u' || s[d] == 'U')) ||
	    (d == a + 2 && (eq_nocase(s + d, b - d, "user") ||
			    eq_nocase(s + d, b - d, "proxy-user")))) {
		st->pending = P_USERPASS;
		return i;
	}
	if (d == a + 1 && s[d] == 'u' && b - d > 1 && memchr(s + d, ':', b - d)) {
		/* -uuser:password */
		mask_password(m, d + 1, b);
		return e;
	}
	if (kag__key_is_secret(s + d, b - d)) {
		st->pending = P_SECRET;
		st->what = KAG__CRED_KEY_VALUE;
	}
	return i;
}

/* The key before a separator at i: key characters ending there, past
 * blanks and a closing quote (escaped or not). Sets [*ks, *ke). */
static void key_before(const masker *m, size_t i, size_t *ks, size_t *ke)
{
	const char *s = m->s;
	size_t e = i, k;

	while (e > m->kept && is_hspace((unsigned char)s[e - 1]))
		e--;
	if (e > m->kept && is_quote((unsigned char)s[e - 1])) {
		e--;
		if (e > m->kept && s[e - 1] == '\\')
			e--;
	}
	for (k = e; k > m->kept && is_key_char((unsigned char)s[k - 1]); k--)
		;
	*ks = k;
	*ke = e;
}

/* A separator at i after a key naming a secret: its value masked. */
static size_t key_value(masker *m, kag__mask_state *st, size_t i, int authz)
{
	const char *s = m->s;
	size_t n = m->len, j = i + 1, e, a, b;

	while (j < n && is_hspace((unsigned char)s[j]))
		j++;
	if (j >= n) {
		/* the value is the next text's first word */
		st->pending = authz ? P_AUTH : P_SECRET;
		st->what = KAG__CRED_KEY_VALUE;
		return n;
	}
	if (s[j] == '\n' || s[j] == '\r')
		return j;
	if (authz) {
		e = word_end(m, j);
		unquote(m, j, e, &a, &b);
		if (is_auth_scheme(s + a, b - a)) {
			for (j = e; j < n && is_hspace((unsigned char)s[j]); j++)
				;
			if (j >= n) {
				st->pending = P_SECRET;
				st->what = KAG__CRED_AUTH;
				return n;
			}
			return take_value(m, j, KAG__CRED_AUTH);
		}
	}
	return take_value(m, j, KAG__CRED_KEY_VALUE);
}

/* A JSON Web Token at i ("eyJ" header, payload, signature in base64url):
 * its end, or 0. */
static size_t jwt_end(const masker *m, size_t i)
{
	const char *s = m->s;
	size_t n = m->len, j = i, run1, run2;

	if (n - i < 3 || memcmp(s + i, "eyJ", 3) != 0)
		return 0;
	while (j < n && is_b64url((unsigned char)s[j]))
		j++;
	run1 = j - i;
	if (run1 < 8 || j >= n || s[j] != '.')
		return 0;
	for (run2 = 0, j++; j < n && is_b64url((unsigned char)s[j]); j++)
		run2++;
	if (run2 < 4 || j >= n || s[j] != '.')
		return 0;
	/* the signature, and the further parts of an encrypted token */
	for (j++; j < n && (is_b64url((unsigned char)s[j]) || s[j] == '.'); j++)
		;
	return j;
}

/* A run of characters accepted by ok from j: its end. */
static size_t run_end(const char *s, size_t j, size_t n, int (*ok)(unsigned char))
{
	while (j < n && ok((unsigned char)s[j]))
		j++;
	return j;
}

static int is_ident(unsigned char c)
{
	return is_alnum(c) || c == '_';
}

static int is_slack(unsigned char c)
{
	return is_alnum(c) || c == '-';
}

/* A cloud or service key at i (AWS access key ids, GCP API keys, GitHub
 * and Slack tokens), up to n: its end, or 0. */
static size_t cloud_key_end(const char *s, size_t i, size_t n)
{
	size_t r = n - i, e;

	if (r >= 20 && (memcmp(s + i, "AKIA", 4) == 0 || memcmp(s + i, "ASIA", 4) == 0)) {
		e = i + 4;
		while (e < i + 20 && is_upper_alnum((unsigned char)s[e]))
			e++;
		return e == i + 20 ? e : 0;
	}
	if (r >= 39 && memcmp(s + i, "AIza", 4) == 0) {
		e = run_end(s, i + 4, i + 39, is_b64url);
		return e == i + 39 ? e : 0;
	}
	if (r >= 24 && s[i] == 'g' && s[i + 1] == 'h' && s[i + 3] == '_' &&
	    (s[i + 2] == 'p' || s[i + 2] == 'o' || s[i + 2] == 'u' || s[i + 2] == 's' ||
	     s[i + 2] == 'r')) {
		e = run_end(s, i + 4, n, is_ident);
		return e - i >= 24 ? e : 0;
	}
	if (r >= 31 && memcmp(s + i, "github_pat_", 11) == 0) {
		e = run_end(s, i + 11, n, is_ident);
		return e - i >= 31 ? e : 0;
	}
	if (r >= 15 && memcmp(s + i, "xox", 3) == 0 && s[i + 4] == '-' &&
	    (s[i + 3] == 'a' || s[i + 3] == 'b' || s[i + 3] == 'p' || s[i + 3] == 'r' ||
	     s[i + 3] == 's')) {
		e = run_end(s, i + 5, n, is_slack);
		return e - i >= 15 ? e : 0;
	}
	return 0;
}

/* "://" at i: user info of a URL. The password is masked, and the user too
 * when it looks like a token. Returns where scanning goes on. */
static size_t url_authority(masker *m, size_t i)
{
	const char *s = m->s, *colon;
	size_t n = m->len, a = i + 3, e, at = 0, user_end;

	for (e = a; e < n; e++) {
		unsigned char c = (unsigned char)s[e];

		if (c == '/' || c == '?' || c == '#' || c == '<' || c == '>' || c == '\\' ||
		    is_space(c) || is_quote(c))
			break;
		if (c == '@')
			at = e;
	}
	if (!at)
		return a;
	colon = memchr(s + a, ':', at - a);
	user_end = colon ? (size_t)(colon - s) : at;
	if (user_end - a > 32 || cloud_key_end(s, a, user_end) || jwt_end(m, a))
		mask(m, a, user_end, KAG__CRED_AUTH);
	if (colon)
		mask(m, user_end + 1, at, KAG__CRED_AUTH);
	return at + 1;
}

static int ends_query(unsigned char c)
{
	return is_space(c) || is_quote(c) || c == '#' || c == '<' || c == '>' || c == '\\';
}

/* '?' at i in a URL: each value masked unless its parameter is allowed
 * (command values too: a URL inside a command is not judged further). */
static size_t url_query(masker *m, size_t i)
{
	const char *s = m->s;
	size_t n = m->len, p = i + 1;

	for (;;) {
		size_t stop = p, eq = 0;
		int has_eq = 0;

		while (stop < n && !ends_query((unsigned char)s[stop]) && s[stop] != '&' &&
		       s[stop] != ';') {
			if (s[stop] == '=' && !has_eq) {
				eq = stop;
				has_eq = 1;
			}
			stop++;
		}
		if (has_eq) {
			int k = param_index(s + p, eq - p);

			if (k < 0 || param_is_command(k))
				mask(m, eq + 1, stop, KAG__CRED_QUERY);
		} else if (stop > p && !kag__query_param_allowed(s + p, stop - p)) {
			mask(m, p, stop, KAG__CRED_QUERY);
		}
		if (stop >= n || ends_query((unsigned char)s[stop]))
			return stop;
		p = stop + 1;
	}
}

/* Inside a PEM private key from h: the body masked (the blanks around it
 * kept) up to "-----END", or to the end of the text, the block then
 * going on in the next one. */
static size_t pem_body(masker *m, kag__mask_state *st, size_t h)
{
	const char *s = m->s, *end = find(s + h, m->len - h, "-----END", 8);
	size_t stop = end ? (size_t)(end - s) : m->len, a = h, b = stop;

	while (a < b && is_space((unsigned char)s[a]))
		a++;
	while (end && b > a && is_space((unsigned char)s[b - 1]))
		b--;
	mask(m, a, b, KAG__CRED_PEM);
	st->in_pem = end == NULL;
	return end ? stop + 8 : m->len;
}

/* "-----BEGIN <label> PRIVATE KEY-----" at i: where the body starts, or 0. */
static size_t pem_begin(const masker *m, size_t i)
{
	const char *s = m->s;
	size_t n = m->len, lab = i + 11, e;

	if (n - i < 11 || memcmp(s + i, "-----BEGIN ", 11) != 0)
		return 0;
	for (e = lab; e < n && e < lab + 64 && s[e] != '-' && s[e] != '\n'; e++)
		;
	if (n - e < 5 || memcmp(s + e, "-----", 5) != 0 ||
	    !find(s + lab, e - lab, "PRIVATE KEY", 11))
		return 0;
	return e + 5;
}

/*
 * One pass over the text. Each position is looked at a bounded number of
 * times: a rule either ends within a bounded distance (a PEM label, a key
 * of fixed length) or moves the scan past what it read (a value, a URL's
 * user info, a query, a token, a key block); a key is read backwards only
 * up to the separator before it. So the time is linear in len.
 */
int kag__mask_credentials(kag_buf *out, const char *s, size_t len, kag__mask_state *st)
{
	kag__mask_state local;
	masker m = { out, s, len, 0, 0 };
	size_t i = 0, e, ks, ke;
	int url = 0;

	if (!st) {
		kag__mask_init(&local);
		st = &local;
	}
	if (st->in_pem)
		i = pem_body(&m, st, 0);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (is_space(c)) {
			i++;
			continue;
		}
		if (i == 0 || is_space((unsigned char)s[i - 1])) {
			/* a word starts */
			url = c == '/';
			if (st->pending) {
				i = take_pending(&m, st, i);
				continue;
			}
			e = word_rules(&m, st, i);
			if (e != i) {
				i = e;
				continue;
			}
		}
		e = 0;
		switch (c) {
		case '-':
			if ((e = pem_begin(&m, i)) != 0) {
				st->in_pem = 1;
				e = pem_body(&m, st, e);
			}
			break;
		case 'e':
			if (i == 0 || !is_b64url((unsigned char)s[i - 1])) {
				e = jwt_end(&m, i);
				if (e)
					mask(&m, i, e, KAG__CRED_JWT);
			}
			break;
		case 'A':
		case 'g':
		case 'x':
			if (i == 0 || !is_alnum((unsigned char)s[i - 1])) {
				e = cloud_key_end(s, i, len);
				if (e)
					mask(&m, i, e, KAG__CRED_CLOUD_KEY);
			}
			break;
		case '?':
			if (url)
				e = url_query(&m, i);
			break;
		case ':':
			if (len - i >= 3 && s[i + 1] == '/' && s[i + 2] == '/') {
				url = 1;
				e = url_authority(&m, i);
				break;
			}
			/* fall through */
		case '=':
			key_before(&m, i, &ks, &ke);
			if (ke > ks && kag__key_is_secret(s + ks, ke - ks))
				e = key_value(&m, st, i, key_is_authorization(s + ks, ke - ks));
			else if (c == '=' && ke > ks && s[ks] == '-' &&
				 (eq_nocase(s + ks, ke - ks, "--user") ||
				  eq_nocase(s + ks, ke - ks, "--proxy-user")))
				mask_password(&m, i + 1, word_end(&m, i + 1));
			break;
		default:
			break;
		}
		i = e > i ? e : i + 1;
		if (i < m.kept) /* never inside what is masked */
			i = m.kept;
	}
	kag__buf_put(out, s + m.kept, len - m.kept);
	return m.found;
}

/* ---- the request URI ---- */

/* Masked text as a query value: unreserved characters as they are, space
 * as '+', the rest percent-encoded; the mask itself kept readable. */
static void put_query_encoded(kag_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '<' && n - i >= REDACTED_LEN &&
		    memcmp(s + i, KAG__REDACTED, REDACTED_LEN) == 0) {
			KAG__BUF_LIT(b, KAG__REDACTED);
			i += REDACTED_LEN - 1;
		} else if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			kag__buf_putc(b, (char)c);
		} else if (c == ' ') {
			kag__buf_putc(b, '+');
		} else {
			char pct[3] = { '%', hex[c >> 4], hex[c & 15] };

			kag__buf_put(b, pct, 3);
		}
	}
}

/* A command= value: decoded, masked, and written again only when
 * something was masked (else as it was written). */
static void put_command_value(kag_buf *b, const char *v, size_t n, kag__mask_state *st,
			      kag_buf *dec, kag_buf *masked)
{
	int found;

	dec->len = masked->len = 0;
	if (kag__buf_reserve(dec, n) < 0) {
		b->oom = 1;
		return;
	}
	dec->len = kag__url_decode(dec->data, v, n);
	found = kag__mask_credentials(masked, dec->data, dec->len, st);
	if (!found) {
		kag__buf_put_json_chars(b, v, n);
	} else if (masked->oom) {
		b->oom = 1;
	} else {
		put_query_encoded(b, masked->data, masked->len);
	}
}

size_t kag__uri_path_len(const char *uri, size_t len)
{
	size_t i;

	for (i = 0; i < len && uri[i] != '?' && uri[i] != '#'; i++)
		;
	return i;
}

/* A fragment of n bytes ('#' first, if any): the '#' kept, the rest
 * replaced. */
static void put_fragment(kag_buf *b, size_t n)
{
	if (!n)
		return;
	kag__buf_putc(b, '#');
	if (n > 1)
		KAG__BUF_LIT(b, KAG__REDACTED);
}

/* Written in parts; the parts meet at ASCII separators or the mask, so
 * they escape as the whole would. A raw value that is not allowed is
 * never written, nor anything after a '#'. */
void kag__put_redacted_uri(kag_buf *b, const char *uri, size_t len)
{
	const char *hash = memchr(uri, '#', len);
	size_t n = hash ? (size_t)(hash - uri) : len; /* before the fragment */
	const char *q = memchr(uri, '?', n), *p, *end = uri + n;
	kag__mask_state st;
	kag_buf dec, masked;

	if (!q && !hash) {
		kag__buf_put_json_str(b, uri, len);
		return;
	}
	kag__buf_putc(b, '"');
	if (!q) {
		kag__buf_put_json_chars(b, uri, n);
		put_fragment(b, len - n);
		kag__buf_putc(b, '"');
		return;
	}
	kag__mask_init(&st);
	kag__buf_init(&dec);
	kag__buf_init(&masked);
	kag__buf_put_json_chars(b, uri, (size_t)(q + 1 - uri));
	for (p = q + 1;;) {
		const char *stop = p, *eq = NULL;

		while (stop < end && *stop != '&' && *stop != ';') {
			if (*stop == '=' && !eq)
				eq = stop;
			stop++;
		}
		if (!eq) {
			if (stop > p && !kag__query_param_allowed(p, (size_t)(stop - p)))
				KAG__BUF_LIT(b, KAG__REDACTED);
			else
				kag__buf_put_json_chars(b, p, (size_t)(stop - p));
		} else {
			int k = param_index(p, (size_t)(eq - p));

			kag__buf_put_json_chars(b, p, (size_t)(eq + 1 - p));
			if (k < 0)
				KAG__BUF_LIT(b, KAG__REDACTED);
			else if (param_is_command(k))
				put_command_value(b, eq + 1, (size_t)(stop - eq - 1), &st, &dec,
						  &masked);
			else
				kag__buf_put_json_chars(b, eq + 1, (size_t)(stop - eq - 1));
		}
		if (stop == end)
			break;
		kag__buf_putc(b, *stop);
		p = stop + 1;
	}
	put_fragment(b, len - n);
	kag__buf_putc(b, '"');
	kag__buf_dispose(&dec);
	kag__buf_dispose(&masked);
}

/* ---- opted-in bodies ---- */

/* How a value is written. */
enum {
	B_NORMAL,      /* as it is, strings masked */
	B_REPLACE,     /* replaced, whatever it holds */
	B_SECRET,      /* named a secret: strings and numbers replaced, arrays
			* alike, objects judged member by member */
	B_EACH_REPLACE /* a map of secret values: each member replaced */
};

/* What an object is. */
enum {
	O_SECRET = 1 << 0,       /* a Secret (or a patch of one): data,
				  * stringData and value replaced */
	O_SECRET_ITEMS = 1 << 1, /* its items are Secrets */
	O_ALL_REPLACE = 1 << 2,  /* every member replaced */
	O_SECRET_VALUE = 1 << 3  /* under a key naming a secret: member
				  * "value" is the secret */
};

/* An object or array being written. */
typedef struct {
	json_t *node;
	void *iter;            /* objects: the next member */
	size_t index;          /* arrays: the next element */
	kag__mask_state st;    /* arrays: the masker's, from string to string */
	unsigned char child;   /* arrays: how elements are written */
	unsigned char obj;     /* objects: O_*; arrays: O_* of element objects */
	unsigned char value;   /* objects: how member "value" is written */
	unsigned char first;   /* nothing written inside yet */
} bframe;

typedef struct {
	kag_buf *b;
	kag_buf scratch;       /* a masked string */
	bframe *stack;
	size_t n, cap;
	int failed;
} bwriter;

static int str_is(const json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static int key_is(const char *k, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(k, s, n) == 0;
}

/* The last segment of a JSON pointer. */
static const char *last_segment(const char *path, size_t *n)
{
	const char *slash = strrchr(path, '/');
	const char *seg = slash ? slash + 1 : path;

	*n = strlen(seg);
	return seg;
}

/* How member "value" of an object is written: a {name, value} pair (env
 * entries, headers, parameters) by its name; a JSON Patch operation by
 * the member its path ends in. */
static unsigned char value_rule(json_t *o, unsigned char flags)
{
	json_t *name = json_object_get(o, "name"), *op, *path;
	const char *seg;
	size_t n;

	if (flags & O_SECRET)
		return B_REPLACE;
	if (flags & O_SECRET_VALUE)
		return B_SECRET;
	if (json_is_string(name) && json_object_get(o, "value"))
		return kag__key_is_secret(json_string_value(name), json_string_length(name))
			       ? B_SECRET : B_NORMAL;
	op = json_object_get(o, "op");
	path = json_object_get(o, "path");
	if (json_is_string(op) && json_is_string(path)) {
		if (strncmp(json_string_value(path), "/binaryData", 11) == 0)
			return B_REPLACE;
		seg = last_segment(json_string_value(path), &n);
		if (kag__key_is_secret(seg, n))
			return B_SECRET;
	}
	return B_NORMAL;
}

static int push(bwriter *w, json_t *node, unsigned char child, unsigned char obj)
{
	bframe *f;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		bframe *ns = kag__realloc(w->stack, cap * sizeof(*ns));

		if (!ns)
			return w->failed = 1, -1;
		w->stack = ns;
		w->cap = cap;
	}
	f = &w->stack[w->n++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	f->first = 1;
	kag__mask_init(&f->st);
	if (json_is_object(node)) {
		json_t *kind = json_object_get(node, "kind");

		if (str_is(kind, "Secret"))
			obj |= O_SECRET;
		else if (str_is(kind, "SecretList"))
			obj |= O_SECRET_ITEMS;
		f->obj = obj;
		f->value = value_rule(node, obj);
		f->iter = json_object_iter(node);
		kag__buf_putc(w->b, '{');
	} else {
		f->child = child;
		f->obj = obj;
		kag__buf_putc(w->b, '[');
	}
	return 0;
}

/* st: the masker's state carried from the array's previous string, or
 * NULL. */
static void put_string(bwriter *w, json_t *v, kag__mask_state *st)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	int found;

	w->scratch.len = 0;
	found = kag__mask_credentials(&w->scratch, s, n, st);
	if (!w->scratch.oom)
		kag__buf_put_json_str(w->b, w->scratch.data ? w->scratch.data : "", w->scratch.len);
	else if (!found) /* nothing to mask: the string as it is */
		kag__buf_put_json_str(w->b, s, n);
	else
		w->failed = 1;
}

static void put_number(bwriter *w, json_t *v)
{
	char tmp[64];
	size_t n;

	if (json_is_integer(v)) {
		kag__buf_put_i64(w->b, json_integer_value(v));
		return;
	}
	n = json_dumpb(v, tmp, sizeof(tmp), JSON_COMPACT | JSON_ENCODE_ANY);
	if (n == 0 || n > sizeof(tmp))
		KAG__BUF_LIT(w->b, "null");
	else
		kag__buf_put(w->b, tmp, n);
}

/* Write v as `treat` says; objects and arrays are pushed, to be written
 * member by member. obj: O_* flags v has as an object, or its elements
 * have as objects. st: the state a string of an array is masked with
 * (unused once the stack grows: only strings read it). */
static void put_value(bwriter *w, json_t *v, unsigned char treat, unsigned char obj,
		      kag__mask_state *st)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (treat == B_REPLACE)
			break;
		if (treat == B_EACH_REPLACE)
			obj = O_ALL_REPLACE;
		else if (treat == B_SECRET)
			obj |= O_SECRET_VALUE;
		push(w, v, B_NORMAL, obj);
		return;
	case JSON_ARRAY:
		if (treat == B_REPLACE || treat == B_EACH_REPLACE)
			break;
		push(w, v, treat, obj);
		return;
	case JSON_STRING:
		if (treat != B_NORMAL)
			break;
		put_string(w, v, st);
		return;
	case JSON_INTEGER:
	case JSON_REAL:
		if (treat != B_NORMAL)
			break;
		put_number(w, v);
		return;
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		if (treat == B_REPLACE || treat == B_EACH_REPLACE)
			break;
		if (json_is_true(v))
			KAG__BUF_LIT(w->b, "true");
		else if (json_is_false(v))
			KAG__BUF_LIT(w->b, "false");
		else
			KAG__BUF_LIT(w->b, "null");
		return;
	}
	KAG__BUF_LIT(w->b, "\"" KAG__REDACTED "\"");
}

/* How member k of the object written in frame f is written, and the O_*
 * flags its value gets. */
static unsigned char member_rule(const bframe *f, const char *k, size_t n,
				 unsigned char *obj)
{
	*obj = 0;
	if (f->obj & O_ALL_REPLACE)
		return B_REPLACE;
	if (key_is(k, n, "kubectl.kubernetes.io/last-applied-configuration"))
		return B_REPLACE;
	if ((f->obj & O_SECRET) && (key_is(k, n, "data") || key_is(k, n, "stringData")))
		return B_EACH_REPLACE;
	if (key_is(k, n, "binaryData"))
		return B_EACH_REPLACE;
	if (key_is(k, n, "value") && f->value != B_NORMAL)
		return f->value;
	if ((f->obj & O_SECRET_ITEMS) && key_is(k, n, "items")) {
		*obj = O_SECRET;
		return B_NORMAL;
	}
	if (kag__key_is_secret(k, n))
		return B_SECRET;
	return B_NORMAL;
}

void kag__put_redacted_body(kag_buf *b, struct json_t *body, int secrets)
{
	bwriter w;
	size_t start = b->len;

	memset(&w, 0, sizeof(w));
	w.b = b;
	kag__buf_init(&w.scratch);
	put_value(&w, body, B_NORMAL, secrets ? O_SECRET | O_SECRET_ITEMS : 0, NULL);
	while (w.n && !w.failed) {
		bframe *f = &w.stack[w.n - 1];
		unsigned char treat, obj = 0;
		kag__mask_state *st = NULL;
		json_t *v;

		if (json_is_object(f->node)) {
			const char *k;
			size_t kn;

			if (!f->iter) {
				kag__buf_putc(b, '}');
				w.n--;
				continue;
			}
			k = json_object_iter_key(f->iter);
#if JANSSON_VERSION_HEX >= 0x020e00
			kn = json_object_iter_key_len(f->iter);
#else
			kn = strlen(k);
#endif
			v = json_object_iter_value(f->iter);
			f->iter = json_object_iter_next(f->node, f->iter);
			if (!f->first)
				kag__buf_putc(b, ',');
			f->first = 0;
			kag__buf_put_json_str(b, k, kn);
			kag__buf_putc(b, ':');
			treat = member_rule(f, k, kn, &obj);
		} else {
			if (f->index == json_array_size(f->node)) {
				kag__buf_putc(b, ']');
				w.n--;
				continue;
			}
			v = json_array_get(f->node, f->index++);
			if (!f->first)
				kag__buf_putc(b, ',');
			f->first = 0;
			treat = f->child;
			obj = f->obj;
			st = &f->st;
		}
		/* f (and st) may move when the stack grows */
		put_value(&w, v, treat, obj, st);
	}
	if (w.failed && !b->oom) {
		/* not redacted, not shown */
		b->len = start;
		KAG__BUF_LIT(b, "null");
	}
	kag__free(w.stack);
	kag__buf_dispose(&w.scratch);
}
