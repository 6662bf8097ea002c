/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_sync_wire.c - the sync wire format (sync/wire.h): one golden
 * message written out by hand from the spec, round trips of every message
 * type and of every mode x protocol, the writer's limits, the bytes a flow
 * costs, and one rejected input per rule the decoder enforces (each also
 * refused by the encoder where the encoder could be asked for it).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>

#include "unit.h"

#include "wire.h"
#include "baton.h"

#define IP(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((c) << 8) | (d))

/*
 * UPDATE from node 2, epoch 1700000000, session 0xabcd, seq 1, 3 flows:
 *  - fullNAT TCP ESTABLISHED, idle 5 s
 *    192.0.2.10:40000 -> 10.0.0.100:80 => 10.1.0.11:8080 from 10.1.0.10:50000
 *  - DSR UDP ESTABLISHED, idle saturated, owner epoch 1
 *    198.51.100.7:5353 -> 10.0.0.101:53 => 10.1.0.21:53
 *  - DNAT TCP FIN_WAIT, FIN from the server first, idle 258 s
 *    203.0.113.5:1 -> 10.0.0.100:443 => 10.1.0.12:8443
 */
static const uint8_t golden[] = {
	/* header */
	0x42, 0x53,			/* magic "BS" */
	0x01,				/* version */
	0x01,				/* type UPDATE */
	0x00, 0x00, 0x00, 0x02,		/* sender */
	0x65, 0x53, 0xf1, 0x00,		/* epoch 1700000000 */
	0x00, 0x00, 0xab, 0xcd,		/* session */
	0x00, 0x00, 0x00, 0x01,		/* seq */
	0x00, 0x03,			/* count */
	0x00, 0x00,			/* reserved */
	/* flow 1 (32 bytes): tcp 0 | fullnat 1 << 2 | has_snat 0x10 */
	0x14, 0x04, 0x00, 0x05,
	0x65, 0x53, 0xf1, 0x00,
	0xc0, 0x00, 0x02, 0x0a, 0x9c, 0x40,	/* 192.0.2.10:40000 */
	0x0a, 0x00, 0x00, 0x64, 0x00, 0x50,	/* 10.0.0.100:80 */
	0x0a, 0x01, 0x00, 0x0b, 0x1f, 0x90,	/* 10.1.0.11:8080 */
	0x0a, 0x01, 0x00, 0x0a, 0xc3, 0x50,	/* 10.1.0.10:50000 */
	/* flow 2 (26 bytes): udp 1 | dsr 2 << 2 */
	0x09, 0x04, 0xff, 0xff,
	0x00, 0x00, 0x00, 0x01,
	0xc6, 0x33, 0x64, 0x07, 0x14, 0xe9,	/* 198.51.100.7:5353 */
	0x0a, 0x00, 0x00, 0x65, 0x00, 0x35,	/* 10.0.0.101:53 */
	0x0a, 0x01, 0x00, 0x15, 0x00, 0x35,	/* 10.1.0.21:53 */
	/* flow 3 (26 bytes): tcp | dnat | FIN_REV 0x40 | FIN_FIRST_REV 0x80 */
	0xc0, 0x05, 0x01, 0x02,
	0xde, 0xad, 0xbe, 0xef,
	0xcb, 0x00, 0x71, 0x05, 0x00, 0x01,	/* 203.0.113.5:1 */
	0x0a, 0x00, 0x00, 0x64, 0x01, 0xbb,	/* 10.0.0.100:443 */
	0x0a, 0x01, 0x00, 0x0c, 0x20, 0xfb,	/* 10.1.0.12:8443 */
};

static const struct bsync_hdr golden_hdr = {
	.type = BSYNC_UPDATE, .sender = 2, .epoch = 1700000000,
	.session = 0xabcd, .seq = 1, .count = 3,
};

static const struct bsync_flow golden_flows[] = {
	{ .proto = IPPROTO_TCP, .mode = BATON_MODE_FULLNAT,
	  .state = CT_STATE_ESTABLISHED, .idle_s = 5, .epoch = 1700000000,
	  .caddr = IP(192, 0, 2, 10), .cport = 40000,
	  .vip = IP(10, 0, 0, 100), .vport = 80,
	  .baddr = IP(10, 1, 0, 11), .bport = 8080,
	  .snat_addr = IP(10, 1, 0, 10), .snat_port = 50000 },
	{ .proto = IPPROTO_UDP, .mode = BATON_MODE_DSR,
	  .state = CT_STATE_ESTABLISHED, .idle_s = 65535, .epoch = 1,
	  .caddr = IP(198, 51, 100, 7), .cport = 5353,
	  .vip = IP(10, 0, 0, 101), .vport = 53,
	  .baddr = IP(10, 1, 0, 21), .bport = 53 },
	{ .proto = IPPROTO_TCP, .mode = BATON_MODE_DNAT,
	  .state = CT_STATE_FIN_WAIT, .fin = CT_F_FIN_REV | CT_F_FIN_FIRST_REV,
	  .idle_s = 258, .epoch = 0xdeadbeef,
	  .caddr = IP(203, 0, 113, 5), .cport = 1,
	  .vip = IP(10, 0, 0, 100), .vport = 443,
	  .baddr = IP(10, 1, 0, 12), .bport = 8443 },
};

#define N_GOLDEN (sizeof(golden_flows) / sizeof(golden_flows[0]))

/* Decoder output arrays: BSYNC_MAX_RECORDS each, as the contract asks. */
static struct bsync_flow flows[BSYNC_MAX_RECORDS];
static struct bsync_key keys[BSYNC_MAX_RECORDS];
static uint8_t buf[BSYNC_MAX_MSG + 64];

