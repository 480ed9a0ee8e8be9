/* Addresses: parsing sourceIPs entries and telling public from private. */
#include <string.h>

#include "address-private.h"
#include "codec-private.h"
#include "request-private.h"

/* A decimal octet at s[*i] (before n): 0 to 255, one to three digits, no
 * leading zero; its value, *i moved past it, or -1. A fourth digit makes
 * it too large. */
static int octet(const char *s, size_t n, size_t *i)
{
	size_t k = *i;
	unsigned v, d;

	if (k >= n || (v = (unsigned)((unsigned char)s[k] - '0')) > 9)
		return -1;
	k++;
	if (k < n && (d = (unsigned)((unsigned char)s[k] - '0')) <= 9) {
		if (v == 0)
			return -1;
		v = v * 10 + d;
		k++;
		if (k < n && (d = (unsigned)((unsigned char)s[k] - '0')) <= 9) {
			v = v * 10 + d;
			k++;
			if (v > 255 || (k < n && (unsigned)((unsigned char)s[k] - '0') <= 9))
				return -1;
		}
	}
	*i = k;
	return (int)v;
}

/* The length of the dotted quad that s[0, n) begins with, or 0. */
static size_t v4_prefix(const char *s, size_t n, unsigned char out[4])
{
	size_t i = 0;
	int part, v;

	for (part = 0; part < 4; part++) {
		if ((v = octet(s, n, &i)) < 0)
			return 0;
		out[part] = (unsigned char)v;
		if (part < 3) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i;
}

static int parse_v4(const char *s, size_t n, unsigned char out[4])
{
	size_t k = v4_prefix(s, n, out);

	return k && k == n;
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
int kag__ip_parse(kag_str s, kag__ip *ip)
{
	const char *p = s.ptr;
	size_t n = s.len, i, colons = 0, first_colon = 0;

	if (!p || !n || n > 64)
		return 0;
	/* most often a dotted quad, alone or before a :port or %zone: what
	 * the general reading below makes of it, without its pass for colons */
	if (p[0] >= '0' && p[0] <= '9') {
		memset(ip, 0, sizeof(*ip));
		i = v4_prefix(p, n, ip->a);
		if (i && (i == n || p[i] == '%'))
			return 1;
		if (i && p[i] == ':') {
			for (i++; i < n && p[i] != '%' && p[i] != ':'; i++)
				;
			if (i == n || p[i] == '%')
				return 1; /* one colon: a.b.c.d:port */
		}
	}
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
int kag__ip_is_public(const kag__ip *ip)
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
			kag__ip v = { 0, { 0 } };

			memcpy(v.a, a + 12, 4);
			return kag__ip_is_public(&v);
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
int kag__ip_in_networks(const kag__strlist *nets, const kag__ip *ip)
{
	size_t i;

	for (i = 0; i < nets->n; i++) {
		const char *e = nets->items[i], *slash = strchr(e, '/');
		kag_str addr = { e, slash ? (size_t)(slash - e) : strlen(e) };
		kag__ip net;
		unsigned bits;

		if (!kag__ip_parse(addr, &net) || net.v6 != ip->v6)
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

int kag__source_kind(const kag_event *ev, const kag__policy *p)
{
	kag__ip ip;

	if (!kag__ip_parse(kag__last_source_ip(ev), &ip))
		return KAG__SOURCE_UNKNOWN;
	if (!kag__ip_is_public(&ip) || kag__ip_in_networks(&p->trusted_networks, &ip))
		return KAG__SOURCE_PRIVATE;
	return KAG__SOURCE_PUBLIC;
}
