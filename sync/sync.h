/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sync.h - conntrack replication between batond peers over nng.
 *
 * Every node listens on one PULL socket (sync.listen) that every peer's
 * PUSH socket dials: one PUSH socket per peer relationship carries this
 * node's stream to that peer (updates, deletions, resyncs) and its
 * acknowledgements of the peer's stream. nng delivers in order on a
 * connection but promises nothing across reconnects, so each stream has
 * its own session and sequence numbers: the receiver installs messages
 * strictly in order, acknowledges the highest, and on a gap asks for a
 * full resync; the sender keeps at most sync.queue messages unacknowledged
 * and resyncs a peer that falls further behind - never a silent drop.
 *
 * A node sends only the flows it owns (ESTABLISHED or later, TCP from
 * SYN_RECV; not CT_F_REMOTE): installed flows are marked CT_F_REMOTE, so a full mesh
 * never loops, and the datapath takes a flow over when it carries it.
 *
 * Everything runs on the libuv loop: receiving through uv_poll on nng's
 * receive fd, sending non-blocking; only nng's pipe (connect/disconnect)
 * callbacks run on nng threads, and they hand over through uv_async.
 */
#ifndef BATON_SYNC_H
#define BATON_SYNC_H

#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "../bpf/baton.h"
#include "../node/config.h"

struct baton_services;
struct baton_sync;

/*
 * Set up sockets and handles (nothing is sent before baton_sync_start).
 * ct_fd: ct_v4_map; stats_fd: pkt_stats (lost events mean a resync), or
 * -1; svcs: the running services (to re-base installed flows). NULL with
 * errno and a message in err on failure.
 */
struct baton_sync *baton_sync_init(uv_loop_t *loop,
				   const struct baton_config *cfg,
				   uint32_t epoch, int ct_fd, int stats_fd,
				   const struct baton_services *svcs,
				   char *err, size_t errlen);
int baton_sync_start(struct baton_sync *s);
/* Close sockets and handles; the struct is freed once they are closed
 * (the loop must run on until then). Accepts NULL. */
void baton_sync_stop(struct baton_sync *s);

/* A datapath event (ring buffer). */
void baton_sync_on_event(struct baton_sync *s, const struct ct_v4_event *ev);
/* A map entry removed by the GC or a flush on this node. */
void baton_sync_on_delete(struct baton_sync *s, const struct ct_v4_key *k,
			  const struct ct_v4_entry *e);

/* Ask every peer for a full resync of its flows (our copies are gone,
 * e.g. after ct flush). Accepts NULL. */
void baton_sync_request_all(struct baton_sync *s, const char *why);

/* Full resync to one peer (id) or all (0). -ENOENT for an unknown id. */
int baton_sync_resync(struct baton_sync *s, uint32_t peer_id);

/*
 * Per-peer events for the HA role machine (ha/ha.c). Called on the loop
 * thread, never after baton_sync_stop(). What we hold of a peer's flows:
 *   CONNECTED     our connection to it is up; a resync of its flows is
 *                 due (COMPLETE instead if the copy we hold from its
 *                 current, unbroken stream is already complete: its
 *                 stream to us runs on a connection of its own);
 *   INCOMPLETE    our copy is behind again: a new resync begun, its
 *                 stream lost or a gap (a resync requested);
 *   COMPLETE      RESYNC_END received and the sweep of our stale copies of
 *                 its flows has finished;
 *   DISCONNECTED  our connection to it is down.
 * And what it holds of ours:
 *   HAS_OURS      it acknowledged a complete resync of our flows (and
 *                 everything sent since).
 */
enum baton_sync_peer_event {
	BATON_SYNC_PEER_CONNECTED = 1,
	BATON_SYNC_PEER_INCOMPLETE,
	BATON_SYNC_PEER_COMPLETE,
	BATON_SYNC_PEER_DISCONNECTED,
	BATON_SYNC_PEER_HAS_OURS,
};
typedef void (*baton_sync_peer_hook_fn)(void *arg, uint32_t peer_id,
					enum baton_sync_peer_event ev);
/* One hook (NULL: none). Accepts a NULL s. */
void baton_sync_set_peer_hook(struct baton_sync *s, baton_sync_peer_hook_fn fn,
			      void *arg);

/* `batonctl sync status` (see README). New reference. */
json_t *baton_sync_status(const struct baton_sync *s);

#endif /* BATON_SYNC_H */