/* Field by field: struct padding is not part of the contract. */
static bool flow_eq(const struct bsync_flow *a, const struct bsync_flow *b)
{
	return a->proto == b->proto && a->mode == b->mode &&
	       a->state == b->state && a->fin == b->fin &&
	       a->idle_s == b->idle_s && a->epoch == b->epoch &&
	       a->caddr == b->caddr && a->cport == b->cport &&
	       a->vip == b->vip && a->vport == b->vport &&
	       a->baddr == b->baddr && a->bport == b->bport &&
	       a->snat_addr == b->snat_addr && a->snat_port == b->snat_port;
}

static bool key_eq(const struct bsync_key *a, const struct bsync_key *b)
{
	return a->proto == b->proto && a->caddr == b->caddr &&
	       a->cport == b->cport && a->vip == b->vip &&
	       a->vport == b->vport;
}

static void assert_hdr_eq(const struct bsync_hdr *a, const struct bsync_hdr *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->sender, b->sender);
	assert_int_equal(a->epoch, b->epoch);
	assert_int_equal(a->session, b->session);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->count, b->count);
}

static int decode(const void *b, size_t len, struct bsync_msg *m)
{
	return bsync_decode(b, len, m, flows, keys);
}

/* Decoding fails and leaves nothing behind. */
static void check_rejected(const char *what, const void *b, size_t len,
			   int want)
{
	static const struct bsync_msg zero;
	struct bsync_msg m;
	int ret;

	memset(&m, 0xa5, sizeof(m));
	ret = decode(b, len, &m);
	if (ret != want)
		fail_msg("%s: decode returned %d, expected %d", what, ret,
			 want);
	if (memcmp(&m, &zero, sizeof(m)))
		fail_msg("%s: message not cleared after the error", what);
}

/* A flow of each mode x protocol that passes bsync_flow_check(). */
static struct bsync_flow mk_flow(uint8_t proto, uint8_t mode, uint32_t i)
{
	bool icmp = proto == IPPROTO_ICMP;
	struct bsync_flow f = {
		.proto = proto,
		.mode = mode,
		.state = CT_STATE_ESTABLISHED,
		.idle_s = (uint16_t)i,
		.epoch = 1700000000 + i,
		.caddr = IP(192, 0, 2, 1) + i,
		.cport = (uint16_t)(icmp ? i : 1024 + i),
		.vip = IP(10, 0, 0, 100),
		.vport = icmp ? 0 : 80,
		.baddr = IP(10, 1, 0, 11),
		.bport = icmp ? 0 : 8080,
	};

	if (mode == BATON_MODE_DSR)
		f.bport = f.vport;
	if (mode == BATON_MODE_FULLNAT) {
		f.snat_addr = IP(10, 1, 0, 10);
		f.snat_port = icmp ? 0 : (uint16_t)(BATON_SNAT_PORT_MIN + i);
	}
	return f;
}

static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };

static size_t write_msg(const struct bsync_hdr *h, const struct bsync_flow *fl,
			size_t nf, const struct bsync_key *ks, size_t nk)
{
	struct bsync_writer w;
	size_t i;

	bsync_writer_init(&w, buf, sizeof(buf), h);
	for (i = 0; i < nf; i++)
		assert_int_equal(bsync_put_flow(&w, &fl[i]), 0);
	for (i = 0; i < nk; i++)
		assert_int_equal(bsync_put_key(&w, &ks[i]), 0);
	return bsync_writer_finish(&w);
}

/* ---- golden ------------------------------------------------------------ */

static void test_wire_golden_message_encodes_byte_for_byte(void **state)
{
	size_t len;

	len = write_msg(&golden_hdr, golden_flows, N_GOLDEN, NULL, 0);
	assert_int_equal(len, sizeof(golden));
	assert_int_equal(len, BSYNC_HDR_LEN + 32 + 26 + 26);
	assert_memory_equal(buf, golden, sizeof(golden));
}

static void test_wire_golden_message_decodes_field_for_field(void **state)
{
	struct bsync_msg m;
	size_t i;

	assert_int_equal(decode(golden, sizeof(golden), &m), 0);
	assert_hdr_eq(&m.hdr, &golden_hdr);
	assert_ptr_equal(m.flows, flows);
	assert_int_equal(m.nflows, N_GOLDEN);
	assert_int_equal(m.nkeys, 0);
	assert_null(m.keys);
	assert_int_equal(m.resync_total, 0);
	for (i = 0; i < N_GOLDEN; i++)
		if (!flow_eq(&flows[i], &golden_flows[i]))
			fail_msg("golden flow %zu differs", i);
}

/* ---- round trips ------------------------------------------------------- */

static void test_wire_update_round_trips_every_mode_and_proto(void **state)
{
	struct bsync_hdr h = { .type = BSYNC_UPDATE, .sender = 7,
			       .epoch = 42, .session = 0xffffffff,
			       .seq = 0x80000001 };
	struct bsync_flow in[BATON_MODE_MAX * 3 + 3];
	struct bsync_msg m;
	size_t n = 0, len, want = BSYNC_HDR_LEN, i;
	uint8_t mode, p;

	for (mode = 0; mode < BATON_MODE_MAX; mode++) {
		for (p = 0; p < 3; p++) {
			in[n] = mk_flow(protos[p], mode, n);
			want += mode == BATON_MODE_FULLNAT ? 32 : 26;
			n++;
		}
	}
	/* TCP closing states carry their FIN bits */
	in[n] = mk_flow(IPPROTO_TCP, BATON_MODE_FULLNAT, n);
	in[n].state = CT_STATE_CLOSE_WAIT;
	in[n].fin = CT_F_FIN_FWD | CT_F_FIN_REV | CT_F_FIN_FIRST_REV;
	want += 32;
	n++;
	/* TCP handshakes the SYN-ACK went through, DNAT and fullNAT */
	in[n] = mk_flow(IPPROTO_TCP, BATON_MODE_DNAT, n);
	in[n].state = CT_STATE_SYN_RECV;
	want += 26;
	n++;
	in[n] = mk_flow(IPPROTO_TCP, BATON_MODE_FULLNAT, n);
	in[n].state = CT_STATE_SYN_RECV;
	want += 32;
	n++;

	len = write_msg(&h, in, n, NULL, 0);
	assert_int_equal(len, want);
	assert_int_equal(decode(buf, len, &m), 0);
	h.count = (uint16_t)n;
	assert_hdr_eq(&m.hdr, &h);
	assert_int_equal(m.nflows, n);
	for (i = 0; i < n; i++)
		if (!flow_eq(&flows[i], &in[i]))
			fail_msg("flow %zu (mode %u proto %u) differs", i,
				 in[i].mode, in[i].proto);
}

