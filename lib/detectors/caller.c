/* The caller of a request: service account, client and source address. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "caller-private.h"
#include "request-private.h"
#include "word-private.h"

/* userAgent beginnings (compared ignoring case) of clients a person drives
 * or scripts with: command-line tools and generic HTTP libraries. The
 * Kubernetes client libraries (client-go's "<binary>/<version> (...)
 * kubernetes/<commit>", the generated clients' "OpenAPI-Generator/...")
 * are what operators use, and are not listed. Sorted by prefix: tool_of()
 * finds the first byte by bisection. No prefix begins another, so an agent
 * names one tool at most. */
#define T(prefix, name) { prefix, sizeof(prefix) - 1, name }
static const struct {
	char prefix[24]; /* NUL-padded: read eight bytes at a time */
	size_t len;
	const char *name;
} tools[] = {
	T("aiohttp", "aiohttp"), T("apache-httpclient", "Apache-HttpClient"),
	T("axios", "axios"), T("curl", "curl"), T("faraday", "Faraday"),
	T("go-http-client", "Go-http-client"), T("guzzlehttp", "Guzzle"),
	T("httpie", "HTTPie"), T("insomnia", "Insomnia"),
	T("java-http-client", "Java-http-client"), T("java/", "Java"), T("k9s", "k9s"),
	T("kube-hunter", "kube-hunter"), T("kubectl", "kubectl"), T("lens/", "Lens"),
	T("libwww-perl", "libwww-perl"), T("mozilla/", "a browser or PowerShell"),
	T("node-fetch", "node-fetch"), T("oc/", "oc"), T("okhttp", "okhttp"),
	T("peirates", "peirates"), T("postmanruntime", "Postman"),
	T("python-httpx", "python-httpx"), T("python-requests", "python-requests"),
	T("python-urllib", "python-urllib"), T("reqwest", "reqwest"), T("ruby", "Ruby"),
	T("undici", "undici"), T("wget", "wget"),
};
#undef T

#define N_TOOLS (sizeof(tools) / sizeof(tools[0]))

/* Eight bytes as one word, in memory order; the bytes past n are 0. */
static uint64_t word(const char *s, size_t n)
{
	uint64_t w = 0;

	if (n >= 8)
		return kag__load64(s);
	memcpy(&w, s, n);
	return w;
}

/* Each byte of w, 'A' to 'Z' made lower case; the others as they are. */
static uint64_t lower8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t low7 = w & (0x7f * ones);
	uint64_t ge_a = low7 + (0x80 - 'A') * ones;     /* bit 7: >= 'A' */
	uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ones; /* bit 7: > 'Z' */

	return w | ((ge_a & ~gt_z & ~w & (0x80 * ones)) >> 2);
}

/* s starts with tool t's prefix (lower case), ignoring the case of s; w is
 * lower8() of its first eight bytes. */
static int tool_prefix(kag_str s, uint64_t w, size_t t)
{
	static const unsigned char first[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const char *lit = tools[t].prefix;
	size_t i, n = tools[t].len;
	uint64_t mask;

	if (s.len < n)
		return 0;
	memcpy(&mask, first + 8 - (n < 8 ? n : 8), 8); /* the first n bytes */
	if ((w ^ kag__load64(lit)) & mask)
		return 0;
	for (i = 8; i < n; i++) {
		unsigned char c = (unsigned char)s.ptr[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)lit[i])
			return 0;
	}
	return 1;
}

static const char *tool_of(kag_str ua)
{
	size_t lo = 0, hi = N_TOOLS;
	uint64_t w;
	unsigned char c;

	if (!ua.len)
		return NULL;
	/* this runs for most requests: only the tools whose name starts with
	 * the agent's first byte are compared, found by bisection, eight
	 * bytes at a time */
	c = (unsigned char)ua.ptr[0];
	if (c >= 'A' && c <= 'Z')
		c = (unsigned char)(c - 'A' + 'a');
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((unsigned char)tools[mid].prefix[0] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == N_TOOLS || (unsigned char)tools[lo].prefix[0] != c)
		return NULL;
	w = lower8(word(ua.ptr, ua.len));
	/* PowerShell's Invoke-WebRequest writes "Mozilla/5.0 (...)
	 * WindowsPowerShell/5.1": caught by "mozilla/" */
	for (; lo < N_TOOLS && (unsigned char)tools[lo].prefix[0] == c; lo++)
		if (tool_prefix(ua, w, lo))
			return tools[lo].name;
	return NULL;
}

/* The groups, when the record lists them, include
 * system:serviceaccounts:<ns>, as the API server puts them on every
 * service-account token. */
static int groups_agree(const kag_event *ev, kag_str ns)
{
	static const char prefix[] = "system:serviceaccounts:";
	char g[96];
	size_t n = sizeof(prefix) - 1;

	if (!kag__has(ev, KAG_FIELD_USER_GROUPS) || ev->count[KAG_FIELD_USER_GROUPS] == 0)
		return 1;
	/* built without snprintf: this runs for most requests */
	if (ns.len >= sizeof(g) - n)
		return 0;
	memcpy(g, prefix, n);
	memcpy(g + n, ns.ptr, ns.len);
	return kag__list_has_n(ev, KAG_FIELD_USER_GROUPS, g, n + ns.len);
}

