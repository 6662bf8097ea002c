/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_maglev.c - the Maglev lookup table: balance, weights, minimal
 * disruption, order independence, stability, errors and speed.
 *
 * The figures (slot counts, disruption) are printed so a run documents
 * what the table actually achieves, not just that it passed.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "unit.h"

#include "maglev.h"

#define M_PROD	32749u		/* BATON_MAGLEV_M */
#define MAX_N	64

/* 10.1.0.11, 10.1.0.12, ... port 8080, weight 1, id = index. */
static void make_backends(struct baton_sched_backend *be, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		be[i].id = (uint16_t)i;
		be[i].addr = 0x0a01000bu + (uint32_t)i;
		be[i].port = 8080;
		be[i].weight = 1;
	}
}

/* Smallest prime > x (the "small" table size of the balance test). */
static uint32_t prime_above(uint32_t x)
{
	while (!baton_is_prime(++x))
		;
	return x;
}

/* Slot count per id; fails if a slot holds an id that was never given. */
static void count_slots(const uint16_t *table, uint32_t m, size_t n,
			uint32_t *count)
{
	uint32_t i;

	memset(count, 0, n * sizeof(*count));
	for (i = 0; i < m; i++) {
		if (table[i] >= n)
			fail_msg("slot %u holds id %u, only %zu backends",
				 i, table[i], n);
		count[table[i]]++;
	}
}

/* Deterministic Fisher-Yates with a fixed LCG (rand() is not portable). */
static void shuffle(struct baton_sched_backend *be, size_t n, uint32_t seed)
{
	size_t i;

	for (i = n - 1; i > 0; i--) {
		struct baton_sched_backend t;
		size_t j;

		seed = seed * 1103515245u + 12345u;
		j = (seed >> 8) % (i + 1);
		t = be[i];
		be[i] = be[j];
		be[j] = t;
	}
}

static void test_maglev_is_prime_matches_known_values(void **state)
{
	static const uint32_t primes[] = { 2, 3, 5, 211, 16381, 65537,
					   2147483647u };
	static const uint32_t composites[] = { 0, 1, 4, 9, 16380, 16383,
					       65535, 4294967295u };
	size_t i;

	for (i = 0; i < sizeof(primes) / sizeof(primes[0]); i++)
		assert_int_equal(baton_is_prime(primes[i]), 1);
	for (i = 0; i < sizeof(composites) / sizeof(composites[0]); i++)
		assert_int_equal(baton_is_prime(composites[i]), 0);
}

static void test_maglev_equal_weights_share_within_1pct(void **state)
{
	static const size_t ns[] = { 2, 3, 10, 64 };
	static uint16_t table[M_PROD];
	struct baton_sched_backend be[MAX_N];
	uint32_t count[MAX_N];
	size_t t, s, i;

	for (t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
		size_t n = ns[t];
		uint32_t sizes[2] = { M_PROD, prime_above(100 * n) };

		make_backends(be, n);
		for (s = 0; s < 2; s++) {
			uint32_t m = sizes[s], min = UINT32_MAX, max = 0;
			double ideal = (double)m / n, worst = 0;

			assert_int_equal(baton_maglev_build(be, n, 0x5eed,
							    table, m), 0);
			count_slots(table, m, n, count);
			for (i = 0; i < n; i++) {
				double dev = fabs(count[i] - ideal) / ideal;

				if (count[i] < min)
					min = count[i];
				if (count[i] > max)
					max = count[i];
				if (dev > worst)
					worst = dev;
				if (dev > 0.01)
					fail_msg("n=%zu m=%u: backend %zu: %u "
						 "slots, ideal %.2f (%.2f%%)",
						 n, m, i, count[i], ideal,
						 dev * 100);
			}
			print_message("maglev balance n=%-2zu m=%-5u: slots "
				      "min %u max %u, max/min %.4f, worst "
				      "deviation from ideal %.3f%%\n", n, m,
				      min, max, (double)max / min,
				      worst * 100);
		}
	}
}