static void test_wire_delete_round_trips_keys(void **state)
{
	const struct bsync_hdr h = { .type = BSYNC_DELETE, .sender = 1,
				     .epoch = 3, .session = 4, .seq = 5 };
	const struct bsync_key in[] = {
		{ IPPROTO_TCP, IP(192, 0, 2, 1), 40000, IP(10, 0, 0, 100), 80 },
		{ IPPROTO_UDP, IP(192, 0, 2, 2), 65535, IP(10, 0, 0, 101), 53 },
		{ IPPROTO_ICMP, IP(192, 0, 2, 3), 0, IP(10, 0, 0, 100), 0 },
		{ IPPROTO_ICMP, IP(192, 0, 2, 3), 0x1234, IP(10, 0, 0, 1), 0 },
	};
	size_t n = sizeof(in) / sizeof(in[0]), len, i;
	struct bsync_msg m;

	len = write_msg(&h, NULL, 0, in, n);
	assert_int_equal(len, BSYNC_HDR_LEN + n * BSYNC_KEY_LEN);
	/* key record: proto code, caddr, cport, vip, vport */
	assert_memory_equal(buf + BSYNC_HDR_LEN + BSYNC_KEY_LEN,
			    "\x01\xc0\x00\x02\x02\xff\xff\x0a\x00\x00\x65"
			    "\x00\x35", BSYNC_KEY_LEN);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_int_equal(m.hdr.type, BSYNC_DELETE);
	assert_int_equal(m.hdr.count, n);
	assert_ptr_equal(m.keys, keys);
	assert_int_equal(m.nkeys, n);
	assert_int_equal(m.nflows, 0);
	for (i = 0; i < n; i++)
		assert_true(key_eq(&keys[i], &in[i]));
}

static void test_wire_control_messages_round_trip(void **state)
{
	static const uint8_t types[] = { BSYNC_RESYNC_BEGIN, BSYNC_ACK,
					 BSYNC_RESYNC_REQ };
	struct bsync_hdr h = { .sender = 0xffffffff, .epoch = 9,
			       .session = 10, .seq = 11 };
	const struct bsync_key k = { IPPROTO_TCP, 1, 1, 1, 1 };
	struct bsync_writer w;
	struct bsync_msg m;
	size_t i, len;

	for (i = 0; i < sizeof(types); i++) {
		h.type = types[i];
		len = write_msg(&h, NULL, 0, NULL, 0);
		assert_int_equal(len, BSYNC_HDR_LEN);
		assert_int_equal(decode(buf, len, &m), 0);
		assert_hdr_eq(&m.hdr, &h);
		assert_int_equal(m.nflows + m.nkeys + m.resync_total, 0);
		/* no records of any kind on these */
		bsync_writer_init(&w, buf, sizeof(buf), &h);
		assert_int_equal(bsync_put_total(&w, 1), -EINVAL);
		assert_int_equal(bsync_put_key(&w, &k), -EINVAL);
		assert_int_equal(bsync_put_flow(&w, &golden_flows[0]),
				 -EINVAL);
		assert_int_equal(bsync_writer_finish(&w), BSYNC_HDR_LEN);
	}

	/* RESYNC_END: exactly one total */
	h.type = BSYNC_RESYNC_END;
	bsync_writer_init(&w, buf, sizeof(buf), &h);
	/* not without its total */
	assert_int_equal(bsync_writer_finish(&w), 0);
	assert_int_equal(bsync_put_total(&w, 0x01020304), 0);
	assert_int_equal(bsync_put_total(&w, 5), -EINVAL);
	len = bsync_writer_finish(&w);
	assert_int_equal(len, BSYNC_HDR_LEN + 4);
	assert_memory_equal(buf, "\x42\x53\x01\x04\xff\xff\xff\xff"
			    "\x00\x00\x00\x09\x00\x00\x00\x0a"
			    "\x00\x00\x00\x0b\x00\x01\x00\x00"
			    "\x01\x02\x03\x04", len);
	assert_int_equal(decode(buf, len, &m), 0);
	h.count = 1;
	assert_hdr_eq(&m.hdr, &h);
	assert_int_equal(m.resync_total, 0x01020304);
	assert_int_equal(m.nflows + m.nkeys, 0);
}

/* ---- sizes and limits -------------------------------------------------- */

static void test_wire_flow_costs_26_bytes_or_32_with_snat(void **state)
{
	const struct bsync_hdr h = { .type = BSYNC_UPDATE, .sender = 1 };
	struct bsync_writer w;
	uint8_t mode, p;

	for (mode = 0; mode < BATON_MODE_MAX; mode++) {
		for (p = 0; p < 3; p++) {
			struct bsync_flow f = mk_flow(protos[p], mode, 1);
			size_t want = mode == BATON_MODE_FULLNAT ? 32 : 26;

			assert_int_equal(bsync_flow_wire_len(&f), want);
			bsync_writer_init(&w, buf, sizeof(buf), &h);
			assert_int_equal(bsync_put_flow(&w, &f), 0);
			assert_int_equal(bsync_put_flow(&w, &f), 0);
			assert_int_equal(bsync_writer_finish(&w),
					 BSYNC_HDR_LEN + 2 * want);
		}
	}
	assert_int_equal(BSYNC_FLOW_LEN, 26);
	assert_int_equal(BSYNC_FLOW_SNAT_LEN, 32);
	assert_int_equal(BSYNC_KEY_LEN, 13);
	print_message("bytes per flow: %d (dnat, dsr), %d (fullnat); "
		      "per delete: %d; header: %d\n", BSYNC_FLOW_LEN,
		      BSYNC_FLOW_SNAT_LEN, BSYNC_KEY_LEN, BSYNC_HDR_LEN);
}

