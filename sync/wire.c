/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * wire.c - the conntrack sync wire format, version 1 (see wire.h for the
 * layout and the contract).
 *
 * Bytes are read and written one at a time through the be*() helpers:
 * nothing here casts a buffer to a wider type, so alignment and host byte
 * order never matter. The encoder and the decoder share one validation
 * (bsync_flow_check / bsync_key_check), so whatever the writer accepts the
 * reader accepts, and the reader re-encodes every message it accepts to
 * the same bytes (tests/fuzz/fuzz_sync_decode.c holds us to it).
 *
 * Beyond the letter of wire.h, two rules follow from what the datapath
 * creates (bpf/baton.bpf.c, tc_packet_func_slow):
 *  - UDP and ICMP flows only ever replicate as ESTABLISHED without FIN
 *    bits (their only other state, NEW, is not replicated);
 *  - SYN_RECV (the backend's SYN-ACK went through the owner) is a TCP
 *    state of DNAT and fullNAT only: in DSR the SYN-ACK bypasses the
 *    balancer, and no FIN has been seen yet;
 *  - an ICMP fullNAT flow keeps its echo identifier as source "port" (no
 *    port is probed), so its SNAT port on the wire is 0, like every other
 *    ICMP port, and [BATON_SNAT_PORT_MIN, 65535] applies to TCP/UDP only.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "wire.h"
#include "../bpf/baton.h"

/* Offsets in the header and in a flow record (see wire.h). */
#define H_MAGIC		0
#define H_VERSION	2
#define H_TYPE		3
#define H_SENDER	4
#define H_EPOCH		8
#define H_SESSION	12
#define H_SEQ		16
#define H_COUNT		20
#define H_RESERVED	22

#define F_BITS		0
#define F_STATE		1
#define F_IDLE		2
#define F_EPOCH		4
#define F_CADDR		8
#define F_CPORT		12
#define F_VIP		14
#define F_VPORT		18
#define F_BADDR		20
#define F_BPORT		24
#define F_SNAT_ADDR	26
#define F_SNAT_PORT	30

#define K_PROTO		0
#define K_CADDR		1
#define K_CPORT		5
#define K_VIP		7
#define K_VPORT		11

#define TOTAL_LEN	4	/* BSYNC_RESYNC_END's one record */

/* Flow record byte 0. */
#define FB_PROTO_MASK	0x03
#define FB_MODE_SHIFT	2
#define FB_MODE_MASK	0x03
#define FB_HAS_SNAT	0x10
#define FB_FIN_FWD	0x20
#define FB_FIN_REV	0x40
#define FB_FIN_FIRST_REV 0x80

#define FIN_MASK	(CT_F_FIN_FWD | CT_F_FIN_REV | CT_F_FIN_FIRST_REV)

/* Wire proto codes. */
enum { P_TCP = 0, P_UDP = 1, P_ICMP = 2 };

_Static_assert(BSYNC_MAX_RECORDS <= UINT16_MAX, "count is 16 bits");
_Static_assert(BATON_MODE_MAX <= FB_MODE_MASK + 1, "mode is 2 bits");
_Static_assert(BSYNC_FLOW_SNAT_LEN == F_SNAT_PORT + 2, "flow record");
_Static_assert(BSYNC_FLOW_LEN == F_BPORT + 2, "flow record");
_Static_assert(BSYNC_KEY_LEN == K_VPORT + 2, "key record");

/* ---- bytes ------------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((unsigned int)p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* IPPROTO_* <-> wire code; -1 for anything else. */
static int proto_code(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return P_TCP;
	case IPPROTO_UDP:
		return P_UDP;
	case IPPROTO_ICMP:
		return P_ICMP;
	default:
		return -1;
	}
}

static int proto_from_code(unsigned int code)
{
	static const uint8_t protos[] = {
		[P_TCP] = IPPROTO_TCP,
		[P_UDP] = IPPROTO_UDP,
		[P_ICMP] = IPPROTO_ICMP,
	};

	return code < sizeof(protos) ? protos[code] : -1;
}

/* ---- validation -------------------------------------------------------- */

/* Ports of a flow's tuple: ICMP has none but the echo id (any value). */
static bool ports_ok(uint8_t proto, uint16_t cport, uint16_t vport)
{
	if (proto == IPPROTO_ICMP)
		return vport == 0;
	return cport && vport;
}

