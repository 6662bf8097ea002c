/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flow.h - between conntrack pairs (bpf/baton.h) and wire flows
 * (sync/wire.h). Pure.
 *
 * bsync_flow_from_ct() takes the forward half of a pair and says what a
 * peer needs: tuple, translation, state, FIN bits, owner epoch, idle time.
 * bsync_flow_to_ct() builds both halves from a flow exactly as the
 * datapath would have (reverse key = post-NAT reply tuple; DSR has no
 * reverse half), with node-local fields re-based: svc_id/be_id from the
 * arguments, flags CT_F_REMOTE (+ CT_F_COUNTED if `counted`) plus the FIN
 * bits, owner, created_ns = last_seen_ns = now_ns - idle, counters and
 * route cache zero.
 */
#ifndef BATON_SYNC_FLOW_H
#define BATON_SYNC_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "../bpf/baton.h"
#include "wire.h"

/* 0, or -EINVAL if the entry is not a forward half or not replicable. */
int bsync_flow_from_ct(const struct ct_v4_key *fk,
		       const struct ct_v4_entry *fwd, uint64_t now_ns,
		       struct bsync_flow *f);

/* Returns 1 if a reverse half was built (*rk, *rev), 0 for DSR, or
 * -EINVAL for a flow that fails bsync_flow_check(). */
int bsync_flow_to_ct(const struct bsync_flow *f, uint32_t owner,
		     uint16_t svc_id, uint16_t be_id, bool counted,
		     uint64_t now_ns, struct ct_v4_key *fk,
		     struct ct_v4_entry *fwd, struct ct_v4_key *rk,
		     struct ct_v4_entry *rev);

/* The wire key of a forward key (for DELETE), and back. */
void bsync_key_from_ct(const struct ct_v4_key *fk, struct bsync_key *k);
void bsync_key_to_ct(const struct bsync_key *k, struct ct_v4_key *fk);

#endif /* BATON_SYNC_FLOW_H */