static void test_wire_writer_enospc_at_capacity(void **state)
{
	const struct bsync_hdr h = { .type = BSYNC_UPDATE, .sender = 1 };
	struct bsync_flow dnat = mk_flow(IPPROTO_TCP, BATON_MODE_DNAT, 1);
	struct bsync_flow fnat = mk_flow(IPPROTO_TCP, BATON_MODE_FULLNAT, 1);
	struct bsync_writer w;
	struct bsync_msg m;
	size_t len;

	/* room for two 26-byte records and 30 bytes more */
	bsync_writer_init(&w, buf, BSYNC_HDR_LEN + 2 * 26 + 30, &h);
	assert_int_equal(bsync_put_flow(&w, &dnat), 0);
	assert_int_equal(bsync_put_flow(&w, &dnat), 0);
	/* 32 bytes do not fit in 30, 26 do */
	assert_int_equal(bsync_put_flow(&w, &fnat), -ENOSPC);
	assert_int_equal(bsync_put_flow(&w, &dnat), 0);
	assert_int_equal(bsync_put_flow(&w, &dnat), -ENOSPC);
	/* a refused record leaves the message as it was */
	len = bsync_writer_finish(&w);
	assert_int_equal(len, BSYNC_HDR_LEN + 3 * 26);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_int_equal(m.nflows, 3);

	/* exactly full */
	bsync_writer_init(&w, buf, BSYNC_HDR_LEN + 32, &h);
	assert_int_equal(bsync_put_flow(&w, &fnat), 0);
	assert_int_equal(bsync_put_flow(&w, &dnat), -ENOSPC);
	assert_int_equal(bsync_writer_finish(&w), BSYNC_HDR_LEN + 32);

	/* invalid beats full: the caller must not retry it elsewhere */
	dnat.caddr = 0;
	assert_int_equal(bsync_put_flow(&w, &dnat), -EINVAL);

	/* a buffer without room for the header yields no message */
	bsync_writer_init(&w, buf, BSYNC_HDR_LEN - 1, &h);
	assert_int_equal(bsync_put_flow(&w, &fnat), -EINVAL);
	assert_int_equal(bsync_writer_finish(&w), 0);
}

static void test_wire_writer_enospc_at_max_records(void **state)
{
	const struct bsync_hdr hu = { .type = BSYNC_UPDATE, .sender = 1 };
	const struct bsync_hdr hd = { .type = BSYNC_DELETE, .sender = 1 };
	struct bsync_flow f = mk_flow(IPPROTO_TCP, BATON_MODE_FULLNAT, 0);
	struct bsync_key k = { IPPROTO_UDP, 1, 2, 3, 4 };
	struct bsync_writer w;
	struct bsync_msg m;
	size_t i, len;

	/* the largest message: BSYNC_MAX_RECORDS fullNAT flows */
	bsync_writer_init(&w, buf, BSYNC_MAX_MSG, &hu);
	for (i = 0; i < BSYNC_MAX_RECORDS; i++) {
		f.cport = (uint16_t)(1 + i);
		assert_int_equal(bsync_put_flow(&w, &f), 0);
	}
	assert_int_equal(bsync_put_flow(&w, &f), -ENOSPC);
	len = bsync_writer_finish(&w);
	assert_int_equal(len, BSYNC_MAX_MSG);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_int_equal(m.nflows, BSYNC_MAX_RECORDS);
	assert_int_equal(flows[BSYNC_MAX_RECORDS - 1].cport,
			 BSYNC_MAX_RECORDS);

	/* the count, not the buffer, is the limit */
	bsync_writer_init(&w, buf, sizeof(buf), &hd);
	for (i = 0; i < BSYNC_MAX_RECORDS; i++)
		assert_int_equal(bsync_put_key(&w, &k), 0);
	assert_int_equal(bsync_put_key(&w, &k), -ENOSPC);
	len = bsync_writer_finish(&w);
	assert_int_equal(len, BSYNC_HDR_LEN +
			 BSYNC_MAX_RECORDS * BSYNC_KEY_LEN);
	assert_int_equal(decode(buf, len, &m), 0);
	assert_int_equal(m.nkeys, BSYNC_MAX_RECORDS);

	/* one more, written by hand, is refused */
	memcpy(buf + len, buf + len - BSYNC_KEY_LEN, BSYNC_KEY_LEN);
	buf[20] = (BSYNC_MAX_RECORDS + 1) >> 8;
	buf[21] = (BSYNC_MAX_RECORDS + 1) & 0xff;
	check_rejected("BSYNC_MAX_RECORDS + 1 keys", buf,
		       len + BSYNC_KEY_LEN, -EBADMSG);
}

static void test_wire_writer_refuses_records_of_another_kind(void **state)
{
	struct bsync_hdr h = { .type = BSYNC_DELETE, .sender = 1 };
	struct bsync_key k = { IPPROTO_TCP, 1, 1, 1, 1 };
	struct bsync_writer w;

	bsync_writer_init(&w, buf, sizeof(buf), &h);
	assert_int_equal(bsync_put_flow(&w, &golden_flows[0]), -EINVAL);
	assert_int_equal(bsync_put_total(&w, 1), -EINVAL);
	k.vip = 0;
	assert_int_equal(bsync_put_key(&w, &k), -EINVAL);
	assert_int_equal(bsync_writer_finish(&w), BSYNC_HDR_LEN);

	h.type = BSYNC_UPDATE;
	bsync_writer_init(&w, buf, sizeof(buf), &h);
	k.vip = 1;
	assert_int_equal(bsync_put_key(&w, &k), -EINVAL);

	/* a header the decoder would refuse is never produced */
	h.sender = 0;
	bsync_writer_init(&w, buf, sizeof(buf), &h);
	assert_int_equal(bsync_put_flow(&w, &golden_flows[0]), -EINVAL);
	assert_int_equal(bsync_writer_finish(&w), 0);
	h.sender = 1;
	h.type = BSYNC_TYPE_MAX;
	bsync_writer_init(&w, buf, sizeof(buf), &h);
	assert_int_equal(bsync_writer_finish(&w), 0);
	h.type = 0;
	bsync_writer_init(&w, buf, sizeof(buf), &h);
	assert_int_equal(bsync_writer_finish(&w), 0);
}

