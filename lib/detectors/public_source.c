/* public_source: platform principals (service accounts, nodes, control-plane
 * and other system: identities), or writes into the system namespaces,
 * arriving from a public source address. The address judged is the last
 * sourceIPs entry: the connection's peer, the one entry a client cannot
 * set through X-Forwarded-For. */
#include <stdio.h>
#include <string.h>

#include "codec-private.h"
#include "detector-private.h"
#include "finding-private.h"
#include "request-private.h"

static const kag__technique attack[] = {
	KAG__PRIMARY("T1078", NULL),
	KAG__PRIMARY("T1552.007", "secrets and tokens"),
	{ NULL }
};
static const int required[] = { KAG_FIELD_USER_USERNAME, KAG_FIELD_SOURCE_IPS };
static const int wanted[] = { KAG_FIELD_USER_AGENT, KAG_FIELD_VERB };

/* ---- addresses ---- */

typedef struct {
	int v6;
	unsigned char a[16];
} ip_addr;

static int parse_v4(const char *s, size_t n, unsigned char out[4])
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (!digits || v > 255 || (digits > 1 && s[i - digits] == '0'))
			return 0;
		out[part] = (unsigned char)v;
		if (part < 3) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i == n;
}

static int parse_v6(const char *s, size_t n, unsigned char out[16])
{
	unsigned char words[16];
	size_t i = 0, nw = 0;
	int gap = -1;

	memset(words, 0, sizeof(words));
	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (n && s[0] == ':') {
		return 0;
	}
	while (i < n) {
		size_t start = i;
		unsigned v = 0;
		int d = 0;

		while (i < n && kag__hex_value(s[i]) >= 0 && d < 5) {
			v = v * 16 + (unsigned)kag__hex_value(s[i++]);
			d++;
		}
		if (i < n && s[i] == '.') {
			/* embedded IPv4 in the last 32 bits */
			if (nw > 12 || !parse_v4(s + start, n - start, words + nw))
				return 0;
			nw += 4;
			i = n;
			break;
		}
		if (!d || d > 4 || nw > 14)
			return 0;
		words[nw++] = (unsigned char)(v >> 8);
		words[nw++] = (unsigned char)v;
		if (i == n)
			break;
		if (s[i] != ':')
			return 0;
		i++;
		if (i < n && s[i] == ':') {
			if (gap >= 0)
				return 0;
			gap = (int)nw;
			i++;
		} else if (i == n) {
			return 0;
		}
	}
	if (gap < 0) {
		if (nw != 16)
			return 0;
		memcpy(out, words, 16);
		return 1;
	}
	if (nw > 14)
		return 0;
	memset(out, 0, 16);
	memcpy(out, words, (size_t)gap);
	memcpy(out + 16 - (nw - (size_t)gap), words + gap, nw - (size_t)gap);
	return 1;
}

/* An address, with an optional :port, [v6]:port or %zone, as sourceIPs and
 * providers write them. */
static int parse_ip(kag_str s, ip_addr *ip)
{
	const char *p = s.ptr;
	size_t n = s.len, i, colons = 0, first_colon = 0;

	if (!p || !n || n > 64)
		return 0;
	if (p[0] == '[') {
		const char *e = memchr(p, ']', n);

		if (!e)
			return 0;
		p++;
		n = (size_t)(e - p);
	}
	/* one pass: the colons before a zone ('%'), and where the first is */
	for (i = 0; i < n && p[i] != '%'; i++) {
		if (p[i] == ':' && colons++ == 0)
			first_colon = i;
	}
	n = i;
	memset(ip, 0, sizeof(*ip));
	if (colons >= 2) {
		ip->v6 = 1;
		return parse_v6(p, n, ip->a);
	}
	if (colons == 1)
		n = first_colon; /* a.b.c.d:port */
	return parse_v4(p, n, ip->a);
}

