/* The caller of a request: service account, client and source address. */
#include <stdio.h>
#include <string.h>

#include "caller-private.h"
#include "request-private.h"

/* userAgent beginnings (compared ignoring case) of clients a person drives
 * or scripts with: command-line tools and generic HTTP libraries. The
 * Kubernetes client libraries (client-go's "<binary>/<version> (...)
 * kubernetes/<commit>", the generated clients' "OpenAPI-Generator/...")
 * are what operators use, and are not listed. */
static const struct {
	const char *prefix, *name;
} tools[] = {
	{ "kubectl", "kubectl" }, { "oc/", "oc" }, { "curl", "curl" }, { "wget", "wget" },
	{ "python-requests", "python-requests" }, { "python-urllib", "python-urllib" },
	{ "python-httpx", "python-httpx" }, { "aiohttp", "aiohttp" }, { "httpie", "HTTPie" },
	{ "go-http-client", "Go-http-client" }, { "okhttp", "okhttp" }, { "axios", "axios" },
	{ "node-fetch", "node-fetch" }, { "undici", "undici" }, { "java/", "Java" },
	{ "java-http-client", "Java-http-client" }, { "apache-httpclient", "Apache-HttpClient" },
	{ "libwww-perl", "libwww-perl" }, { "ruby", "Ruby" }, { "faraday", "Faraday" },
	{ "guzzlehttp", "Guzzle" }, { "reqwest", "reqwest" }, { "postmanruntime", "Postman" },
	{ "insomnia", "Insomnia" }, { "mozilla/", "a browser or PowerShell" }, { "k9s", "k9s" },
	{ "lens/", "Lens" }, { "kube-hunter", "kube-hunter" }, { "peirates", "peirates" },
};

/* s starts with lit (lower case), ignoring the case of s. Most user
 * agents differ from a tool's name at the first byte: no strlen() first. */
static int prefix_nocase(kag_str s, const char *lit)
{
	size_t i;

	for (i = 0; lit[i]; i++) {
		char c;

		if (i >= s.len)
			return 0;
		c = s.ptr[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return 0;
	}
	return 1;
}

static const char *tool_of(kag_str ua)
{
	size_t i;
	char c;

	if (!ua.len)
		return NULL;
	/* this runs for most requests: only the tools whose name starts with
	 * the agent's first byte are compared */
	c = ua.ptr[0];
	if (c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	/* PowerShell's Invoke-WebRequest writes "Mozilla/5.0 (...)
	 * WindowsPowerShell/5.1": caught by "mozilla/" */
	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if (tools[i].prefix[0] == c && prefix_nocase(ua, tools[i].prefix))
			return tools[i].name;
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

void kag__caller_read(kag__caller *c, const kag_event *ev, const kag__policy *p)
{
	static const char sa[] = "system:serviceaccount:";
	kag_str u = ev->str[KAG_FIELD_USER_USERNAME];
	const char *colon;

	memset(c, 0, sizeof(*c));
	if (kag__usable(ev, KAG_FIELD_USER_USERNAME) && !kag__has(ev, KAG_FIELD_IMP_USER) &&
	    kag__str_prefix(u, sa) &&
	    (colon = memchr(u.ptr + sizeof(sa) - 1, ':', u.len - (sizeof(sa) - 1))) != NULL) {
		c->sa_ns.ptr = u.ptr + sizeof(sa) - 1;
		c->sa_ns.len = (size_t)(colon - c->sa_ns.ptr);
		c->sa_name.ptr = colon + 1;
		c->sa_name.len = u.len - (size_t)(colon + 1 - u.ptr);
		if (c->sa_ns.len == 0 || c->sa_name.len == 0 ||
		    memchr(c->sa_name.ptr, ':', c->sa_name.len)) {
			c->sa_ns.ptr = c->sa_name.ptr = NULL;
			c->sa_ns.len = c->sa_name.len = 0;
		} else {
			c->groups_ok = groups_agree(ev, c->sa_ns);
		}
	}
	if (kag__usable(ev, KAG_FIELD_USER_AGENT) && ev->str[KAG_FIELD_USER_AGENT].len)
		c->tool = tool_of(ev->str[KAG_FIELD_USER_AGENT]);
	else
		c->no_agent = 1;
	c->source = kag__source_kind(ev, p);
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

void kag__caller_get(kag__caller *c, const kag__ctx *ctx, const kag_event *ev)
{
	struct kag__caller_memo *m = ctx->caller_memo;

	if (!m) {
		kag__caller_read(c, ev, ctx->policy);
		return;
	}
	if (!m->read) {
		kag__caller_read(&m->c, ev, ctx->policy);
		m->read = 1;
	}
	*c = m->c;
}