/* ---- malformed messages ------------------------------------------------ */

static void test_wire_every_truncation_is_rejected(void **state)
{
	uint8_t copy[sizeof(golden) + 1];
	size_t len;

	/* a heap copy of exactly len bytes: ASan sees any overread */
	for (len = 0; len < sizeof(golden); len++) {
		uint8_t *b = malloc(len ? len : 1);
		char what[32];

		assert_non_null(b);
		memcpy(b, golden, len);
		snprintf(what, sizeof(what), "truncated to %zu", len);
		check_rejected(what, b, len, -EBADMSG);
		free(b);
	}
	/* and one byte too many */
	memcpy(copy, golden, sizeof(golden));
	copy[sizeof(golden)] = 0;
	check_rejected("trailing byte", copy, sizeof(copy), -EBADMSG);
	check_rejected("NULL buffer", NULL, 0, -EBADMSG);
}

struct patch {
	const char *what;
	size_t off;		/* in the golden message */
	uint8_t val;
	int want;
};

/* One byte of the golden header at a time. */
static const struct patch hdr_patches[] = {
	{ "magic high byte", 0, 0x52, -EBADMSG },
	{ "magic low byte", 1, 0x54, -EBADMSG },
	{ "magic byte-swapped", 0, 0x53, -EBADMSG },
	{ "version 0", 2, 0, -EPROTONOSUPPORT },
	{ "version 2", 2, 2, -EPROTONOSUPPORT },
	{ "version 255", 2, 255, -EPROTONOSUPPORT },
	{ "type 0", 3, 0, -EBADMSG },
	{ "type 7", 3, BSYNC_TYPE_MAX, -EBADMSG },
	{ "type 255", 3, 255, -EBADMSG },
	{ "type DELETE over flow records", 3, BSYNC_DELETE, -EBADMSG },
	{ "type RESYNC_END with 3 records", 3, BSYNC_RESYNC_END, -EBADMSG },
	{ "type ACK with records", 3, BSYNC_ACK, -EBADMSG },
	{ "type RESYNC_BEGIN with records", 3, BSYNC_RESYNC_BEGIN, -EBADMSG },
	{ "type RESYNC_REQ with records", 3, BSYNC_RESYNC_REQ, -EBADMSG },
	{ "sender 0", 7, 0, -EBADMSG },
	{ "count 2 (a record left over)", 21, 2, -EBADMSG },
	{ "count 4 (a record short)", 21, 4, -EBADMSG },
	{ "count 0x0103", 20, 1, -EBADMSG },
	{ "count 0xff03 > BSYNC_MAX_RECORDS", 20, 0xff, -EBADMSG },
	{ "reserved high byte", 22, 1, -EBADMSG },
	{ "reserved low byte", 23, 0x80, -EBADMSG },
};

static void test_wire_each_bad_header_field_is_rejected(void **state)
{
	uint8_t b[sizeof(golden)];
	struct bsync_msg m;
	size_t i;

	for (i = 0; i < sizeof(hdr_patches) / sizeof(hdr_patches[0]); i++) {
		const struct patch *p = &hdr_patches[i];

		memcpy(b, golden, sizeof(b));
		b[p->off] = p->val;
		check_rejected(p->what, b, sizeof(b), p->want);
	}
	/* the other header bytes are free: any epoch, session, seq */
	memcpy(b, golden, sizeof(b));
	memset(b + 8, 0, 12);
	assert_int_equal(decode(b, sizeof(b), &m), 0);
	memset(b + 8, 0xff, 12);
	assert_int_equal(decode(b, sizeof(b), &m), 0);
	assert_int_equal(m.hdr.seq, 0xffffffff);

	/* records of a type the caller did not ask for */
	assert_int_equal(bsync_decode(golden, sizeof(golden), &m, NULL, keys),
			 -EBADMSG);
	assert_int_equal(m.nflows, 0);
	assert_null(m.flows);
	assert_int_equal(bsync_decode(golden, sizeof(golden), &m, flows,
				      NULL), 0);
}

static void test_wire_records_on_types_without_records(void **state)
{
	static const uint8_t types[] = { BSYNC_RESYNC_BEGIN, BSYNC_ACK,
					 BSYNC_RESYNC_REQ };
	struct bsync_hdr h = { .sender = 1 };
	struct bsync_msg m;
	size_t i, len;

	for (i = 0; i < sizeof(types); i++) {
		h.type = types[i];
		len = write_msg(&h, NULL, 0, NULL, 0);
		/* a trailing byte, a 4-byte "total", a counted record */
		buf[len] = 0;
		check_rejected("control + 1 byte", buf, len + 1, -EBADMSG);
		memset(buf + len, 0, 4);
		check_rejected("control + 4 bytes", buf, len + 4, -EBADMSG);
		buf[21] = 1;
		check_rejected("control, count 1", buf, len + 4, -EBADMSG);
		check_rejected("control, count 1, no body", buf, len,
			       -EBADMSG);
	}

	/* RESYNC_END: count 1 and 4 bytes, nothing else */
	h.type = BSYNC_RESYNC_END;
	len = write_msg(&h, NULL, 0, NULL, 0);
	assert_int_equal(len, 0);
	len = BSYNC_HDR_LEN;
	check_rejected("RESYNC_END without total", buf, len, -EBADMSG);
	buf[21] = 1;
	check_rejected("RESYNC_END total missing", buf, len, -EBADMSG);
	memset(buf + len, 0, 5);
	check_rejected("RESYNC_END total short", buf, len + 3, -EBADMSG);
	check_rejected("RESYNC_END total long", buf, len + 5, -EBADMSG);
	buf[21] = 2;
	memset(buf + len, 0, 8);
	check_rejected("RESYNC_END two totals", buf, len + 8, -EBADMSG);
	buf[21] = 1;
	assert_int_equal(decode(buf, len + 4, &m), 0);
	assert_int_equal(m.resync_total, 0);
}

