/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * reset.h - ending the flows of a backend that went down while its service
 * says health.on_down: reset (config.h).
 *
 *  - TCP: the datapath closes such a flow at its next segment and hands
 *    the segment over (bpf/lib/reset.h, CT_EV_RESET); this module answers
 *    with a RST to the segment's sender and, except for DSR (whose backend
 *    this node cannot address), one to the other end. So that idle flows
 *    end too, every TCP flow this node carries gets a tickle (a bare ACK
 *    out of window, ha/nudge_pkt.h) to each end: the endpoint's answer is
 *    such a segment. While the backend stays down in be_reset_map, every
 *    flow of it is reset this way, a peer's copy that this node takes over
 *    included.
 *  - UDP and ICMP: the pairs are deleted (peers told, as for the GC); the
 *    flow's next packet is balanced anew to a backend that is up.
 *
 * Sends from a raw socket (CAP_NET_RAW), opened by baton_reset_init: at
 * start, before batond drops that capability (privs.h). IPPROTO_RAW only
 * sends; it receives nothing, so having it open costs nothing.
 */
#ifndef BATON_RESET_H
#define BATON_RESET_H

#include <stdint.h>

#include <jansson.h>

#include "ct.h"

struct baton_reset;

struct baton_reset_counts {
	uint64_t backends;	/* backends reset */
	uint64_t tickled;	/* TCP flows tickled */
	uint64_t deleted;	/* UDP/ICMP pairs deleted */
	uint64_t segments;	/* CT_EV_RESET events answered */
	uint64_t rsts;		/* RSTs sent */
	uint64_t errors;	/* sends that failed */
};

/* on_delete: told about every entry deleted (conntrack sync). */
struct baton_reset *baton_reset_init(int ct_fd, struct be_stats *be_stats,
				     baton_ct_deleted_fn on_delete, void *arg);
void baton_reset_free(struct baton_reset *r);

struct baton_reset_done {
	size_t entries;		/* the backend's entries found */
	uint64_t tickled;	/* TCP flows tickled */
	uint64_t deleted;	/* UDP/ICMP entries deleted */
};

/* The backend be_id of service svc_id just went down: end its flows as
 * above. 0 or -errno (the walk or the socket failed; logged). */
int baton_reset_backend(struct baton_reset *r, uint16_t svc_id,
			uint16_t be_id, struct baton_reset_done *done);

/* A CT_EV_RESET event: send its RSTs. */
void baton_reset_on_event(struct baton_reset *r, const struct ct_v4_event *ev);

void baton_reset_get_counts(const struct baton_reset *r,
			    struct baton_reset_counts *c);

#endif /* BATON_RESET_H */
