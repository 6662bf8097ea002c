/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ct.h - conntrack: per-packet state machine on an existing pair, and the
 * events batond consumes.
 *
 * Both halves of a pair carry the state; a transition writes both (the
 * other half found through entry.peer), so either half alone tells a peer
 * node, the GC and batonctl where the connection is. Packets of an
 * established flow change neither state nor the other half: one lookup.
 */
#ifndef BATON_LIB_CT_H
#define BATON_LIB_CT_H

#include "maps.h"
#include "parse.h"
#include "stats.h"

/* A reserved event about entry e (under key); seg_* zeroed. */
static __always_inline void ct_event_fill(struct ct_v4_event *ev, __u8 type,
					  const struct ct_v4_key *key,
					  const struct ct_v4_entry *e)
{
	ev->type = type;
	ev->family = 2; /* AF_INET */
	ev->pad = 0;
	ev->cpu = bpf_get_smp_processor_id();
	/* Precise, unlike the entry's coarse stamps: sync measures its lag
	 * from here. Events are rare next to packets. */
	ev->ts_ns = bpf_ktime_get_ns();
	__builtin_memcpy(&ev->key, key, sizeof(*key));
	__builtin_memcpy(&ev->entry, e, sizeof(*e));
	ev->seg_seq = 0;
	ev->seg_ack = 0;
	ev->seg_len = 0;
	ev->seg_flags = 0;
	__builtin_memset(ev->seg_pad, 0, sizeof(ev->seg_pad));
}

/* Emit an event about e; the entry it carries was last seen at `seen` if
 * that is later than e's own stamp. */
