/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * baton.bpf.c - the datapath's entry points.
 *
 *   tc_packet_func       TC ingress fast path: conntrack hit -> translate,
 *                        account, forward. Miss on a VIP -> tail call.
 *   tc_packet_func_slow  new flow: service, backend, conntrack pair.
 *   tc_packet_func_reply asymmetric return path: a backend's reply that
 *                        missed conntrack (tail call).
 *   xdp_packet_func      before an skb exists: drop what no host would
 *                        accept, count. Everything else goes on to TC.
 *
 * The logic lives in the headers under lib/, one concern per header.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "baton.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/stats.h"
#include "lib/ct.h"
#include "lib/lb.h"
#include "lib/nat.h"
#include "lib/fwd.h"
#include "lib/reset.h"

#ifndef EEXIST
#define EEXIST 17
#endif

/* Largest header stack we ever read: Ethernet, IPv4 with options, TCP with
 * options. */
#define TC_PULL_LEN (14 + 60 + 60)

static __always_inline int tc_drop(__u32 reason)
{
	baton_count_drop(reason);
	return TC_ACT_SHOT;
}

#define BATON_PACKET_OTHERHOST	3	/* linux/if_packet.h PACKET_OTHERHOST */

static __always_inline int tc_pass(void)
{
	baton_count(ST_TC_PASS);
	return TC_ACT_OK;
}

/* Parse, pulling non-linear headers into the linear part once if needed.
 * Returns PARSE_V4, PARSE_PASS or a negative drop reason. */
static __always_inline int tc_parse(struct __sk_buff *skb, struct pkt_v4 *p)
{
	int ret;

	ret = baton_parse_v4((void *)(long)skb->data,
			     (void *)(long)skb->data_end, p);
	if ((ret == PARSE_SHORT_L3 || ret == PARSE_SHORT_L4) &&
	    skb->len > skb->data_end - skb->data) {
		bpf_skb_pull_data(skb, skb->len < TC_PULL_LEN ? skb->len :
								TC_PULL_LEN);
		ret = baton_parse_v4((void *)(long)skb->data,
				     (void *)(long)skb->data_end, p);
	}
	/* Still short: the headers really are truncated. */
	if (ret == PARSE_SHORT_L3)
		return -DROP_MALFORMED_L3;
	if (ret == PARSE_SHORT_L4)
		return -DROP_MALFORMED_L4;
	if (ret == PARSE_V4 && p->l3_off + p->tot_len > skb->len)
		return -DROP_MALFORMED_L3;
	return ret;
}

static __always_inline void svc_key(const struct pkt_v4 *p,
				    struct nat_v4_key *k)
{
	k->vip = p->daddr;
	k->port = p->proto == IPPROTO_ICMP ? 0 : p->dport;
	k->proto = p->proto;
	k->pad = 0;
}

/* The backend endpoint a reply comes from, as rnat_v4_map keys it; 0 if
 * the packet cannot be a reply (ICMP other than an echo reply). */
static __always_inline int rnat_key(const struct pkt_v4 *p,
				    struct nat_v4_key *k)
{
	if (p->proto == IPPROTO_ICMP && p->icmp_type != ICMP_ECHOREPLY)
		return 0;
	k->vip = p->saddr;
	k->port = p->proto == IPPROTO_ICMP ? 0 : p->sport;
	k->proto = p->proto;
	k->pad = 0;
	return 1;
}

static __always_inline int tc_tail_call(struct __sk_buff *skb, __u32 pgm)
{
	bpf_tail_call(skb, &pgm_tbl, pgm);
	baton_count(ST_TAILCALL_FAIL);
	return TC_ACT_OK;
}

/* Apply an entry's translation and send the packet on. */
static __always_inline int ct_forward(struct __sk_buff *skb,
				      const struct pkt_v4 *p,
				      struct ct_v4_entry *e, __u64 now)
{
	if (e->mode == BATON_MODE_DSR)
		return fwd_v4(skb, e, p->saddr, e->nexthop, p->proto, now, 0);
	if (nat_rewrite(skb, p, e->nat_saddr, e->nat_daddr, e->nat_sport,
			e->nat_dport))
		return tc_drop(DROP_REDIRECT);
	return fwd_v4(skb, e, e->nat_saddr, e->nat_daddr, p->proto, now, 1);
}

