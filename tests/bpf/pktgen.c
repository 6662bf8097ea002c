// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pktgen.c - test packet builder. Fields are written byte by byte at their
 * RFC offsets (not through the kernel's header structs the datapath uses),
 * so a layout mistake on one side cannot hide the same mistake on the other.
 */
#include "pktgen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t csum_add_bytes(const uint8_t *b, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t pkt_csum_fold(const void *buf, size_t len, uint32_t sum)
{
	return fold(csum_add_bytes(buf, len, sum));
}

/* Sum of the pseudo header of an IPv4 packet whose header starts at ip. */
static uint32_t pseudo_sum(const uint8_t *ip, uint16_t l4_len)
{
	uint32_t sum = 0;

	sum = csum_add_bytes(ip + 12, 8, sum); /* saddr, daddr */
	sum += ip[9];			       /* zero, protocol */
	sum += l4_len;
	return sum;
}

size_t pkt_l3_off(const struct pkt *p)
{
	return ETH_HLEN;
}

size_t pkt_l4_off(const struct pkt *p)
{
	return ETH_HLEN + (size_t)(p->data[ETH_HLEN] & 0x0f) * 4;
}

static void fill_options(uint8_t *o, unsigned int words)
{
	unsigned int i, len = words * 4;

	if (!len)
		return;
	/* Router Alert (RFC 2113) first, then NOPs, then End of list: a
	 * realistic option block whose bytes are not all the same. */
	o[0] = 0x94;
	o[1] = 0x04;
	o[2] = 0x00;
	o[3] = 0x00;
	for (i = 4; i < len; i++)
		o[i] = 0x01;
	if (len > 4)
		o[len - 1] = 0x00;
}

int pkt_build(const struct pkt_spec *s, struct pkt *out)
{
	static const uint8_t zero_mac[6];
	size_t ihl = 20 + (size_t)s->opt_words * 4;
	size_t l4_hlen = 0, l4_len, tot;
	uint8_t *eth = out->data, *ip, *l4, *pl;
	bool later_frag = (s->frag_off & 0x1fff) != 0;
	uint16_t i;

	memset(out, 0, sizeof(*out));
	memcpy(eth, s->dmac ? s->dmac : zero_mac, 6);
	memcpy(eth + 6, s->smac ? s->smac : zero_mac, 6);
	put16(eth + 12, s->ethertype ? s->ethertype : ETHERTYPE_IPV4);
	if (s->ethertype && s->ethertype != ETHERTYPE_IPV4) {
		/* Not IPv4: just a payload after the Ethernet header. */
		if (ETH_HLEN + (size_t)s->payload_len > PKT_MAX)
			return -1;
		for (i = 0; i < s->payload_len; i++)
			eth[ETH_HLEN + i] = (uint8_t)(s->payload_seed + i * 7);
		out->len = ETH_HLEN + s->payload_len;
		return 0;
	}
	if (s->opt_words > 10)
		return -1;

	if (!later_frag) {
		switch (s->proto) {
		case IPPROTO_TCP:
			l4_hlen = 20;
			break;
		case IPPROTO_UDP:
			l4_hlen = 8;
			break;
		case IPPROTO_ICMP:
			l4_hlen = 8;
			break;
		default:
			break;
		}
	}
	l4_len = l4_hlen + s->payload_len;
	tot = ihl + l4_len;
	if (ETH_HLEN + tot > PKT_MAX)
		return -1;

	ip = eth + ETH_HLEN;
	ip[0] = 0x40 | (uint8_t)(ihl / 4);
	ip[1] = s->tos;
	put16(ip + 2, (uint16_t)tot);
	put16(ip + 4, s->ip_id);
	put16(ip + 6, s->frag_off);
	ip[8] = s->ttl;
	ip[9] = s->proto;
	memcpy(ip + 12, &s->saddr, 4);
	memcpy(ip + 16, &s->daddr, 4);
	fill_options(ip + 20, s->opt_words);
	put16(ip + 10, (uint16_t)~pkt_csum_fold(ip, ihl, 0));

	l4 = ip + ihl;
	pl = l4 + l4_hlen;
	for (i = 0; i < s->payload_len; i++)
		pl[i] = (uint8_t)(s->payload_seed + i * 7);
	if (s->payload_tail && s->payload_len >= 2)
		put16(pl + s->payload_len - 2, s->payload_tail);

	if (later_frag || !l4_hlen) {
		out->len = ETH_HLEN + tot;
		return 0;
	}

	switch (s->proto) {
	case IPPROTO_TCP: {
		uint16_t c;

		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = 5 << 4;
		l4[13] = s->tcp_flags;
		put16(l4 + 14, s->window ? s->window : 65535);
		c = pkt_csum_fold(l4, l4_len, pseudo_sum(ip, (uint16_t)l4_len));
		put16(l4 + 16, (uint16_t)~c);
		break;
	}
	case IPPROTO_UDP: {
		uint16_t c;

		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, (uint16_t)l4_len);
		if (!s->udp_no_csum) {
			c = (uint16_t)~pkt_csum_fold(
			    l4, l4_len, pseudo_sum(ip, (uint16_t)l4_len));
			/* RFC 768: a computed 0 is sent as all ones. */
			put16(l4 + 6, c ? c : 0xffff);
		}
		break;
	}
	case IPPROTO_ICMP:
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		put16(l4 + 4, s->icmp_id);
		put16(l4 + 6, s->icmp_seq);
		put16(l4 + 2, (uint16_t)~pkt_csum_fold(l4, l4_len, 0));
		break;
	}
	out->len = ETH_HLEN + tot;
	return 0;
}