static void test_maglev_weights_1_2_3_get_shares_within_1pct(void **state)
{
	static uint16_t table[M_PROD];
	struct baton_sched_backend be[3];
	uint32_t count[3];
	size_t i;

	make_backends(be, 3);
	for (i = 0; i < 3; i++)
		be[i].weight = (uint32_t)i + 1;
	assert_int_equal(baton_maglev_build(be, 3, 0x5eed, table, M_PROD), 0);
	count_slots(table, M_PROD, 3, count);
	for (i = 0; i < 3; i++) {
		double ideal = (double)M_PROD * (i + 1) / 6;
		double dev = fabs(count[i] - ideal) / ideal;

		print_message("maglev weight %zu: %u slots, ideal %.1f "
			      "(%.3f%%)\n", i + 1, count[i], ideal, dev * 100);
		if (dev > 0.01)
			fail_msg("weight %zu: %u slots, ideal %.1f", i + 1,
				 count[i], ideal);
	}
}

/* Weights are relative: 10:20:30 must give exactly the 1:2:3 table. */
static void test_maglev_weights_are_reduced_by_their_gcd(void **state)
{
	static uint16_t a[M_PROD], b[M_PROD];
	struct baton_sched_backend be[3];
	size_t i;

	make_backends(be, 3);
	for (i = 0; i < 3; i++)
		be[i].weight = (uint32_t)i + 1;
	assert_int_equal(baton_maglev_build(be, 3, 7, a, M_PROD), 0);
	for (i = 0; i < 3; i++)
		be[i].weight = 10 * ((uint32_t)i + 1);
	assert_int_equal(baton_maglev_build(be, 3, 7, b, M_PROD), 0);
	assert_memory_equal(a, b, sizeof(a));
}

/*
 * Removing backend r must move all of r's slots and may move a few others
 * ("extra"): measured for every r and both table sizes, and held to a
 * bound per size.
 *
 * Maglev trades a little disruption for exact balance, and the extra grows
 * with n/m: with 64 backends in 16381 slots it was ~1.1% of m on average
 * (1.23% worst), over the 1% that scale-out promises (flows of the
 * remaining backends that move: at most the theoretical minimum, 0, plus
 * 1%). The production size is 32749 (0.81% worst, 0.70% mean, at n=64) and
 * is held to that 1%; the small tables (m ~ 100 n) to their measured worst
 * case plus a margin. The figures are printed.
 */
struct disruption_bound {
	uint32_t m;		/* 0: the smallest prime > 100 * n */
	double max_extra_pct;
};

static const struct disruption_bound disruption_bounds[] = {
	{ M_PROD, 1.0 },
	{ 0, 3.5 },
};

/*
 * Build the table without backend r and count the slots that moved
 * although they did not belong to r. Fails if r keeps any slot.
 */
static uint32_t moved_by_removal(const struct baton_sched_backend *be,
				 size_t n, size_t r, const uint16_t *before,
				 uint16_t *after, uint32_t m)
{
	struct baton_sched_backend less[MAX_N];
	uint32_t i, extra = 0, lost = 0;
	size_t j, k = 0;

	for (j = 0; j < n; j++)
		if (j != r)
			less[k++] = be[j];
	assert_int_equal(baton_maglev_build(less, k, 0x5eed, after, m), 0);
	for (i = 0; i < m; i++) {
		if (after[i] == r)
			fail_msg("slot %u still on the removed backend", i);
		if (before[i] == r)
			lost++;
		else if (after[i] != before[i])
			extra++;
	}
	assert_true(lost > 0);
	return extra;
}

