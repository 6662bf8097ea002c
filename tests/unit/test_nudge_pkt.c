// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_nudge_pkt.c - the takeover nudge's packets (ha/nudge_pkt.h): byte
 * for byte against packets built independently (Python's struct and
 * socket modules, RFC 1071 checksums), and every checksum valid for other
 * addresses too.
 */
#include <arpa/inet.h>

#include "unit.h"
#include "nudge_pkt.h"

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	unsigned int b;

	while (h[0] && h[1] && sscanf(h, "%2x", &b) == 1) {
		out[n++] = (uint8_t)b;
		h += 2;
	}
	return n;
}

/* A header or message whose checksum is right sums to 0xffff. */
static void assert_sums_ok(const uint8_t *p, size_t len, uint32_t pseudo)
{
	assert_int_equal(baton_nudge_sum(p, len, pseudo), 0xffff);
}

static void test_nudge_tickle_matches_a_reference_packet(void **state)
{
	const struct baton_nudge_tuple t = {
		.saddr = ip4("10.0.0.100"), .daddr = ip4("10.0.0.2"),
		.sport = htons(80), .dport = htons(40000),
	};
	uint8_t buf[BATON_NUDGE_TICKLE_LEN], want[64];
	size_t n;

	(void)state;
	n = unhex("45000028000000004006666b0a0000640a00000200509c4000000000"
		  "0000000050100000fede0000", want);
	assert_int_equal(n, BATON_NUDGE_TICKLE_LEN);
	assert_int_equal(baton_nudge_tickle(buf, &t), BATON_NUDGE_TICKLE_LEN);
	assert_memory_equal(buf, want, n);
}

static void test_nudge_icmp_matches_a_reference_packet(void **state)
{
	/* what 10.0.0.2:40000 sent to 10.0.0.100:80, at 0x12345678 */
	const struct baton_nudge_tuple q = {
		.saddr = ip4("10.0.0.2"), .daddr = ip4("10.0.0.100"),
		.sport = htons(40000), .dport = htons(80),
	};
	uint8_t buf[BATON_NUDGE_ICMP_LEN], want[64];
	size_t n;

	(void)state;
	n = unhex("4500003800000000400166600a0000640a0000020301f7c100000000"
		  "45000028000000004006666b0a0000020a0000649c40005012345678",
		  want);
	assert_int_equal(n, BATON_NUDGE_ICMP_LEN);
	assert_int_equal(baton_nudge_icmp(buf, ip4("10.0.0.100"), &q,
					  0x12345678),
			 BATON_NUDGE_ICMP_LEN);
	assert_memory_equal(buf, want, n);
}

/* Odd and even bytes, carries, ports and sequence numbers at the ends of
 * their ranges: every checksum holds and the fields are where a stack
 * reads them. */
static void test_nudge_checksums_hold_for_any_addresses(void **state)
{
	static const char *const addrs[] = { "0.0.0.1", "10.1.0.10",
					     "192.168.255.255",
					     "255.255.255.254" };
	static const uint16_t ports[] = { 1, 1024, 65535 };
	static const uint32_t seqs[] = { 0, 1, 0x7fffffff, 0xffffffff };
	size_t a, b, p, s;

	(void)state;
	for (a = 0; a < 4; a++)
	for (b = 0; b < 4; b++)
	for (p = 0; p < 3; p++)
	for (s = 0; s < 4; s++) {
		struct baton_nudge_tuple t = {
			.saddr = ip4(addrs[a]), .daddr = ip4(addrs[b]),
			.sport = htons(ports[p]), .dport = htons(ports[2 - p]),
		};
		uint8_t tk[BATON_NUDGE_TICKLE_LEN], ic[BATON_NUDGE_ICMP_LEN];
		uint8_t pseudo[12];
		uint32_t seq;

		baton_nudge_tickle(tk, &t);
		assert_sums_ok(tk, 20, 0);			/* IPv4 */
		memcpy(pseudo, tk + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = 6;
		pseudo[10] = 0;
		pseudo[11] = 20;
		assert_sums_ok(tk + 20, 20, baton_nudge_sum(pseudo, 12, 0));
		assert_memory_equal(tk + 20, &t.sport, 2);
		assert_memory_equal(tk + 22, &t.dport, 2);
		assert_int_equal(tk[33], 0x10);			/* ACK */

		baton_nudge_icmp(ic, ip4(addrs[b]), &t, seqs[s]);
		assert_sums_ok(ic, 20, 0);			/* outer */
		assert_memory_equal(ic + 16, &t.saddr, 4);	/* to sender */
		assert_sums_ok(ic + 20, 36, 0);			/* ICMP */
		assert_int_equal(ic[20], 3);
		assert_int_equal(ic[21], 1);
		assert_sums_ok(ic + 28, 20, 0);			/* quoted */
		assert_memory_equal(ic + 40, &t.saddr, 4);
		assert_memory_equal(ic + 44, &t.daddr, 4);
		assert_memory_equal(ic + 48, &t.sport, 2);
		assert_memory_equal(ic + 50, &t.dport, 2);
		memcpy(&seq, ic + 52, 4);
		assert_int_equal(ntohl(seq), seqs[s]);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_nudge_tickle_matches_a_reference_packet),
	cmocka_unit_test(test_nudge_icmp_matches_a_reference_packet),
	cmocka_unit_test(test_nudge_checksums_hold_for_any_addresses),
};

UNIT_MAIN("nudge_pkt", tests)
