// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_datapath.c - random and mutated packets through the datapath under
 * BPF_PROG_TEST_RUN, every one of them judged by an oracle.
 *
 * Each generated frame runs through xdp_packet_func and then through
 * tc_packet_func on the interface it would arrive on (front: client side,
 * back: backend side), in the fixture's namespace (fixture.h). Generators:
 *   random  - random bytes, 0..200 long and sometimes up to 1500, often
 *             with the interface's MAC, the IPv4 ethertype, a plausible
 *             version/IHL or addresses of the test topology;
 *   mutated - pkt_build() packets to and from the VIPs, backends and the
 *             SNAT address (random flags, ports, ids, options, TTLs,
 *             fragments), then bit flips, truncation, overwrites, wrong
 *             IHL / total length / data offset, bad or fixed checksums;
 *   flow    - 256 connections (TCP, UDP, ICMP echo, on every mode) driven
 *             through handshakes, data, FIN, RST and tuple reuse, the
 *             backend's side addressed from the flow's conntrack entry,
 *             some of it lightly mutated;
 *   flood   - SYNs and datagrams from fresh tuples that fill conntrack
 *             (every third phase), so that DROP_CT_FULL and the full
 *             table's other paths are reached; every other time with
 *             this node's share of fullNAT ports narrowed to 1/64 and
 *             fullNAT services only, so that the ports run out first
 *             (DROP_SNAT_EXHAUSTED).
 * Between phases (20000 frames) conntrack is emptied; within a phase the
 * configuration changes under the flows: asymmetric return path on/off
 * (rnat_v4_map programmed from the services), backends being reset
 * on/off, backends taken out of and back into service, the fullNAT port
 * share.
 *
 * The oracle, for every frame:
 *  1. Drops: drop_stats (summed over CPUs, read after each program run)
 *     grows by exactly one, under a reason in 1..DROP_MAX-1, for each
 *     XDP_DROP / TC_ACT_SHOT, and not at all otherwise. The reason must be
 *     the one the parse contract of bpf/lib/parse.h gives for a bad
 *     header (XDP drops bad headers and passes short ones, TC drops both,
 *     TC leaves frames for another host's MAC alone), or one the frame
 *     can meet: a service at its tuple for the slow path's drops, a table
 *     at most one entry short of full for DROP_CT_FULL (sampled), another
 *     flow on the reply tuple for DROP_CT_COLLISION and on all eight
 *     probed ones for DROP_SNAT_EXHAUSTED, a fullNAT port for
 *     DROP_SNAT_NO_CT, the asymmetric mode and a shared backend for
 *     DROP_RNAT_AMBIGUOUS, a flow of a backend being reset for
 *     DROP_CT_RESET. A frame of a flow or to a service or fullNAT port is
 *     never handed to the stack untouched.
 *  2. Translations: a frame TC lets through changed, or redirects, must be
 *     the input rewritten by the conntrack entry its tuple has after the
 *     run (or, with no entry, by rnat_v4_map on the asymmetric path), and
 *     that entry must agree with the services programmed here and with
 *     the other half of its pair: client -> VIP goes to a configured
 *     backend of that service at the backend port (for a new flow the one
 *     Maglev picks, and one in service), DNAT keeps the client source,
 *     fullNAT uses the SNAT address and one of the source ports this node
 *     may probe, replies go back from VIP:port to the client, DSR keeps
 *     every byte but the MACs. Only the addresses, ports, checksums, TTL
 *     (decremented when routed) and MACs (those of the topology's
 *     neighbour) may differ from the input; payload, options and padding
 *     are byte-identical. When the input's checksums verify, the output's
 *     are those a computation from scratch gives; when they do not, they
 *     are off by exactly as much (the datapath updates incrementally). A
 *     UDP checksum is 0 after exactly when it was 0 before. An entry
 *     that carried a frame counted it (packets + 1, bytes + length); an
 *     existing flow's translation never changes, and a flow is forgotten
 *     or made anew only by a bare SYN on a closing tuple whose backend
 *     left service.
 *  3. Verdicts are TC_ACT_OK / SHOT / REDIRECT and XDP_PASS / DROP; XDP
 *     never changes a frame; BPF_PROG_TEST_RUN fails only where the kernel
 *     refuses the frame (shorter than Ethernet; for TC an IPv4 frame
 *     shorter than 34 bytes or IPv6 shorter than 54).
 * Every 8192 frames, and before each clear, the whole table is audited:
 * every entry as in 2. (pairs point at each other, carry the same state
 * and FIN flags), and each backend's be_stats_map.active equals its
 * forward entries carrying CT_F_COUNTED.
 *
 * What the oracle knows about the datapath is the parse contract, the
 * topology and the services: it reads translations from the maps, it
 * never recomputes them. A control run against deliberately broken
 * datapaths (checksum, count, translation, Maglev, TTL, MAC, parse,
 * rollback and accounting faults) found each of them.
 *
 * Usage: fuzz_datapath [--packets N] [--seed S] [--seconds T] [--trace I]
 *   --packets N  frames to generate (default 2000000)
 *   --seed S     PRNG seed (default: from the clock; printed first)
 *   --seconds T  stop after T seconds (default 50 unless --packets is
 *                given, 0: no limit), so that CI stays bounded
 *   --trace I    describe every frame from index I on
 * A violation prints the seed, the frame's index and a hex dump of input
 * and output; `--seed S --packets I+1` replays the run up to that frame.
 * Exit 0: no violation, 1: violations, 77: skipped (not root, no netns,
 * no BPF).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
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
#include "fixture.h"
#include "pktgen.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SKIP 77

#define FZ_BUF 2048	     /* frames up to 1514 bytes */
#define FZ_MAX_FRAME 1500    /* longest random frame */
#define FZ_CT_MAX 4096	     /* small: floods fill it in a few ms */
#define FZ_PHASE 20000	     /* frames between conntrack clears */
#define FZ_FILL_EVERY 3	     /* every third phase fills conntrack */
#define FZ_TOGGLE_EVERY 2048 /* frames between configuration changes */
#define FZ_AUDIT_EVERY 8192  /* frames between audits of the table */
#define FZ_NFLOWS 256
#define FZ_DEFAULT_PACKETS 2000000
#define FZ_DEFAULT_SECONDS 50
#define FZ_MAX_REPORTS 10 /* violations printed in full */
/* Written into ct_v4_entry.sync_gen (which the datapath never reads or
 * writes) of an entry before a frame hits it: still there afterwards
 * means the entry was updated in place, gone means it was made anew. */
#define FZ_MARK 0xf022

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_ARP 0x0806

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

static struct fixture fx;

static const char *const drop_name[] = {
    "DROP_NONE",	 "DROP_MALFORMED_L2", "DROP_MALFORMED_L3",
    "DROP_MALFORMED_L4", "DROP_FRAGMENT",     "DROP_NO_BACKEND",
    "DROP_CT_FULL",	 "DROP_TCP_NO_CT",    "DROP_SNAT_EXHAUSTED",
    "DROP_BAD_SERVICE",	 "DROP_REDIRECT",     "DROP_ICMP_TYPE",
    "DROP_CT_COLLISION", "DROP_SNAT_NO_CT",   "DROP_RNAT_AMBIGUOUS",
    "DROP_CT_RESET",
};
_Static_assert(ARRAY_SIZE(drop_name) == DROP_MAX, "a name per drop reason");

/* ---- PRNG: splitmix64, one stream for the whole run ---------------------- */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static uint32_t rnd(uint32_t n)
{
	return (uint32_t)(((rnd64() & 0xffffffffull) * n) >> 32);
}

/* True with probability pct / 100. */
static bool chance(uint32_t pct)
{
	return rnd(100) < pct;
}

/* ---- services ------------------------------------------------------------ */

#define VIP_NAT "10.0.0.100"   /* DNAT: tcp/80, udp/53, icmp */
#define VIP_FN "10.0.0.101"    /* fullNAT: tcp/80 lc, udp/53, icmp, tcp/443 */
#define VIP_DSR "10.0.0.102"   /* DSR: tcp/80, udp/53 */
#define VIP_NONE "10.0.0.103"  /* nothing selectable, inconsistent */
#define VIP_WRR "10.0.0.104"   /* DNAT wrr tcp/80, lc udp/53 */
#define VIP_FAR "10.0.0.106"   /* backends without neighbour or route */
#define BE_NONEIGH "10.1.0.13" /* on the back subnet, no neighbour entry */
#define BE_NOROUTE "192.0.2.1" /* no route in the namespace */
#define CL_NONEIGH "10.0.0.7"  /* client on the front subnet, no neighbour */
#define CL_NOROUTE "198.51.100.9"

enum {
	SV_TCP,
	SV_UDP,
	SV_ICMP,
	SV_FN_TCP,
	SV_FN_UDP,
	SV_FN_ICMP,
	SV_FN_WRR,
	SV_DSR_TCP,
	SV_DSR_UDP,
	SV_WRR,
	SV_LC_UDP,
	SV_EMPTY,
	SV_NO_SNAT,
	SV_NONEIGH,
	SV_DSR_NONEIGH,
	SV_NOROUTE,
	SV_N
};

#define BE2(p)                                                                 \
	.nbe = 2, .be = {{FX_BE1, (p), 1, false}, {FX_BE2, (p), 1, false}}

#define SVC(id_, vip_, port_, proto_, mode_, algo_, snat_)                     \
	.vip = (vip_), .port = (port_), .proto = (proto_), .svc_id = (id_),    \
	.mode = (mode_), .algo = (algo_), .snat = (snat_)

static const struct fx_service services[SV_N] = {
    [SV_TCP] = {SVC(SV_TCP, VIP_NAT, 80, IPPROTO_TCP, BATON_MODE_DNAT,
		    BATON_ALGO_MAGLEV, NULL),
		BE2(8080)},
    [SV_UDP] = {SVC(SV_UDP, VIP_NAT, 53, IPPROTO_UDP, BATON_MODE_DNAT,
		    BATON_ALGO_MAGLEV, NULL),
		BE2(5353)},
    [SV_ICMP] = {SVC(SV_ICMP, VIP_NAT, 0, IPPROTO_ICMP, BATON_MODE_DNAT,
		     BATON_ALGO_MAGLEV, NULL),
		 BE2(0)},
    [SV_FN_TCP] = {SVC(SV_FN_TCP, VIP_FN, 80, IPPROTO_TCP, BATON_MODE_FULLNAT,
		       BATON_ALGO_LC, FX_SNAT),
		   BE2(8080)},
    [SV_FN_UDP] = {SVC(SV_FN_UDP, VIP_FN, 53, IPPROTO_UDP, BATON_MODE_FULLNAT,
		       BATON_ALGO_MAGLEV, FX_SNAT),
		   BE2(5353)},
    [SV_FN_ICMP] = {SVC(SV_FN_ICMP, VIP_FN, 0, IPPROTO_ICMP, BATON_MODE_FULLNAT,
			BATON_ALGO_MAGLEV, FX_SNAT),
		    BE2(0)},
    [SV_FN_WRR] = {SVC(SV_FN_WRR, VIP_FN, 443, IPPROTO_TCP, BATON_MODE_FULLNAT,
		       BATON_ALGO_WRR, FX_SNAT),
		   .nbe = 2,
		   .be = {{FX_BE1, 8443, 3, false}, {FX_BE2, 8443, 1, false}}},
    [SV_DSR_TCP] = {SVC(SV_DSR_TCP, VIP_DSR, 80, IPPROTO_TCP, BATON_MODE_DSR,
			BATON_ALGO_MAGLEV, NULL),
		    BE2(80)},
    [SV_DSR_UDP] = {SVC(SV_DSR_UDP, VIP_DSR, 53, IPPROTO_UDP, BATON_MODE_DSR,
			BATON_ALGO_MAGLEV, NULL),
		    BE2(53)},
    [SV_WRR] = {SVC(SV_WRR, VIP_WRR, 80, IPPROTO_TCP, BATON_MODE_DNAT,
		    BATON_ALGO_WRR, NULL),
		.nbe = 2,
		.be = {{FX_BE1, 8081, 2, false}, {FX_BE2, 8081, 1, false}}},
    /* Shares its backends' udp/5353 with SV_UDP: a reply without conntrack
     * cannot tell which VIP it belongs to (DROP_RNAT_AMBIGUOUS). */
    [SV_LC_UDP] = {SVC(SV_LC_UDP, VIP_WRR, 53, IPPROTO_UDP, BATON_MODE_DNAT,
		       BATON_ALGO_LC, NULL),
		   BE2(5353)},
    [SV_EMPTY] = {SVC(SV_EMPTY, VIP_NONE, 80, IPPROTO_TCP, BATON_MODE_DNAT,
		      BATON_ALGO_MAGLEV, NULL),
		  .nbe = 2,
		  .be = {{FX_BE1, 8080, 0, false}, {FX_BE2, 8080, 0, false}}},
    [SV_NO_SNAT] = {SVC(SV_NO_SNAT, VIP_NONE, 81, IPPROTO_TCP,
			BATON_MODE_FULLNAT, BATON_ALGO_MAGLEV, NULL),
		    BE2(8080)},
    [SV_NONEIGH] = {SVC(SV_NONEIGH, VIP_FAR, 80, IPPROTO_TCP, BATON_MODE_DNAT,
			BATON_ALGO_MAGLEV, NULL),
		    .nbe = 1, .be = {{BE_NONEIGH, 8080, 1, false}}},
    [SV_DSR_NONEIGH] = {SVC(SV_DSR_NONEIGH, VIP_FAR, 81, IPPROTO_TCP,
			    BATON_MODE_DSR, BATON_ALGO_MAGLEV, NULL),
			.nbe = 1, .be = {{BE_NONEIGH, 81, 1, false}}},
    [SV_NOROUTE] = {SVC(SV_NOROUTE, VIP_FAR, 82, IPPROTO_UDP, BATON_MODE_DNAT,
			BATON_ALGO_MAGLEV, NULL),
		    .nbe = 1, .be = {{BE_NOROUTE, 8080, 1, false}}},
};

/* The services as programmed now (backends go in and out of service). */
static struct fx_service cur[SV_N];
static uint32_t vip_ip[SV_N], snat_ip[SV_N], be_ip[SV_N][4];

/* The configuration toggled during a run. */
static struct {
	bool asym;
	bool reset;
	bool reset_be[SV_N][4];
	uint16_t snat_slot, snat_slots;
} conf;

/* Addresses of the topology (network order), filled at start. */
static uint32_t a_client, a_cl_noneigh, a_cl_noroute, a_front, a_back, a_snat,
    a_be1, a_be2, a_be_noneigh, a_be_noroute;

static int find_service(uint32_t daddr, uint16_t port_be, uint8_t proto)
{
	uint16_t port = proto == IPPROTO_ICMP ? 0 : ntohs(port_be);
	int i;

	for (i = 0; i < SV_N; i++)
		if (vip_ip[i] == daddr && cur[i].port == port &&
		    cur[i].proto == proto)
			return i;
	return -1;
}

/* A backend new flows may take: active with a weight. */
static bool be_selectable(int s, unsigned int id)
{
	return id < cur[s].nbe && !cur[s].be[id].inactive &&
	       cur[s].be[id].weight;
}

static bool svc_has_selectable(int s)
{
	unsigned int i;

	for (i = 0; i < cur[s].nbe; i++)
		if (be_selectable(s, i))
			return true;
	return false;
}

/* ---- frames and the oracle's view of them -------------------------------- */

struct frame {
	size_t len;
	uint8_t data[FZ_BUF];
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/*
 * How bpf/lib/parse.h's contract classifies a frame: P_BAD_* is a header
 * no host would accept (XDP and TC drop it), P_SHORT_* one that runs past
 * the frame (XDP passes it on, TC drops it, as test_run skbs are linear).
 */
enum pclass {
	P_RUNT,	 /* shorter than Ethernet */
	P_NOTIP, /* not IPv4: the stack's business */
	P_BAD_L3,
	P_SHORT_L3,
	P_BAD_L4,
	P_SHORT_L4,
	P_OK,
};

struct view {
	enum pclass cls;
	bool tot_beyond; /* total length runs past the frame */
	uint16_t ethertype;
	size_t l4;	  /* offset of the L4 header */
	unsigned int ihl; /* IPv4 header bytes */
	uint16_t tot;	  /* IPv4 total length */
	uint8_t proto;
	uint8_t ttl;
	uint8_t frag; /* 0, FRAG_FIRST, FRAG_LATER */
	uint8_t tcp_flags;
	uint8_t icmp_type;
	bool l4_ok;	      /* L4 header complete */
	bool tracked;	      /* TCP, UDP or ICMP echo; not a fragment */
	size_t csum_off;      /* TCP/UDP checksum offset, 0 if none */
	struct ct_v4_key key; /* as the datapath builds it */
};

#define FRAG_FIRST 1
#define FRAG_LATER 2

static void parse(const struct frame *f, struct view *v)
{
	const uint8_t *d = f->data, *ip = d + ETH_HLEN;
	uint16_t frag;
	size_t room;

	memset(v, 0, sizeof(*v));
	if (f->len < ETH_HLEN) {
		v->cls = P_RUNT;
		return;
	}
	v->ethertype = rd16(d + 12);
	v->cls = P_NOTIP;
	if (v->ethertype != ETHERTYPE_IPV4)
		return;
	v->cls = P_SHORT_L3;
	if (f->len < ETH_HLEN + 20)
		return;
	v->cls = P_BAD_L3;
	if (ip[0] >> 4 != 4 || (ip[0] & 0xf) < 5)
		return;
	v->ihl = (ip[0] & 0xfu) * 4;
	v->tot = rd16(ip + 2);
	if (v->tot < v->ihl)
		return;
	v->tot_beyond = ETH_HLEN + (size_t)v->tot > f->len;
	v->l4 = ETH_HLEN + v->ihl;
	v->proto = ip[9];
	v->ttl = ip[8];
	memcpy(&v->key.saddr, ip + 12, 4);
	memcpy(&v->key.daddr, ip + 16, 4);
	v->key.proto = v->proto;
	frag = rd16(ip + 6);
	v->frag = frag & 0x1fff ? FRAG_LATER : frag & 0x2000 ? FRAG_FIRST : 0;
	v->cls = P_OK;
	if (v->frag == FRAG_LATER)
		return;
	if (v->l4 > f->len) {
		v->cls = P_SHORT_L3;
		return;
	}
	room = v->tot - v->ihl;
	switch (v->proto) {
	case IPPROTO_TCP:
		if (room < 20)
			v->cls = P_BAD_L4;
		else if (v->l4 + 20 > f->len)
			v->cls = P_SHORT_L4;
		else if (d[v->l4 + 12] >> 4 < 5)
			v->cls = P_BAD_L4;
		if (v->cls != P_OK)
			return;
		memcpy(&v->key.sport, d + v->l4, 2);
		memcpy(&v->key.dport, d + v->l4 + 2, 2);
		v->tcp_flags = d[v->l4 + 13];
		v->csum_off = v->l4 + 16;
		break;
	case IPPROTO_UDP:
		if (room < 8)
			v->cls = P_BAD_L4;
		else if (v->l4 + 8 > f->len)
			v->cls = P_SHORT_L4;
		if (v->cls != P_OK)
			return;
		memcpy(&v->key.sport, d + v->l4, 2);
		memcpy(&v->key.dport, d + v->l4 + 2, 2);
		v->csum_off = v->l4 + 6;
		break;
	case IPPROTO_ICMP:
		if (room < 8)
			v->cls = P_BAD_L4;
		else if (v->l4 + 8 > f->len)
			v->cls = P_SHORT_L4;
		if (v->cls != P_OK)
			return;
		v->icmp_type = d[v->l4];
		if (v->icmp_type == ICMP_ECHO || v->icmp_type == ICMP_ECHOREPLY)
			memcpy(&v->key.sport, d + v->l4 + 4, 2);
		break;
	default:
		return;
	}
	v->l4_ok = true;
	v->tracked = !v->frag &&
		     (v->proto != IPPROTO_ICMP || v->icmp_type == ICMP_ECHO ||
		      v->icmp_type == ICMP_ECHOREPLY);
}

/* What TC's parse makes of a frame that is not for another host: the drop
 * reason it must count, or 0 for none of the malformed ones. */
static uint32_t tc_malformed(const struct view *v)
{
	switch (v->cls) {
	case P_BAD_L3:
	case P_SHORT_L3:
		return DROP_MALFORMED_L3;
	case P_BAD_L4:
	case P_SHORT_L4:
		return DROP_MALFORMED_L4;
	case P_OK:
		return v->tot_beyond ? DROP_MALFORMED_L3 : 0;
	default:
		return 0;
	}
}

static uint32_t xdp_malformed(const struct view *v)
{
	if (v->cls == P_BAD_L3)
		return DROP_MALFORMED_L3;
	if (v->cls == P_BAD_L4)
		return DROP_MALFORMED_L4;
	return 0;
}

/* ---- checksums ----------------------------------------------------------- */

/* One's complement sums, checksum field included, with +0 and -0 taken as
 * the same number: a correct checksum gives 0xffff, and an incremental
 * update keeps whatever the sum was. */
static uint16_t norm(uint16_t s)
{
	return s ? s : 0xffff;
}

static uint16_t ip_sum(const struct frame *f, const struct view *v)
{
	return norm(pkt_csum_fold(f->data + ETH_HLEN, v->ihl, 0));
}

/* Pseudo header and segment (up to the total length, not the padding). */
static uint16_t l4_sum(const struct frame *f, const struct view *v)
{
	const uint8_t *ip = f->data + ETH_HLEN;
	uint32_t len = (uint32_t)(v->tot - v->ihl), sum;

	sum = (uint32_t)rd16(ip + 12) + rd16(ip + 14) + rd16(ip + 16) +
	      rd16(ip + 18) + v->proto + len;
	return norm(pkt_csum_fold(f->data + v->l4, len, sum));
}

/* A checksum field as a from-scratch computation would write it. */
static uint16_t scratch_csum(struct frame *f, const struct view *v, bool l4)
{
	size_t off = l4 ? v->csum_off : ETH_HLEN + 10;
	uint16_t saved = rd16(f->data + off), s;

	wr16(f->data + off, 0);
	s = l4 ? l4_sum(f, v) : ip_sum(f, v);
	wr16(f->data + off, saved);
	/* norm() made an all-zero sum 0xffff; the field is its complement. */
	return (uint16_t)~s;
}

static void fix_ip_csum(struct frame *f)
{
	size_t ihl;

	if (f->len < ETH_HLEN + 20)
		return;
	ihl = (size_t)(f->data[ETH_HLEN] & 0xf) * 4;
	if (ihl < 20 || ETH_HLEN + ihl > f->len)
		return;
	wr16(f->data + ETH_HLEN + 10, 0);
	wr16(f->data + ETH_HLEN + 10,
	     (uint16_t)~pkt_csum_fold(f->data + ETH_HLEN, ihl, 0));
}

static void fix_l4_csum(struct frame *f)
{
	struct view v;
	uint16_t c;

	parse(f, &v);
	if (v.cls != P_OK || v.tot_beyond || !v.csum_off)
		return;
	c = scratch_csum(f, &v, true);
	if (v.proto == IPPROTO_UDP && !c)
		c = 0xffff;
	wr16(f->data + v.csum_off, c);
}

/* ---- running the programs ------------------------------------------------ */

static int run_prog(int prog, int ifindex, const struct frame *in,
		    struct frame *out, uint32_t *retval)
{
	struct __sk_buff ctx = {
	    .ifindex = (__u32)ifindex,
	    .ingress_ifindex = (__u32)ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data,
		    .data_size_in = (__u32)in->len, .data_out = out->data,
		    .data_size_out = sizeof(out->data), .repeat = 1);

	if (ifindex) {
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
	}
	if (bpf_prog_test_run_opts(prog, &opts))
		return -errno;
	out->len = opts.data_size_out;
	*retval = opts.retval;
	return 0;
}

/* drop_stats summed over CPUs, all reasons with one syscall. */
static int read_drops(uint64_t *sum)
{
	static uint64_t *vals;
	__u32 keys[DROP_MAX], count = DROP_MAX, out_batch = 0, i;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int c;

	if (!vals) {
		vals =
		    calloc((size_t)DROP_MAX * (size_t)fx.ncpu, sizeof(*vals));
		if (!vals)
			return -ENOMEM;
	}
	if (bpf_map_lookup_batch(fx.drop_fd, NULL, &out_batch, keys, vals,
				 &count, &opts) &&
	    errno != ENOENT)
		return -errno;
	if (count != DROP_MAX)
		return -EIO;
	for (i = 0; i < DROP_MAX; i++) {
		sum[keys[i]] = 0;
		for (c = 0; c < fx.ncpu; c++)
			sum[keys[i]] += vals[(size_t)i * (size_t)fx.ncpu + c];
	}
	return 0;
}

static int ct_get(const struct ct_v4_key *k, struct ct_v4_entry *e)
{
	return bpf_map_lookup_elem(fx.ct_fd, k, e) ? -errno : 0;
}

/* ---- figures ------------------------------------------------------------- */

enum { G_RANDOM, G_MUTATED, G_FLOW, G_FLOOD, G_N };
static const char *const gen_name[G_N] = {"random", "mutated", "flow", "flood"};

static struct {
	uint64_t frames, by_gen[G_N];
	uint64_t refused_xdp, refused_tc;
	uint64_t xdp_runs, xdp_pass, xdp_drop;
	uint64_t tc_runs, tc_front, tc_back, tc_otherhost;
	uint64_t tc_ok_same, tc_ok_xlat, tc_shot, tc_redir, tc_redir_same;
	uint64_t drop_xdp[DROP_MAX], drop_tc[DROP_MAX];
	uint64_t xlat_fwd, xlat_rev, xlat_dsr, xlat_rnat;
	uint64_t new_entries, ct_clears, fills, fills_full;
	uint64_t bad_csum_in;
	uint64_t toggles, events, audits;
	uint64_t violations;
} st;

/* ---- the frame being judged, for failure reports ------------------------- */

static struct {
	uint64_t seed;
	uint64_t idx;
	int gen;
	const char *prog;
	const char *iface;
	const struct frame *in;
	const struct frame *out;
	uint32_t verdict;
	bool printed;
} cx;

static uint64_t trace_from = UINT64_MAX;

static void describe(const char *tag, const struct frame *f)
{
	struct pkt p;
	char desc[320];

	if (f->len <= sizeof(p.data)) {
		memcpy(p.data, f->data, f->len);
		p.len = f->len;
		pkt_describe(&p, desc, sizeof(desc));
	} else {
		snprintf(desc, sizeof(desc), "%zu bytes", f->len);
	}
	fprintf(stderr, "      %s %s\n", tag, desc);
}

static void hexdiff(const struct frame *a, const struct frame *b)
{
	size_t n = a->len > b->len ? a->len : b->len, i, j;

	fprintf(stderr, "      off   input%44soutput\n", "");
	for (i = 0; i < n; i += 16) {
		char x[16 * 3 + 1] = "", y[16 * 3 + 1] = "", mark[17] = "";
		bool diff = false;

		for (j = 0; j < 16 && i + j < n; j++) {
			size_t k = i + j;
			bool ha = k < a->len, hb = k < b->len;
			bool d = ha != hb || (ha && a->data[k] != b->data[k]);

			snprintf(x + j * 3, 4, ha ? "%02x " : "-- ",
				 ha ? a->data[k] : 0);
			snprintf(y + j * 3, 4, hb ? "%02x " : "-- ",
				 hb ? b->data[k] : 0);
			mark[j] = d ? '^' : '.';
			diff |= d;
		}
		fprintf(stderr, "      %04zx  %-48s  %-48s %s%s\n", i, x, y,
			mark, diff ? " <" : "");
	}
}

static void describe_entry(const char *tag, const struct ct_v4_key *k,
			   const struct ct_v4_entry *e)
{
	fprintf(stderr,
		"      %s key %08x:%u>%08x:%u/%u peer %08x:%u>%08x:%u/%u nat "
		"%08x:%u>%08x:%u nh %08x vip %08x:%u/%u mode %u dir %u "
		"state %u svc %u be %u flags %#x pkts %llu bytes %llu\n",
		tag, ntohl(k->saddr), ntohs(k->sport), ntohl(k->daddr),
		ntohs(k->dport), k->proto, ntohl(e->peer.saddr),
		ntohs(e->peer.sport), ntohl(e->peer.daddr),
		ntohs(e->peer.dport), e->peer.proto, ntohl(e->nat_saddr),
		ntohs(e->nat_sport), ntohl(e->nat_daddr), ntohs(e->nat_dport),
		ntohl(e->nexthop), ntohl(e->vip), ntohs(e->vport), e->vproto,
		e->mode, e->dir, e->state, e->svc_id, e->be_id, e->flags,
		(unsigned long long)e->packets, (unsigned long long)e->bytes);
}

/* Report a broken rule about the current frame; the first few in full. */
static void __attribute__((format(printf, 1, 2)))
violation(const char *fmt, ...)
{
	va_list ap;

	st.violations++;
	if (st.violations > FZ_MAX_REPORTS) {
		if (st.violations == FZ_MAX_REPORTS + 1)
			fprintf(stderr,
				"  (further violations counted only)\n");
		return;
	}
	if (cx.in)
		fprintf(stderr,
			"VIOLATION: seed %#llx frame %llu (%s, %s on %s, "
			"verdict %u): ",
			(unsigned long long)cx.seed, (unsigned long long)cx.idx,
			gen_name[cx.gen], cx.prog, cx.iface, cx.verdict);
	else
		fprintf(stderr,
			"VIOLATION: seed %#llx, table audit before frame "
			"%llu: ",
			(unsigned long long)cx.seed,
			(unsigned long long)cx.idx);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cx.printed || !cx.in)
		return;
	cx.printed = true;
	fprintf(stderr,
		"      replay: fuzz_datapath --seed %#llx --packets %llu\n",
		(unsigned long long)cx.seed, (unsigned long long)cx.idx + 1);
	describe("input: ", cx.in);
	if (cx.out) {
		describe("output:", cx.out);
		hexdiff(cx.in, cx.out);
	} else {
		hexdiff(cx.in, cx.in);
	}
}

/* ---- the oracle: drops --------------------------------------------------- */

static uint64_t drops_now[DROP_MAX];

/* The reason the last run counted (0: none) after checking that it
 * counted exactly one for a drop and none otherwise. */
static uint32_t drop_delta(bool dropped)
{
	uint64_t next[DROP_MAX], total = 0;
	uint32_t i, reason = 0;
	int ret;

	ret = read_drops(next);
	if (ret) {
		violation("cannot read drop_stats: %s", strerror(-ret));
		return 0;
	}
	for (i = 0; i < DROP_MAX; i++) {
		uint64_t d = next[i] - drops_now[i];

		if (next[i] < drops_now[i]) {
			violation("drop_stats[%s] went down", drop_name[i]);
			continue;
		}
		if (d)
			reason = i;
		total += d;
	}
	memcpy(drops_now, next, sizeof(next));
	if (total != (dropped ? 1u : 0u)) {
		violation("%s, but drop_stats grew by %llu (last reason %s)",
			  dropped ? "dropped" : "not dropped",
			  (unsigned long long)total, drop_name[reason]);
		return 0;
	}
	if (dropped && reason == DROP_NONE)
		violation("drop counted under DROP_NONE");
	return reason;
}

/* For another host's MAC (eth_type_trans() makes it PACKET_OTHERHOST):
 * TC must leave it to the stack. */
static bool otherhost(const struct frame *f, const uint8_t *ifmac)
{
	return !(f->data[0] & 1) && memcmp(f->data, ifmac, 6);
}

/* Frames since the last clear that met a full table, for sampling. */
static uint64_t ct_full_seen;

static bool key_eq(const struct ct_v4_key *a, const struct ct_v4_key *b);

/* Whether every source port a new fullNAT flow from tuple k probes is
 * taken by another flow, towards some selectable backend of service s. */
static bool exhaustion_possible(const struct ct_v4_key *k, int s)
{
	struct ct_v4_entry o;
	struct ct_v4_key rk;
	unsigned int b, i;

	for (b = 0; b < cur[s].nbe; b++) {
		if (!be_selectable(s, b))
			continue;
		for (i = 0; i < BATON_SNAT_TRIES; i++) {
			memset(&rk, 0, sizeof(rk));
			rk.saddr = be_ip[s][b];
			rk.daddr = snat_ip[s];
			rk.sport = htons(cur[s].be[b].port);
			rk.dport = htons(
			    fx_snat_port(k->saddr, k->daddr, ntohs(k->sport),
					 ntohs(k->dport), k->proto, i));
			rk.proto = k->proto;
			if (ct_get(&rk, &o) || key_eq(&o.peer, k))
				break;
		}
		if (i == BATON_SNAT_TRIES)
			return true;
	}
	return false;
}

/* Whether a new flow from tuple k to service s may collide: the reply
 * tuple one of its selectable backends would get is another flow's.
 * fullNAT probes ports instead (DROP_SNAT_EXHAUSTED), except for ICMP. */
static bool collision_possible(const struct ct_v4_key *k, int s)
{
	struct ct_v4_entry o;
	struct ct_v4_key rk;
	unsigned int b;

	if (cur[s].mode == BATON_MODE_DSR ||
	    (cur[s].mode == BATON_MODE_FULLNAT && k->proto != IPPROTO_ICMP))
		return false;
	for (b = 0; b < cur[s].nbe; b++) {
		if (!be_selectable(s, b))
			continue;
		memset(&rk, 0, sizeof(rk));
		rk.saddr = be_ip[s][b];
		rk.daddr =
		    cur[s].mode == BATON_MODE_FULLNAT ? snat_ip[s] : k->saddr;
		rk.sport = k->proto == IPPROTO_ICMP ? k->sport
						    : htons(cur[s].be[b].port);
		rk.dport = k->proto == IPPROTO_ICMP ? 0 : k->sport;
		rk.proto = k->proto;
		if (!ct_get(&rk, &o) && !key_eq(&o.peer, k))
			return true;
	}
	return false;
}

/* Whether reason could be counted for this frame in TC (its malformed
 * reasons are checked by the caller). Returns NULL or what is wrong. */
static const char *tc_reason_possible(uint32_t reason, const struct view *v,
				      bool had, const struct ct_v4_entry *pre,
				      bool has)
{
	int s =
	    v->l4_ok ? find_service(v->key.daddr, v->key.dport, v->proto) : -1;
	struct nat_v4_key rk;
	struct rnat_v4_val rv;
	long n;

	switch (reason) {
	case DROP_MALFORMED_L2:
	case DROP_MALFORMED_L3:
	case DROP_MALFORMED_L4:
		return "malformed-header drop of a well-formed frame";
	case DROP_FRAGMENT:
		if (v->frag != FRAG_FIRST || s < 0)
			return "DROP_FRAGMENT for what is no first fragment "
			       "to a service";
		return NULL;
	case DROP_NO_BACKEND:
		if (!v->tracked || s < 0)
			return "DROP_NO_BACKEND without a service";
		if (svc_has_selectable(s))
			return "DROP_NO_BACKEND with a selectable backend";
		return has ? "DROP_NO_BACKEND, but a flow exists" : NULL;
	case DROP_CT_FULL:
		if (!v->tracked || s < 0 || has)
			return "DROP_CT_FULL without a new flow to a service";
		/* Counting the table costs a walk: sample. */
		if (ct_full_seen++ % 64)
			return NULL;
		n = fx_ct_count(&fx);
		if (n < (long)fx.ct_max - 1)
			return "DROP_CT_FULL with room in the table";
		return NULL;
	case DROP_TCP_NO_CT:
		if (!v->tracked || s < 0 || v->proto != IPPROTO_TCP || has)
			return "DROP_TCP_NO_CT outside TCP to a service "
			       "without conntrack";
		if ((v->tcp_flags & (SYN | ACK | RST | FIN)) == SYN)
			return "DROP_TCP_NO_CT for a bare SYN";
		return NULL;
	case DROP_SNAT_EXHAUSTED:
		if (!v->tracked || s < 0 || has ||
		    cur[s].mode != BATON_MODE_FULLNAT)
			return "DROP_SNAT_EXHAUSTED outside a new fullNAT flow";
		if (!exhaustion_possible(&v->key, s))
			return "DROP_SNAT_EXHAUSTED with a free port among the "
			       "probes";
		return NULL;
	case DROP_BAD_SERVICE:
		if (!v->tracked || s != SV_NO_SNAT || has)
			return "DROP_BAD_SERVICE for a consistent service";
		return NULL;
	case DROP_ICMP_TYPE:
		if (!v->tracked || s < 0 || v->icmp_type != ICMP_ECHOREPLY ||
		    has)
			return "DROP_ICMP_TYPE outside an echo reply to a VIP";
		return NULL;
	case DROP_CT_COLLISION:
		if (!v->tracked || s < 0 || has)
			return "DROP_CT_COLLISION outside a new flow";
		if (!collision_possible(&v->key, s))
			return "DROP_CT_COLLISION with every reply tuple free";
		return NULL;
	case DROP_SNAT_NO_CT:
		if (!v->tracked || had || v->proto == IPPROTO_ICMP ||
		    ntohs(v->key.dport) < BATON_SNAT_PORT_MIN ||
		    v->key.daddr != a_snat)
			return "DROP_SNAT_NO_CT outside a fullNAT port without "
			       "conntrack";
		return NULL;
	case DROP_RNAT_AMBIGUOUS:
		if (!v->tracked || had || !conf.asym)
			return "DROP_RNAT_AMBIGUOUS outside the asymmetric "
			       "path";
		rk.vip = v->key.saddr;
		rk.port = v->proto == IPPROTO_ICMP ? 0 : v->key.sport;
		rk.proto = v->proto;
		rk.pad = 0;
		if (bpf_map_lookup_elem(fx.rnat_fd, &rk, &rv) ||
		    rv.services == 1)
			return "DROP_RNAT_AMBIGUOUS from an unshared backend";
		return NULL;
	case DROP_CT_RESET:
		if (!conf.reset || v->proto != IPPROTO_TCP || !had ||
		    pre->be_id >= 4 || pre->svc_id >= SV_N ||
		    !conf.reset_be[pre->svc_id][pre->be_id])
			return "DROP_CT_RESET outside a flow of a backend "
			       "being reset";
		return NULL;
	case DROP_REDIRECT:
		return "DROP_REDIRECT: a rewrite or redirect helper failed";
	default:
		return "unknown drop reason";
	}
}

/* ---- the oracle: conntrack entries --------------------------------------- */

static struct ct_v4_key reply_key(const struct ct_v4_key *fk,
				  const struct ct_v4_entry *f)
{
	struct ct_v4_key rk = {
	    .saddr = f->nat_daddr,
	    .daddr = f->nat_saddr,
	    .sport = fk->proto == IPPROTO_ICMP ? fk->sport : f->nat_dport,
	    .dport = fk->proto == IPPROTO_ICMP ? 0 : f->nat_sport,
	    .proto = fk->proto,
	};

	return rk;
}

#define CT_F_FIN_BITS (CT_F_FIN_FWD | CT_F_FIN_REV | CT_F_FIN_FIRST_REV)

static bool key_eq(const struct ct_v4_key *a, const struct ct_v4_key *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr &&
	       a->sport == b->sport && a->dport == b->dport &&
	       a->proto == b->proto && !a->zone && !a->pad && !b->zone &&
	       !b->pad;
}

/* fullNAT source port: one of the ports this node probes for the tuple. */
static bool snat_port_ok(const struct ct_v4_key *fk, __be16 port)
{
	unsigned int i;

	for (i = 0; i < BATON_SNAT_TRIES; i++)
		if (htons(fx_snat_port(fk->saddr, fk->daddr, ntohs(fk->sport),
				       ntohs(fk->dport), fk->proto, i)) == port)
			return true;
	return false;
}

/*
 * Whether forward entry f under fk agrees with the services and with the
 * reply half it names. fresh: made by the frame just run (its backend is
 * one the service selects now; fullNAT's port one this node probes).
 */
static const char *check_fwd(const struct ct_v4_key *fk,
			     const struct ct_v4_entry *f, bool fresh)
{
	struct ct_v4_entry r;
	struct ct_v4_key rk;
	int s = find_service(fk->daddr, fk->dport, fk->proto);
	uint32_t be;
	__be16 bport;

	if (s < 0)
		return "forward entry for a tuple that is no service";
	if (f->dir != CT_DIR_FWD || f->svc_id != cur[s].svc_id ||
	    f->mode != cur[s].mode)
		return "forward entry: direction, service or mode wrong";
	if (f->vip != fk->daddr || f->vproto != fk->proto ||
	    f->vport != (fk->proto == IPPROTO_ICMP ? 0 : fk->dport))
		return "forward entry: VIP, port or protocol wrong";
	if (f->be_id >= cur[s].nbe)
		return "forward entry: backend id out of the service";
	be = be_ip[s][f->be_id];
	bport = fk->proto == IPPROTO_ICMP ? fk->dport
					  : htons(cur[s].be[f->be_id].port);
	if (fresh) {
		if (!be_selectable(s, f->be_id))
			return "new flow on a backend out of service";
		if (cur[s].algo == BATON_ALGO_MAGLEV &&
		    fx_maglev_pick(&fx, (uint16_t)s, fk->saddr, fk->daddr,
				   ntohs(fk->sport), ntohs(fk->dport),
				   fk->proto) != f->be_id)
			return "new flow: not the backend Maglev picks";
	}
	if (f->mode == BATON_MODE_DSR) {
		if (f->nat_saddr != fk->saddr || f->nat_sport != fk->sport ||
		    f->nat_daddr != fk->daddr || f->nat_dport != fk->dport)
			return "DSR entry rewrites addresses or ports";
		if (f->nexthop != be)
			return "DSR entry: next hop is not the backend";
		if (f->peer.proto)
			return "DSR entry with a reply half";
		return NULL;
	}
	if (f->nexthop)
		return "NAT entry with a next hop";
	if (f->nat_daddr != be || f->nat_dport != bport)
		return "NAT entry: destination is not the backend's endpoint";
	if (f->mode == BATON_MODE_DNAT) {
		if (f->nat_saddr != fk->saddr || f->nat_sport != fk->sport)
			return "DNAT entry changes the client source";
	} else {
		if (f->nat_saddr != snat_ip[s])
			return "fullNAT entry: source is not the SNAT address";
		if (fk->proto == IPPROTO_ICMP) {
			if (f->nat_sport != fk->sport)
				return "fullNAT ICMP entry changes the echo id";
		} else if (ntohs(f->nat_sport) < BATON_SNAT_PORT_MIN ||
			   (fresh && !snat_port_ok(fk, f->nat_sport))) {
			return "fullNAT entry: source port not one this node "
			       "may use";
		}
	}
	rk = reply_key(fk, f);
	if (!key_eq(&f->peer, &rk))
		return "forward entry: peer is not its reply tuple";
	if (ct_get(&rk, &r))
		return "NAT flow without its reply half";
	if (r.dir != CT_DIR_REV || !key_eq(&r.peer, fk))
		return "reply half does not point back at the forward half";
	if (r.nat_saddr != fk->daddr || r.nat_sport != fk->dport ||
	    r.nat_daddr != fk->saddr || r.nat_dport != fk->sport)
		return "reply half does not translate back to VIP -> client";
	if (r.mode != f->mode || r.svc_id != f->svc_id || r.be_id != f->be_id ||
	    r.vip != f->vip || r.vport != f->vport)
		return "reply half disagrees with the forward half";
	/* "Both halves of a pair carry the state" (ct.h). */
	if (r.state != f->state ||
	    (r.flags & CT_F_FIN_BITS) != (f->flags & CT_F_FIN_BITS))
		return "the halves of a pair disagree on state or FIN flags";
	if (r.flags & CT_F_COUNTED)
		return "reply half counted on its backend";
	return NULL;
}

/* Any entry under k: a reply half is checked through its forward half. */
static const char *check_entry(const struct ct_v4_key *k,
			       const struct ct_v4_entry *e, bool fresh)
{
	struct ct_v4_entry f;
	const char *err;

	if (e->dir == CT_DIR_FWD)
		return check_fwd(k, e, fresh);
	if (e->dir != CT_DIR_REV)
		return "entry with an unknown direction";
	if (ct_get(&e->peer, &f))
		return "reply half without its forward half";
	if (f.dir != CT_DIR_FWD || !key_eq(&f.peer, k))
		return "forward half does not point at this reply half";
	/* A reply makes a pair only on the asymmetric path (rnat_pair),
	 * which picks the backend that answered, not the scheduler's. */
	err = check_fwd(&e->peer, &f, false);
	return err;
}

/* ---- the oracle: translated frames --------------------------------------- */

/* Where the topology's FIB sends dst: egress MAC and neighbour MAC when
 * the neighbour is known (a redirect must write them); NULL otherwise. */
static bool known_neigh(uint32_t dst, const uint8_t **smac,
			const uint8_t **dmac)
{
	if (dst == a_client) {
		*smac = fx_mac_front;
		*dmac = fx_mac_client;
		return true;
	}
	if (dst == a_be1 || dst == a_be2) {
		*smac = fx_mac_back;
		*dmac = dst == a_be1 ? fx_mac_be1 : fx_mac_be2;
		return true;
	}
	return false;
}

/* Whether the FIB forwards to dst: 1 on a connected subnet (neither
 * local nor broadcast), 0 otherwise, -1 for a subnet's own address (the
 * kernel's routes for it have changed over time: either is fine). */
static int routable(uint32_t dst)
{
	uint32_t h = ntohl(dst);

	if ((h & 0xffffff00u) != 0x0a000000u &&
	    (h & 0xffffff00u) != 0x0a010000u)
		return 0;
	if ((h & 0xff) == 0)
		return -1;
	return dst != a_front && dst != a_back && dst != a_snat &&
	       (h & 0xff) != 0xff;
}

struct xlat {
	uint32_t saddr, daddr;
	__be16 sport, dport;
	bool ports;  /* TCP/UDP: ports written */
	bool route;  /* routed (TTL - 1), not bridged (DSR) */
	uint32_t nh; /* next hop the FIB resolves */
	bool dsr;
};

static void check_output(const struct view *v, const struct frame *in,
			 const struct frame *out, uint32_t verdict,
			 const struct xlat *x)
{
	struct frame want = *in, tmp;
	const uint8_t *smac, *dmac;
	bool neigh = known_neigh(x->nh, &smac, &dmac);
	bool ip_changed = false, l4_changed = false;
	size_t ip = ETH_HLEN, i;

	if (out->len != in->len) {
		violation("translated frame changed length %zu -> %zu", in->len,
			  out->len);
		return;
	}
	if (!x->dsr) {
		memcpy(want.data + ip + 12, &x->saddr, 4);
		memcpy(want.data + ip + 16, &x->daddr, 4);
		ip_changed = memcmp(want.data + ip + 12, in->data + ip + 12, 8);
		l4_changed = ip_changed;
		if (x->ports) {
			memcpy(want.data + v->l4, &x->sport, 2);
			memcpy(want.data + v->l4 + 2, &x->dport, 2);
			l4_changed |=
			    memcmp(want.data + v->l4, in->data + v->l4, 4) != 0;
		}
	}
	if (verdict == TC_ACT_REDIRECT) {
		if (x->route) {
			if (in->data[ip + 8] <= 1) {
				violation("TTL %u redirected (the stack must "
					  "answer an expiring TTL)",
					  in->data[ip + 8]);
				return;
			}
			want.data[ip + 8]--;
			ip_changed = true;
		}
		if (neigh) {
			memcpy(want.data, dmac, 6);
			memcpy(want.data + 6, smac, 6);
		} else if (routable(x->nh) == 0) {
			violation("redirected towards %08x, which has no route",
				  ntohl(x->nh));
			return;
		}
		/* else bpf_redirect_neigh(): the kernel writes the MACs. */
	} else if (neigh && (!x->route || in->data[ip + 8] > 1)) {
		violation("translated for known neighbour %08x but handed to "
			  "the stack",
			  ntohl(x->nh));
		return;
	}

	/* Every byte but the checksums is as expected. */
	tmp = want;
	if (ip_changed) {
		memcpy(tmp.data + ip + 10, out->data + ip + 10, 2);
	}
	if (l4_changed && v->csum_off)
		memcpy(tmp.data + v->csum_off, out->data + v->csum_off, 2);
	if (memcmp(tmp.data, out->data, out->len)) {
		for (i = 0; i < out->len && tmp.data[i] == out->data[i]; i++)
			;
		violation("translated frame differs from the expected one "
			  "at byte %zu (expected %02x)",
			  i, tmp.data[i]);
		return;
	}
	if (ip_changed) {
		uint16_t si = ip_sum(in, v), so = ip_sum(out, v);

		if (si != so) {
			violation("IPv4 checksum not updated correctly (sum "
				  "%04x before, %04x after)",
				  si, so);
			return;
		}
		if (so == 0xffff &&
		    rd16(out->data + ip + 10) != scratch_csum(&tmp, v, false)) {
			violation("IPv4 checksum verifies but is not the one a "
				  "computation from scratch gives");
			return;
		}
	}
	if (l4_changed && v->csum_off) {
		uint16_t ci = rd16(in->data + v->csum_off);
		uint16_t co = rd16(out->data + v->csum_off);
		uint16_t si = l4_sum(in, v), so = l4_sum(out, v);

		if (v->proto == IPPROTO_UDP && (!ci || !co)) {
			if (ci != co)
				violation("UDP checksum %04x became %04x (0 is "
					  "\"none\" and must stay so)",
					  ci, co);
			return;
		}
		if (si != so) {
			violation("%s checksum not updated correctly (sum "
				  "%04x before, %04x after)",
				  v->proto == IPPROTO_TCP ? "TCP" : "UDP", si,
				  so);
			return;
		}
		if (so == 0xffff) {
			uint16_t sc = scratch_csum(&tmp, v, true);

			if (v->proto == IPPROTO_UDP && !sc)
				sc = 0xffff;
			if (co != sc) {
				violation("L4 checksum %04x verifies but from "
					  "scratch it is %04x",
					  co, sc);
				return;
			}
		}
	}
	if ((ip_changed && ip_sum(in, v) != 0xffff) ||
	    (l4_changed && v->csum_off && l4_sum(in, v) != 0xffff))
		st.bad_csum_in++;
}

/* A frame TC let through changed, or redirected: a translation by the
 * entry its tuple has now (or by rnat_v4_map). */
static void check_translation(const struct view *v, const struct frame *in,
			      const struct frame *out, uint32_t verdict,
			      bool had, const struct ct_v4_entry *pre, bool has,
			      const struct ct_v4_entry *e)
{
	struct xlat x = {0};
	const char *err;
	bool fresh;

	if (!v->tracked || v->cls != P_OK || v->tot_beyond) {
		violation("%s a frame the datapath does not track",
			  verdict == TC_ACT_REDIRECT ? "redirected"
						     : "changed");
		return;
	}
	x.ports = v->proto != IPPROTO_ICMP;
	if (has) {
		fresh = !had || e->sync_gen != FZ_MARK;
		err = check_entry(&v->key, e, fresh && e->dir == CT_DIR_FWD);
		if (err) {
			violation("%s", err);
			describe_entry("entry", &v->key, e);
			return;
		}
		if (had && !fresh &&
		    (pre->nat_saddr != e->nat_saddr ||
		     pre->nat_daddr != e->nat_daddr ||
		     pre->nat_sport != e->nat_sport ||
		     pre->nat_dport != e->nat_dport ||
		     pre->nexthop != e->nexthop || pre->be_id != e->be_id)) {
			violation("translation of an existing flow changed");
			describe_entry("before", &v->key, pre);
			describe_entry("after ", &v->key, e);
			return;
		}
		if (fresh ? e->packets != 1 || e->bytes != in->len
			  : e->packets != pre->packets + 1 ||
				e->bytes != pre->bytes + in->len) {
			violation("entry did not count the frame (%llu "
				  "packets, %llu bytes after)",
				  (unsigned long long)e->packets,
				  (unsigned long long)e->bytes);
			return;
		}
		x.saddr = e->nat_saddr;
		x.daddr = e->nat_daddr;
		x.sport = e->nat_sport;
		x.dport = e->nat_dport;
		x.dsr = e->mode == BATON_MODE_DSR;
		x.route = !x.dsr;
		x.nh = x.dsr ? e->nexthop : e->nat_daddr;
		if (x.dsr)
			st.xlat_dsr++;
		else if (e->dir == CT_DIR_FWD)
			st.xlat_fwd++;
		else
			st.xlat_rev++;
	} else {
		struct nat_v4_key rk = {
		    .vip = v->key.saddr,
		    .port = v->proto == IPPROTO_ICMP ? 0 : v->key.sport,
		    .proto = v->proto,
		};
		struct rnat_v4_val rv;

		if (!conf.asym || bpf_map_lookup_elem(fx.rnat_fd, &rk, &rv)) {
			violation("translated without a conntrack entry%s",
				  conf.asym ? " or an rnat_v4_map one" : "");
			return;
		}
		if (rv.services != 1) {
			violation("de-NATed a reply from a backend %u DNAT "
				  "services share",
				  rv.services);
			return;
		}
		if (v->proto == IPPROTO_ICMP &&
		    v->icmp_type != ICMP_ECHOREPLY) {
			violation("de-NATed an ICMP that is no echo reply");
			return;
		}
		x.saddr = rv.vip;
		x.daddr = v->key.daddr;
		x.sport = rv.vport;
		x.dport = v->key.dport;
		x.route = true;
		x.nh = v->key.daddr;
		st.xlat_rnat++;
	}
	check_output(v, in, out, verdict, &x);
}

/* ---- one frame through both programs ------------------------------------- */

/* Frames the datapath must translate or drop, never leave to the stack as
 * they are: a flow's (its nexthops here are all routable), a service's,
 * a fullNAT port's; a first fragment to a service (DROP_FRAGMENT). */
static const char *must_not_pass(const struct view *v, bool had)
{
	int s;

	if (v->cls != P_OK || v->tot_beyond || !v->l4_ok)
		return NULL;
	s = find_service(v->key.daddr, v->key.dport, v->proto);
	if (v->frag == FRAG_FIRST)
		return s >= 0 ? "first fragment to a service" : NULL;
	if (!v->tracked)
		return NULL;
	if (had)
		return "frame of a tracked flow";
	if (s >= 0)
		return "frame to a service";
	if (v->key.daddr == a_snat && v->proto != IPPROTO_ICMP &&
	    ntohs(v->key.dport) >= BATON_SNAT_PORT_MIN)
		return "frame to a fullNAT port without conntrack";
	return NULL;
}

/* Whether the frame may make the datapath forget entry e of its tuple
 * (ct_reopen_elsewhere() in baton.bpf.c). */
static const char *forget_possible(const struct view *v,
				   const struct ct_v4_entry *e)
{
	if (v->proto != IPPROTO_TCP || e->dir != CT_DIR_FWD ||
	    (v->tcp_flags & (SYN | ACK | RST | FIN)) != SYN)
		return "not by a client's bare SYN";
	if (e->state < CT_STATE_FIN_WAIT)
		return "the connection was not closing";
	if (e->svc_id < SV_N && be_selectable(e->svc_id, e->be_id))
		return "its backend still takes new flows";
	return NULL;
}

static const char *ifname(int ifindex)
{
	return ifindex == fx.if_front ? "front" : "back";
}

static void run_frame(const struct frame *in, int ifindex, int gen)
{
	struct ct_v4_entry pre, post;
	struct frame out;
	struct view v;
	uint32_t verdict = 0, xreason = 0, reason, want;
	bool had = false, has = false, other;
	const uint8_t *ifmac =
	    ifindex == fx.if_front ? fx_mac_front : fx_mac_back;
	const char *err;
	int ret;

	st.frames++;
	st.by_gen[gen]++;
	cx.gen = gen;
	cx.in = in;
	cx.out = NULL;
	cx.printed = false;
	cx.iface = ifname(ifindex);
	parse(in, &v);
	if (cx.idx >= trace_from) {
		fprintf(stderr, "frame %llu (%s, %s):\n",
			(unsigned long long)cx.idx, gen_name[gen], cx.iface);
		describe("in: ", in);
	}

	/* XDP: drops only headers no host would accept, never rewrites. */
	cx.prog = "xdp";
	ret = run_prog(fx.prog_xdp, 0, in, &out, &verdict);
	cx.verdict = verdict;
	if (ret) {
		if (ret == -EINVAL && in->len < ETH_HLEN)
			st.refused_xdp++;
		else
			violation("XDP test_run failed: %s", strerror(-ret));
	} else {
		st.xdp_runs++;
		cx.out = &out;
		if (verdict != XDP_PASS && verdict != XDP_DROP)
			violation("unexpected XDP verdict");
		if (verdict == XDP_PASS) {
			st.xdp_pass++;
			if (out.len != in->len ||
			    memcmp(out.data, in->data, in->len))
				violation("XDP_PASS changed the frame");
		} else {
			st.xdp_drop++;
		}
		xreason = drop_delta(verdict == XDP_DROP);
		st.drop_xdp[xreason] += verdict == XDP_DROP;
		want = xdp_malformed(&v);
		if (verdict == XDP_DROP && xreason != want)
			violation("XDP dropped under %s, the parse contract "
				  "says %s",
				  drop_name[xreason],
				  want ? drop_name[want] : "pass");
		else if (verdict == XDP_PASS && want)
			violation("XDP passed a frame with a %s header",
				  drop_name[want]);
	}

	/* TC: the flow's conntrack entry before and after, for the oracle. */
	if (v.tracked)
		had = !ct_get(&v.key, &pre);
	if (had && pre.sync_gen != FZ_MARK) {
		pre.sync_gen = FZ_MARK;
		if (bpf_map_update_elem(fx.ct_fd, &v.key, &pre, BPF_EXIST))
			violation("cannot mark the entry: %s", strerror(errno));
	}
	cx.prog = "tc";
	cx.out = NULL;
	verdict = 0;
	ret = run_prog(fx.prog_tc, ifindex, in, &out, &verdict);
	cx.verdict = verdict;
	if (ret) {
		if (ret == -EINVAL && (in->len < ETH_HLEN ||
				       (v.ethertype == ETHERTYPE_IPV4 &&
					in->len < ETH_HLEN + 20) ||
				       (v.ethertype == ETHERTYPE_IPV6 &&
					in->len < ETH_HLEN + 40)))
			st.refused_tc++;
		else
			violation("TC test_run failed: %s", strerror(-ret));
		goto out;
	}
	st.tc_runs++;
	if (ifindex == fx.if_front)
		st.tc_front++;
	else
		st.tc_back++;
	cx.out = &out;
	if (verdict != TC_ACT_OK && verdict != TC_ACT_SHOT &&
	    verdict != TC_ACT_REDIRECT) {
		violation("unexpected TC verdict");
		goto out;
	}
	reason = drop_delta(verdict == TC_ACT_SHOT);
	if (v.tracked)
		has = !ct_get(&v.key, &post);
	other = otherhost(in, ifmac);
	st.tc_otherhost += other;
	want = other ? 0 : tc_malformed(&v);

	if (verdict == TC_ACT_SHOT) {
		st.tc_shot++;
		st.drop_tc[reason]++;
		if (other)
			violation("dropped a frame for another host's MAC "
				  "(%s)",
				  drop_name[reason]);
		else if (want && reason != want)
			violation("TC dropped under %s, the parse contract "
				  "says %s",
				  drop_name[reason], drop_name[want]);
		else if (!want && reason &&
			 (err = tc_reason_possible(reason, &v, had, &pre, has)))
			violation("%s", err);
	} else if (want) {
		violation("TC let a frame with a %s header through",
			  drop_name[want]);
	} else if (other && (verdict != TC_ACT_OK || out.len != in->len ||
			     memcmp(out.data, in->data, in->len))) {
		violation("touched a frame for another host's MAC");
	} else if (verdict == TC_ACT_OK && out.len == in->len &&
		   !memcmp(out.data, in->data, in->len)) {
		st.tc_ok_same++;
		if (!other && (err = must_not_pass(&v, had)))
			violation("%s handed to the stack untouched", err);
	} else {
		if (verdict == TC_ACT_OK)
			st.tc_ok_xlat++;
		else
			st.tc_redir++;
		if (verdict == TC_ACT_REDIRECT && out.len == in->len &&
		    !memcmp(out.data, in->data, in->len))
			st.tc_redir_same++;
		check_translation(&v, in, &out, verdict, had, &pre, has, &post);
	}
	/* A flow's entry goes away or is made anew only when a client's bare
	 * SYN reopens a closing tuple whose backend left service (its
	 * frame may still be dropped by the slow path afterwards). */
	if (had && (!has || post.sync_gen != FZ_MARK) &&
	    (err = forget_possible(&v, &pre))) {
		violation("flow forgotten: %s", err);
		describe_entry("before", &v.key, &pre);
	}
	/* A new or remade entry must be sound even when its frame died. */
	if (has && post.sync_gen != FZ_MARK) {
		st.new_entries++;
		err = check_entry(&v.key, &post, post.dir == CT_DIR_FWD);
		if (err) {
			violation("new entry: %s", err);
			describe_entry("entry", &v.key, &post);
		}
	}
	if (reason == DROP_CT_FULL)
		st.fills_full++;
out:
	if (cx.idx >= trace_from && cx.out)
		describe("out:", cx.out);
	cx.idx++;
}

/* ---- generators ---------------------------------------------------------- */

static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t mac_other[6] = {0x02, 0x00, 0x00, 0x00, 0xaa, 0x77};
static const uint8_t mac_far[6] = {0x02, 0x00, 0x00, 0x00, 0x99, 0x99};

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n) {
		uint64_t r = rnd64();
		size_t k = n < 8 ? n : 8;

		memcpy(p, &r, k);
		p += k;
		n -= k;
	}
}

