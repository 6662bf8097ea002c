// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_datapath.c - the datapath under BPF_PROG_TEST_RUN.
 *
 * Katran-style ordered tables: each row is {what, packet in, verdict,
 * packet out (or "unchanged"), drop reason, counters, conntrack state,
 * event}, run in order so later rows meet the conntrack entries earlier
 * rows created. Expected packets are built from scratch by pktgen with
 * checksums summed in full, so a byte-exact compare proves the datapath's
 * incremental checksum updates, TTL handling and MAC rewrite.
 *
 * Every row checks, exactly: the verdict; the output bytes; that the drop
 * counter of its reason (and no other) went up by one; which packet
 * counters went up by one (and that no other moved); how many ct events
 * were emitted and, for one, its type, key and entry (compared with the
 * map); optionally the ct state of both halves and backend counters.
 *
 * A row marked .xfail is a datapath bug this suite found and reported: its
 * checks still run and print; the row passing (XPASS) fails the test, so
 * the marker goes away with the fix.
 *
 * How test_run is used, and what it cannot show (kernel 6.18):
 *  - ctx (struct __sk_buff) sets ifindex (the skb's device, so
 *    bpf_fib_lookup() runs in this namespace) and ingress_ifindex (copied
 *    to skb_iif, which the datapath passes to the FIB as the input device;
 *    test_fib_lookup_needs_ingress_ifindex shows the lookup failing
 *    without it).
 *  - A redirect is only a verdict: the target device is not reported, so
 *    the egress is proven by the source MAC the FIB wrote.
 *  - skbs come in CHECKSUM_NONE: the byte compare proves the checksum
 *    arithmetic, not the CHECKSUM_PARTIAL/COMPLETE handling of the csum
 *    helpers (BPF_F_PSEUDO_HDR), which only the netns tier exercises.
 *  - Frames shorter than 14 bytes (TC and XDP) and IPv4 frames shorter
 *    than 34 bytes (TC) are refused with -EINVAL, so DROP_MALFORMED_L2 is
 *    unreachable from here.
 *
 * Runs as root in a private network namespace (fixture.c). Exit 0 pass,
 * 1 fail, 77 skip. `test_datapath NAME...` runs only tests whose name
 * contains one of the arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "baton.h"
#include "check.h"
#include "fixture.h"
#include "pktgen.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SKIP 77

static struct fixture fx;
static int n_xfail;

/* ---- names for messages -------------------------------------------------- */

static const char *const drop_name[DROP_MAX] = {
    "DROP_NONE",	 "DROP_MALFORMED_L2", "DROP_MALFORMED_L3",
    "DROP_MALFORMED_L4", "DROP_FRAGMENT",     "DROP_NO_BACKEND",
    "DROP_CT_FULL",	 "DROP_TCP_NO_CT",    "DROP_SNAT_EXHAUSTED",
    "DROP_BAD_SERVICE",	 "DROP_REDIRECT",     "DROP_ICMP_TYPE",
    "DROP_CT_COLLISION", "DROP_SNAT_NO_CT",   "DROP_RNAT_AMBIGUOUS",
};

static const char *const stat_name[ST_MAX] = {
    "ST_TC_RX",	   "ST_TC_PASS",  "ST_CT_HIT",	  "ST_SLOW",
    "ST_NEW_FLOW", "ST_FWD_FIB",  "ST_FWD_NEIGH", "ST_FWD_STACK",
    "ST_XDP_RX",   "ST_XDP_PASS", "ST_EV_LOST",	  "ST_TAILCALL_FAIL",
    "ST_OTHERHOST", "ST_RNAT",	   "ST_RNAT_NEW",
};

/* ---- services ------------------------------------------------------------ */

#define VIP_NAT "10.0.0.100"   /* DNAT: tcp/80, udp/53, icmp */
#define VIP_FN "10.0.0.101"    /* fullNAT: tcp/80 (lc), udp/53 (maglev) */
#define VIP_DSR "10.0.0.102"   /* DSR: tcp/80, udp/53 */
#define VIP_NONE "10.0.0.103"  /* nothing selectable: tcp/80, 81, 82 */
#define VIP_WRR "10.0.0.104"   /* DNAT wrr 2:1: tcp/80 */
#define VIP_BAD "10.0.0.105"   /* inconsistent services: tcp/80, 81, 82 */
#define VIP_FAR "10.0.0.106"   /* backends without neighbour or route */
#define BE_NONEIGH "10.1.0.13" /* on the back subnet, no neighbour entry */
#define BE_NOROUTE "192.0.2.1" /* no route in the test namespace */

enum {
	SVC_TCP,
	SVC_UDP,
	SVC_ICMP,
	SVC_FN_TCP,
	SVC_FN_UDP,
	SVC_DSR_TCP,
	SVC_DSR_UDP,
	SVC_EMPTY,
	SVC_INACTIVE,
	SVC_STALE,
	SVC_WRR,
	SVC_FN_NO_SNAT,
	SVC_BAD_ALGO,
	SVC_BAD_MODE,
	SVC_NONEIGH,
	SVC_DSR_NONEIGH,
	SVC_NOROUTE,
};

#define TWO_BE(p)                                                              \
	.nbe = 2, .be = {{FX_BE1, (p), 1, false}, {FX_BE2, (p), 1, false}}

static const struct fx_service services[] = {
    {VIP_NAT, 80, IPPROTO_TCP, SVC_TCP, BATON_MODE_DNAT, BATON_ALGO_MAGLEV,
     NULL, TWO_BE(8080)},
    {VIP_NAT, 53, IPPROTO_UDP, SVC_UDP, BATON_MODE_DNAT, BATON_ALGO_MAGLEV,
     NULL, TWO_BE(5353)},
    {VIP_NAT, 0, IPPROTO_ICMP, SVC_ICMP, BATON_MODE_DNAT, BATON_ALGO_MAGLEV,
     NULL, TWO_BE(0)},
    {VIP_FN, 80, IPPROTO_TCP, SVC_FN_TCP, BATON_MODE_FULLNAT, BATON_ALGO_LC,
     FX_SNAT, TWO_BE(8080)},
    {VIP_FN, 53, IPPROTO_UDP, SVC_FN_UDP, BATON_MODE_FULLNAT, BATON_ALGO_MAGLEV,
     FX_SNAT, TWO_BE(5353)},
    {VIP_DSR, 80, IPPROTO_TCP, SVC_DSR_TCP, BATON_MODE_DSR, BATON_ALGO_MAGLEV,
     NULL, TWO_BE(80)},
    {VIP_DSR, 53, IPPROTO_UDP, SVC_DSR_UDP, BATON_MODE_DSR, BATON_ALGO_MAGLEV,
     NULL, TWO_BE(53)},
    /* Every weight 0: Maglev has nothing to build, sched_len stays 0. */
    {VIP_NONE, 80, IPPROTO_TCP, SVC_EMPTY, BATON_MODE_DNAT, BATON_ALGO_MAGLEV,
     NULL, .nbe = 2,
     .be = {{FX_BE1, 8080, 0, false}, {FX_BE2, 8080, 0, false}}},
    /* Backends present but not active. */
    {VIP_NONE, 81, IPPROTO_TCP, SVC_INACTIVE, BATON_MODE_DNAT, BATON_ALGO_LC,
     NULL, .nbe = 2, .be = {{FX_BE1, 8080, 1, true}, {FX_BE2, 8080, 1, true}}},
    /* A Maglev table whose backends lose BE_F_ACTIVE afterwards (see
     * setup_services). */
    {VIP_NONE, 82, IPPROTO_TCP, SVC_STALE, BATON_MODE_DNAT, BATON_ALGO_MAGLEV,
     NULL, TWO_BE(8080)},
    {VIP_WRR, 80, IPPROTO_TCP, SVC_WRR, BATON_MODE_DNAT, BATON_ALGO_WRR, NULL,
     .nbe = 2, .be = {{FX_BE1, 8080, 2, false}, {FX_BE2, 8080, 1, false}}},
    {VIP_BAD, 80, IPPROTO_TCP, SVC_FN_NO_SNAT, BATON_MODE_FULLNAT,
     BATON_ALGO_MAGLEV, NULL, TWO_BE(8080)},
    {VIP_BAD, 81, IPPROTO_TCP, SVC_BAD_ALGO, BATON_MODE_DNAT, BATON_ALGO_MAX,
     NULL, TWO_BE(8080)},
    {VIP_BAD, 82, IPPROTO_TCP, SVC_BAD_MODE, BATON_MODE_MAX, BATON_ALGO_MAGLEV,
     NULL, TWO_BE(8080)},
    {VIP_FAR, 80, IPPROTO_TCP, SVC_NONEIGH, BATON_MODE_DNAT, BATON_ALGO_MAGLEV,
     NULL, .nbe = 1, .be = {{BE_NONEIGH, 8080, 1, false}}},
    {VIP_FAR, 81, IPPROTO_TCP, SVC_DSR_NONEIGH, BATON_MODE_DSR,
     BATON_ALGO_MAGLEV, NULL, .nbe = 1, .be = {{BE_NONEIGH, 81, 1, false}}},
    {VIP_FAR, 82, IPPROTO_TCP, SVC_NOROUTE, BATON_MODE_DNAT, BATON_ALGO_MAGLEV,
     NULL, .nbe = 1, .be = {{BE_NOROUTE, 8080, 1, false}}},
};

static int setup_services(void)
{
	struct lb_v4_table *t;
	__u32 idx = baton_lb_index(SVC_STALE, 0);
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(services); i++) {
		ret = fx_add_service(&fx, &services[i]);
		if (ret)
			return ret;
	}
	t = fx.tables[SVC_STALE];
	for (i = 0; i < t->nbe; i++)
		t->be[i].flags &= ~BE_F_ACTIVE;
	if (bpf_map_update_elem(fx.lb_fd, &idx, t, 0))
		return -errno;
	return 0;
}

/* ---- endpoints, hops, packets -------------------------------------------- */

/* An address and a port (ICMP: the echo identifier at the client, 0 at
 * the VIP and the backend). */
struct ep {
	uint32_t ip;
	uint16_t port;
};

static struct ep ep(const char *ip, uint16_t port)
{
	return (struct ep){fx_ip(ip), port};
}

/* The Ethernet hop a frame travels and the TTL it carries on it. */
struct hop {
	const uint8_t *smac;
	const uint8_t *dmac;
	uint8_t ttl;
	uint8_t opt_words;
};

static const uint8_t *mac_of(uint32_t ip)
{
	if (ip == fx_ip(FX_BE1))
		return fx_mac_be1;
	if (ip == fx_ip(FX_BE2))
		return fx_mac_be2;
	fprintf(stderr, "no MAC for backend %08x\n", ntohl(ip));
	abort();
}

/* Client -> LB front, as sent (TTL 64). */
static const struct hop H_CLIENT = {fx_mac_client, fx_mac_front, 64, 0};
/* LB front -> client, routed by the LB (TTL 63). */
static const struct hop H_TO_CLIENT = {fx_mac_front, fx_mac_client, 63, 0};
static const struct hop H_OTHERHOST = {
    fx_mac_client, (const uint8_t *)"\x02\x00\x00\x00\xaa\x77", 64, 0};

/* LB back -> backend, routed (TTL 63). */
static struct hop h_to_be(uint32_t be)
{
	return (struct hop){fx_mac_back, mac_of(be), 63, 0};
}

/* Backend -> LB back, as sent (TTL 64). */
static struct hop h_from_be(uint32_t be)
{
	return (struct hop){mac_of(be), fx_mac_back, 64, 0};
}

/* DSR: LB back -> backend, bridged (TTL kept). */
static struct hop h_dsr(uint32_t be)
{
	return (struct hop){fx_mac_back, mac_of(be), 64, 0};
}

static struct hop with_opts(struct hop h, uint8_t words)
{
	h.opt_words = words;
	return h;
}

static struct hop with_ttl(struct hop h, uint8_t ttl)
{
	h.ttl = ttl;
	return h;
}

static struct pkt mk(const struct pkt_spec *s)
{
	struct pkt p;

	if (pkt_build(s, &p)) {
		fprintf(stderr, "pkt_build failed\n");
		abort();
	}
	return p;
}

static struct pkt tcp(struct hop h, struct ep s, struct ep d, uint8_t flags,
		      uint32_t seq, uint32_t ack, uint16_t len)
{
	struct pkt_spec sp = {
	    .dmac = h.dmac,
	    .smac = h.smac,
	    .saddr = s.ip,
	    .daddr = d.ip,
	    .proto = IPPROTO_TCP,
	    .ttl = h.ttl,
	    .opt_words = h.opt_words,
	    .ip_id = (uint16_t)(0x4000 + seq),
	    .sport = s.port,
	    .dport = d.port,
	    .tcp_flags = flags,
	    .seq = seq,
	    .ack = ack,
	    .payload_len = len,
	    .payload_seed = (uint8_t)seq,
	};

	return mk(&sp);
}

static struct pkt udp_spec(struct hop h, struct ep s, struct ep d, uint16_t n,
			   uint16_t len, bool no_csum, uint16_t tail)
{
	struct pkt_spec sp = {
	    .dmac = h.dmac,
	    .smac = h.smac,
	    .saddr = s.ip,
	    .daddr = d.ip,
	    .proto = IPPROTO_UDP,
	    .ttl = h.ttl,
	    .opt_words = h.opt_words,
	    .ip_id = (uint16_t)(0x5000 + n),
	    .sport = s.port,
	    .dport = d.port,
	    .udp_no_csum = no_csum,
	    .payload_len = len,
	    .payload_seed = (uint8_t)n,
	    .payload_tail = tail,
	};

	return mk(&sp);
}

/* UDP datagram number n (payload and IP id derive from n). */
static struct pkt udp(struct hop h, struct ep s, struct ep d, uint16_t n,
		      uint16_t len)
{
	return udp_spec(h, s, d, n, len, false, 0);
}

static struct pkt icmp(struct hop h, uint32_t s, uint32_t d, uint8_t type,
		       uint16_t id, uint16_t seq)
{
	struct pkt_spec sp = {
	    .dmac = h.dmac,
	    .smac = h.smac,
	    .saddr = s,
	    .daddr = d,
	    .proto = IPPROTO_ICMP,
	    .ttl = h.ttl,
	    .opt_words = h.opt_words,
	    .ip_id = (uint16_t)(0x6000 + seq),
	    .icmp_type = type,
	    .icmp_id = id,
	    .icmp_seq = seq,
	    .payload_len = 56,
	    .payload_seed = (uint8_t)seq,
	};

	return mk(&sp);
}

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* ---- the row runner ------------------------------------------------------ */

enum { FRONT = 0, BACK = 1 };
enum { P_TC = 0, P_SLOW, P_XDP };

/* .state: 0 = not checked; CT_ABSENT = the input tuple has no entry. */
#define CT_ABSENT 0xff

#define BIT(x) (1u << (x))
#define S_PASS (BIT(ST_TC_RX) | BIT(ST_TC_PASS))
#define S_NEW                                                                  \
	(BIT(ST_TC_RX) | BIT(ST_SLOW) | BIT(ST_NEW_FLOW) | BIT(ST_FWD_FIB))
#define S_HIT (BIT(ST_TC_RX) | BIT(ST_CT_HIT) | BIT(ST_FWD_FIB))
#define S_DROP BIT(ST_TC_RX)
#define S_OTHERHOST (BIT(ST_TC_RX) | BIT(ST_OTHERHOST))
#define S_DROP_SLOW (BIT(ST_TC_RX) | BIT(ST_SLOW))
#define S_XDP_PASS (BIT(ST_XDP_RX) | BIT(ST_XDP_PASS))
#define S_XDP_DROP BIT(ST_XDP_RX)

struct row;
typedef bool (*row_check_fn)(const struct row *r);

struct row {
	const char *what;
	int via;     /* FRONT (client side) or BACK */
	int prog;    /* P_TC, P_SLOW (run the slow path directly), P_XDP */
	bool no_iif; /* ctx.ingress_ifindex = 0 */
	struct pkt in;
	uint32_t verdict;
	struct pkt out; /* .len 0: the output must equal the input */
	uint32_t drop;	/* reason whose counter goes up by one */
	uint32_t stats; /* BIT(ST_*) of counters that go up by one */
	uint8_t state;	/* ct state of both halves afterwards */
	uint8_t event;	/* CT_EV_* emitted, 0 for none */
	uint8_t nevents; /* events emitted if more than one (event: the last) */
	bool be_check;	/* check this flow's backend counters: */
	uint8_t be_active;
	uint8_t be_flows;
	row_check_fn check; /* extra checks after the row */
	const void *arg;    /* for check */
	const char *xfail;  /* known datapath bug, reported */
};

