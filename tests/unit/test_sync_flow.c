/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_sync_flow.c - conntrack pair <-> wire flow (sync/flow.h).
 *
 * dp_new_flow() below rebuilds, independently of sync/flow.c, the pair
 * tc_packet_func_slow (bpf/baton.bpf.c) creates for a first packet, and
 * dp_advance() applies what ct_update() does to both halves later. The
 * tests prove that a pair made that way survives from_ct -> wire -> to_ct
 * with every portable field intact, for every mode x protocol, and that
 * every valid wire flow survives to_ct -> from_ct unchanged.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "unit.h"

#include "flow.h"

#define IP(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((c) << 8) | (d))
#define S(x)		(1000000000ull * (x))
#define FINS		(CT_F_FIN_FWD | CT_F_FIN_REV | CT_F_FIN_FIRST_REV)

#define NODE		3
#define EPOCH		1700000123
#define SVC_ID		17
#define BE_ID		5

static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };

/* One side of the test: what the first packet and the service say. */
struct dp_flow {
	uint8_t proto, mode;
	uint32_t client, vip, backend, snat;	/* host order */
	uint16_t cport, vport, bport, snat_port; /* snat_port: probed port */
};

struct pair {
	struct ct_v4_key fk, rk;
	struct ct_v4_entry fwd, rev;
};

/* What tc_packet_func_slow stores for the flow's first packet at `now`. */
static void dp_new_flow(const struct dp_flow *d, uint64_t now, struct pair *o)
{
	bool icmp = d->proto == IPPROTO_ICMP;
	/* the packet (network order); ICMP: sport = echo id, dport = 0 */
	uint32_t saddr = htonl(d->client), daddr = htonl(d->vip);
	uint16_t sport = htons(d->cport), dport = icmp ? 0 : htons(d->vport);
	uint16_t nk_port = icmp ? 0 : dport;

	memset(o, 0, sizeof(*o));
	o->fk.saddr = saddr;
	o->fk.daddr = daddr;
	o->fk.sport = sport;
	o->fk.dport = dport;
	o->fk.proto = d->proto;

	o->fwd.vip = daddr;
	o->fwd.vport = nk_port;
	o->fwd.vproto = d->proto;
	o->fwd.mode = d->mode;
	o->fwd.dir = CT_DIR_FWD;
	o->fwd.svc_id = 99;
	o->fwd.be_id = 7;
	o->fwd.flags = CT_F_COUNTED;
	o->fwd.owner = NODE;
	o->fwd.epoch = EPOCH;
	o->fwd.created_ns = now;
	o->fwd.last_seen_ns = now;
	o->fwd.packets = 1;
	o->fwd.bytes = 74;
	o->fwd.nat_saddr = saddr;
	o->fwd.nat_sport = sport;
	o->fwd.nat_daddr = htonl(d->backend);
	o->fwd.nat_dport = icmp ? dport : htons(d->bport);
	o->fwd.state = d->proto == IPPROTO_TCP ? CT_STATE_SYN_SENT :
						 CT_STATE_NEW;

	if (d->mode == BATON_MODE_DSR) {
		o->fwd.nat_daddr = daddr;
		o->fwd.nat_dport = dport;
		o->fwd.nexthop = htonl(d->backend);
		if (d->proto != IPPROTO_TCP)
			o->fwd.state = CT_STATE_ESTABLISHED;
		return;
	}
	if (d->mode == BATON_MODE_FULLNAT)
		o->fwd.nat_saddr = htonl(d->snat);
	o->rk.saddr = o->fwd.nat_daddr;
	o->rk.daddr = o->fwd.nat_saddr;
	o->rk.sport = icmp ? sport : o->fwd.nat_dport;
	o->rk.dport = icmp ? 0 : o->fwd.nat_sport;
	o->rk.proto = d->proto;

	o->rev = o->fwd;
	o->rev.dir = CT_DIR_REV;
	o->rev.flags = 0;
	o->rev.packets = 0;
	o->rev.bytes = 0;
	o->rev.nat_saddr = daddr;
	o->rev.nat_sport = dport;
	o->rev.nat_daddr = saddr;
	o->rev.nat_dport = sport;
	o->rev.peer = o->fk;
	/* ct_insert_rev's probe: fullNAT TCP/UDP pick a source port */
	if (d->mode == BATON_MODE_FULLNAT && !icmp) {
		o->rk.dport = htons(d->snat_port);
		o->fwd.nat_sport = o->rk.dport;
	}
	o->fwd.peer = o->rk;
}