/*
 * A flow record written from the spec by hand, without validation, so a
 * test can put on the wire what bsync_put_flow() refuses. The proto code
 * is the struct's proto taken as a wire code when it is not TCP/UDP/ICMP.
 */
static size_t raw_flow(uint8_t *p, const struct bsync_flow *f, int has_snat)
{
	uint8_t code = f->proto == IPPROTO_TCP ? 0 :
		       f->proto == IPPROTO_UDP ? 1 :
		       f->proto == IPPROTO_ICMP ? 2 : f->proto;

	p[0] = (uint8_t)((code & 3) | (f->mode & 3) << 2 |
			 (has_snat ? 0x10 : 0) | (f->fin >> 2) << 5);
	p[1] = f->state;
	p[2] = f->idle_s >> 8;
	p[3] = f->idle_s & 0xff;
	p[4] = f->epoch >> 24;
	p[5] = f->epoch >> 16;
	p[6] = f->epoch >> 8;
	p[7] = f->epoch & 0xff;
#define ADDR(o, v) do { p[o] = (v) >> 24; p[o + 1] = (v) >> 16; \
			p[o + 2] = (v) >> 8; p[o + 3] = (v) & 0xff; } while (0)
#define PORT(o, v) do { p[o] = (v) >> 8; p[o + 1] = (v) & 0xff; } while (0)
	ADDR(8, f->caddr);
	PORT(12, f->cport);
	ADDR(14, f->vip);
	PORT(18, f->vport);
	ADDR(20, f->baddr);
	PORT(24, f->bport);
	if (!has_snat)
		return 26;
	ADDR(26, f->snat_addr);
	PORT(30, f->snat_port);
#undef ADDR
#undef PORT
	return 32;
}

/* A one-record UPDATE around raw_flow(); returns its length. */
static size_t raw_update(const struct bsync_flow *f, int has_snat)
{
	const struct bsync_hdr h = { .type = BSYNC_UPDATE, .sender = 1 };
	struct bsync_writer w;
	size_t len;

	bsync_writer_init(&w, buf, sizeof(buf), &h);
	len = bsync_writer_finish(&w);
	buf[21] = 1;
	return len + raw_flow(buf + len, f, has_snat);
}

struct bad_flow {
	const char *what;
	uint8_t proto, mode;
	void (*mutate)(struct bsync_flow *f);
};

static void m_state_none(struct bsync_flow *f) { f->state = CT_STATE_NONE; }
static void m_state_new(struct bsync_flow *f) { f->state = CT_STATE_NEW; }
static void m_state_syn_sent(struct bsync_flow *f)
{
	f->state = CT_STATE_SYN_SENT;
}
static void m_state_syn_recv(struct bsync_flow *f)
{
	f->state = CT_STATE_SYN_RECV;
}
static void m_syn_recv_fin(struct bsync_flow *f)
{
	f->state = CT_STATE_SYN_RECV;
	f->fin = CT_F_FIN_FWD;
}
static void m_state_max(struct bsync_flow *f) { f->state = CT_STATE_MAX; }
static void m_state_255(struct bsync_flow *f) { f->state = 255; }
static void m_udp_fin_wait(struct bsync_flow *f)
{
	f->state = CT_STATE_FIN_WAIT;
}
static void m_fin_bits(struct bsync_flow *f) { f->fin = CT_F_FIN_FWD; }
static void m_caddr0(struct bsync_flow *f) { f->caddr = 0; }
static void m_vip0(struct bsync_flow *f) { f->vip = 0; }
static void m_baddr0(struct bsync_flow *f) { f->baddr = 0; }
static void m_cport0(struct bsync_flow *f) { f->cport = 0; }
static void m_vport0(struct bsync_flow *f) { f->vport = 0; }
static void m_bport0(struct bsync_flow *f) { f->bport = 0; }
static void m_vport1(struct bsync_flow *f) { f->vport = 1; }
static void m_bport1(struct bsync_flow *f) { f->bport = 1; }
static void m_dsr_port(struct bsync_flow *f) { f->bport = f->vport + 1; }
static void m_snat0(struct bsync_flow *f) { f->snat_addr = 0; }
static void m_snat_port_low(struct bsync_flow *f)
{
	f->snat_port = BATON_SNAT_PORT_MIN - 1;
}
static void m_snat_port0(struct bsync_flow *f) { f->snat_port = 0; }
static void m_snat_port1(struct bsync_flow *f) { f->snat_port = 1; }
static void m_mode_max(struct bsync_flow *f) { f->mode = BATON_MODE_MAX; }
static void m_proto_sctp(struct bsync_flow *f) { f->proto = 3; }

