/* Addresses: parsing the sourceIPs entries, public or private, in the
 * policy's trusted networks. Part of the detector kit. */
#ifndef KAG_ADDRESS_PRIVATE_H
#define KAG_ADDRESS_PRIVATE_H

#include "event-private.h"
#include "policy-private.h"

typedef struct {
	int v6;
	unsigned char a[16];
} kag__ip;

/* An address, with an optional :port, [v6]:port or %zone, as sourceIPs and
 * providers write them. */
int kag__ip_parse(kag_str s, kag__ip *ip);
/* Not RFC 1918, loopback, link-local, shared (RFC 6598), unique-local,
 * unspecified, multicast or reserved. */
int kag__ip_is_public(const kag__ip *ip);
/* In one of the networks ("a.b.c.d/n", "x::/n" or one address). */
int kag__ip_trusted(const kag__strlist *nets, const kag__ip *ip);
/* The last sourceIPs entry (the connection's peer) is public and not in
 * the policy's trusted_networks. */
int kag__source_is_public(const kag_event *ev, const kag__policy *p);

#endif
