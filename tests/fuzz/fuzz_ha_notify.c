/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fuzz_ha_notify.c - libFuzzer target for baton_notify_parse() (ha/notify.h)
 * and the role machine it feeds (ha/role.h).
 *
 * The input is read as FIFO traffic: lines ended by '\n'. Each line goes
 * through the parser, which must keep its contract - 0, -ENOENT or
 * -EINVAL, *out zeroed unless 0, an accepted line printing back through
 * keepalived's `%s "%s" %s %d` to the same bytes. Every accepted line is
 * then stepped into two machines (one following INSTANCE "VI_1", one
 * GROUP "VG_1", peers 1..3, 10 s grace). A line starting with '#' is not
 * parsed but drives the other events, so that sequences of peers,
 * datapath and time reach the machines too:
 *   #D0 #D1       datapath detached / attached
 *   #U<n> #R<n> #C<n> #X<n>   peer n up / resync / complete / down
 *   #H<n>         peer n acked a complete resync of ours
 *   #T            a tick
 * Time moves 250 ms per line. After every step both machines must hold
 * role.h's invariants (checked below); any breach aborts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "role.h"

#define GRACE_MS	10000
#define STEP_MS		250

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_parse(const char *line, size_t len, int ret,
			const struct baton_notify *n)
{
	static const struct baton_notify zero;
	char buf[BATON_NOTIFY_LINE_MAX + 2];
	size_t body = len && line[len - 1] == '\n' ? len - 1 : len;
	int w;

	if (ret) {
		check(ret == -EINVAL || ret == -ENOENT);
		check(!memcmp(n, &zero, sizeof(zero)));
		return;
	}
	check(n->type == BATON_NOTIFY_INSTANCE ||
	      n->type == BATON_NOTIFY_GROUP);
	check(n->state >= BATON_NOTIFY_MASTER &&
	      n->state < BATON_NOTIFY_STATE_MAX);
	check(n->name_len >= 1 && n->name_len <= BATON_NOTIFY_NAME_MAX);
	check(strlen(n->name) == n->name_len);
	for (size_t i = 0; i < n->name_len; i++)
		check((unsigned char)n->name[i] >= 0x20 && n->name[i] != 0x7f);
	w = snprintf(buf, sizeof(buf), "%s \"%s\" %s %d",
		     baton_notify_type_name(n->type), n->name,
		     baton_notify_state_name(n->state), n->priority);
	check(w > 0 && (size_t)w == body && !memcmp(buf, line, body));
}

static void check_role(const struct baton_ha_role *r,
		       const struct baton_ha_actions *a, int ret)
{
	check(ret == 0 || ret == -ENOENT);
	if (ret)
		check(a->flags == 0);
	check(!(a->flags & ~(BATON_HA_ACT_TRACK | BATON_HA_ACT_ROLE |
			     BATON_HA_ACT_LOG | BATON_HA_ACT_TIMER |
			     BATON_HA_ACT_RESYNC)));
	/* a resync is asked for only on leaving FAULT */
	if (a->flags & BATON_HA_ACT_RESYNC)
		check((a->flags & BATON_HA_ACT_ROLE) &&
		      a->from == BATON_HA_FAULT && a->to != BATON_HA_FAULT);
	/* a stale copy blocks readiness */
	for (unsigned int i = 0; i < r->npeers; i++)
		if (r->peers[i].stale)
			check(!r->ready);
	check(memchr(a->log, '\0', sizeof(a->log)) != NULL);
	check(!!(a->flags & BATON_HA_ACT_LOG) == (a->log[0] != '\0'));
	check(!strchr(a->log, '\n'));
	check(r->state < BATON_HA_STATE_MAX && r->wait < BATON_HA_WAIT_MAX);
	check(r->ready == (r->wait == BATON_HA_WAIT_NONE));
	if (a->flags & BATON_HA_ACT_ROLE)
		check(a->from != a->to && a->to == r->state);
	if (a->flags & BATON_HA_ACT_TRACK)
		check(a->track == r->track && r->track_set);
	if (a->flags & BATON_HA_ACT_TIMER)
		check(a->timer_ms == r->timer_ms);
	check(!r->timer_ms || r->timer_ms > r->now_ms);
	/* nothing written before the datapath is known */
	check(r->track_set == (r->datapath >= 0));
	if (!r->track_set)
		return;
	/* role.h's table */
	if (r->datapath == 0)
		check(r->track == BATON_HA_TRACK_FAULT && !r->incumbent);
	else if (r->ready || (r->incumbent && r->state == BATON_HA_MASTER))
		check(r->track == (r->boosted ? BATON_HA_TRACK_TOOK_OVER :
						BATON_HA_TRACK_READY));
	else
		check(r->track == BATON_HA_TRACK_DEMOTE);
	/* the takeover boost: a MASTER's, after a takeover, a peer lost */
	if (r->boosted) {
		bool lost = false;

		for (unsigned int i = 0; i < r->npeers; i++)
			lost |= r->peers[i].lost;
		check(r->state == BATON_HA_MASTER && r->took_over && lost &&
		      !r->no_boost);
	}
	check(!r->incumbent || r->state == BATON_HA_MASTER);
	/* not ready and not an incumbent master: never READY, nor above */
	if (!r->ready && !(r->incumbent && r->state == BATON_HA_MASTER))
		check(r->track < BATON_HA_TRACK_READY);
}

