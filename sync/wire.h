/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * wire.h - the conntrack sync wire format, version 1. Pure: bytes in,
 * structs out (and back); no I/O, no kernel, no allocation.
 *
 * A message is a 24-byte header followed by `count` records of the type's
 * kind, everything big-endian:
 *
 *   off size field
 *     0  2   magic 0x4253 ("BS")
 *     2  1   version (1)
 *     3  1   type (enum bsync_type)
 *     4  4   sender node id (non-zero)
 *     8  4   sender epoch
 *    12  4   session: the sender's stream; a new one per connection/resync
 *    16  4   seq: position of this message in the session (first is 1);
 *            for BSYNC_ACK: the highest seq of `session` received in order
 *    20  2   count of records
 *    22  2   reserved, 0
 *
 * Records:
 *   BSYNC_UPDATE  flow records (a flow is upserted with this state)
 *   BSYNC_DELETE  key records (the flow is gone on the owner)
 *   BSYNC_RESYNC_END  one 4-byte record: flows sent in this resync
 *   BSYNC_RESYNC_BEGIN, BSYNC_ACK, BSYNC_RESYNC_REQ: no records
 *
 * Flow record (26 bytes; 32 with the fullNAT source):
 *     0  1   bits 0-1 proto (0 tcp, 1 udp, 2 icmp), bits 2-3 mode
 *            (enum baton_mode), bit 4 has_snat, bits 5-7 FIN bits
 *            (bit 5 CT_F_FIN_FWD, bit 6 CT_F_FIN_REV, bit 7
 *            CT_F_FIN_FIRST_REV)
 *     1  1   state (enum ct_state, SYN_RECV..CLOSED; SYN_RECV only for
 *            TCP DNAT and fullNAT, without FIN bits)
 *     2  2   idle seconds at the owner (saturating)
 *     4  4   owner epoch of the flow
 *     8  4   client address      12  2  client port (ICMP: echo id)
 *    14  4   VIP                 18  2  VIP port (ICMP: 0)
 *    20  4   backend address     24  2  backend port (ICMP: 0)
 *   [26  4   SNAT address        30  2  SNAT port]   iff has_snat
 * has_snat is set exactly for mode fullNAT. DSR: backend port == VIP port.
 *
 * Key record (13 bytes): proto code (1), client address (4), client port
 * (2), VIP (4), VIP port (2).
 *
 * Decoding validates the whole message (header, exact length, every
 * field of every record) before it returns 0: a message with one bad
 * record yields nothing.
 */
#ifndef BATON_SYNC_WIRE_H
#define BATON_SYNC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define BSYNC_MAGIC		0x4253
#define BSYNC_VERSION		1
#define BSYNC_HDR_LEN		24
#define BSYNC_FLOW_LEN		26
#define BSYNC_FLOW_SNAT_LEN	32
#define BSYNC_KEY_LEN		13
#define BSYNC_MAX_RECORDS	2048	/* per message */
#define BSYNC_MAX_MSG		(BSYNC_HDR_LEN + \
				 BSYNC_MAX_RECORDS * BSYNC_FLOW_SNAT_LEN)

enum bsync_type {
	BSYNC_UPDATE = 1,
	BSYNC_DELETE = 2,
	BSYNC_RESYNC_BEGIN = 3,
	BSYNC_RESYNC_END = 4,
	BSYNC_ACK = 5,
	BSYNC_RESYNC_REQ = 6,
	BSYNC_TYPE_MAX
};

struct bsync_hdr {
	uint8_t type;		/* enum bsync_type */
	uint32_t sender;
	uint32_t epoch;
	uint32_t session;
	uint32_t seq;
	uint16_t count;
};

/* One flow as it travels; host order. */
struct bsync_flow {
	uint8_t proto;		/* IPPROTO_TCP / _UDP / _ICMP */
	uint8_t mode;		/* enum baton_mode */
	uint8_t state;		/* enum ct_state */
	uint8_t fin;		/* CT_F_FIN_FWD | CT_F_FIN_REV | CT_F_FIN_FIRST_REV */
	uint16_t idle_s;
	uint32_t epoch;
	uint32_t caddr;
	uint16_t cport;
	uint32_t vip;
	uint16_t vport;
	uint32_t baddr;
	uint16_t bport;
	uint32_t snat_addr;	/* fullNAT only, else 0 */
	uint16_t snat_port;	/* fullNAT only, else 0 */
};

/* What identifies a flow: its forward (client) tuple. Host order. */
struct bsync_key {
	uint8_t proto;
	uint32_t caddr;
	uint16_t cport;
	uint32_t vip;
	uint16_t vport;
};

/* A decoded message: records point into caller-provided arrays. */
struct bsync_msg {
	struct bsync_hdr hdr;
	size_t nflows;		/* BSYNC_UPDATE */
	struct bsync_flow *flows;
	size_t nkeys;		/* BSYNC_DELETE */
	struct bsync_key *keys;
	uint32_t resync_total;	/* BSYNC_RESYNC_END */
};

/* ---- encoding ---------------------------------------------------------- */

struct bsync_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint16_t count;
	uint8_t type;
};

/* Start a message of hdr->type in buf (cap >= BSYNC_HDR_LEN). */
void bsync_writer_init(struct bsync_writer *w, void *buf, size_t cap,
		       const struct bsync_hdr *hdr);
/* Append a record; -ENOSPC if it does not fit (or BSYNC_MAX_RECORDS),
 * -EINVAL if it is not valid or not of the message's kind. */
int bsync_put_flow(struct bsync_writer *w, const struct bsync_flow *f);
int bsync_put_key(struct bsync_writer *w, const struct bsync_key *k);
int bsync_put_total(struct bsync_writer *w, uint32_t total);
/* Patch the record count; returns the message length. */
size_t bsync_writer_finish(struct bsync_writer *w);

/* Bytes a flow record takes on the wire. */
size_t bsync_flow_wire_len(const struct bsync_flow *f);

/* ---- decoding ---------------------------------------------------------- */

/*
 * Decode and validate buf[0..len). flows/keys must hold
 * BSYNC_MAX_RECORDS each (either may be NULL if that type is not
 * expected: such a message is then -EBADMSG). Returns 0, -EBADMSG
 * (malformed: magic, length, a field out of range), -EPROTONOSUPPORT
 * (another version). On error *m says nothing.
 */
int bsync_decode(const void *buf, size_t len, struct bsync_msg *m,
		 struct bsync_flow *flows, struct bsync_key *keys);

/* Validation of one flow / key (also used before encoding). 0 or -EINVAL. */
int bsync_flow_check(const struct bsync_flow *f);
int bsync_key_check(const struct bsync_key *k);

#endif /* BATON_SYNC_WIRE_H */
