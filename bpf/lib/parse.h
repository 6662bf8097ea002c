/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parse.h - header parsing shared by TC and XDP.
 *
 * Contract: baton_parse_v4() only reads bytes it has bounds-checked against
 * data_end. It returns PARSE_V4 with *p filled, PARSE_PASS for anything
 * that is not IPv4 (ARP, IPv6, ...), PARSE_SHORT_L3 / PARSE_SHORT_L4 when
 * the IPv4 / L4 header runs past data_end (it may lie beyond the linear
 * part: TC then pulls and retries), or a negative drop reason
 * (-DROP_MALFORMED_*) for a header no host would accept: bad IPv4 version,
 * IHL or total length, an L4 header that does not fit in the total length
 * (Ethernet padding is not a header), a TCP data offset below 5.
 */
#ifndef BATON_LIB_PARSE_H
#define BATON_LIB_PARSE_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#include "baton.h"

/* linux/icmp.h drags in libc socket headers the BPF target lacks. */
struct baton_icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};
#define ICMP_ECHOREPLY	0
#define ICMP_ECHO	8

#define PARSE_V4	0
#define PARSE_PASS	1
#define PARSE_SHORT_L3	2
#define PARSE_SHORT_L4	3

/* TCP flag bits as in byte 13 of the TCP header. */
#define TCPF_FIN	0x01
#define TCPF_SYN	0x02
#define TCPF_RST	0x04
#define TCPF_ACK	0x10

/* What the datapath needs to know about an IPv4 packet. */
struct pkt_v4 {
	__u32 l3_off;
	__u32 l4_off;
	__u32 csum_off;		/* L4 checksum offset, 0 if none to fix */
	__be32 saddr;
	__be32 daddr;
	__be16 sport;		/* ICMP echo: identifier */
	__be16 dport;		/* ICMP echo: 0 */
	__u16 tot_len;
	__u8 proto;
	__u8 tcp_flags;
	__u8 frag;		/* 0, or FRAG_FIRST / FRAG_LATER */
	__u8 l4_ok;		/* L4 header present and complete */
	__u8 icmp_type;
	__u8 ttl;
};

#define FRAG_FIRST	1
#define FRAG_LATER	2

static __always_inline int baton_parse_v4(void *data, void *data_end,
					  struct pkt_v4 *p)
{
	struct ethhdr *eth = data;
	struct iphdr *iph;
	__u32 ihl_len;
	__u16 frag_off;

	if ((void *)(eth + 1) > data_end)
		return -DROP_MALFORMED_L2;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return PARSE_PASS;

	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return PARSE_SHORT_L3;
	if (iph->version != 4 || iph->ihl < 5)
		return -DROP_MALFORMED_L3;
	ihl_len = iph->ihl * 4;
	p->tot_len = bpf_ntohs(iph->tot_len);
	if (p->tot_len < ihl_len)
		return -DROP_MALFORMED_L3;

	p->l3_off = sizeof(*eth);
	p->l4_off = sizeof(*eth) + ihl_len;
	p->saddr = iph->saddr;
	p->daddr = iph->daddr;
	p->proto = iph->protocol;
	p->ttl = iph->ttl;
	p->sport = 0;
	p->dport = 0;
	p->tcp_flags = 0;
	p->icmp_type = 0;
	p->csum_off = 0;
	p->l4_ok = 0;

	frag_off = bpf_ntohs(iph->frag_off);
	if (frag_off & 0x1fff)
		p->frag = FRAG_LATER;	/* no L4 header in this one */
	else if (frag_off & 0x2000)
		p->frag = FRAG_FIRST;
	else
		p->frag = 0;
	if (p->frag == FRAG_LATER)
		return PARSE_V4;

	/* The L4 header may sit behind IP options: bound the offset so the
	 * verifier can track the pointer (ihl is at most 15 words). */
	void *l4 = data + (p->l4_off & 0x7f);
	/* Bytes of L4 header the total length allows (padding excluded). */
	__u32 l4_room = p->tot_len - ihl_len;

	if (l4 > data_end)
		return PARSE_SHORT_L3;	/* options run past the frame */

	switch (p->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if (l4_room < sizeof(*th))
			return -DROP_MALFORMED_L4;
		if ((void *)(th + 1) > data_end)
			return PARSE_SHORT_L4;
		if (th->doff < 5)
			return -DROP_MALFORMED_L4;
		p->sport = th->source;
		p->dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
		p->csum_off = p->l4_off + offsetof(struct tcphdr, check);
		p->l4_ok = 1;
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		if (l4_room < sizeof(*uh))
			return -DROP_MALFORMED_L4;
		if ((void *)(uh + 1) > data_end)
			return PARSE_SHORT_L4;
		p->sport = uh->source;
		p->dport = uh->dest;
		p->csum_off = p->l4_off + offsetof(struct udphdr, check);
		p->l4_ok = 1;
		break;
	}
	case IPPROTO_ICMP: {
		struct baton_icmphdr *ih = l4;

		if (l4_room < sizeof(*ih))
			return -DROP_MALFORMED_L4;
		if ((void *)(ih + 1) > data_end)
			return PARSE_SHORT_L4;
		p->icmp_type = ih->type;
		if (ih->type == ICMP_ECHO || ih->type == ICMP_ECHOREPLY)
			p->sport = ih->id;
		p->l4_ok = 1;
		break;
	}
	default:
		break;
	}
	return PARSE_V4;
}

/* Whether the packet is one conntrack follows: TCP, UDP or ICMP echo. */
static __always_inline int baton_pkt_tracked(const struct pkt_v4 *p)
{
	if (!p->l4_ok)
		return 0;
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)
		return 1;
	return p->proto == IPPROTO_ICMP &&
	       (p->icmp_type == ICMP_ECHO || p->icmp_type == ICMP_ECHOREPLY);
}

static __always_inline void baton_pkt_key(const struct pkt_v4 *p,
					  struct ct_v4_key *k)
{
	k->saddr = p->saddr;
	k->daddr = p->daddr;
	k->sport = p->sport;
	k->dport = p->dport;
	k->proto = p->proto;
	k->zone = 0;
	k->pad = 0;
}

#endif /* BATON_LIB_PARSE_H */
