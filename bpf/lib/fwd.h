/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fwd.h - send a translated packet on its way from TC.
 *
 * bpf_fib_lookup() finds the egress interface and next hop in this node's
 * routing table. With a resolved neighbour the MACs are written and the
 * packet redirected (TTL decremented, as a router does); with an unresolved
 * one bpf_redirect_neigh() lets the kernel resolve it. Anything else (no
 * route, local delivery, MTU, TTL about to expire) goes to the stack, which
 * knows how to answer those cases.
 */
#ifndef BATON_LIB_FWD_H
#define BATON_LIB_FWD_H

#include <linux/pkt_cls.h>
#include "parse.h"
#include "stats.h"

#ifndef AF_INET
#define AF_INET 2
#endif

static __always_inline int fwd_ttl_dec(struct __sk_buff *skb, __u32 l3_off,
				       __u8 ttl)
{
	/* TTL shares a 16-bit checksum word with the protocol byte. */
	__be16 old = bpf_htons((__u16)ttl << 8);
	__be16 new = bpf_htons((__u16)(ttl - 1) << 8);
	__u8 nttl = ttl - 1;

	if (bpf_l3_csum_replace(skb, l3_off + offsetof(struct iphdr, check),
				old, new, sizeof(new)))
		return -1;
	return bpf_skb_store_bytes(skb, l3_off + offsetof(struct iphdr, ttl),
				   &nttl, 1, 0);
}

/*
 * Forward towards `dst` (the packet's destination, or for DSR the backend
 * address as next hop). `route` is 0 for L2-only forwarding (DSR keeps the
 * TTL). Returns a TC verdict.
 */
static __always_inline int fwd_v4(struct __sk_buff *skb, __be32 src,
				  __be32 dst, __u8 proto, __u8 ttl, int route)
{
	struct bpf_fib_lookup fib = {};
	int rc;

	fib.family = AF_INET;
	fib.l4_protocol = proto;
	fib.ipv4_src = src;
	fib.ipv4_dst = dst;
	/* tot_len 0: let the kernel check the MTU against the skb, which
	 * understands GSO packets larger than the MTU. */
	fib.tot_len = 0;
	fib.ifindex = skb->ingress_ifindex;

	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		if (route) {
			if (ttl <= 1) {
				baton_count(ST_FWD_STACK);
				return TC_ACT_OK;
			}
			if (fwd_ttl_dec(skb, sizeof(struct ethhdr), ttl))
				goto fail;
		}
		if (bpf_skb_store_bytes(skb, 0, fib.dmac, ETH_ALEN, 0) ||
		    bpf_skb_store_bytes(skb, ETH_ALEN, fib.smac, ETH_ALEN, 0))
			goto fail;
		baton_count(ST_FWD_FIB);
		return bpf_redirect(fib.ifindex, 0);
	}
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		struct bpf_redir_neigh nh = {
			.nh_family = AF_INET,
			.ipv4_nh = fib.ipv4_dst,
		};

		if (route && ttl <= 1) {
			baton_count(ST_FWD_STACK);
			return TC_ACT_OK;
		}
		if (route && fwd_ttl_dec(skb, sizeof(struct ethhdr), ttl))
			goto fail;
		baton_count(ST_FWD_NEIGH);
		return bpf_redirect_neigh(fib.ifindex, &nh, sizeof(nh), 0);
	}
	baton_count(ST_FWD_STACK);
	return TC_ACT_OK;
fail:
	baton_count_drop(DROP_REDIRECT);
	return TC_ACT_SHOT;
}

#endif /* BATON_LIB_FWD_H */