/* ct_update() on a later packet: both halves move, FIN bits or'ed in. */
static void dp_advance(struct pair *o, uint8_t state, uint32_t fin,
		       uint64_t now)
{
	o->fwd.state = state;
	o->fwd.flags |= fin;
	o->fwd.last_seen_ns = now;
	o->fwd.packets += 2;
	o->fwd.fib_ifindex = 4;		/* a cached route */
	o->fwd.fib_stamp = 1234;
	if (o->fwd.mode == BATON_MODE_DSR)
		return;
	o->rev.state = state;
	o->rev.flags |= fin;
	o->rev.last_seen_ns = now;
	o->rev.packets += 1;
}

static struct dp_flow mk_dp(uint8_t proto, uint8_t mode)
{
	bool icmp = proto == IPPROTO_ICMP;
	struct dp_flow d = {
		.proto = proto,
		.mode = mode,
		.client = IP(192, 0, 2, 10),
		.vip = IP(10, 0, 0, 100),
		.backend = IP(10, 1, 0, 11),
		.cport = icmp ? 0x4d2 : 40000,
		.vport = icmp ? 0 : 80,
		.bport = icmp ? 0 : 8080,
	};

	if (mode == BATON_MODE_DSR)
		d.bport = d.vport;
	if (mode == BATON_MODE_FULLNAT) {
		d.snat = IP(10, 1, 0, 10);
		d.snat_port = icmp ? 0 : 61234;
	}
	return d;
}

/* The portable part of an entry (bpf/baton.h). */
static void assert_portable_eq(const struct ct_v4_entry *a,
			       const struct ct_v4_entry *b, const char *what)
{
	if (memcmp(&a->peer, &b->peer, sizeof(a->peer)) ||
	    a->nat_saddr != b->nat_saddr || a->nat_daddr != b->nat_daddr ||
	    a->nat_sport != b->nat_sport || a->nat_dport != b->nat_dport ||
	    a->nexthop != b->nexthop || a->vip != b->vip ||
	    a->vport != b->vport || a->vproto != b->vproto ||
	    a->mode != b->mode || a->dir != b->dir || a->state != b->state ||
	    (a->flags & FINS) != (b->flags & FINS) || a->owner != b->owner ||
	    a->epoch != b->epoch)
		fail_msg("%s: portable fields differ", what);
}

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

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static int to_ct(const struct bsync_flow *f, bool counted, uint64_t now,
		 struct pair *o)
{
	memset(o, 0xa5, sizeof(*o));
	return bsync_flow_to_ct(f, NODE, SVC_ID, BE_ID, counted, now, &o->fk,
				&o->fwd, &o->rk, &o->rev);
}

