/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_birdconf.c - baton.yaml -> bird.conf (ha/birdconf.h): the VIPs and
 * return prefixes through the health interface, the sessions and what
 * each exports, BFD, determinism, and the errors.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "unit.h"

#include "birdconf.h"

#define GEN_RENDER baton_birdconf_render
#include "gentest.h"
#include "config.h"

#define NODE "node:\n  id: 2\ninterfaces:\n  - name: eth0\n  - name: eth1\n"
#define ECMP "ecmp:\n  health_interface: bt-up\n  bgp:\n    asn: 65002\n" \
	"    front:\n      neighbors:\n" \
	"        - {address: 10.0.0.254, asn: 65000}\n" \
	"        - {address: 10.0.0.253, asn: 65000}\n"
#define BACK "    back:\n      neighbors:\n" \
	"        - {address: 10.1.0.254, asn: 65000}\n" \
	"      prefixes: [10.0.0.0/24, 192.0.2.0/24]\n"
#define SVCS "services:\n" \
	"  - {vip: 10.0.0.102, port: 80, mode: dsr}\n" \
	"  - {vip: 10.0.0.100, port: 80}\n" \
	"  - {vip: 10.0.0.100, port: 53, protocol: udp}\n"

static void test_birdconf_announces_through_the_health_interface(void **state)
{
	struct baton_config cfg;
	char *t;

	(void)state;
	load(NODE ECMP BACK SVCS, &cfg);
	t = render(&cfg);
	/* Each VIP once, sorted, via the interface batond holds. */
	assert_has(t, "protocol static baton_vips {\n\tipv4;\n"
		   "\tcheck link on;\n"
		   "\troute 10.0.0.100/32 via \"bt-up\";\n"
		   "\troute 10.0.0.102/32 via \"bt-up\";\n}\n");
	assert_int_equal(count(t, "route 10.0.0.100/32"), 1);
	assert_has(t, "protocol static baton_return {\n\tipv4;\n"
		   "\tcheck link on;\n"
		   "\troute 10.0.0.0/24 via \"bt-up\";\n"
		   "\troute 192.0.2.0/24 via \"bt-up\";\n}\n");
	/* Front sessions export the VIPs, back ones the return prefixes. */
	assert_has(t, "protocol bgp front1 from baton_bgp {\n"
		   "\tneighbor 10.0.0.254 as 65000;\n\tipv4 {\n"
		   "\t\timport none;\n"
		   "\t\texport where proto = \"baton_vips\";\n"
		   "\t\tnext hop self;\n");
	assert_has(t, "protocol bgp front2 from baton_bgp {\n"
		   "\tneighbor 10.0.0.253 as 65000;");
	assert_has(t, "protocol bgp back1 from baton_bgp {\n"
		   "\tneighbor 10.1.0.254 as 65000;\n\tipv4 {\n"
		   "\t\timport none;\n"
		   "\t\texport where proto = \"baton_return\";\n");
	assert_int_equal(count(t, "protocol bgp "), 3);
	assert_has(t, "\tlocal as 65002;\n\thold time 3;\n"
		   "\tkeepalive time 1;\n");
	/* A (re)started node's sessions come up within a second or two. */
	assert_has(t, "\tconnect delay time 1;\n\tconnect retry time 1;\n");
	assert_has(t, "\tbfd on;\n");
	assert_has(t, "\t\tmin rx interval 100 ms;\n");
	/* Nothing goes into the node's own tables. */
	assert_int_equal(count(t, "protocol kernel"), 0);
	assert_int_equal(count(t, "router id"), 0);
	free(t);
	baton_config_free(&cfg);
}

static void test_birdconf_options_and_determinism(void **state)
{
	struct baton_config a, b;
	char *ta, *tb;

	(void)state;
	load(NODE ECMP "    bfd: false\n    hold_s: 9\n"
	     "    router_id: 10.0.0.12\n" SVCS, &a);
	ta = render(&a);
	assert_has(ta, "router id 10.0.0.12;\n");
	assert_has(ta, "\thold time 9;\n\tkeepalive time 3;\n");
	assert_int_equal(count(ta, "bfd"), 0);
	assert_int_equal(count(ta, "baton_return"), 0);
	/* The services in another order: the same text. */
	load(NODE ECMP "    bfd: false\n    hold_s: 9\n"
	     "    router_id: 10.0.0.12\n"
	     "services:\n"
	     "  - {vip: 10.0.0.100, port: 53, protocol: udp}\n"
	     "  - {vip: 10.0.0.100, port: 80}\n"
	     "  - {vip: 10.0.0.102, port: 80, mode: dsr}\n", &b);
	tb = render(&b);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	baton_config_free(&a);
	baton_config_free(&b);
}

static void test_birdconf_needs_ecmp_bgp(void **state)
{
	struct baton_config cfg;

	(void)state;
	load(NODE "ecmp:\n  grace_ms: 1000\n" SVCS, &cfg);
	assert_int_equal(baton_birdconf_render(&cfg, cfg.path, NULL, 0, err,
					       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ecmp.bgp: required"));
	baton_config_free(&cfg);
	load(NODE SVCS, &cfg);
	assert_int_equal(baton_birdconf_render(&cfg, cfg.path, NULL, 0, err,
					       sizeof(err)), -EINVAL);
	baton_config_free(&cfg);
	assert_int_equal(baton_birdconf_render(NULL, NULL, NULL, 0, err,
					       sizeof(err)), -EINVAL);
}

/* deploy/baton.yaml documents ecmp: commented out; uncommented, it is a
 * node bird.conf can be generated for. */
static void test_birdconf_shipped_example_with_ecmp_renders(void **state)
{
	struct baton_config cfg;
	char *t;

	(void)state;
	load_example_with("ecmp", &cfg);
	assert_true(cfg.ecmp.enabled);
	t = render(&cfg);
	assert_has(t, "\troute 10.0.0.100/32 via \"baton-ecmp\";\n");
	assert_has(t, "\troute 0.0.0.0/0 via \"baton-ecmp\";\n");
	assert_has(t, "\tneighbor 10.0.0.254 as 65000;\n");
	assert_has(t, "\tneighbor 10.1.0.254 as 65000;\n");
	assert_has(t, "router id 10.0.0.11;\n");
	free(t);
	baton_config_free(&cfg);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_birdconf_announces_through_the_health_interface),
	cmocka_unit_test(test_birdconf_options_and_determinism),
	cmocka_unit_test(test_birdconf_needs_ecmp_bgp),
	cmocka_unit_test(test_birdconf_shipped_example_with_ecmp_renders),
};

UNIT_MAIN("birdconf", tests)
