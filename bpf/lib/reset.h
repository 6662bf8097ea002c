/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * reset.h - the TCP flows of a backend that went down while its service
 * says health.on_down: reset.
 *
 * batond marks the backend in be_reset_map and sets BATON_CFG_F_RESET.
 * From then on a segment that hits one of its flows is not forwarded: the
 * pair is closed (once: off the active count, a CT_EV_CLOSED for the
 * peers), the segment is handed to batond as a CT_EV_RESET event and
 * dropped. batond answers with a RST to the segment's sender (at the
 * sequence number the segment acknowledges) and one to the other end (at
 * the segment's own sequence number, which is what that end waits for).
 * Building the RSTs in user space keeps their checksums independent of
 * how the kernel offloads this skb's. Events are rate-limited per entry,
 * so a sender that keeps sending does not crowd the ring buffer.
 */
#ifndef BATON_LIB_RESET_H
#define BATON_LIB_RESET_H

#include "ct.h"
#include "fwd.h"

/* At least this many fwd_stamp() units (~1 ms) between two events of one
 * entry. */
#define RESET_EVENT_GAP 50

static __always_inline int ct_resetting(const struct ct_v4_entry *e)
{
	struct baton_cfg *cfg;
	__u32 zero = 0, idx;
	__u32 *r;

	cfg = bpf_map_lookup_elem(&baton_cfg, &zero);
	if (!cfg || !(cfg->flags & BATON_CFG_F_RESET))
		return 0;
	idx = baton_be_index(e->svc_id, e->be_id);
	r = bpf_map_lookup_elem(&be_reset_map, &idx);
	return r && *r;
}

/* Close the pair of `e` (found under `key`) unless it is closed. */
static __always_inline void ct_reset_close(const struct ct_v4_key *key,
					   struct ct_v4_entry *e)
{
	struct ct_v4_entry *other = NULL, *fwd = e;

	if (e->state == CT_STATE_CLOSED)
		return;
	if (e->peer.proto)
		other = bpf_map_lookup_elem(&ct_v4_map, &e->peer);
	e->state = CT_STATE_CLOSED;
	if (other)
		other->state = CT_STATE_CLOSED;
	if (e->dir == CT_DIR_REV) {
		fwd = other;
		key = &e->peer;
	}
	if (!fwd)
		return;
	ct_uncount(fwd);
	ct_emit_seen(CT_EV_CLOSED, key, fwd, e->last_seen_ns);
}

/* Returns the TC verdict (always a counted drop). */
static __always_inline int ct_reset(struct __sk_buff *skb,
				    const struct ct_v4_key *key,
				    struct ct_v4_entry *e,
				    const struct pkt_v4 *p, __u64 now)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 stamp = fwd_stamp(now), hlen;
	struct ct_v4_event *ev;
	struct tcphdr *th;

	ct_reset_close(key, e);
	/* A RST needs no answer; a recent event covers this segment. */
	if ((p->tcp_flags & TCPF_RST) ||
	    (!e->fib_ifindex && stamp - e->fib_stamp < RESET_EVENT_GAP))
		goto drop;
	/* The entry forwards nothing more: its route cache holds the
	 * stamp of the last event instead. */
	e->fib_ifindex = 0;
	e->fib_stamp = stamp;
	th = data + (p->l4_off & 0xff);
	if ((void *)(th + 1) > data_end)
		goto drop;
	ev = bpf_ringbuf_reserve(&ct_events, sizeof(*ev), 0);
	if (!ev) {
		baton_count(ST_EV_LOST);
		goto drop;
	}
	ct_event_fill(ev, CT_EV_RESET, key, e);
	ev->seg_seq = bpf_ntohl(th->seq);
	ev->seg_ack = bpf_ntohl(th->ack_seq);
	ev->seg_flags = p->tcp_flags;
	hlen = (p->l4_off - p->l3_off) + th->doff * 4;
	ev->seg_len = p->tot_len > hlen ? (__u16)(p->tot_len - hlen) : 0;
	bpf_ringbuf_submit(ev, 0);
drop:
	baton_count_drop(DROP_CT_RESET);
	return TC_ACT_SHOT;
}

#endif /* BATON_LIB_RESET_H */
