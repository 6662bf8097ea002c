/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fwd.h - send a translated packet on its way from TC.
 *
 * bpf_fib_lookup() finds the egress interface and next hop in this node's
 * routing table; with a resolved neighbour the MACs are written and the
 * packet redirected (TTL decremented, as a router does). The result is kept
 * in the flow's conntrack entry for BATON_FIB_CACHE_MS, so an established
 * flow does not pay a route and neighbour lookup per packet; a changed
 * route or neighbour is followed within that time. With an unresolved
 * neighbour bpf_redirect_neigh() lets the kernel resolve it. Anything else
 * (no route, local delivery, MTU, TTL about to expire) goes to the stack,
 * which knows how to answer those cases.
 */
#ifndef BATON_LIB_FWD_H
#define BATON_LIB_FWD_H

#include <linux/pkt_cls.h>
#include "parse.h"
#include "stats.h"

#ifndef AF_INET
#define AF_INET 2
#endif

/* Time in ~ms units (ns >> 20) for the route cache. */
static __always_inline __u32 fwd_stamp(__u64 now_ns)
{
	return (__u32)(now_ns >> 20);
}

/* TTL - 1 as the kernel's ip_decrease_ttl(). Returns 0, 1 when the TTL
 * would expire (the stack sends the ICMP error) or -1 when the header is
 * out of reach. */
static __always_inline int fwd_ttl_dec(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	__u32 check;

	if ((void *)(iph + 1) > data_end)
		return -1;
	if (iph->ttl <= 1)
		return 1;
	check = iph->check;
	check += bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >= 0xffff));
	iph->ttl--;
	return 0;
}

/* "Go on", distinct from every TC verdict (TC_ACT_OK is 0). */
#define FWD_CONTINUE (-1)

/* Shared by both redirects: TTL - 1 when routing; FWD_CONTINUE, or the
 * verdict for a packet that must not be redirected. */
static __always_inline int fwd_route_ttl(struct __sk_buff *skb, int route)
{
	int ret;

	if (!route)
		return FWD_CONTINUE;
	ret = fwd_ttl_dec(skb);
	if (ret > 0) {
		baton_count(ST_FWD_STACK);
		return TC_ACT_OK;
	}
	if (ret < 0) {
		baton_count_drop(DROP_REDIRECT);
		return TC_ACT_SHOT;
	}
	return FWD_CONTINUE;
}

/* Write MACs (and TTL - 1 when routing) and redirect. */
static __always_inline int fwd_out(struct __sk_buff *skb, __u32 ifindex,
				   const __u8 *smac, const __u8 *dmac,
				   int route)
{
	struct ethhdr *eth;
	int ret;

	ret = fwd_route_ttl(skb, route);
	if (ret != FWD_CONTINUE)
		return ret;
	eth = (void *)(long)skb->data;
	if ((void *)(eth + 1) > (void *)(long)skb->data_end) {
		baton_count_drop(DROP_REDIRECT);
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(eth->h_dest, dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
	baton_count(ST_FWD_FIB);
	return bpf_redirect(ifindex, 0);
}

/* The route from `src` to `dst` as a packet arriving on skb's interface
 * would take it. Returns bpf_fib_lookup()'s verdict. */
static __always_inline int fwd_lookup(struct __sk_buff *skb,
				      struct bpf_fib_lookup *fib, __be32 src,
				      __be32 dst, __u8 proto)
{
	fib->family = AF_INET;
	fib->l4_protocol = proto;
	fib->ipv4_src = src;
	fib->ipv4_dst = dst;
	/* tot_len 0: let the kernel check the MTU against the skb, which
	 * understands GSO packets larger than the MTU. */
	fib->tot_len = 0;
	fib->ifindex = skb->ingress_ifindex;
	return bpf_fib_lookup(skb, fib, sizeof(*fib), 0);
}

/* Whether fwd_lookup()'s verdict means "forward it" (else: the stack's). */
static __always_inline int fwd_routable(int rc)
{
	return rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH;
}

/* Send on after fwd_lookup() returned rc. */
static __always_inline int fwd_send(struct __sk_buff *skb,
				    const struct bpf_fib_lookup *fib, int rc,
				    int route)
{
	if (rc == BPF_FIB_LKUP_RET_SUCCESS)
		return fwd_out(skb, fib->ifindex, fib->smac, fib->dmac, route);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		struct bpf_redir_neigh nh = {
			.nh_family = AF_INET,
			.ipv4_nh = fib->ipv4_dst,
		};
		int ret = fwd_route_ttl(skb, route);

		if (ret != FWD_CONTINUE)
			return ret;
		baton_count(ST_FWD_NEIGH);
		return bpf_redirect_neigh(fib->ifindex, &nh, sizeof(nh), 0);
	}
	baton_count(ST_FWD_STACK);
	return TC_ACT_OK;
}

/*
 * Forward towards `dst` (the packet's new destination, or for DSR the
 * backend as next hop) using and refreshing the route cache in `e`.
 * `route` is 0 for L2-only forwarding (DSR keeps the TTL). Returns a TC
 * verdict.
 */
static __always_inline int fwd_v4(struct __sk_buff *skb,
				  struct ct_v4_entry *e, __be32 src,
				  __be32 dst, __u8 proto, __u64 now, int route)
{
	struct bpf_fib_lookup fib = {};
	__u32 stamp = fwd_stamp(now);
	int rc;

	if (e->fib_ifindex && stamp - e->fib_stamp < BATON_FIB_CACHE_MS) {
		__u32 mtu = 0;

		/* The cache skips bpf_fib_lookup()'s MTU check: a packet
		 * that may not fit the egress MTU (IPv6's minimum fits
		 * every link) asks the kernel, which knows GSO; one that
		 * does not fit takes the full path below. */
		if (skb->len <= ETH_HLEN + 1280 ||
		    !bpf_check_mtu(skb, e->fib_ifindex, &mtu, 0, 0))
			return fwd_out(skb, e->fib_ifindex, e->fib_smac,
				       e->fib_dmac, route);
	}

	rc = fwd_lookup(skb, &fib, src, dst, proto);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		/* Two CPUs may refill at once: they write the same values. */
		e->fib_ifindex = fib.ifindex;
		__builtin_memcpy(e->fib_smac, fib.smac, ETH_ALEN);
		__builtin_memcpy(e->fib_dmac, fib.dmac, ETH_ALEN);
		e->fib_stamp = stamp;
	} else {
		e->fib_ifindex = 0;
	}
	return fwd_send(skb, &fib, rc, route);
}

#endif /* BATON_LIB_FWD_H */