static void test_maglev_removal_moves_few_other_slots(void **state)
{
	static const size_t ns[] = { 2, 3, 10, 64 };
	static uint16_t before[M_PROD], after[M_PROD];
	struct baton_sched_backend be[MAX_N];
	size_t t, s, r;

	for (t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
		size_t n = ns[t];

		make_backends(be, n);
		for (s = 0; s < 2; s++) {
			const struct disruption_bound *bd =
				&disruption_bounds[s];
			uint32_t m = bd->m ? bd->m : prime_above(100 * n);
			uint32_t extra, worst = 0, total = 0;

			assert_int_equal(baton_maglev_build(be, n, 0x5eed,
							    before, m), 0);
			for (r = 0; r < n; r++) {
				extra = moved_by_removal(be, n, r, before,
							 after, m);
				total += extra;
				if (extra > worst)
					worst = extra;
			}
			print_message("maglev disruption n=%-2zu m=%-5u: "
				      "other slots moved by removing one "
				      "backend: worst %u (%.3f%% of m), "
				      "mean %.1f (%.3f%%)\n", n, m, worst,
				      100.0 * worst / m, (double)total / n,
				      100.0 * total / n / m);
			if (100.0 * worst / m > bd->max_extra_pct)
				fail_msg("n=%zu m=%u: %u other slots moved "
					 "(%.2f%% > %.1f%%)", n, m, worst,
					 100.0 * worst / m, bd->max_extra_pct);
		}
	}
}

/* A drained backend (weight 0) is as good as absent. */
static void test_maglev_weight_0_backend_is_left_out(void **state)
{
	static uint16_t with[M_PROD], without[M_PROD];
	struct baton_sched_backend be[10];
	uint32_t count[10];

	make_backends(be, 10);
	be[4].weight = 0;
	assert_int_equal(baton_maglev_build(be, 10, 1, with, M_PROD), 0);
	count_slots(with, M_PROD, 10, count);
	assert_int_equal(count[4], 0);
	be[4] = be[9];
	assert_int_equal(baton_maglev_build(be, 9, 1, without, M_PROD), 0);
	assert_memory_equal(with, without, sizeof(with));
}

static void test_maglev_table_does_not_depend_on_input_order(void **state)
{
	static uint16_t ref[M_PROD], got[M_PROD];
	struct baton_sched_backend be[MAX_N];
	size_t i;
	uint32_t s;

	make_backends(be, MAX_N);
	for (i = 0; i < MAX_N; i++)
		be[i].weight = 1 + i % 4;
	assert_int_equal(baton_maglev_build(be, MAX_N, 0x5eed, ref, M_PROD),
			 0);
	for (s = 1; s <= 8; s++) {
		shuffle(be, MAX_N, s);
		assert_int_equal(baton_maglev_build(be, MAX_N, 0x5eed, got,
						    M_PROD), 0);
		assert_memory_equal(ref, got, sizeof(ref));
	}
}

static void test_maglev_seed_changes_the_table(void **state)
{
	static uint16_t a[M_PROD], b[M_PROD];
	struct baton_sched_backend be[10];
	uint32_t i, same = 0;

	make_backends(be, 10);
	assert_int_equal(baton_maglev_build(be, 10, 1, a, M_PROD), 0);
	assert_int_equal(baton_maglev_build(be, 10, 2, b, M_PROD), 0);
	for (i = 0; i < M_PROD; i++)
		same += a[i] == b[i];
	/* Unrelated tables agree on ~1/10 of the slots. */
	assert_true(same < M_PROD / 5);
}

/*
 * The table is a cross-node (and cross-version) contract: nodes with
 * different builds must still agree during a rolling upgrade. This pins the
 * exact output; if it changes, the change breaks mixed clusters. The values
 * were cross-checked against a separate (Python) implementation of the
 * published algorithm with the same hash and seeds.
 */
static void test_maglev_table_is_stable_across_versions(void **state)
{
	static const uint16_t expect[31] = {
		2, 0, 0, 2, 2, 1, 2, 1, 0, 1, 0, 0, 1, 0, 0, 2,
		1, 0, 1, 2, 1, 1, 0, 0, 2, 2, 0, 1, 1, 2, 2,
	};
	struct baton_sched_backend be[3];
	uint16_t table[31];
	size_t i;

	make_backends(be, 3);
	assert_int_equal(baton_maglev_build(be, 3, 0x5eed, table, 31), 0);
	for (i = 0; i < 31; i++)
		if (table[i] != expect[i])
			fail_msg("slot %zu: got %u, pinned %u", i, table[i],
				 expect[i]);
}

