/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_ha_role.c - the HA role state machine (ha/role.h), driven the way
 * batond will drive it: keepalived's FIFO lines (through the real
 * parser), datapath attach/detach, sync peer events and timer ticks,
 * each at an explicit time. Every step checks the whole of what the
 * machine asks for - flags, track value, role change, timer, log line -
 * so an extra write or a missing one fails as surely as a wrong value.
 *
 * Node under test follows sync group "VG_1", has one sync peer (id 2)
 * unless said otherwise, a 30 s startup grace, and starts at T0.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "unit.h"

#include "notify.h"
#include "role.h"

#define T0	1000
#define GRACE	30000
#define PEER	2

#define READY	BATON_HA_TRACK_READY
#define DEMOTE	BATON_HA_TRACK_DEMOTE
#define FAULT	BATON_HA_TRACK_FAULT
#define BOOST	BATON_HA_TRACK_TOOK_OVER
#define CONFIRM	BATON_HA_TAKEOVER_CONFIRM_MS
#define BOOST_WHY " (took over, a peer lost since: outranks an old master " \
		  "until it resyncs)"

#define TRACK	BATON_HA_ACT_TRACK
#define ROLE	BATON_HA_ACT_ROLE
#define LOG	BATON_HA_ACT_LOG
#define TIMER	BATON_HA_ACT_TIMER
#define RESYNC	BATON_HA_ACT_RESYNC

static struct baton_ha_role r;
static struct baton_ha_actions a;

static void init_with(uint64_t grace, bool resume, const uint32_t *peers,
		      unsigned int npeers)
{
	struct baton_ha_config cfg = {
		.type = BATON_NOTIFY_GROUP,
		.name = "VG_1",
		.npeers = npeers,
		.grace_ms = grace,
		.resume_master = resume,
	};

	if (npeers)
		memcpy(cfg.peers, peers, npeers * sizeof(peers[0]));
	assert_int_equal(baton_ha_role_init(&r, &cfg, T0), 0);
}

static void init_node(void)
{
	static const uint32_t one[] = { PEER };

	init_with(GRACE, false, one, 1);
}

static int step(uint8_t type, uint64_t t, uint32_t peer, bool attached,
		const struct baton_notify *n)
{
	struct baton_ha_event ev = {
		.type = type,
		.now_ms = t,
		.notify = n,
		.peer = peer,
		.attached = attached,
	};

	return baton_ha_role_step(&r, &ev, &a);
}

/* A FIFO line, through the parser as batond will read it. */
static int line(uint64_t t, const char *text)
{
	struct baton_notify n;

	assert_int_equal(baton_notify_parse(text, strlen(text), &n), 0);
	return step(BATON_HA_EV_NOTIFY, t, 0, false, &n);
}

static int datapath(uint64_t t, bool attached)
{
	return step(BATON_HA_EV_DATAPATH, t, 0, attached, NULL);
}

static int peer_ev(uint8_t type, uint64_t t, uint32_t id)
{
	return step(type, t, id, false, NULL);
}

#define up(t)		peer_ev(BATON_HA_EV_PEER_UP, t, PEER)
#define resync(t)	peer_ev(BATON_HA_EV_PEER_RESYNC, t, PEER)
#define complete(t)	peer_ev(BATON_HA_EV_PEER_COMPLETE, t, PEER)
#define down(t)		peer_ev(BATON_HA_EV_PEER_DOWN, t, PEER)
#define has_ours(t)	peer_ev(BATON_HA_EV_PEER_HAS_OURS, t, PEER)
#define tick(t)		step(BATON_HA_EV_TICK, t, 0, false, NULL)

/* Exactly these actions; log NULL: no log. */
static void expect(unsigned int flags, int track, uint64_t timer,
		   const char *log)
{
	assert_int_equal(a.flags, flags);
	if (flags & TRACK)
		assert_int_equal(a.track, track);
	if (flags & TIMER)
		assert_int_equal(a.timer_ms, timer);
	assert_string_equal(a.log, log ? log : "");
}

static void expect_role(unsigned int flags, uint8_t from, uint8_t to,
			int track, const char *log)
{
	assert_int_equal(a.flags, flags | ROLE | LOG);
	assert_int_equal(a.from, from);
	assert_int_equal(a.to, to);
	if (flags & TRACK)
		assert_int_equal(a.track, track);
	assert_string_equal(a.log, log);
	assert_int_equal(r.state, to);
}