static uint32_t pick_addr(void)
{
	switch (rnd(16)) {
	case 0:
	case 1:
		return vip_ip[rnd(SV_N)];
	case 2:
		return a_client;
	case 3:
		return a_snat;
	case 4:
		return a_be1;
	case 5:
		return a_be2;
	case 6:
		return a_front;
	case 7:
		return a_back;
	case 8:
		return a_be_noneigh;
	case 9:
		return a_be_noroute;
	case 10:
		return a_cl_noneigh;
	case 11:
		return htonl(0x0a000000u | rnd(256));
	case 12:
		return htonl(0x0a010000u | rnd(256));
	default:
		return (uint32_t)rnd64();
	}
}

static uint16_t pick_port(void)
{
	static const uint16_t ports[] = {80,   53,   443,  81, 82,   8080,
					 5353, 8443, 8081, 0,  1024, 65535};

	if (chance(60))
		return ports[rnd(ARRAY_SIZE(ports))];
	if (chance(50))
		return (uint16_t)(BATON_SNAT_PORT_MIN +
				  rnd(65536 - BATON_SNAT_PORT_MIN));
	return (uint16_t)rnd(65536);
}

static uint8_t pick_flags(void)
{
	/* Handshake, data, close and reset, and impossible combinations. */
	static const uint8_t f[] = {
	    SYN, SYN | ACK, ACK,       PSH | ACK, FIN | ACK,
	    RST, RST | ACK, SYN | FIN, FIN,	  0,
	};

	return chance(80) ? f[rnd(ARRAY_SIZE(f))] : (uint8_t)rnd(256);
}