/* Node-local fields of a pair sync installed. */
static void assert_local(const struct pair *o, const struct bsync_flow *f,
			 bool counted, uint64_t last_seen, bool has_rev)
{
	uint32_t fin = f->fin;

	assert_int_equal(o->fwd.svc_id, SVC_ID);
	assert_int_equal(o->fwd.be_id, BE_ID);
	assert_int_equal(o->fwd.flags,
			 CT_F_REMOTE | fin | (counted ? CT_F_COUNTED : 0));
	assert_int_equal(o->fwd.created_ns, last_seen);
	assert_int_equal(o->fwd.last_seen_ns, last_seen);
	assert_int_equal(o->fwd.packets, 0);
	assert_int_equal(o->fwd.bytes, 0);
	assert_int_equal(o->fwd.fib_ifindex, 0);
	assert_int_equal(o->fwd.fib_stamp, 0);
	assert_true(all_zero(o->fwd.fib_smac, 6));
	assert_true(all_zero(o->fwd.fib_dmac, 6));
	assert_int_equal(o->fk.zone, 0);
	assert_int_equal(o->fk.pad, 0);
	if (!has_rev) {
		assert_true(all_zero(&o->rk, sizeof(o->rk)));
		assert_true(all_zero(&o->rev, sizeof(o->rev)));
		return;
	}
	assert_int_equal(o->rev.svc_id, SVC_ID);
	assert_int_equal(o->rev.be_id, BE_ID);
	assert_int_equal(o->rev.flags, CT_F_REMOTE | fin);
	assert_int_equal(o->rev.created_ns, last_seen);
	assert_int_equal(o->rev.last_seen_ns, last_seen);
	assert_int_equal(o->rev.packets, 0);
	assert_int_equal(o->rev.bytes, 0);
	assert_int_equal(o->rev.fib_ifindex, 0);
	assert_int_equal(o->rev.nexthop, 0);
	assert_int_equal(o->rk.zone, 0);
	assert_int_equal(o->rk.pad, 0);
}

/* ---- datapath pair -> wire -> pair ------------------------------------- */

static void test_flow_datapath_pair_survives_every_mode_and_proto(void **state)
{
	const uint64_t t0 = S(5000), now = S(5007) + 999999999;
	uint8_t mode;
	size_t p;

	for (mode = 0; mode < BATON_MODE_MAX; mode++) {
		for (p = 0; p < sizeof(protos); p++) {
			struct dp_flow d = mk_dp(protos[p], mode);
			bool has_rev = mode != BATON_MODE_DSR;
			struct bsync_flow f, g;
			struct pair dp, in;
			char what[64];

			snprintf(what, sizeof(what), "%s/%u",
				 mode == 0 ? "dnat" : mode == 1 ? "fullnat" :
					     "dsr", protos[p]);
			dp_new_flow(&d, t0, &dp);
			dp_advance(&dp, CT_STATE_ESTABLISHED, 0, S(5001));
			assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd,
							    now, &f), 0);

			/* what travels */
			assert_int_equal(f.proto, d.proto);
			assert_int_equal(f.mode, mode);
			assert_int_equal(f.state, CT_STATE_ESTABLISHED);
			assert_int_equal(f.fin, 0);
			assert_int_equal(f.idle_s, 6);	/* 6.999 s */
			assert_int_equal(f.epoch, EPOCH);
			assert_int_equal(f.caddr, d.client);
			assert_int_equal(f.cport, d.cport);
			assert_int_equal(f.vip, d.vip);
			assert_int_equal(f.vport, d.vport);
			assert_int_equal(f.baddr, d.backend);
			assert_int_equal(f.bport, d.bport);
			assert_int_equal(f.snat_addr, d.snat);
			assert_int_equal(f.snat_port, d.snat_port);
			assert_int_equal(bsync_flow_check(&f), 0);

			/* what the peer builds: the datapath's pair */
			assert_int_equal(to_ct(&f, true, now, &in),
					 has_rev ? 1 : 0);
			assert_memory_equal(&in.fk, &dp.fk, sizeof(in.fk));
			assert_portable_eq(&in.fwd, &dp.fwd, what);
			if (has_rev) {
				assert_memory_equal(&in.rk, &dp.rk,
						    sizeof(in.rk));
				assert_portable_eq(&in.rev, &dp.rev, what);
			}
			assert_local(&in, &f, true, now - S(6), has_rev);

			/* and it goes back to the same flow */
			assert_int_equal(bsync_flow_from_ct(&in.fk, &in.fwd,
							    now, &g), 0);
			if (!flow_eq(&f, &g))
				fail_msg("%s: from_ct(to_ct(f)) != f", what);
		}
	}
}