/* Fragments carry no (or not all of the) L4 header: a first fragment to a
 * VIP is dropped (its tail could not follow it), later fragments have no
 * ports and go to the stack, which cannot reassemble them without the
 * first and discards them. */
static __always_inline int tc_fragment(const struct pkt_v4 *p)
{
	struct nat_v4_key nk;

	if (p->frag == FRAG_FIRST && p->l4_ok) {
		svc_key(p, &nk);
		if (bpf_map_lookup_elem(&nat_v4_map, &nk))
			return tc_drop(DROP_FRAGMENT);
	}
	return tc_pass();
}

/*
 * A client's bare SYN on a closing or closed tuple opens a new connection
 * (ct_tcp_next). It keeps the old one's backend, unless that backend takes
 * no new flows any more (health check down, weight 0, removed - its id may
 * name another backend by now) or the service is gone: then the SYN is a
 * new flow, and the slow path chooses for it. Only a packet the slow path
 * accepts as a first packet (SYN alone) does that.
 */
static __always_inline int ct_reopen_elsewhere(const struct pkt_v4 *p,
					       const struct ct_v4_entry *e)
{
	struct lb_v4_backend *be;
	struct lb_v4_table *tbl;
	struct nat_v4_svc *svc;
	struct nat_v4_key nk;
	__u32 idx, id;

	if (p->proto != IPPROTO_TCP || e->dir != CT_DIR_FWD ||
	    e->state < CT_STATE_FIN_WAIT ||
	    (p->tcp_flags & (TCPF_SYN | TCPF_ACK | TCPF_RST | TCPF_FIN)) !=
		    TCPF_SYN)
		return 0;
	nk.vip = e->vip;
	nk.port = e->vport;
	nk.proto = e->vproto;
	nk.pad = 0;
	svc = bpf_map_lookup_elem(&nat_v4_map, &nk);
	if (!svc || svc->svc_id != e->svc_id)
		return 1;
	idx = baton_lb_index(svc->svc_id, svc->slot);
	tbl = bpf_map_lookup_elem(&lb_v4_map, &idx);
	if (!tbl)
		return 1;
	id = e->be_id;
	if (id >= BATON_MAX_BACKENDS || id >= tbl->nbe)
		return 1;
	be = &tbl->be[id];
	if (!(be->flags & BE_F_ACTIVE) || !be->weight)
		return 1;
	if (e->mode == BATON_MODE_DSR)
		return be->addr != e->nexthop;
	return be->addr != e->nat_daddr || be->port != e->nat_dport;
}

/* Remove the pair of forward half e (under key) from the table and the
 * backend's count, so that the packet can make a new one. The first CPU
 * to mark the entry does it: another one's SYN on the same tuple must not
 * delete the flow the first one's slow path may have made by then (it
 * finds that flow there and follows it). */
static __always_inline void ct_forget(const struct ct_v4_key *key,
				      struct ct_v4_entry *e)
{
	struct ct_v4_key rk = e->peer;

	if (__sync_fetch_and_or(&e->flags, CT_F_FORGOTTEN) & CT_F_FORGOTTEN)
		return;
	ct_uncount(e);
	if (rk.proto)
		bpf_map_delete_elem(&ct_v4_map, &rk);
	bpf_map_delete_elem(&ct_v4_map, key);
}

