/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * privset.h - which Linux capabilities batond keeps once it has started
 * (privs.h drops every other one), as masks of BATON_CAP(CAP_*), and their
 * names. Pure: no system call; batond, batonctl's status and the unit
 * tests share it.
 *
 * What batond still does after the drop, and what it needs for it (each
 * tried on Linux 6.18 with kernel.unprivileged_bpf_disabled=2, with and
 * without the capability):
 *  - CAP_NET_ADMIN, always: a reload attaches TC (a clsact qdisc and a
 *    filter) and XDP to an interface it adds, or re-attaches XDP in a new
 *    mode; a stop without keep_datapath detaches them; the ECMP health
 *    interface is set up and down (SIOCSIFFLAGS). Without it each fails
 *    with EPERM.
 *  - CAP_NET_BIND_SERVICE, only when sync.listen's port is below 1024:
 *    nng binds it after the drop (the drop must come before nng starts
 *    its threads: capabilities belong to each thread).
 *  - CAP_BPF (CAP_SYS_ADMIN where the kernel has no CAP_BPF), only on a
 *    kernel that refuses every bpf() command without it while
 *    kernel.unprivileged_bpf_disabled is set (before Linux 5.19); privs.c
 *    asks the kernel (baton_privs_bpf_cap).
 * Everything else batond does after start works on descriptors it opened
 * before, which the kernel checked then: the maps by fd (lookups, updates,
 * batches, the GC, sync installs), the ring buffer, the raw and packet
 * sockets of health.on_down: reset and ha.nudge (CAP_NET_RAW is checked at
 * socket()), the metrics listener, the control socket. Files it writes
 * later (track file, FIFO, control socket, pins at stop, baton.yaml on
 * `config save`) are root's, in root's directories: uid 0 suffices.
 */
#ifndef BATON_PRIVSET_H
#define BATON_PRIVSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define BATON_CAP(c)	(1ull << (c))

/* Not in every <linux/capability.h>. */
#define BATON_CAP_BPF	39

/* What batond keeps after start with cfg (see above; CAP_BPF is decided
 * by privs.c). */
uint64_t baton_privs_needed(const struct baton_config *cfg);

/*
 * The capability that lets bpf() work on a map fd when the kernel wants
 * one: CAP_BPF where the kernel knows it (last_cap, from
 * /proc/sys/kernel/cap_last_cap, is at least 39), else CAP_SYS_ADMIN.
 */
uint64_t baton_privs_bpf_cap(unsigned int last_cap);

/* "cap_net_admin" for CAP_NET_ADMIN; NULL for a number it does not know. */
const char *baton_cap_name(unsigned int cap);

/*
 * mask as "cap_a,cap_b" in capability order ("cap_N" for a number
 * baton_cap_name does not know, "none" for 0). 0, or -ENOSPC with buf
 * holding what fitted.
 */
int baton_caps_str(uint64_t mask, char *buf, size_t len);

#endif /* BATON_PRIVSET_H */