static __always_inline void ct_emit_seen(__u8 type, const struct ct_v4_key *key,
					 const struct ct_v4_entry *e,
					 __u64 seen)
{
	struct ct_v4_event *ev;

	ev = bpf_ringbuf_reserve(&ct_events, sizeof(*ev), 0);
	if (!ev) {
		baton_count(ST_EV_LOST);
		return;
	}
	ct_event_fill(ev, type, key, e);
	if (seen > ev->entry.last_seen_ns)
		ev->entry.last_seen_ns = seen;
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline void ct_emit(__u8 type, const struct ct_v4_key *key,
				    const struct ct_v4_entry *e)
{
	ct_emit_seen(type, key, e, 0);
}

/* Take a flow off its backend's active count, once. */
static __always_inline void ct_uncount(struct ct_v4_entry *fwd)
{
	struct be_stats *bs;
	__u32 idx;

	if (!(__sync_fetch_and_and(&fwd->flags, ~CT_F_COUNTED) & CT_F_COUNTED))
		return;
	idx = baton_be_index(fwd->svc_id, fwd->be_id);
	bs = bpf_map_lookup_elem(&be_stats_map, &idx);
	if (bs)
		__sync_fetch_and_add(&bs->active, -1);
}

static __always_inline void ct_count(struct ct_v4_entry *fwd)
{
	struct be_stats *bs;
	__u32 idx;

	if (__sync_fetch_and_or(&fwd->flags, CT_F_COUNTED) & CT_F_COUNTED)
		return;
	idx = baton_be_index(fwd->svc_id, fwd->be_id);
	bs = bpf_map_lookup_elem(&be_stats_map, &idx);
	if (bs) {
		__sync_fetch_and_add(&bs->active, 1);
		__sync_fetch_and_add(&bs->flows, 1);
	}
}

/*
 * Next TCP state for a packet with `flags` travelling in direction `dir`.
 * Returns the new state (== cur when nothing changes); *set / *clear get
 * the CT_F_FIN_* bits to change. `one_way`: this node sees only client ->
 * server packets of the handshake (DSR, or an asymmetric return path, see
 * BATON_CFG_F_ASYM), so the client's first ACK establishes the flow.
 */
static __always_inline __u8 ct_tcp_next(__u8 cur, __u32 eflags, __u8 flags,
					__u8 dir, int one_way, __u32 *set,
					__u32 *clear)
{
	__u32 mine = dir == CT_DIR_FWD ? CT_F_FIN_FWD : CT_F_FIN_REV;

	if (flags & TCPF_RST)
		return CT_STATE_CLOSED;
	/* Traffic after a RST: the endpoints did not take it (a stray or
	 * spoofed RST outside their window, RFC 5961), so neither does the
	 * LB - or an idle connection would die with the CLOSED timeout. */
	if (cur == CT_STATE_CLOSED &&
	    (flags & (TCPF_SYN | TCPF_ACK | TCPF_FIN)) == TCPF_ACK)
		return CT_STATE_ESTABLISHED;
	/* The client's bare SYN on a closing or closed tuple opens a new
	 * connection (DSR never sees the server's FIN, so it must not wait
	 * for TIME_WAIT). */
	if (cur >= CT_STATE_FIN_WAIT && dir == CT_DIR_FWD &&
	    (flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN) {
		*clear = CT_F_FIN_FWD | CT_F_FIN_REV | CT_F_FIN_FIRST_REV;
		return CT_STATE_SYN_SENT;
	}

	switch (cur) {
	case CT_STATE_SYN_SENT:
		if (flags & TCPF_FIN)
			break;
		if (dir == CT_DIR_REV && (flags & TCPF_SYN) &&
		    (flags & TCPF_ACK))
			return CT_STATE_SYN_RECV;
		if (one_way && dir == CT_DIR_FWD &&
		    (flags & TCPF_ACK) && !(flags & TCPF_SYN))
			return CT_STATE_ESTABLISHED;
		return cur;
	case CT_STATE_SYN_RECV:
		if (flags & TCPF_FIN)
			break;
		if (dir == CT_DIR_FWD && (flags & TCPF_ACK) &&
		    !(flags & TCPF_SYN))
			return CT_STATE_ESTABLISHED;
		return cur;
	case CT_STATE_ESTABLISHED:
		break;
	case CT_STATE_FIN_WAIT:
		if ((flags & TCPF_FIN) && !(eflags & mine)) {
			*set = mine;
			return CT_STATE_CLOSE_WAIT;
		}
		return cur;
	case CT_STATE_CLOSE_WAIT: {
		/* The last ACK comes from the side that closed first. */
		__u8 first = (eflags & CT_F_FIN_FIRST_REV) ? CT_DIR_REV :
							     CT_DIR_FWD;

		if (dir == first && (flags & TCPF_ACK) && !(flags & TCPF_FIN))
			return CT_STATE_TIME_WAIT;
		return cur;
	}
	default:
		return cur;
	}

	/* ESTABLISHED, or a FIN during the handshake: first FIN. */
	if (flags & TCPF_FIN) {
		*set = mine | (dir == CT_DIR_REV ? CT_F_FIN_FIRST_REV : 0);
		return CT_STATE_FIN_WAIT;
	}
	return cur;
}

/*
 * A client's bare SYN on a tuple held ESTABLISHED: a new connection on a
 * flow whose close this node never saw (it went through a peer, or the
 * endpoints vanished). The entry keeps its state and translation - a
 * spoofed SYN must not shorten a live connection's timeout - but the peers
 * are told again: without a transition nothing would replicate the new
 * connection, and a failover would lose it.
 */
static __always_inline int ct_tcp_reopen(const struct pkt_v4 *p,
					 const struct ct_v4_entry *e)
{
	return p->proto == IPPROTO_TCP && e->dir == CT_DIR_FWD &&
	       e->state == CT_STATE_ESTABLISHED &&
	       (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
}

static __always_inline int ct_cfg_asym(void)
{
	struct baton_cfg *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&baton_cfg, &zero);
	return cfg && (cfg->flags & BATON_CFG_F_ASYM);
}

/* Clear CT_F_REMOTE on both halves and make this node the owner. Returns
 * 1; 0 for a reply on an asymmetric return path (the owner still carries
 * the client's packets: a claim here would bounce the flow between the
 * two nodes); -1 without the node settings. */
static __always_inline int ct_claim(struct ct_v4_entry *e)
{
	struct ct_v4_entry *other = NULL;
	struct baton_cfg *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&baton_cfg, &zero);
	if (!cfg)
		return -1;
	if ((cfg->flags & BATON_CFG_F_ASYM) && e->dir == CT_DIR_REV)
		return 0;
	if (e->peer.proto)
		other = bpf_map_lookup_elem(&ct_v4_map, &e->peer);
	__sync_fetch_and_and(&e->flags, ~CT_F_REMOTE);
	e->owner = cfg->node_id;
	e->epoch = cfg->epoch;
	if (other) {
		__sync_fetch_and_and(&other->flags, ~CT_F_REMOTE);
		other->owner = cfg->node_id;
		other->epoch = cfg->epoch;
	}
	return 1;
}

/* Emit an event about the pair of `e` (found under `key`): events always
 * carry the forward half, last seen when the pair was (a peer ages its copy
 * from there: the reply half alone may be what keeps a flow alive). */
static __always_inline void ct_emit_fwd(__u8 type, const struct ct_v4_key *key,
					struct ct_v4_entry *e)
{
	struct ct_v4_entry *fwd;

	if (e->dir != CT_DIR_REV) {
		ct_emit(type, key, e);
		return;
	}
	fwd = bpf_map_lookup_elem(&ct_v4_map, &e->peer);
	if (fwd)
		ct_emit_seen(type, &e->peer, fwd, e->last_seen_ns);
}

static __always_inline __u8 ct_event_for(__u8 state)
{
	if (state == CT_STATE_ESTABLISHED)
		return CT_EV_ESTABLISHED;
	if (state == CT_STATE_CLOSED)
		return CT_EV_CLOSED;
	return CT_EV_STATE;
}

/* Has the pair of `e` been idle (until `now`) for longer than ct_v4_revive
 * allows for its protocol and state? Busy flows never look the thresholds
 * up; the other half is looked at only when e itself is past them (its
 * traffic kept the pair alive: a reply after a revived request is not
 * announced again). */
static __always_inline int ct_revived(const struct ct_v4_key *key,
				      const struct ct_v4_entry *e, __u64 now)
{
	struct ct_v4_entry *other;
	struct ct_v4_revive *r;
	__u32 zero = 0, s = 0;
	__u8 state = e->state;
	__u64 limit;

	if (now <= e->last_seen_ns + BATON_REVIVE_MIN_NS)
		return 0;
	r = bpf_map_lookup_elem(&ct_v4_revive, &zero);
	if (!r)
		return 0;
	if (key->proto == IPPROTO_TCP) {
		if (state < BATON_REVIVE_TCP_STATES)
			s = r->tcp_s[state];
	} else if (state > CT_STATE_NEW) {
		s = key->proto == IPPROTO_UDP ? r->udp_s : r->icmp_s;
	}
	limit = (__u64)s * 1000000000ull;
	if (!s || now - e->last_seen_ns <= limit)
		return 0;
	if (!e->peer.proto)
		return 1;
	other = bpf_map_lookup_elem(&ct_v4_map, &e->peer);
	return !other || (now > other->last_seen_ns &&
			  now - other->last_seen_ns > limit);
}

/*
 * Account a packet on entry `e` (found under `key`) and run the state
 * machine. Writes the other half on a transition and emits an event.
 */
static __always_inline void ct_update(const struct ct_v4_key *key,
				      struct ct_v4_entry *e,
				      const struct pkt_v4 *p, __u32 len,
				      __u64 now)
{
	__u32 set = 0, clear = 0;
	struct ct_v4_entry *other = NULL, *fwd;
	const struct ct_v4_key *fkey;
	__u8 next = e->state, prev;
	int claim = 0, revived = ct_revived(key, e, now);

	e->last_seen_ns = now;
	e->packets += 1;
	e->bytes += len;

	if (e->flags & CT_F_REMOTE) {
		/* A peer's flow now runs through this node (failover, or an
		 * ECMP change): take it over so this node replicates it. */
		claim = ct_claim(e);
		if (claim < 0)
			return;
	}

	if (p->proto == IPPROTO_TCP)
		next = ct_tcp_next(e->state, e->flags, p->tcp_flags, e->dir,
				   e->mode == BATON_MODE_DSR ||
					   (e->state == CT_STATE_SYN_SENT &&
					    ct_cfg_asym()),
				   &set, &clear);
	else if (e->state == CT_STATE_NEW && e->dir == CT_DIR_REV)
		next = CT_STATE_ESTABLISHED;	/* UDP/ICMP: a reply */

	if (next == e->state && !set && !clear) {
		if (claim)
			ct_emit_fwd(CT_EV_CLAIMED, key, e);
		else if (ct_tcp_reopen(p, e))
			ct_emit_fwd(CT_EV_STATE, key, e);
		else if (revived && !(e->flags & CT_F_REMOTE))
			ct_emit_fwd(CT_EV_REVIVED, key, e);
		return;
	}

	if (e->peer.proto)
		other = bpf_map_lookup_elem(&ct_v4_map, &e->peer);

	/* Flags change atomically: another CPU may be clearing CT_F_COUNTED
	 * of the same entry (ct_uncount), which a plain read-modify-write
	 * could undo and so count a flow off twice. */
	prev = e->state;
	e->state = next;
	if (set)
		__sync_fetch_and_or(&e->flags, set);
	if (clear)
		__sync_fetch_and_and(&e->flags, ~clear);
	if (other) {
		other->state = next;
		if (set)
			__sync_fetch_and_or(&other->flags, set);
		if (clear)
			__sync_fetch_and_and(&other->flags, ~clear);
	}

	fwd = e;
	fkey = key;
	if (e->dir == CT_DIR_REV) {
		fwd = other;
		fkey = &e->peer;
	}
	if (!fwd)
		return;

	if (next == CT_STATE_TIME_WAIT || next == CT_STATE_CLOSED)
		ct_uncount(fwd);
	else if (prev >= CT_STATE_TIME_WAIT)
		ct_count(fwd);	/* reused by a new connection, or revived */

	ct_emit_seen(ct_event_for(next), fkey, fwd, now);
}

#endif /* BATON_LIB_CT_H */