SEC("tc")
int tc_packet_func(struct __sk_buff *skb)
{
	struct ct_v4_entry *e;
	struct nat_v4_key nk;
	struct ct_v4_key key;
	struct pkt_v4 p = {};
	int ret;

	/* p is zeroed: clang 14 otherwise spills a partly initialised copy
	 * and the verifier refuses the uninitialised stack read
	 * ("R3 !read_ok"). */
	baton_count(ST_TC_RX);
	/* A frame for another host's MAC - a switch flooding unknown
	 * unicast, typically towards a peer whose link just went down -
	 * is none of ours: the stack drops it, and so must we. A standby
	 * that balanced it would serve flows the master owns, or forward
	 * them twice. */
	if (skb->pkt_type == BATON_PACKET_OTHERHOST) {
		baton_count(ST_OTHERHOST);
		return TC_ACT_OK;
	}
	ret = tc_parse(skb, &p);
	if (ret < 0)
		return tc_drop(-ret);
	if (ret == PARSE_PASS)
		return tc_pass();
	if (p.frag)
		return tc_fragment(&p);
	if (!baton_pkt_tracked(&p))
		return tc_pass();

	baton_pkt_key(&p, &key);
	e = bpf_map_lookup_elem(&ct_v4_map, &key);
	if (e && ct_reopen_elsewhere(&p, e)) {
		ct_forget(&key, e);
		return tc_tail_call(skb, BATON_PGM_SLOW);
	}
	if (e) {
		__u64 now = bpf_ktime_get_coarse_ns();

		baton_count(ST_CT_HIT);
		if (p.proto == IPPROTO_TCP && ct_resetting(e))
			return ct_reset(skb, &key, e, &p, now);
		ct_update(&key, e, &p, skb->len, now);
		return ct_forward(skb, &p, e, now);
	}

	/* Not tracked: only traffic to a service goes to the slow path. */
	svc_key(&p, &nk);
	if (bpf_map_lookup_elem(&nat_v4_map, &nk))
		return tc_tail_call(skb, BATON_PGM_SLOW);
	if (p.proto != IPPROTO_ICMP &&
	    bpf_ntohs(p.dport) >= BATON_SNAT_PORT_MIN &&
	    bpf_map_lookup_elem(&snat_v4_map, &p.daddr))
		return tc_drop(DROP_SNAT_NO_CT);
	if (rnat_key(&p, &nk) && ct_cfg_asym() &&
	    bpf_map_lookup_elem(&rnat_v4_map, &nk))
		return tc_tail_call(skb, BATON_PGM_REPLY);
	return tc_pass();
}

static __always_inline int ct_key_eq(const struct ct_v4_key *a,
				     const struct ct_v4_key *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr &&
	       a->sport == b->sport && a->dport == b->dport &&
	       a->proto == b->proto;
}

/* fullNAT source port for try i: spread over this node's share of
 * [SNAT_PORT_MIN, 65535] (struct baton_cfg). */
static __always_inline __be16 snat_port(__u32 h, __u32 i,
					const struct baton_cfg *cfg)
{
	__u32 span = 65536 - BATON_SNAT_PORT_MIN, slots = cfg->snat_slots;
	__u32 slot = cfg->snat_slot;

	if (!slots || slots > BATON_SNAT_SLOTS_MAX || slot >= slots) {
		slots = 1;
		slot = 0;
	}
	return bpf_htons(BATON_SNAT_PORT_MIN +
			 ((h + i * 7919) % (span / slots)) * slots + slot);
}

/*
 * Insert the reply half. DNAT and ICMP keep the client's port/identifier;
 * fullNAT probes source ports. A reply tuple already used by a live flow is
 * never overwritten (that flow would break); a stale half of this very flow
 * is. Returns 0 (inserted), 1 (replaced a half of this flow, which may be
 * the one another CPU just created) or a negative drop reason.
 */
static __always_inline int ct_insert_rev(struct ct_v4_key *rk,
					 struct ct_v4_entry *rev,
					 const struct ct_v4_key *fk,
					 struct ct_v4_entry *fwd, __u32 h,
					 int probe, const struct baton_cfg *cfg)
{
	struct ct_v4_entry *old;
	int i, ret;

	for (i = 0; i < BATON_SNAT_TRIES; i++) {
		if (probe) {
			rk->dport = snat_port(h, i, cfg);
			fwd->nat_sport = rk->dport;
		}
		ret = bpf_map_update_elem(&ct_v4_map, rk, rev, BPF_NOEXIST);
		if (!ret)
			return 0;
		if (ret != -EEXIST)
			return -DROP_CT_FULL;
		old = bpf_map_lookup_elem(&ct_v4_map, rk);
		if (old && ct_key_eq(&old->peer, fk)) {
			if (bpf_map_update_elem(&ct_v4_map, rk, rev, BPF_ANY))
				return -DROP_CT_FULL;
			return 1;
		}
		if (!probe)
			return -DROP_CT_COLLISION;
	}
	return -DROP_SNAT_EXHAUSTED;
}

/* The reply half of the pair whose forward half is fwd (under fk): it
 * translates back to what the client sent to. Nothing counted on it yet. */
