/* Address lists: named lists of addresses and CIDR ranges the caller
 * supplies (Tor exit nodes, threat-intelligence feeds), parsed from text,
 * merged into one sorted array of ranges at seal and searched by binary
 * search. known_bad_source matches the connecting address against them. */
#ifndef KAG_ADDRLIST_PRIVATE_H
#define KAG_ADDRLIST_PRIVATE_H

#include <stddef.h>
#include <stdint.h>


#define KAG__ADDR_NAME_MAX 64          /* bytes of a list's name */
#define KAG__ADDR_LISTS_MAX 64         /* lists on a registry */
#define KAG__ADDR_LINE_MAX 256         /* bytes of a line, comment included */
#define KAG__ADDR_TEXT_MAX (64u << 20) /* bytes of one list's text */
#define KAG__ADDR_ENTRIES_MAX (1u << 20) /* entries of one list */
#define KAG__ADDR_RANGES_MAX (1u << 22)  /* entries of every list together */

/* A range as two keys: byte 0 is the family (4 or 6), then the address
 * (an IPv4 address in bytes 1-4, the rest 0), so that memcmp() orders
 * ranges of a family by address and keeps the families apart. */
#define KAG__ADDR_KEY 17
typedef struct {
	unsigned char lo[KAG__ADDR_KEY], hi[KAG__ADDR_KEY];
	uint32_t list;   /* index into names */
} kag__addr_range;

typedef struct {
	char **names;
	size_t n_names;
	kag__addr_range *ranges;
	size_t n_ranges;
	int sealed;      /* sorted and merged: ready for lookups */
} kag__addrlists;

void kag__addrlists_dispose(kag__addrlists *s);
/* A deep copy of src into out (staging for an all-or-nothing load). */
int kag__addrlists_copy(kag__addrlists *out, const kag__addrlists *src);
/* Parse `text` (len bytes) as the list `name`, replacing a list of that
 * name; all or nothing. On an error, *line is the 1-based line at fault
 * (0: not a line's fault) and why[] says what is wrong. */
int kag__addrlists_load(kag__addrlists *s, const char *name, const char *text, size_t len,
			size_t *line, char *why, size_t why_size);
/* Sort and merge the ranges (at seal: the lists no longer change). */
void kag__addrlists_seal(kag__addrlists *s);
/* The name of a list holding ip, or NULL. Where ranges of several lists
 * overlap, the list of the lowest-starting range is named. The address
 * is 16 bytes, IPv4 in the first 4 (kag__ip's layout). */
const char *kag__addrlists_find(const kag__addrlists *s, int v6, const unsigned char a[16]);

#endif
