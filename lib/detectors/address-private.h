/* Addresses: the source address of a request parsed, and judged public
 * or private, or within a list of networks. Part of the detector kit. */
#ifndef KAG_ADDRESS_PRIVATE_H
#define KAG_ADDRESS_PRIVATE_H

#include "detector-private.h"

typedef struct {
	int v6;
	unsigned char a[16];
} kag__ip;

/* An address, with an optional :port, [v6]:port or %zone, as sourceIPs and
 * providers write them; 0 when it is not one. */
int kag__ip_parse(kag_str s, kag__ip *ip);
/* Not RFC 1918, loopback, link-local, shared (RFC 6598), unique-local,
 * unspecified, multicast or reserved. Documentation ranges count as
 * public: they are not private. */
int kag__ip_is_public(const kag__ip *ip);
/* The address lies in one of the networks ("a.b.c.d/n", "x::/n" or a
 * single address). */
int kag__ip_in_networks(const kag__strlist *nets, const kag__ip *ip);

/* Where the request came from, judged on the last sourceIPs entry. */
enum {
	KAG__SOURCE_UNKNOWN = 0,  /* absent, or not an address */
	KAG__SOURCE_PRIVATE,      /* private, or in policy trusted_networks */
	KAG__SOURCE_PUBLIC
};
int kag__source_kind(const kag_event *ev, const kag__policy *p);

#endif
