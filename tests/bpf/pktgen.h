/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pktgen.h - build test packets from scratch (Ethernet, IPv4 with options,
 * TCP / UDP / ICMP) with every checksum computed in full over the bytes.
 *
 * Contract: the BPF tests build an input packet and, independently, the
 * packet they expect the datapath to emit, both with pkt_build(). The
 * datapath updates checksums incrementally; a byte-exact compare against a
 * packet whose checksums were summed from scratch proves those updates.
 * Nothing here knows about Baton's translation rules.
 *
 * Byte order: addresses are network order (as in struct iphdr), ports,
 * identifiers and sequence numbers are host order.
 */
#ifndef BATON_TEST_PKTGEN_H
#define BATON_TEST_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 1024

struct pkt {
	size_t len;
	uint8_t data[PKT_MAX];
};

struct pkt_spec {
	const uint8_t *dmac; /* 6 bytes */
	const uint8_t *smac; /* 6 bytes */
	uint16_t ethertype;  /* 0: IPv4 */

	uint32_t saddr; /* network order */
	uint32_t daddr; /* network order */
	uint8_t proto;	/* IPPROTO_TCP / _UDP / _ICMP / other */
	uint8_t ttl;
	uint8_t tos;
	uint8_t opt_words; /* IPv4 options, in 32-bit words (0..10) */
	uint16_t ip_id;
	uint16_t frag_off; /* flags and offset field, host order */

	uint16_t sport; /* TCP/UDP source port */
	uint16_t dport; /* TCP/UDP destination port */
	uint8_t tcp_flags;
	uint32_t seq;
	uint32_t ack;
	uint16_t window;
	bool udp_no_csum; /* send UDP with checksum 0 ("none") */

	uint8_t icmp_type;
	uint8_t icmp_code;
	uint16_t icmp_id;
	uint16_t icmp_seq;

	uint16_t payload_len; /* deterministic filler bytes after L4 */
	uint8_t payload_seed;
	/* 16-bit word stored over the last two payload bytes (if != 0), to
	 * steer a checksum towards a chosen value. */
	uint16_t payload_tail;
};

/* Fill *out from *s; returns 0 or -1 if the packet would not fit. */
int pkt_build(const struct pkt_spec *s, struct pkt *out);

/* Internet checksum (RFC 1071) of buf, folded, not complemented. */
uint16_t pkt_csum_fold(const void *buf, size_t len, uint32_t sum);

/* The L4 sum (pseudo header + segment) of a built packet, folded and not
 * complemented, with the L4 checksum field taken as 0: what a full
 * computation would complement. 0 if the packet has no L4 checksum. */
uint16_t pkt_l4_sum(const struct pkt *p);

/* Offsets in a built packet (Ethernet + IPv4 with options). */
size_t pkt_l3_off(const struct pkt *p);
size_t pkt_l4_off(const struct pkt *p);

/* Recompute the IPv4 header checksum after a test patched the header. */
void pkt_fix_ip_csum(struct pkt *p);

/* One line describing the packet (addresses, ports, flags, checksums). */
void pkt_describe(const struct pkt *p, char *buf, size_t len);

/* Hex dump of two packets side by side, marking the bytes that differ. */
void pkt_hexdiff(const struct pkt *got, const struct pkt *want);

#endif /* BATON_TEST_PKTGEN_H */