static __always_inline void ct_rev_init(struct ct_v4_entry *rev,
					const struct ct_v4_entry *fwd,
					const struct ct_v4_key *fk)
{
	*rev = *fwd;
	rev->dir = CT_DIR_REV;
	rev->flags = 0;
	rev->packets = 0;
	rev->bytes = 0;
	rev->nat_saddr = fk->daddr;
	rev->nat_sport = fk->dport;
	rev->nat_daddr = fk->saddr;
	rev->nat_dport = fk->sport;
	__builtin_memcpy(&rev->peer, fk, sizeof(*fk));
}

/*
 * Insert the forward half of a new flow after its reply half (rev_new: this
 * call inserted that at rk). Returns 0 (inserted), 1 (the flow exists: made
 * first by another CPU or installed by sync - follow that entry) or a
 * negative drop reason. A reply half this call inserted is undone unless
 * the existing flow uses it (with the same translation it is that flow's,
 * which replaced or re-inserted it).
 */
static __always_inline int ct_insert_fwd(const struct ct_v4_key *fk,
					 const struct ct_v4_entry *fwd,
					 const struct ct_v4_key *rk,
					 int rev_new)
{
	struct ct_v4_entry *e;
	int ret;

	ret = bpf_map_update_elem(&ct_v4_map, fk, fwd, BPF_NOEXIST);
	if (!ret)
		return 0;
	if (ret != -EEXIST) {
		if (rev_new)
			bpf_map_delete_elem(&ct_v4_map, rk);
		return -DROP_CT_FULL;
	}
	e = bpf_map_lookup_elem(&ct_v4_map, fk);
	if (rev_new && (!e || !ct_key_eq(&e->peer, rk)))
		bpf_map_delete_elem(&ct_v4_map, rk);
	return e ? 1 : -DROP_CT_FULL;
}

/* A new flow on its backend's counters (its entry carries CT_F_COUNTED). */
static __always_inline void ct_count_new(const struct ct_v4_entry *fwd)
{
	struct be_stats *bs;
	__u32 idx;

	baton_count(ST_NEW_FLOW);
	idx = baton_be_index(fwd->svc_id, fwd->be_id);
	bs = bpf_map_lookup_elem(&be_stats_map, &idx);
	if (bs) {
		__sync_fetch_and_add(&bs->active, 1);
		__sync_fetch_and_add(&bs->flows, 1);
	}
}