static uint8_t pick_ttl(void)
{
	static const uint8_t t[] = {64, 64, 64, 1, 2, 0, 255};

	return chance(90) ? t[rnd(ARRAY_SIZE(t))] : (uint8_t)rnd(256);
}

/* An offset biased towards the headers (Ethernet, IPv4 with options,
 * TCP), where the parse decisions are. */
static size_t pick_off(size_t len)
{
	size_t hdr = ETH_HLEN + 60 + 20;

	if (!len)
		return 0;
	if (chance(75))
		return rnd((uint32_t)(len < hdr ? len : hdr));
	return rnd((uint32_t)len);
}

static void mutate(struct frame *f)
{
	size_t ip = ETH_HLEN, l4, off;
	unsigned int n = 1 + rnd(4);

	while (n--) {
		l4 = f->len > ip ? ip + (size_t)(f->data[ip] & 0xf) * 4 : ip;
		switch (rnd(14)) {
		case 0: /* bit flip */
			if (f->len) {
				off = pick_off(f->len);
				f->data[off] ^= (uint8_t)(1u << rnd(8));
			}
			break;
		case 1: /* byte overwrite */
			if (f->len)
				f->data[pick_off(f->len)] = (uint8_t)rnd(256);
			break;
		case 2: { /* truncate, often at a header boundary */
			static const int8_t d[] = {-2, -1, 0, 1, 2};
			size_t cut[] = {ETH_HLEN, ip + 20, l4, l4 + 8, l4 + 20};
			size_t c = chance(60) ? cut[rnd(5)] + (size_t)d[rnd(5)]
					      : rnd((uint32_t)f->len + 1);

			if (c < f->len)
				f->len = c;
			break;
		}
		case 3: { /* Ethernet padding (or trailing junk) */
			size_t add = 1 + rnd(64);

			if (f->len + add <= FZ_MAX_FRAME) {
				if (chance(50))
					memset(f->data + f->len, 0, add);
				else
					rnd_bytes(f->data + f->len, add);
				f->len += add;
			}
			break;
		}
		case 4: /* IHL / version */
			if (f->len > ip)
				f->data[ip] = chance(80)
						  ? (uint8_t)(0x40 | rnd(16))
						  : (uint8_t)rnd(256);
			break;
		case 5: /* total length */
			if (f->len >= ip + 4) {
				uint16_t t = rd16(f->data + ip + 2);

				if (chance(40))
					t = (uint16_t)(t + rnd(9) - 4);
				else if (chance(50))
					t = (uint16_t)(f->len - ip);
				else
					t = (uint16_t)rnd(65536);
				wr16(f->data + ip + 2, t);
			}
			break;
		case 6: /* fragment field */
			if (f->len >= ip + 8)
				wr16(f->data + ip + 6,
				     chance(50) ? 0x2000
						: (uint16_t)rnd(65536));
			break;
		case 7: /* protocol */
			if (f->len >= ip + 10) {
				static const uint8_t p[] = {6, 17, 1, 47};

				f->data[ip + 9] =
				    chance(80) ? p[rnd(4)] : (uint8_t)rnd(256);
			}
			break;
		case 8: /* TCP data offset */
			if (f->len > l4 + 12)
				f->data[l4 + 12] = (uint8_t)(rnd(16) << 4);
			break;
		case 9: /* TCP flags */
			if (f->len > l4 + 13)
				f->data[l4 + 13] = pick_flags();
			break;
		case 10: /* L4 checksum */
			if (f->len > l4 + 17)
				wr16(f->data + l4 + (chance(50) ? 16 : 6),
				     chance(30) ? 0 : (uint16_t)rnd(65536));
			break;
		case 11: /* IPv4 header checksum */
			if (f->len >= ip + 12)
				f->data[ip + 10] ^= (uint8_t)(1 + rnd(255));
			break;
		case 12: /* TTL */
			if (f->len > ip + 8)
				f->data[ip + 8] = pick_ttl();
			break;
		default: /* ICMP type */
			if (f->len > l4)
				f->data[l4] = chance(50) ? ICMP_ECHOREPLY
							 : (uint8_t)rnd(20);
			break;
		}
	}
	/* Often a frame whose checksums agree with its mutated bytes, so
	 * that what is checked after a translation is exact. */
	if (chance(40))
		fix_l4_csum(f);
	if (chance(60))
		fix_ip_csum(f);
}

