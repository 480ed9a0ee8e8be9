/* Address lists: caller-supplied lists of addresses and CIDR ranges.
 *
 * The text format: one address or CIDR range per line ("192.0.2.7",
 * "198.51.100.0/24", "2001:db8::/32"); '#' starts a comment to the end of
 * the line; blank lines and surrounding spaces, tabs and CRs are ignored.
 * Host bits past the prefix are cleared ("10.1.2.3/8" is 10.0.0.0/8), as
 * feeds often write them. A list is loaded whole or not at all.
 *
 * Lookups must stay cheap on every event with hundreds of thousands of
 * ranges loaded: at seal the ranges of every list are sorted and
 * overlapping ones merged, so that a lookup is one binary search for the
 * last range starting at or below the address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist-private.h"
#include "alloc-private.h"
#include "detectors/address-private.h"
#include "kag.h"

void kag__addrlists_dispose(kag__addrlists *s)
{
	size_t i;

	for (i = 0; i < s->n_names; i++)
		kag__free(s->names[i]);
	kag__free(s->names);
	kag__free(s->ranges);
	memset(s, 0, sizeof(*s));
}

int kag__addrlists_copy(kag__addrlists *out, const kag__addrlists *src)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->names = kag__calloc(src->n_names + 1, sizeof(char *));
	out->ranges = kag__malloc((src->n_ranges + 1) * sizeof(kag__addr_range));
	if (!out->names || !out->ranges) {
		kag__addrlists_dispose(out);
		return KAG_ENOMEM;
	}
	for (i = 0; i < src->n_names; i++) {
		out->names[i] = kag__strdup(src->names[i]);
		if (!out->names[i]) {
			out->n_names = i;
			kag__addrlists_dispose(out);
			return KAG_ENOMEM;
		}
	}
	out->n_names = src->n_names;
	if (src->n_ranges)
		memcpy(out->ranges, src->ranges, src->n_ranges * sizeof(kag__addr_range));
	out->n_ranges = src->n_ranges;
	return KAG_OK;
}

/* ip as a key (see kag__addr_range); an IPv4-mapped IPv6 address is the
 * IPv4 address. */
static void make_key(unsigned char key[KAG__ADDR_KEY], const kag__ip *ip)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(key, 0, KAG__ADDR_KEY);
	if (ip->v6 && memcmp(ip->a, mapped, 12) != 0) {
		key[0] = 6;
		memcpy(key + 1, ip->a, 16);
	} else {
		key[0] = 4;
		memcpy(key + 1, ip->v6 ? ip->a + 12 : ip->a, 4);
	}
}

/* Clear (lo) and set (hi) the bits past the prefix. */
static void set_range(kag__addr_range *r, const unsigned char key[KAG__ADDR_KEY],
		      unsigned bits, unsigned total)
{
	unsigned b;

	memcpy(r->lo, key, KAG__ADDR_KEY);
	memcpy(r->hi, key, KAG__ADDR_KEY);
	for (b = bits; b < total; b++) {
		unsigned char m = (unsigned char)(0x80u >> (b % 8));

		r->lo[1 + b / 8] &= (unsigned char)~m;
		r->hi[1 + b / 8] |= m;
	}
}

