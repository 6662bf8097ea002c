/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * maglev.c - the Maglev lookup table and the smooth WRR sequence (see
 * maglev.h for the contract).
 *
 * Maglev (Eisenbud et al., NSDI'16, section 3.4): each backend has a
 * permutation of the table slots, offset + j * skip (mod m); backends take
 * turns claiming their next free preferred slot until the table is full.
 * Taking turns is what balances the table (every backend ends within one
 * slot of the others per unit of weight); following a fixed permutation is
 * what keeps most slots in place when the set changes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jhash.h"
#include "maglev.h"

/*
 * jhash seeds for the two permutation hashes. They are part of the
 * cross-node contract: nodes running different values pick different
 * backends for the same flow, so never change them in a running cluster.
 */
#define MAGLEV_OFFSET_SEED	0x4d61676cu	/* "Magl" */
#define MAGLEV_SKIP_SEED	0x65765370u	/* "evSp" */

#define SCHED_MAX_BACKENDS	65535u

int baton_is_prime(uint32_t m)
{
	uint32_t d;

	if (m < 2)
		return 0;
	if (m % 2 == 0)
		return m == 2;
	for (d = 3; d <= m / d; d += 2)
		if (m % d == 0)
			return 0;
	return 1;
}

static uint32_t gcd32(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* One selectable backend while the table fills. */
struct perm {
	uint32_t addr;
	uint16_t port;
	uint16_t id;
	uint32_t weight;	/* turns per round, reduced by the gcd */
	uint32_t pos;		/* next preferred slot */
	uint32_t skip;
};

static int perm_cmp(const void *a, const void *b)
{
	const struct perm *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return 0;
}

int baton_maglev_build(const struct baton_sched_backend *be, size_t n,
		       uint32_t seed, uint16_t *table, uint32_t m)
{
	struct perm *p;
	uint8_t *taken;
	uint32_t g = 0, filled = 0;
	size_t i, k = 0;
	int ret = 0;

	if ((!be && n) || !table || n > SCHED_MAX_BACKENDS ||
	    !baton_is_prime(m))
		return -EINVAL;
	for (i = 0; i < n; i++)
		k += be[i].weight > 0;
	if (!k)
		return -ENOENT;
	if (k > m)
		return -EINVAL;

	p = calloc(k, sizeof(*p));
	if (!p)
		return -ENOMEM;
	taken = calloc(m, 1);
	if (!taken) {
		ret = -ENOMEM;
		goto out_free_perm;
	}

	for (i = 0, k = 0; i < n; i++) {
		if (!be[i].weight)
			continue;
		p[k].addr = be[i].addr;
		p[k].port = be[i].port;
		p[k].id = be[i].id;
		p[k].weight = be[i].weight;
		g = gcd32(g, be[i].weight);
		k++;
	}

	/*
	 * Canonical order: the turn order decides who wins a contested slot,
	 * so it must not depend on how the caller listed the backends. Two
	 * entries with one identity would share a permutation and make the
	 * table depend on their ids: refuse them.
	 */
	qsort(p, k, sizeof(*p), perm_cmp);
	for (i = 0; i < k; i++) {
		uint32_t h1, h2;

		if (i && !perm_cmp(&p[i - 1], &p[i])) {
			ret = -EINVAL;
			goto out_free_taken;
		}
		h1 = baton_jhash_3words(p[i].addr, p[i].port, seed,
					MAGLEV_OFFSET_SEED);
		h2 = baton_jhash_3words(p[i].addr, p[i].port, seed,
					MAGLEV_SKIP_SEED);
		p[i].pos = h1 % m;
		/* m is prime, so any skip in 1..m-1 visits every slot once. */
		p[i].skip = m > 1 ? h2 % (m - 1) + 1 : 1;
		p[i].weight /= g;
	}

	/*
	 * Each round every backend claims `weight` slots. A permutation
	 * covers all m slots, so the search for a free one always ends.
	 */
	for (;;) {
		for (i = 0; i < k; i++) {
			struct perm *b = &p[i];
			uint32_t t;

			for (t = 0; t < b->weight; t++) {
				while (taken[b->pos]) {
					b->pos += b->skip;
					if (b->pos >= m)
						b->pos -= m;
				}
				taken[b->pos] = 1;
				table[b->pos] = b->id;
				if (++filled == m)
					goto out_free_taken;
			}
		}
	}

out_free_taken:
	free(taken);
out_free_perm:
	free(p);
	return ret;
}

/*
 * Shrink weights so that their sum fits in cap, keeping each selectable
 * backend at >= 1. Flooring keeps the sum <= target, but the clamp to 1 can
 * push it over: lower the target by the excess and retry. The sum falls as
 * the target falls and equals k (<= cap) at target 0, so this ends.
 */
static uint64_t wrr_scale(uint32_t *w, size_t k, uint64_t total,
			  uint32_t cap)
{
	uint64_t target = cap, sum;
	size_t i;

	for (;;) {
		sum = 0;
		for (i = 0; i < k; i++) {
			uint64_t s = (uint64_t)w[i] * target / total;

			sum += s ? s : 1;
		}
		if (sum <= cap)
			break;
		target = target > sum - cap ? target - (sum - cap) : 0;
	}
	for (i = 0; i < k; i++) {
		uint64_t s = (uint64_t)w[i] * target / total;

		w[i] = s ? (uint32_t)s : 1;
	}
	return sum;
}

int baton_wrr_build(const struct baton_sched_backend *be, size_t n,
		    uint16_t *sched, uint32_t cap, uint32_t *len)
{
	uint32_t *w, g = 0;
	uint16_t *ids;
	int64_t *cur;
	uint64_t total = 0, pos;
	size_t i, k = 0;

	if ((!be && n) || !sched || !len || !cap || n > SCHED_MAX_BACKENDS)
		return -EINVAL;
	for (i = 0; i < n; i++)
		k += be[i].weight > 0;
	if (!k)
		return -ENOENT;
	if (k > cap)
		return -EINVAL;

	/* One allocation for the three per-backend arrays. */
	cur = calloc(k, sizeof(*cur) + sizeof(*w) + sizeof(*ids));
	if (!cur)
		return -ENOMEM;
	w = (uint32_t *)(cur + k);
	ids = (uint16_t *)(w + k);

	for (i = 0, k = 0; i < n; i++) {
		if (!be[i].weight)
			continue;
		w[k] = be[i].weight;
		ids[k] = be[i].id;
		g = gcd32(g, w[k]);
		k++;
	}
	for (i = 0; i < k; i++) {
		w[i] /= g;
		total += w[i];
	}
	if (total > cap) {
		total = wrr_scale(w, k, total, cap);
		/* Scaling can leave a common factor (e.g. 2:4 from 3:7). */
		for (i = 0, g = 0; i < k; i++)
			g = gcd32(g, w[i]);
		for (i = 0, total = 0; i < k; i++) {
			w[i] /= g;
			total += w[i];
		}
	}

	/*
	 * nginx's smooth WRR: everyone gains its weight, the richest is
	 * picked and pays the total. Over `total` picks each backend is
	 * picked exactly weight times, spread out rather than in runs.
	 * Ties go to the earlier backend so the sequence is deterministic.
	 */
	for (pos = 0; pos < total; pos++) {
		size_t best = 0;

		for (i = 0; i < k; i++) {
			cur[i] += w[i];
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= (int64_t)total;
		sched[pos] = ids[best];
	}
	*len = (uint32_t)total;

	free(cur);
	return 0;
}