static int pick_iface(void)
{
	return chance(50) ? fx.if_front : fx.if_back;
}

static void set_dmac(struct frame *f, const uint8_t *ifmac)
{
	uint32_t r = rnd(10);

	memcpy(f->data,
	       r < 7	? ifmac
	       : r == 7 ? mac_bcast
	       : r == 8 ? mac_mcast
			: mac_other,
	       6);
}

static int gen_random(struct frame *f)
{
	int ifindex = pick_iface();
	uint32_t r = rnd(100);
	uint8_t *d = f->data;

	if (r < 3)
		f->len = rnd(ETH_HLEN);
	else if (r < 70)
		f->len = rnd(201);
	else if (r < 90)
		f->len = ETH_HLEN + rnd(400);
	else
		f->len = ETH_HLEN + rnd(FZ_MAX_FRAME - ETH_HLEN + 1);
	rnd_bytes(d, f->len);
	if (f->len < ETH_HLEN || chance(10))
		return ifindex;
	set_dmac(f, ifindex == fx.if_front ? fx_mac_front : fx_mac_back);
	r = rnd(10);
	wr16(d + 12, r < 7    ? ETHERTYPE_IPV4
		     : r == 7 ? ETHERTYPE_IPV6
		     : r == 8 ? ETHERTYPE_ARP
			      : (uint16_t)rnd(65536));
	if (rd16(d + 12) != ETHERTYPE_IPV4 || f->len < ETH_HLEN + 20)
		return ifindex;
	if (chance(60))
		d[14] = chance(70) ? 0x45 : (uint8_t)(0x40 | rnd(16));
	if (chance(50)) {
		uint32_t s = pick_addr(), t = pick_addr();
		static const uint8_t p[] = {6, 17, 1};

		memcpy(d + 26, &s, 4);
		memcpy(d + 30, &t, 4);
		d[23] = p[rnd(3)];
	}
	if (chance(40))
		wr16(d + 20, chance(70) ? 0 : 0x4000);
	if (chance(50))
		wr16(d + 16, (uint16_t)(f->len - ETH_HLEN));
	if (chance(30)) {
		size_t l4 = ETH_HLEN + (size_t)(d[14] & 0xf) * 4;

		if (f->len >= l4 + 4) {
			wr16(d + l4, pick_port());
			wr16(d + l4 + 2, pick_port());
		}
	}
	if (chance(30))
		fix_l4_csum(f);
	if (chance(50))
		fix_ip_csum(f);
	return ifindex;
}