static int in_prefix(const unsigned char *a, const unsigned char *net, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, full) != 0)
		return 0;
	if (!rest)
		return 1;
	return ((a[full] ^ net[full]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

/* Not RFC 1918, loopback, link-local, shared (RFC 6598), unique-local,
 * unspecified, multicast or reserved. Documentation ranges count as
 * public: they are not private. */
static int is_public(const ip_addr *ip)
{
	/* network and mask, as 32-bit numbers */
	static const struct { uint32_t net, mask; } v4[] = {
		{ 0x00000000u, 0xff000000u }, { 0x0a000000u, 0xff000000u },  /* 0/8, 10/8 */
		{ 0x64400000u, 0xffc00000u }, { 0x7f000000u, 0xff000000u },  /* 100.64/10, 127/8 */
		{ 0xa9fe0000u, 0xffff0000u }, { 0xac100000u, 0xfff00000u },  /* 169.254/16, 172.16/12 */
		{ 0xc0a80000u, 0xffff0000u }, { 0xe0000000u, 0xf0000000u },  /* 192.168/16, 224/4 */
		{ 0xf0000000u, 0xf0000000u },                                 /* 240/4 */
	};
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char zero[16] = { 0 };
	const unsigned char *a = ip->a;
	uint32_t x;
	size_t i;

	if (ip->v6) {
		if (memcmp(a, mapped, 12) == 0) {
			ip_addr v = { 0, { 0 } };

			memcpy(v.a, a + 12, 4);
			return is_public(&v);
		}
		if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
			return 0;                               /* :: and ::1 */
		if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
			return 0;                               /* fe80::/10 */
		if ((a[0] & 0xfe) == 0xfc)
			return 0;                               /* fc00::/7 */
		if (a[0] == 0xff)
			return 0;                               /* multicast */
		return 1;
	}
	x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		if ((x & v4[i].mask) == v4[i].net)
			return 0;
	return 1;
}

/* The address lies in one of the policy's trusted networks ("a.b.c.d/n",
 * "x::/n" or a single address). */
static int trusted(const kag__strlist *nets, const ip_addr *ip)
{
	size_t i;

	for (i = 0; i < nets->n; i++) {
		const char *e = nets->items[i], *slash = strchr(e, '/');
		kag_str addr = { e, slash ? (size_t)(slash - e) : strlen(e) };
		ip_addr net;
		unsigned bits;

		if (!parse_ip(addr, &net) || net.v6 != ip->v6)
			continue;
		bits = ip->v6 ? 128 : 32;
		if (slash) {
			unsigned b = 0;
			const char *q = slash + 1;

			if (!*q)
				continue;
			for (; *q >= '0' && *q <= '9' && b <= 128; q++)
				b = b * 10 + (unsigned)(*q - '0');
			if (*q || b > bits)
				continue;
			bits = b;
		}
		if (in_prefix(ip->a, net.a, bits))
			return 1;
	}
	return 0;
}

/* ---- the detector ---- */

enum { S_NONE, S_SERVICE_ACCOUNT, S_NODE, S_SYSTEM, S_PERSON };

static int principal(const kag_event *ev, const kag__ctx *ctx)
{
	kag_str u;

	if (!kag__usable(ev, KAG_FIELD_USER_USERNAME))
		return S_NONE;
	u = ev->str[KAG_FIELD_USER_USERNAME];
	/* anonymous requests are anonymous_access's */
	if (kag__str_eq(u, "system:anonymous") || kag__str_eq(u, "system:unauthenticated"))
		return S_NONE;
	/* provider components run in the provider's own public address space */
	if (ctx->identity == KAG__ID_PROVIDER)
		return S_NONE;
	if (kag__str_prefix(u, "system:serviceaccount:"))
		return S_SERVICE_ACCOUNT;
	if (kag__str_prefix(u, "system:node:"))
		return S_NODE;
	if (kag__str_prefix(u, "system:") || ctx->identity != KAG__ID_NONE)
		return S_SYSTEM;
	return S_PERSON;
}

static int acts_on_workloads(const kag_event *ev)
{
	return kag__verb_is_write(ev) || kag__is_pod_session(ev);
}

static int applies(const kag_event *ev, const kag__ctx *ctx)
{
	ip_addr ip;
	int who;

	/* a denial reached nothing: rbac_probing's */
	if (ctx->outcome == KAG_OUTCOME_DENIED || ctx->outcome == KAG_OUTCOME_ERROR)
		return 0;
	/* the address first: most traffic is private, whoever sends it */
	if (!parse_ip(kag__last_source_ip(ev), &ip) || !is_public(&ip))
		return 0;
	who = principal(ev, ctx);
	if (who == S_NONE)
		return 0;
	if (who == S_PERSON &&
	    !(kag__in_system_namespace(ev, ctx->policy) && acts_on_workloads(ev)))
		return 0;
	return !trusted(&ctx->policy->trusted_networks, &ip);
}

static int judge(kag_finding *f, const kag_event *ev, kag__ctx *ctx)
{
	static const char *const names[] = { "", "service account", "node",
					     "system component", "user" };
	char user[128], verb[24], res[48], ns[64];
	kag_str ip = kag__last_source_ip(ev);
	int who = principal(ev, ctx), write = acts_on_workloads(ev), severity;
	int secrets = kag__eq(ev, KAG_FIELD_OBJ_RESOURCE, "secrets") ||
		      kag__eq(ev, KAG_FIELD_OBJ_SUBRESOURCE, "token");

	int egress = who == S_NODE || who == S_SERVICE_ACCOUNT;

	/* Nodes and pods reach a public API endpoint through the cluster's
	 * public egress (NAT) on many managed clusters: without the egress
	 * ranges in trusted_networks that is a weak lead, unless secrets are
	 * involved. Control-plane components have no reason to. */
	if (who == S_PERSON)
		severity = KAG_SEVERITY_MEDIUM;
	else if (egress)
		severity = secrets ? KAG_SEVERITY_MEDIUM : KAG_SEVERITY_LOW;
	else if (write || secrets)
		severity = KAG_SEVERITY_HIGH;
	else
		severity = KAG_SEVERITY_MEDIUM;
	kag__report(f, KAG_ASSESSMENT_SUSPICIOUS, severity,
		    egress ? KAG_CONFIDENCE_MEDIUM : KAG_CONFIDENCE_HIGH,
		    "%s %s from public address %.*s: %s %s%s%s%s%s", names[who],
		    kag__show(ev, KAG_FIELD_USER_USERNAME, user, sizeof(user)),
		    (int)(ip.len > 64 ? 64 : ip.len), ip.ptr,
		    kag__show(ev, KAG_FIELD_VERB, verb, sizeof(verb)),
		    kag__usable(ev, KAG_FIELD_OBJ_RESOURCE)
		    ? kag__show(ev, KAG_FIELD_OBJ_RESOURCE, res, sizeof(res))
		    : kag__show(ev, KAG_FIELD_REQUEST_URI, res, sizeof(res)),
		    kag__in_system_namespace(ev, ctx->policy) ? " in " : "",
		    kag__in_system_namespace(ev, ctx->policy)
		    ? kag__show(ev, KAG_FIELD_OBJ_NAMESPACE, ns, sizeof(ns)) : "",
		    who == S_PERSON ? " (a system namespace)" : "",
		    egress ? " (cluster egress through a public address is common on managed "
			     "clusters: list the egress ranges in trusted_networks)" : "");
	kag__finding_attack(f, "T1078");
	if (secrets)
		kag__finding_attack(f, "T1552.007");
	kag__extra_key(f, "publicSource");
	kag__buf_puts(f->extra, "{\"address\":");
	kag__buf_put_json_str(f->extra, ip.ptr, ip.len);
	kag__buf_puts(f->extra, ",\"principal\":\"");
	kag__buf_puts(f->extra, names[who]);
	kag__buf_puts(f->extra, "\"}");
	return KAG_OK;
}

const kag__detector_def kag__det_public_source = {
	.id = "public_source",
	.title = "Platform principal or system namespace reached from a public address",
	.about = {
		.finds =
			"allowed requests whose last sourceIPs entry (the connection peer; the "
			"earlier entries come from X-Forwarded-For, which the client sets) is "
			"public (not RFC 1918, loopback, link-local, RFC 6598 shared, "
			"unique-local, multicast or reserved; not in policy trusted_networks) and "
			"whose identity is a control-plane or other system: principal (writes, "
			"exec and secret or token access high, reads medium), a node or service "
			"account (low, medium for secrets or tokens: managed clusters often "
			"egress through public addresses), or a person writing or exec'ing into a "
			"system namespace (medium); provider components (eks:, system:gke-, "
			"aksService) run in public provider ranges and are left out, anonymous "
			"requests are anonymous_access's",
		.fields = "the last sourceIPs entry is judged",
		.false_positives =
			"nodes or NAT gateways with public egress addresses: list them in "
			"trusted_networks (kag carries no cloud address-range data)",
		.peers = "Panther SystemNamespaceFromPublicIP, System.Principal.PublicIP",
	},
	.attack = attack,
	KAG__REQUIRED(required),
	KAG__WANTED(wanted),
	.min_level = KAG_LEVEL_METADATA,
	.needs_outcome = 1,
	.ctx_severity = KAG_SEVERITY_MEDIUM,
	.applies = applies,
	.judge = judge,
};