static void test_maglev_non_prime_size_is_einval(void **state)
{
	static const uint32_t bad[] = { 0, 1, 4, 100, 16380, 16383 };
	struct baton_sched_backend be[3];
	uint16_t table[16384];
	size_t i, j;

	make_backends(be, 3);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(table, 0xab, sizeof(table));
		assert_int_equal(baton_maglev_build(be, 3, 0, table, bad[i]),
				 -EINVAL);
		for (j = 0; j < 16384; j++)
			assert_int_equal(table[j], 0xabab);
	}
}

static void test_maglev_all_weights_0_is_enoent(void **state)
{
	struct baton_sched_backend be[4];
	uint16_t table[211];
	size_t i;

	make_backends(be, 4);
	for (i = 0; i < 4; i++)
		be[i].weight = 0;
	memset(table, 0xab, sizeof(table));
	assert_int_equal(baton_maglev_build(be, 4, 0, table, 211), -ENOENT);
	assert_int_equal(baton_maglev_build(be, 0, 0, table, 211), -ENOENT);
	for (i = 0; i < 211; i++)
		assert_int_equal(table[i], 0xabab);
}

static void test_maglev_rejects_bad_arguments(void **state)
{
	struct baton_sched_backend be[3];
	uint16_t table[211];

	make_backends(be, 3);
	/* more selectable backends than slots */
	assert_int_equal(baton_maglev_build(be, 3, 0, table, 2), -EINVAL);
	assert_int_equal(baton_maglev_build(be, 3, 0, NULL, 211), -EINVAL);
	assert_int_equal(baton_maglev_build(NULL, 3, 0, table, 211), -EINVAL);
	assert_int_equal(baton_maglev_build(be, 65536, 0, table, 211),
			 -EINVAL);
	/* two backends with one identity would share a permutation */
	be[2].addr = be[0].addr;
	be[2].port = be[0].port;
	assert_int_equal(baton_maglev_build(be, 3, 0, table, 211), -EINVAL);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_maglev_64_backends_build_under_10ms(void **state)
{
	static uint16_t table[M_PROD];
	struct baton_sched_backend be[MAX_N];
	double best = 1e9;
	int i;

	make_backends(be, MAX_N);
	for (i = 0; i < MAX_N; i++)
		be[i].weight = 1 + i % 7;
	/* Best of 5: one build, not the scheduler, is what is measured. */
	for (i = 0; i < 5; i++) {
		double t0 = now_ms(), dt;

		assert_int_equal(baton_maglev_build(be, MAX_N, 0x5eed, table,
						    M_PROD), 0);
		dt = now_ms() - t0;
		if (dt < best)
			best = dt;
	}
	print_message("maglev build m=%u n=%d: %.3f ms\n", M_PROD, MAX_N,
		      best);
	assert_true(best < 10.0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_maglev_is_prime_matches_known_values),
	cmocka_unit_test(test_maglev_equal_weights_share_within_1pct),
	cmocka_unit_test(test_maglev_weights_1_2_3_get_shares_within_1pct),
	cmocka_unit_test(test_maglev_weights_are_reduced_by_their_gcd),
	cmocka_unit_test(test_maglev_removal_moves_few_other_slots),
	cmocka_unit_test(test_maglev_weight_0_backend_is_left_out),
	cmocka_unit_test(test_maglev_table_does_not_depend_on_input_order),
	cmocka_unit_test(test_maglev_seed_changes_the_table),
	cmocka_unit_test(test_maglev_table_is_stable_across_versions),
	cmocka_unit_test(test_maglev_non_prime_size_is_einval),
	cmocka_unit_test(test_maglev_all_weights_0_is_enoent),
	cmocka_unit_test(test_maglev_rejects_bad_arguments),
	cmocka_unit_test(test_maglev_64_backends_build_under_10ms),
};

UNIT_MAIN("maglev", tests)
