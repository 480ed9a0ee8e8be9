/* The detector index. A built-in detector names the verbs and resources
 * outside of which its applies() test is always false (the lists may be
 * wider than the test, never narrower); caller detectors and rules name
 * none and see every event. An event then costs two small table lookups
 * instead of a string comparison per detector. */
#include <string.h>

#include "route-private.h"
#include "word-private.h"

/* Names are few and known: length and three bytes tell them apart well
 * enough (a clash only costs a probe), and an event's name is not read
 * further than that before the one comparison. */
static size_t slot_hash(const char *s, size_t len)
{
	if (!len)
		return 0;
	return len * 0x9e37u ^ (unsigned char)s[0] * 0x85u ^
	       (unsigned char)s[len - 1] * 0x3du ^ (unsigned char)s[len / 2] * 0x1fu;
}

/* Add bit to the slot of name; 0 when the table is full. */
static int add(kag__route_slot *tab, size_t n, const char *name, uint64_t bit)
{
	size_t len = strlen(name), i, k;

	i = slot_hash(name, len) & (n - 1);
	for (k = 0; k < n; k++, i = (i + 1) & (n - 1)) {
		if (!tab[i].name.ptr) {
			tab[i].name.ptr = name;
			tab[i].name.len = len;
		} else if (tab[i].name.len != len || memcmp(tab[i].name.ptr, name, len) != 0) {
			continue;
		}
		tab[i].mask |= bit;
		return 1;
	}
	return 0;
}

/* a[0, n) == b[0, n): names are short, and two overlapping loads from each
 * end cover up to twice their width without a call. */
static int same(const char *a, const char *b, size_t n)
{
	if (n >= 8 && n <= 16)
		return kag__load64(a) == kag__load64(b) &&
		       kag__load64(a + n - 8) == kag__load64(b + n - 8);
	if (n >= 4 && n < 8)
		return kag__load32(a) == kag__load32(b) &&
		       kag__load32(a + n - 4) == kag__load32(b + n - 4);
	return memcmp(a, b, n) == 0;
}

static uint64_t find(const kag__route_slot *tab, size_t n, kag_str s)
{
	size_t i, k;

	i = slot_hash(s.ptr, s.len) & (n - 1);
	for (k = 0; k < n && tab[i].name.ptr; k++, i = (i + 1) & (n - 1)) {
		if (tab[i].name.len == s.len && same(tab[i].name.ptr, s.ptr, s.len))
			return tab[i].mask;
	}
	return 0;
}

/* List the entry under each name, or under "any" (no list, or no room:
 * an entry left out of the index would lose events). */
static void index_names(kag__route_slot *tab, size_t n, uint64_t *any,
			const char *const *names, uint64_t bit)
{
	size_t i;

	if (!names) {
		*any |= bit;
		return;
	}
	for (i = 0; names[i]; i++) {
		if (!add(tab, n, names[i], bit)) {
			*any |= bit;
			return;
		}
	}
}

void kag__route_build(kag__route *rt, const kag_registry *r)
{
	size_t i;

	memset(rt, 0, sizeof(*rt));
	for (i = 0; i < r->n_entries && i < KAG__ROUTE_INDEXED; i++) {
		const kag__detector_def *d = &r->entries[i].def;
		uint64_t bit = 1ULL << i;

		index_names(rt->verbs, sizeof(rt->verbs) / sizeof(rt->verbs[0]), &rt->any_verb,
			    d->verbs, bit);
		index_names(rt->resources, sizeof(rt->resources) / sizeof(rt->resources[0]),
			    &rt->any_resource, d->resources, bit);
	}
}

uint64_t kag__route_candidates(const kag__route *rt, const kag_event *ev)
{
	uint64_t verb = rt->any_verb, res = rt->any_resource;

	/* present, exactly as kag__eq() compares */
	if (ev->state[KAG_FIELD_VERB] != KAG_STATE_ABSENT && ev->str[KAG_FIELD_VERB].ptr)
		verb |= find(rt->verbs, sizeof(rt->verbs) / sizeof(rt->verbs[0]),
			     ev->str[KAG_FIELD_VERB]);
	if (!(verb & ~rt->any_resource))
		return verb & res;
	if (ev->state[KAG_FIELD_OBJ_RESOURCE] != KAG_STATE_ABSENT &&
	    ev->str[KAG_FIELD_OBJ_RESOURCE].ptr)
		res |= find(rt->resources, sizeof(rt->resources) / sizeof(rt->resources[0]),
			    ev->str[KAG_FIELD_OBJ_RESOURCE]);
	return verb & res;
}