static void to_frame(const struct pkt *p, struct frame *f)
{
	memcpy(f->data, p->data, p->len);
	f->len = p->len;
}

/* Build sp into f; payload shortened until it fits. */
static void build(struct pkt_spec *sp, struct frame *f)
{
	struct pkt p;

	while (pkt_build(sp, &p)) {
		sp->payload_len /= 2;
		if (!sp->payload_len && pkt_build(sp, &p)) {
			sp->opt_words = 0;
			if (pkt_build(sp, &p))
				abort();
			break;
		}
	}
	to_frame(&p, f);
}

static uint16_t pick_payload(void)
{
	uint32_t r = rnd(100);

	if (r < 40)
		return 0;
	if (r < 85)
		return (uint16_t)rnd(128);
	return (uint16_t)rnd(PKT_MAX - ETH_HLEN - 60 - 20);
}

static void spec_common(struct pkt_spec *sp)
{
	uint32_t r = rnd(100);

	sp->ttl = pick_ttl();
	sp->tos = chance(90) ? 0 : (uint8_t)rnd(256);
	sp->opt_words = chance(75) ? 0 : (uint8_t)rnd(11);
	sp->ip_id = (uint16_t)rnd(65536);
	sp->frag_off = r < 70	? 0
		       : r < 82 ? 0x4000
		       : r < 89 ? 0x2000
		       : r < 95 ? (uint16_t)(1 + rnd(0x1fff))
				: (uint16_t)rnd(65536);
	sp->seq = (uint32_t)rnd64();
	sp->ack = (uint32_t)rnd64();
	sp->window = (uint16_t)rnd(65536);
	sp->udp_no_csum = chance(10);
	sp->payload_len = pick_payload();
	sp->payload_seed = (uint8_t)rnd(256);
	sp->payload_tail = chance(10) ? (uint16_t)rnd(65536) : 0;
}

