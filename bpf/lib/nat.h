/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat.h - rewrite addresses and ports of an IPv4 packet in TC, with
 * incremental checksum updates.
 *
 * The kernel's csum helpers are used rather than arithmetic on the packet:
 * they know whether the skb carries a full checksum or CHECKSUM_PARTIAL (a
 * locally generated packet whose L4 field holds only the pseudo-header
 * sum), which a BPF program cannot see. BPF_F_MARK_MANGLED_0 keeps a UDP
 * checksum of 0 ("none") as it is and never produces 0 from a real sum.
 * Returns 0 or -DROP_REDIRECT; packet pointers are invalid afterwards.
 */
#ifndef BATON_LIB_NAT_H
#define BATON_LIB_NAT_H

#include <linux/pkt_cls.h>
#include "parse.h"

static __always_inline int nat_l4_flags(const struct pkt_v4 *p)
{
	return p->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
}

static __always_inline int nat_addr(struct __sk_buff *skb,
				    const struct pkt_v4 *p, __u32 field_off,
				    __be32 from, __be32 to)
{
	if (p->csum_off &&
	    bpf_l4_csum_replace(skb, p->csum_off, from, to,
				BPF_F_PSEUDO_HDR | sizeof(to) |
					nat_l4_flags(p)))
		return -DROP_REDIRECT;
	if (bpf_l3_csum_replace(skb, p->l3_off + offsetof(struct iphdr, check),
				from, to, sizeof(to)))
		return -DROP_REDIRECT;
	if (bpf_skb_store_bytes(skb, p->l3_off + field_off, &to, sizeof(to), 0))
		return -DROP_REDIRECT;
	return 0;
}

static __always_inline int nat_port(struct __sk_buff *skb,
				    const struct pkt_v4 *p, __u32 field_off,
				    __be16 from, __be16 to)
{
	if (p->csum_off &&
	    bpf_l4_csum_replace(skb, p->csum_off, from, to,
				sizeof(to) | nat_l4_flags(p)))
		return -DROP_REDIRECT;
	if (bpf_skb_store_bytes(skb, p->l4_off + field_off, &to, sizeof(to), 0))
		return -DROP_REDIRECT;
	return 0;
}

/* Rewrite the packet to (saddr, sport) -> (daddr, dport); only fields that
 * differ are touched. ICMP echo keeps its identifier. */
static __always_inline int nat_rewrite(struct __sk_buff *skb,
				       const struct pkt_v4 *p, __be32 saddr,
				       __be32 daddr, __be16 sport, __be16 dport)
{
	int ret;

	if (daddr != p->daddr) {
		ret = nat_addr(skb, p, offsetof(struct iphdr, daddr), p->daddr,
			       daddr);
		if (ret)
			return ret;
	}
	if (saddr != p->saddr) {
		ret = nat_addr(skb, p, offsetof(struct iphdr, saddr), p->saddr,
			       saddr);
		if (ret)
			return ret;
	}
	if (p->proto == IPPROTO_ICMP)
		return 0;
	if (dport != p->dport) {
		ret = nat_port(skb, p, 2, p->dport, dport);
		if (ret)
			return ret;
	}
	if (sport != p->sport) {
		ret = nat_port(skb, p, 0, p->sport, sport);
		if (ret)
			return ret;
	}
	return 0;
}

#endif /* BATON_LIB_NAT_H */
