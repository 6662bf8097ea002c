/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_wrr.c - the smooth weighted round-robin sequence: exact counts,
 * interleaving, scaling to the schedule's capacity, errors.
 */
#include <errno.h>

#include "unit.h"

#include "maglev.h"

#define CAP 16384

static void make_backends(struct baton_sched_backend *be, size_t n,
			  const uint32_t *weights)
{
	size_t i;

	for (i = 0; i < n; i++) {
		be[i].id = (uint16_t)(100 + i);	/* ids != indexes */
		be[i].addr = 0x0a01000bu + (uint32_t)i;
		be[i].port = 8080;
		be[i].weight = weights[i];
	}
}

static void count_ids(const uint16_t *sched, uint32_t len, size_t n,
		      uint32_t *count)
{
	uint32_t i;

	memset(count, 0, n * sizeof(*count));
	for (i = 0; i < len; i++) {
		if (sched[i] < 100 || sched[i] >= 100 + n)
			fail_msg("sched[%u] = %u: not a given id", i,
				 sched[i]);
		count[sched[i] - 100]++;
	}
}

static void test_wrr_counts_equal_the_gcd_reduced_weights(void **state)
{
	static const uint32_t w[] = { 20, 40, 0, 60, 20 };
	static const uint32_t expect[] = { 1, 2, 0, 3, 1 };
	struct baton_sched_backend be[5];
	static uint16_t sched[CAP];
	uint32_t count[5], len = 0;
	size_t i;

	make_backends(be, 5, w);
	assert_int_equal(baton_wrr_build(be, 5, sched, CAP, &len), 0);
	assert_int_equal(len, 7);
	count_ids(sched, len, 5, count);
	for (i = 0; i < 5; i++)
		assert_int_equal(count[i], expect[i]);
}

/* nginx's reference example: weights 5,1,1 give a a b a c a a. */
static void test_wrr_sequence_is_smooth_as_nginx(void **state)
{
	static const uint32_t w[] = { 5, 1, 1 };
	static const uint16_t expect[] = { 100, 100, 101, 100, 102, 100, 100 };
	struct baton_sched_backend be[3];
	uint16_t sched[16];
	uint32_t len = 0;

	make_backends(be, 3, w);
	assert_int_equal(baton_wrr_build(be, 3, sched, 16, &len), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(sched, expect, sizeof(expect));
}

/* Equal weights: a strict rotation, never one backend twice in a row
 * (the sequence repeats, so the last and first entries count too). */
static void test_wrr_equal_weights_never_repeat_a_backend(void **state)
{
	static const uint32_t w[] = { 7, 7, 7, 7, 7, 7 };
	struct baton_sched_backend be[6];
	uint16_t sched[64];
	uint32_t count[6], len = 0, i;

	make_backends(be, 6, w);
	assert_int_equal(baton_wrr_build(be, 6, sched, 64, &len), 0);
	assert_int_equal(len, 6);
	count_ids(sched, len, 6, count);
	for (i = 0; i < 6; i++)
		assert_int_equal(count[i], 1);
	for (i = 0; i < len; i++)
		assert_int_not_equal(sched[i], sched[(i + 1) % len]);
}

/* 3:2 interleaves as a b a b a: no run longer than the weights force. */
static void test_wrr_unequal_weights_interleave(void **state)
{
	static const uint32_t w[] = { 3, 2 };
	static const uint16_t expect[] = { 100, 101, 100, 101, 100 };
	struct baton_sched_backend be[2];
	uint16_t sched[8];
	uint32_t len = 0;

	make_backends(be, 2, w);
	assert_int_equal(baton_wrr_build(be, 2, sched, 8, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(sched, expect, sizeof(expect));
}

static void test_wrr_scales_weights_down_to_cap(void **state)
{
	/* 1000:2999 (coprime) in 100 slots: floor(w * 100 / 3999). */
	static const uint32_t w1[] = { 1000, 2999 };
	/* the light one would floor to 0 and is kept at 1 */
	static const uint32_t w2[] = { 1, 10000 };
	struct baton_sched_backend be[2];
	uint16_t sched[100];
	uint32_t count[2], len = 0;

	make_backends(be, 2, w1);
	assert_int_equal(baton_wrr_build(be, 2, sched, 100, &len), 0);
	assert_int_equal(len, 99);
	count_ids(sched, len, 2, count);
	assert_int_equal(count[0], 25);
	assert_int_equal(count[1], 74);

	make_backends(be, 2, w2);
	assert_int_equal(baton_wrr_build(be, 2, sched, 100, &len), 0);
	assert_true(len <= 100);
	count_ids(sched, len, 2, count);
	assert_int_equal(count[0], 1);
	assert_int_equal(count[1], 99);
	assert_int_equal(len, 100);
}

/* Many light backends forced to 1 each must still fit the cap. */
static void test_wrr_scaling_keeps_every_backend_and_fits_cap(void **state)
{
	struct baton_sched_backend be[64];
	uint32_t w[64], count[64], len = 0, i;
	uint16_t sched[80];

	for (i = 0; i < 64; i++)
		w[i] = i == 0 ? 65535 : 1 + i % 3;
	make_backends(be, 64, w);
	assert_int_equal(baton_wrr_build(be, 64, sched, 80, &len), 0);
	assert_true(len <= 80);
	count_ids(sched, len, 64, count);
	for (i = 0; i < 64; i++)
		assert_true(count[i] >= 1);
	/* the heavy one keeps what the 63 minimums leave */
	assert_int_equal(count[0], len - 63);
	assert_true(count[0] >= 10);
}

static void test_wrr_errors(void **state)
{
	static const uint32_t zero[] = { 0, 0, 0 };
	static const uint32_t one[] = { 1, 1, 1 };
	struct baton_sched_backend be[3];
	uint16_t sched[8];
	uint32_t len = 1234;

	make_backends(be, 3, zero);
	assert_int_equal(baton_wrr_build(be, 3, sched, 8, &len), -ENOENT);
	assert_int_equal(baton_wrr_build(be, 0, sched, 8, &len), -ENOENT);
	assert_int_equal(len, 1234);
	make_backends(be, 3, one);
	/* three selectable backends cannot fit in two slots */
	assert_int_equal(baton_wrr_build(be, 3, sched, 2, &len), -EINVAL);
	assert_int_equal(baton_wrr_build(be, 3, sched, 0, &len), -EINVAL);
	assert_int_equal(baton_wrr_build(be, 3, NULL, 8, &len), -EINVAL);
	assert_int_equal(baton_wrr_build(be, 3, sched, 8, NULL), -EINVAL);
	assert_int_equal(baton_wrr_build(NULL, 3, sched, 8, &len), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_wrr_counts_equal_the_gcd_reduced_weights),
	cmocka_unit_test(test_wrr_sequence_is_smooth_as_nginx),
	cmocka_unit_test(test_wrr_equal_weights_never_repeat_a_backend),
	cmocka_unit_test(test_wrr_unequal_weights_interleave),
	cmocka_unit_test(test_wrr_scales_weights_down_to_cap),
	cmocka_unit_test(test_wrr_scaling_keeps_every_backend_and_fits_cap),
	cmocka_unit_test(test_wrr_errors),
};

UNIT_MAIN("wrr", tests)