static uint64_t row_t0, row_t1;

/* The datapath stamps entries with bpf_ktime_get_coarse_ns(), which is
 * CLOCK_MONOTONIC_COARSE (it lags CLOCK_MONOTONIC by up to a tick). */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The conntrack key of a packet, as the datapath builds it. */
static bool pkt_key(const struct pkt *p, struct ct_v4_key *k)
{
	const uint8_t *ip = p->data + 14, *l4;

	memset(k, 0, sizeof(*k));
	if (p->len < 34 || rd16(p->data + 12) != 0x0800)
		return false;
	l4 = p->data + pkt_l4_off(p);
	memcpy(&k->saddr, ip + 12, 4);
	memcpy(&k->daddr, ip + 16, 4);
	k->proto = ip[9];
	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP) {
		memcpy(&k->sport, l4, 2);
		memcpy(&k->dport, l4 + 2, 2);
	} else if (k->proto == IPPROTO_ICMP) {
		memcpy(&k->sport, l4 + 4, 2);
	}
	return true;
}

static int ct_get(const struct ct_v4_key *k, struct ct_v4_entry *e)
{
	return bpf_map_lookup_elem(fx.ct_fd, k, e) ? -errno : 0;
}

/* Forward key and entry of the flow the packet belongs to. */
static bool flow_fwd(const struct pkt *p, struct ct_v4_key *fk,
		     struct ct_v4_entry *fe)
{
	struct ct_v4_key k;

	if (!pkt_key(p, &k) || ct_get(&k, fe))
		return false;
	*fk = k;
	if (fe->dir == CT_DIR_REV) {
		*fk = fe->peer;
		if (ct_get(fk, fe))
			return false;
	}
	return true;
}

static void snapshot(int fd, uint32_t n, uint64_t *v)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		v[i] = fx_percpu_sum(&fx, fd, i);
}

static bool check_events(const struct row *r)
{
	struct ct_v4_key fk, ik;
	struct ct_v4_entry fe, ie, evf;
	const struct ct_v4_event *ev;
	bool ok = true;
	int i;

	if (!ASSERT_OK(fx_events_poll(&fx), "read ct_events"))
		return false;
	if (!ASSERT_EQ(fx.nevents, r->nevents ? r->nevents : r->event ? 1 : 0,
		       "ct events emitted")) {
		for (i = 0; i < fx.nevents && i < FX_MAX_EVENTS; i++)
			fprintf(stderr, "      event %d: type %u state %u\n", i,
				fx.events[i].type, fx.events[i].entry.state);
		return false;
	}
	if (!r->event)
		return true;
	ev = &fx.events[fx.nevents - 1];
	ok &= ASSERT_EQ(ev->type, r->event, "event type");
	ok &= ASSERT_EQ(ev->family, AF_INET, "event family");
	if (!ASSERT_TRUE(flow_fwd(&r->in, &fk, &fe),
			 "flow has a forward entry"))
		return false;
	ok &= ASSERT_MEM_EQ(&ev->key, &fk, sizeof(fk),
			    "event key is the flow's forward key");
	/* Last seen when the pair was: the reply half this packet hit may
	 * be fresher than the forward half. */
	if (pkt_key(&r->in, &ik) && !ct_get(&ik, &ie) &&
	    ie.last_seen_ns > fe.last_seen_ns)
		fe.last_seen_ns = ie.last_seen_ns;
	/* The event leaves before the packet is forwarded, which may fill
	 * the entry's node-local route cache: compare without it. */
	evf = ev->entry;
	memset(evf.fib_smac, 0, sizeof(evf.fib_smac));
	memset(evf.fib_dmac, 0, sizeof(evf.fib_dmac));
	evf.fib_ifindex = evf.fib_stamp = 0;
	memset(fe.fib_smac, 0, sizeof(fe.fib_smac));
	memset(fe.fib_dmac, 0, sizeof(fe.fib_dmac));
	fe.fib_ifindex = fe.fib_stamp = 0;
	ok &= ASSERT_MEM_EQ(&evf, &fe, sizeof(fe),
			    "event entry is the forward entry in the map "
			    "(route cache aside)");
	return ok;
}

static bool check_state(const struct row *r)
{
	struct ct_v4_entry e, o;
	struct ct_v4_key k;
	bool ok = true;

	if (!r->state)
		return true;
	if (!ASSERT_TRUE(pkt_key(&r->in, &k), "input has a tuple"))
		return false;
	if (r->state == CT_ABSENT)
		return ASSERT_EQ(ct_get(&k, &e), -ENOENT,
				 "no ct entry for the input tuple");
	if (!ASSERT_OK(ct_get(&k, &e), "ct entry for the input tuple"))
		return false;
	ok &= ASSERT_EQ(e.state, r->state, "ct state of this half");
	if (!e.peer.proto)
		return ok && ASSERT_EQ(e.mode, BATON_MODE_DSR,
				       "only DSR entries lack a reply half");
	if (!ASSERT_OK(ct_get(&e.peer, &o), "ct entry of the other half"))
		return false;
	ok &= ASSERT_EQ(o.state, r->state, "ct state of the other half");
	ok &= ASSERT_MEM_EQ(&o.peer, &k, sizeof(k),
			    "other half points back at this one");
	return ok;
}

static bool check_be(const struct row *r)
{
	struct ct_v4_key fk;
	struct ct_v4_entry fe;
	struct be_stats bs;
	__u32 idx;
	bool ok = true;

	if (!r->be_check)
		return true;
	if (!ASSERT_TRUE(flow_fwd(&r->in, &fk, &fe),
			 "flow has a forward entry"))
		return false;
	idx = baton_be_index(fe.svc_id, fe.be_id);
	if (!ASSERT_OK(bpf_map_lookup_elem(fx.be_stats_fd, &idx, &bs) ? -errno
								      : 0,
		       "be_stats lookup"))
		return false;
	ok &= ASSERT_EQ(bs.active, r->be_active, "backend active flows");
	ok &= ASSERT_EQ(bs.flows, r->be_flows, "backend flows ever");
	ok &= ASSERT_EQ(!!(fe.flags & CT_F_COUNTED), r->be_active > 0,
			"CT_F_COUNTED while the flow is counted");
	return ok;
}

static bool run_row(const struct row *r)
{
	uint64_t drop0[DROP_MAX], drop1[DROP_MAX], st0[ST_MAX], st1[ST_MAX];
	int ifindex = r->via == BACK ? fx.if_back : fx.if_front;
	uint32_t verdict = 0, i;
	struct pkt out = {0};
	char what[96];
	bool ok = true;
	int err;

	/* Nothing from a previous row may be pending. */
	if (!ASSERT_OK(fx_events_poll(&fx), "drain ct_events"))
		return false;
	fx.nevents = 0;
	snapshot(fx.drop_fd, DROP_MAX, drop0);
	snapshot(fx.stats_fd, ST_MAX, st0);

	row_t0 = now_ns();
	switch (r->prog) {
	case P_XDP:
		err = fx_run_xdp(&fx, &r->in, &out, &verdict);
		break;
	case P_SLOW:
		err = fx_run_tc(&fx, fx.prog_slow, ifindex, -1, &r->in, &out,
				&verdict, NULL);
		break;
	default:
		err = fx_run_tc(&fx, fx.prog_tc, ifindex, r->no_iif ? 0 : -1,
				&r->in, &out, &verdict, NULL);
		break;
	}
	row_t1 = now_ns();
	if (!ASSERT_OK(err, "BPF_PROG_TEST_RUN"))
		return false;

	ok &= ASSERT_EQ(verdict, r->verdict, "verdict");
	ok &= ASSERT_PKT_EQ(&out, r->out.len ? &r->out : &r->in,
			    r->out.len ? "output packet"
				       : "output packet (unchanged)");

	snapshot(fx.drop_fd, DROP_MAX, drop1);
	snapshot(fx.stats_fd, ST_MAX, st1);
	for (i = 0; i < DROP_MAX; i++) {
		snprintf(what, sizeof(what), "drop_stats[%s] increment",
			 drop_name[i]);
		ok &= ASSERT_EQ(drop1[i] - drop0[i], r->drop && i == r->drop,
				what);
	}
	for (i = 0; i < ST_MAX; i++) {
		snprintf(what, sizeof(what), "pkt_stats[%s] increment",
			 stat_name[i]);
		ok &= ASSERT_EQ(st1[i] - st0[i], !!(r->stats & BIT(i)), what);
	}
	ok &= check_events(r);
	ok &= check_state(r);
	ok &= check_be(r);
	if (r->check)
		ok &= r->check(r);
	return ok;
}

static bool run_rows(const char *test, const struct row *rows, size_t n)
{
	size_t i;
	bool ok;

	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		snprintf(check_ctx, sizeof(check_ctx), "%s row %zu \"%s\"",
			 test, i + 1, r->what);
		if (r->xfail)
			fprintf(stderr,
				"  row %zu \"%s\" is a known datapath bug: %s\n"
				"  (its failed checks below are expected)\n",
				i + 1, r->what, r->xfail);
		ok = run_row(r);
		if (r->xfail) {
			if (ok) {
				fprintf(stderr,
					"  XPASS row %zu \"%s\": the bug is "
					"fixed, remove its .xfail marker\n",
					i + 1, r->what);
				return false;
			}
			printf("  XFAIL row %zu \"%s\"\n", i + 1, r->what);
			n_xfail++;
			continue;
		}
		if (!ok) {
			fprintf(stderr, "  row %zu \"%s\" failed\n", i + 1,
				r->what);
			return false;
		}
	}
	return true;
}

#define RUN_ROWS(rows) run_rows(__func__, (rows), ARRAY_SIZE(rows))

/* ---- expected conntrack entries ------------------------------------------ */

/*
 * A flow through a NAT-mode service, as each side sees it. ICMP echo: the
 * client's port is the echo identifier, the VIP's and backend's are 0.
 */
struct nat_flow {
	uint16_t svc;
	uint8_t mode;
	uint8_t proto;
	uint16_t be_id;
	struct ep cl;  /* client */
	struct ep vip; /* service */
	struct ep src; /* source the backend sees (client or SNAT) */
	struct ep be;  /* backend */
};

static void describe_entry(const char *tag, const struct ct_v4_entry *e)
{
	fprintf(
	    stderr,
	    "      %s: peer %08x:%u>%08x:%u/%u nat %08x:%u>%08x:%u nh %08x "
	    "vip %08x:%u/%u mode %u dir %u state %u svc %u flags %#x be %u "
	    "owner %u epoch %u created %llu seen %llu pkts %llu bytes %llu\n",
	    tag, ntohl(e->peer.saddr), ntohs(e->peer.sport),
	    ntohl(e->peer.daddr), ntohs(e->peer.dport), e->peer.proto,
	    ntohl(e->nat_saddr), ntohs(e->nat_sport), ntohl(e->nat_daddr),
	    ntohs(e->nat_dport), ntohl(e->nexthop), ntohl(e->vip),
	    ntohs(e->vport), e->vproto, e->mode, e->dir, e->state, e->svc_id,
	    e->flags, e->be_id, e->owner, e->epoch,
	    (unsigned long long)e->created_ns,
	    (unsigned long long)e->last_seen_ns, (unsigned long long)e->packets,
	    (unsigned long long)e->bytes);
}

static bool entry_eq(const struct ct_v4_entry *got,
		     const struct ct_v4_entry *want, const char *what)
{
	if (!ASSERT_MEM_EQ(got, want, sizeof(*got), what)) {
		describe_entry("got ", got);
		describe_entry("want", want);
		return false;
	}
	return true;
}

/* Time fields: set by this row, the same in both halves. */
static bool entry_times(const struct ct_v4_entry *e)
{
	bool ok = true;

	ok &= ASSERT_TRUE(e->created_ns >= row_t0 && e->created_ns <= row_t1,
			  "created_ns during the row");
	ok &= ASSERT_EQ(e->last_seen_ns, e->created_ns,
			"last_seen_ns == created_ns on creation");
	return ok;
}

static struct ct_v4_key key_of(struct ep s, struct ep d, uint8_t proto)
{
	struct ct_v4_key k = {
	    .saddr = s.ip,
	    .daddr = d.ip,
	    .sport = htons(s.port),
	    .dport = htons(d.port),
	    .proto = proto,
	};

	return k;
}

/* Row check: the pair the first packet of a NAT flow created, in full. */
/* The pair of a NAT-mode flow, made here in `state`, the packet of row r
 * counted on the forward half (fwd_in) or the reply half. */
static bool expect_nat_pair(const struct row *r, uint8_t state, bool fwd_in)
{
	const struct nat_flow *fl = r->arg;
	struct ct_v4_key fk = key_of(fl->cl, fl->vip, fl->proto);
	struct ct_v4_key rk = key_of(fl->be, fl->src, fl->proto);
	struct ct_v4_entry fwd, rev, wf = {0}, wr = {0};
	bool ok = true;

	if (fl->proto == IPPROTO_ICMP) {
		/* Reply keyed by the echo identifier, dport 0. */
		rk.sport = htons(fl->src.port);
		rk.dport = 0;
	}
	if (!ASSERT_OK(ct_get(&fk, &fwd), "forward entry") ||
	    !ASSERT_OK(ct_get(&rk, &rev), "reply entry"))
		return false;

	wf.peer = rk;
	wf.nat_saddr = fl->src.ip;
	wf.nat_sport = htons(fl->src.port);
	wf.nat_daddr = fl->be.ip;
	wf.nat_dport = htons(fl->be.port);
	wf.vip = fl->vip.ip;
	wf.vport = htons(fl->vip.port);
	wf.vproto = fl->proto;
	wf.mode = fl->mode;
	wf.dir = CT_DIR_FWD;
	wf.state = state;
	wf.svc_id = fl->svc;
	wf.flags = CT_F_COUNTED;
	wf.be_id = fl->be_id;
	wf.owner = FX_NODE_ID;
	wf.epoch = FX_EPOCH;
	wf.created_ns = fwd.created_ns;
	wf.last_seen_ns = fwd.last_seen_ns;
	wf.packets = fwd_in;
	wf.bytes = fwd_in ? r->in.len : 0;

	wr = wf;
	wr.peer = fk;
	wr.nat_saddr = fl->vip.ip;
	wr.nat_sport = htons(fl->vip.port);
	wr.nat_daddr = fl->cl.ip;
	wr.nat_dport = htons(fl->cl.port);
	wr.dir = CT_DIR_REV;
	wr.flags = 0;
	wr.packets = !fwd_in;
	wr.bytes = fwd_in ? 0 : r->in.len;

	ok &= entry_times(&fwd);
	ok &= entry_eq(&fwd, &wf, "forward entry");
	ok &= entry_eq(&rev, &wr, "reply entry");
	return ok;
}

/* Row check: the pair the first packet of a NAT-mode flow created. */
static bool check_nat_pair(const struct row *r)
{
	const struct nat_flow *fl = r->arg;

	return expect_nat_pair(r, fl->proto == IPPROTO_TCP ? CT_STATE_SYN_SENT
							  : CT_STATE_NEW,
			       true);
}

/* Row check: the single entry the first packet of a DSR flow created. */
static bool check_dsr_entry(const struct row *r)
{
	const struct nat_flow *fl = r->arg;
	struct ct_v4_key fk = key_of(fl->cl, fl->vip, fl->proto);
	struct ct_v4_entry fwd, w = {0};
	bool ok = true;

	if (!ASSERT_OK(ct_get(&fk, &fwd), "DSR entry"))
		return false;
	w.nat_saddr = fl->cl.ip;
	w.nat_sport = htons(fl->cl.port);
	w.nat_daddr = fl->vip.ip;
	w.nat_dport = htons(fl->vip.port);
	w.nexthop = fl->be.ip;
	w.vip = fl->vip.ip;
	w.vport = htons(fl->vip.port);
	w.vproto = fl->proto;
	w.mode = BATON_MODE_DSR;
	w.dir = CT_DIR_FWD;
	w.state =
	    fl->proto == IPPROTO_TCP ? CT_STATE_SYN_SENT : CT_STATE_ESTABLISHED;
	w.svc_id = fl->svc;
	w.flags = CT_F_COUNTED;
	w.be_id = fl->be_id;
	w.owner = FX_NODE_ID;
	w.epoch = FX_EPOCH;
	w.created_ns = fwd.created_ns;
	w.last_seen_ns = fwd.last_seen_ns;
	w.packets = 1;
	w.bytes = r->in.len;
	ok &= entry_times(&fwd);
	ok &= entry_eq(&fwd, &w, "DSR entry");
	return ok;
}

