/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * role.c - the HA role state machine (see role.h for the policy).
 *
 * A step applies its event to the inputs (keepalived's state, the
 * datapath, one peer), then evaluate() derives everything else from the
 * inputs alone - readiness, incumbency, the track value, the grace timer
 * - and says what changed. Deriving instead of transitioning keeps the
 * rules in one place: whatever order events come in, the outputs are a
 * function of the inputs, the time and the incumbency latch.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "role.h"

/* Longest name shown in a log line; longer ones are cut. */
#define LOG_NAME_MAX	64

static const char *const state_names[BATON_HA_STATE_MAX] = {
	[BATON_HA_UNKNOWN] = "UNKNOWN",
	[BATON_HA_MASTER] = "MASTER",
	[BATON_HA_BACKUP] = "BACKUP",
	[BATON_HA_FAULT] = "FAULT",
	[BATON_HA_STOP] = "STOP",
};

static const char *const wait_names[BATON_HA_WAIT_MAX] = {
	[BATON_HA_WAIT_NONE] = "none",
	[BATON_HA_WAIT_DATAPATH_UNKNOWN] = "datapath_unknown",
	[BATON_HA_WAIT_DATAPATH] = "datapath_detached",
	[BATON_HA_WAIT_PEER_UNSEEN] = "peer_unseen",
	[BATON_HA_WAIT_PEER_RESYNC] = "peer_resync",
	[BATON_HA_WAIT_PEER_STALE] = "peer_stale",
};

static const char *const peer_state_names[BATON_HA_PEER_STATE_MAX] = {
	[BATON_HA_PEER_UNSEEN] = "unseen",
	[BATON_HA_PEER_PENDING] = "pending",
	[BATON_HA_PEER_COMPLETE] = "complete",
	[BATON_HA_PEER_GONE] = "gone",
};

const char *baton_ha_state_name(unsigned int state)
{
	return state < BATON_HA_STATE_MAX ? state_names[state] : NULL;
}

const char *baton_ha_wait_name(unsigned int wait)
{
	return wait < BATON_HA_WAIT_MAX ? wait_names[wait] : NULL;
}

const char *baton_ha_peer_state_name(unsigned int state)
{
	return state < BATON_HA_PEER_STATE_MAX ? peer_state_names[state] :
						 NULL;
}

