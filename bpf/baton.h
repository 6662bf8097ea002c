/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * baton.h - everything that crosses the kernel/user boundary.
 *
 * Contract: this is the only place where a map key, a map value, an event,
 * a counter index or a datapath constant is declared. The BPF objects
 * (bpf/baton.bpf.c) and every user-space part (node/, sync/, tests/) include it,
 * so a layout change is one edit and the size asserts below catch drift.
 *
 * Byte order: fields named *addr / *port / vip / vport are network order
 * (__be32/__be16) exactly as on the wire; everything else is host order.
 *
 * IPv6: the v4 names carry a "v4" in them on purpose. The v6 twins
 * (ct_v6_key, ct_v6_entry, ct_v6_map, nat_v6_map, ...) will be new types and
 * new maps; nothing here changes when they arrive. Types without v4/v6 in the
 * name (counters, states, modes, events header) are shared by both.
 */
#ifndef BATON_H
#define BATON_H

#include <linux/types.h>

#ifndef __BPF__
#include <assert.h>
#define BATON_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define BATON_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

/* ---- limits ------------------------------------------------------------ */

#define BATON_MAX_SERVICES	256	/* services per address family */
#define BATON_MAX_BACKENDS	64	/* backends per service */
/* Maglev table size: prime, > 500 x BATON_MAX_BACKENDS, so that removing
 * one backend moves < 1% of the others' slots (test_maglev measures it). */
#define BATON_MAGLEV_M		32749
#define BATON_SCHED_MAX		32768	/* schedule array length (>= M, 2^k) */
#define BATON_CT_DEFAULT_MAX	262144	/* ct_v4_map entries unless configured */
#define BATON_RINGBUF_SIZE	(4u << 20)
#define BATON_SNAT_TRIES	8	/* fullNAT source-port probes per flow */
#define BATON_SNAT_PORT_MIN	1024	/* fullNAT source ports: [MIN, 65535] */
#define BATON_SNAT_SLOTS_MAX	64	/* nodes sharing a fullNAT address */
#define BATON_FIB_CACHE_MS	500	/* how long a flow trusts its cached route */

/* Index of the slow path in pgm_tbl. */
#define BATON_PGM_SLOW		0
#define BATON_PGM_REPLY		1
#define BATON_PGM_MAX		4

/* ---- enums shared by both address families ----------------------------- */

enum baton_mode {
	BATON_MODE_DNAT = 0,	/* two-arm: rewrite destination, replies de-NATed */
	BATON_MODE_FULLNAT = 1,	/* rewrite destination and source (snat_addr) */
	BATON_MODE_DSR = 2,	/* L2 direct server return: MAC rewrite only */
	BATON_MODE_MAX
};

enum baton_algo {
	BATON_ALGO_MAGLEV = 0,	/* consistent hash of the 5-tuple */
	BATON_ALGO_WRR = 1,	/* weighted round robin over a schedule */
	BATON_ALGO_LC = 2,	/* least (weighted) active connections */
	BATON_ALGO_MAX
};

/*
 * Conntrack states. TCP uses all of them; UDP and ICMP use NEW (first packet
 * seen, no reply yet) and ESTABLISHED (a reply was seen).
 */
enum ct_state {
	CT_STATE_NONE = 0,
	CT_STATE_NEW = 1,	/* UDP/ICMP: request seen, no reply yet */
	CT_STATE_SYN_SENT = 2,	/* client SYN forwarded */
	CT_STATE_SYN_RECV = 3,	/* backend SYN-ACK seen */
	CT_STATE_ESTABLISHED = 4,
	CT_STATE_FIN_WAIT = 5,	/* first FIN seen */
	CT_STATE_CLOSE_WAIT = 6,/* FINs seen from both sides, last ACK due */
	CT_STATE_TIME_WAIT = 7,	/* both FINs acknowledged */
	CT_STATE_CLOSED = 8,	/* RST seen */
	CT_STATE_MAX
};

/* ct entry direction: which half of the pair a key is. */
enum ct_dir {
	CT_DIR_FWD = 0,		/* client -> VIP, keyed by the client tuple */
	CT_DIR_REV = 1,		/* backend -> client, keyed by post-NAT reply */
};

/* ct_v4_entry.flags */
#define CT_F_COUNTED	0x1	/* counted in be_stats_map.active */
#define CT_F_REMOTE	0x2	/* installed by sync from a peer (not re-sent);
				 * the datapath clears it and takes the flow
				 * over when it carries one of its packets */