SEC("tc")
int tc_packet_func_slow(struct __sk_buff *skb)
{
	struct ct_v4_entry fwd = {}, *rev;
	struct ct_v4_key fk, rk = {};
	struct lb_v4_backend *be;
	struct nat_v4_svc *svc;
	struct ct_v4_entry *e;
	struct baton_cfg *cfg;
	struct nat_v4_key nk;
	struct pkt_v4 p = {};
	__u32 zero = 0, h = 0;
	__u64 now;
	int ret, be_id, rev_new = 0;

	baton_count(ST_SLOW);
	ret = tc_parse(skb, &p);
	if (ret < 0)
		return tc_drop(-ret);
	if (ret == PARSE_PASS || p.frag || !baton_pkt_tracked(&p))
		return tc_pass();

	svc_key(&p, &nk);
	svc = bpf_map_lookup_elem(&nat_v4_map, &nk);
	if (!svc)
		return tc_pass();

	/* Only a connection's first packet may create state: a stray ACK or
	 * RST (or a flood of them) never fills the table. */
	if (p.proto == IPPROTO_TCP &&
	    (p.tcp_flags & (TCPF_SYN | TCPF_ACK | TCPF_RST | TCPF_FIN)) !=
		    TCPF_SYN)
		return tc_drop(DROP_TCP_NO_CT);
	if (p.proto == IPPROTO_ICMP && p.icmp_type != ICMP_ECHO)
		return tc_drop(DROP_ICMP_TYPE);

	cfg = bpf_map_lookup_elem(&baton_cfg, &zero);
	if (!cfg)
		return tc_drop(DROP_BAD_SERVICE);
	if (svc->mode >= BATON_MODE_MAX ||
	    (svc->mode == BATON_MODE_FULLNAT && !svc->snat_addr))
		return tc_drop(DROP_BAD_SERVICE);

	be_id = lb_select(svc, &p, cfg->hash_seed, &be);
	if (be_id < 0)
		return tc_drop(-be_id);

	now = bpf_ktime_get_coarse_ns();
	baton_pkt_key(&p, &fk);

	fwd.vip = p.daddr;
	fwd.vport = nk.port;
	fwd.vproto = p.proto;
	fwd.mode = svc->mode;
	fwd.dir = CT_DIR_FWD;
	fwd.svc_id = svc->svc_id;
	fwd.be_id = be_id;
	fwd.flags = CT_F_COUNTED;
	fwd.owner = cfg->node_id;
	fwd.epoch = cfg->epoch;
	fwd.created_ns = now;
	fwd.last_seen_ns = now;
	fwd.packets = 1;
	fwd.bytes = skb->len;
	fwd.nat_saddr = p.saddr;
	fwd.nat_sport = p.sport;
	fwd.nat_daddr = be->addr;
	fwd.nat_dport = p.proto == IPPROTO_ICMP ? p.dport : be->port;
	if (p.proto == IPPROTO_TCP)
		fwd.state = CT_STATE_SYN_SENT;
	else
		fwd.state = CT_STATE_NEW;

	/* Where this node may see no reply (DSR; an asymmetric return path),
	 * a flow without a handshake is established at once, so that it
	 * replicates. */
	if (p.proto != IPPROTO_TCP &&
	    (svc->mode == BATON_MODE_DSR || (cfg->flags & BATON_CFG_F_ASYM)))
		fwd.state = CT_STATE_ESTABLISHED;
	if (svc->mode == BATON_MODE_DSR) {
		/* The backend answers the client itself: no reply half, and
		 * the packet keeps its addresses. */
		fwd.nat_daddr = p.daddr;
		fwd.nat_dport = p.dport;
		fwd.nexthop = be->addr;
	} else {
		if (svc->mode == BATON_MODE_FULLNAT)
			fwd.nat_saddr = svc->snat_addr;

		rk.saddr = fwd.nat_daddr;
		rk.daddr = fwd.nat_saddr;
		rk.sport = p.proto == IPPROTO_ICMP ? p.sport : fwd.nat_dport;
		rk.dport = p.proto == IPPROTO_ICMP ? 0 : fwd.nat_sport;
		rk.proto = p.proto;

		/* Scratch (ct_scratch): the stack cannot hold both halves. */
		rev = bpf_map_lookup_elem(&ct_scratch, &zero);
		if (!rev)
			return tc_drop(DROP_CT_FULL);
		ct_rev_init(rev, &fwd, &fk);

		if (svc->mode == BATON_MODE_FULLNAT)
			h = baton_flow_hash_v4(p.saddr, p.daddr, p.sport,
					       p.dport, p.proto,
					       cfg->hash_seed);
		ret = ct_insert_rev(&rk, rev, &fk, &fwd, h,
				    svc->mode == BATON_MODE_FULLNAT &&
					    p.proto != IPPROTO_ICMP, cfg);
		if (ret < 0)
			return tc_drop(-ret);
		rev_new = ret == 0;
		__builtin_memcpy(&fwd.peer, &rk, sizeof(rk));
	}

	ret = ct_insert_fwd(&fk, &fwd, &rk, rev_new);
	if (ret < 0)
		return tc_drop(-ret);
	if (ret) {
		/* Another CPU created this flow first: follow its entry. */
		e = bpf_map_lookup_elem(&ct_v4_map, &fk);
		if (!e)
			return tc_drop(DROP_CT_FULL);
		ct_update(&fk, e, &p, skb->len, now);
		return ct_forward(skb, &p, e, now);
	}

	ct_count_new(&fwd);
	if (fwd.state == CT_STATE_ESTABLISHED)
		ct_emit(CT_EV_ESTABLISHED, &fk, &fwd);
	/* The first packet goes out with the local copy: the route it looks
	 * up is cached in the map entry by the flow's next packet. */
	return ct_forward(skb, &p, &fwd, now);
}

/*
 * The pair a backend's SYN-ACK makes on a node of an asymmetric return
 * path: the node that saw the client's SYN sees no reply, so its flow is
 * not replicable before the client's ACK; this one is, from SYN_RECV (the
 * backend accepted the connection), and whichever node the client's ACK
 * lands on then holds it. Best effort: the reply is de-NATed either way.
 */