/* Packet and byte counters of both halves after a table: the forward half
 * counts what came in on FRONT, the reply half what came in on BACK. */
static bool check_accounting(const struct nat_flow *fl, const struct row *rows,
			     size_t n)
{
	struct ct_v4_key fk = key_of(fl->cl, fl->vip, fl->proto);
	uint64_t fp = 0, fb = 0, rp = 0, rb = 0;
	struct ct_v4_entry fwd, rev;
	bool ok = true;
	size_t i;

	snprintf(check_ctx, sizeof(check_ctx), "packet/byte counters");
	for (i = 0; i < n; i++) {
		if (rows[i].verdict != TC_ACT_REDIRECT)
			continue;
		if (rows[i].via == FRONT) {
			fp++;
			fb += rows[i].in.len;
		} else {
			rp++;
			rb += rows[i].in.len;
		}
	}
	if (!ASSERT_OK(ct_get(&fk, &fwd), "forward entry"))
		return false;
	ok &= ASSERT_EQ(fwd.packets, fp, "forward packets");
	ok &= ASSERT_EQ(fwd.bytes, fb, "forward bytes");
	if (fl->mode == BATON_MODE_DSR)
		return ok;
	if (!ASSERT_OK(ct_get(&fwd.peer, &rev), "reply entry"))
		return false;
	ok &= ASSERT_EQ(rev.packets, rp, "reply packets");
	ok &= ASSERT_EQ(rev.bytes, rb, "reply bytes");
	return ok;
}

/* A client port >= from whose flow Maglev sends to backend id want. */
static uint16_t port_for(uint16_t svc, const char *vip, uint16_t vport,
			 uint8_t proto, int want, uint16_t from)
{
	uint16_t p;

	for (p = from; p < 65535; p++)
		if (fx_maglev_pick(&fx, svc, fx_ip(FX_CLIENT), fx_ip(vip), p,
				   vport, proto) == want)
			return p;
	abort();
}

static struct nat_flow nat_flow(uint16_t svc, uint16_t cport, int be_id)
{
	const struct fx_service *s = &services[svc];
	struct nat_flow fl = {
	    .svc = svc,
	    .mode = s->mode,
	    .proto = s->proto,
	    .cl = ep(FX_CLIENT, cport),
	    .vip = ep(s->vip, s->port),
	};

	if (be_id < 0)
		be_id = fx_maglev_pick(&fx, svc, fl.cl.ip, fl.vip.ip, cport,
				       s->port, s->proto);
	fl.be_id = (uint16_t)be_id;
	fl.be = ep(s->be[be_id].addr, s->be[be_id].port);
	fl.src = fl.cl;
	if (s->mode == BATON_MODE_FULLNAT)
		fl.src =
		    ep(FX_SNAT, s->proto == IPPROTO_ICMP
				    ? cport
				    : fx_snat_port(fl.cl.ip, fl.vip.ip, cport,
						   s->port, s->proto, 0));
	return fl;
}

/* ---- TCP lifecycle, shared by DNAT and fullNAT -------------------------- */

/*
 * Fill r[] with a TCP connection through a NAT-mode flow: handshake, data
 * both ways, FIN/FIN/ACK, the tuple reused by a new connection, RST.
 * Returns the number of rows.
 */
static size_t tcp_nat_lifecycle(const struct nat_flow *fl, struct row *r)
{
	struct hop tb = h_to_be(fl->be.ip), fb = h_from_be(fl->be.ip);
	size_t n = 0;

#define C2V(fl_, s_, a_, l_) tcp(H_CLIENT, fl->cl, fl->vip, fl_, s_, a_, l_)
#define L2B(fl_, s_, a_, l_) tcp(tb, fl->src, fl->be, fl_, s_, a_, l_)
#define B2L(fl_, s_, a_, l_) tcp(fb, fl->be, fl->src, fl_, s_, a_, l_)
#define L2C(fl_, s_, a_, l_) tcp(H_TO_CLIENT, fl->vip, fl->cl, fl_, s_, a_, l_)
	r[n++] = (struct row){
	    "client SYN to the VIP creates the pair and goes to the backend",
	    .in = C2V(SYN, 1000, 0, 0),
	    .verdict = TC_ACT_REDIRECT,
	    .out = L2B(SYN, 1000, 0, 0),
	    .stats = S_NEW,
	    .state = CT_STATE_SYN_SENT,
	    .be_check = true,
	    .be_active = 1,
	    .be_flows = 1,
	    .check = check_nat_pair,
	    .arg = fl};
	r[n++] =
	    (struct row){"retransmitted SYN follows the entry, same backend",
			 .in = C2V(SYN, 1000, 0, 0),
			 .verdict = TC_ACT_REDIRECT,
			 .out = L2B(SYN, 1000, 0, 0),
			 .stats = S_HIT,
			 .state = CT_STATE_SYN_SENT};
	r[n++] = (struct row){"backend SYN-ACK is de-NATed to the client",
			      .via = BACK,
			      .in = B2L(SYN | ACK, 5000, 1001, 0),
			      .verdict = TC_ACT_REDIRECT,
			      .out = L2C(SYN | ACK, 5000, 1001, 0),
			      .stats = S_HIT,
			      .state = CT_STATE_SYN_RECV,
			      .event = CT_EV_STATE};
	r[n++] = (struct row){
	    "client ACK establishes both halves and emits ESTABLISHED",
	    .in = C2V(ACK, 1001, 5001, 0),
	    .verdict = TC_ACT_REDIRECT,
	    .out = L2B(ACK, 1001, 5001, 0),
	    .stats = S_HIT,
	    .state = CT_STATE_ESTABLISHED,
	    .event = CT_EV_ESTABLISHED};
	r[n++] = (struct row){"client data is translated, no state change",
			      .in = C2V(PSH | ACK, 1001, 5001, 100),
			      .verdict = TC_ACT_REDIRECT,
			      .out = L2B(PSH | ACK, 1001, 5001, 100),
			      .stats = S_HIT,
			      .state = CT_STATE_ESTABLISHED};
	r[n++] = (struct row){"backend data is de-NATed, no state change",
			      .via = BACK,
			      .in = B2L(PSH | ACK, 5001, 1101, 300),
			      .verdict = TC_ACT_REDIRECT,
			      .out = L2C(PSH | ACK, 5001, 1101, 300),
			      .stats = S_HIT,
			      .state = CT_STATE_ESTABLISHED};
	r[n++] = (struct row){"client FIN: FIN_WAIT",
			      .in = C2V(FIN | ACK, 1101, 5301, 0),
			      .verdict = TC_ACT_REDIRECT,
			      .out = L2B(FIN | ACK, 1101, 5301, 0),
			      .stats = S_HIT,
			      .state = CT_STATE_FIN_WAIT,
			      .event = CT_EV_STATE};
	r[n++] = (struct row){"backend FIN: CLOSE_WAIT",
			      .via = BACK,
			      .in = B2L(FIN | ACK, 5301, 1102, 0),
			      .verdict = TC_ACT_REDIRECT,
			      .out = L2C(FIN | ACK, 5301, 1102, 0),
			      .stats = S_HIT,
			      .state = CT_STATE_CLOSE_WAIT,
			      .event = CT_EV_STATE};
	r[n++] = (struct row){
	    "client's last ACK: TIME_WAIT, flow leaves the backend count",
	    .in = C2V(ACK, 1102, 5302, 0),
	    .verdict = TC_ACT_REDIRECT,
	    .out = L2B(ACK, 1102, 5302, 0),
	    .stats = S_HIT,
	    .state = CT_STATE_TIME_WAIT,
	    .event = CT_EV_STATE,
	    .be_check = true,
	    .be_active = 0,
	    .be_flows = 1};
	r[n++] = (struct row){
	    "new SYN reusing the tuple: SYN_SENT, same backend, counted again",
	    .in = C2V(SYN, 90000, 0, 0),
	    .verdict = TC_ACT_REDIRECT,
	    .out = L2B(SYN, 90000, 0, 0),
	    .stats = S_HIT,
	    .state = CT_STATE_SYN_SENT,
	    .event = CT_EV_STATE,
	    .be_check = true,
	    .be_active = 1,
	    .be_flows = 2};
	r[n++] = (struct row){"backend RST: CLOSED, CT_EV_CLOSED, uncounted",
			      .via = BACK,
			      .in = B2L(RST | ACK, 0, 90001, 0),
			      .verdict = TC_ACT_REDIRECT,
			      .out = L2C(RST | ACK, 0, 90001, 0),
			      .stats = S_HIT,
			      .state = CT_STATE_CLOSED,
			      .event = CT_EV_CLOSED,
			      .be_check = true,
			      .be_active = 0,
			      .be_flows = 2};
	r[n++] = (struct row){
	    "data after the RST: the endpoints ignored it, so ESTABLISHED "
	    "again and counted again",
	    .in = C2V(ACK, 90001, 90001, 0),
	    .verdict = TC_ACT_REDIRECT,
	    .out = L2B(ACK, 90001, 90001, 0),
	    .stats = S_HIT,
	    .state = CT_STATE_ESTABLISHED,
	    .event = CT_EV_ESTABLISHED,
	    .be_check = true,
	    .be_active = 1,
	    .be_flows = 3};
	r[n++] = (struct row){
	    "bare SYN on the ESTABLISHED tuple (a close this node never saw): "
	    "state kept, but CT_EV_STATE so the peers hold the flow again",
	    .in = C2V(SYN, 120000, 0, 0),
	    .verdict = TC_ACT_REDIRECT,
	    .out = L2B(SYN, 120000, 0, 0),
	    .stats = S_HIT,
	    .state = CT_STATE_ESTABLISHED,
	    .event = CT_EV_STATE,
	    .be_check = true,
	    .be_active = 1,
	    .be_flows = 3};
#undef C2V
#undef L2B
#undef B2L
#undef L2C
	return n;
}

/* ---- tests --------------------------------------------------------------- */

static bool test_dnat_tcp_lifecycle(void)
{
	struct nat_flow fl = nat_flow(SVC_TCP, 40000, -1);
	struct row rows[16];
	size_t n = tcp_nat_lifecycle(&fl, rows);

	return run_rows(__func__, rows, n) && check_accounting(&fl, rows, n);
}

static bool test_fullnat_tcp_lifecycle(void)
{
	/* Least connections over idle backends: the first, id 0. */
	struct nat_flow fl = nat_flow(SVC_FN_TCP, 40000, 0);
	struct row rows[16];
	size_t n = tcp_nat_lifecycle(&fl, rows);

	return run_rows(__func__, rows, n) && check_accounting(&fl, rows, n);
}

static bool test_maglev_choice_matches_user_space(void)
{
	struct row rows[16];
	struct nat_flow fl[16];
	uint16_t port = 30000;
	size_t i;

	/* Half the flows to each backend, by the user-space prediction: a
	 * hash or table mismatch sends some to the other one. */
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		port = port_for(SVC_TCP, VIP_NAT, 80, IPPROTO_TCP, (int)(i & 1),
				(uint16_t)(port + 1));
		fl[i] = nat_flow(SVC_TCP, port, -1);
		rows[i] = (struct row){
		    "SYN goes to the backend Maglev predicts",
		    .in = tcp(H_CLIENT, fl[i].cl, fl[i].vip, SYN, i, 0, 0),
		    .verdict = TC_ACT_REDIRECT,
		    .out = tcp(h_to_be(fl[i].be.ip), fl[i].src, fl[i].be, SYN,
			       i, 0, 0),
		    .stats = S_NEW,
		    .state = CT_STATE_SYN_SENT,
		    .check = check_nat_pair,
		    .arg = &fl[i]};
	}
	return RUN_ROWS(rows);
}

/*
 * Two nodes never hand out the same fullNAT reply tuple: each takes every
 * snat_slots-th source port from its own slot (each knows only the ports
 * the other has synced, which a TIME_WAIT or half-open flow never is for
 * long). Here this node is slot 2 of 3.
 */
static bool test_fullnat_ports_from_this_nodes_share(void)
{
	struct nat_flow fl[6];
	struct row rows[6];
	bool ok = true;
	int i;

	if (!ASSERT_OK(fx_set_snat_share(&fx, 2, 3), "snat share 2 of 3"))
		return false;
	for (i = 0; i < 6; i++) {
		fl[i] = nat_flow(SVC_FN_UDP, (uint16_t)(43000 + i), -1);
		ok &= ASSERT_EQ((fl[i].src.port - BATON_SNAT_PORT_MIN) % 3,
				2, "expected port in slot 2 of 3");
		rows[i] = (struct row){
		    "UDP to the fullNAT VIP: a source port of this node's share",
		    .in = udp(H_CLIENT, fl[i].cl, fl[i].vip, 1, 10),
		    .verdict = TC_ACT_REDIRECT,
		    .out = udp(h_to_be(fl[i].be.ip), fl[i].src, fl[i].be, 1,
			       10),
		    .stats = S_NEW,
		    .state = CT_STATE_NEW,
		    .check = check_nat_pair,
		    .arg = &fl[i]};
	}
	ok &= RUN_ROWS(rows);
	ok &= ASSERT_OK(fx_set_snat_share(&fx, 0, 1), "snat share back to 1");
	return ok;
}

static bool test_fullnat_least_connections(void)
{
	struct nat_flow a = nat_flow(SVC_FN_TCP, 42000, 0);
	struct nat_flow b = nat_flow(SVC_FN_TCP, 42001, 1);
	struct nat_flow c = nat_flow(SVC_FN_TCP, 42002, 0);
	struct nat_flow d = nat_flow(SVC_FN_TCP, 42003, 1);
#define SYN_ROW(what_, f_)                                                     \
	{                                                                      \
		what_, .in = tcp(H_CLIENT, (f_).cl, (f_).vip, SYN, 7, 0, 0),   \
		       .verdict = TC_ACT_REDIRECT,                             \
		       .out = tcp(h_to_be((f_).be.ip), (f_).src, (f_).be, SYN, \
				  7, 0, 0),                                    \
		       .stats = S_NEW, .state = CT_STATE_SYN_SENT,             \
		       .check = check_nat_pair, .arg = &(f_)                   \
	}
	struct row rows[] = {
	    SYN_ROW("idle backends: the first one", a),
	    SYN_ROW("one flow on be1: be2", b),
	    SYN_ROW("one flow each: the first one again", c),
	    {"client RST closes flow b and frees be2",
	     .in = tcp(H_CLIENT, b.cl, b.vip, RST, 8, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(h_to_be(b.be.ip), b.src, b.be, RST, 8, 0, 0),
	     .stats = S_HIT, .state = CT_STATE_CLOSED, .event = CT_EV_CLOSED,
	     .be_check = true, .be_active = 0, .be_flows = 1},
	    SYN_ROW("be1 has two, be2 none: be2", d),
	};
#undef SYN_ROW
	return RUN_ROWS(rows);
}

static bool test_wrr_follows_schedule(void)
{
	const struct lb_v4_table *t = fx.tables[SVC_WRR];
	struct nat_flow fl[6];
	struct row rows[6];
	size_t i;

	if (!ASSERT_EQ(t->sched_len, 3, "wrr schedule for weights 2:1"))
		return false;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		fl[i] = nat_flow(SVC_WRR, (uint16_t)(43000 + i),
				 t->sched[i % t->sched_len]);
		rows[i] = (struct row){
		    "SYN goes to the next backend of the WRR schedule",
		    .in = tcp(H_CLIENT, fl[i].cl, fl[i].vip, SYN, 1, 0, 0),
		    .verdict = TC_ACT_REDIRECT,
		    .out = tcp(h_to_be(fl[i].be.ip), fl[i].src, fl[i].be, SYN,
			       1, 0, 0),
		    .stats = S_NEW,
		    .state = CT_STATE_SYN_SENT,
		    .check = check_nat_pair,
		    .arg = &fl[i]};
	}
	return RUN_ROWS(rows);
}