#define CT_F_FIN_FWD	0x4	/* FIN seen client -> server */
#define CT_F_FIN_REV	0x8	/* FIN seen server -> client */
#define CT_F_FIN_FIRST_REV 0x10	/* the first FIN came server -> client */
#define CT_F_FORGOTTEN	0x20	/* being deleted for a new flow on its tuple
				 * (ct_forget): another CPU leaves it alone */

/*
 * Drop reasons, counted per CPU in drop_stats (index = reason). Every packet
 * the datapath drops is counted under exactly one of these.
 */
enum baton_drop {
	DROP_NONE = 0,
	DROP_MALFORMED_L2 = 1,	/* shorter than an Ethernet header */
	DROP_MALFORMED_L3 = 2,	/* bad IPv4 version/IHL/total length */
	DROP_MALFORMED_L4 = 3,	/* truncated or impossible TCP/UDP/ICMP header */
	DROP_FRAGMENT = 4,	/* IPv4 fragment addressed to a VIP */
	DROP_NO_BACKEND = 5,	/* service has no selectable backend */
	DROP_CT_FULL = 6,	/* ct_v4_map full: new flow refused */
	DROP_TCP_NO_CT = 7,	/* TCP non-SYN to a VIP without conntrack */
	DROP_SNAT_EXHAUSTED = 8,/* fullNAT: no free source port found */
	DROP_BAD_SERVICE = 9,	/* service entry inconsistent (table slot) */
	DROP_REDIRECT = 10,	/* redirect/rewrite helper failed */
	DROP_ICMP_TYPE = 11,	/* ICMP echo reply to a VIP without conntrack */
	DROP_CT_COLLISION = 12,	/* reply tuple already owned by another flow */
	DROP_SNAT_NO_CT = 13,	/* to a fullNAT source address:port, no ct */
	DROP_RNAT_AMBIGUOUS = 14,/* asymmetric return: reply without ct from a
				  * backend several DNAT services share */
	DROP_CT_RESET = 15,	/* TCP segment of a flow being reset (its
				 * backend went down, health.on_down: reset):
				 * batond answers it with RSTs */
	DROP_MAX
};

/* General per-CPU packet counters in pkt_stats (index = counter). */
enum baton_stat {
	ST_TC_RX = 0,		/* packets seen by tc_packet_func */
	ST_TC_PASS = 1,		/* not ours: handed to the stack untouched */
	ST_CT_HIT = 2,		/* conntrack hits on the fast path */
	ST_SLOW = 3,		/* tail calls into tc_packet_func_slow */
	ST_NEW_FLOW = 4,	/* conntrack pairs created */
	ST_FWD_FIB = 5,		/* redirected to a known neighbour */
	ST_FWD_NEIGH = 6,	/* redirected with bpf_redirect_neigh */
	ST_FWD_STACK = 7,	/* translated, then handed to the stack */
	ST_XDP_RX = 8,		/* packets seen by xdp_packet_func */
	ST_XDP_PASS = 9,	/* passed on to TC by XDP */
	ST_EV_LOST = 10,	/* ring buffer full: event not delivered */
	ST_TAILCALL_FAIL = 11,	/* pgm_tbl slot empty: packet to the stack */
	ST_OTHERHOST = 12,	/* frame for another host's MAC: left alone */
	ST_RNAT = 13,		/* asymmetric return: a reply without ct
				 * de-NATed through rnat_v4_map */
	ST_RNAT_NEW = 14,	/* ... a SYN-ACK, which made a ct pair */
	ST_MAX
};

/* ---- keys and values --------------------------------------------------- */

/*
 * ct_v4_key: one direction of a flow, as the packet carries it. For ICMP
 * echo, sport holds the echo identifier and dport is 0.
 */
struct ct_v4_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;		/* IPPROTO_TCP / _UDP / _ICMP */
	__u8 zone;		/* reserved for VRF/zone, always 0 today */
	__u16 pad;
};
BATON_STATIC_ASSERT(sizeof(struct ct_v4_key) == 16, "ct_v4_key size");

/*
 * ct_v4_entry: written by the datapath when it creates a pair, by batond's
 * sync when it installs a peer's pair, deleted by batond's GC.
 *
 * Portable part (what a peer needs to carry the flow on): peer, nat_*,
 * nexthop, vip/vport/vproto, mode, dir, state, flags & CT_F_FIN_*, owner,
 * epoch. Node-local part (re-based on install): svc_id, be_id, last_seen_ns,
 * created_ns, packets, bytes, CT_F_COUNTED.
 */
