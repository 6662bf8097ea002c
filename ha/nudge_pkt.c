/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* nudge_pkt.c - see nudge_pkt.h. */
#include <string.h>

#include <netinet/in.h>

#include "nudge_pkt.h"

#define ICMP_DEST_UNREACH_TYPE	3
#define ICMP_HOST_UNREACH_CODE	1
#define TCP_FLAG_ACK		0x10

/* Values are in network byte order already: copy their bytes. */
static void put_raw16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put_raw32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

uint16_t baton_nudge_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A 20-byte IPv4 header, checksum included. */
static void ipv4_header(uint8_t *ip, uint16_t tot_len, uint8_t proto,
			uint32_t saddr, uint32_t daddr)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put_be16(ip + 2, tot_len);
	ip[8] = 64;			/* TTL */
	ip[9] = proto;
	put_raw32(ip + 12, saddr);
	put_raw32(ip + 16, daddr);
	put_be16(ip + 10, (uint16_t)~baton_nudge_sum(ip, 20, 0));
}

size_t baton_nudge_segment(uint8_t *buf, const struct baton_nudge_tuple *t,
			   uint32_t seq, uint32_t ack, uint8_t flags)
{
	uint8_t *tcp = buf + 20;
	uint32_t pseudo;

	ipv4_header(buf, BATON_NUDGE_TICKLE_LEN, IPPROTO_TCP, t->saddr,
		    t->daddr);
	memset(tcp, 0, 20);
	put_raw16(tcp, t->sport);
	put_raw16(tcp + 2, t->dport);
	put_be32(tcp + 4, seq);
	put_be32(tcp + 8, ack);
	tcp[12] = 5 << 4;		/* data offset: 5 words */
	tcp[13] = flags;
	/* pseudo header: addresses, protocol, TCP length */
	pseudo = baton_nudge_sum(buf + 12, 8, IPPROTO_TCP + 20);
	put_be16(tcp + 16, (uint16_t)~baton_nudge_sum(tcp, 20, pseudo));
	return BATON_NUDGE_TICKLE_LEN;
}

size_t baton_nudge_tickle(uint8_t *buf, const struct baton_nudge_tuple *t)
{
	/* sequence and acknowledgement 0: outside any window but by a
	 * chance of a window in 2^32 (and then a bare ACK of nothing new) */
	return baton_nudge_segment(buf, t, 0, 0, TCP_FLAG_ACK);
}

size_t baton_nudge_icmp(uint8_t *buf, uint32_t from,
			const struct baton_nudge_tuple *q, uint32_t seq)
{
	uint8_t *icmp = buf + 20, *inner = buf + 28, *tcp = buf + 48;

	ipv4_header(buf, BATON_NUDGE_ICMP_LEN, IPPROTO_ICMP, from, q->saddr);
	memset(icmp, 0, 8);
	icmp[0] = ICMP_DEST_UNREACH_TYPE;
	icmp[1] = ICMP_HOST_UNREACH_CODE;
	/* the quoted segment: its IPv4 header (a bare ACK's length) and the
	 * first 8 bytes of its TCP header - ports and sequence number */
	ipv4_header(inner, 40, IPPROTO_TCP, q->saddr, q->daddr);
	put_raw16(tcp, q->sport);
	put_raw16(tcp + 2, q->dport);
	put_be32(tcp + 4, seq);
	put_be16(icmp + 2, (uint16_t)~baton_nudge_sum(icmp, 36, 0));
	return BATON_NUDGE_ICMP_LEN;
}
