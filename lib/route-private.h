/* The detector index: which registry entries can apply to an event, from
 * its verb and objectRef.resource alone, so that the session calls only
 * their applies() tests. */
#ifndef KAG_ROUTE_PRIVATE_H
#define KAG_ROUTE_PRIVATE_H

#include <stdint.h>

#include "detector-private.h"

/* Entries at this index and beyond are not indexed: always candidates. */
#define KAG__ROUTE_INDEXED 64

typedef struct {
	kag_str name;
	uint64_t mask;     /* entries that list this name */
} kag__route_slot;

/* Open-addressed tables, sized so that the built-in detectors' names fill
 * well under half of each: most events name a resource no detector lists,
 * and a miss probes up to the next empty slot. */
typedef struct {
	uint64_t any_verb;      /* entries that take every verb */
	uint64_t any_resource;  /* entries that take every resource */
	kag__route_slot verbs[32];
	kag__route_slot resources[128];
} kag__route;

/* Index the entries of a sealed registry. */
void kag__route_build(kag__route *rt, const kag_registry *r);
/* Bit i set: entry i (< KAG__ROUTE_INDEXED) may apply to ev. */
uint64_t kag__route_candidates(const kag__route *rt, const kag_event *ev);

#endif