/* Every valid flow, every closing state and FIN combination. */
static void test_flow_wire_flow_round_trips_through_ct(void **state)
{
	static const uint16_t idles[] = { 0, 1, 59, 65534, 65535 };
	const uint64_t now = S(100000);
	size_t p, s, fin, i, n = 0;
	uint8_t mode;

	for (mode = 0; mode < BATON_MODE_MAX; mode++)
	for (p = 0; p < sizeof(protos); p++)
	for (s = CT_STATE_SYN_RECV; s <= CT_STATE_CLOSED; s++)
	for (fin = 0; fin <= FINS; fin += CT_F_FIN_FWD)
	for (i = 0; i < sizeof(idles) / sizeof(idles[0]); i++) {
		struct dp_flow d = mk_dp(protos[p], mode);
		struct bsync_flow f = {
			.proto = d.proto, .mode = mode, .state = (uint8_t)s,
			.fin = (uint8_t)fin, .idle_s = idles[i],
			.epoch = (uint32_t)(n * 2654435761u),
			.caddr = d.client, .cport = d.cport, .vip = d.vip,
			.vport = d.vport, .baddr = d.backend,
			.bport = d.bport, .snat_addr = d.snat,
			.snat_port = d.snat_port,
		}, g;
		struct pair o;
		int ret;

		if (bsync_flow_check(&f))	/* UDP/ICMP: ESTABLISHED; */
			continue;		/* SYN_RECV: TCP, no DSR */
		ret = to_ct(&f, false, now, &o);
		assert_int_equal(ret, mode == BATON_MODE_DSR ? 0 : 1);
		assert_local(&o, &f, false, now - S(idles[i]), ret == 1);
		assert_int_equal(bsync_flow_from_ct(&o.fk, &o.fwd, now, &g),
				 0);
		if (!flow_eq(&f, &g))
			fail_msg("flow %zu (mode %u proto %u state %zu fin "
				 "%#zx idle %u) differs", n, mode, f.proto, s,
				 fin, f.idle_s);
		n++;
	}
	/* (3 modes x (TCP 5 states x 8 FIN sets + UDP + ICMP) + TCP
	 * SYN_RECV without FIN bits in DNAT and fullNAT) x 5 idles */
	assert_int_equal(n, (3 * (5 * 8 + 2) + 2) * 5);
}

static void test_flow_dsr_has_no_reverse_half(void **state)
{
	struct dp_flow d = mk_dp(IPPROTO_TCP, BATON_MODE_DSR);
	struct bsync_flow f = {
		.proto = IPPROTO_TCP, .mode = BATON_MODE_DSR,
		.state = CT_STATE_ESTABLISHED, .caddr = d.client,
		.cport = d.cport, .vip = d.vip, .vport = d.vport,
		.baddr = d.backend, .bport = d.vport,
	};
	struct pair o;

	assert_int_equal(to_ct(&f, true, S(10), &o), 0);
	assert_true(all_zero(&o.rk, sizeof(o.rk)));
	assert_true(all_zero(&o.rev, sizeof(o.rev)));
	assert_true(all_zero(&o.fwd.peer, sizeof(o.fwd.peer)));
	/* the packet keeps its addresses; the backend is the next hop */
	assert_int_equal(o.fwd.nexthop, htonl(d.backend));
	assert_int_equal(o.fwd.nat_daddr, htonl(d.vip));
	assert_int_equal(o.fwd.nat_dport, htons(d.vport));
	assert_int_equal(o.fwd.nat_saddr, htonl(d.client));
	assert_int_equal(o.fwd.nat_sport, htons(d.cport));
	assert_int_equal(o.fwd.dir, CT_DIR_FWD);
}