int bsync_flow_check(const struct bsync_flow *f)
{
	bool icmp = f->proto == IPPROTO_ICMP;

	if (proto_code(f->proto) < 0 || f->mode >= BATON_MODE_MAX)
		return -EINVAL;
	if (f->state < CT_STATE_SYN_RECV || f->state > CT_STATE_CLOSED)
		return -EINVAL;
	if (f->fin & ~FIN_MASK)
		return -EINVAL;
	if (f->state == CT_STATE_SYN_RECV &&
	    (f->proto != IPPROTO_TCP || f->mode == BATON_MODE_DSR || f->fin))
		return -EINVAL;
	if (f->proto != IPPROTO_TCP &&
	    (f->state != CT_STATE_ESTABLISHED || f->fin))
		return -EINVAL;
	if (!f->caddr || !f->vip || !f->baddr)
		return -EINVAL;
	if (!ports_ok(f->proto, f->cport, f->vport))
		return -EINVAL;
	if (icmp ? f->bport != 0 : f->bport == 0)
		return -EINVAL;
	if (f->mode == BATON_MODE_DSR && f->bport != f->vport)
		return -EINVAL;
	if (f->mode != BATON_MODE_FULLNAT)
		return f->snat_addr || f->snat_port ? -EINVAL : 0;
	if (!f->snat_addr)
		return -EINVAL;
	if (icmp ? f->snat_port != 0 : f->snat_port < BATON_SNAT_PORT_MIN)
		return -EINVAL;
	return 0;
}

int bsync_key_check(const struct bsync_key *k)
{
	if (proto_code(k->proto) < 0 || !k->caddr || !k->vip)
		return -EINVAL;
	return ports_ok(k->proto, k->cport, k->vport) ? 0 : -EINVAL;
}

/* Records per message type: flows, keys, one total, or none. */
static size_t type_max_records(uint8_t type)
{
	switch (type) {
	case BSYNC_UPDATE:
	case BSYNC_DELETE:
		return BSYNC_MAX_RECORDS;
	case BSYNC_RESYNC_END:
		return 1;
	default:
		return 0;
	}
}

static bool type_ok(uint8_t type)
{
	return type >= BSYNC_UPDATE && type < BSYNC_TYPE_MAX;
}

/* ---- encoding ---------------------------------------------------------- */

size_t bsync_flow_wire_len(const struct bsync_flow *f)
{
	return f->mode == BATON_MODE_FULLNAT ? BSYNC_FLOW_SNAT_LEN :
					       BSYNC_FLOW_LEN;
}

/*
 * A writer that cannot produce a valid message (cap below the header, an
 * unknown type, sender 0) refuses every record and finishes with length 0,
 * so a bad header is caught where it is made, not by the peer.
 */
void bsync_writer_init(struct bsync_writer *w, void *buf, size_t cap,
		       const struct bsync_hdr *hdr)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->type = hdr->type;
	if (!buf || cap < BSYNC_HDR_LEN) {
		w->cap = 0;
		return;
	}
	put16(w->buf + H_MAGIC, BSYNC_MAGIC);
	w->buf[H_VERSION] = BSYNC_VERSION;
	w->buf[H_TYPE] = hdr->type;
	put32(w->buf + H_SENDER, hdr->sender);
	put32(w->buf + H_EPOCH, hdr->epoch);
	put32(w->buf + H_SESSION, hdr->session);
	put32(w->buf + H_SEQ, hdr->seq);
	put16(w->buf + H_COUNT, 0);
	put16(w->buf + H_RESERVED, 0);
	w->len = BSYNC_HDR_LEN;
}

static bool writer_ok(const struct bsync_writer *w)
{
	return w->cap >= BSYNC_HDR_LEN && w->len >= BSYNC_HDR_LEN &&
	       type_ok(w->type) && get32(w->buf + H_SENDER) != 0;
}

/* Room for one more record of rlen bytes, or -ENOSPC. */
static int writer_room(const struct bsync_writer *w, size_t rlen)
{
	if (w->count >= type_max_records(w->type))
		return -ENOSPC;
	if (w->cap - w->len < rlen)
		return -ENOSPC;
	return 0;
}

