/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_privset.c - which capabilities batond keeps after start (privset.h)
 * and how they are named. The drop itself (privs.c) is tested on a
 * running batond: tests/netns/test_privileges.sh.
 */
#include <errno.h>
#include <linux/capability.h>

#include "unit.h"

#include "config.h"
#include "privset.h"

static void with_sync(struct baton_config *c, const char *listen)
{
	baton_config_defaults(c);
	c->sync.enabled = true;
	c->sync.npeers = 1;
	snprintf(c->sync.listen, sizeof(c->sync.listen), "%s", listen);
}

static void test_privs_needed_is_net_admin_alone_by_default(void **state)
{
	struct baton_config c;

	(void)state;
	baton_config_defaults(&c);
	assert_int_equal(baton_privs_needed(&c), BATON_CAP(CAP_NET_ADMIN));
	/* The metrics listener is bound before the drop, whatever its
	 * port. */
	c.metrics_port = 80;
	assert_int_equal(baton_privs_needed(&c), BATON_CAP(CAP_NET_ADMIN));
	/* A sync section's port counts only with sync on. */
	snprintf(c.sync.listen, sizeof(c.sync.listen), "tcp://10.2.0.1:80");
	assert_int_equal(baton_privs_needed(&c), BATON_CAP(CAP_NET_ADMIN));
}

static void test_privs_needed_binds_a_sync_port_below_1024(void **state)
{
	const uint64_t both = BATON_CAP(CAP_NET_ADMIN) |
			      BATON_CAP(CAP_NET_BIND_SERVICE);
	struct baton_config c;

	(void)state;
	with_sync(&c, "tcp://10.2.0.1:7400");
	assert_int_equal(baton_privs_needed(&c), BATON_CAP(CAP_NET_ADMIN));
	with_sync(&c, "tcp://10.2.0.1:1024");
	assert_int_equal(baton_privs_needed(&c), BATON_CAP(CAP_NET_ADMIN));
	with_sync(&c, "tcp://10.2.0.1:1023");
	assert_int_equal(baton_privs_needed(&c), both);
	with_sync(&c, "tls+tcp://node1.example:443");
	assert_int_equal(baton_privs_needed(&c), both);
	with_sync(&c, "tls+tcp://[fd00::1]:80");
	assert_int_equal(baton_privs_needed(&c), both);
}

static void test_privs_bpf_cap_is_sys_admin_before_cap_bpf(void **state)
{
	(void)state;
	/* CAP_BPF is 39 (Linux 5.8); CAP_CHECKPOINT_RESTORE 40. */
	assert_int_equal(baton_privs_bpf_cap(40), BATON_CAP(BATON_CAP_BPF));
	assert_int_equal(baton_privs_bpf_cap(39), BATON_CAP(BATON_CAP_BPF));
	assert_int_equal(baton_privs_bpf_cap(38), BATON_CAP(CAP_SYS_ADMIN));
	assert_int_equal(baton_privs_bpf_cap(37), BATON_CAP(CAP_SYS_ADMIN));
}

/* The table agrees with <linux/capability.h>'s numbers. */
static void test_cap_names_follow_the_kernel_numbers(void **state)
{
	(void)state;
	assert_string_equal(baton_cap_name(CAP_CHOWN), "cap_chown");
	assert_string_equal(baton_cap_name(CAP_DAC_OVERRIDE),
			    "cap_dac_override");
	assert_string_equal(baton_cap_name(CAP_KILL), "cap_kill");
	assert_string_equal(baton_cap_name(CAP_SETUID), "cap_setuid");
	assert_string_equal(baton_cap_name(CAP_SETPCAP), "cap_setpcap");
	assert_string_equal(baton_cap_name(CAP_NET_BIND_SERVICE),
			    "cap_net_bind_service");
	assert_string_equal(baton_cap_name(CAP_NET_ADMIN), "cap_net_admin");
	assert_string_equal(baton_cap_name(CAP_NET_RAW), "cap_net_raw");
	assert_string_equal(baton_cap_name(CAP_SYS_MODULE), "cap_sys_module");
	assert_string_equal(baton_cap_name(CAP_SYS_PTRACE), "cap_sys_ptrace");
	assert_string_equal(baton_cap_name(CAP_SYS_ADMIN), "cap_sys_admin");
	assert_string_equal(baton_cap_name(CAP_SYS_RESOURCE),
			    "cap_sys_resource");
	assert_string_equal(baton_cap_name(CAP_MKNOD), "cap_mknod");
	assert_string_equal(baton_cap_name(CAP_SETFCAP), "cap_setfcap");
	assert_string_equal(baton_cap_name(CAP_AUDIT_READ), "cap_audit_read");
#ifdef CAP_PERFMON
	assert_string_equal(baton_cap_name(CAP_PERFMON), "cap_perfmon");
	assert_int_equal(CAP_BPF, BATON_CAP_BPF);
#endif
	assert_string_equal(baton_cap_name(BATON_CAP_BPF), "cap_bpf");
	assert_string_equal(baton_cap_name(40), "cap_checkpoint_restore");
	assert_null(baton_cap_name(41));
	assert_null(baton_cap_name(63));
}

static void test_caps_str_lists_names_in_order(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(baton_caps_str(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "none");
	assert_int_equal(baton_caps_str(BATON_CAP(CAP_NET_ADMIN), buf,
					sizeof(buf)), 0);
	assert_string_equal(buf, "cap_net_admin");
	assert_int_equal(baton_caps_str(BATON_CAP(CAP_NET_RAW) |
					BATON_CAP(CAP_NET_ADMIN) |
					BATON_CAP(BATON_CAP_BPF), buf,
					sizeof(buf)), 0);
	assert_string_equal(buf, "cap_net_admin,cap_net_raw,cap_bpf");
	/* A capability of a newer kernel, by number. */
	assert_int_equal(baton_caps_str(BATON_CAP(41) | BATON_CAP(CAP_CHOWN),
					buf, sizeof(buf)), 0);
	assert_string_equal(buf, "cap_chown,cap_41");
	/* Too small: said so, and still a string. */
	assert_int_equal(baton_caps_str(BATON_CAP(CAP_NET_ADMIN), buf, 8),
			 -ENOSPC);
	assert_true(strlen(buf) < 8);
	assert_int_equal(baton_caps_str(0, buf, 0), -ENOSPC);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_privs_needed_is_net_admin_alone_by_default),
	cmocka_unit_test(test_privs_needed_binds_a_sync_port_below_1024),
	cmocka_unit_test(test_privs_bpf_cap_is_sys_admin_before_cap_bpf),
	cmocka_unit_test(test_cap_names_follow_the_kernel_numbers),
	cmocka_unit_test(test_caps_str_lists_names_in_order),
};

UNIT_MAIN("privset", tests)