/* The translation fields, spelled out once per mode for TCP and ICMP. */
static void test_flow_nat_fields_match_the_datapath_by_hand(void **state)
{
	struct bsync_flow f = {
		.proto = IPPROTO_TCP, .mode = BATON_MODE_FULLNAT,
		.state = CT_STATE_ESTABLISHED,
		.caddr = IP(192, 0, 2, 10), .cport = 40000,
		.vip = IP(10, 0, 0, 100), .vport = 80,
		.baddr = IP(10, 1, 0, 11), .bport = 8080,
		.snat_addr = IP(10, 1, 0, 10), .snat_port = 61234,
	};
	struct pair o;

	assert_int_equal(to_ct(&f, false, S(10), &o), 1);
	/* client:40000 -> VIP:80 becomes SNAT:61234 -> backend:8080 */
	assert_int_equal(o.fwd.nat_saddr, htonl(IP(10, 1, 0, 10)));
	assert_int_equal(o.fwd.nat_sport, htons(61234));
	assert_int_equal(o.fwd.nat_daddr, htonl(IP(10, 1, 0, 11)));
	assert_int_equal(o.fwd.nat_dport, htons(8080));
	/* the reply backend:8080 -> SNAT:61234 ... */
	assert_int_equal(o.rk.saddr, htonl(IP(10, 1, 0, 11)));
	assert_int_equal(o.rk.sport, htons(8080));
	assert_int_equal(o.rk.daddr, htonl(IP(10, 1, 0, 10)));
	assert_int_equal(o.rk.dport, htons(61234));
	assert_int_equal(o.rk.proto, IPPROTO_TCP);
	/* ... becomes VIP:80 -> client:40000 */
	assert_int_equal(o.rev.nat_saddr, htonl(IP(10, 0, 0, 100)));
	assert_int_equal(o.rev.nat_sport, htons(80));
	assert_int_equal(o.rev.nat_daddr, htonl(IP(192, 0, 2, 10)));
	assert_int_equal(o.rev.nat_dport, htons(40000));
	assert_memory_equal(&o.rev.peer, &o.fk, sizeof(o.fk));
	assert_memory_equal(&o.fwd.peer, &o.rk, sizeof(o.rk));
	assert_int_equal(o.rev.vip, htonl(IP(10, 0, 0, 100)));
	assert_int_equal(o.rev.vport, htons(80));
	assert_int_equal(o.rev.vproto, IPPROTO_TCP);
	assert_int_equal(o.rev.mode, BATON_MODE_FULLNAT);
	assert_int_equal(o.rev.dir, CT_DIR_REV);
	assert_int_equal(o.rev.owner, NODE);

	/* DNAT: the client stays the source */
	f.mode = BATON_MODE_DNAT;
	f.snat_addr = 0;
	f.snat_port = 0;
	assert_int_equal(to_ct(&f, false, S(10), &o), 1);
	assert_int_equal(o.fwd.nat_saddr, htonl(IP(192, 0, 2, 10)));
	assert_int_equal(o.fwd.nat_sport, htons(40000));
	assert_int_equal(o.rk.daddr, htonl(IP(192, 0, 2, 10)));
	assert_int_equal(o.rk.dport, htons(40000));

	/* ICMP fullNAT: echo id 0x4d2 kept; the reply key is backend:id ->
	 * SNAT:0 and the backend "port" is the VIP's, 0 */
	f.proto = IPPROTO_ICMP;
	f.mode = BATON_MODE_FULLNAT;
	f.cport = 0x4d2;
	f.vport = 0;
	f.bport = 0;
	f.snat_addr = IP(10, 1, 0, 10);
	assert_int_equal(to_ct(&f, false, S(10), &o), 1);
	assert_int_equal(o.fk.sport, htons(0x4d2));
	assert_int_equal(o.fk.dport, 0);
	assert_int_equal(o.fwd.nat_saddr, htonl(IP(10, 1, 0, 10)));
	assert_int_equal(o.fwd.nat_sport, htons(0x4d2));
	assert_int_equal(o.fwd.nat_dport, 0);
	assert_int_equal(o.rk.saddr, htonl(IP(10, 1, 0, 11)));
	assert_int_equal(o.rk.sport, htons(0x4d2));
	assert_int_equal(o.rk.daddr, htonl(IP(10, 1, 0, 10)));
	assert_int_equal(o.rk.dport, 0);
	assert_int_equal(o.rev.nat_sport, 0);
	assert_int_equal(o.rev.nat_dport, htons(0x4d2));
}

