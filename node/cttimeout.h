/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cttimeout.h - conntrack timeouts by protocol and state, from the config,
 * and what the datapath does with them (struct ct_v4_revive). Pure: the GC
 * (ct.c), batond and the unit tests share it.
 */
#ifndef BATON_CTTIMEOUT_H
#define BATON_CTTIMEOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "baton.h"
#include "config.h"

struct baton_ct_timeouts {
	uint32_t tcp_s[CT_STATE_MAX];
	uint32_t udp_s;		/* NEW */
	uint32_t udp_est_s;	/* any other state */
	uint32_t icmp_s;
	uint32_t half_open_pressure_s;	/* a half-open entry under pressure */
};

void baton_ct_timeouts_from_config(struct baton_ct_timeouts *t,
				   const struct baton_config *cfg);
uint64_t baton_ct_timeout_ns(const struct baton_ct_timeouts *t, uint8_t proto,
			     uint8_t state);
/* Not past its handshake: TCP before ESTABLISHED, anything else with no
 * reply seen yet (NEW). What a flood of new flows leaves behind. */
bool baton_ct_half_open(uint8_t proto, uint8_t state);
/* The timeout the GC applies: under pressure a half-open entry's is at
 * most half_open_pressure_s. */
uint64_t baton_ct_gc_timeout_ns(const struct baton_ct_timeouts *t,
				uint8_t proto, uint8_t state, bool pressure);
/*
 * ct_v4_revive from cfg: a flow idle for more than its timeout less
 * sync.refresh_s and a 2 s margin is announced again by its next packet -
 * by then the refresh may no longer tell the peers before they expire
 * their copy. At least half the timeout (else a short timeout would make
 * an event of nearly every packet; with refresh_s above half a timeout,
 * which batond warns about, a flow idle between the two is not announced)
 * and at least 1 s. TCP states before SYN_RECV (not replicated) and all
 * of it without sync peers: 0.
 */
void baton_ct_revive_from_config(struct ct_v4_revive *r,
				 const struct baton_config *cfg);

#endif /* BATON_CTTIMEOUT_H */
