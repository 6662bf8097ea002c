/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nudge.h - after this node becomes MASTER, make both endpoints of every
 * TCP flow it took over (DNAT and fullNAT) retransmit now rather than when
 * their backed-off retransmission timer runs out (ha.nudge, default on).
 *
 * How (the packets: nudge_pkt.h): for each flow a peer owned, a tickle to
 * each endpoint from the other; a capture socket sees their answers (bare
 * ACKs) as they pass this node, and for each answer an ICMP host
 * unreachable goes to the other endpoint quoting its segment at the byte
 * the answer acknowledged - Linux then undoes one backoff step and
 * retransmits (RFC 6069). A run lasts NUDGE_RUN_MS; flows beyond
 * NUDGE_MAX_FLOWS are skipped (counted). DSR flows are not nudged: their
 * replies bypass the balancer, so it never learns what the client holds.
 *
 * Needs CAP_NET_RAW (a raw socket to send, a packet socket to listen) at
 * baton_nudge_init only: batond opens both at start and then drops the
 * capability (node/privs.h); binding and filtering an open packet socket
 * needs none. Runs on the libuv loop.
 */
#ifndef BATON_HA_NUDGE_H
#define BATON_HA_NUDGE_H

#include <stdint.h>

#include <jansson.h>
#include <uv.h>

struct baton_nudge;

/* ct_fd: ct_v4_map; node_id: this node (flows it owns are not nudged).
 * NULL (errno set) if the raw socket cannot be opened. */
struct baton_nudge *baton_nudge_init(uv_loop_t *loop, int ct_fd,
				     uint32_t node_id);
/* This node just became MASTER: nudge the flows it took over. A run in
 * progress is restarted. */
void baton_nudge_run(struct baton_nudge *n);
/* Close sockets and handles; freed once closed. Accepts NULL. */
void baton_nudge_stop(struct baton_nudge *n);
/* Counters for `ha status`. New reference. */
json_t *baton_nudge_status(const struct baton_nudge *n);

#endif /* BATON_HA_NUDGE_H */