struct ct_v4_entry {
	struct ct_v4_key peer;	/* key of the other entry of the pair */
	__be32 nat_saddr;	/* source address written into the packet */
	__be32 nat_daddr;	/* destination address written into the packet */
	__be16 nat_sport;
	__be16 nat_dport;
	__be32 nexthop;		/* DSR: backend address to send to; else 0 */
	__be32 vip;		/* service this flow belongs to */
	__be16 vport;
	__u8 vproto;
	__u8 mode;		/* enum baton_mode */
	__u8 dir;		/* enum ct_dir */
	__u8 state;		/* enum ct_state */
	__u16 svc_id;		/* node-local index of the service */
	__u32 flags;		/* CT_F_* */
	__u16 be_id;		/* node-local backend id within the service */
	__u16 sync_gen;		/* node-local: resync generation that
				 * installed it (batond's sync); 0 if local */
	__u32 owner;		/* node id that created the flow */
	__u32 epoch;		/* owner's epoch when it created the flow */
	/* Node-local forwarding cache, filled from bpf_fib_lookup() and
	 * trusted for BATON_FIB_CACHE_MS; fib_ifindex 0 means "look up". */
	__u32 fib_ifindex;
	__u8 fib_smac[6];
	__u8 fib_dmac[6];
	__u32 fib_stamp;	/* ktime >> 20 (about ms) when filled */
	__u64 created_ns;	/* CLOCK_MONOTONIC_COARSE of this node */
	__u64 last_seen_ns;	/* CLOCK_MONOTONIC_COARSE of this node */
	__u64 packets;
	__u64 bytes;
};
BATON_STATIC_ASSERT(sizeof(struct ct_v4_entry) == 112, "ct_v4_entry size");

/* nat_v4_key: a virtual service. port is 0 for ICMP services. */
struct nat_v4_key {
	__be32 vip;
	__be16 port;
	__u8 proto;
	__u8 pad;
};
BATON_STATIC_ASSERT(sizeof(struct nat_v4_key) == 8, "nat_v4_key size");

/*
 * nat_v4_svc: written by batond only. The backend set and schedule live in
 * lb_v4_map at index svc_id * 2 + slot; batond fills the inactive slot and
 * then flips `slot` with one update of this entry, so a packet sees either
 * the old table or the new one, never a mix.
 */
struct nat_v4_svc {
	__u16 svc_id;
	__u8 mode;		/* enum baton_mode */
	__u8 algo;		/* enum baton_algo */
	__u8 slot;		/* 0 or 1: active half of lb_v4_map */
	__u8 flags;		/* reserved */
	__u16 pad;
	__be32 snat_addr;	/* fullNAT source address; 0 otherwise */
	__u32 gen;		/* bumped on every table change */
};
BATON_STATIC_ASSERT(sizeof(struct nat_v4_svc) == 16, "nat_v4_svc size");

#define BE_F_ACTIVE	0x1	/* selectable for new flows */
#define BE_F_DOWN	0x2	/* its health check failed (batond; the
				 * datapath reads only BE_F_ACTIVE) */

struct lb_v4_backend {
	__be32 addr;
	__be16 port;
	__u16 flags;		/* BE_F_* */
	__u32 weight;
};
BATON_STATIC_ASSERT(sizeof(struct lb_v4_backend) == 12, "lb_v4_backend size");

/*
 * lb_v4_table: one half (slot) of a service's selection state. be[] is
 * indexed by the backend's stable id (ids survive table changes, so the
 * be_id stored in a ct entry keeps meaning the same backend). sched[] holds
 * backend ids: the Maglev lookup table (len == BATON_MAGLEV_M) or the WRR
 * sequence (len == sum of reduced weights).
 */
struct lb_v4_table {
	__u32 nbe;		/* be[0..nbe) valid; inactive ones lack BE_F_ACTIVE */
	__u32 sched_len;
	struct lb_v4_backend be[BATON_MAX_BACKENDS];
	__u16 sched[BATON_SCHED_MAX];
};

/*
 * rnat_v4_map: a backend endpoint of a DNAT service (key: the backend's
 * addr, port (0 for ICMP), proto) -> the service. Written by batond with the
 * services; read only with BATON_CFG_F_ASYM.
 */
struct rnat_v4_val {
	__be32 vip;
	__be16 vport;
	__u16 svc_id;
	__u16 be_id;
	__u8 services;		/* DNAT services with this backend: != 1 means
				 * a reply cannot tell its VIP */
	__u8 pad;
};
BATON_STATIC_ASSERT(sizeof(struct rnat_v4_val) == 12, "rnat_v4_val size");

/* be_stats_map value: per backend (svc_id * MAX_BACKENDS + be_id). */
struct be_stats {
	__u64 active;		/* open flows (least-connections input) */
	__u64 flows;		/* flows ever assigned */
};

