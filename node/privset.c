// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* privset.c - see privset.h. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "privset.h"

/* capability(7)'s names, lower case as capsh and /proc print them. */
static const char *const cap_names[] = {
	"cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner",
	"cap_fsetid", "cap_kill", "cap_setgid", "cap_setuid", "cap_setpcap",
	"cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast",
	"cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner",
	"cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace",
	"cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice",
	"cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod",
	"cap_lease", "cap_audit_write", "cap_audit_control", "cap_setfcap",
	"cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm",
	"cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf",
	"cap_checkpoint_restore",
};

_Static_assert(sizeof(cap_names) / sizeof(cap_names[0]) == 41,
	       "cap_names: CAP_CHOWN (0) to CAP_CHECKPOINT_RESTORE (40)");

/* The port of a URL config.c validated ("tcp://HOST:PORT"), 0 if none. */
static unsigned long url_port(const char *url)
{
	const char *colon = strrchr(url, ':');
	char *end;
	unsigned long port;

	if (!colon || !colon[1])
		return 0;
	port = strtoul(colon + 1, &end, 10);
	return *end ? 0 : port;
}

uint64_t baton_privs_needed(const struct baton_config *cfg)
{
	uint64_t keep = BATON_CAP(CAP_NET_ADMIN);
	unsigned long port;

	if (cfg->sync.enabled) {
		port = url_port(cfg->sync.listen);
		if (port && port < 1024)
			keep |= BATON_CAP(CAP_NET_BIND_SERVICE);
	}
	return keep;
}

uint64_t baton_privs_bpf_cap(unsigned int last_cap)
{
	return last_cap >= BATON_CAP_BPF ? BATON_CAP(BATON_CAP_BPF)
					 : BATON_CAP(CAP_SYS_ADMIN);
}

const char *baton_cap_name(unsigned int cap)
{
	if (cap >= sizeof(cap_names) / sizeof(cap_names[0]))
		return NULL;
	return cap_names[cap];
}

int baton_caps_str(uint64_t mask, char *buf, size_t len)
{
	size_t used = 0;
	int n;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (!mask) {
		n = snprintf(buf, len, "none");
		return (size_t)n < len ? 0 : -ENOSPC;
	}
	for (unsigned int c = 0; c < 64; c++) {
		const char *name = baton_cap_name(c);

		if (!(mask & BATON_CAP(c)))
			continue;
		if (name)
			n = snprintf(buf + used, len - used, "%s%s",
				     used ? "," : "", name);
		else
			n = snprintf(buf + used, len - used, "%scap_%u",
				     used ? "," : "", c);
		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	return 0;
}