/* One entry, trimmed and without its comment: "addr" or "addr/bits". */
static const char *parse_entry(const char *p, size_t n, kag__addr_range *r)
{
	const char *slash = memchr(p, '/', n);
	size_t alen = slash ? (size_t)(slash - p) : n, i, colons = 0;
	unsigned char key[KAG__ADDR_KEY];
	unsigned total, bits;
	kag_str a;
	kag__ip ip;

	for (i = 0; i < alen; i++) {
		char c = p[i];

		if (c == ':')
			colons++;
		else if (!(c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			   (c >= 'A' && c <= 'F')))
			return "not an address or CIDR range";
	}
	a.ptr = p;
	a.len = alen;
	/* one colon would be read as a port */
	if (colons == 1 || !kag__ip_parse(a, &ip))
		return "not an address or CIDR range";
	total = ip.v6 ? 128 : 32;
	bits = total;
	if (slash) {
		const char *q = slash + 1, *end = p + n;

		if (q == end || end - q > 3)
			return "a prefix length is 1 to 3 digits";
		for (bits = 0; q < end; q++) {
			if (*q < '0' || *q > '9')
				return "a prefix length is 1 to 3 digits";
			bits = bits * 10 + (unsigned)(*q - '0');
		}
		if (bits > total)
			return ip.v6 ? "an IPv6 prefix length is at most 128"
				     : "an IPv4 prefix length is at most 32";
	}
	make_key(key, &ip);
	if (ip.v6 && key[0] == 4) {
		/* ::ffff:a.b.c.d/n is a.b.c.d/(n - 96) */
		if (bits < 96)
			return "an IPv4-mapped prefix shorter than 96 bits";
		bits -= 96;
		total = 32;
	}
	set_range(r, key, bits, total);
	return NULL;
}

static int valid_name(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++)
		if ((unsigned char)name[n] <= 0x20 || (unsigned char)name[n] >= 0x7f)
			return 0;
	return n > 0 && n <= KAG__ADDR_NAME_MAX;
}

static int fail(char *why, size_t size, int rc, const char *message)
{
	snprintf(why, size, "%s", message);
	return rc;
}

/* Every entry of the text, into a fresh array (list index 0). */
static int parse_text(const char *text, size_t len, kag__addr_range **out, size_t *n_out,
		      size_t *line, char *why, size_t why_size)
{
	kag__addr_range *v = NULL;
	size_t n = 0, cap = 0, pos = 0;

	*line = 0;
	while (pos < len) {
		const char *p = text + pos, *nl = memchr(p, '\n', len - pos);
		size_t n_line = nl ? (size_t)(nl - p) : len - pos, k = n_line;
		const char *bad, *hash = memchr(p, '#', n_line);
		size_t start = 0;

		++*line;
		pos += n_line + (nl ? 1 : 0);
		if (n_line > KAG__ADDR_LINE_MAX) {
			kag__free(v);
			return fail(why, why_size, KAG_ELIMIT, "a line longer than 256 bytes");
		}
		if (hash)
			k = (size_t)(hash - p);
		while (start < k && (p[start] == ' ' || p[start] == '\t' || p[start] == '\r'))
			start++;
		while (k > start && (p[k - 1] == ' ' || p[k - 1] == '\t' || p[k - 1] == '\r'))
			k--;
		if (k == start)
			continue;
		if (n == KAG__ADDR_ENTRIES_MAX) {
			kag__free(v);
			return fail(why, why_size, KAG_ELIMIT, "more than 1048576 entries");
		}
		if (n == cap) {
			kag__addr_range *nv;

			cap = cap ? cap * 2 : 256;
			nv = kag__realloc(v, cap * sizeof(*v));
			if (!nv) {
				kag__free(v);
				*line = 0;
				return fail(why, why_size, KAG_ENOMEM, "out of memory");
			}
			v = nv;
		}
		bad = parse_entry(p + start, k - start, &v[n]);
		if (bad) {
			kag__free(v);
			return fail(why, why_size, KAG_EPARSE, bad);
		}
		v[n++].list = 0;
	}
	*line = 0;
	*out = v;
	*n_out = n;
	return KAG_OK;
}

static long find_name(const kag__addrlists *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_names; i++)
		if (strcmp(s->names[i], name) == 0)
			return (long)i;
	return -1;
}

/* Drop the ranges of list li. */
static void drop_list(kag__addrlists *s, uint32_t li)
{
	size_t i, k = 0;

	for (i = 0; i < s->n_ranges; i++)
		if (s->ranges[i].list != li)
			s->ranges[k++] = s->ranges[i];
	s->n_ranges = k;
}