static bool test_dsr_tcp_lifecycle(void)
{
	struct nat_flow fl = nat_flow(SVC_DSR_TCP, 40000, -1);
	struct hop d = h_dsr(fl.be.ip);

	/* DSR: the packet keeps its addresses and TTL; only the MACs change,
	 * towards the backend's. The LB never sees the backend's packets. */
#define C2V(fl_, s_, a_, l_) tcp(H_CLIENT, fl.cl, fl.vip, fl_, s_, a_, l_)
#define L2B(fl_, s_, a_, l_) tcp(d, fl.cl, fl.vip, fl_, s_, a_, l_)
	struct row rows[] = {
	    {"client SYN creates one entry, MAC rewritten to the backend",
	     .in = C2V(SYN, 1000, 0, 0), .verdict = TC_ACT_REDIRECT,
	     .out = L2B(SYN, 1000, 0, 0), .stats = S_NEW,
	     .state = CT_STATE_SYN_SENT, .be_check = true, .be_active = 1,
	     .be_flows = 1, .check = check_dsr_entry, .arg = &fl},
	    {"client ACK establishes (DSR sees one direction)",
	     .in = C2V(ACK, 1001, 5001, 0), .verdict = TC_ACT_REDIRECT,
	     .out = L2B(ACK, 1001, 5001, 0), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED, .event = CT_EV_ESTABLISHED},
	    {"client data: MACs only, TTL and checksums untouched",
	     .in = C2V(PSH | ACK, 1001, 5001, 200), .verdict = TC_ACT_REDIRECT,
	     .out = L2B(PSH | ACK, 1001, 5001, 200), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED},
	    {"client FIN: FIN_WAIT", .in = C2V(FIN | ACK, 1201, 5001, 0),
	     .verdict = TC_ACT_REDIRECT, .out = L2B(FIN | ACK, 1201, 5001, 0),
	     .stats = S_HIT, .state = CT_STATE_FIN_WAIT, .event = CT_EV_STATE},
	    {"client's last ACK (backend FIN unseen): still FIN_WAIT",
	     .in = C2V(ACK, 1202, 5002, 0), .verdict = TC_ACT_REDIRECT,
	     .out = L2B(ACK, 1202, 5002, 0), .stats = S_HIT,
	     .state = CT_STATE_FIN_WAIT},
	    {"new SYN reusing the tuple after FIN: SYN_SENT again",
	     .in = C2V(SYN, 70000, 0, 0), .verdict = TC_ACT_REDIRECT,
	     .out = L2B(SYN, 70000, 0, 0), .stats = S_HIT,
	     .state = CT_STATE_SYN_SENT, .event = CT_EV_STATE, .be_check = true,
	     .be_active = 1, .be_flows = 1},
	    {"client RST: CLOSED, uncounted", .in = C2V(RST, 70001, 0, 0),
	     .verdict = TC_ACT_REDIRECT, .out = L2B(RST, 70001, 0, 0),
	     .stats = S_HIT, .state = CT_STATE_CLOSED, .event = CT_EV_CLOSED,
	     .be_check = true, .be_active = 0, .be_flows = 1},
	    {"SYN after RST reuses the tuple: SYN_SENT, same backend",
	     .in = C2V(SYN, 80000, 0, 0), .verdict = TC_ACT_REDIRECT,
	     .out = L2B(SYN, 80000, 0, 0), .stats = S_HIT,
	     .state = CT_STATE_SYN_SENT, .event = CT_EV_STATE, .be_check = true,
	     .be_active = 1, .be_flows = 2},
	    {"client ACK establishes the new connection",
	     .in = C2V(ACK, 80001, 9001, 0), .verdict = TC_ACT_REDIRECT,
	     .out = L2B(ACK, 80001, 9001, 0), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED, .event = CT_EV_ESTABLISHED},
	};
#undef C2V
#undef L2B
	return RUN_ROWS(rows) && check_accounting(&fl, rows, ARRAY_SIZE(rows));
}

static bool test_dsr_udp_established_at_once(void)
{
	struct nat_flow fl = nat_flow(SVC_DSR_UDP, 41000, -1);
	struct hop d = h_dsr(fl.be.ip);
	struct row rows[] = {
	    {"first datagram: entry ESTABLISHED at once, event emitted",
	     .in = udp(H_CLIENT, fl.cl, fl.vip, 1, 40),
	     .verdict = TC_ACT_REDIRECT, .out = udp(d, fl.cl, fl.vip, 1, 40),
	     .stats = S_NEW, .state = CT_STATE_ESTABLISHED,
	     .event = CT_EV_ESTABLISHED, .check = check_dsr_entry, .arg = &fl},
	    {"next datagram: same backend, no event",
	     .in = udp(H_CLIENT, fl.cl, fl.vip, 2, 60),
	     .verdict = TC_ACT_REDIRECT, .out = udp(d, fl.cl, fl.vip, 2, 60),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED},
	};

	return RUN_ROWS(rows);
}

static bool udp_request_reply(const char *test, const struct nat_flow *fl)
{
	struct hop tb = h_to_be(fl->be.ip), fb = h_from_be(fl->be.ip);
	struct row rows[] = {
	    {"request creates the pair (NEW) and goes to the backend",
	     .in = udp(H_CLIENT, fl->cl, fl->vip, 1, 32),
	     .verdict = TC_ACT_REDIRECT, .out = udp(tb, fl->src, fl->be, 1, 32),
	     .stats = S_NEW, .state = CT_STATE_NEW, .be_check = true,
	     .be_active = 1, .be_flows = 1, .check = check_nat_pair, .arg = fl},
	    {"second request before any reply: still NEW, no event",
	     .in = udp(H_CLIENT, fl->cl, fl->vip, 2, 33),
	     .verdict = TC_ACT_REDIRECT, .out = udp(tb, fl->src, fl->be, 2, 33),
	     .stats = S_HIT, .state = CT_STATE_NEW},
	    {"reply is de-NATed and establishes the pair", .via = BACK,
	     .in = udp(fb, fl->be, fl->src, 3, 64), .verdict = TC_ACT_REDIRECT,
	     .out = udp(H_TO_CLIENT, fl->vip, fl->cl, 3, 64), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED, .event = CT_EV_ESTABLISHED},
	    {"later request: ESTABLISHED, no event",
	     .in = udp(H_CLIENT, fl->cl, fl->vip, 4, 1),
	     .verdict = TC_ACT_REDIRECT, .out = udp(tb, fl->src, fl->be, 4, 1),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED},
	    {"later reply: ESTABLISHED, no event", .via = BACK,
	     .in = udp(fb, fl->be, fl->src, 5, 0), .verdict = TC_ACT_REDIRECT,
	     .out = udp(H_TO_CLIENT, fl->vip, fl->cl, 5, 0), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED},
	};

	return run_rows(test, rows, ARRAY_SIZE(rows)) &&
	       check_accounting(fl, rows, ARRAY_SIZE(rows));
}

static bool test_dnat_udp_request_reply(void)
{
	struct nat_flow fl = nat_flow(SVC_UDP, 41000, -1);

	return udp_request_reply(__func__, &fl);
}

static bool test_fullnat_udp_request_reply(void)
{
	struct nat_flow fl = nat_flow(SVC_FN_UDP, 41000, -1);

	return udp_request_reply(__func__, &fl);
}

/*
 * UDP checksum 0 means "none" and must stay 0 through NAT; a real checksum
 * that becomes 0 after NAT must be sent as 0xffff (RFC 768).
 */