/* ---- time -------------------------------------------------------------- */

static void test_flow_idle_rebased_on_the_local_clock(void **state)
{
	struct dp_flow d = mk_dp(IPPROTO_UDP, BATON_MODE_DNAT);
	struct bsync_flow f;
	struct pair dp, o;

	dp_new_flow(&d, S(1000), &dp);
	dp_advance(&dp, CT_STATE_ESTABLISHED, 0, S(1000));

	/* whole seconds, rounded down */
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(1030), &f), 0);
	assert_int_equal(f.idle_s, 30);
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd,
					    S(1002) + 900000000, &f), 0);
	assert_int_equal(f.idle_s, 2);
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(1000), &f), 0);
	assert_int_equal(f.idle_s, 0);
	/* saturating */
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd,
					    S(1000 + 65535), &f), 0);
	assert_int_equal(f.idle_s, 65535);
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd,
					    S(1000 + 1000000), &f), 0);
	assert_int_equal(f.idle_s, 65535);
	/* seen "after now" (another CPU just touched it): idle 0 */
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(999), &f), 0);
	assert_int_equal(f.idle_s, 0);

	/* the peer: now - idle on its own clock */
	f.idle_s = 30;
	assert_int_equal(to_ct(&f, false, S(50), &o), 1);
	assert_int_equal(o.fwd.last_seen_ns, S(20));
	assert_int_equal(o.fwd.created_ns, S(20));
	assert_int_equal(o.rev.last_seen_ns, S(20));
	/* and 5 s later it is 35 s idle */
	assert_int_equal(bsync_flow_from_ct(&o.fk, &o.fwd, S(55), &f), 0);
	assert_int_equal(f.idle_s, 35);

	/* a clock younger than the idle time: 0, not a wrap */
	f.idle_s = 65535;
	assert_int_equal(to_ct(&f, false, S(10), &o), 1);
	assert_int_equal(o.fwd.last_seen_ns, 0);
	assert_int_equal(o.fwd.created_ns, 0);
	assert_int_equal(o.rev.created_ns, 0);
	f.idle_s = 10;
	assert_int_equal(to_ct(&f, false, S(10), &o), 1);
	assert_int_equal(o.fwd.last_seen_ns, 0);
}

/* ---- flags ------------------------------------------------------------- */

static void test_flow_fin_bits_travel_and_land_on_both_halves(void **state)
{
	static const struct {
		uint8_t state;
		uint32_t fin;
	} steps[] = {
		{ CT_STATE_FIN_WAIT, CT_F_FIN_FWD },
		{ CT_STATE_FIN_WAIT, CT_F_FIN_REV | CT_F_FIN_FIRST_REV },
		{ CT_STATE_CLOSE_WAIT, CT_F_FIN_FWD | CT_F_FIN_REV },
		{ CT_STATE_TIME_WAIT, FINS },
		{ CT_STATE_CLOSED, CT_F_FIN_FWD },
		{ CT_STATE_CLOSED, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct dp_flow d = mk_dp(IPPROTO_TCP, BATON_MODE_FULLNAT);
		struct bsync_flow f;
		struct pair dp, o;

		dp_new_flow(&d, S(10), &dp);
		dp_advance(&dp, CT_STATE_ESTABLISHED, 0, S(11));
		dp_advance(&dp, steps[i].state, steps[i].fin, S(12));
		/* node-local bits do not travel */
		dp.fwd.flags |= CT_F_COUNTED;
		assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(12),
						    &f), 0);
		assert_int_equal(f.state, steps[i].state);
		assert_int_equal(f.fin, steps[i].fin);

		assert_int_equal(to_ct(&f, true, S(100), &o), 1);
		assert_int_equal(o.fwd.flags, CT_F_REMOTE | CT_F_COUNTED |
						      steps[i].fin);
		assert_int_equal(o.rev.flags, CT_F_REMOTE | steps[i].fin);
		assert_int_equal(o.rev.state, steps[i].state);
		assert_portable_eq(&o.fwd, &dp.fwd, "fwd");
		assert_portable_eq(&o.rev, &dp.rev, "rev");

		/* not counted: the peer's backend count is not touched */
		assert_int_equal(to_ct(&f, false, S(100), &o), 1);
		assert_int_equal(o.fwd.flags, CT_F_REMOTE | steps[i].fin);
	}
}

