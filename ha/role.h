/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * role.h - the HA role state machine. Pure: events in, actions out. No
 * I/O, no clock (every event carries now_ms, a monotonic time), no
 * allocation; the daemon writes the track file, logs, counts and arms
 * the timer it is told to.
 *
 * The machine follows one keepalived object - the vrrp_sync_group that
 * moves the VIPs together, or a single vrrp_instance - and keeps:
 *  - keepalived's last reported state for it (UNKNOWN until a line),
 *  - whether the datapath is attached (unknown until told),
 *  - per sync peer, how complete our copy of its flows is,
 * and from them the value keepalived must read in the track file.
 *
 * Readiness ("ready to be master"): the datapath is attached and we hold
 * a complete copy of the flows of every peer we can reach:
 *  - a connected peer counts once it has delivered a complete resync
 *    (RESYNC_END received and our stale copies of its flows swept), and
 *    again after every reconnect or stream loss;
 *  - a peer that has gone away after delivering one counts: what we hold
 *    is the last copy there is - unless we were cut off since (below);
 *  - a peer that has not delivered a complete resync since we started
 *    and is not connected (never reached, or gone mid-resync) blocks
 *    until `grace_ms` after start; after that it is presumed dead and a
 *    node alone may serve. BATON_HA_GRACE_FOREVER: it blocks until it
 *    shows up (see the track values: that node still serves when it
 *    is truly alone).
 *  - a peer whose copy went stale blocks until it delivers a complete
 *    resync again, grace or not. Every copy goes stale when keepalived
 *    reports FAULT: our own links or checks failed, so we cannot know
 *    what the others did meanwhile - typically one took the VIP over and
 *    created flows we never heard of. This is the node that comes back
 *    from a power cut or a cable pull with its processes still running:
 *    its peer is "gone" (complete when it left), yet taking the VIP back
 *    on that copy would break every flow made while it was away. Leaving
 *    FAULT, the machine asks the daemon (BATON_HA_ACT_RESYNC) to request
 *    a resync from every peer, since a stream that survived the outage
 *    would otherwise never send one.
 *
 * Incumbency: a node that keepalived made MASTER while it was ready (or
 * that became ready while MASTER) holds the flows it serves in its own
 * datapath; a peer reconnecting and resyncing does not make those
 * flows any less complete, and demoting it then would hand the VIP to a
 * node that is resyncing too. So an incumbent MASTER stays at
 * BATON_HA_TRACK_READY while its datapath is attached, whatever its
 * peers do. Incumbency ends when keepalived reports anything but MASTER
 * or the datapath detaches. A restarted node is not incumbent: if
 * keepalived makes it MASTER before its copy is complete, it is pushed
 * out (the loxilb #565 failure: a rebooted node took the VIP back with
 * an empty conntrack table). `resume_master` lets batond restart on a
 * serving master without a failover (see struct baton_ha_config).
 *
 * Takeover: a node that keepalived makes MASTER serves flows from then
 * on that a peer out of reach does not have. Should that peer come back
 * still MASTER - a split brain: the VRRP adverts were cut, not the node
 * - keepalived's priorities alone would hand the VIPs to the node with
 * the higher configured priority, and it answers with gratuitous ARPs at
 * once, before any resync: every flow made on the other side during the
 * split would meet a node without it. So the latest takeover wins: from
 * its takeover, while a peer is lost (disconnected, or its stream broken
 * and not yet complete again - unless our stream to it stays in sync:
 * it holds our flows, and acks them again only once ours breaks), the
 * node that took over writes
 * BATON_HA_TRACK_TOOK_OVER and outranks every other node; the old
 * master yields to it at the heal and resyncs, and the boost ends once
 * every lost peer has acknowledged a complete resync of this node's
 * flows (PEER_HAS_OURS; then the configured priorities apply again: a
 * preempting node now holds them all). A takeover
 * whose peers all stay connected and complete for
 * BATON_HA_TAKEOVER_CONFIRM_MS is confirmed: they received its flows
 * as they were made, no boost from then on (a later loss is the other
 * node's takeover to win). A peer lost before that window ends counts,
 * since sync notices a cut link only when its acknowledgements stop.
 *
 * The track file (keepalived.conf(5) "Track files"): keepalived reads an
 * integer, multiplies it by the track_file weight, and with weight 1
 * (the default, and what deploy/ configures on the vrrp_sync_group)
 *   - a result between -253 and 253 is added to the priority, the
 *     effective priority being clamped to [1, 254];
 *   - a result below -253 puts the instance (or every instance of the
 *     sync group) in FAULT.
 * The machine writes one of
 *   BATON_HA_TRACK_TOOK_OVER 253  priority 254 (clamped): the latest
 *                                 takeover, a peer lost since (above);
 *   BATON_HA_TRACK_READY    0     no change;
 *   BATON_HA_TRACK_DEMOTE  -253   priority 1: loses every election to a
 *                                 ready node of priority >= 2, a MASTER
 *                                 is preempted by one (preempt must stay
 *                                 on, the keepalived default), yet a
 *                                 node that is alone still serves;
 *   BATON_HA_TRACK_FAULT   -254   FAULT: the VIP is released whatever
 *                                 the peers and priorities (datapath
 *                                 detached: this node cannot forward).
 * With weight 0 (forced by keepalived on trackers of sync group members)
 * both non-zero values mean FAULT: stricter, and no node serves while
 * every node is resyncing.
 *
 *   value = datapath unknown     -> nothing written (the file keeps what
 *                                   keepalived's init_file or the last
 *                                   batond wrote)
 *           datapath detached    -> FAULT
 *           ready, or incumbent MASTER:
 *             took over, a peer lost since -> TOOK_OVER
 *             otherwise                    -> READY
 *           otherwise            -> DEMOTE
 */
#ifndef BATON_HA_ROLE_H
#define BATON_HA_ROLE_H

#include <stdbool.h>
#include <stdint.h>

#include "notify.h"

#define BATON_HA_MAX_PEERS	16	/* node/config.h BATON_MAX_PEERS */
#define BATON_HA_GRACE_FOREVER	UINT64_MAX
#define BATON_HA_LOG_MAX	256
#define BATON_HA_TAKEOVER_CONFIRM_MS	5000

#define BATON_HA_TRACK_TOOK_OVER	253
#define BATON_HA_TRACK_READY	0
#define BATON_HA_TRACK_DEMOTE	(-253)
#define BATON_HA_TRACK_FAULT	(-254)

/* The role: keepalived's last reported state of the followed object. */
enum baton_ha_state {
	BATON_HA_UNKNOWN = 0,	/* nothing reported yet, or DELETED */
	BATON_HA_MASTER,
	BATON_HA_BACKUP,
	BATON_HA_FAULT,
	BATON_HA_STOP,
	BATON_HA_STATE_MAX
};

/* Why the node is not ready (the first reason found). */
enum baton_ha_wait {
	BATON_HA_WAIT_NONE = 0,		/* ready */
	BATON_HA_WAIT_DATAPATH_UNKNOWN,	/* not told yet */
	BATON_HA_WAIT_DATAPATH,		/* detached */
	BATON_HA_WAIT_PEER_UNSEEN,	/* no complete resync from wait_peer
					 * since start, not connected, grace
					 * running */
	BATON_HA_WAIT_PEER_RESYNC,	/* wait_peer connected, its complete
					 * resync not (yet again) received */
	BATON_HA_WAIT_PEER_STALE,	/* our copy of wait_peer predates a
					 * FAULT, and it has not resynced
					 * since */
	BATON_HA_WAIT_MAX
};

enum baton_ha_peer_state {
	BATON_HA_PEER_UNSEEN = 0,	/* no complete copy since start, away */
	BATON_HA_PEER_PENDING,		/* connected, copy incomplete */
	BATON_HA_PEER_COMPLETE,		/* connected, copy complete */
	BATON_HA_PEER_GONE,		/* away, copy complete when it left */
	BATON_HA_PEER_STATE_MAX
};

struct baton_ha_config {
	uint8_t type;		/* enum baton_notify_type to follow */
	const char *name;	/* its name in keepalived.conf */
	uint32_t peers[BATON_HA_MAX_PEERS];	/* sync peer node ids, != 0 */
	unsigned int npeers;
	uint64_t grace_ms;	/* see readiness; BATON_HA_GRACE_FOREVER */
	/*
	 * batond restarted on a node that keepalived had made MASTER, that
	 * was ready, and whose datapath (pinned maps, attached programs)
	 * survived: start incumbent MASTER, so the node keeps serving while
	 * its peers resync to it. The daemon must know it (state kept in
	 * /run, which a reboot clears, and the loader reusing the pinned
	 * conntrack map); when in doubt, false: a failover costs the flows
	 * created while batond was down, a wrong resume can cost more.
	 */
	bool resume_master;
	/* No takeover boost (see Takeover): keepalived's priorities alone
	 * decide at a split brain's heal (ha.split_brain: priority). */
	bool split_priority;
};

struct baton_ha_peer {
	uint32_t id;
	uint8_t state;		/* enum baton_ha_peer_state */
	bool ever_complete;	/* a complete copy since start */
	bool stale;		/* the copy predates a FAULT: blocks until
				 * the next complete resync */
	bool has_ours;		/* our stream to it in sync: it acked a
				 * complete resync of our flows, and the
				 * stream has not broken since */
	bool lost;		/* since our takeover: away or its stream
				 * broken while ours was not in sync, and
				 * it has not acked a complete resync of
				 * ours since */
};

enum baton_ha_event_type {
	BATON_HA_EV_NOTIFY = 1,		/* .notify: a parsed FIFO line */
	BATON_HA_EV_DATAPATH,		/* .attached */
	BATON_HA_EV_PEER_UP,		/* .peer connected; a resync is due */
	BATON_HA_EV_PEER_RESYNC,	/* .peer: our copy is incomplete again
					 * (stream lost or a gap, new resync
					 * begun) */
	BATON_HA_EV_PEER_COMPLETE,	/* .peer: RESYNC_END received and our
					 * stale copies of its flows swept */
	BATON_HA_EV_PEER_DOWN,		/* .peer disconnected */
	BATON_HA_EV_PEER_HAS_OURS,	/* .peer acked a complete resync of
					 * our flows */
	BATON_HA_EV_TICK,		/* the timer asked for fired */
	BATON_HA_EV_MAX
};

struct baton_ha_event {
	uint8_t type;			/* enum baton_ha_event_type */
	uint64_t now_ms;		/* monotonic */
	const struct baton_notify *notify;
	uint32_t peer;
	bool attached;
};

/* What the daemon must do after a step. */
#define BATON_HA_ACT_TRACK	(1u << 0)	/* write .track to the file */
#define BATON_HA_ACT_ROLE	(1u << 1)	/* role .from -> .to: count */
#define BATON_HA_ACT_LOG	(1u << 2)	/* log .log */
#define BATON_HA_ACT_TIMER	(1u << 3)	/* step a TICK at .timer_ms;
						 * 0: cancel the timer */
#define BATON_HA_ACT_RESYNC	(1u << 4)	/* ask every sync peer for a
						 * full resync (left FAULT) */

struct baton_ha_actions {
	unsigned int flags;
	int track;
	uint8_t from, to;		/* enum baton_ha_state */
	uint64_t timer_ms;
	char log[BATON_HA_LOG_MAX];	/* one line, no '\n' */
};

struct baton_ha_role {
	uint8_t type;
	uint16_t name_len;
	char name[BATON_NOTIFY_NAME_MAX + 1];
	uint64_t grace_ms;
	uint64_t start_ms;
	uint64_t now_ms;		/* latest time seen */

	uint8_t state;			/* enum baton_ha_state */
	bool state_restored;		/* from resume_master, unconfirmed */
	uint8_t priority;		/* as last reported */
	int8_t datapath;		/* -1 unknown, 0 detached, 1 attached */
	bool incumbent;
	bool no_boost;			/* split_priority */
	bool took_over;			/* MASTER by a takeover, unconfirmed */
	uint64_t takeover_ms;		/* when */

	struct baton_ha_peer peers[BATON_HA_MAX_PEERS];
	unsigned int npeers;

	/* Derived by the last step. */
	bool ready;
	bool boosted;			/* track TOOK_OVER (see Takeover) */
	uint8_t wait;			/* enum baton_ha_wait */
	uint32_t wait_peer;		/* for the PEER waits */
	bool track_set;			/* track written at least once */
	int track;			/* last value asked to be written */
	uint64_t timer_ms;		/* armed deadline, 0 none */

	/* Counters. */
	uint64_t role_changes, track_writes, lower_pri_adverts;
	uint64_t notifies, ignored;
	uint64_t faults;		/* FAULTs that made copies stale */
	uint64_t takeovers;		/* to MASTER from another state */
};

/*
 * Set up *r from cfg at now_ms (the start of the grace period).
 * -EINVAL for a bad type, an empty, overlong or control-character name,
 * too many peers, a peer id 0 or listed twice. Nothing is written until
 * the first step.
 */
int baton_ha_role_init(struct baton_ha_role *r,
		       const struct baton_ha_config *cfg, uint64_t now_ms);

/*
 * Apply one event. *act is reset, then filled. Returns 0; -ENOENT for a
 * notify about an object not followed or an unknown peer (nothing done,
 * counted in `ignored`); -EINVAL for an event that is not one (nothing
 * done). Time never goes back: a now_ms below the latest is taken as the
 * latest.
 */
int baton_ha_role_step(struct baton_ha_role *r, const struct baton_ha_event *ev,
		       struct baton_ha_actions *act);

/* Whether the node's takeover is unconfirmed at now_ms (the machine
 * itself confirms it only at its next step). */
bool baton_ha_role_took_over(const struct baton_ha_role *r, uint64_t now_ms);

/* Names for logs, metrics and `batonctl ha status` ("MASTER", ...). */
const char *baton_ha_state_name(unsigned int state);
const char *baton_ha_wait_name(unsigned int wait);
const char *baton_ha_peer_state_name(unsigned int state);

#endif /* BATON_HA_ROLE_H */