/* baton_cfg[0]: node-wide settings, written by batond before attaching. */
struct baton_cfg {
	__u32 node_id;
	__u32 epoch;
	__u32 hash_seed;	/* same on every node: same backend choice */
	/* fullNAT source ports: this node hands out every snat_slots-th
	 * port of [SNAT_PORT_MIN, 65535] from snat_slot on, so two nodes
	 * never make the same reply tuple (each knows only what the other
	 * has synced). 0 slots: all ports. */
	__u16 snat_slot;
	__u16 snat_slots;
	__u32 flags;		/* BATON_CFG_F_* */
};

/*
 * The return path may go through another node than the forward path (N
 * nodes behind ECMP, DNAT with the backends' return route over the same
 * set): a node may see only one direction of a flow. Then
 *  - a TCP flow is established by the client's ACK after its SYN, and a
 *    UDP or ICMP flow at its first packet (as DSR), so that it replicates;
 *  - a reply that misses conntrack, from a backend of a DNAT service, is
 *    de-NATed through rnat_v4_map (its SYN-ACK also makes a ct pair, which
 *    replicates: the backend has accepted the connection);
 *  - a node carrying only a flow's replies does not take the flow over
 *    (its owner still carries the client's packets).
 */
#define BATON_CFG_F_ASYM	0x1
/*
 * Some backend's TCP flows are being reset (be_reset_map): the fast path
 * looks its hits up there. Without it, that lookup is skipped.
 */
#define BATON_CFG_F_RESET	0x2

/*
 * ct_v4_revive (index 0): written by batond from the conntrack timeouts and
 * sync.refresh_s. A packet on a flow idle for longer than its state's value
 * here announces the pair again (CT_EV_REVIVED). The peers drop their copy
 * of a flow at its timeout and would hear of this packet only with the next
 * refresh: a failover in between would give the flow, or a new one reusing
 * its tuple, another backend. 0 (or no entry): never.
 */
#define BATON_REVIVE_TCP_STATES 16	/* room for new states: the pinned
					 * map's size must not change */
struct ct_v4_revive {
	__u32 tcp_s[BATON_REVIVE_TCP_STATES];	/* TCP, by enum ct_state */
	__u32 udp_s;				/* UDP past NEW */
	__u32 icmp_s;				/* ICMP past NEW */
};
BATON_STATIC_ASSERT(CT_STATE_MAX <= BATON_REVIVE_TCP_STATES,
		    "ct_v4_revive.tcp_s too small");
BATON_STATIC_ASSERT(sizeof(struct ct_v4_revive) == 72, "ct_v4_revive size");
/* Below this idle time no packet looks the thresholds up. */
#define BATON_REVIVE_MIN_NS 1000000000ull

/* ---- events (ct_events ring buffer) ------------------------------------ */

enum ct_event_type {
	CT_EV_ESTABLISHED = 1,	/* pair became established */
	CT_EV_STATE = 2,	/* state changed (FIN, close) */
	CT_EV_CLOSED = 3,	/* RST seen */
	CT_EV_CLAIMED = 4,	/* this node took over a peer's flow */
	CT_EV_RESET = 5,	/* a segment of a flow being reset was dropped:
				 * key is its tuple, entry the half it hit,
				 * seg_* the segment; batond answers with RSTs */
	CT_EV_REVIVED = 6,	/* traffic on a flow idle so long that the
				 * peers may have let it expire (ct_v4_revive) */
	CT_EV_MAX
};

struct ct_v4_event {
	__u8 type;		/* enum ct_event_type */
	__u8 family;		/* AF_INET */
	__u16 pad;
	__u32 cpu;
	__u64 ts_ns;		/* CLOCK_MONOTONIC when the change happened */
	struct ct_v4_key key;	/* key of the forward entry */
	struct ct_v4_entry entry;	/* the forward entry after the change */
	/* CT_EV_RESET only (0 otherwise), host order. */
	__u32 seg_seq;
	__u32 seg_ack;
	__u16 seg_len;		/* payload bytes */
	__u8 seg_flags;		/* TCP flags byte */
	__u8 seg_pad[5];
};
BATON_STATIC_ASSERT(sizeof(struct ct_v4_event) == 160, "ct_v4_event size");

/* ---- helpers both sides use -------------------------------------------- */

/* Index of a service's slot in lb_v4_map. */
static inline __u32 baton_lb_index(__u32 svc_id, __u32 slot)
{
	return svc_id * 2 + (slot & 1);
}

/* Index of a backend in be_stats_map. */
static inline __u32 baton_be_index(__u32 svc_id, __u32 be_id)
{
	return svc_id * BATON_MAX_BACKENDS + be_id;
}

#endif /* BATON_H */
