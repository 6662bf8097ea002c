/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flow.c - conntrack pair <-> wire flow (see flow.h for the contract).
 *
 * bsync_flow_to_ct() is the one place outside the datapath that builds a
 * pair, so it mirrors tc_packet_func_slow (bpf/baton.bpf.c) field by field:
 *
 *   forward key  client:cport -> VIP:vport                (ICMP: id -> 0)
 *   forward nat  (client | SNAT):(cport | SNAT port) -> backend:bport
 *                ICMP: the echo id stays the source "port", dport 0
 *   reverse key  backend:bport -> (client | SNAT):(cport | SNAT port)
 *                ICMP: backend:id -> (client | SNAT):0
 *   reverse nat  VIP:vport -> client:cport
 *   DSR          nat = client:cport -> VIP:vport, nexthop = backend,
 *                no reverse half (peer zeroed)
 *
 * bsync_flow_from_ct() accepts exactly the forward halves that
 * bsync_flow_to_ct() would rebuild unchanged: it derives the flow, then
 * rebuilds the pair from it and compares the portable fields. An entry
 * the datapath cannot have made (a DNAT entry rewriting the source, a key
 * that disagrees with its own vip/vport, ...) is not sent to a peer where
 * it would turn into something else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "flow.h"

#define NS_PER_S	1000000000ull
#define FIN_MASK	(CT_F_FIN_FWD | CT_F_FIN_REV | CT_F_FIN_FIRST_REV)

void bsync_key_from_ct(const struct ct_v4_key *fk, struct bsync_key *k)
{
	memset(k, 0, sizeof(*k));
	k->proto = fk->proto;
	k->caddr = ntohl(fk->saddr);
	k->cport = ntohs(fk->sport);
	k->vip = ntohl(fk->daddr);
	k->vport = ntohs(fk->dport);
}

void bsync_key_to_ct(const struct bsync_key *k, struct ct_v4_key *fk)
{
	memset(fk, 0, sizeof(*fk));
	fk->saddr = htonl(k->caddr);
	fk->daddr = htonl(k->vip);
	fk->sport = htons(k->cport);
	fk->dport = htons(k->vport);
	fk->proto = k->proto;
}

int bsync_flow_to_ct(const struct bsync_flow *f, uint32_t owner,
		     uint16_t svc_id, uint16_t be_id, bool counted,
		     uint64_t now_ns, struct ct_v4_key *fk,
		     struct ct_v4_entry *fwd, struct ct_v4_key *rk,
		     struct ct_v4_entry *rev)
{
	uint64_t idle_ns = (uint64_t)f->idle_s * NS_PER_S;
	bool icmp = f->proto == IPPROTO_ICMP;
	bool fnat = f->mode == BATON_MODE_FULLNAT;

	if (bsync_flow_check(f))
		return -EINVAL;

	memset(fk, 0, sizeof(*fk));
	memset(fwd, 0, sizeof(*fwd));
	memset(rk, 0, sizeof(*rk));
	memset(rev, 0, sizeof(*rev));

	fk->saddr = htonl(f->caddr);
	fk->daddr = htonl(f->vip);
	fk->sport = htons(f->cport);
	fk->dport = htons(f->vport);
	fk->proto = f->proto;

	fwd->vip = fk->daddr;
	fwd->vport = fk->dport;
	fwd->vproto = f->proto;
	fwd->mode = f->mode;
	fwd->dir = CT_DIR_FWD;
	fwd->state = f->state;
	fwd->svc_id = svc_id;
	fwd->be_id = be_id;
	fwd->flags = CT_F_REMOTE | (f->fin & FIN_MASK) |
		     (counted ? CT_F_COUNTED : 0);
	fwd->owner = owner;
	fwd->epoch = f->epoch;
	/* The owner saw the flow idle_s ago; on this node's clock that is
	 * now - idle (a clock younger than that: as old as it can be). */
	fwd->last_seen_ns = now_ns > idle_ns ? now_ns - idle_ns : 0;
	fwd->created_ns = fwd->last_seen_ns;

	/* fullNAT probes a source port for TCP/UDP; ICMP keeps its id. */
	fwd->nat_saddr = fnat ? htonl(f->snat_addr) : fk->saddr;
	fwd->nat_sport = fnat && !icmp ? htons(f->snat_port) : fk->sport;