static int gen_mutated(struct frame *f)
{
	struct pkt_spec sp = {0};
	bool front = chance(55);
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_TCP,  IPPROTO_UDP,
					 IPPROTO_UDP, IPPROTO_ICMP, 47};
	int ifindex = front ? fx.if_front : fx.if_back;

	spec_common(&sp);
	sp.proto =
	    chance(95) ? protos[rnd(ARRAY_SIZE(protos))] : (uint8_t)rnd(256);
	if (front) {
		sp.smac = fx_mac_client;
		sp.saddr = chance(70) ? a_client : pick_addr();
		sp.daddr = chance(60) ? vip_ip[rnd(SV_N)] : pick_addr();
		sp.sport =
		    chance(80) ? (uint16_t)(1024 + rnd(64512)) : pick_port();
		sp.dport = pick_port();
	} else {
		static const uint32_t *src[] = {&a_be1, &a_be2, &a_be_noneigh,
						&a_be_noroute};

		sp.smac = chance(50) ? fx_mac_be1 : fx_mac_be2;
		sp.saddr = chance(75) ? *src[rnd(4)] : pick_addr();
		sp.daddr = chance(40)	? a_snat
			   : chance(60) ? a_client
					: pick_addr();
		sp.sport = pick_port();
		sp.dport = chance(60)
			       ? (uint16_t)(BATON_SNAT_PORT_MIN +
					    rnd(65536 - BATON_SNAT_PORT_MIN))
			       : pick_port();
	}
	sp.dmac = front ? fx_mac_front : fx_mac_back;
	sp.tcp_flags = pick_flags();
	sp.icmp_type = chance(80) ? (chance(60) ? ICMP_ECHO : ICMP_ECHOREPLY)
				  : (uint8_t)rnd(20);
	sp.icmp_code = chance(90) ? 0 : (uint8_t)rnd(256);
	sp.icmp_id = (uint16_t)rnd(65536);
	sp.icmp_seq = (uint16_t)rnd(65536);
	build(&sp, f);
	if (chance(10))
		set_dmac(f, front ? fx_mac_front : fx_mac_back);
	if (chance(70))
		mutate(f);
	return ifindex;
}