/* Every rule of a flow record; each row breaks exactly one. */
static const struct bad_flow bad_flows[] = {
	{ "state NONE", IPPROTO_TCP, BATON_MODE_DNAT, m_state_none },
	{ "state NEW", IPPROTO_UDP, BATON_MODE_DNAT, m_state_new },
	{ "state SYN_SENT", IPPROTO_TCP, BATON_MODE_DNAT, m_state_syn_sent },
	{ "dsr state SYN_RECV", IPPROTO_TCP, BATON_MODE_DSR,
	  m_state_syn_recv },
	{ "udp state SYN_RECV", IPPROTO_UDP, BATON_MODE_FULLNAT,
	  m_state_syn_recv },
	{ "SYN_RECV with FIN bits", IPPROTO_TCP, BATON_MODE_DNAT,
	  m_syn_recv_fin },
	{ "state 9", IPPROTO_TCP, BATON_MODE_DNAT, m_state_max },
	{ "state 255", IPPROTO_TCP, BATON_MODE_DSR, m_state_255 },
	{ "udp FIN_WAIT", IPPROTO_UDP, BATON_MODE_DNAT, m_udp_fin_wait },
	{ "icmp FIN bits", IPPROTO_ICMP, BATON_MODE_DNAT, m_fin_bits },
	{ "client 0.0.0.0", IPPROTO_TCP, BATON_MODE_DNAT, m_caddr0 },
	{ "vip 0.0.0.0", IPPROTO_UDP, BATON_MODE_FULLNAT, m_vip0 },
	{ "backend 0.0.0.0", IPPROTO_ICMP, BATON_MODE_DSR, m_baddr0 },
	{ "tcp client port 0", IPPROTO_TCP, BATON_MODE_DNAT, m_cport0 },
	{ "udp client port 0", IPPROTO_UDP, BATON_MODE_FULLNAT, m_cport0 },
	{ "tcp vip port 0", IPPROTO_TCP, BATON_MODE_FULLNAT, m_vport0 },
	{ "udp vip port 0", IPPROTO_UDP, BATON_MODE_DNAT, m_vport0 },
	{ "tcp backend port 0", IPPROTO_TCP, BATON_MODE_DNAT, m_bport0 },
	{ "udp backend port 0", IPPROTO_UDP, BATON_MODE_FULLNAT, m_bport0 },
	{ "icmp vip port", IPPROTO_ICMP, BATON_MODE_DNAT, m_vport1 },
	{ "icmp backend port", IPPROTO_ICMP, BATON_MODE_FULLNAT, m_bport1 },
	{ "dsr port translation", IPPROTO_TCP, BATON_MODE_DSR, m_dsr_port },
	{ "dsr icmp backend port", IPPROTO_ICMP, BATON_MODE_DSR, m_bport1 },
	{ "fullnat snat 0.0.0.0", IPPROTO_TCP, BATON_MODE_FULLNAT, m_snat0 },
	{ "fullnat icmp snat 0.0.0.0", IPPROTO_ICMP, BATON_MODE_FULLNAT,
	  m_snat0 },
	{ "fullnat snat port 1023", IPPROTO_UDP, BATON_MODE_FULLNAT,
	  m_snat_port_low },
	{ "fullnat snat port 0", IPPROTO_TCP, BATON_MODE_FULLNAT,
	  m_snat_port0 },
	{ "fullnat icmp snat port", IPPROTO_ICMP, BATON_MODE_FULLNAT,
	  m_snat_port1 },
	{ "mode 3", IPPROTO_TCP, BATON_MODE_DNAT, m_mode_max },
	{ "proto code 3", IPPROTO_TCP, BATON_MODE_DNAT, m_proto_sctp },
};

static void test_wire_each_bad_flow_field_is_rejected(void **state)
{
	const struct bsync_hdr h = { .type = BSYNC_UPDATE, .sender = 1 };
	size_t i, n = sizeof(bad_flows) / sizeof(bad_flows[0]), len;
	struct bsync_writer w;
	struct bsync_msg m;

	for (i = 0; i < n; i++) {
		const struct bad_flow *b = &bad_flows[i];
		struct bsync_flow f = mk_flow(b->proto, b->mode, 7);
		int snat = f.mode == BATON_MODE_FULLNAT;

		/* the row's base is valid, on the wire too */
		assert_int_equal(bsync_flow_check(&f), 0);
		len = raw_update(&f, snat);
		if (decode(buf, len, &m))
			fail_msg("%s: the base flow is rejected", b->what);

		b->mutate(&f);
		if (bsync_flow_check(&f) != -EINVAL)
			fail_msg("%s: bsync_flow_check accepts it", b->what);
		bsync_writer_init(&w, buf, sizeof(buf), &h);
		if (bsync_put_flow(&w, &f) != -EINVAL)
			fail_msg("%s: bsync_put_flow accepts it", b->what);
		assert_int_equal(bsync_writer_finish(&w), BSYNC_HDR_LEN);

		len = raw_update(&f, snat);
		check_rejected(b->what, buf, len, -EBADMSG);
	}
	print_message("%zu bad flow records rejected\n", n);

	/* ICMP's client port is its echo id: any value, 0 included */
	for (i = 0; i < BATON_MODE_MAX; i++) {
		struct bsync_flow f = mk_flow(IPPROTO_ICMP, (uint8_t)i, 0);

		f.cport = 0;
		assert_int_equal(bsync_flow_check(&f), 0);
		len = raw_update(&f, i == BATON_MODE_FULLNAT);
		assert_int_equal(decode(buf, len, &m), 0);
		f.cport = 0xffff;
		len = raw_update(&f, i == BATON_MODE_FULLNAT);
		assert_int_equal(decode(buf, len, &m), 0);
	}
	/* the lowest SNAT port is fine; a flags byte outside the FIN bits
	 * cannot be expressed on the wire, so the struct refuses it */
	{
		struct bsync_flow f = mk_flow(IPPROTO_TCP,
					      BATON_MODE_FULLNAT, 0);

		f.snat_port = BATON_SNAT_PORT_MIN;
		assert_int_equal(bsync_flow_check(&f), 0);
		f.fin = CT_F_REMOTE;
		assert_int_equal(bsync_flow_check(&f), -EINVAL);
	}
}

