/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat.h - rewrite addresses and ports of an IPv4 packet in TC, with
 * incremental checksum updates.
 *
 * The L4 checksum goes through bpf_l4_csum_replace(): only the kernel knows
 * whether the skb carries a full checksum or CHECKSUM_PARTIAL (a locally
 * generated packet whose L4 field holds just the pseudo-header sum, where
 * an address change must be applied and a port change must not), and a
 * BPF program cannot see it. To keep helper calls off the fast path the
 * differences are summed here, so one call covers both addresses (pseudo
 * header) and one both ports. BPF_F_MARK_MANGLED_0 keeps a UDP checksum of
 * 0 ("none") as it is and never produces 0 from a real sum. Everything
 * else (addresses, ports, the IPv4 checksum, which is always complete) is
 * written directly. Returns 0 or -DROP_REDIRECT; packet pointers taken
 * before the call are invalid afterwards.
 */
#ifndef BATON_LIB_NAT_H
#define BATON_LIB_NAT_H

#include <linux/pkt_cls.h>
#include "csum.h"
#include "parse.h"

static __always_inline int nat_rewrite(struct __sk_buff *skb,
				       const struct pkt_v4 *p, __be32 saddr,
				       __be32 daddr, __be16 sport, __be16 dport)
{
	__u32 l4f = p->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__u32 addr_diff = 0, port_diff = 0;
	int addrs = saddr != p->saddr || daddr != p->daddr;
	int ports = p->proto != IPPROTO_ICMP &&
		    (sport != p->sport || dport != p->dport);
	void *data, *data_end;
	struct iphdr *iph;
	__be16 *l4;

	if (!addrs && !ports)
		return 0;
	if (addrs)
		addr_diff = csum_add32(csum_diff32(p->saddr, saddr),
				       csum_diff32(p->daddr, daddr));
	if (ports)
		/* Both ports as the one 32-bit word they form in memory. */
		port_diff = csum_diff32(
			(__u32)p->sport | ((__u32)p->dport << 16),
			(__u32)sport | ((__u32)dport << 16));

	if (p->csum_off) {
		if (addrs && bpf_l4_csum_replace(skb, p->csum_off, 0, addr_diff,
						 BPF_F_PSEUDO_HDR | l4f))
			return -DROP_REDIRECT;
		if (ports && bpf_l4_csum_replace(skb, p->csum_off, 0, port_diff,
						 l4f))
			return -DROP_REDIRECT;
	}

	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	iph = data + sizeof(struct ethhdr);
	if ((void *)(iph + 1) > data_end)
		return -DROP_REDIRECT;
	if (addrs) {
		iph->saddr = saddr;
		iph->daddr = daddr;
		iph->check = csum_apply(iph->check, addr_diff);
	}
	if (ports) {
		/* Bounded offset: the verifier must see it (IHL <= 15). */
		l4 = data + (p->l4_off & 0x7f);
		if ((void *)(l4 + 2) > data_end)
			return -DROP_REDIRECT;
		l4[0] = sport;
		l4[1] = dport;
	}
	return 0;
}

#endif /* BATON_LIB_NAT_H */