/* ---- refusals ---------------------------------------------------------- */

static void test_flow_from_ct_refuses_reverse_and_unfinished(void **state)
{
	struct dp_flow d = mk_dp(IPPROTO_TCP, BATON_MODE_DNAT);
	struct bsync_flow f;
	struct pair dp, x;
	uint8_t s;

	dp_new_flow(&d, S(10), &dp);
	/* a SYN alone is not replicated (anyone can send one) */
	assert_int_equal(dp.fwd.state, CT_STATE_SYN_SENT);
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(10), &f),
			 -EINVAL);
	for (s = CT_STATE_NONE; s < CT_STATE_SYN_RECV; s++) {
		dp.fwd.state = s;
		assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(10),
						    &f), -EINVAL);
	}
	dp.fwd.state = CT_STATE_MAX;
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(10), &f),
			 -EINVAL);

	/* the backend's SYN-ACK went through: the client may count the
	 * connection open already, so it is replicated */
	dp.fwd.state = CT_STATE_SYN_SENT;
	dp_advance(&dp, CT_STATE_SYN_RECV, 0, S(10));
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(10), &f), 0);
	assert_int_equal(f.state, CT_STATE_SYN_RECV);

	/* established: the forward half is fine, the reverse half is not */
	dp_advance(&dp, CT_STATE_ESTABLISHED, 0, S(10));
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(10), &f), 0);
	assert_int_equal(bsync_flow_from_ct(&dp.rk, &dp.rev, S(10), &f),
			 -EINVAL);
	/* nor is a forward half under the wrong key */
	assert_int_equal(bsync_flow_from_ct(&dp.rk, &dp.fwd, S(10), &f),
			 -EINVAL);

	/* UDP NEW (no reply yet) */
	d = mk_dp(IPPROTO_UDP, BATON_MODE_FULLNAT);
	d.snat_port = 2000;
	dp_new_flow(&d, S(10), &dp);
	assert_int_equal(dp.fwd.state, CT_STATE_NEW);
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(10), &f),
			 -EINVAL);
	dp_advance(&dp, CT_STATE_ESTABLISHED, 0, S(10));
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(10), &f), 0);

	/* entries the datapath cannot have made: each one field off */
	d = mk_dp(IPPROTO_TCP, BATON_MODE_DNAT);
	dp_new_flow(&d, S(10), &dp);
	dp_advance(&dp, CT_STATE_ESTABLISHED, 0, S(10));
	x = dp;
	x.fwd.nat_saddr = htonl(IP(10, 9, 9, 9));	/* DNAT rewrote src */
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);
	x = dp;
	x.fwd.vport = htons(81);		/* key and service disagree */
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);
	x = dp;
	x.fwd.vproto = IPPROTO_UDP;
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);
	x = dp;
	x.fwd.peer.sport ^= 1;			/* reply key off */
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);
	x = dp;
	x.fwd.nexthop = htonl(IP(10, 1, 0, 11));	/* outside DSR */
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);
	x = dp;
	x.fk.zone = 1;
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);
	x = dp;
	x.fwd.mode = BATON_MODE_MAX;
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);
	x = dp;
	x.fwd.nat_dport = 0;			/* backend port 0 */
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);

	d = mk_dp(IPPROTO_UDP, BATON_MODE_DSR);
	dp_new_flow(&d, S(10), &dp);
	x = dp;
	x.fwd.peer = x.fk;			/* DSR with a reverse half */
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);
	x = dp;
	x.fwd.state = CT_STATE_FIN_WAIT;	/* UDP never closes */
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);

	d = mk_dp(IPPROTO_ICMP, BATON_MODE_FULLNAT);
	dp_new_flow(&d, S(10), &dp);
	dp_advance(&dp, CT_STATE_ESTABLISHED, 0, S(10));
	assert_int_equal(bsync_flow_from_ct(&dp.fk, &dp.fwd, S(10), &f), 0);
	x = dp;
	x.fwd.nat_sport = htons(2000);		/* ICMP ids: not probed */
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);
	x = dp;
	x.fwd.nat_saddr = 0;			/* fullNAT without source */
	assert_int_equal(bsync_flow_from_ct(&x.fk, &x.fwd, S(10), &f),
			 -EINVAL);
}