static __always_inline void rnat_pair(const struct pkt_v4 *p,
				      const struct rnat_v4_val *r, __u32 len)
{
	struct ct_v4_entry fwd = {}, rev = {};
	struct ct_v4_key fk = {}, rk;
	struct baton_cfg *cfg;
	__u32 zero = 0;
	__u64 now;
	int ret;

	cfg = bpf_map_lookup_elem(&baton_cfg, &zero);
	if (!cfg)
		return;
	now = bpf_ktime_get_coarse_ns();
	baton_pkt_key(p, &rk);
	fk.saddr = p->daddr;
	fk.daddr = r->vip;
	fk.sport = p->dport;
	fk.dport = r->vport;
	fk.proto = p->proto;

	fwd.vip = r->vip;
	fwd.vport = r->vport;
	fwd.vproto = p->proto;
	fwd.mode = BATON_MODE_DNAT;
	fwd.dir = CT_DIR_FWD;
	fwd.state = CT_STATE_SYN_RECV;
	fwd.svc_id = r->svc_id;
	fwd.be_id = r->be_id;
	fwd.flags = CT_F_COUNTED;
	fwd.owner = cfg->node_id;
	fwd.epoch = cfg->epoch;
	fwd.created_ns = now;
	fwd.last_seen_ns = now;
	fwd.nat_saddr = p->daddr;
	fwd.nat_sport = p->dport;
	fwd.nat_daddr = p->saddr;
	fwd.nat_dport = p->sport;
	__builtin_memcpy(&fwd.peer, &rk, sizeof(rk));

	ct_rev_init(&rev, &fwd, &fk);
	rev.packets = 1;
	rev.bytes = len;

	if (bpf_map_update_elem(&ct_v4_map, &rk, &rev, BPF_NOEXIST))
		return;		/* made meanwhile, or a full table */
	ret = ct_insert_fwd(&fk, &fwd, &rk, 1);
	if (ret)
		return;
	ct_count_new(&fwd);
	baton_count(ST_RNAT_NEW);
	ct_emit(CT_EV_STATE, &fk, &fwd);
}

/*
 * A reply that missed conntrack on a node of an asymmetric return path
 * (BATON_CFG_F_ASYM), from a backend endpoint of a DNAT service: the flow
 * was made on another node, and its entry is on its way (or not sent yet:
 * see rnat_pair). De-NAT it through rnat_v4_map. Traffic for this node
 * itself (the answer to its own health check) or that it cannot route is
 * left to the stack, untouched.
 */
SEC("tc")
int tc_packet_func_reply(struct __sk_buff *skb)
{
	struct bpf_fib_lookup fib = {};
	struct rnat_v4_val *r;
	struct nat_v4_key rk;
	struct pkt_v4 p = {};
	int ret, rc;

	ret = tc_parse(skb, &p);
	if (ret < 0)
		return tc_drop(-ret);
	if (ret == PARSE_PASS || p.frag || !baton_pkt_tracked(&p) ||
	    !rnat_key(&p, &rk))
		return tc_pass();
	r = bpf_map_lookup_elem(&rnat_v4_map, &rk);
	if (!r)
		return tc_pass();
	rc = fwd_lookup(skb, &fib, r->vip, p.daddr, p.proto);
	if (!fwd_routable(rc))
		return tc_pass();
	/* Several services share the backend: which VIP the client talks
	 * to is not known without the entry. Its retransmission will find
	 * it (a RST from the client would not wait). */
	if (r->services != 1)
		return tc_drop(DROP_RNAT_AMBIGUOUS);
	if (p.proto == IPPROTO_TCP &&
	    (p.tcp_flags & (TCPF_SYN | TCPF_ACK | TCPF_RST | TCPF_FIN)) ==
		    (TCPF_SYN | TCPF_ACK))
		rnat_pair(&p, r, skb->len);
	if (nat_rewrite(skb, &p, r->vip, p.daddr, r->vport, p.dport))
		return tc_drop(DROP_REDIRECT);
	baton_count(ST_RNAT);
	return fwd_send(skb, &fib, rc, 1);
}

SEC("xdp.frags")
int xdp_packet_func(struct xdp_md *ctx)
{
	struct pkt_v4 p = {};
	int ret;

	baton_count(ST_XDP_RX);
	ret = baton_parse_v4((void *)(long)ctx->data,
			     (void *)(long)ctx->data_end, &p);
	/* Only verdicts no host would dispute: a truncated header may just
	 * continue in a fragment buffer, so TC (which can pull) decides. */
	if (ret < 0) {
		baton_count_drop(-ret);
		return XDP_DROP;
	}
	baton_count(ST_XDP_PASS);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
