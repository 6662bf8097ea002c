/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * stats.h - the datapath's per-CPU counters (pkt_stats, drop_stats) summed
 * over CPUs, and their names: the enum names lowercased without the ST_ /
 * DROP_ prefix (ST_TC_RX -> "tc_rx", DROP_CT_FULL -> "ct_full").
 */
#ifndef BATON_STATS_H
#define BATON_STATS_H

#include <stdint.h>

#include "../bpf/baton.h"

/* NULL for an index without a name (DROP_NONE, out of range). */
const char *baton_stat_name(unsigned int idx);
const char *baton_drop_name(unsigned int idx);

/* out[0..n) = sum over CPUs of map[i]; 0 or -errno. */
int baton_stats_sum(int percpu_fd, uint64_t *out, unsigned int n);

#endif /* BATON_STATS_H */