static bool test_udp_zero_checksum_stays_zero(void)
{
	struct nat_flow fl = nat_flow(SVC_UDP, 41001, -1);
	struct nat_flow f2 = nat_flow(SVC_UDP, 41002, -1);
	struct hop tb = h_to_be(fl.be.ip), fb = h_from_be(fl.be.ip);
	struct hop tb2 = h_to_be(f2.be.ip);
	struct pkt probe;
	uint16_t tail, sum;

	/* Choose the last payload word so that the translated datagram's
	 * full sum is 0xffff: its checksum computes to 0. */
	probe = udp_spec(tb2, f2.src, f2.be, 9, 20, false, 0);
	{
		size_t l4 = pkt_l4_off(&probe);
		uint16_t last = rd16(probe.data + l4 + 8 + 18);

		sum = pkt_l4_sum(&probe);
		/* sum' = sum - last + tail == 0xffff (ones' complement) */
		tail = (uint16_t)~pkt_csum_fold(
		    (uint8_t[]){0, 0}, 2, (uint32_t)sum + (uint16_t)~last);
		if (!tail)
			tail = 0xffff;
	}
	struct pkt ffff_out = udp_spec(tb2, f2.src, f2.be, 9, 20, false, tail);
	{
		size_t l4 = pkt_l4_off(&ffff_out);

		if (!ASSERT_EQ(rd16(ffff_out.data + l4 + 6), 0xffff,
			       "crafted datagram's checksum computes to 0"))
			return false;
	}
	struct row rows[] = {
	    {"request without checksum: still 0 after DNAT",
	     .in = udp_spec(H_CLIENT, fl.cl, fl.vip, 1, 32, true, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = udp_spec(tb, fl.src, fl.be, 1, 32, true, 0), .stats = S_NEW,
	     .state = CT_STATE_NEW},
	    {"reply without checksum: still 0 after de-NAT", .via = BACK,
	     .in = udp_spec(fb, fl.be, fl.src, 2, 48, true, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = udp_spec(H_TO_CLIENT, fl.vip, fl.cl, 2, 48, true, 0),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED,
	     .event = CT_EV_ESTABLISHED},
	    {"checksum that becomes 0 by NAT is sent as 0xffff",
	     .in = udp_spec(H_CLIENT, f2.cl, f2.vip, 9, 20, false, tail),
	     .verdict = TC_ACT_REDIRECT, .out = ffff_out, .stats = S_NEW,
	     .state = CT_STATE_NEW},
	};

	return RUN_ROWS(rows);
}

static bool test_dnat_icmp_echo(void)
{
	/* ICMP: the identifier plays the client port; backends have no
	 * port. */
	struct nat_flow fl = nat_flow(SVC_ICMP, 0x1234, -1);
	struct hop tb = h_to_be(fl.be.ip), fb = h_from_be(fl.be.ip);
	uint32_t cl = fl.cl.ip, vip = fl.vip.ip, be = fl.be.ip;
	struct row rows[] = {
	    {"echo request creates the pair and goes to the backend",
	     .in = icmp(H_CLIENT, cl, vip, ICMP_ECHO, 0x1234, 1),
	     .verdict = TC_ACT_REDIRECT,
	     .out = icmp(tb, cl, be, ICMP_ECHO, 0x1234, 1), .stats = S_NEW,
	     .state = CT_STATE_NEW, .be_check = true, .be_active = 1,
	     .be_flows = 1, .check = check_nat_pair, .arg = &fl},
	    {"echo reply is de-NATed and establishes the pair", .via = BACK,
	     .in = icmp(fb, be, cl, ICMP_ECHOREPLY, 0x1234, 1),
	     .verdict = TC_ACT_REDIRECT,
	     .out = icmp(H_TO_CLIENT, vip, cl, ICMP_ECHOREPLY, 0x1234, 1),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED,
	     .event = CT_EV_ESTABLISHED},
	    {"next echo request: same backend, no event",
	     .in = icmp(H_CLIENT, cl, vip, ICMP_ECHO, 0x1234, 2),
	     .verdict = TC_ACT_REDIRECT,
	     .out = icmp(tb, cl, be, ICMP_ECHO, 0x1234, 2), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED},
	    {"next echo reply: no event", .via = BACK,
	     .in = icmp(fb, be, cl, ICMP_ECHOREPLY, 0x1234, 2),
	     .verdict = TC_ACT_REDIRECT,
	     .out = icmp(H_TO_CLIENT, vip, cl, ICMP_ECHOREPLY, 0x1234, 2),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED},
	};

	return RUN_ROWS(rows) && check_accounting(&fl, rows, ARRAY_SIZE(rows));
}

static bool test_icmp_other_than_echo_request(void)
{
	uint32_t cl = fx_ip(FX_CLIENT), vip = fx_ip(VIP_NAT);
	struct pkt unreach = icmp(H_CLIENT, cl, vip, ICMP_DEST_UNREACH, 0, 0);
	struct row rows[] = {
	    {"echo reply to the VIP without conntrack: DROP_ICMP_TYPE",
	     .in = icmp(H_CLIENT, cl, vip, ICMP_ECHOREPLY, 0x4321, 1),
	     .verdict = TC_ACT_SHOT, .drop = DROP_ICMP_TYPE,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	    /* Not tracked at all (no identifier): the fast path hands it
	     * to the stack before any service lookup. See the report:
	     * the DROP_ICMP_TYPE comment says "other than echo
	     * request". */
	    {"destination unreachable to the VIP: handed to the stack",
	     .in = unreach, .verdict = TC_ACT_OK, .stats = S_PASS},
	};

	return RUN_ROWS(rows);
}

static bool test_traffic_not_for_a_vip_passes_unchanged(void)
{
	struct ep cl = ep(FX_CLIENT, 45000);
	struct pkt_spec arp = {.dmac =
				   (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
			       .smac = fx_mac_client,
			       .ethertype = 0x0806,
			       .payload_len = 28};
	struct pkt_spec v6 = {.dmac = fx_mac_front,
			      .smac = fx_mac_client,
			      .ethertype = 0x86dd,
			      .payload_len = 60};
	struct pkt_spec gre = {.dmac = fx_mac_front,
			       .smac = fx_mac_client,
			       .saddr = fx_ip(FX_CLIENT),
			       .daddr = fx_ip(VIP_NAT),
			       .proto = 47,
			       .ttl = 64,
			       .payload_len = 24};
	struct row rows[] = {
	    {"TCP to the LB's own address",
	     .in = tcp(H_CLIENT, cl, ep(FX_FRONT, 22), SYN, 1, 0, 0),
	     .verdict = TC_ACT_OK, .stats = S_PASS, .state = CT_ABSENT},
	    {"TCP to the VIP on a port without a service",
	     .in = tcp(H_CLIENT, cl, ep(VIP_NAT, 443), SYN, 1, 0, 0),
	     .verdict = TC_ACT_OK, .stats = S_PASS, .state = CT_ABSENT},
	    {"UDP to the VIP on a port without a service",
	     .in = udp(H_CLIENT, cl, ep(VIP_NAT, 54), 1, 10),
	     .verdict = TC_ACT_OK, .stats = S_PASS, .state = CT_ABSENT},
	    {"TCP ACK to another host",
	     .in = tcp(H_CLIENT, cl, ep("10.0.0.50", 80), ACK, 1, 1, 10),
	     .verdict = TC_ACT_OK, .stats = S_PASS, .state = CT_ABSENT},
	    {"echo request to a VIP without an ICMP service",
	     .in = icmp(H_CLIENT, cl.ip, fx_ip(VIP_FN), ICMP_ECHO, 5, 1),
	     .verdict = TC_ACT_OK, .stats = S_PASS, .state = CT_ABSENT},
	    {"GRE to the VIP (untracked protocol)", .in = mk(&gre),
	     .verdict = TC_ACT_OK, .stats = S_PASS},
	    {"ARP", .in = mk(&arp), .verdict = TC_ACT_OK, .stats = S_PASS},
	    {"IPv6", .in = mk(&v6), .verdict = TC_ACT_OK, .stats = S_PASS},
	    /* flooded unicast for another host (the peer whose link went
	     * down): not balanced, however much it looks like a service's */
	    {"SYN to a VIP, for another host's MAC",
	     .in = tcp(H_OTHERHOST, cl, ep(VIP_NAT, 80), SYN, 1, 0, 0),
	     .verdict = TC_ACT_OK, .stats = S_OTHERHOST, .state = CT_ABSENT},
	    {"UDP to a VIP, for another host's MAC",
	     .in = udp(H_OTHERHOST, cl, ep(VIP_NAT, 53), 1, 10),
	     .verdict = TC_ACT_OK, .stats = S_OTHERHOST, .state = CT_ABSENT},
	    /* The fullNAT source address below the ports fullNAT hands out
	     * is the node's own: the stack answers. */
	    {"TCP to the fullNAT source address below its port range",
	     .in = tcp(h_from_be(fx_ip(FX_BE1)), ep(FX_BE1, 8080),
		       ep(FX_SNAT, BATON_SNAT_PORT_MIN - 1), ACK, 1, 1, 10),
	     .via = BACK, .verdict = TC_ACT_OK, .stats = S_PASS, .state = CT_ABSENT},
	};

	return RUN_ROWS(rows) &&
	       ASSERT_EQ(fx_ct_count(&fx), 0, "no conntrack entry created");
}

/*
 * A reply to the fullNAT source address that no conntrack entry knows - a
 * flow made on a peer whose sync has not arrived yet, after a failover - is
 * dropped and counted: passed on, the stack would answer with a RST and
 * kill a connection the sync is about to make whole.
 */
static bool test_fullnat_reply_without_conntrack_is_dropped(void)
{
	struct row rows[] = {
	    {"TCP from a backend to the fullNAT source address",
	     .in = tcp(h_from_be(fx_ip(FX_BE1)), ep(FX_BE1, 8080),
		       ep(FX_SNAT, 40000), ACK, 1, 1, 10),
	     .via = BACK, .verdict = TC_ACT_SHOT, .drop = DROP_SNAT_NO_CT, .stats = S_DROP,
	     .state = CT_ABSENT},
	    {"UDP to the fullNAT source address, lowest port fullNAT uses",
	     .in = udp(h_from_be(fx_ip(FX_BE2)), ep(FX_BE2, 5353),
		       ep(FX_SNAT, BATON_SNAT_PORT_MIN), 1, 10),
	     .via = BACK, .verdict = TC_ACT_SHOT, .drop = DROP_SNAT_NO_CT, .stats = S_DROP,
	     .state = CT_ABSENT},
	};

	return RUN_ROWS(rows) &&
	       ASSERT_EQ(fx_ct_count(&fx), 0, "no conntrack entry created");
}

/* ---- asymmetric return path (BATON_CFG_F_ASYM) --------------------------- */

static bool set_cfg_flags(uint32_t flags)
{
	struct baton_cfg c;
	__u32 zero = 0;

	return ASSERT_OK(bpf_map_lookup_elem(fx.cfg_fd, &zero, &c) ? -errno : 0,
			 "read baton_cfg") &&
	       (c.flags = flags, true) &&
	       ASSERT_OK(bpf_map_update_elem(fx.cfg_fd, &zero, &c, 0) ? -errno
								     : 0,
			 "write baton_cfg");
}

/* rnat_v4_map: backend endpoint -> service, as batond writes it. */
static bool set_rnat(struct ep be, uint8_t proto, struct ep vip,
		     uint16_t svc, uint16_t be_id, uint8_t services)
{
	struct nat_v4_key k = {be.ip, htons(be.port), proto, 0};
	struct rnat_v4_val v = {vip.ip, htons(vip.port), svc, be_id, services,
				0};

	return ASSERT_OK(bpf_map_update_elem(fx.rnat_fd, &k, &v, 0) ? -errno
								    : 0,
			 "write rnat_v4_map");
}

static bool clear_rnat(void)
{
	struct nat_v4_key k;

	while (!bpf_map_get_next_key(fx.rnat_fd, NULL, &k))
		if (!ASSERT_OK(bpf_map_delete_elem(fx.rnat_fd, &k) ? -errno : 0,
			       "clear rnat_v4_map"))
			return false;
	return true;
}

static struct ep ep_port(struct ep e, uint16_t port)
{
	e.port = port;
	return e;
}

/* Row check: the pair a backend's SYN-ACK made on the reply node. */
static bool check_rnat_pair(const struct row *r)
{
	return expect_nat_pair(r, CT_STATE_SYN_RECV, false);
}

/*
 * The node that carries the client's packets sees no SYN-ACK: the client's
 * ACK establishes the flow (so that it replicates), and a UDP flow is
 * established by its first datagram. Without the flag, a DNAT flow waits
 * for the reply as before.
 */
static bool test_asym_forward_node_establishes_one_way(void)
{
	struct nat_flow fl = nat_flow(SVC_TCP, 42000, -1);
	struct nat_flow fu = nat_flow(SVC_UDP, 42000, -1);
	struct nat_flow fs = nat_flow(SVC_TCP, 42001, -1);
	struct hop tb = h_to_be(fl.be.ip);
	struct hop tu = h_to_be(fu.be.ip);
	struct hop ts = h_to_be(fs.be.ip);
	struct row asym[] = {
	    {"client SYN: SYN_SENT, nothing to replicate yet",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, SYN, 1000, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, SYN, 1000, 0, 0), .stats = S_NEW,
	     .state = CT_STATE_SYN_SENT, .check = check_nat_pair, .arg = &fl},
	    {"client ACK, its SYN-ACK went through another node: established",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, ACK, 1001, 5001, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, ACK, 1001, 5001, 0),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED,
	     .event = CT_EV_ESTABLISHED},
	    {"first UDP datagram: established at once, event emitted",
	     .in = udp(H_CLIENT, fu.cl, fu.vip, 1, 40),
	     .verdict = TC_ACT_REDIRECT, .out = udp(tu, fu.src, fu.be, 1, 40),
	     .stats = S_NEW, .state = CT_STATE_ESTABLISHED,
	     .event = CT_EV_ESTABLISHED},
	};
	struct row sym[] = {
	    {"flag off: client SYN", .in = tcp(H_CLIENT, fs.cl, fs.vip, SYN,
					       2000, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(ts, fs.src, fs.be, SYN, 2000, 0, 0), .stats = S_NEW,
	     .state = CT_STATE_SYN_SENT},
	    {"flag off: an ACK without the SYN-ACK does not establish",
	     .in = tcp(H_CLIENT, fs.cl, fs.vip, ACK, 2001, 6001, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(ts, fs.src, fs.be, ACK, 2001, 6001, 0),
	     .stats = S_HIT, .state = CT_STATE_SYN_SENT},
	};
	bool ok;

	ok = set_cfg_flags(BATON_CFG_F_ASYM) && RUN_ROWS(asym);
	return set_cfg_flags(0) && ok && RUN_ROWS(sym);
}

/*
 * The node a backend's reply lands on without the entry (made on another
 * node a moment ago): de-NATed through rnat_v4_map; a SYN-ACK also makes
 * the pair, which replicates from here. What the map cannot tell, and
 * traffic for the node itself, are left alone.
 */
static bool test_asym_reply_node_denats_without_conntrack(void)
{
	struct nat_flow fl = nat_flow(SVC_TCP, 43000, -1);
	struct hop tb = h_to_be(fl.be.ip), fb = h_from_be(fl.be.ip);
	uint16_t be2 = (uint16_t)!fl.be_id;
	struct ep shared = ep(services[SVC_TCP].be[be2].addr,
			      services[SVC_TCP].be[be2].port);
	struct ep me = ep(FX_BACK, 43210);
	struct row rows[] = {
	    {"backend's SYN-ACK, no entry: de-NATed, a SYN_RECV pair made",
	     .via = BACK,
	     .in = tcp(fb, fl.be, fl.cl, SYN | ACK, 5000, 1001, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(H_TO_CLIENT, fl.vip, fl.cl, SYN | ACK, 5000, 1001, 0),
	     .stats = BIT(ST_TC_RX) | BIT(ST_RNAT) | BIT(ST_RNAT_NEW) |
		      BIT(ST_NEW_FLOW) | BIT(ST_FWD_FIB),
	     .state = CT_STATE_SYN_RECV, .event = CT_EV_STATE,
	     .be_check = true, .be_active = 1, .be_flows = 1,
	     .check = check_rnat_pair, .arg = &fl},
	    {"client's ACK reaches this node too: established",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, ACK, 1001, 5001, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, ACK, 1001, 5001, 0),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED,
	     .event = CT_EV_ESTABLISHED},
	    {"backend data on the pair: the ordinary fast path",
	     .via = BACK,
	     .in = tcp(fb, fl.be, fl.cl, PSH | ACK, 5001, 1001, 100),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(H_TO_CLIENT, fl.vip, fl.cl, PSH | ACK, 5001, 1001, 100),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED},
	    {"backend data of another flow, no entry: de-NATed, no pair",
	     .via = BACK,
	     .in = tcp(fb, fl.be, ep(FX_CLIENT, 43001), PSH | ACK, 7, 7, 50),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(H_TO_CLIENT, fl.vip, ep(FX_CLIENT, 43001), PSH | ACK, 7,
			7, 50),
	     .stats = BIT(ST_TC_RX) | BIT(ST_RNAT) | BIT(ST_FWD_FIB),
	     .state = CT_ABSENT},
	    {"a backend two services share: which VIP is unknown, dropped",
	     .via = BACK,
	     .in = tcp(h_from_be(shared.ip), shared, ep(FX_CLIENT, 43002),
		       SYN | ACK, 9, 9, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_RNAT_AMBIGUOUS,
	     .stats = S_DROP, .state = CT_ABSENT},
	    {"the answer to this node's own connection to the backend: the "
	     "stack's, untouched",
	     .via = BACK, .in = tcp(fb, fl.be, me, SYN | ACK, 11, 11, 0),
	     .verdict = TC_ACT_OK, .stats = S_PASS, .state = CT_ABSENT},
	    {"another port of the backend: not a service's, passed",
	     .via = BACK,
	     .in = tcp(fb, ep_port(fl.be, 9999), ep(FX_CLIENT, 43003),
		       SYN | ACK, 13, 13, 0),
	     .verdict = TC_ACT_OK, .stats = S_PASS, .state = CT_ABSENT},
	};
	struct row off[] = {
	    {"flag off: a reply without an entry passes untouched",
	     .via = BACK,
	     .in = tcp(fb, fl.be, ep(FX_CLIENT, 43004), PSH | ACK, 7, 7, 50),
	     .verdict = TC_ACT_OK, .stats = S_PASS, .state = CT_ABSENT},
	};
	bool ok;

	ok = set_cfg_flags(BATON_CFG_F_ASYM) &&
	     set_rnat(fl.be, IPPROTO_TCP, fl.vip, SVC_TCP, fl.be_id, 1) &&
	     set_rnat(shared, IPPROTO_TCP, fl.vip, SVC_TCP, be2, 2) &&
	     RUN_ROWS(rows);
	ok = set_cfg_flags(0) && ok && RUN_ROWS(off);
	return clear_rnat() && ok;
}

/* Mark both halves of the flow under fk a peer's (as sync installs). */
static bool make_remote(const struct row *r)
{
	const struct nat_flow *fl = r->arg;
	struct ct_v4_key fk = key_of(fl->cl, fl->vip, fl->proto), rk;
	struct ct_v4_entry e;
	bool ok = true;

	if (!ASSERT_OK(ct_get(&fk, &e), "forward entry"))
		return false;
	rk = e.peer;
	e.flags = (e.flags | CT_F_REMOTE) & ~CT_F_COUNTED;
	e.owner = 9;
	ok &= ASSERT_OK(bpf_map_update_elem(fx.ct_fd, &fk, &e, 0), "fwd");
	if (!ASSERT_OK(ct_get(&rk, &e), "reply entry"))
		return false;
	e.flags |= CT_F_REMOTE;
	e.owner = 9;
	ok &= ASSERT_OK(bpf_map_update_elem(fx.ct_fd, &rk, &e, 0), "rev");
	return ok;
}

static bool owner_is(const struct row *r, uint32_t owner, bool remote)
{
	const struct nat_flow *fl = r->arg;
	struct ct_v4_key fk = key_of(fl->cl, fl->vip, fl->proto);
	struct ct_v4_entry e;

	return ASSERT_OK(ct_get(&fk, &e), "forward entry") &&
	       ASSERT_EQ(e.owner, owner, "owner") &&
	       ASSERT_EQ(!!(e.flags & CT_F_REMOTE), remote, "CT_F_REMOTE") &&
	       ASSERT_OK(ct_get(&e.peer, &e), "reply entry") &&
	       ASSERT_EQ(e.owner, owner, "owner of the reply half") &&
	       ASSERT_EQ(!!(e.flags & CT_F_REMOTE), remote,
			 "CT_F_REMOTE of the reply half");
}

static bool still_the_peers(const struct row *r)
{
	return owner_is(r, 9, true);
}

static bool now_ours(const struct row *r)
{
	return owner_is(r, FX_NODE_ID, false);
}

/* A peer's flow whose replies run through this node stays the peer's; its
 * client's packets arriving here take it over. */
static bool test_asym_replies_do_not_take_a_flow_over(void)
{
	struct nat_flow fl = nat_flow(SVC_TCP, 44000, -1);
	struct hop tb = h_to_be(fl.be.ip), fb = h_from_be(fl.be.ip);
	struct row rows[] = {
	    {"client SYN", .in = tcp(H_CLIENT, fl.cl, fl.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, SYN, 1, 0, 0), .stats = S_NEW,
	     .state = CT_STATE_SYN_SENT},
	    {"client ACK: established; then the flow is made a peer's",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, ACK, 2, 2, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, ACK, 2, 2, 0), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED, .event = CT_EV_ESTABLISHED,
	     .check = make_remote, .arg = &fl},
	    {"backend data: de-NATed, still the peer's, no event",
	     .via = BACK, .in = tcp(fb, fl.be, fl.cl, PSH | ACK, 2, 2, 10),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(H_TO_CLIENT, fl.vip, fl.cl, PSH | ACK, 2, 2, 10),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED,
	     .check = still_the_peers, .arg = &fl},
	    {"client data: claimed", .in = tcp(H_CLIENT, fl.cl, fl.vip,
					       PSH | ACK, 2, 12, 10),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, PSH | ACK, 2, 12, 10),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED,
	     .event = CT_EV_CLAIMED, .check = now_ours, .arg = &fl},
	};
	bool ok;

	ok = set_cfg_flags(BATON_CFG_F_ASYM) && RUN_ROWS(rows);
	return set_cfg_flags(0) && ok;
}

/* ---- a flow idle past its peers' copies (ct_v4_revive) ------------------ */

/* Move both halves' last_seen_ns of the flow r->arg back by `s` seconds. */
static bool age_pair(const struct row *r, uint64_t s)
{
	const struct nat_flow *fl = r->arg;
	struct ct_v4_key k = key_of(fl->cl, fl->vip, fl->proto);
	struct ct_v4_entry e;
	bool ok = true;

	for (int half = 0; half < 2; half++) {
		struct ct_v4_key next;

		if (!ASSERT_OK(ct_get(&k, &e), "entry of the pair"))
			return false;
		next = e.peer;
		e.last_seen_ns -= s * 1000000000ull;
		ok &= ASSERT_OK(bpf_map_update_elem(fx.ct_fd, &k, &e, BPF_EXIST)
					? -errno
					: 0,
				"age the entry");
		k = next;
	}
	return ok;
}

static bool set_revive(uint32_t tcp_est_s, uint32_t udp_s)
{
	struct ct_v4_revive r = {0};
	__u32 zero = 0;

	r.tcp_s[CT_STATE_ESTABLISHED] = tcp_est_s;
	r.udp_s = udp_s;
	return ASSERT_OK(bpf_map_update_elem(fx.revive_fd, &zero, &r, 0) ? -errno
									 : 0,
			 "write ct_v4_revive");
}

static bool idle_50s(const struct row *r)
{
	return age_pair(r, 50);
}

static bool idle_200s(const struct row *r)
{
	return age_pair(r, 200);
}

static bool idle_200s_revive_off(const struct row *r)
{
	return age_pair(r, 200) && set_revive(0, 0);
}

static bool idle_200s_tcp_150s(const struct row *r)
{
	return age_pair(r, 200) && set_revive(150, 110);
}

/* The event of the last row was made from the reply half: the forward
 * half's own stamp is 200 s old, the event's is now. */
static bool event_stamped_now(const struct row *r)
{
	const struct ct_v4_event *ev = &fx.events[fx.nevents - 1];
	const struct nat_flow *fl = r->arg;
	struct ct_v4_key fk = key_of(fl->cl, fl->vip, fl->proto);
	struct ct_v4_entry fe;

	return ASSERT_OK(ct_get(&fk, &fe), "forward entry") &&
	       ASSERT_TRUE(ev->entry.last_seen_ns >= row_t0 - 20000000ull,
			   "event's last_seen is this packet's time") &&
	       ASSERT_TRUE(fe.last_seen_ns < row_t0 - 100000000000ull,
			   "forward half itself still 200 s idle") &&
	       idle_200s_revive_off(r);
}

/*
 * A packet on a flow idle longer than ct_v4_revive allows announces the
 * pair again, whichever half it hits: the peers may have expired their
 * copy, and a failover would give the flow (or a new one reusing its
 * tuple) another backend. Below the threshold, or with it 0, no event.
 */
static bool test_idle_flow_is_announced_again(void)
{
	struct nat_flow fl = nat_flow(SVC_UDP, 41100, -1);
	struct nat_flow ft = nat_flow(SVC_TCP, 41101, -1);
	struct hop tb = h_to_be(fl.be.ip), fb = h_from_be(fl.be.ip);
	struct hop ttb = h_to_be(ft.be.ip), tfb = h_from_be(ft.be.ip);
	struct row udp_rows[] = {
	    {"request", .in = udp(H_CLIENT, fl.cl, fl.vip, 1, 8),
	     .verdict = TC_ACT_REDIRECT, .out = udp(tb, fl.src, fl.be, 1, 8),
	     .stats = S_NEW, .state = CT_STATE_NEW},
	    {"reply establishes; then 50 s idle", .via = BACK,
	     .in = udp(fb, fl.be, fl.src, 2, 8), .verdict = TC_ACT_REDIRECT,
	     .out = udp(H_TO_CLIENT, fl.vip, fl.cl, 2, 8), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED, .event = CT_EV_ESTABLISHED,
	     .check = idle_50s, .arg = &fl},
	    {"request after 50 s (threshold 110 s): no event; then 200 s idle",
	     .in = udp(H_CLIENT, fl.cl, fl.vip, 3, 8),
	     .verdict = TC_ACT_REDIRECT, .out = udp(tb, fl.src, fl.be, 3, 8),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED, .check = idle_200s,
	     .arg = &fl},
	    {"request after 200 s: announced again",
	     .in = udp(H_CLIENT, fl.cl, fl.vip, 4, 8),
	     .verdict = TC_ACT_REDIRECT, .out = udp(tb, fl.src, fl.be, 4, 8),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED,
	     .event = CT_EV_REVIVED},
	    {"its reply (reply half 200 s idle, the pair not): no event; "
	     "then 200 s idle", .via = BACK,
	     .in = udp(fb, fl.be, fl.src, 4, 8), .verdict = TC_ACT_REDIRECT,
	     .out = udp(H_TO_CLIENT, fl.vip, fl.cl, 4, 8), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED, .check = idle_200s, .arg = &fl},
	    {"reply after 200 s: announced through the forward half, stamped "
	     "now; then 200 s idle and no thresholds",
	     .via = BACK, .in = udp(fb, fl.be, fl.src, 5, 8),
	     .verdict = TC_ACT_REDIRECT,
	     .out = udp(H_TO_CLIENT, fl.vip, fl.cl, 5, 8), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED, .event = CT_EV_REVIVED,
	     .check = event_stamped_now, .arg = &fl},
	    {"request after 200 s with thresholds 0: no event",
	     .in = udp(H_CLIENT, fl.cl, fl.vip, 6, 8),
	     .verdict = TC_ACT_REDIRECT, .out = udp(tb, fl.src, fl.be, 6, 8),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED},
	};
	struct row tcp_rows[] = {
	    {"SYN", .in = tcp(H_CLIENT, ft.cl, ft.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(ttb, ft.src, ft.be, SYN, 1, 0, 0), .stats = S_NEW,
	     .state = CT_STATE_SYN_SENT},
	    {"SYN-ACK", .via = BACK,
	     .in = tcp(tfb, ft.be, ft.src, SYN | ACK, 9, 2, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(H_TO_CLIENT, ft.vip, ft.cl, SYN | ACK, 9, 2, 0),
	     .stats = S_HIT, .state = CT_STATE_SYN_RECV, .event = CT_EV_STATE},
	    {"ACK establishes; then 200 s idle",
	     .in = tcp(H_CLIENT, ft.cl, ft.vip, ACK, 2, 10, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(ttb, ft.src, ft.be, ACK, 2, 10, 0), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED, .event = CT_EV_ESTABLISHED,
	     .check = idle_200s, .arg = &ft},
	    {"data after 200 s (ESTABLISHED threshold 300 s): no event; then "
	     "200 s idle, threshold 150 s",
	     .in = tcp(H_CLIENT, ft.cl, ft.vip, PSH | ACK, 2, 10, 5),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(ttb, ft.src, ft.be, PSH | ACK, 2, 10, 5),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED,
	     .check = idle_200s_tcp_150s, .arg = &ft},
	    {"data after 200 s (threshold 150 s): announced again",
	     .in = tcp(H_CLIENT, ft.cl, ft.vip, PSH | ACK, 7, 10, 5),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(ttb, ft.src, ft.be, PSH | ACK, 7, 10, 5),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED,
	     .event = CT_EV_REVIVED},
	};
	bool ok;

	ok = set_revive(300, 110) && RUN_ROWS(udp_rows);
	return set_revive(300, 110) && RUN_ROWS(tcp_rows) && ok;
}

/* r[0], r[1]: a NAT flow's client SYN and its backend's SYN-ACK. */
static void handshake_rows(const struct nat_flow *f, struct row *r)
{
	struct nat_flow fl = *f;
	struct hop tb = h_to_be(fl.be.ip), fb = h_from_be(fl.be.ip);
	struct row hs[] = {
	    {"client SYN", .in = tcp(H_CLIENT, fl.cl, fl.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, SYN, 1, 0, 0), .stats = S_NEW,
	     .state = CT_STATE_SYN_SENT},
	    {"backend SYN-ACK", .via = BACK,
	     .in = tcp(fb, fl.be, fl.cl, SYN | ACK, 1, 2, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(H_TO_CLIENT, fl.vip, fl.cl, SYN | ACK, 1, 2, 0),
	     .stats = S_HIT, .state = CT_STATE_SYN_RECV,
	     .event = CT_EV_STATE},
	};

	memcpy(r, hs, sizeof(hs));
}

/* The last row's CT_EV_RESET carries the segment: seq 2, ack 2, 10 bytes,
 * PSH|ACK; the event before it closed the pair. */
static bool reset_event_has_the_segment(const struct row *r)
{
	const struct ct_v4_event *ev = &fx.events[fx.nevents - 1];

	return ASSERT_EQ(fx.events[0].type, CT_EV_CLOSED,
			 "first event: the pair closed") &&
	       ASSERT_EQ(ev->seg_seq, 2, "seg_seq") &&
	       ASSERT_EQ(ev->seg_ack, 2, "seg_ack") &&
	       ASSERT_EQ(ev->seg_len, 10, "seg_len") &&
	       ASSERT_EQ(ev->seg_flags, PSH | ACK, "seg_flags");
}

static bool set_be_reset(uint16_t svc, uint16_t be_id, uint32_t v)
{
	__u32 idx = baton_be_index(svc, be_id);
	int fd = fx.reset_fd;

	return ASSERT_OK(bpf_map_update_elem(fd, &idx, &v, 0) ? -errno : 0,
			 "write be_reset_map");
}

/* A backend whose flows are reset (health.on_down: reset): its flow's next
 * segment is dropped, the pair closed and the segment handed to batond;
 * another at once is dropped without an event. A flow of the other backend
 * goes on. Without BATON_CFG_F_RESET, be_reset_map is not read. */
static bool test_reset_backend_flow_is_closed_and_reported(void)
{
	struct nat_flow fl = nat_flow(SVC_TCP, 45000, -1);
	struct nat_flow ot = nat_flow(SVC_TCP, 45001, -1);
	struct hop tb = h_to_be(fl.be.ip);
	struct row est[] = {
	    [2] = {"client ACK", .in = tcp(H_CLIENT, fl.cl, fl.vip, ACK, 2, 2, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, ACK, 2, 2, 0), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED, .event = CT_EV_ESTABLISHED},
	    {"flag without a marked backend: forwarded",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, PSH | ACK, 2, 2, 10),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, PSH | ACK, 2, 2, 10),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED},
	};
	struct row marked_no_flag[] = {
	    {"marked backend without the flag: forwarded",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, PSH | ACK, 2, 2, 10),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, PSH | ACK, 2, 2, 10),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED},
	};
	struct row reset[] = {
	    {"client data: dropped, pair closed, segment reported",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, PSH | ACK, 2, 2, 10),
	     .verdict = TC_ACT_SHOT, .drop = DROP_CT_RESET,
	     .stats = BIT(ST_TC_RX) | BIT(ST_CT_HIT),
	     .state = CT_STATE_CLOSED, .event = CT_EV_RESET, .nevents = 2,
	     .check = reset_event_has_the_segment},
	    {"again at once: dropped, no event",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, PSH | ACK, 2, 2, 10),
	     .verdict = TC_ACT_SHOT, .drop = DROP_CT_RESET,
	     .stats = BIT(ST_TC_RX) | BIT(ST_CT_HIT),
	     .state = CT_STATE_CLOSED},
	};
	bool ok;

	handshake_rows(&fl, est);
	/* The other flow: a client port Maglev sends to the other backend. */
	for (uint16_t port = 45002; ot.be_id == fl.be_id && port < 45100;
	     port++)
		ot = nat_flow(SVC_TCP, port, -1);
	ok = set_cfg_flags(BATON_CFG_F_RESET) && RUN_ROWS(est) &&
	     set_cfg_flags(0) && set_be_reset(fl.svc, fl.be_id, 1) &&
	     RUN_ROWS(marked_no_flag) &&
	     set_cfg_flags(BATON_CFG_F_RESET) && RUN_ROWS(reset);
	if (ok) {
		struct hop to = h_to_be(ot.be.ip);
		struct row other[] = {
		    {"another backend's new flow: untouched",
		     .in = tcp(H_CLIENT, ot.cl, ot.vip, SYN, 1, 0, 0),
		     .verdict = TC_ACT_REDIRECT,
		     .out = tcp(to, ot.src, ot.be, SYN, 1, 0, 0),
		     .stats = S_NEW, .state = CT_STATE_SYN_SENT},
		};

		ok = RUN_ROWS(other);
	}
	return set_be_reset(fl.svc, fl.be_id, 0) && set_cfg_flags(0) && ok;
}

/* set_be_active SVC BE ON: as batond's rebuild after a health verdict -
 * off: the backend without BE_F_ACTIVE and its Maglev slots given to the
 * other backend; on: the table as it was set up. */
static struct lb_v4_table saved_table;
static bool table_saved;

static bool set_be_active(uint16_t svc, uint16_t be_id, bool on)
{
	struct lb_v4_table *t = fx.tables[svc];
	__u32 idx = baton_lb_index(svc, 0);

	if (on) {
		if (!table_saved)
			return true;	/* never taken off */
		*t = saved_table;
		table_saved = false;
	} else {
		saved_table = *t;
		table_saved = true;
		t->be[be_id].flags &= ~BE_F_ACTIVE;
		for (uint32_t i = 0; i < t->sched_len; i++)
			if (t->sched[i] == be_id)
				t->sched[i] = be_id ? 0 : 1;
	}
	return ASSERT_OK(bpf_map_update_elem(fx.lb_fd, &idx, t, 0) ? -errno : 0,
			 "write lb_v4_map");
}

/* The flows of a service's backend still counted active (be_stats). */
static uint64_t be_active_flows(uint16_t svc, uint16_t be_id)
{
	__u32 idx = baton_be_index(svc, be_id);
	struct be_stats bs = {0};

	bpf_map_lookup_elem(fx.be_stats_fd, &idx, &bs);
	return bs.active;
}

/*
 * A new connection on the tuple of a closed (RST) or closing (client FIN,
 * still counted) one whose backend has since gone down - the client
 * reused its port: a new flow, to a backend that takes new flows, not the
 * old entry's, which refused it (a CI failure of test_health); the old
 * pair is gone and off its backend's count. While the backend is up the
 * reuse keeps it (the lifecycle tests' "new SYN reusing the tuple").
 */
static bool reuse_after_down(const char *name, uint16_t port, bool closed)
{
	struct nat_flow fl = nat_flow(SVC_TCP, port, -1);
	struct nat_flow ot = nat_flow(SVC_TCP, port, fl.be_id ? 0 : 1);
	struct hop tb = h_to_be(fl.be.ip), fb = h_from_be(fl.be.ip);
	struct row end[] = {
	    {"backend RST: CLOSED", .via = BACK,
	     .in = tcp(fb, fl.be, fl.cl, RST | ACK, 0, 2, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(H_TO_CLIENT, fl.vip, fl.cl, RST | ACK, 0, 2, 0),
	     .stats = S_HIT, .state = CT_STATE_CLOSED,
	     .event = CT_EV_CLOSED},
	    {"client FIN: FIN_WAIT, still counted",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, FIN | ACK, 2, 2, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, FIN | ACK, 2, 2, 0),
	     .stats = S_HIT, .state = CT_STATE_FIN_WAIT,
	     .event = CT_EV_STATE},
	};
	struct row flow[3] = {[2] = end[closed ? 0 : 1]};
	struct row reused[] = {
	    {"new SYN on the tuple, its backend down: the other backend",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, SYN, 5000, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(h_to_be(ot.be.ip), ot.src, ot.be, SYN, 5000, 0, 0),
	     .stats = S_NEW, .state = CT_STATE_SYN_SENT},
	    {"a SYN-ACK from there", .via = BACK,
	     .in = tcp(h_from_be(ot.be.ip), ot.be, ot.cl, SYN | ACK, 9, 5001,
		       0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(H_TO_CLIENT, ot.vip, ot.cl, SYN | ACK, 9, 5001, 0),
	     .stats = S_HIT, .state = CT_STATE_SYN_RECV,
	     .event = CT_EV_STATE},
	};
	struct ct_v4_key rk_old = {.saddr = htonl(fl.be.ip),
				   .daddr = htonl(fl.cl.ip),
				   .sport = htons(fl.be.port),
				   .dport = htons(fl.cl.port),
				   .proto = IPPROTO_TCP};
	uint64_t a0 = be_active_flows(fl.svc, fl.be_id);
	struct ct_v4_entry e;
	bool ok;

	handshake_rows(&fl, flow);
	ok = run_rows(name, flow, ARRAY_SIZE(flow)) &&
	     ASSERT_EQ(be_active_flows(fl.svc, fl.be_id), a0 + !closed,
		       "the old flow on its backend's count") &&
	     set_be_active(fl.svc, fl.be_id, false) &&
	     run_rows(name, reused, ARRAY_SIZE(reused)) &&
	     ASSERT_EQ(bpf_map_lookup_elem(fx.ct_fd, &rk_old, &e) ? errno : 0,
		       ENOENT, "the old pair's reply half is gone") &&
	     ASSERT_EQ(be_active_flows(fl.svc, fl.be_id), a0,
		       "the old flow off its backend's count");
	return set_be_active(fl.svc, fl.be_id, true) && ok;
}

static bool test_reused_tuple_of_a_down_backend_is_a_new_flow(void)
{
	return reuse_after_down("closed (RST)", 46000, true) &&
	       reuse_after_down("closing (client FIN)", 46100, false);
}

/* Packet surgery for malformed inputs. */
static struct pkt truncate_l4(struct pkt p, size_t l4_bytes, size_t frame)
{
	size_t l4 = pkt_l4_off(&p);

	wr16(p.data + 16, (uint16_t)(l4 - 14 + l4_bytes));
	pkt_fix_ip_csum(&p);
	memset(p.data + l4 + l4_bytes, 0, sizeof(p.data) - l4 - l4_bytes);
	p.len = frame ? frame : l4 + l4_bytes;
	return p;
}

/* The same packet, its frame cut after `len` bytes; headers unchanged. */
static struct pkt cut_frame(struct pkt p, size_t len)
{
	memset(p.data + len, 0, sizeof(p.data) - len);
	p.len = len;
	return p;
}

static struct pkt patch_ip(struct pkt p, uint8_t ver_ihl, int tot_delta,
			   int tot_abs)
{
	if (ver_ihl)
		p.data[14] = ver_ihl;
	if (tot_delta)
		wr16(p.data + 16, (uint16_t)(rd16(p.data + 16) + tot_delta));
	if (tot_abs)
		wr16(p.data + 16, (uint16_t)tot_abs);
	/* A correct header checksum over the 20 bytes as patched, so the
	 * field under test is the only thing wrong. */
	wr16(p.data + 24, 0);
	wr16(p.data + 24, (uint16_t)~pkt_csum_fold(p.data + 14, 20, 0));
	return p;
}

/*
 * Runts: BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header
 * (TC and XDP, -EINVAL), and on 6.18 TC also refuses an IPv4 frame shorter
 * than Ethernet + 20 bytes, so DROP_MALFORMED_L2 cannot be reached from
 * here. The shortest IPv4 runt TC accepts is a 20-byte header that claims
 * options (IHL 15) and ends there.
 */
static struct pkt ip_runt(struct pkt p)
{
	p = patch_ip(p, 0x4f, 0, 60);
	p.len = 14 + 20;
	return p;
}

static bool test_malformed_packets_are_dropped_with_reason(void)
{
	struct ep cl = ep(FX_CLIENT, 46000), vip = ep(VIP_NAT, 80);
	struct ep uvip = ep(VIP_NAT, 53);
	struct pkt syn = tcp(H_CLIENT, cl, vip, SYN, 1, 0, 0);
	struct pkt_spec gre = {.dmac = fx_mac_front,
			       .smac = fx_mac_client,
			       .saddr = cl.ip,
			       .daddr = vip.ip,
			       .proto = 47,
			       .ttl = 64};

	struct row rows[] = {
	    {"runt: IPv4 header claiming IHL 15 ends after 20 bytes (GRE)",
	     .in = ip_runt(mk(&gre)), .verdict = TC_ACT_SHOT,
	     .drop = DROP_MALFORMED_L3, .stats = S_DROP},
	    {"runt: IPv4 header claiming IHL 15 ends after 20 bytes (TCP)",
	     .in = ip_runt(syn), .verdict = TC_ACT_SHOT,
	     .drop = DROP_MALFORMED_L3, .stats = S_DROP},
	    {"IPv4 ethertype, version 6", .in = patch_ip(syn, 0x65, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_MALFORMED_L3,
	     .stats = S_DROP},
	    {"IHL 4 (< 5)", .in = patch_ip(syn, 0x44, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_MALFORMED_L3,
	     .stats = S_DROP},
	    {"total length beyond the packet", .in = patch_ip(syn, 0, 20, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_MALFORMED_L3,
	     .stats = S_DROP},
	    {"total length shorter than the IP header",
	     .in = patch_ip(syn, 0, 0, 16), .verdict = TC_ACT_SHOT,
	     .drop = DROP_MALFORMED_L3, .stats = S_DROP},
	    {"TCP header cut at 10 bytes, to the VIP",
	     .in = truncate_l4(syn, 10, 0), .verdict = TC_ACT_SHOT,
	     .drop = DROP_MALFORMED_L4, .stats = S_DROP},
	    {"UDP header cut at 4 bytes, to the VIP",
	     .in = truncate_l4(udp(H_CLIENT, cl, uvip, 1, 0), 4, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_MALFORMED_L4,
	     .stats = S_DROP},
	    {"ICMP header cut at 4 bytes, to the VIP",
	     .in = truncate_l4(icmp(H_CLIENT, cl.ip, vip.ip, ICMP_ECHO, 1, 1),
			       4, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_MALFORMED_L4,
	     .stats = S_DROP},
	    {"TCP header cut at 10 bytes, frame padded to 60 bytes",
	     .in = truncate_l4(syn, 10, 60), .verdict = TC_ACT_SHOT,
	     .drop = DROP_MALFORMED_L4, .stats = S_DROP},
	};

	return RUN_ROWS(rows) &&
	       ASSERT_EQ(fx_ct_count(&fx), 0, "no conntrack entry created");
}

static bool test_ip_options_are_skipped_and_kept(void)
{
	struct nat_flow fl = nat_flow(SVC_TCP, 47000, -1);
	struct nat_flow uf = nat_flow(SVC_UDP, 47001, -1);
	struct hop tb = h_to_be(fl.be.ip), fb = h_from_be(fl.be.ip);
	struct hop utb = h_to_be(uf.be.ip);
	struct row rows[] = {
	    {"SYN with IHL 6: ports found behind the options",
	     .in = tcp(with_opts(H_CLIENT, 1), fl.cl, fl.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(with_opts(tb, 1), fl.src, fl.be, SYN, 1, 0, 0),
	     .stats = S_NEW, .state = CT_STATE_SYN_SENT,
	     .check = check_nat_pair, .arg = &fl},
	    {"SYN-ACK with IHL 7 is de-NATed", .via = BACK,
	     .in = tcp(with_opts(fb, 2), fl.be, fl.src, SYN | ACK, 5, 2, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(with_opts(H_TO_CLIENT, 2), fl.vip, fl.cl, SYN | ACK, 5,
			2, 0),
	     .stats = S_HIT, .state = CT_STATE_SYN_RECV, .event = CT_EV_STATE},
	    {"ACK with IHL 15 (40 bytes of options) establishes",
	     .in = tcp(with_opts(H_CLIENT, 10), fl.cl, fl.vip, ACK, 2, 6, 20),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(with_opts(tb, 10), fl.src, fl.be, ACK, 2, 6, 20),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED,
	     .event = CT_EV_ESTABLISHED},
	    {"UDP with IHL 7 to the VIP",
	     .in = udp(with_opts(H_CLIENT, 2), uf.cl, uf.vip, 1, 16),
	     .verdict = TC_ACT_REDIRECT,
	     .out = udp(with_opts(utb, 2), uf.src, uf.be, 1, 16),
	     .stats = S_NEW, .state = CT_STATE_NEW, .check = check_nat_pair,
	     .arg = &uf},
	};

	return RUN_ROWS(rows);
}

static struct pkt fragment(struct pkt p, uint16_t frag_off)
{
	wr16(p.data + 20, frag_off);
	pkt_fix_ip_csum(&p);
	return p;
}

static bool test_fragments_to_a_vip(void)
{
	struct ep cl = ep(FX_CLIENT, 48000), vip = ep(VIP_NAT, 80);
	struct pkt_spec later = {.dmac = fx_mac_front,
				 .smac = fx_mac_client,
				 .saddr = cl.ip,
				 .daddr = vip.ip,
				 .proto = IPPROTO_TCP,
				 .ttl = 64,
				 .frag_off = 185, /* offset 1480 */
				 .payload_len = 100};
	struct nat_flow fl = nat_flow(SVC_TCP, 48001, -1);
	struct row rows[] = {
	    {"first fragment of a SYN to the VIP: DROP_FRAGMENT",
	     .in = fragment(tcp(H_CLIENT, cl, vip, SYN, 1, 0, 200), 0x2000),
	     .verdict = TC_ACT_SHOT, .drop = DROP_FRAGMENT, .stats = S_DROP,
	     .state = CT_ABSENT},
	    {"first fragment of UDP to the VIP: DROP_FRAGMENT",
	     .in = fragment(udp(H_CLIENT, cl, ep(VIP_NAT, 53), 1, 200), 0x2000),
	     .verdict = TC_ACT_SHOT, .drop = DROP_FRAGMENT, .stats = S_DROP},
	    {"non-first fragment to the VIP: handed to the stack",
	     .in = mk(&later), .verdict = TC_ACT_OK, .stats = S_PASS},
	    {"first fragment to a non-VIP: handed to the stack",
	     .in = fragment(
		 tcp(H_CLIENT, cl, ep("10.0.0.50", 80), SYN, 1, 0, 200),
		 0x2000),
	     .verdict = TC_ACT_OK, .stats = S_PASS},
	    {"a flow is created ...",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(h_to_be(fl.be.ip), fl.src, fl.be, SYN, 1, 0, 0),
	     .stats = S_NEW, .state = CT_STATE_SYN_SENT},
	    {"... its first fragments are still dropped",
	     .in =
		 fragment(tcp(H_CLIENT, fl.cl, fl.vip, ACK, 2, 1, 200), 0x2000),
	     .verdict = TC_ACT_SHOT, .drop = DROP_FRAGMENT, .stats = S_DROP,
	     .state = CT_STATE_SYN_SENT},
	};

	return RUN_ROWS(rows);
}

static bool test_tcp_without_conntrack_is_dropped(void)
{
	struct ep cl = ep(FX_CLIENT, 49000), vip = ep(VIP_NAT, 80);
	struct row rows[] = {
	    {"ACK", .in = tcp(H_CLIENT, cl, vip, ACK, 1, 1, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_TCP_NO_CT,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	    {"data", .in = tcp(H_CLIENT, cl, vip, PSH | ACK, 1, 1, 50),
	     .verdict = TC_ACT_SHOT, .drop = DROP_TCP_NO_CT,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	    {"SYN-ACK", .in = tcp(H_CLIENT, cl, vip, SYN | ACK, 1, 1, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_TCP_NO_CT,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	    {"RST", .in = tcp(H_CLIENT, cl, vip, RST, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_TCP_NO_CT,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	    {"FIN", .in = tcp(H_CLIENT, cl, vip, FIN | ACK, 1, 1, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_TCP_NO_CT,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	    {"SYN+FIN", .in = tcp(H_CLIENT, cl, vip, SYN | FIN, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_TCP_NO_CT,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	};

	return RUN_ROWS(rows) &&
	       ASSERT_EQ(fx_ct_count(&fx), 0, "no conntrack entry created");
}

static bool test_service_without_active_backend_drops(void)
{
	struct ep cl = ep(FX_CLIENT, 50000);
	struct row rows[] = {
	    {"Maglev with an empty schedule",
	     .in = tcp(H_CLIENT, cl, ep(VIP_NONE, 80), SYN, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_NO_BACKEND,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	    {"least connections, every backend inactive",
	     .in = tcp(H_CLIENT, cl, ep(VIP_NONE, 81), SYN, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_NO_BACKEND,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	    {"Maglev table pointing at backends now inactive",
	     .in = tcp(H_CLIENT, cl, ep(VIP_NONE, 82), SYN, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_NO_BACKEND,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	};

	return RUN_ROWS(rows) &&
	       ASSERT_EQ(fx_ct_count(&fx), 0, "no conntrack entry created");
}

static bool test_inconsistent_service_is_dropped(void)
{
	struct ep cl = ep(FX_CLIENT, 50100);
	struct row rows[] = {
	    {"fullNAT service without a SNAT address: DROP_BAD_SERVICE",
	     .in = tcp(H_CLIENT, cl, ep(VIP_BAD, 80), SYN, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_BAD_SERVICE,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	    {"unknown algorithm: DROP_BAD_SERVICE",
	     .in = tcp(H_CLIENT, cl, ep(VIP_BAD, 81), SYN, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_BAD_SERVICE,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	    {"unknown mode: DROP_BAD_SERVICE",
	     .in = tcp(H_CLIENT, cl, ep(VIP_BAD, 82), SYN, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_BAD_SERVICE,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	};

	return RUN_ROWS(rows) &&
	       ASSERT_EQ(fx_ct_count(&fx), 0, "no conntrack entry created");
}

/*
 * Next hops the FIB cannot complete: an unresolved neighbour goes out via
 * bpf_redirect_neigh() (the kernel writes the MACs later, so they stay as
 * received here); no route at all leaves the translated packet to the
 * stack.
 */
static bool test_incomplete_next_hops(void)
{
	struct ep cl = ep(FX_CLIENT, 50200), far = ep(VIP_FAR, 80);
	struct ep dsr = ep(VIP_FAR, 81), nr = ep(VIP_FAR, 82);
	struct hop routed_as_received = with_ttl(H_CLIENT, 63);
	struct row rows[] = {
	    {"DNAT to a backend without neighbour entry: redirect_neigh",
	     .in = tcp(H_CLIENT, cl, far, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(routed_as_received, cl, ep(BE_NONEIGH, 8080), SYN, 1, 0,
			0),
	     .stats = BIT(ST_TC_RX) | BIT(ST_SLOW) | BIT(ST_NEW_FLOW) |
		      BIT(ST_FWD_NEIGH),
	     .state = CT_STATE_SYN_SENT},
	    {"DSR to a backend without neighbour entry: redirect_neigh, "
	     "TTL kept",
	     .in = tcp(H_CLIENT, cl, dsr, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .stats = BIT(ST_TC_RX) | BIT(ST_SLOW) | BIT(ST_NEW_FLOW) |
		      BIT(ST_FWD_NEIGH),
	     .state = CT_STATE_SYN_SENT},
	    {"DNAT to a backend without a route: translated, to the stack",
	     .in = tcp(H_CLIENT, cl, nr, SYN, 1, 0, 0), .verdict = TC_ACT_OK,
	     .out = tcp(H_CLIENT, cl, ep(BE_NOROUTE, 8080), SYN, 1, 0, 0),
	     .stats = BIT(ST_TC_RX) | BIT(ST_SLOW) | BIT(ST_NEW_FLOW) |
		      BIT(ST_FWD_STACK),
	     .state = CT_STATE_SYN_SENT},
	};

	return RUN_ROWS(rows);
}

/* A synthetic established DNAT flow i, as sync would install one. */
static void fake_entry(uint32_t i, struct ct_v4_key *k, struct ct_v4_entry *e)
{
	memset(k, 0, sizeof(*k));
	memset(e, 0, sizeof(*e));
	k->saddr = htonl(0x0a090000 + (i >> 8));
	k->daddr = fx_ip(VIP_NAT);
	k->sport = htons((uint16_t)(10000 + (i & 0xff)));
	k->dport = htons(80);
	k->proto = IPPROTO_TCP;
	e->nat_saddr = k->saddr;
	e->nat_sport = k->sport;
	e->nat_daddr = fx_ip(FX_BE1);
	e->nat_dport = htons(8080);
	e->vip = k->daddr;
	e->vport = k->dport;
	e->vproto = IPPROTO_TCP;
	e->state = CT_STATE_ESTABLISHED;
	e->owner = 2;
	e->epoch = 1;
}

static uint32_t n_fake;

static bool fill_ct(const struct row *r)
{
	struct ct_v4_key k;
	struct ct_v4_entry e;
	long before = fx_ct_count(&fx);

	for (n_fake = 0;; n_fake++) {
		fake_entry(n_fake, &k, &e);
		if (bpf_map_update_elem(fx.ct_fd, &k, &e, BPF_NOEXIST))
			break;
	}
	return ASSERT_EQ(errno, E2BIG, "table full") &&
	       ASSERT_EQ(before + n_fake, fx.ct_max, "entries in a full table");
}

static bool ct_is_full(const struct row *r)
{
	return ASSERT_EQ(fx_ct_count(&fx), fx.ct_max,
			 "table still full, nothing evicted");
}

static bool free_one(const struct row *r)
{
	struct ct_v4_key k;
	struct ct_v4_entry e;
	long before = fx_ct_count(&fx);

	fake_entry(--n_fake, &k, &e);
	return ASSERT_OK(bpf_map_delete_elem(fx.ct_fd, &k) ? -errno : 0,
			 "delete a synthetic entry") &&
	       ASSERT_EQ(fx_ct_count(&fx), before - 1, "one more free slot");
}

static bool one_free_slot_left(const struct row *r)
{
	return ASSERT_EQ(fx_ct_count(&fx), fx.ct_max - 1,
			 "reply half rolled back: still one free slot");
}

static bool test_full_ct_refuses_new_flows_keeps_established(void)
{
	struct nat_flow fl = nat_flow(SVC_TCP, 51000, -1);
	struct nat_flow nw = nat_flow(SVC_TCP, 51001, -1);
	struct nat_flow n2 = nat_flow(SVC_TCP, 51002, -1);
	struct hop tb = h_to_be(fl.be.ip), fb = h_from_be(fl.be.ip);
	struct row rows[] = {
	    {"SYN", .in = tcp(H_CLIENT, fl.cl, fl.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, SYN, 1, 0, 0), .stats = S_NEW,
	     .state = CT_STATE_SYN_SENT},
	    {"SYN-ACK", .via = BACK,
	     .in = tcp(fb, fl.be, fl.src, SYN | ACK, 9, 2, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(H_TO_CLIENT, fl.vip, fl.cl, SYN | ACK, 9, 2, 0),
	     .stats = S_HIT, .state = CT_STATE_SYN_RECV, .event = CT_EV_STATE},
	    {"ACK: established; then the table is filled",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, ACK, 2, 10, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, ACK, 2, 10, 0), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED, .event = CT_EV_ESTABLISHED,
	     .check = fill_ct},
	    {"new SYN with the table full: DROP_CT_FULL",
	     .in = tcp(H_CLIENT, nw.cl, nw.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_CT_FULL, .stats = S_DROP_SLOW,
	     .state = CT_ABSENT, .check = ct_is_full},
	    {"established flow still forwarded, client side",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, PSH | ACK, 2, 10, 100),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, PSH | ACK, 2, 10, 100),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED},
	    {"established flow still forwarded, backend side", .via = BACK,
	     .in = tcp(fb, fl.be, fl.src, PSH | ACK, 10, 102, 100),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(H_TO_CLIENT, fl.vip, fl.cl, PSH | ACK, 10, 102, 100),
	     .stats = S_HIT, .state = CT_STATE_ESTABLISHED, .check = free_one},
	    {"one free slot: the pair does not fit, reply half undone",
	     .in = tcp(H_CLIENT, nw.cl, nw.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_CT_FULL, .stats = S_DROP_SLOW,
	     .state = CT_ABSENT, .check = one_free_slot_left},
	    {"(a second slot is freed)",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, ACK, 102, 110, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, ACK, 102, 110, 0), .stats = S_HIT,
	     .state = CT_STATE_ESTABLISHED, .check = free_one},
	    {"two free slots: a new flow fits again",
	     .in = tcp(H_CLIENT, n2.cl, n2.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(h_to_be(n2.be.ip), n2.src, n2.be, SYN, 1, 0, 0),
	     .stats = S_NEW, .state = CT_STATE_SYN_SENT, .check = ct_is_full},
	};

	return RUN_ROWS(rows);
}

/* Occupy a reply tuple with an entry of some other flow. */
static int occupy(struct ct_v4_key rk)
{
	struct ct_v4_key k;
	struct ct_v4_entry e;

	fake_entry(7, &k, &e);
	e.dir = CT_DIR_REV;
	e.peer = k;
	return bpf_map_update_elem(fx.ct_fd, &rk, &e, BPF_NOEXIST) ? -errno : 0;
}

static struct nat_flow fl_probe;

static bool test_reply_tuple_collisions(void)
{
	struct nat_flow dn = nat_flow(SVC_TCP, 52000, -1);
	struct nat_flow fn = nat_flow(SVC_FN_TCP, 52001, 0);
	/* Least connections: fn takes be1 (id 0), so ex goes to be2. */
	struct nat_flow ex = nat_flow(SVC_FN_TCP, 52002, 1);
	struct ct_v4_key rk;
	unsigned int i;
	int ret;

	/* DNAT keeps the client port: an occupied reply tuple refuses. */
	rk = key_of(dn.be, dn.src, IPPROTO_TCP);
	if (!ASSERT_OK(occupy(rk), "occupy DNAT reply tuple"))
		return false;
	/* fullNAT probes: the first port taken, the second is used. */
	rk = key_of(fn.be, fn.src, IPPROTO_TCP);
	if (!ASSERT_OK(occupy(rk), "occupy fullNAT first port"))
		return false;
	fl_probe = fn;
	fl_probe.src.port =
	    fx_snat_port(fn.cl.ip, fn.vip.ip, fn.cl.port, 80, IPPROTO_TCP, 1);
	/* Every probe taken: exhausted. */
	for (i = 0; i < BATON_SNAT_TRIES; i++) {
		rk = key_of(ex.be, ex.src, IPPROTO_TCP);
		rk.dport = htons(fx_snat_port(ex.cl.ip, ex.vip.ip, ex.cl.port,
					      80, IPPROTO_TCP, i));
		ret = occupy(rk);
		if (ret && ret != -EEXIST) /* two probes may share a port */
			return ASSERT_OK(ret, "occupy fullNAT ports");
	}
	struct row rows[] = {
	    {"DNAT reply tuple owned by another flow: DROP_CT_COLLISION",
	     .in = tcp(H_CLIENT, dn.cl, dn.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_CT_COLLISION,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	    {"fullNAT first source port taken: the next probe is used",
	     .in = tcp(H_CLIENT, fn.cl, fn.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(h_to_be(fl_probe.be.ip), fl_probe.src, fl_probe.be, SYN,
			1, 0, 0),
	     .stats = S_NEW, .state = CT_STATE_SYN_SENT,
	     .check = check_nat_pair, .arg = &fl_probe},
	    {"fullNAT every probed port taken: DROP_SNAT_EXHAUSTED",
	     .in = tcp(H_CLIENT, ex.cl, ex.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_SHOT, .drop = DROP_SNAT_EXHAUSTED,
	     .stats = S_DROP_SLOW, .state = CT_ABSENT},
	};

	return RUN_ROWS(rows);
}

/*
 * Two CPUs take the first packet of a flow to the slow path at once; the
 * second finds the flow created when it inserts. Replayed here by sending
 * the SYN through the fast path (first CPU) and then straight into the slow
 * path (second CPU, which missed conntrack before the first inserted).
 * The second CPU must follow the pair, not undo the first CPU's reply half
 * (it used to: its EEXIST path deleted a reply half it had only replaced).
 */
static bool test_racing_first_packets_keep_the_pair(void)
{
	struct nat_flow fl = nat_flow(SVC_TCP, 53000, -1);
	struct hop tb = h_to_be(fl.be.ip), fb = h_from_be(fl.be.ip);
	struct row rows[] = {
	    {"first CPU: SYN creates the pair",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, SYN, 1, 0, 0), .stats = S_NEW,
	     .state = CT_STATE_SYN_SENT},
	    {"second CPU: the same SYN in the slow path follows the pair",
	     .prog = P_SLOW, .in = tcp(H_CLIENT, fl.cl, fl.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, SYN, 1, 0, 0),
	     .stats = BIT(ST_SLOW) | BIT(ST_FWD_FIB),
	     .state = CT_STATE_SYN_SENT},
	    {"the backend's SYN-ACK is de-NATed", .via = BACK,
	     .in = tcp(fb, fl.be, fl.src, SYN | ACK, 9, 2, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(H_TO_CLIENT, fl.vip, fl.cl, SYN | ACK, 9, 2, 0),
	     .stats = S_HIT, .state = CT_STATE_SYN_RECV, .event = CT_EV_STATE},
	};

	return RUN_ROWS(rows);
}

static bool test_fib_lookup_needs_ingress_ifindex(void)
{
	struct nat_flow fl = nat_flow(SVC_TCP, 54000, -1);
	struct hop tb = h_to_be(fl.be.ip);
	/* Translated but not routed: no TTL decrement, MACs as received. */
	struct hop stack = H_CLIENT;
	struct row rows[] = {
	    {"ingress_ifindex 0: fib lookup fails, translated packet to "
	     "the stack",
	     .no_iif = true, .in = tcp(H_CLIENT, fl.cl, fl.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_OK,
	     .out = tcp(stack, fl.src, fl.be, SYN, 1, 0, 0),
	     .stats = BIT(ST_TC_RX) | BIT(ST_SLOW) | BIT(ST_NEW_FLOW) |
		      BIT(ST_FWD_STACK),
	     .state = CT_STATE_SYN_SENT},
	    {"ingress_ifindex of front: routed and redirected",
	     .in = tcp(H_CLIENT, fl.cl, fl.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(tb, fl.src, fl.be, SYN, 1, 0, 0), .stats = S_HIT,
	     .state = CT_STATE_SYN_SENT},
	};

	return RUN_ROWS(rows);
}

static bool test_expiring_ttl_is_left_to_the_stack(void)
{
	struct nat_flow fl = nat_flow(SVC_TCP, 55000, -1);
	struct row rows[] = {
	    {"TTL 1: translated, not routed, handed to the stack",
	     .in = tcp(with_ttl(H_CLIENT, 1), fl.cl, fl.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_OK,
	     .out = tcp(with_ttl(H_CLIENT, 1), fl.src, fl.be, SYN, 1, 0, 0),
	     .stats = BIT(ST_TC_RX) | BIT(ST_SLOW) | BIT(ST_NEW_FLOW) |
		      BIT(ST_FWD_STACK),
	     .state = CT_STATE_SYN_SENT},
	    {"TTL 2: routed with TTL 1",
	     .in = tcp(with_ttl(H_CLIENT, 2), fl.cl, fl.vip, SYN, 1, 0, 0),
	     .verdict = TC_ACT_REDIRECT,
	     .out = tcp(with_ttl(h_to_be(fl.be.ip), 1), fl.src, fl.be, SYN, 1,
			0, 0),
	     .stats = S_HIT, .state = CT_STATE_SYN_SENT},
	};

	return RUN_ROWS(rows);
}

static bool test_empty_slow_path_slot_hands_to_stack(void)
{
	struct ep cl = ep(FX_CLIENT, 56000), vip = ep(VIP_NAT, 80);
	__u32 k = BATON_PGM_SLOW;
	struct row rows[] = {
	    {"SYN to the VIP with pgm_tbl empty: to the stack, counted",
	     .in = tcp(H_CLIENT, cl, vip, SYN, 1, 0, 0), .verdict = TC_ACT_OK,
	     .stats = BIT(ST_TC_RX) | BIT(ST_TAILCALL_FAIL),
	     .state = CT_ABSENT},
	};
	bool ok;

	if (!ASSERT_OK(bpf_map_delete_elem(fx.pgm_fd, &k) ? -errno : 0,
		       "empty pgm_tbl"))
		return false;
	ok = RUN_ROWS(rows);
	ok &= ASSERT_OK(
	    bpf_map_update_elem(fx.pgm_fd, &k, &fx.prog_slow, 0) ? -errno : 0,
	    "restore pgm_tbl");
	return ok;
}

static bool test_xdp_drops_only_malformed_l3(void)
{
	struct ep cl = ep(FX_CLIENT, 57000), vip = ep(VIP_NAT, 80);
	struct pkt syn = tcp(H_CLIENT, cl, vip, SYN, 1, 0, 0);
	struct pkt runt = syn;
	struct pkt_spec arp = {.dmac = fx_mac_front,
			       .smac = fx_mac_client,
			       .ethertype = 0x0806,
			       .payload_len = 28};

	runt.len = 14 + 10;
	struct row rows[] = {
	    {"valid SYN to the VIP: XDP_PASS", .prog = P_XDP, .in = syn,
	     .verdict = XDP_PASS, .stats = S_XDP_PASS},
	    {"ARP: XDP_PASS", .prog = P_XDP, .in = mk(&arp),
	     .verdict = XDP_PASS, .stats = S_XDP_PASS},
	    {"IPv4 with version 6: XDP_DROP", .prog = P_XDP,
	     .in = patch_ip(syn, 0x65, 0, 0), .verdict = XDP_DROP,
	     .drop = DROP_MALFORMED_L3, .stats = S_XDP_DROP},
	    {"IHL 4: XDP_DROP", .prog = P_XDP, .in = patch_ip(syn, 0x44, 0, 0),
	     .verdict = XDP_DROP, .drop = DROP_MALFORMED_L3,
	     .stats = S_XDP_DROP},
	    {"total length < IHL: XDP_DROP", .prog = P_XDP,
	     .in = patch_ip(syn, 0, 0, 12), .verdict = XDP_DROP,
	     .drop = DROP_MALFORMED_L3, .stats = S_XDP_DROP},
	    {"truncated header: XDP_PASS (TC can pull and decide)",
	     .prog = P_XDP, .in = runt, .verdict = XDP_PASS,
	     .stats = S_XDP_PASS},
	    {"TCP header longer than the total length: XDP_DROP", .prog = P_XDP,
	     .in = truncate_l4(syn, 10, 0), .verdict = XDP_DROP,
	     .drop = DROP_MALFORMED_L4, .stats = S_XDP_DROP},
	    {"TCP header past the frame end but within the total length: "
	     "XDP_PASS (it may continue in a fragment buffer; TC decides)",
	     .prog = P_XDP, .in = cut_frame(syn, 14 + 20 + 10),
	     .verdict = XDP_PASS, .stats = S_XDP_PASS},
	};

	return RUN_ROWS(rows) &&
	       ASSERT_EQ(fx_ct_count(&fx), 0, "XDP creates no state");
}

/* ---- main ---------------------------------------------------------------- */

struct test {
	const char *name;
	bool (*fn)(void);
};

#define T(fn)                                                                  \
	{                                                                      \
#fn, fn                                                        \
	}
static const struct test tests[] = {
    T(test_dnat_tcp_lifecycle),
    T(test_fullnat_tcp_lifecycle),
    T(test_dsr_tcp_lifecycle),
    T(test_maglev_choice_matches_user_space),
    T(test_fullnat_least_connections),
    T(test_fullnat_ports_from_this_nodes_share),
    T(test_wrr_follows_schedule),
    T(test_dnat_udp_request_reply),
    T(test_fullnat_udp_request_reply),
    T(test_dsr_udp_established_at_once),
    T(test_udp_zero_checksum_stays_zero),
    T(test_dnat_icmp_echo),
    T(test_icmp_other_than_echo_request),
    T(test_traffic_not_for_a_vip_passes_unchanged),
    T(test_fullnat_reply_without_conntrack_is_dropped),
    T(test_asym_forward_node_establishes_one_way),
    T(test_asym_reply_node_denats_without_conntrack),
    T(test_asym_replies_do_not_take_a_flow_over),
    T(test_idle_flow_is_announced_again),
    T(test_reset_backend_flow_is_closed_and_reported),
    T(test_reused_tuple_of_a_down_backend_is_a_new_flow),
    T(test_malformed_packets_are_dropped_with_reason),
    T(test_ip_options_are_skipped_and_kept),
    T(test_fragments_to_a_vip),
    T(test_tcp_without_conntrack_is_dropped),
    T(test_service_without_active_backend_drops),
    T(test_inconsistent_service_is_dropped),
    T(test_incomplete_next_hops),
    T(test_full_ct_refuses_new_flows_keeps_established),
    T(test_reply_tuple_collisions),
    T(test_racing_first_packets_keep_the_pair),
    T(test_fib_lookup_needs_ingress_ifindex),
    T(test_expiring_ttl_is_left_to_the_stack),
    T(test_empty_slow_path_slot_hands_to_stack),
    T(test_xdp_drops_only_malformed_l3),
};

static bool selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

/* Small, so the full-table test fills it quickly. */
#define TEST_CT_MAX 256

int main(int argc, char **argv)
{
	int failed = 0, run = 0, ret;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("SKIP: needs root (BPF_PROG_TEST_RUN, netns)\n");
		return SKIP;
	}
	ret = fx_netns_setup();
	if (ret) {
		printf("SKIP: cannot build the test namespace (%s)\n",
		       strerror(-ret));
		return SKIP;
	}
	ret = fx_open(&fx, TEST_CT_MAX);
	if (ret == -EPERM) {
		printf("SKIP: not allowed to load BPF programs\n");
		return SKIP;
	}
	if (ret) {
		fprintf(stderr, "cannot load the datapath: %s\n",
			strerror(-ret));
		return 1;
	}
	ret = setup_services();
	if (ret) {
		fprintf(stderr, "cannot program services: %s\n",
			strerror(-ret));
		fx_close(&fx);
		return 1;
	}

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		bool ok;

		if (!selected(tests[i].name, argc, argv))
			continue;
		snprintf(check_ctx, sizeof(check_ctx), "%s (reset)",
			 tests[i].name);
		ret = fx_reset(&fx);
		if (ret) {
			fprintf(stderr, "reset before %s: %s\n", tests[i].name,
				strerror(-ret));
			failed++;
			break;
		}
		snprintf(check_ctx, sizeof(check_ctx), "%s", tests[i].name);
		ok = tests[i].fn();
		run++;
		printf("%s %s\n", ok ? "ok    " : "FAILED", tests[i].name);
		failed += !ok;
	}
	printf("%d test(s), %d failed, %d known datapath bug row(s) XFAIL\n",
	       run, failed, n_xfail);
	fx_close(&fx);
	return failed ? 1 : 0;
}