static void test_flow_to_ct_refuses_invalid_flows(void **state)
{
	struct bsync_flow f = {
		.proto = IPPROTO_TCP, .mode = BATON_MODE_DNAT,
		.state = CT_STATE_SYN_SENT,
		.caddr = 1, .cport = 1, .vip = 2, .vport = 2,
		.baddr = 3, .bport = 3,
	};
	struct pair o;

	assert_int_equal(to_ct(&f, false, S(1), &o), -EINVAL);
	f.state = CT_STATE_ESTABLISHED;
	assert_int_equal(to_ct(&f, false, S(1), &o), 1);
	f.mode = BATON_MODE_FULLNAT;		/* without a source */
	assert_int_equal(to_ct(&f, false, S(1), &o), -EINVAL);
	f.mode = BATON_MODE_DSR;		/* port translation */
	assert_int_equal(to_ct(&f, false, S(1), &o), -EINVAL);
	f.bport = 2;
	assert_int_equal(to_ct(&f, false, S(1), &o), 0);
	f.proto = IPPROTO_SCTP;
	assert_int_equal(to_ct(&f, false, S(1), &o), -EINVAL);
}

static void test_flow_key_round_trips_and_matches_the_forward_key(void **state)
{
	struct dp_flow d = mk_dp(IPPROTO_ICMP, BATON_MODE_DNAT);
	struct ct_v4_key fk;
	struct bsync_key k;
	struct pair dp;
	size_t p;

	for (p = 0; p < sizeof(protos); p++) {
		d = mk_dp(protos[p], BATON_MODE_DNAT);
		dp_new_flow(&d, S(1), &dp);
		bsync_key_from_ct(&dp.fk, &k);
		assert_int_equal(k.proto, d.proto);
		assert_int_equal(k.caddr, d.client);
		assert_int_equal(k.cport, d.cport);
		assert_int_equal(k.vip, d.vip);
		assert_int_equal(k.vport, d.vport);
		assert_int_equal(bsync_key_check(&k), 0);
		memset(&fk, 0xa5, sizeof(fk));
		bsync_key_to_ct(&k, &fk);
		assert_memory_equal(&fk, &dp.fk, sizeof(fk));
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_flow_datapath_pair_survives_every_mode_and_proto),
	cmocka_unit_test(test_flow_wire_flow_round_trips_through_ct),
	cmocka_unit_test(test_flow_dsr_has_no_reverse_half),
	cmocka_unit_test(test_flow_nat_fields_match_the_datapath_by_hand),
	cmocka_unit_test(test_flow_idle_rebased_on_the_local_clock),
	cmocka_unit_test(test_flow_fin_bits_travel_and_land_on_both_halves),
	cmocka_unit_test(test_flow_from_ct_refuses_reverse_and_unfinished),
	cmocka_unit_test(test_flow_to_ct_refuses_invalid_flows),
	cmocka_unit_test(test_flow_key_round_trips_and_matches_the_forward_key),
};

UNIT_MAIN("sync_flow", tests)