int kag__addrlists_load(kag__addrlists *s, const char *name, const char *text, size_t len,
			size_t *line, char *why, size_t why_size)
{
	kag__addr_range *v, *all;
	size_t n, i, kept;
	long li = find_name(s, name);
	int rc;

	*line = 0;
	if (!valid_name(name))
		return fail(why, why_size, KAG_EINVAL, "a list name is 1 to 64 printable "
			    "bytes without spaces");
	if (len > KAG__ADDR_TEXT_MAX)
		return fail(why, why_size, KAG_ELIMIT, "a list longer than 64 MiB");
	if (li < 0 && s->n_names == KAG__ADDR_LISTS_MAX)
		return fail(why, why_size, KAG_ELIMIT, "more than 64 lists");
	rc = parse_text(text, len, &v, &n, line, why, why_size);
	if (rc < 0)
		return rc;
	kept = s->n_ranges;
	for (i = 0; li >= 0 && i < s->n_ranges; i++)
		kept -= s->ranges[i].list == (uint32_t)li;
	if (kept + n > KAG__ADDR_RANGES_MAX) {
		kag__free(v);
		return fail(why, why_size, KAG_ELIMIT, "more than 4194304 entries in all lists");
	}
	/* everything that can fail comes before the first change */
	all = kag__realloc(s->ranges, (s->n_ranges + n + 1) * sizeof(*all));
	if (all)
		s->ranges = all;
	if (li < 0 && all) {
		char **names = kag__realloc(s->names, (s->n_names + 1) * sizeof(char *));
		char *copy = kag__strdup(name);

		if (names)
			s->names = names;
		if (!names || !copy) {
			kag__free(copy);
			all = NULL;
		} else {
			s->names[s->n_names] = copy;
			li = (long)s->n_names++;
		}
	}
	if (!all) {
		kag__free(v);
		return fail(why, why_size, KAG_ENOMEM, "out of memory");
	}
	drop_list(s, (uint32_t)li);
	for (i = 0; i < n; i++) {
		v[i].list = (uint32_t)li;
		s->ranges[s->n_ranges++] = v[i];
	}
	kag__free(v);
	s->sealed = 0;
	return KAG_OK;
}

static int by_lo(const void *a, const void *b)
{
	const kag__addr_range *x = a, *y = b;
	int c = memcmp(x->lo, y->lo, KAG__ADDR_KEY);

	/* the same start: the wider range first, then the earlier list */
	if (!c)
		c = -memcmp(x->hi, y->hi, KAG__ADDR_KEY);
	if (!c)
		c = x->list < y->list ? -1 : x->list > y->list;
	return c;
}

void kag__addrlists_seal(kag__addrlists *s)
{
	size_t i, k = 0;

	if (s->sealed)
		return;
	if (s->n_ranges)
		qsort(s->ranges, s->n_ranges, sizeof(*s->ranges), by_lo);
	/* merge overlapping ranges: a lookup then has one candidate */
	for (i = 0; i < s->n_ranges; i++) {
		kag__addr_range *prev = k ? &s->ranges[k - 1] : NULL;

		if (prev && memcmp(s->ranges[i].lo, prev->hi, KAG__ADDR_KEY) <= 0) {
			if (memcmp(s->ranges[i].hi, prev->hi, KAG__ADDR_KEY) > 0)
				memcpy(prev->hi, s->ranges[i].hi, KAG__ADDR_KEY);
			continue;
		}
		s->ranges[k++] = s->ranges[i];
	}
	s->n_ranges = k;
	s->sealed = 1;
}

const char *kag__addrlists_find(const kag__addrlists *s, int v6, const unsigned char a[16])
{
	unsigned char key[KAG__ADDR_KEY];
	kag__ip ip;
	size_t lo = 0, hi = s->n_ranges;

	if (!s->n_ranges || !s->sealed)
		return NULL;
	ip.v6 = v6;
	memcpy(ip.a, a, 16);
	make_key(key, &ip);
	/* the first range starting above key: the one before it may hold it */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(s->ranges[mid].lo, key, KAG__ADDR_KEY) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || memcmp(key, s->ranges[lo - 1].hi, KAG__ADDR_KEY) > 0)
		return NULL;
	return s->names[s->ranges[lo - 1].list];
}
