/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * maglev.h - backend schedules for the datapath's lb_v4_table.sched[]:
 * the Maglev lookup table (Eisenbud et al., NSDI'16) and the weighted
 * round-robin sequence. Pure: no I/O, no globals, deterministic.
 *
 * Determinism across nodes: the Maglev table depends only on the set of
 * (addr, port, weight) triples and the seed, not on the order the caller
 * passes them in nor on their ids, so two nodes with the same backends pick
 * the same backend for the same flow hash.
 */
#ifndef BATON_MAGLEV_H
#define BATON_MAGLEV_H

#include <stddef.h>
#include <stdint.h>

struct baton_sched_backend {
	uint16_t id;		/* value written into the table */
	uint32_t addr;		/* host order, identity for the permutation */
	uint16_t port;		/* host order, identity for the permutation */
	uint32_t weight;	/* 0: not selectable */
};

/* 1 if m is prime. */
int baton_is_prime(uint32_t m);

/*
 * Fill table[0..m) with backend ids. m must be prime and >= the number of
 * selectable backends. Weights are honoured proportionally (a backend with
 * weight 2 owns about twice the slots of one with weight 1).
 * Returns 0, -EINVAL (m not prime, n > 65535, ...) or -ENOENT (no backend
 * with weight > 0; table untouched).
 */
int baton_maglev_build(const struct baton_sched_backend *be, size_t n,
		       uint32_t seed, uint16_t *table, uint32_t m);

/*
 * Smooth weighted round robin: fill sched[0..*len) with backend ids so that
 * each backend appears weight/gcd times, interleaved. If the sequence would
 * exceed cap, weights are scaled down proportionally (minimum 1 for weight
 * > 0). Returns 0, -EINVAL or -ENOENT (nothing selectable).
 */
int baton_wrr_build(const struct baton_sched_backend *be, size_t n,
		    uint16_t *sched, uint32_t cap, uint32_t *len);

#endif /* BATON_MAGLEV_H */