/* The node is BACKUP, ready, track 0: the steady standby. */
static void standby(void)
{
	init_node();
	assert_int_equal(datapath(T0, true), 0);
	assert_int_equal(up(T0 + 10), 0);
	assert_int_equal(complete(T0 + 20), 0);
	assert_int_equal(line(T0 + 30, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	assert_true(r.ready);
	assert_int_equal(r.track, READY);
	assert_false(r.incumbent);
}

/* The node is MASTER, ready, incumbent, track 0: the steady master,
 * its takeover confirmed (the peer stayed). Its clock is then at
 * T0 + 40 + CONFIRM: earlier times below count as that. */
static void master(void)
{
	standby();
	assert_int_equal(line(T0 + 40, "GROUP \"VG_1\" MASTER 0\n"), 0);
	assert_true(r.incumbent);
	assert_true(r.took_over);
	assert_int_equal(r.track, READY);
	assert_int_equal(tick(T0 + 40 + CONFIRM), 0);
	expect(0, 0, 0, NULL);
	assert_false(r.took_over);
}

static void test_role_writes_nothing_before_the_datapath_is_known(void **s)
{
	init_node();
	assert_int_equal(line(T0 + 100, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	expect_role(TIMER, BATON_HA_UNKNOWN, BATON_HA_BACKUP, 0,
		    "VG_1: UNKNOWN -> BACKUP (priority 0)");
	assert_int_equal(a.timer_ms, T0 + GRACE);
	assert_int_equal(up(T0 + 200), 0);
	expect(TIMER, 0, 0, NULL);	/* nobody unseen: no grace timer */
	assert_int_equal(complete(T0 + 300), 0);
	expect(0, 0, 0, NULL);
	assert_false(r.ready);
	assert_int_equal(r.wait, BATON_HA_WAIT_DATAPATH_UNKNOWN);
	assert_false(r.track_set);
	assert_int_equal(r.track_writes, 0);

	assert_int_equal(datapath(T0 + 400, true), 0);
	expect(TRACK | LOG, READY, 0, "ready; track 0");
}

static void test_role_cold_start_is_not_ready_until_peer_resync(void **s)
{
	init_node();
	assert_int_equal(datapath(T0, true), 0);
	expect(TRACK | LOG | TIMER, DEMOTE, T0 + GRACE,
	       "not ready: no complete resync from peer 2 since start "
	       "(alone in 30000 ms); track -253");
	assert_int_equal(r.wait, BATON_HA_WAIT_PEER_UNSEEN);
	assert_int_equal(r.wait_peer, PEER);

	assert_int_equal(line(T0 + 500, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	expect_role(0, BATON_HA_UNKNOWN, BATON_HA_BACKUP, 0,
		    "VG_1: UNKNOWN -> BACKUP (priority 0)");

	assert_int_equal(up(T0 + 1000), 0);
	expect(LOG | TIMER, 0, 0, "not ready: resync from peer 2 incomplete");
	assert_int_equal(r.wait, BATON_HA_WAIT_PEER_RESYNC);

	assert_int_equal(complete(T0 + 1500), 0);
	expect(TRACK | LOG, READY, 0, "ready; track -253 -> 0");
	assert_true(r.ready);
	assert_int_equal(r.wait, BATON_HA_WAIT_NONE);

	assert_int_equal(line(T0 + 2000, "GROUP \"VG_1\" MASTER 0\n"), 0);
	expect_role(0, BATON_HA_BACKUP, BATON_HA_MASTER, 0,
		    "VG_1: BACKUP -> MASTER (priority 0)");
	assert_true(r.incumbent);
	assert_int_equal(r.role_changes, 2);
	assert_int_equal(r.track_writes, 2);
}

static void test_role_cold_start_alone_serves_after_grace(void **s)
{
	init_node();
	assert_int_equal(datapath(T0, true), 0);
	expect(TRACK | LOG | TIMER, DEMOTE, T0 + GRACE,
	       "not ready: no complete resync from peer 2 since start "
	       "(alone in 30000 ms); track -253");

	assert_int_equal(tick(T0 + GRACE - 1), 0);
	expect(0, 0, 0, NULL);
	assert_false(r.ready);

	assert_int_equal(tick(T0 + GRACE), 0);
	expect(TRACK | LOG | TIMER, READY, 0, "ready; track -253 -> 0");
	assert_true(r.ready);

	/* keepalived, alone, makes it master: it is incumbent, and took
	 * over with the peer out of reach */
	assert_int_equal(line(T0 + GRACE + 10, "GROUP \"VG_1\" MASTER 0\n"),
			 0);
	expect_role(TRACK, BATON_HA_UNKNOWN, BATON_HA_MASTER, BOOST,
		    "VG_1: UNKNOWN -> MASTER (priority 0); track 0 -> 253"
		    BOOST_WHY);
	assert_true(r.incumbent);

	/* the peer shows up late: the master keeps the VIP meanwhile,
	 * outranking it until the peer has resynced */
	assert_int_equal(up(T0 + 60000), 0);
	expect(LOG, 0, 0, "not ready: resync from peer 2 incomplete");
	assert_int_equal(r.track, BOOST);
	assert_int_equal(complete(T0 + 61000), 0);
	expect(LOG, 0, 0, "ready");
	assert_int_equal(r.track, BOOST);	/* it lacks ours yet */
	assert_int_equal(has_ours(T0 + 61500), 0);
	expect(TRACK | LOG, READY, 0, "track 253 -> 0");
}

/* The grace frees a node from peers it never reached, not from a
 * connected peer whose resync is still running. */
static void test_role_grace_does_not_cover_a_connected_peer(void **s)
{
	init_node();
	assert_int_equal(datapath(T0, true), 0);
	assert_int_equal(up(T0 + 100), 0);
	expect(LOG | TIMER, 0, 0, "not ready: resync from peer 2 incomplete");
	assert_int_equal(tick(T0 + 10 * GRACE), 0);
	expect(0, 0, 0, NULL);
	assert_false(r.ready);
	assert_int_equal(r.track, DEMOTE);

	/* gone mid-resync, before the grace ends, it blocks again... */
	init_node();
	assert_int_equal(datapath(T0, true), 0);
	assert_int_equal(up(T0 + 100), 0);
	assert_int_equal(down(T0 + 200), 0);
	expect(LOG | TIMER, 0, T0 + GRACE,
	       "not ready: no complete resync from peer 2 since start "
	       "(alone in 29800 ms)");
	assert_int_equal(r.track, DEMOTE);
	/* ...until the grace ends */
	assert_int_equal(tick(T0 + GRACE), 0);
	expect(TRACK | LOG | TIMER, READY, 0, "ready; track -253 -> 0");
}

static void test_role_grace_forever_keeps_a_lone_node_demoted(void **s)
{
	static const uint32_t one[] = { PEER };

	init_with(BATON_HA_GRACE_FOREVER, false, one, 1);
	assert_int_equal(datapath(T0, true), 0);
	expect(TRACK | LOG, DEMOTE, 0,
	       "not ready: no complete resync from peer 2 since start; "
	       "track -253");
	assert_int_equal(tick(UINT64_MAX - 1), 0);
	expect(0, 0, 0, NULL);
	assert_false(r.ready);

	/* alone, keepalived elects it anyway (priority 1 beats nobody):
	 * it serves, but is not incumbent and stays demoted */
	assert_int_equal(line(UINT64_MAX - 1, "GROUP \"VG_1\" MASTER 0\n"), 0);
	expect_role(0, BATON_HA_UNKNOWN, BATON_HA_MASTER, 0,
		    "VG_1: UNKNOWN -> MASTER (priority 0)");
	assert_false(r.incumbent);
	assert_int_equal(r.track, DEMOTE);
}

/* The loxilb #565 case: a restarted node must not take the VIP back
 * from the serving peer before it holds a complete copy. */
static void test_role_restart_while_peer_is_master_stays_demoted(void **s)
{
	init_node();
	assert_int_equal(datapath(T0, true), 0);
	expect(TRACK | LOG | TIMER, DEMOTE, T0 + GRACE,
	       "not ready: no complete resync from peer 2 since start "
	       "(alone in 30000 ms); track -253");
	assert_int_equal(line(T0 + 100, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	expect_role(0, BATON_HA_UNKNOWN, BATON_HA_BACKUP, 0,
		    "VG_1: UNKNOWN -> BACKUP (priority 0)");
	assert_int_equal(up(T0 + 200), 0);
	expect(LOG | TIMER, 0, 0, "not ready: resync from peer 2 incomplete");

	/* keepalived makes it MASTER before the resync is over (it had not
	 * heard the peer yet): it is pushed out, not latched */
	assert_int_equal(line(T0 + 300, "GROUP \"VG_1\" MASTER 0\n"), 0);
	expect_role(0, BATON_HA_BACKUP, BATON_HA_MASTER, 0,
		    "VG_1: BACKUP -> MASTER (priority 0)");
	assert_false(r.incumbent);
	assert_int_equal(r.track, DEMOTE);
	/* the peer, at its own priority, takes it back */
	assert_int_equal(line(T0 + 400, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	expect_role(0, BATON_HA_MASTER, BATON_HA_BACKUP, 0,
		    "VG_1: MASTER -> BACKUP (priority 0)");

	/* however long it takes */
	assert_int_equal(tick(T0 + 5 * GRACE), 0);
	expect(0, 0, 0, NULL);
	assert_int_equal(r.track, DEMOTE);

	/* complete: now it may win an election (and preempt) */
	assert_int_equal(complete(T0 + 5 * GRACE + 1), 0);
	expect(TRACK | LOG, READY, 0, "ready; track -253 -> 0");
	assert_int_equal(line(T0 + 5 * GRACE + 2, "GROUP \"VG_1\" MASTER 0\n"),
			 0);
	expect_role(0, BATON_HA_BACKUP, BATON_HA_MASTER, 0,
		    "VG_1: BACKUP -> MASTER (priority 0)");
	assert_true(r.incumbent);
}

/* keepalived came up MASTER on a restarted node before batond knew
 * anything: the first value batond writes pushes it out. */
static void test_role_restarted_master_is_pushed_out(void **s)
{
	init_node();
	assert_int_equal(line(T0, "GROUP \"VG_1\" MASTER 0\n"), 0);
	expect_role(TIMER, BATON_HA_UNKNOWN, BATON_HA_MASTER, 0,
		    "VG_1: UNKNOWN -> MASTER (priority 0)");
	assert_int_equal(datapath(T0 + 5, true), 0);
	expect(TRACK | LOG, DEMOTE, 0,
	       "not ready: no complete resync from peer 2 since start "
	       "(alone in 29995 ms); track -253");
	assert_false(r.incumbent);

	/* still MASTER (no ready peer took over) when the copy completes:
	 * from then on it is incumbent */
	assert_int_equal(up(T0 + 10), 0);
	assert_int_equal(complete(T0 + 20), 0);
	expect(TRACK | LOG, BOOST, 0, "ready; track -253 -> 253" BOOST_WHY);
	assert_true(r.incumbent);
	/* MASTER with the peer unknown is a takeover: it outranks until
	 * the peer holds its flows */
	assert_int_equal(has_ours(T0 + 30), 0);
	expect(TRACK | LOG, READY, 0, "track 253 -> 0");
}

static void test_role_failover_ready_backup_takes_over(void **s)
{
	standby();
	/* the master dies: our copy of its flows is the last one there is */
	assert_int_equal(down(T0 + 1000), 0);
	expect(0, 0, 0, NULL);
	assert_true(r.ready);
	assert_int_equal(r.peers[0].state, BATON_HA_PEER_GONE);
	assert_int_equal(line(T0 + 1003, "GROUP \"VG_1\" MASTER 0\n"), 0);
	expect_role(TRACK, BATON_HA_BACKUP, BATON_HA_MASTER, BOOST,
		    "VG_1: BACKUP -> MASTER (priority 0); track 0 -> 253"
		    BOOST_WHY);
	assert_true(r.incumbent);

	/* it comes back: we keep the VIP while it resyncs to us, and it
	 * cannot take them back before */
	assert_int_equal(up(T0 + 9000), 0);
	expect(LOG, 0, 0, "not ready: resync from peer 2 incomplete");
	assert_int_equal(r.track, BOOST);
	assert_int_equal(has_ours(T0 + 9400), 0);
	expect(TRACK | LOG, READY, 0, "track 253 -> 0 (incumbent master)");
}

static void test_role_failover_mid_resync_after_a_complete_copy(void **s)
{
	standby();
	/* the master's stream hiccups: resync from it */
	assert_int_equal(resync(T0 + 1000), 0);
	expect(TRACK | LOG, DEMOTE, 0,
	       "not ready: resync from peer 2 incomplete; track 0 -> -253");
	/* it dies mid-resync: we hold all it sent, nothing more to wait
	 * for */
	assert_int_equal(down(T0 + 1100), 0);
	expect(TRACK | LOG, READY, 0, "ready; track -253 -> 0");
	assert_int_equal(line(T0 + 1103, "GROUP \"VG_1\" MASTER 0\n"), 0);
	expect_role(TRACK, BATON_HA_BACKUP, BATON_HA_MASTER, BOOST,
		    "VG_1: BACKUP -> MASTER (priority 0); track 0 -> 253"
		    BOOST_WHY);
}

/* A link blip makes both sides resync; the master must not drop the
 * VIP for it (that would leave it to a node resyncing just the same). */
static void test_role_incumbent_master_keeps_vip_during_resync(void **s)
{
	master();
	assert_int_equal(down(T0 + 1000), 0);
	expect(0, 0, 0, NULL);
	assert_int_equal(up(T0 + 1100), 0);
	expect(LOG, 0, 0, "not ready: resync from peer 2 incomplete");
	assert_false(r.ready);
	assert_int_equal(r.track, READY);
	assert_int_equal(complete(T0 + 1200), 0);
	expect(LOG, 0, 0, "ready");
	assert_int_equal(resync(T0 + 1300), 0);
	expect(LOG, 0, 0, "not ready: resync from peer 2 incomplete");

	/* leaving MASTER ends incumbency: now the resync counts */
	assert_int_equal(line(T0 + 1400, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	expect_role(TRACK, BATON_HA_MASTER, BATON_HA_BACKUP, DEMOTE,
		    "VG_1: MASTER -> BACKUP (priority 0); track 0 -> -253");
	assert_false(r.incumbent);
	/* and MASTER again before it completes does not restore it */
	assert_int_equal(line(T0 + 1500, "GROUP \"VG_1\" MASTER 0\n"), 0);
	expect_role(0, BATON_HA_BACKUP, BATON_HA_MASTER, 0,
		    "VG_1: BACKUP -> MASTER (priority 0)");
	assert_false(r.incumbent);
	assert_int_equal(r.track, DEMOTE);
}

/* Control for the test above: the same events on a node that is not
 * master demote it, so the check there can fail. */
static void test_role_backup_is_demoted_while_peer_resyncs(void **s)
{
	standby();
	assert_int_equal(down(T0 + 1000), 0);
	expect(0, 0, 0, NULL);
	assert_int_equal(up(T0 + 1100), 0);
	expect(TRACK | LOG, DEMOTE, 0,
	       "not ready: resync from peer 2 incomplete; track 0 -> -253");
	assert_int_equal(complete(T0 + 1200), 0);
	expect(TRACK | LOG, READY, 0, "ready; track -253 -> 0");
}

static void test_role_datapath_detached_forces_fault(void **s)
{
	master();
	assert_int_equal(datapath(T0 + 1000, false), 0);
	expect(TRACK | LOG, FAULT, 0,
	       "not ready: datapath detached; track 0 -> -254");
	assert_false(r.incumbent);
	assert_int_equal(r.wait, BATON_HA_WAIT_DATAPATH);
	/* keepalived obeys */
	assert_int_equal(line(T0 + 1001, "GROUP \"VG_1\" FAULT 0\n"), 0);
	expect_role(0, BATON_HA_MASTER, BATON_HA_FAULT, 0,
		    "VG_1: MASTER -> FAULT (priority 0)");
	/* peers do not matter while detached */
	assert_int_equal(resync(T0 + 1002), 0);
	expect(0, 0, 0, NULL);
	assert_int_equal(r.track, FAULT);

	/* re-attached with a resync running: demoted, not ready */
	assert_int_equal(datapath(T0 + 2000, true), 0);
	expect(TRACK | LOG, DEMOTE, 0,
	       "not ready: resync from peer 2 incomplete; track -254 -> -253");
	assert_int_equal(line(T0 + 2001, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	expect_role(RESYNC, BATON_HA_FAULT, BATON_HA_BACKUP, 0,
		    "VG_1: FAULT -> BACKUP (priority 0); "
		    "asking the peers for a resync");
	assert_int_equal(complete(T0 + 2500), 0);
	expect(TRACK | LOG, READY, 0, "ready; track -253 -> 0");

	/* detached on a backup: FAULT as well */
	assert_int_equal(datapath(T0 + 3000, false), 0);
	expect(TRACK | LOG, FAULT, 0,
	       "not ready: datapath detached; track 0 -> -254");
	assert_int_equal(datapath(T0 + 3001, true), 0);
	expect(TRACK | LOG, READY, 0, "ready; track -254 -> 0");
}

static void test_role_fault_stop_and_deleted_end_incumbency(void **s)
{
	master();
	assert_int_equal(resync(T0 + 1000), 0);
	expect(LOG, 0, 0, "not ready: resync from peer 2 incomplete");
	/* keepalived's own FAULT (an interface went down) */
	assert_int_equal(line(T0 + 1100, "GROUP \"VG_1\" FAULT 0\n"), 0);
	expect_role(TRACK, BATON_HA_MASTER, BATON_HA_FAULT, DEMOTE,
		    "VG_1: MASTER -> FAULT (priority 0); track 0 -> -253");
	assert_false(r.incumbent);
	assert_int_equal(line(T0 + 1200, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	expect_role(RESYNC, BATON_HA_FAULT, BATON_HA_BACKUP, 0,
		    "VG_1: FAULT -> BACKUP (priority 0); "
		    "asking the peers for a resync");
	assert_int_equal(complete(T0 + 1300), 0);
	expect(TRACK | LOG, READY, 0, "ready; track -253 -> 0");

	/* keepalived stops: STOP for the group */
	assert_int_equal(line(T0 + 1400, "GROUP \"VG_1\" MASTER 0\n"), 0);
	assert_true(r.incumbent);
	assert_int_equal(line(T0 + 1500, "GROUP \"VG_1\" STOP 0\n"), 0);
	expect_role(0, BATON_HA_MASTER, BATON_HA_STOP, 0,
		    "VG_1: MASTER -> STOP (priority 0)");
	assert_false(r.incumbent);
	assert_int_equal(r.track, READY);	/* still ready */

	/* and a reload that deletes it */
	assert_int_equal(line(T0 + 1600, "GROUP \"VG_1\" DELETED 0\n"), 0);
	expect_role(0, BATON_HA_STOP, BATON_HA_UNKNOWN, 0,
		    "VG_1: STOP -> UNKNOWN (priority 0), deleted by a reload");
	assert_int_equal(r.role_changes, 7);
}

/*
 * The power cut of the active node, seen from that node: its links go,
 * keepalived reports FAULT, the peer is lost with a complete copy. When
 * the links come back the peer has been master for a while: "gone,
 * complete when it left" is no longer true, and the node must wait for
 * a fresh resync before it may preempt (track -253 until then).
 */
static void test_role_fault_makes_copies_stale_until_a_new_resync(void **s)
{
	master();
	assert_int_equal(line(T0 + 1000, "GROUP \"VG_1\" FAULT 0\n"), 0);
	expect_role(TRACK, BATON_HA_MASTER, BATON_HA_FAULT, DEMOTE,
		    "VG_1: MASTER -> FAULT (priority 0); not ready: copy of "
		    "peer 2 predates the FAULT, waiting for its resync; "
		    "track 0 -> -253");
	assert_true(r.peers[0].stale);
	assert_int_equal(r.wait, BATON_HA_WAIT_PEER_STALE);
	assert_int_equal(r.faults, 1);
	/* the sync stream times out meanwhile: still stale, not "gone" */
	assert_int_equal(down(T0 + 2000), 0);
	expect(0, 0, 0, NULL);
	assert_int_equal(r.peers[0].state, BATON_HA_PEER_GONE);
	assert_int_equal(r.track, DEMOTE);
	/* grace is over long ago; stale still blocks */
	assert_int_equal(tick(T0 + GRACE + 5000), 0);
	assert_int_equal(r.track, DEMOTE);

	/* links back: ask for a resync */
	assert_int_equal(line(T0 + GRACE + 6000,
			      "GROUP \"VG_1\" BACKUP 0\n"), 0);
	expect_role(RESYNC, BATON_HA_FAULT, BATON_HA_BACKUP, 0,
		    "VG_1: FAULT -> BACKUP (priority 0); "
		    "asking the peers for a resync");
	/* a reconnect of an unbroken stream is no resync */
	assert_int_equal(complete(T0 + GRACE + 6100), 0);
	assert_true(r.peers[0].stale);
	assert_int_equal(r.track, DEMOTE);
	/* the answer to the request */
	assert_int_equal(resync(T0 + GRACE + 6200), 0);
	expect(LOG, 0, 0, "not ready: resync from peer 2 incomplete");
	assert_int_equal(complete(T0 + GRACE + 6300), 0);
	expect(TRACK | LOG, READY, 0, "ready; track -253 -> 0");
	assert_false(r.peers[0].stale);
}

/* The standby's view of the same cut: it never saw a FAULT, so its
 * copy of the dead master is good and it takes over at once; a FAULT
 * of its own later makes it wait like anyone else. */
/*
 * Split brain: the VRRP adverts between the nodes are cut (and sync with
 * them), the links to clients and backends are not. The standby becomes
 * MASTER too; sync notices the cut only later. The latest takeover must
 * outrank the old master at the heal, until they have resynced.
 */
static void test_role_split_brain_latest_takeover_outranks(void **s)
{
	standby();
	/* MASTER first, the peer still looks connected and complete */
	assert_int_equal(line(T0 + 1000, "GROUP \"VG_1\" MASTER 0\n"), 0);
	expect_role(0, BATON_HA_BACKUP, BATON_HA_MASTER, 0,
		    "VG_1: BACKUP -> MASTER (priority 0)");
	assert_true(r.took_over);
	assert_false(r.boosted);
	/* then its stream stops, within the confirmation window */
	assert_int_equal(down(T0 + 1000 + CONFIRM - 1), 0);
	expect(TRACK | LOG, BOOST, 0, "track 0 -> 253" BOOST_WHY);
	assert_true(r.boosted);
	/* the split lasts: nothing changes, whatever the time */
	assert_int_equal(tick(T0 + 600000), 0);
	expect(0, 0, 0, NULL);
	/* healed: the peer reconnects; we hold its flows first - no
	 * matter, the boost holds until it holds ours: it acked our
	 * resync. Then the priorities apply again. */
	assert_int_equal(up(T0 + 600100), 0);
	expect(LOG, 0, 0, "not ready: resync from peer 2 incomplete");
	assert_int_equal(r.track, BOOST);
	assert_int_equal(complete(T0 + 601000), 0);
	expect(LOG, 0, 0, "ready");
	assert_int_equal(r.track, BOOST);
	assert_int_equal(has_ours(T0 + 601100), 0);
	expect(TRACK | LOG, READY, 0, "track 253 -> 0");
	assert_false(r.boosted);
	/* a later cut is no takeover of ours: no boost */
	assert_int_equal(down(T0 + 700000), 0);
	expect(0, 0, 0, NULL);
	assert_int_equal(r.track, READY);
}

/*
 * A flap (the master powered off, on again 3 s later): the standby takes
 * over and loses the peer; at the power-on our stream to it reconnects
 * and is acked complete before its stream to us restarts. That restart
 * says nothing of ours - the peer holds our flows, and sync will not ack
 * them again while our stream stays up - so it must not boost again (the
 * boost would keep the VIPs from the preempting old master for good).
 * Control: a restart of its stream while ours is not in sync still does.
 */
static void test_role_boost_ends_though_the_peers_stream_restarts(void **s)
{
	standby();
	assert_int_equal(line(T0 + 1000, "GROUP \"VG_1\" MASTER 0\n"), 0);
	assert_int_equal(down(T0 + 2000), 0);
	expect(TRACK | LOG, BOOST, 0, "track 0 -> 253" BOOST_WHY);
	/* our stream: connected (reported COMPLETE: its stream to us
	 * looked unbroken), resent, acked */
	assert_int_equal(complete(T0 + 4000), 0);
	assert_int_equal(has_ours(T0 + 4100), 0);
	expect(TRACK | LOG, READY, 0, "track 253 -> 0");
	/* its stream to us restarts (it asks us, or resends) */
	assert_int_equal(resync(T0 + 4200), 0);
	expect(LOG, 0, 0, "not ready: resync from peer 2 incomplete");
	assert_int_equal(r.track, READY);
	assert_false(r.boosted);
	assert_int_equal(complete(T0 + 4500), 0);
	expect(LOG, 0, 0, "ready");
	/* control: ours breaks, then its stream restarts - lost again */
	assert_int_equal(down(T0 + 4600), 0);
	expect(TRACK | LOG, BOOST, 0, "track 0 -> 253" BOOST_WHY);
	assert_int_equal(resync(T0 + 4700), 0);
	assert_int_equal(r.track, BOOST);
	assert_int_equal(has_ours(T0 + 5000), 0);
	assert_int_equal(r.track, READY);
}

/* The other side of the split: the old master was master long before its
 * peer was lost. It keeps READY (incumbent) and gets no boost: at the heal
 * it yields to the node that took over. */
static void test_role_split_brain_old_master_gets_no_boost(void **s)
{
	master();
	assert_int_equal(down(T0 + 100000), 0);
	expect(0, 0, 0, NULL);
	assert_false(r.boosted);
	assert_int_equal(up(T0 + 200000), 0);
	expect(LOG, 0, 0, "not ready: resync from peer 2 incomplete");
	assert_int_equal(r.track, READY);
	/* it yields at the heal: now its copy of the peer must be complete
	 * before it can be master again */
	assert_int_equal(line(T0 + 200050, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	expect_role(TRACK, BATON_HA_MASTER, BATON_HA_BACKUP, DEMOTE,
		    "VG_1: MASTER -> BACKUP (priority 0); track 0 -> -253");
	assert_int_equal(complete(T0 + 201000), 0);
	expect(TRACK | LOG, READY, 0, "ready; track -253 -> 0");
}

/* Control for the test above: ha.split_brain: priority, the same events,
 * no boost - the old master's configured priority wins at the heal. */
static void test_role_split_priority_never_boosts(void **s)
{
	static const uint32_t one[] = { PEER };
	struct baton_ha_config cfg = {
		.type = BATON_NOTIFY_GROUP, .name = "VG_1", .npeers = 1,
		.grace_ms = GRACE, .split_priority = true,
	};

	memcpy(cfg.peers, one, sizeof(one));
	assert_int_equal(baton_ha_role_init(&r, &cfg, T0), 0);
	assert_int_equal(datapath(T0, true), 0);
	assert_int_equal(up(T0 + 10), 0);
	assert_int_equal(complete(T0 + 20), 0);
	assert_int_equal(line(T0 + 30, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	assert_int_equal(line(T0 + 1000, "GROUP \"VG_1\" MASTER 0\n"), 0);
	assert_int_equal(down(T0 + 2000), 0);
	expect(0, 0, 0, NULL);
	assert_false(r.boosted);
	assert_int_equal(r.track, READY);
}

/* The boost is a MASTER's: leaving MASTER ends it, a FAULT as well. */
static void test_role_boost_ends_with_master(void **s)
{
	standby();
	assert_int_equal(down(T0 + 1000), 0);
	assert_int_equal(line(T0 + 1100, "GROUP \"VG_1\" MASTER 0\n"), 0);
	assert_int_equal(r.track, BOOST);
	assert_int_equal(line(T0 + 1200, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	expect_role(TRACK, BATON_HA_MASTER, BATON_HA_BACKUP, READY,
		    "VG_1: MASTER -> BACKUP (priority 0); track 253 -> 0");
	assert_false(r.took_over);
	assert_int_equal(line(T0 + 1300, "GROUP \"VG_1\" MASTER 0\n"), 0);
	assert_int_equal(r.track, BOOST);
	assert_int_equal(line(T0 + 1400, "GROUP \"VG_1\" FAULT 0\n"), 0);
	assert_int_equal(r.track, DEMOTE);	/* the copy went stale */
	assert_false(r.boosted);
	assert_int_equal(r.takeovers, 2);
}

static void test_role_stale_only_after_own_fault(void **s)
{
	standby();
	assert_int_equal(down(T0 + 1000), 0);
	assert_true(r.ready);
	assert_false(r.peers[0].stale);
	assert_int_equal(line(T0 + 1400, "GROUP \"VG_1\" MASTER 0\n"), 0);
	assert_true(r.ready);
	assert_int_equal(r.track, BOOST);

	/* a peer never seen complete has nothing to go stale */
	init_node();
	assert_int_equal(datapath(T0, true), 0);
	assert_int_equal(line(T0 + 10, "GROUP \"VG_1\" FAULT 0\n"), 0);
	assert_false(r.peers[0].stale);
	assert_int_equal(r.wait, BATON_HA_WAIT_PEER_UNSEEN);
	/* leaving FAULT asks for a resync only with peers to ask */
	static const uint32_t none[1];
	init_with(GRACE, false, none, 0);
	assert_int_equal(datapath(T0, true), 0);
	assert_int_equal(line(T0 + 10, "GROUP \"VG_1\" FAULT 0\n"), 0);
	assert_int_equal(line(T0 + 20, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	assert_false(a.flags & RESYNC);
	assert_true(r.ready);
}

static void test_role_flapping_counts_changes_writes_on_change(void **s)
{
	uint64_t t = T0 + 1000, writes;
	int i;

	master();
	writes = r.track_writes;
	assert_int_equal(writes, 2);	/* -253 at attach, 0 once complete */
	assert_int_equal(r.role_changes, 2);
	for (i = 0; i < 10; i++) {
		assert_int_equal(line(t++, "GROUP \"VG_1\" BACKUP 0\n"), 0);
		expect_role(0, BATON_HA_MASTER, BATON_HA_BACKUP, 0,
			    "VG_1: MASTER -> BACKUP (priority 0)");
		assert_int_equal(line(t++, "GROUP \"VG_1\" MASTER 0\n"), 0);
		expect_role(0, BATON_HA_BACKUP, BATON_HA_MASTER, 0,
			    "VG_1: BACKUP -> MASTER (priority 0)");
	}
	assert_int_equal(r.role_changes, 22);
	assert_int_equal(r.track_writes, writes);
	/* the same state again is no change */
	assert_int_equal(line(t++, "GROUP \"VG_1\" MASTER 0\n"), 0);
	expect(0, 0, 0, NULL);
	assert_int_equal(r.role_changes, 22);

	/* a flapping peer on a backup: one write per change of value */
	assert_int_equal(line(t++, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(up(t++), 0);
		expect(TRACK | LOG, DEMOTE, 0,
		       "not ready: resync from peer 2 incomplete; "
		       "track 0 -> -253");
		assert_int_equal(up(t++), 0);	/* repeated: nothing */
		expect(0, 0, 0, NULL);
		assert_int_equal(complete(t++), 0);
		expect(TRACK | LOG, READY, 0, "ready; track -253 -> 0");
	}
	assert_int_equal(r.track_writes, writes + 10);
	assert_int_equal(r.notifies, 2 + 20 + 1 + 1);
}

static void test_role_priority_events_change_no_role(void **s)
{
	static const char *const inst_lines[] = {
		"INSTANCE \"VI_1\" MASTER_PRIORITY 1\n",
	};
	struct baton_ha_config cfg = {
		.type = BATON_NOTIFY_INSTANCE,
		.name = "VI_1",
	};

	assert_int_equal(baton_ha_role_init(&r, &cfg, T0), 0);
	assert_int_equal(datapath(T0, true), 0);
	expect(TRACK | LOG, READY, 0, "ready; track 0");
	assert_int_equal(line(T0 + 1, "INSTANCE \"VI_1\" MASTER 150\n"), 0);
	expect_role(0, BATON_HA_UNKNOWN, BATON_HA_MASTER, 0,
		    "VI_1: UNKNOWN -> MASTER (priority 150)");
	assert_int_equal(r.priority, 150);

	assert_int_equal(line(T0 + 2, inst_lines[0]), 0);
	expect(0, 0, 0, NULL);
	assert_int_equal(r.priority, 1);
	assert_int_equal(r.state, BATON_HA_MASTER);
	assert_int_equal(line(T0 + 3, "INSTANCE \"VI_1\" BACKUP_PRIORITY 7\n"),
			 0);
	expect(0, 0, 0, NULL);
	assert_int_equal(r.priority, 7);
	assert_int_equal(r.state, BATON_HA_MASTER);

	assert_int_equal(line(T0 + 4,
			      "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150\n"),
			 0);
	expect(LOG, 0, 0,
	       "VI_1: MASTER received a lower priority advert (another node "
	       "was master)");
	assert_int_equal(r.lower_pri_adverts, 1);
	assert_int_equal(r.state, BATON_HA_MASTER);
	assert_int_equal(r.role_changes, 1);
}

static void test_role_ignores_other_objects_and_unknown_peers(void **s)
{
	standby();
	assert_int_equal(line(T0 + 100, "INSTANCE \"VG_1\" MASTER 100\n"),
			 -ENOENT);
	expect(0, 0, 0, NULL);
	assert_int_equal(line(T0 + 101, "INSTANCE \"VI_1\" MASTER 100\n"),
			 -ENOENT);
	assert_int_equal(line(T0 + 102, "GROUP \"VG_2\" MASTER 0\n"), -ENOENT);
	assert_int_equal(line(T0 + 103, "GROUP \"VG_10\" MASTER 0\n"),
			 -ENOENT);
	assert_int_equal(line(T0 + 104, "GROUP \"VG_\" MASTER 0\n"), -ENOENT);
	assert_int_equal(peer_ev(BATON_HA_EV_PEER_DOWN, T0 + 105, 9), -ENOENT);
	expect(0, 0, 0, NULL);
	assert_int_equal(r.ignored, 6);
	assert_int_equal(r.state, BATON_HA_BACKUP);
	assert_int_equal(r.peers[0].state, BATON_HA_PEER_COMPLETE);

	assert_int_equal(step(0, T0 + 106, 0, false, NULL), -EINVAL);
	assert_int_equal(step(BATON_HA_EV_MAX, T0 + 106, 0, false, NULL),
			 -EINVAL);
	assert_int_equal(step(BATON_HA_EV_NOTIFY, T0 + 106, 0, false, NULL),
			 -EINVAL);
	expect(0, 0, 0, NULL);
	assert_int_equal(r.now_ms, T0 + 30);	/* ignored: time unmoved */
}

/* batond restarts on a serving master: no failover for it. */
static void test_role_resume_master_keeps_serving_through_restart(void **s)
{
	static const uint32_t one[] = { PEER };

	init_with(GRACE, true, one, 1);
	assert_int_equal(r.state, BATON_HA_MASTER);
	assert_true(r.state_restored);
	assert_int_equal(datapath(T0 + 5, true), 0);
	expect(TRACK | LOG | TIMER, READY, T0 + GRACE,
	       "not ready: no complete resync from peer 2 since start "
	       "(alone in 29995 ms); track 0 (incumbent master)");
	assert_int_equal(up(T0 + 10), 0);
	expect(LOG | TIMER, 0, 0, "not ready: resync from peer 2 incomplete");
	assert_int_equal(complete(T0 + 20), 0);
	expect(LOG, 0, 0, "ready");
	/* keepalived confirms nothing (no transition): still restored */
	assert_true(r.state_restored);
	assert_int_equal(line(T0 + 30, "GROUP \"VG_1\" MASTER 0\n"), 0);
	expect(0, 0, 0, NULL);
	assert_false(r.state_restored);
}

/* Control: the same restart without resume_master demotes. */
static void test_role_restart_without_resume_demotes(void **s)
{
	init_node();
	assert_int_equal(datapath(T0 + 5, true), 0);
	expect(TRACK | LOG | TIMER, DEMOTE, T0 + GRACE,
	       "not ready: no complete resync from peer 2 since start "
	       "(alone in 29995 ms); track -253");
}

/* Resumed, but keepalived says it is BACKUP: the resume was stale. */
static void test_role_resume_ends_when_keepalived_disagrees(void **s)
{
	static const uint32_t one[] = { PEER };

	init_with(GRACE, true, one, 1);
	assert_int_equal(datapath(T0, true), 0);
	assert_int_equal(a.track, READY);
	assert_int_equal(line(T0 + 1, "GROUP \"VG_1\" BACKUP 0\n"), 0);
	expect_role(TRACK, BATON_HA_MASTER, BATON_HA_BACKUP, DEMOTE,
		    "VG_1: MASTER -> BACKUP (priority 0); track 0 -> -253");
	assert_false(r.state_restored);
	assert_false(r.incumbent);
}

static void test_role_every_peer_counts(void **s)
{
	static const uint32_t peers[] = { 2, 3, 4 };

	init_with(GRACE, false, peers, 3);
	assert_int_equal(datapath(T0, true), 0);
	expect(TRACK | LOG | TIMER, DEMOTE, T0 + GRACE,
	       "not ready: no complete resync from peer 2 since start "
	       "(alone in 30000 ms); track -253");
	assert_int_equal(peer_ev(BATON_HA_EV_PEER_UP, T0 + 1, 2), 0);
	expect(LOG, 0, 0, "not ready: resync from peer 2 incomplete");
	assert_int_equal(peer_ev(BATON_HA_EV_PEER_COMPLETE, T0 + 2, 2), 0);
	expect(LOG, 0, 0,
	       "not ready: no complete resync from peer 3 since start "
	       "(alone in 29998 ms)");
	assert_int_equal(peer_ev(BATON_HA_EV_PEER_COMPLETE, T0 + 3, 3), 0);
	expect(LOG, 0, 0,
	       "not ready: no complete resync from peer 4 since start "
	       "(alone in 29997 ms)");
	/* peer 4 never shows up: the grace frees us from it alone */
	assert_int_equal(peer_ev(BATON_HA_EV_PEER_RESYNC, T0 + 4, 3), 0);
	expect(LOG, 0, 0, "not ready: resync from peer 3 incomplete");
	assert_int_equal(tick(T0 + GRACE), 0);
	expect(TIMER, 0, 0, NULL);
	assert_int_equal(r.wait_peer, 3);
	assert_int_equal(peer_ev(BATON_HA_EV_PEER_COMPLETE, T0 + GRACE + 1, 3),
			 0);
	expect(TRACK | LOG, READY, 0, "ready; track -253 -> 0");
	assert_int_equal(r.peers[2].state, BATON_HA_PEER_UNSEEN);
}

static void test_role_no_peers_is_ready_once_attached(void **s)
{
	init_with(GRACE, false, NULL, 0);
	assert_int_equal(datapath(T0, true), 0);
	expect(TRACK | LOG, READY, 0, "ready; track 0");
}

static void test_role_time_never_goes_back(void **s)
{
	init_node();
	assert_int_equal(datapath(T0, true), 0);
	assert_int_equal(tick(T0 + GRACE), 0);
	expect(TRACK | LOG | TIMER, READY, 0, "ready; track -253 -> 0");
	assert_int_equal(tick(T0), 0);
	expect(0, 0, 0, NULL);
	assert_int_equal(r.now_ms, T0 + GRACE);
	assert_true(r.ready);
}

static void test_role_long_names_are_cut_in_logs(void **s)
{
	char name[101], text[200];
	struct baton_ha_config cfg = { .type = BATON_NOTIFY_INSTANCE };

	memset(name, 'n', 100);
	name[100] = '\0';
	cfg.name = name;
	assert_int_equal(baton_ha_role_init(&r, &cfg, T0), 0);
	snprintf(text, sizeof(text), "INSTANCE \"%s\" BACKUP 5\n", name);
	assert_int_equal(line(T0, text), 0);
	snprintf(text, sizeof(text), "%.64s: UNKNOWN -> BACKUP (priority 5)",
		 name);
	assert_string_equal(a.log, text);
}

static void test_role_init_rejects_bad_config(void **s)
{
	static char longname[BATON_NOTIFY_NAME_MAX + 2];
	struct baton_ha_config cfg = {
		.type = BATON_NOTIFY_GROUP,
		.name = "VG_1",
		.npeers = 2,
		.peers = { 2, 3 },
	};
	struct baton_ha_config c;

	assert_int_equal(baton_ha_role_init(&r, &cfg, 0), 0);

	c = cfg;
	c.type = 0;
	assert_int_equal(baton_ha_role_init(&r, &c, 0), -EINVAL);
	c.type = 3;
	assert_int_equal(baton_ha_role_init(&r, &c, 0), -EINVAL);
	c = cfg;
	c.name = NULL;
	assert_int_equal(baton_ha_role_init(&r, &c, 0), -EINVAL);
	c.name = "";
	assert_int_equal(baton_ha_role_init(&r, &c, 0), -EINVAL);
	c.name = "VG\n1";
	assert_int_equal(baton_ha_role_init(&r, &c, 0), -EINVAL);
	memset(longname, 'x', BATON_NOTIFY_NAME_MAX + 1);
	c.name = longname;
	assert_int_equal(baton_ha_role_init(&r, &c, 0), -EINVAL);
	longname[BATON_NOTIFY_NAME_MAX] = '\0';
	assert_int_equal(baton_ha_role_init(&r, &c, 0), 0);
	c = cfg;
	c.npeers = BATON_HA_MAX_PEERS + 1;
	assert_int_equal(baton_ha_role_init(&r, &c, 0), -EINVAL);
	c = cfg;
	c.peers[1] = 0;
	assert_int_equal(baton_ha_role_init(&r, &c, 0), -EINVAL);
	c.peers[1] = 2;
	assert_int_equal(baton_ha_role_init(&r, &c, 0), -EINVAL);
}

static void test_role_names_for_status(void **s)
{
	assert_string_equal(baton_ha_state_name(BATON_HA_UNKNOWN), "UNKNOWN");
	assert_string_equal(baton_ha_state_name(BATON_HA_MASTER), "MASTER");
	assert_string_equal(baton_ha_state_name(BATON_HA_STOP), "STOP");
	assert_null(baton_ha_state_name(BATON_HA_STATE_MAX));
	assert_string_equal(baton_ha_wait_name(BATON_HA_WAIT_PEER_RESYNC),
			    "peer_resync");
	assert_null(baton_ha_wait_name(BATON_HA_WAIT_MAX));
	assert_string_equal(baton_ha_peer_state_name(BATON_HA_PEER_GONE),
			    "gone");
	assert_null(baton_ha_peer_state_name(BATON_HA_PEER_STATE_MAX));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_role_writes_nothing_before_the_datapath_is_known),
	cmocka_unit_test(test_role_cold_start_is_not_ready_until_peer_resync),
	cmocka_unit_test(test_role_cold_start_alone_serves_after_grace),
	cmocka_unit_test(test_role_grace_does_not_cover_a_connected_peer),
	cmocka_unit_test(test_role_grace_forever_keeps_a_lone_node_demoted),
	cmocka_unit_test(test_role_restart_while_peer_is_master_stays_demoted),
	cmocka_unit_test(test_role_restarted_master_is_pushed_out),
	cmocka_unit_test(test_role_failover_ready_backup_takes_over),
	cmocka_unit_test(test_role_failover_mid_resync_after_a_complete_copy),
	cmocka_unit_test(test_role_incumbent_master_keeps_vip_during_resync),
	cmocka_unit_test(test_role_backup_is_demoted_while_peer_resyncs),
	cmocka_unit_test(test_role_datapath_detached_forces_fault),
	cmocka_unit_test(test_role_fault_stop_and_deleted_end_incumbency),
	cmocka_unit_test(test_role_fault_makes_copies_stale_until_a_new_resync),
	cmocka_unit_test(test_role_split_brain_latest_takeover_outranks),
	cmocka_unit_test(test_role_split_brain_old_master_gets_no_boost),
	cmocka_unit_test(test_role_boost_ends_though_the_peers_stream_restarts),
	cmocka_unit_test(test_role_split_priority_never_boosts),
	cmocka_unit_test(test_role_boost_ends_with_master),
	cmocka_unit_test(test_role_stale_only_after_own_fault),
	cmocka_unit_test(test_role_flapping_counts_changes_writes_on_change),
	cmocka_unit_test(test_role_priority_events_change_no_role),
	cmocka_unit_test(test_role_ignores_other_objects_and_unknown_peers),
	cmocka_unit_test(test_role_resume_master_keeps_serving_through_restart),
	cmocka_unit_test(test_role_restart_without_resume_demotes),
	cmocka_unit_test(test_role_resume_ends_when_keepalived_disagrees),
	cmocka_unit_test(test_role_every_peer_counts),
	cmocka_unit_test(test_role_no_peers_is_ready_once_attached),
	cmocka_unit_test(test_role_time_never_goes_back),
	cmocka_unit_test(test_role_long_names_are_cut_in_logs),
	cmocka_unit_test(test_role_init_rejects_bad_config),
	cmocka_unit_test(test_role_names_for_status),
};

UNIT_MAIN("ha_role", tests)