int bsync_put_flow(struct bsync_writer *w, const struct bsync_flow *f)
{
	size_t rlen = bsync_flow_wire_len(f);
	uint8_t *p, bits;
	int ret;

	if (!writer_ok(w) || w->type != BSYNC_UPDATE || bsync_flow_check(f))
		return -EINVAL;
	ret = writer_room(w, rlen);
	if (ret)
		return ret;

	bits = (uint8_t)proto_code(f->proto);
	bits |= (uint8_t)(f->mode << FB_MODE_SHIFT);
	if (f->mode == BATON_MODE_FULLNAT)
		bits |= FB_HAS_SNAT;
	if (f->fin & CT_F_FIN_FWD)
		bits |= FB_FIN_FWD;
	if (f->fin & CT_F_FIN_REV)
		bits |= FB_FIN_REV;
	if (f->fin & CT_F_FIN_FIRST_REV)
		bits |= FB_FIN_FIRST_REV;

	p = w->buf + w->len;
	p[F_BITS] = bits;
	p[F_STATE] = f->state;
	put16(p + F_IDLE, f->idle_s);
	put32(p + F_EPOCH, f->epoch);
	put32(p + F_CADDR, f->caddr);
	put16(p + F_CPORT, f->cport);
	put32(p + F_VIP, f->vip);
	put16(p + F_VPORT, f->vport);
	put32(p + F_BADDR, f->baddr);
	put16(p + F_BPORT, f->bport);
	if (bits & FB_HAS_SNAT) {
		put32(p + F_SNAT_ADDR, f->snat_addr);
		put16(p + F_SNAT_PORT, f->snat_port);
	}
	w->len += rlen;
	w->count++;
	return 0;
}

int bsync_put_key(struct bsync_writer *w, const struct bsync_key *k)
{
	uint8_t *p;
	int ret;

	if (!writer_ok(w) || w->type != BSYNC_DELETE || bsync_key_check(k))
		return -EINVAL;
	ret = writer_room(w, BSYNC_KEY_LEN);
	if (ret)
		return ret;
	p = w->buf + w->len;
	p[K_PROTO] = (uint8_t)proto_code(k->proto);
	put32(p + K_CADDR, k->caddr);
	put16(p + K_CPORT, k->cport);
	put32(p + K_VIP, k->vip);
	put16(p + K_VPORT, k->vport);
	w->len += BSYNC_KEY_LEN;
	w->count++;
	return 0;
}

/* RESYNC_END carries exactly one total: a second one is not "full, start
 * another message" but a caller bug, hence -EINVAL. */
int bsync_put_total(struct bsync_writer *w, uint32_t total)
{
	int ret;

	if (!writer_ok(w) || w->type != BSYNC_RESYNC_END || w->count)
		return -EINVAL;
	ret = writer_room(w, TOTAL_LEN);
	if (ret)
		return ret;
	put32(w->buf + w->len, total);
	w->len += TOTAL_LEN;
	w->count++;
	return 0;
}

/* 0 (send nothing) for a message the decoder would refuse: a broken
 * writer, or a RESYNC_END still missing its total. */
size_t bsync_writer_finish(struct bsync_writer *w)
{
	if (!writer_ok(w))
		return 0;
	if (w->type == BSYNC_RESYNC_END && w->count != 1)
		return 0;
	put16(w->buf + H_COUNT, w->count);
	return w->len;
}

/* ---- decoding ---------------------------------------------------------- */

