/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* stats.h - per-CPU packet counters and drop reasons. */
#ifndef BATON_LIB_STATS_H
#define BATON_LIB_STATS_H

#include "maps.h"

static __always_inline void baton_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&pkt_stats, &idx);

	if (v)
		*v += 1;
}

/* Count a drop under its reason; returns the reason for chaining. */
static __always_inline __u32 baton_count_drop(__u32 reason)
{
	__u64 *v = bpf_map_lookup_elem(&drop_stats, &reason);

	if (v)
		*v += 1;
	return reason;
}

#endif /* BATON_LIB_STATS_H */