/* has_snat and mode must agree: otherwise the record length lies. */
static void test_wire_has_snat_must_match_fullnat(void **state)
{
	struct bsync_flow f;
	size_t len;

	f = mk_flow(IPPROTO_TCP, BATON_MODE_DNAT, 1);
	len = raw_update(&f, 1);		/* 32 bytes, snat 0 */
	check_rejected("dnat with has_snat", buf, len, -EBADMSG);
	f.snat_addr = IP(10, 1, 0, 10);
	f.snat_port = 2000;
	len = raw_update(&f, 1);
	check_rejected("dnat with has_snat and a source", buf, len, -EBADMSG);

	f = mk_flow(IPPROTO_UDP, BATON_MODE_DSR, 1);
	len = raw_update(&f, 1);
	check_rejected("dsr with has_snat", buf, len, -EBADMSG);

	f = mk_flow(IPPROTO_TCP, BATON_MODE_FULLNAT, 1);
	len = raw_update(&f, 0);		/* 26 bytes */
	check_rejected("fullnat without has_snat", buf, len, -EBADMSG);
	/* and with the 6 bytes present all the same */
	len = raw_update(&f, 1);
	buf[BSYNC_HDR_LEN] &= (uint8_t)~0x10;
	check_rejected("fullnat, has_snat clear, 32 bytes", buf, len,
		       -EBADMSG);
}

struct bad_key {
	const char *what;
	size_t off;
	uint8_t val;
};

/* Patches of the first key record (tcp 192.0.2.1:40000 -> VIP:80). */
static const struct bad_key bad_keys[] = {
	{ "proto code 3", 0, 3 },
	{ "proto code 6 (IPPROTO_TCP, not a code)", 0, IPPROTO_TCP },
	{ "client 0.0.0.0", 1, 0 },	/* with the next three zeroed */
	{ "client port 0", 5, 0 },
	{ "vip 0.0.0.0", 7, 0 },
	{ "vip port 0", 11, 0 },
};

static void test_wire_each_bad_key_field_is_rejected(void **state)
{
	const struct bsync_hdr h = { .type = BSYNC_DELETE, .sender = 1 };
	const struct bsync_key ok[] = {
		{ IPPROTO_TCP, IP(192, 0, 2, 1), 40000, IP(10, 0, 0, 100), 80 },
		{ IPPROTO_ICMP, IP(192, 0, 2, 1), 0, IP(10, 0, 0, 100), 0 },
	};
	const struct bsync_key bad[] = {
		{ IPPROTO_SCTP, 1, 1, 1, 1 },
		{ IPPROTO_TCP, 0, 1, 1, 1 },
		{ IPPROTO_UDP, 1, 0, 1, 1 },
		{ IPPROTO_TCP, 1, 1, 0, 1 },
		{ IPPROTO_UDP, 1, 1, 1, 0 },
		{ IPPROTO_ICMP, 1, 1, 1, 1 },	/* ICMP has no VIP port */
	};
	struct bsync_writer w;
	size_t i, len, n = sizeof(bad_keys) / sizeof(bad_keys[0]);
	uint8_t good[BSYNC_HDR_LEN + 2 * BSYNC_KEY_LEN];

	len = write_msg(&h, NULL, 0, ok, 2);
	assert_int_equal(len, sizeof(good));
	memcpy(good, buf, len);
	for (i = 0; i < n; i++) {
		size_t off = BSYNC_HDR_LEN + bad_keys[i].off;

		memcpy(buf, good, len);
		buf[off] = bad_keys[i].val;
		if (bad_keys[i].off == 1 || bad_keys[i].off == 7)
			memset(buf + off, 0, 4);
		if (bad_keys[i].off == 5 || bad_keys[i].off == 11)
			memset(buf + off, 0, 2);
		check_rejected(bad_keys[i].what, buf, len, -EBADMSG);
	}
	/* the ICMP key with a VIP port */
	memcpy(buf, good, len);
	buf[len - 1] = 1;
	check_rejected("icmp key with a vip port", buf, len, -EBADMSG);
	/* a key record cut short */
	buf[21] = 1;
	check_rejected("key record 12 bytes", buf,
		       BSYNC_HDR_LEN + BSYNC_KEY_LEN - 1, -EBADMSG);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bsync_key_check(&bad[i]), -EINVAL);
		bsync_writer_init(&w, buf, sizeof(buf), &h);
		assert_int_equal(bsync_put_key(&w, &bad[i]), -EINVAL);
	}
}

/* A bad record anywhere voids the whole message. */
static void test_wire_one_bad_record_yields_nothing(void **state)
{
	uint8_t b[sizeof(golden)];
	struct bsync_msg m;

	memcpy(b, golden, sizeof(b));
	b[sizeof(b) - 1] = 0;	/* last flow's backend port */
	b[sizeof(b) - 2] = 0;
	check_rejected("last of three flows bad", b, sizeof(b), -EBADMSG);
	assert_int_equal(decode(golden, sizeof(golden), &m), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_wire_golden_message_encodes_byte_for_byte),
	cmocka_unit_test(test_wire_golden_message_decodes_field_for_field),
	cmocka_unit_test(test_wire_update_round_trips_every_mode_and_proto),
	cmocka_unit_test(test_wire_delete_round_trips_keys),
	cmocka_unit_test(test_wire_control_messages_round_trip),
	cmocka_unit_test(test_wire_flow_costs_26_bytes_or_32_with_snat),
	cmocka_unit_test(test_wire_writer_enospc_at_capacity),
	cmocka_unit_test(test_wire_writer_enospc_at_max_records),
	cmocka_unit_test(test_wire_writer_refuses_records_of_another_kind),
	cmocka_unit_test(test_wire_every_truncation_is_rejected),
	cmocka_unit_test(test_wire_each_bad_header_field_is_rejected),
	cmocka_unit_test(test_wire_records_on_types_without_records),
	cmocka_unit_test(test_wire_each_bad_flow_field_is_rejected),
	cmocka_unit_test(test_wire_has_snat_must_match_fullnat),
	cmocka_unit_test(test_wire_each_bad_key_field_is_rejected),
	cmocka_unit_test(test_wire_one_bad_record_yields_nothing),
};

UNIT_MAIN("sync_wire", tests)
