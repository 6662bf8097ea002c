/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nudge_pkt.h - the packets of the takeover nudge (ha/nudge.h), built
 * byte by byte. Pure: addresses in, bytes out; no I/O.
 *
 * A connection whose balancer died sits in the retransmission backoff of
 * its endpoints: the first retransmission (about 0.2 s after the loss) went
 * to the dead node, the next one waits twice as long. After a takeover
 * the new master asks each endpoint to retransmit now:
 *
 *  1. a tickle: a bare ACK with sequence and acknowledgement 0, as if from
 *     the other endpoint. Out of the window, it makes the endpoint answer
 *     with an ACK of its current state (RFC 793; Linux rate-limits these
 *     per socket, tcp_invalid_ratelimit, and one is all it takes). That
 *     answer passes the new master on its way to the other endpoint, which
 *     learns from it what the first one holds (its acknowledgement number
 *     is the other's oldest unacknowledged byte from then on);
 *  2. an ICMP host unreachable quoting the endpoint's own segment at that
 *     oldest unacknowledged byte: RFC 6069's signal that the loss was a
 *     connectivity disruption, on which Linux undoes one backoff step of
 *     the retransmission timer and retransmits at once if the shorter
 *     timeout has already run out (tcp_ld_RTO_revert). The error itself
 *     is soft for an established connection: nothing is reported unless
 *     the application asked for ICMP errors (IP_RECVERR).
 *
 * All in network byte order; checksums complete (the kernel fills in the
 * outer IPv4 checksum of a raw socket's packets anyway).
 */
#ifndef BATON_HA_NUDGE_PKT_H
#define BATON_HA_NUDGE_PKT_H

#include <stddef.h>
#include <stdint.h>

#define BATON_NUDGE_TICKLE_LEN	40	/* IPv4 20 + TCP 20 */
#define BATON_NUDGE_ICMP_LEN	56	/* IPv4 20 + ICMP 8 + IPv4 20 + 8 */

/* A TCP segment's addressing, network byte order. */
struct baton_nudge_tuple {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
};

/* A bare TCP segment (no options, no payload, window 0) from
 * t->saddr:sport to t->daddr:dport with seq, ack (host order) and the
 * flags byte into buf (at least BATON_NUDGE_TICKLE_LEN bytes). Returns its
 * length. A RST is one of these too (node/reset.h). */
size_t baton_nudge_segment(uint8_t *buf, const struct baton_nudge_tuple *t,
			   uint32_t seq, uint32_t ack, uint8_t flags);

/* The tickle from t->saddr:sport to t->daddr:dport into buf (at least
 * BATON_NUDGE_TICKLE_LEN bytes). Returns its length. */
size_t baton_nudge_tickle(uint8_t *buf, const struct baton_nudge_tuple *t);

/* ICMP host unreachable from `from` to the sender of the quoted segment
 * q (q->saddr), quoting its header with sequence number seq (host order).
 * buf: at least BATON_NUDGE_ICMP_LEN bytes. Returns its length. */
size_t baton_nudge_icmp(uint8_t *buf, uint32_t from,
			const struct baton_nudge_tuple *q, uint32_t seq);

/* The Internet checksum (RFC 1071) of len bytes, folded, not inverted. */
uint16_t baton_nudge_sum(const uint8_t *p, size_t len, uint32_t sum);

#endif /* BATON_HA_NUDGE_PKT_H */