/* ---- flows --------------------------------------------------------------- */

struct flow {
	int svc;
	uint32_t cip;
	uint16_t cport; /* ICMP: echo identifier */
	uint32_t cseq, bseq;
	uint16_t icmp_seq;
};

static struct flow flows[FZ_NFLOWS];

/* Services flows go to: every mode, and a few that refuse. */
static const int flow_svcs[] = {
    SV_TCP,    SV_TCP,	   SV_UDP,	   SV_ICMP,    SV_FN_TCP,  SV_FN_TCP,
    SV_FN_UDP, SV_FN_ICMP, SV_FN_WRR,	   SV_DSR_TCP, SV_DSR_UDP, SV_WRR,
    SV_LC_UDP, SV_NONEIGH, SV_DSR_NONEIGH, SV_NOROUTE, SV_EMPTY,   SV_NO_SNAT,
};

static void flow_init(struct flow *fl)
{
	uint32_t r = rnd(100);

	fl->svc = flow_svcs[rnd(ARRAY_SIZE(flow_svcs))];
	fl->cip = r < 85 ? a_client : r < 93 ? a_cl_noneigh : a_cl_noroute;
	/* Some flows share client ports: two VIPs whose DNAT backends
	 * share an endpoint then want the same reply tuple
	 * (DROP_CT_COLLISION). */
	fl->cport =
	    (uint16_t)(chance(25) ? 20000 + rnd(8) : 20000 + rnd(40000));
	fl->cseq = (uint32_t)rnd64();
	fl->bseq = (uint32_t)rnd64();
	fl->icmp_seq = 0;
}

static const uint8_t *mac_of(uint32_t ip)
{
	if (ip == a_be1)
		return fx_mac_be1;
	if (ip == a_be2)
		return fx_mac_be2;
	if (ip == a_client)
		return fx_mac_client;
	return mac_far;
}

/* TCP flags for the next segment of a side, from the flow's state. */
static uint8_t flow_flags(bool client, bool known, uint8_t state)
{
	uint32_t r = rnd(100);

	if (chance(12))
		return pick_flags();
	if (!known)
		return client ? (r < 85 ? SYN : ACK)
			      : (r < 60 ? SYN | ACK : ACK);
	switch (state) {
	case CT_STATE_SYN_SENT:
		if (client)
			return r < 50 ? SYN : ACK;
		return r < 85 ? SYN | ACK : RST | ACK;
	case CT_STATE_SYN_RECV:
		return client ? ACK : (r < 70 ? SYN | ACK : ACK);
	case CT_STATE_ESTABLISHED:
		return r < 60	? PSH | ACK
		       : r < 80 ? ACK
		       : r < 92 ? FIN | ACK
				: RST | ACK;
	case CT_STATE_FIN_WAIT:
	case CT_STATE_CLOSE_WAIT:
		return r < 50 ? FIN | ACK : r < 90 ? ACK : RST;
	default: /* TIME_WAIT, CLOSED: reuse the tuple, or stray segments */
		return client ? (r < 60 ? SYN : ACK) : (r < 50 ? ACK : RST);
	}
}

/* Small mutations that keep the frame parseable: the paths behind the
 * parser see odd packets too. */
static void flow_spice(struct pkt_spec *sp, struct frame *f, bool built)
{
	if (!built) {
		switch (rnd(40)) {
		case 0:
			sp->ttl = (uint8_t)rnd(3);
			break;
		case 1:
			sp->opt_words = (uint8_t)(1 + rnd(10));
			break;
		case 2:
			sp->udp_no_csum = true;
			break;
		case 3:
			sp->frag_off = chance(50) ? 0x2000 : 0x4000;
			break;
		case 4:
			sp->payload_len = (uint16_t)rnd(900);
			break;
		default:
			break;
		}
		return;
	}
	switch (rnd(40)) {
	case 0: /* bad L4 checksum */
		if (f->len > 60)
			f->data[ETH_HLEN + 20 + 16] ^= 0x5a;
		break;
	case 1: /* bad IPv4 checksum */
		f->data[ETH_HLEN + 11] ^= 0x33;
		break;
	case 2: /* Ethernet padding */
		if (f->len + 18 <= FZ_MAX_FRAME) {
			memset(f->data + f->len, 0, 18);
			f->len += 18;
		}
		break;
	case 3:
		memcpy(f->data, chance(50) ? mac_bcast : mac_other, 6);
		break;
	case 4:
		mutate(f);
		break;
	default:
		break;
	}
}

static int gen_flow(struct frame *f)
{
	struct flow *fl = &flows[rnd(FZ_NFLOWS)];
	const struct fx_service *s;
	struct ct_v4_key fk = {0};
	struct ct_v4_entry fe;
	struct pkt_spec sp = {0};
	bool known, client;
	unsigned int b;

	if (!fl->cport || chance(2))
		flow_init(fl);
	s = &cur[fl->svc];
	fk.saddr = fl->cip;
	fk.daddr = vip_ip[fl->svc];
	fk.sport = htons(fl->cport);
	fk.dport = s->proto == IPPROTO_ICMP ? 0 : htons(s->port);
	fk.proto = s->proto;
	known = !ct_get(&fk, &fe) && fe.dir == CT_DIR_FWD;
	client =
	    chance(55) || (known && fe.mode == BATON_MODE_DSR && chance(80));

	spec_common(&sp);
	sp.ttl = 64;
	sp.tos = 0;
	sp.opt_words = 0;
	sp.frag_off = chance(50) ? 0x4000 : 0;
	sp.udp_no_csum = chance(3);
	sp.payload_tail = 0;
	sp.proto = s->proto;
	if (client) {
		sp.smac = mac_of(fl->cip);
		sp.dmac = fx_mac_front;
		sp.saddr = fl->cip;
		sp.daddr = vip_ip[fl->svc];
		sp.sport = fl->cport;
		sp.dport = s->port;
		sp.icmp_type = chance(92) ? ICMP_ECHO : (uint8_t)rnd(20);
	} else {
		sp.dmac = fx_mac_back;
		if (known && fe.mode != BATON_MODE_DSR) {
			sp.saddr = fe.nat_daddr;
			sp.daddr = fe.nat_saddr;
			sp.sport = ntohs(fe.nat_dport);
			sp.dport = ntohs(fe.nat_sport);
		} else {
			/* No reply tuple known: the backend answers what it
			 * would have seen (or a stray, after a clear). */
			b = rnd(s->nbe);
			sp.saddr = be_ip[fl->svc][b];
			sp.sport = s->be[b].port;
			if (s->mode == BATON_MODE_FULLNAT) {
				sp.daddr = a_snat;
				sp.dport = (uint16_t)(BATON_SNAT_PORT_MIN +
						      rnd(65536 -
							  BATON_SNAT_PORT_MIN));
			} else {
				sp.daddr = fl->cip;
				sp.dport = fl->cport;
			}
		}
		sp.smac = mac_of(sp.saddr);
		sp.icmp_type = chance(92) ? ICMP_ECHOREPLY : (uint8_t)rnd(20);
	}
	sp.icmp_id = fl->cport;
	sp.icmp_seq = fl->icmp_seq++;
	if (s->proto == IPPROTO_TCP) {
		sp.tcp_flags = flow_flags(client, known, known ? fe.state : 0);
		sp.seq = client ? fl->cseq : fl->bseq;
		sp.ack = client ? fl->bseq : fl->cseq;
		if (!(sp.tcp_flags & PSH) && chance(70))
			sp.payload_len = 0;
		if (client)
			fl->cseq += sp.payload_len + 1;
		else
			fl->bseq += sp.payload_len + 1;
	}
	flow_spice(&sp, f, false);
	build(&sp, f);
	flow_spice(&sp, f, true);
	return client ? fx.if_front : fx.if_back;
}

/* New tuples, to fill conntrack; or (snat) fullNAT ones only, to use up
 * this node's source ports first. */
static int gen_flood(struct frame *f, bool snat)
{
	static const int svcs[] = {SV_TCP, SV_FN_TCP, SV_DSR_TCP, SV_UDP,
				   SV_DSR_UDP};
	static const int fn[] = {SV_FN_TCP, SV_FN_WRR, SV_FN_UDP};
	int s = snat ? fn[rnd(ARRAY_SIZE(fn))] : svcs[rnd(ARRAY_SIZE(svcs))];
	struct pkt_spec sp = {
	    .dmac = fx_mac_front,
	    .smac = fx_mac_client,
	    .saddr = htonl(0x0a000000u | (2 + rnd(250))),
	    .daddr = vip_ip[s],
	    .proto = cur[s].proto,
	    .ttl = 64,
	    .ip_id = (uint16_t)rnd(65536),
	    .sport = (uint16_t)(1024 + rnd(64512)),
	    .dport = cur[s].port,
	    .tcp_flags = SYN,
	    .seq = (uint32_t)rnd64(),
	};

	if (chance(50))
		sp.saddr = a_client;
	build(&sp, f);
	return fx.if_front;
}

/* ---- configuration changes ----------------------------------------------- */

static int set_cfg_flags(uint32_t set, uint32_t clear)
{
	struct baton_cfg cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fx.cfg_fd, &zero, &cfg))
		return -errno;
	cfg.flags = (cfg.flags | set) & ~clear;
	if (bpf_map_update_elem(fx.cfg_fd, &zero, &cfg, 0))
		return -errno;
	return 0;
}

/* rnat_v4_map as batond writes it: every backend endpoint of a DNAT
 * service, with the number of DNAT services that share it. */
static int program_rnat(void)
{
	int s, t;
	unsigned int i, j;

	for (s = 0; s < SV_N; s++) {
		if (services[s].mode != BATON_MODE_DNAT)
			continue;
		for (i = 0; i < services[s].nbe; i++) {
			if (!services[s].be[i].weight)
				continue;
			struct nat_v4_key k = {
			    .vip = be_ip[s][i],
			    .port = htons(services[s].be[i].port),
			    .proto = services[s].proto,
			};
			struct rnat_v4_val v = {
			    .vip = vip_ip[s],
			    .vport = htons(services[s].port),
			    .svc_id = (uint16_t)s,
			    .be_id = (uint16_t)i,
			};

			for (t = 0; t < SV_N; t++)
				for (j = 0; j < services[t].nbe; j++)
					v.services +=
					    services[t].mode ==
						BATON_MODE_DNAT &&
					    services[t].be[j].weight &&
					    services[t].proto == k.proto &&
					    be_ip[t][j] == k.vip &&
					    services[t].be[j].port ==
						services[s].be[i].port;
			if (bpf_map_update_elem(fx.rnat_fd, &k, &v, 0))
				return -errno;
		}
	}
	return 0;
}

static int set_reset(int s, unsigned int b, bool on)
{
	__u32 idx = baton_be_index((uint32_t)s, b), v = on;

	if (bpf_map_update_elem(fx.reset_fd, &idx, &v, 0))
		return -errno;
	conf.reset_be[s][b] = on;
	return 0;
}

/* One random change of configuration under the running flows. */
static int toggle(void)
{
	static const int churn[] = {SV_TCP,    SV_UDP,	   SV_FN_TCP,
				    SV_FN_UDP, SV_DSR_TCP, SV_WRR,
				    SV_LC_UDP, SV_ICMP,	   SV_FN_WRR};
	int s, ret = 0;
	unsigned int b;

	st.toggles++;
	switch (rnd(5)) {
	case 0:
		conf.asym = !conf.asym;
		return set_cfg_flags(conf.asym ? BATON_CFG_F_ASYM : 0,
				     conf.asym ? 0 : BATON_CFG_F_ASYM);
	case 1:
		conf.reset = !conf.reset;
		if (conf.reset) {
			s = churn[rnd(ARRAY_SIZE(churn))];
			ret = set_reset(s, rnd(cur[s].nbe), true);
		}
		if (!ret)
			ret = set_cfg_flags(conf.reset ? BATON_CFG_F_RESET : 0,
					    conf.reset ? 0 : BATON_CFG_F_RESET);
		return ret;
	case 2:
	case 3:
		/* A backend leaves or rejoins its service. */
		s = churn[rnd(ARRAY_SIZE(churn))];
		b = rnd(cur[s].nbe);
		cur[s].be[b].inactive = !cur[s].be[b].inactive;
		return fx_add_service(&fx, &cur[s]);
	default: {
		static const uint16_t shares[][2] = {
		    {0, 1}, {1, 4}, {3, 4}, {0, 2}, {5, 64}};
		unsigned int k = rnd(ARRAY_SIZE(shares));

		conf.snat_slot = shares[k][0];
		conf.snat_slots = shares[k][1];
		return fx_set_snat_share(&fx, conf.snat_slot, conf.snat_slots);
	}
	}
}