	if (f->mode == BATON_MODE_DSR) {
		fwd->nat_daddr = fk->daddr;
		fwd->nat_dport = fk->dport;
		fwd->nexthop = htonl(f->baddr);
		return 0;
	}
	fwd->nat_daddr = htonl(f->baddr);
	fwd->nat_dport = htons(f->bport);	/* ICMP: 0, as the VIP's */

	rk->saddr = fwd->nat_daddr;
	rk->daddr = fwd->nat_saddr;
	rk->sport = icmp ? fk->sport : fwd->nat_dport;
	rk->dport = icmp ? 0 : fwd->nat_sport;
	rk->proto = f->proto;

	*rev = *fwd;
	rev->dir = CT_DIR_REV;
	rev->flags = CT_F_REMOTE | (f->fin & FIN_MASK);
	rev->nat_saddr = fk->daddr;
	rev->nat_sport = fk->dport;
	rev->nat_daddr = fk->saddr;
	rev->nat_dport = fk->sport;
	rev->peer = *fk;
	fwd->peer = *rk;
	return 1;
}

/* The fields a peer reproduces (ct_v4_entry's "portable part"). */
static bool portable_eq(const struct ct_v4_entry *a,
			const struct ct_v4_entry *b)
{
	return !memcmp(&a->peer, &b->peer, sizeof(a->peer)) &&
	       a->nat_saddr == b->nat_saddr && a->nat_daddr == b->nat_daddr &&
	       a->nat_sport == b->nat_sport && a->nat_dport == b->nat_dport &&
	       a->nexthop == b->nexthop && a->vip == b->vip &&
	       a->vport == b->vport && a->vproto == b->vproto &&
	       a->mode == b->mode && a->dir == b->dir &&
	       a->state == b->state &&
	       (a->flags & FIN_MASK) == (b->flags & FIN_MASK) &&
	       a->owner == b->owner && a->epoch == b->epoch;
}

int bsync_flow_from_ct(const struct ct_v4_key *fk,
		       const struct ct_v4_entry *fwd, uint64_t now_ns,
		       struct bsync_flow *f)
{
	struct ct_v4_entry rfwd, rrev;
	struct ct_v4_key rfk, rrk;
	struct bsync_flow out;
	uint64_t idle;

	if (fwd->dir != CT_DIR_FWD || fwd->state < CT_STATE_SYN_RECV ||
	    fwd->state >= CT_STATE_MAX)
		return -EINVAL;

	memset(&out, 0, sizeof(out));
	out.proto = fk->proto;
	out.mode = fwd->mode;
	out.state = fwd->state;
	out.fin = (uint8_t)(fwd->flags & FIN_MASK);
	idle = now_ns > fwd->last_seen_ns ?
		       (now_ns - fwd->last_seen_ns) / NS_PER_S : 0;
	out.idle_s = idle > UINT16_MAX ? UINT16_MAX : (uint16_t)idle;
	out.epoch = fwd->epoch;
	out.caddr = ntohl(fk->saddr);
	out.cport = ntohs(fk->sport);
	out.vip = ntohl(fk->daddr);
	out.vport = ntohs(fk->dport);
	if (fwd->mode == BATON_MODE_DSR)
		out.baddr = ntohl(fwd->nexthop);
	else
		out.baddr = ntohl(fwd->nat_daddr);
	out.bport = ntohs(fwd->nat_dport);
	if (fwd->mode == BATON_MODE_FULLNAT) {
		out.snat_addr = ntohl(fwd->nat_saddr);
		if (fk->proto != IPPROTO_ICMP)
			out.snat_port = ntohs(fwd->nat_sport);
	}

	/* Replicable = rebuilt unchanged from what travels. */
	if (bsync_flow_to_ct(&out, fwd->owner, 0, 0, false, now_ns, &rfk,
			     &rfwd, &rrk, &rrev) < 0)
		return -EINVAL;
	if (memcmp(&rfk, fk, sizeof(rfk)) || !portable_eq(&rfwd, fwd))
		return -EINVAL;
	*f = out;
	return 0;
}