uint16_t pkt_l4_sum(const struct pkt *p)
{
	const uint8_t *ip = p->data + ETH_HLEN;
	size_t l4off = pkt_l4_off(p);
	uint16_t tot = get16(ip + 2);
	uint16_t l4_len = (uint16_t)(tot - (l4off - ETH_HLEN));
	uint8_t seg[PKT_MAX];
	size_t coff;

	if (ip[9] == IPPROTO_TCP)
		coff = 16;
	else if (ip[9] == IPPROTO_UDP)
		coff = 6;
	else
		return 0;
	memcpy(seg, p->data + l4off, l4_len);
	seg[coff] = 0;
	seg[coff + 1] = 0;
	return pkt_csum_fold(seg, l4_len, pseudo_sum(ip, l4_len));
}

void pkt_fix_ip_csum(struct pkt *p)
{
	uint8_t *ip = p->data + ETH_HLEN;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~pkt_csum_fold(ip, ihl, 0));
}

static void fmt_mac(char *b, const uint8_t *m)
{
	sprintf(b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		m[4], m[5]);
}

void pkt_describe(const struct pkt *p, char *buf, size_t len)
{
	const uint8_t *d = p->data, *ip, *l4;
	char sm[18], dm[18], sa[16], da[16];
	size_t n;

	if (p->len < ETH_HLEN) {
		snprintf(buf, len, "%zu bytes (runt)", p->len);
		return;
	}
	fmt_mac(dm, d);
	fmt_mac(sm, d + 6);
	n = (size_t)snprintf(buf, len, "%zu bytes %s > %s type %04x", p->len,
			     sm, dm, get16(d + 12));
	if (get16(d + 12) != ETHERTYPE_IPV4 || p->len < ETH_HLEN + 20 ||
	    n >= len)
		return;
	ip = d + ETH_HLEN;
	inet_ntop(AF_INET, ip + 12, sa, sizeof(sa));
	inet_ntop(AF_INET, ip + 16, da, sizeof(da));
	n += (size_t)snprintf(buf + n, len - n,
			      " | v%u ihl %u len %u ttl %u proto %u csum %04x"
			      " frag %04x %s > %s",
			      ip[0] >> 4, ip[0] & 0xf, get16(ip + 2), ip[8],
			      ip[9], get16(ip + 10), get16(ip + 6), sa, da);
	l4 = d + pkt_l4_off(p);
	if (n >= len || (size_t)(l4 - d) + 8 > p->len)
		return;
	if (ip[9] == IPPROTO_TCP && (size_t)(l4 - d) + 20 <= p->len)
		snprintf(buf + n, len - n,
			 " | tcp %u > %u flags %02x csum %04x", get16(l4),
			 get16(l4 + 2), l4[13], get16(l4 + 16));
	else if (ip[9] == IPPROTO_UDP)
		snprintf(buf + n, len - n, " | udp %u > %u csum %04x",
			 get16(l4), get16(l4 + 2), get16(l4 + 6));
	else if (ip[9] == IPPROTO_ICMP)
		snprintf(buf + n, len - n,
			 " | icmp type %u id %u seq %u csum %04x", l4[0],
			 get16(l4 + 4), get16(l4 + 6), get16(l4 + 2));
}

void pkt_hexdiff(const struct pkt *got, const struct pkt *want)
{
	size_t n = got->len > want->len ? got->len : want->len, i, j;
	char desc[256];

	pkt_describe(got, desc, sizeof(desc));
	fprintf(stderr, "      got:  %s\n", desc);
	pkt_describe(want, desc, sizeof(desc));
	fprintf(stderr, "      want: %s\n", desc);
	fprintf(stderr, "      off   got                                     "
			"          want\n");
	for (i = 0; i < n; i += 16) {
		char g[16 * 3 + 1] = "", w[16 * 3 + 1] = "", mark[17] = "";
		bool diff = false;

		for (j = 0; j < 16 && i + j < n; j++) {
			size_t k = i + j;
			bool hg = k < got->len, hw = k < want->len;
			bool d =
			    hg != hw || (hg && got->data[k] != want->data[k]);

			if (hg)
				sprintf(g + j * 3, "%02x ", got->data[k]);
			else
				sprintf(g + j * 3, "-- ");
			if (hw)
				sprintf(w + j * 3, "%02x ", want->data[k]);
			else
				sprintf(w + j * 3, "-- ");
			mark[j] = d ? '^' : '.';
			diff |= d;
		}
		fprintf(stderr, "      %04zx  %-48s  %-48s %s%s\n", i, g, w,
			mark, diff ? " <" : "");
	}
}