/* The service account: sa_ns, sa_name, groups_ok. */
static void read_account(kag__caller *c, const kag_event *ev)
{
	static const char sa[] = "system:serviceaccount:";
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];
	const char *colon;

	c->sa_ns.ptr = c->sa_name.ptr = NULL;
	c->sa_ns.len = c->sa_name.len = 0;
	c->groups_ok = 0;
	if (kag__usable(ev, KAG_FIELD_USER_USERNAME) && !kag__has(ev, KAG_FIELD_IMP_USER) &&
	    kag__str_prefix(u, sa) &&
	    (colon = memchr(u.ptr + sizeof(sa) - 1, ':', u.len - (sizeof(sa) - 1)))) {
		const char *at = u.ptr + sizeof(sa) - 1;
		kag_str ns = { at, (size_t)(colon - at) };
		kag_str name = { colon + 1, u.len - (size_t)(colon + 1 - u.ptr) };

		if (ns.len && name.len && !memchr(name.ptr, ':', name.len)) {
			c->sa_ns = ns;
			c->sa_name = name;
			c->groups_ok = groups_agree(ev, ns);
		}
	}
}

/* The client: tool, no_agent. */
static void read_agent(kag__caller *c, const kag_event *ev)
{
	c->tool = NULL;
	c->no_agent = 0;
	if (kag__usable(ev, KAG_FIELD_USER_AGENT) && ev->str[KAG_FIELD_USER_AGENT].len)
		c->tool = tool_of(ev->str[KAG_FIELD_USER_AGENT]);
	else
		c->no_agent = 1;
}

/* Read the parts of the caller (KAG__CALLER_*) in `parts`; the others are
 * left as they are. */
static void read_parts(kag__caller *c, const kag_event *ev, const kag__policy *p, unsigned parts)
{
	if (parts & KAG__CALLER_ACCOUNT)
		read_account(c, ev);
	if (parts & KAG__CALLER_AGENT)
		read_agent(c, ev);
	if (parts & KAG__CALLER_SOURCE)
		c->source = kag__source_kind(ev, p);
}

void kag__caller_read(kag__caller *c, const kag_event *ev, const kag__policy *p)
{
	memset(c, 0, sizeof(*c));
	read_parts(c, ev, p, KAG__CALLER_ALL);
}

int kag__caller_fits(const kag__caller *c)
{
	return !c->tool && !c->no_agent && c->source == KAG__SOURCE_PRIVATE;
}

int kag__caller_suspect(const kag__caller *c)
{
	return c->tool || c->source == KAG__SOURCE_PUBLIC;
}

int kag__caller_own_namespace(const kag__caller *c, const kag_event *ev)
{
	kag_str ns = ev->str[KAG_FIELD_OBJ_NAMESPACE];

	return c->sa_ns.ptr && kag__usable(ev, KAG_FIELD_OBJ_NAMESPACE) &&
	       ns.len == c->sa_ns.len && memcmp(ns.ptr, c->sa_ns.ptr, ns.len) == 0;
}

void kag__caller_misfit(const kag__caller *c, const kag_event *ev, char *out, size_t size)
{
	kag_str ip = kag__last_source_ip(ev);
	size_t n = 0;

	out[0] = '\0';
	if (c->tool)
		n += (size_t)snprintf(out + n, size - n, "with %s", c->tool);
	else if (c->no_agent)
		n += (size_t)snprintf(out + n, size - n, "without a userAgent");
	if (n >= size)
		return;
	if (c->source == KAG__SOURCE_PUBLIC)
		snprintf(out + n, size - n, "%sfrom public address %.*s", n ? ", " : "",
			 (int)(ip.len > 64 ? 64 : ip.len), ip.ptr);
	else if (c->source == KAG__SOURCE_UNKNOWN)
		snprintf(out + n, size - n, "%sfrom an unknown address", n ? ", " : "");
}

/* The memo's caller with (at least) `parts` read. */
static const kag__caller *memo_read(struct kag__caller_memo *m, const kag__ctx *ctx,
				    const kag_event *ev, unsigned parts)
{
	if (parts & ~m->read) {
		read_parts(&m->c, ev, ctx->policy, parts & ~m->read);
		m->read |= parts;
	}
	return &m->c;
}

void kag__caller_get(kag__caller *c, const kag__ctx *ctx, const kag_event *ev)
{
	if (!ctx->caller_memo)
		kag__caller_read(c, ev, ctx->policy);
	else
		*c = *memo_read(ctx->caller_memo, ctx, ev, KAG__CALLER_ALL);
}

int kag__caller_source(const kag__ctx *ctx, const kag_event *ev)
{
	if (!ctx->caller_memo)
		return kag__source_kind(ev, ctx->policy);
	return memo_read(ctx->caller_memo, ctx, ev, KAG__CALLER_SOURCE)->source;
}

const char *kag__caller_tool(const kag__ctx *ctx, const kag_event *ev)
{
	kag__caller c;

	if (!ctx->caller_memo) {
		read_agent(&c, ev);
		return c.tool;
	}
	return memo_read(ctx->caller_memo, ctx, ev, KAG__CALLER_AGENT)->tool;
}