/* Back to the configuration every phase starts from. */
static int restore(void)
{
	int s, ret;
	unsigned int b;

	conf.asym = conf.reset = false;
	ret = set_cfg_flags(0, BATON_CFG_F_ASYM | BATON_CFG_F_RESET);
	if (!ret)
		ret = fx_set_snat_share(&fx, 0, 1);
	conf.snat_slot = 0;
	conf.snat_slots = 1;
	for (s = 0; s < SV_N && !ret; s++) {
		for (b = 0; b < services[s].nbe && !ret; b++)
			if (conf.reset_be[s][b])
				ret = set_reset(s, b, false);
		if (!ret && memcmp(&cur[s], &services[s], sizeof(cur[s]))) {
			cur[s] = services[s];
			ret = fx_add_service(&fx, &cur[s]);
		}
	}
	return ret;
}

/* Empty conntrack and what counts flows (least connections reads it). */
static int clear_ct(void)
{
	struct be_stats zero = {0};
	__u32 k;
	int ret;

	ret = fx_ct_clear(&fx);
	if (ret)
		return ret;
	for (k = 0; k < SV_N * BATON_MAX_BACKENDS; k++)
		if (bpf_map_update_elem(fx.be_stats_fd, &k, &zero, 0))
			return -errno;
	st.ct_clears++;
	ct_full_seen = 0;
	return 0;
}

/* ---- audit of the whole table -------------------------------------------- */

/*
 * Every entry agrees with the services and with its other half (what
 * check_entry() holds a hit entry to), and be_stats_map's active count of
 * each backend is the number of forward entries carrying CT_F_COUNTED
 * (clear_ct() zeroes both together; only the datapath changes them).
 * Catches what no frame hits afterwards: a half left behind, a count
 * missed.
 */
static void audit(void)
{
	static uint64_t counted[SV_N][BATON_MAX_BACKENDS];
	struct ct_v4_key key, next;
	struct ct_v4_entry e;
	struct be_stats bs;
	const char *err;
	void *prev = NULL;
	unsigned int b;
	__u32 idx;
	int s;

	cx.in = NULL;
	cx.out = NULL;
	memset(counted, 0, sizeof(counted));
	while (!bpf_map_get_next_key(fx.ct_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (ct_get(&key, &e))
			continue;
		err = check_entry(&key, &e, false);
		if (err) {
			violation("%s", err);
			describe_entry("entry", &key, &e);
		}
		if (e.dir == CT_DIR_FWD && (e.flags & CT_F_COUNTED) &&
		    e.svc_id < SV_N && e.be_id < BATON_MAX_BACKENDS)
			counted[e.svc_id][e.be_id]++;
	}
	for (s = 0; s < SV_N; s++) {
		for (b = 0; b < cur[s].nbe; b++) {
			idx = baton_be_index((uint32_t)s, b);
			if (bpf_map_lookup_elem(fx.be_stats_fd, &idx, &bs))
				continue;
			if (bs.active != counted[s][b])
				violation("service %d backend %u has %llu "
					  "active flows, %llu counted entries",
					  s, b, (unsigned long long)bs.active,
					  (unsigned long long)counted[s][b]);
		}
	}
	st.audits++;
}

/* ---- main ---------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int setup(void)
{
	int s, ret;
	unsigned int b;

	a_client = fx_ip(FX_CLIENT);
	a_cl_noneigh = fx_ip(CL_NONEIGH);
	a_cl_noroute = fx_ip(CL_NOROUTE);
	a_front = fx_ip(FX_FRONT);
	a_back = fx_ip(FX_BACK);
	a_snat = fx_ip(FX_SNAT);
	a_be1 = fx_ip(FX_BE1);
	a_be2 = fx_ip(FX_BE2);
	a_be_noneigh = fx_ip(BE_NONEIGH);
	a_be_noroute = fx_ip(BE_NOROUTE);
	for (s = 0; s < SV_N; s++) {
		cur[s] = services[s];
		vip_ip[s] = fx_ip(services[s].vip);
		snat_ip[s] = services[s].snat ? fx_ip(services[s].snat) : 0;
		for (b = 0; b < services[s].nbe; b++)
			be_ip[s][b] = fx_ip(services[s].be[b].addr);
		ret = fx_add_service(&fx, &cur[s]);
		if (ret)
			return ret;
	}
	ret = program_rnat();
	if (!ret)
		ret = fx_reset(&fx);
	if (!ret)
		ret = read_drops(drops_now);
	return ret;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--packets N] [--seed S] [--seconds T] "
		"[--trace I]\n",
		argv0);
}

static void report(double secs, bool stopped_early)
{
	uint32_t i;

	printf("frames: %llu (random %llu, mutated %llu, flow %llu, flood "
	       "%llu)%s\n",
	       (unsigned long long)st.frames,
	       (unsigned long long)st.by_gen[G_RANDOM],
	       (unsigned long long)st.by_gen[G_MUTATED],
	       (unsigned long long)st.by_gen[G_FLOW],
	       (unsigned long long)st.by_gen[G_FLOOD],
	       stopped_early ? " - time limit reached first" : "");
	printf("refused by test_run (runts, as expected): xdp %llu, tc %llu\n",
	       (unsigned long long)st.refused_xdp,
	       (unsigned long long)st.refused_tc);
	printf("xdp_packet_func: %llu runs: XDP_PASS %llu, XDP_DROP %llu\n",
	       (unsigned long long)st.xdp_runs, (unsigned long long)st.xdp_pass,
	       (unsigned long long)st.xdp_drop);
	printf("tc_packet_func: %llu runs (front %llu, back %llu; %llu for "
	       "another host's MAC):\n"
	       "  TC_ACT_OK %llu (unchanged %llu, translated %llu), "
	       "TC_ACT_SHOT %llu, TC_ACT_REDIRECT %llu (MACs left to "
	       "the kernel or DSR unchanged: %llu)\n",
	       (unsigned long long)st.tc_runs, (unsigned long long)st.tc_front,
	       (unsigned long long)st.tc_back,
	       (unsigned long long)st.tc_otherhost,
	       (unsigned long long)(st.tc_ok_same + st.tc_ok_xlat),
	       (unsigned long long)st.tc_ok_same,
	       (unsigned long long)st.tc_ok_xlat,
	       (unsigned long long)st.tc_shot, (unsigned long long)st.tc_redir,
	       (unsigned long long)st.tc_redir_same);
	printf("drops by reason:               xdp          tc\n");
	for (i = 1; i < DROP_MAX; i++)
		printf("  %-22s %11llu %11llu\n", drop_name[i],
		       (unsigned long long)st.drop_xdp[i],
		       (unsigned long long)st.drop_tc[i]);
	printf("forwarded with translation: %llu (NAT forward %llu, NAT "
	       "reply %llu, DSR %llu, asymmetric de-NAT %llu)\n",
	       (unsigned long long)(st.xlat_fwd + st.xlat_rev + st.xlat_dsr +
				    st.xlat_rnat),
	       (unsigned long long)st.xlat_fwd, (unsigned long long)st.xlat_rev,
	       (unsigned long long)st.xlat_dsr,
	       (unsigned long long)st.xlat_rnat);
	printf("  of which with a bad checksum on input (kept exactly as "
	       "bad): %llu\n",
	       (unsigned long long)st.bad_csum_in);
	printf("conntrack: %llu entries made, %llu clears, %llu fills "
	       "(%llu frames refused DROP_CT_FULL), %llu table audits, "
	       "%llu config changes, %llu events\n",
	       (unsigned long long)st.new_entries,
	       (unsigned long long)st.ct_clears, (unsigned long long)st.fills,
	       (unsigned long long)st.fills_full, (unsigned long long)st.audits,
	       (unsigned long long)st.toggles, (unsigned long long)st.events);
	printf("oracle violations: %llu\n", (unsigned long long)st.violations);
	printf("runtime: %.1f s, %.0f frames/s (%.0f program runs/s)\n", secs,
	       secs > 0 ? (double)st.frames / secs : 0.0,
	       secs > 0 ? (double)(st.xdp_runs + st.tc_runs) / secs : 0.0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"packets", required_argument, NULL, 'n'},
	    {"seed", required_argument, NULL, 's'},
	    {"seconds", required_argument, NULL, 't'},
	    {"trace", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	uint64_t packets = FZ_DEFAULT_PACKETS, seed, i, phase = 0;
	double limit = -1, t0, secs;
	bool seeded = false, counted = false, early = false, filling = false;
	bool snat_fill = false;
	int c, ret, gen, ifindex;
	struct frame in;
	uint32_t r;

	while ((c = getopt_long(argc, argv, "n:s:t:T:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			packets = strtoull(optarg, NULL, 0);
			counted = true;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 't':
			limit = strtod(optarg, NULL);
			break;
		case 'T':
			trace_from = strtoull(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ull ^
		       (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
	}
	if (limit < 0)
		limit = counted ? 0 : FZ_DEFAULT_SECONDS;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fuzz_datapath: seed %#llx, %llu frames, time limit %.0f s "
	       "(0: none), ct_max %u\n",
	       (unsigned long long)seed, (unsigned long long)packets, limit,
	       FZ_CT_MAX);

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
	ret = fx_open(&fx, FZ_CT_MAX);
	if (ret == -EPERM) {
		printf("SKIP: not allowed to load BPF programs\n");
		return SKIP;
	}
	if (ret) {
		fprintf(stderr, "cannot load the datapath: %s\n",
			strerror(-ret));
		return 1;
	}
	ret = setup();
	if (ret) {
		fprintf(stderr, "cannot program the services: %s\n",
			strerror(-ret));
		fx_close(&fx);
		return 1;
	}

	rng_state = seed;
	cx.seed = seed;
	t0 = now_s();
	for (i = 0; i < packets; i++) {
		if (i && i % FZ_AUDIT_EVERY == 0)
			audit();
		if (i % FZ_PHASE == 0) {
			if (i) {
				audit();
				ret = clear_ct();
				if (!ret)
					ret = restore();
				if (ret)
					break;
			}
			filling = phase++ % FZ_FILL_EVERY == FZ_FILL_EVERY - 1;
			st.fills += filling;
			/* Every other fill narrows this node's share of
			 * fullNAT ports to 1007, which a fullNAT flood uses
			 * up before the table is full. */
			snat_fill = filling && st.fills % 2 == 0;
			if (snat_fill) {
				conf.snat_slot = 5;
				conf.snat_slots = 64;
				ret = fx_set_snat_share(&fx, 5, 64);
				if (ret)
					break;
			}
		} else if (i % FZ_TOGGLE_EVERY == 0) {
			if (chance(60)) {
				ret = toggle();
				if (ret)
					break;
			}
			ret = fx_events_poll(&fx);
			if (ret)
				break;
			st.events += (uint64_t)fx.nevents;
			fx.nevents = 0;
			if (limit && now_s() - t0 > limit) {
				early = true;
				break;
			}
		}
		/* A fill phase opens with new tuples until the table is
		 * full, and goes on with a full table. */
		if (filling && i % FZ_PHASE < FZ_CT_MAX + 512) {
			gen = G_FLOOD;
			ifindex = gen_flood(&in, snat_fill);
		} else {
			r = rnd(100);
			if (r < 20) {
				gen = G_RANDOM;
				ifindex = gen_random(&in);
			} else if (r < 55) {
				gen = G_MUTATED;
				ifindex = gen_mutated(&in);
			} else {
				gen = G_FLOW;
				ifindex = gen_flow(&in);
			}
		}
		run_frame(&in, ifindex, gen);
	}
	if (!ret)
		audit();
	secs = now_s() - t0;
	if (ret) {
		fprintf(stderr, "configuration change failed: %s\n",
			strerror(-ret));
		fx_close(&fx);
		return 1;
	}
	report(secs, early);
	fx_close(&fx);
	return st.violations ? 1 : 0;
}
