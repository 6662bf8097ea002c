/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_cttimeout.c - conntrack timeouts by protocol and state, and the idle
 * times after which the datapath announces a flow again (ct_v4_revive).
 */
#include <netinet/in.h>

#include "unit.h"

#include "cttimeout.h"

#define NS 1000000000ull

static void defaults_with_peers(struct baton_config *c, size_t npeers)
{
	baton_config_defaults(c);
	c->sync.npeers = npeers;
}

static void test_timeouts_by_protocol_and_state(void **state)
{
	struct baton_config c;
	struct baton_ct_timeouts t;

	(void)state;
	defaults_with_peers(&c, 0);
	baton_ct_timeouts_from_config(&t, &c);
	assert_int_equal(baton_ct_timeout_ns(&t, IPPROTO_TCP,
					     CT_STATE_ESTABLISHED), 3600 * NS);
	/* No TCP timeout for NONE/NEW: a connection attempt's. */
	assert_int_equal(baton_ct_timeout_ns(&t, IPPROTO_TCP, CT_STATE_NEW),
			 30 * NS);
	/* An unknown state lives as long as an established one. */
	assert_int_equal(baton_ct_timeout_ns(&t, IPPROTO_TCP, 200), 3600 * NS);
	assert_int_equal(baton_ct_timeout_ns(&t, IPPROTO_UDP, CT_STATE_NEW),
			 30 * NS);
	assert_int_equal(baton_ct_timeout_ns(&t, IPPROTO_UDP,
					     CT_STATE_ESTABLISHED), 120 * NS);
	assert_int_equal(baton_ct_timeout_ns(&t, IPPROTO_ICMP,
					     CT_STATE_ESTABLISHED), 30 * NS);
}

/* Timeout less refresh_s less 2 s, never under half the timeout nor 1 s;
 * 0 before SYN_RECV. */
static void test_revive_is_timeout_less_refresh_within_bounds(void **state)
{
	struct baton_config c;
	struct ct_v4_revive r;

	(void)state;
	defaults_with_peers(&c, 1);
	baton_ct_revive_from_config(&r, &c);	/* refresh_s 10 */
	assert_int_equal(r.tcp_s[CT_STATE_ESTABLISHED], 3588);
	assert_int_equal(r.tcp_s[CT_STATE_SYN_RECV], 18);
	assert_int_equal(r.tcp_s[CT_STATE_FIN_WAIT], 108);
	assert_int_equal(r.tcp_s[CT_STATE_TIME_WAIT], 18);
	assert_int_equal(r.tcp_s[CT_STATE_NONE], 0);
	assert_int_equal(r.tcp_s[CT_STATE_SYN_SENT], 0);
	assert_int_equal(r.tcp_s[CT_STATE_MAX], 0);
	assert_int_equal(r.udp_s, 108);
	assert_int_equal(r.icmp_s, 18);

	c.sync.refresh_s = 25;
	c.icmp_timeout_s = 30;
	c.timeout_s[CT_STATE_CLOSED] = 1;
	baton_ct_revive_from_config(&r, &c);
	assert_int_equal(r.icmp_s, 15);	/* half of 30, not 3 */
	assert_int_equal(r.udp_s, 93);
	assert_int_equal(r.tcp_s[CT_STATE_CLOSED], 1);
}

/* Without sync peers nobody holds a copy: no flow is announced again. */
static void test_revive_off_without_peers(void **state)
{
	struct baton_config c;
	struct ct_v4_revive r, zero = {0};

	(void)state;
	defaults_with_peers(&c, 0);
	memset(&r, 0xff, sizeof(r));
	baton_ct_revive_from_config(&r, &c);
	assert_memory_equal(&r, &zero, sizeof(r));
}

/* Under pressure a half-open entry (TCP before ESTABLISHED, UDP/ICMP with no
 * reply) keeps at most half_open_pressure_s; nothing else changes, and
 * without pressure nothing does. */
static void test_pressure_caps_only_half_open_entries(void **state)
{
	struct baton_config c;
	struct baton_ct_timeouts t;

	(void)state;
	defaults_with_peers(&c, 0);
	baton_ct_timeouts_from_config(&t, &c);
	assert_int_equal(t.half_open_pressure_s, 5);
	for (uint8_t st = CT_STATE_NONE; st < CT_STATE_MAX; st++) {
		uint64_t normal = baton_ct_timeout_ns(&t, IPPROTO_TCP, st);

		assert_int_equal(baton_ct_gc_timeout_ns(&t, IPPROTO_TCP, st,
							false), normal);
		assert_int_equal(baton_ct_gc_timeout_ns(&t, IPPROTO_TCP, st,
							true),
				 st < CT_STATE_ESTABLISHED ? 5 * NS : normal);
	}
	assert_int_equal(baton_ct_gc_timeout_ns(&t, IPPROTO_UDP, CT_STATE_NEW,
						true), 5 * NS);
	assert_int_equal(baton_ct_gc_timeout_ns(&t, IPPROTO_UDP,
						CT_STATE_ESTABLISHED, true),
			 120 * NS);
	assert_int_equal(baton_ct_gc_timeout_ns(&t, IPPROTO_ICMP, CT_STATE_NEW,
						true), 5 * NS);
	assert_int_equal(baton_ct_gc_timeout_ns(&t, IPPROTO_ICMP,
						CT_STATE_ESTABLISHED, true),
			 30 * NS);
	/* A cap longer than the normal timeout changes nothing. */
	t.tcp_s[CT_STATE_SYN_SENT] = 1;
	assert_int_equal(baton_ct_gc_timeout_ns(&t, IPPROTO_TCP,
						CT_STATE_SYN_SENT, true), NS);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_pressure_caps_only_half_open_entries),
	cmocka_unit_test(test_timeouts_by_protocol_and_state),
	cmocka_unit_test(test_revive_is_timeout_less_refresh_within_bounds),
	cmocka_unit_test(test_revive_off_without_peers),
};

UNIT_MAIN("cttimeout", tests)