/* One flow record at p (len bytes left); its length, or 0 if malformed. */
static size_t decode_flow(const uint8_t *p, size_t len, struct bsync_flow *f)
{
	unsigned int bits, mode;
	size_t rlen;
	int proto;

	if (len < 1)
		return 0;
	bits = p[F_BITS];
	rlen = (bits & FB_HAS_SNAT) ? BSYNC_FLOW_SNAT_LEN : BSYNC_FLOW_LEN;
	if (len < rlen)
		return 0;
	proto = proto_from_code(bits & FB_PROTO_MASK);
	mode = (bits >> FB_MODE_SHIFT) & FB_MODE_MASK;
	if (proto < 0 || mode >= BATON_MODE_MAX)
		return 0;
	/* has_snat and mode must agree, else the record length lies. */
	if (!(bits & FB_HAS_SNAT) != (mode != BATON_MODE_FULLNAT))
		return 0;

	memset(f, 0, sizeof(*f));
	f->proto = (uint8_t)proto;
	f->mode = (uint8_t)mode;
	if (bits & FB_FIN_FWD)
		f->fin |= CT_F_FIN_FWD;
	if (bits & FB_FIN_REV)
		f->fin |= CT_F_FIN_REV;
	if (bits & FB_FIN_FIRST_REV)
		f->fin |= CT_F_FIN_FIRST_REV;
	f->state = p[F_STATE];
	f->idle_s = get16(p + F_IDLE);
	f->epoch = get32(p + F_EPOCH);
	f->caddr = get32(p + F_CADDR);
	f->cport = get16(p + F_CPORT);
	f->vip = get32(p + F_VIP);
	f->vport = get16(p + F_VPORT);
	f->baddr = get32(p + F_BADDR);
	f->bport = get16(p + F_BPORT);
	if (bits & FB_HAS_SNAT) {
		f->snat_addr = get32(p + F_SNAT_ADDR);
		f->snat_port = get16(p + F_SNAT_PORT);
	}
	return bsync_flow_check(f) ? 0 : rlen;
}

static int decode_key(const uint8_t *p, struct bsync_key *k)
{
	int proto = proto_from_code(p[K_PROTO]);

	if (proto < 0)
		return -EBADMSG;
	memset(k, 0, sizeof(*k));
	k->proto = (uint8_t)proto;
	k->caddr = get32(p + K_CADDR);
	k->cport = get16(p + K_CPORT);
	k->vip = get32(p + K_VIP);
	k->vport = get16(p + K_VPORT);
	return bsync_key_check(k) ? -EBADMSG : 0;
}

static int decode_records(const uint8_t *b, size_t len, struct bsync_msg *m,
			  struct bsync_flow *flows, struct bsync_key *keys)
{
	size_t off = BSYNC_HDR_LEN, i, rlen;
	uint16_t count = m->hdr.count;

	switch (m->hdr.type) {
	case BSYNC_UPDATE:
		if (!flows)
			return -EBADMSG;
		for (i = 0; i < count; i++) {
			rlen = decode_flow(b + off, len - off, &flows[i]);
			if (!rlen)
				return -EBADMSG;
			off += rlen;
		}
		m->flows = flows;
		m->nflows = count;
		break;
	case BSYNC_DELETE:
		if (!keys)
			return -EBADMSG;
		/* count <= BSYNC_MAX_RECORDS: no overflow */
		if (len - off != (size_t)count * BSYNC_KEY_LEN)
			return -EBADMSG;
		for (i = 0; i < count; i++, off += BSYNC_KEY_LEN)
			if (decode_key(b + off, &keys[i]))
				return -EBADMSG;
		m->keys = keys;
		m->nkeys = count;
		break;
	case BSYNC_RESYNC_END:
		if (count != 1 || len - off != TOTAL_LEN)
			return -EBADMSG;
		m->resync_total = get32(b + off);
		off += TOTAL_LEN;
		break;
	default:
		if (count)
			return -EBADMSG;
		break;
	}
	return off == len ? 0 : -EBADMSG;
}

int bsync_decode(const void *buf, size_t len, struct bsync_msg *m,
		 struct bsync_flow *flows, struct bsync_key *keys)
{
	const uint8_t *b = buf;
	int ret = -EBADMSG;

	memset(m, 0, sizeof(*m));
	if (!b || len < BSYNC_HDR_LEN || get16(b + H_MAGIC) != BSYNC_MAGIC)
		goto out_reset;
	if (b[H_VERSION] != BSYNC_VERSION) {
		ret = -EPROTONOSUPPORT;
		goto out_reset;
	}
	m->hdr.type = b[H_TYPE];
	m->hdr.sender = get32(b + H_SENDER);
	m->hdr.epoch = get32(b + H_EPOCH);
	m->hdr.session = get32(b + H_SESSION);
	m->hdr.seq = get32(b + H_SEQ);
	m->hdr.count = get16(b + H_COUNT);
	if (!type_ok(m->hdr.type) || !m->hdr.sender ||
	    get16(b + H_RESERVED) != 0 ||
	    m->hdr.count > type_max_records(m->hdr.type))
		goto out_reset;
	ret = decode_records(b, len, m, flows, keys);
	if (!ret)
		return 0;
out_reset:
	memset(m, 0, sizeof(*m));
	return ret;
}
