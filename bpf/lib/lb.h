/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * lb.h - backend selection for a new flow: Maglev (consistent hash of the
 * client tuple), weighted round robin, least connections.
 *
 * Contract: lb_select() returns the chosen backend id (0..MAX_BACKENDS-1)
 * and points *bep at it, or a negative drop reason. The table comes from
 * the service's active slot; batond never writes that slot, so the id, the
 * schedule and the backend array are consistent with each other.
 */
#ifndef BATON_LIB_LB_H
#define BATON_LIB_LB_H

#include "maps.h"
#include "parse.h"
#include "../jhash.h"

/* Hide a value from the optimiser: clang knows x % len < len and drops the
 * mask that the verifier needs ("R1 unbounded memory access"). */
#define lb_barrier_var(x) asm volatile("" : "+r"(x))

struct lb_lc_ctx {
	struct lb_v4_table *tbl;
	__u32 svc_id;
	__u32 best;
	__u64 best_active;
	__u64 best_weight;
};

/* One step of least-connections: keep the backend with the lowest
 * active/weight (compared by cross-multiplication, no division). */
static long lb_lc_step(__u32 i, void *data)
{
	struct lb_lc_ctx *c = data;
	struct lb_v4_backend *be;
	struct be_stats *bs;
	__u32 idx;
	__u64 act;

	if (i >= c->tbl->nbe || i >= BATON_MAX_BACKENDS)
		return 1;
	be = &c->tbl->be[i];
	if (!(be->flags & BE_F_ACTIVE) || !be->weight)
		return 0;
	idx = baton_be_index(c->svc_id, i);
	bs = bpf_map_lookup_elem(&be_stats_map, &idx);
	act = bs ? bs->active : 0;
	if (c->best == (__u32)-1 ||
	    act * c->best_weight < c->best_active * be->weight) {
		c->best = i;
		c->best_active = act;
		c->best_weight = be->weight;
	}
	return 0;
}

static __always_inline int lb_select(const struct nat_v4_svc *svc,
				     const struct pkt_v4 *p, __u32 seed,
				     struct lb_v4_backend **bep)
{
	struct lb_v4_table *tbl;
	__u32 idx = baton_lb_index(svc->svc_id, svc->slot);
	__u32 pos, id;

	tbl = bpf_map_lookup_elem(&lb_v4_map, &idx);
	if (!tbl)
		return -DROP_BAD_SERVICE;

	switch (svc->algo) {
	case BATON_ALGO_MAGLEV:
		if (!tbl->sched_len || tbl->sched_len > BATON_SCHED_MAX)
			return -DROP_NO_BACKEND;
		pos = baton_flow_hash_v4(p->saddr, p->daddr, p->sport,
					 p->dport, p->proto, seed) %
		      tbl->sched_len;
		lb_barrier_var(pos);
		id = tbl->sched[pos & (BATON_SCHED_MAX - 1)];
		break;
	case BATON_ALGO_WRR: {
		__u32 k = svc->svc_id;
		__u32 *rr = bpf_map_lookup_elem(&rr_map, &k);

		if (!rr || !tbl->sched_len || tbl->sched_len > BATON_SCHED_MAX)
			return -DROP_NO_BACKEND;
		pos = __sync_fetch_and_add(rr, 1) % tbl->sched_len;
		lb_barrier_var(pos);
		id = tbl->sched[pos & (BATON_SCHED_MAX - 1)];
		break;
	}
	case BATON_ALGO_LC: {
		struct lb_lc_ctx c = {
			.tbl = tbl,
			.svc_id = svc->svc_id,
			.best = (__u32)-1,
		};

		bpf_loop(BATON_MAX_BACKENDS, lb_lc_step, &c, 0);
		if (c.best == (__u32)-1)
			return -DROP_NO_BACKEND;
		id = c.best;
		break;
	}
	default:
		return -DROP_BAD_SERVICE;
	}

	id &= BATON_MAX_BACKENDS - 1;
	if (id >= tbl->nbe || !(tbl->be[id].flags & BE_F_ACTIVE))
		return -DROP_NO_BACKEND;
	*bep = &tbl->be[id];
	return id;
}

#endif /* BATON_LIB_LB_H */