static void step_both(struct baton_ha_role *r, const struct baton_ha_event *ev)
{
	struct baton_ha_actions a;

	for (int i = 0; i < 2; i++)
		check_role(&r[i], &a, baton_ha_role_step(&r[i], ev, &a));
}

static void command(struct baton_ha_role *r, const char *p, size_t n,
		    uint64_t now)
{
	struct baton_ha_event ev = { .now_ms = now };
	static const uint8_t peer_ev[] = {
		['U'] = BATON_HA_EV_PEER_UP,
		['R'] = BATON_HA_EV_PEER_RESYNC,
		['C'] = BATON_HA_EV_PEER_COMPLETE,
		['X'] = BATON_HA_EV_PEER_DOWN,
		['H'] = BATON_HA_EV_PEER_HAS_OURS,
	};

	if (n < 2)
		return;
	if (p[1] == 'D' && n >= 3) {
		ev.type = BATON_HA_EV_DATAPATH;
		ev.attached = p[2] == '1';
	} else if (p[1] == 'T') {
		ev.type = BATON_HA_EV_TICK;
	} else if ((unsigned char)p[1] < sizeof(peer_ev) &&
		   peer_ev[(unsigned char)p[1]] && n >= 3) {
		ev.type = peer_ev[(unsigned char)p[1]];
		ev.peer = (uint32_t)(p[2] - '0');	/* 1..3 known */
	} else {
		return;
	}
	step_both(r, &ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t peers[] = { 1, 2, 3 };
	struct baton_ha_config cfg = {
		.npeers = 3,
		.grace_ms = GRACE_MS,
	};
	struct baton_ha_role r[2];
	struct baton_notify n;
	const char *p = (const char *)data, *end = p + size;
	uint64_t now = 1;

	memcpy(cfg.peers, peers, sizeof(peers));
	cfg.type = BATON_NOTIFY_INSTANCE;
	cfg.name = "VI_1";
	cfg.resume_master = size & 1;
	check(baton_ha_role_init(&r[0], &cfg, now) == 0);
	cfg.type = BATON_NOTIFY_GROUP;
	cfg.name = "VG_1";
	check(baton_ha_role_init(&r[1], &cfg, now) == 0);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		int ret;

		now += STEP_MS;
		if (len && p[0] == '#') {
			command(r, p, len, now);
		} else {
			ret = baton_notify_parse(p, len, &n);
			check_parse(p, len, ret, &n);
			if (!ret) {
				struct baton_ha_event ev = {
					.type = BATON_HA_EV_NOTIFY,
					.now_ms = now,
					.notify = &n,
				};

				step_both(r, &ev);
			}
		}
		p += len;
	}
	return 0;
}
