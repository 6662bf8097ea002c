// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* stats.c - see stats.h. */
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "stats.h"

static const char *const stat_names[ST_MAX] = {
	[ST_TC_RX] = "tc_rx",
	[ST_TC_PASS] = "tc_pass",
	[ST_CT_HIT] = "ct_hit",
	[ST_SLOW] = "slow",
	[ST_NEW_FLOW] = "new_flow",
	[ST_FWD_FIB] = "fwd_fib",
	[ST_FWD_NEIGH] = "fwd_neigh",
	[ST_FWD_STACK] = "fwd_stack",
	[ST_XDP_RX] = "xdp_rx",
	[ST_XDP_PASS] = "xdp_pass",
	[ST_EV_LOST] = "ev_lost",
	[ST_TAILCALL_FAIL] = "tailcall_fail",
	[ST_OTHERHOST] = "otherhost",
	[ST_RNAT] = "rnat",
	[ST_RNAT_NEW] = "rnat_new",
};
_Static_assert(ST_RNAT_NEW + 1 == ST_MAX,
	       "a new enum baton_stat needs a name here");

/* DROP_NONE is never counted: no name. */
static const char *const drop_names[DROP_MAX] = {
	[DROP_MALFORMED_L2] = "malformed_l2",
	[DROP_MALFORMED_L3] = "malformed_l3",
	[DROP_MALFORMED_L4] = "malformed_l4",
	[DROP_FRAGMENT] = "fragment",
	[DROP_NO_BACKEND] = "no_backend",
	[DROP_CT_FULL] = "ct_full",
	[DROP_TCP_NO_CT] = "tcp_no_ct",
	[DROP_SNAT_EXHAUSTED] = "snat_exhausted",
	[DROP_BAD_SERVICE] = "bad_service",
	[DROP_REDIRECT] = "redirect",
	[DROP_ICMP_TYPE] = "icmp_type",
	[DROP_CT_COLLISION] = "ct_collision",
	[DROP_SNAT_NO_CT] = "snat_no_ct",
	[DROP_RNAT_AMBIGUOUS] = "rnat_ambiguous",
	[DROP_CT_RESET] = "ct_reset",
};
_Static_assert(DROP_CT_RESET + 1 == DROP_MAX,
	       "a new enum baton_drop needs a name here");

const char *baton_stat_name(unsigned int idx)
{
	return idx < ST_MAX ? stat_names[idx] : NULL;
}

const char *baton_drop_name(unsigned int idx)
{
	return idx < DROP_MAX ? drop_names[idx] : NULL;
}

int baton_stats_sum(int percpu_fd, uint64_t *out, unsigned int n)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;
	int ret = 0;

	if (ncpu < 0)
		return ncpu;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(percpu_fd, &i, vals)) {
			ret = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return ret;
}