int baton_ha_role_init(struct baton_ha_role *r,
		       const struct baton_ha_config *cfg, uint64_t now_ms)
{
	size_t len, i, j;

	memset(r, 0, sizeof(*r));
	if (cfg->type != BATON_NOTIFY_INSTANCE &&
	    cfg->type != BATON_NOTIFY_GROUP)
		return -EINVAL;
	if (!cfg->name)
		return -EINVAL;
	len = strnlen(cfg->name, BATON_NOTIFY_NAME_MAX + 1);
	if (len == 0 || len > BATON_NOTIFY_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if ((unsigned char)cfg->name[i] < 0x20 || cfg->name[i] == 0x7f)
			return -EINVAL;
	if (cfg->npeers > BATON_HA_MAX_PEERS)
		return -EINVAL;
	for (i = 0; i < cfg->npeers; i++) {
		if (!cfg->peers[i])
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (cfg->peers[j] == cfg->peers[i])
				return -EINVAL;
	}

	r->type = cfg->type;
	memcpy(r->name, cfg->name, len);
	r->name_len = (uint16_t)len;
	r->grace_ms = cfg->grace_ms;
	r->no_boost = cfg->split_priority;
	r->start_ms = now_ms;
	r->now_ms = now_ms;
	r->datapath = -1;
	r->wait = BATON_HA_WAIT_DATAPATH_UNKNOWN;
	for (i = 0; i < cfg->npeers; i++)
		r->peers[i].id = cfg->peers[i];
	r->npeers = cfg->npeers;
	if (cfg->resume_master) {
		r->state = BATON_HA_MASTER;
		r->state_restored = true;
		r->incumbent = true;
	}
	return 0;
}

static struct baton_ha_peer *find_peer(struct baton_ha_role *r, uint32_t id)
{
	for (unsigned int i = 0; i < r->npeers; i++)
		if (r->peers[i].id == id)
			return &r->peers[i];
	return NULL;
}

/* The end of the grace period, or 0 if it never ends. */
static uint64_t grace_end(const struct baton_ha_role *r)
{
	if (r->grace_ms == BATON_HA_GRACE_FOREVER ||
	    r->grace_ms > UINT64_MAX - r->start_ms)
		return 0;
	return r->start_ms + r->grace_ms;
}

static bool grace_over(const struct baton_ha_role *r)
{
	uint64_t end = grace_end(r);

	return end && r->now_ms >= end;
}

/* The first reason not to be ready, with the peer it is about. */
static uint8_t compute_wait(const struct baton_ha_role *r, uint32_t *peer)
{
	*peer = 0;
	if (r->datapath < 0)
		return BATON_HA_WAIT_DATAPATH_UNKNOWN;
	if (r->datapath == 0)
		return BATON_HA_WAIT_DATAPATH;
	for (unsigned int i = 0; i < r->npeers; i++) {
		const struct baton_ha_peer *p = &r->peers[i];

		*peer = p->id;
		if (p->state == BATON_HA_PEER_PENDING)
			return BATON_HA_WAIT_PEER_RESYNC;
		if (p->stale)
			return BATON_HA_WAIT_PEER_STALE;
		if (p->state == BATON_HA_PEER_UNSEEN && !grace_over(r))
			return BATON_HA_WAIT_PEER_UNSEEN;
	}
	*peer = 0;
	return BATON_HA_WAIT_NONE;
}

/* A takeover in its boost: a peer lost since (see role.h). */
static bool takeover_boost(const struct baton_ha_role *r)
{
	if (r->no_boost || !r->took_over || r->state != BATON_HA_MASTER)
		return false;
	for (unsigned int i = 0; i < r->npeers; i++)
		if (r->peers[i].lost)
			return true;
	return false;
}

/* A takeover no peer was lost around, by `now`, is confirmed. Only an
 * event can change that, so no timer: each step confirms first, with the
 * event's time, and then applies it. */
static void takeover_confirm(struct baton_ha_role *r, uint64_t now)
{
	if (!baton_ha_role_took_over(r, now))
		r->took_over = false;
}

bool baton_ha_role_took_over(const struct baton_ha_role *r, uint64_t now)
{
	return r->took_over && (takeover_boost(r) ||
		now < r->takeover_ms + BATON_HA_TAKEOVER_CONFIRM_MS);
}

/* Append to act->log, "; "-separated; cut, never overflow. */
__attribute__((format(printf, 2, 3)))
static void log_add(struct baton_ha_actions *act, const char *fmt, ...)
{
	size_t used = strlen(act->log);
	va_list ap;

	if (used && used + 2 < sizeof(act->log)) {
		memcpy(act->log + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= sizeof(act->log))
		return;
	va_start(ap, fmt);
	vsnprintf(act->log + used, sizeof(act->log) - used, fmt, ap);
	va_end(ap);
	act->flags |= BATON_HA_ACT_LOG;
}

static int log_name_len(const struct baton_ha_role *r)
{
	return r->name_len > LOG_NAME_MAX ? LOG_NAME_MAX : r->name_len;
}

static void log_wait(const struct baton_ha_role *r,
		     struct baton_ha_actions *act)
{
	uint64_t end;

	switch (r->wait) {
	case BATON_HA_WAIT_NONE:
		log_add(act, "ready");
		break;
	case BATON_HA_WAIT_DATAPATH:
		log_add(act, "not ready: datapath detached");
		break;
	case BATON_HA_WAIT_PEER_RESYNC:
		log_add(act, "not ready: resync from peer %" PRIu32
			" incomplete", r->wait_peer);
		break;
	case BATON_HA_WAIT_PEER_STALE:
		log_add(act, "not ready: copy of peer %" PRIu32 " predates "
			"the FAULT, waiting for its resync", r->wait_peer);
		break;
	case BATON_HA_WAIT_PEER_UNSEEN:
		end = grace_end(r);
		if (end)
			log_add(act, "not ready: no complete resync from peer %"
				PRIu32 " since start (alone in %" PRIu64
				" ms)", r->wait_peer, end - r->now_ms);
		else
			log_add(act, "not ready: no complete resync from peer %"
				PRIu32 " since start", r->wait_peer);
		break;
	default:
		break;
	}
}

static void evaluate(struct baton_ha_role *r, struct baton_ha_actions *act)
{
	bool was_ready = r->ready, hold;
	uint8_t was_wait = r->wait;
	uint32_t was_peer = r->wait_peer;
	uint64_t deadline = 0;
	int track;

	r->wait = compute_wait(r, &r->wait_peer);
	r->ready = r->wait == BATON_HA_WAIT_NONE;

	if (r->state != BATON_HA_MASTER || r->datapath == 0)
		r->incumbent = false;
	else if (r->ready)
		r->incumbent = true;

	r->boosted = takeover_boost(r);

	if (r->ready != was_ready ||
	    (!r->ready && (r->wait != was_wait || r->wait_peer != was_peer)))
		log_wait(r, act);

	if (r->datapath >= 0) {
		hold = r->incumbent && r->state == BATON_HA_MASTER;
		if (r->datapath == 0)
			track = BATON_HA_TRACK_FAULT;
		else if ((r->ready || hold) && r->boosted)
			track = BATON_HA_TRACK_TOOK_OVER;
		else if (r->ready || hold)
			track = BATON_HA_TRACK_READY;
		else
			track = BATON_HA_TRACK_DEMOTE;
		if (!r->track_set || track != r->track) {
			const char *why = "";

			if (track == BATON_HA_TRACK_TOOK_OVER)
				why = " (took over, a peer lost since: "
				      "outranks an old master until it "
				      "resyncs)";
			else if (hold && !r->ready)
				why = " (incumbent master)";
			if (r->track_set)
				log_add(act, "track %d -> %d%s", r->track,
					track, why);
			else
				log_add(act, "track %d%s", track, why);
			r->track_set = true;
			r->track = track;
			r->track_writes++;
			act->flags |= BATON_HA_ACT_TRACK;
			act->track = track;
		}
	}

	if (grace_end(r) && !grace_over(r))
		for (unsigned int i = 0; i < r->npeers; i++)
			if (r->peers[i].state == BATON_HA_PEER_UNSEEN)
				deadline = grace_end(r);

	if (deadline != r->timer_ms) {
		r->timer_ms = deadline;
		act->flags |= BATON_HA_ACT_TIMER;
		act->timer_ms = deadline;
	}
}

static const uint8_t role_of[BATON_NOTIFY_STATE_MAX] = {
	[BATON_NOTIFY_MASTER] = BATON_HA_MASTER,
	[BATON_NOTIFY_BACKUP] = BATON_HA_BACKUP,
	[BATON_NOTIFY_FAULT] = BATON_HA_FAULT,
	[BATON_NOTIFY_STOP] = BATON_HA_STOP,
	[BATON_NOTIFY_DELETED] = BATON_HA_UNKNOWN,
};

static int on_notify(struct baton_ha_role *r, const struct baton_notify *n,
		     uint64_t now, struct baton_ha_actions *act)
{
	uint8_t to;

	if (!n || !n->state || n->state >= BATON_NOTIFY_STATE_MAX)
		return -EINVAL;
	if (n->type != r->type || n->name_len != r->name_len ||
	    memcmp(n->name, r->name, r->name_len)) {
		r->ignored++;
		return -ENOENT;
	}
	r->notifies++;
	r->priority = n->priority;
	r->state_restored = false;

	switch (n->state) {
	case BATON_NOTIFY_MASTER_RX_LOWER_PRI:
		r->lower_pri_adverts++;
		log_add(act, "%.*s: MASTER received a lower priority advert "
			"(another node was master)", log_name_len(r), r->name);
		return 0;
	case BATON_NOTIFY_MASTER_PRIORITY:
	case BATON_NOTIFY_BACKUP_PRIORITY:
		return 0;
	default:
		break;
	}

	to = role_of[n->state];
	if (to == r->state)
		return 0;
	act->flags |= BATON_HA_ACT_ROLE;
	act->from = r->state;
	act->to = to;
	r->role_changes++;
	log_add(act, "%.*s: %s -> %s (priority %u)%s", log_name_len(r),
		r->name, state_names[r->state], state_names[to],
		n->priority,
		n->state == BATON_NOTIFY_DELETED ? ", deleted by a reload" :
						   "");
	/* Cut off: whatever we hold of the peers may be behind from now
	 * on (see role.h). A peer never seen has nothing to go stale. */
	if (to == BATON_HA_FAULT) {
		r->faults++;
		for (unsigned int i = 0; i < r->npeers; i++)
			if (r->peers[i].ever_complete)
				r->peers[i].stale = true;
	} else if (r->state == BATON_HA_FAULT && r->npeers) {
		act->flags |= BATON_HA_ACT_RESYNC;
		log_add(act, "asking the peers for a resync");
	}
	/* A takeover: the peers that are not with us now are lost - unless
	 * our stream to them is in sync (they hold our flows). */
	r->took_over = to == BATON_HA_MASTER;
	if (r->took_over) {
		r->takeovers++;
		r->takeover_ms = now;
	}
	for (unsigned int i = 0; i < r->npeers; i++)
		r->peers[i].lost = r->took_over && !r->peers[i].has_ours &&
			r->peers[i].state != BATON_HA_PEER_COMPLETE;
	r->state = to;
	return 0;
}

static int on_peer(struct baton_ha_role *r, const struct baton_ha_event *ev)
{
	struct baton_ha_peer *p = find_peer(r, ev->peer);

	if (!p) {
		r->ignored++;
		return -ENOENT;
	}
	switch (ev->type) {
	case BATON_HA_EV_PEER_UP:
		/* Our stream to it starts over (with a resync). */
		p->has_ours = false;
		p->lost |= r->took_over;
		/* fall through */
	case BATON_HA_EV_PEER_RESYNC:
		/* Reachable, and what we hold of it is behind. Lost unless
		 * our stream to it stays in sync: then it holds our flows
		 * (and will not ack them again until ours breaks). */
		p->state = BATON_HA_PEER_PENDING;
		p->lost |= r->took_over && !p->has_ours;
		break;
	case BATON_HA_EV_PEER_COMPLETE:
		/* A stale copy is only made whole by a resync that began
		 * after the FAULT (PENDING first): sync also reports an
		 * unbroken stream as complete on a mere reconnect. */
		if (p->state == BATON_HA_PEER_PENDING)
			p->stale = false;
		p->state = BATON_HA_PEER_COMPLETE;
		p->ever_complete = true;
		break;
	case BATON_HA_EV_PEER_HAS_OURS:
		p->has_ours = true;
		p->lost = false;
		break;
	case BATON_HA_EV_PEER_DOWN:
		p->state = p->ever_complete ? BATON_HA_PEER_GONE :
					      BATON_HA_PEER_UNSEEN;
		p->has_ours = false;
		p->lost |= r->took_over;
		break;
	}
	return 0;
}

int baton_ha_role_step(struct baton_ha_role *r, const struct baton_ha_event *ev,
		       struct baton_ha_actions *act)
{
	uint64_t now;
	int ret = 0;

	memset(act, 0, sizeof(*act));
	if (!ev || !ev->type || ev->type >= BATON_HA_EV_MAX)
		return -EINVAL;
	now = ev->now_ms > r->now_ms ? ev->now_ms : r->now_ms;
	takeover_confirm(r, now);

	switch (ev->type) {
	case BATON_HA_EV_NOTIFY:
		ret = on_notify(r, ev->notify, now, act);
		break;
	case BATON_HA_EV_DATAPATH:
		r->datapath = ev->attached ? 1 : 0;
		break;
	case BATON_HA_EV_TICK:
		break;
	default:
		ret = on_peer(r, ev);
		break;
	}
	if (ret)
		return ret;
	r->now_ms = now;
	evaluate(r, act);
	return 0;
}
