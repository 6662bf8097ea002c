// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* privs.c - see privs.h. */
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "privs.h"
#include "privset.h"

#define SUB "privs"
#define NAMES_MAX 1024		/* every capability's name, comma-separated */

struct capsets {
	uint64_t eff, prm, inh;
};

/* glibc wraps neither capget nor capset: the raw system calls, version 3
 * (64 bits in two 32-bit words). */
static int caps_read(struct capsets *c)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -errno;
	c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	c->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_write(const struct capsets *c)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {
		{ .effective = (uint32_t)c->eff,
		  .permitted = (uint32_t)c->prm,
		  .inheritable = (uint32_t)c->inh },
		{ .effective = (uint32_t)(c->eff >> 32),
		  .permitted = (uint32_t)(c->prm >> 32),
		  .inheritable = (uint32_t)(c->inh >> 32) },
	};

	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

/* The bounding set; PR_CAPBSET_READ says EINVAL past the kernel's last
 * capability. */
static uint64_t bounding_read(unsigned int *last)
{
	uint64_t m = 0;
	unsigned int c;
	int r;

	for (c = 0; c < 64; c++) {
		r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;
		if (r)
			m |= BATON_CAP(c);
	}
	if (last)
		*last = c ? c - 1 : 0;
	return m;
}

static uint64_t ambient_read(void)
{
	uint64_t m = 0;
	int r;

	for (unsigned int c = 0; c < 64; c++) {
		r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
		if (r < 0)
			break;
		if (r)
			m |= BATON_CAP(c);
	}
	return m;
}

int baton_privs_get(struct baton_privs *p)
{
	struct capsets c;
	int ret, nnp;

	memset(p, 0, sizeof(*p));
	ret = caps_read(&c);
	if (ret)
		return ret;
	nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (nnp < 0)
		return -errno;
	p->effective = c.eff;
	p->permitted = c.prm;
	p->inheritable = c.inh;
	p->bounding = bounding_read(NULL);
	p->ambient = ambient_read();
	p->no_new_privs = nnp == 1;
	p->uid = getuid();
	p->euid = geteuid();
	return 0;
}

/* Threads of this process, -errno if /proc cannot tell. */
static int threads(void)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!dir)
		return -errno;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/*
 * 1 if the kernel refuses bpf() on the map map_fd to this process without
 * CAP_BPF and CAP_SYS_ADMIN, 0 if not, -errno if it cannot tell. Both
 * leave the effective set for the one call (they stay permitted, so they
 * come back). Before 5.19, kernel.unprivileged_bpf_disabled gated every
 * bpf() command this way; since, only map creation and program load.
 */
static int bpf_fd_needs_cap(const struct capsets *cur, int map_fd)
{
	struct capsets without = *cur;
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int ret, e;

	without.eff &= ~(BATON_CAP(BATON_CAP_BPF) | BATON_CAP(CAP_SYS_ADMIN));
	if (without.eff == cur->eff)
		return 0;	/* neither is effective: nothing changes */
	ret = caps_write(&without);
	if (ret)
		return ret;
	memset(&info, 0, sizeof(info));
	e = bpf_obj_get_info_by_fd(map_fd, &info, &len) ? errno : 0;
	ret = caps_write(cur);
	if (ret)
		return ret;
	if (e == EPERM)
		return 1;
	return e ? -e : 0;
}

/* Lower the bounding set to keep; needs CAP_SETPCAP effective. */
static int bounding_drop(uint64_t bset, uint64_t keep, char *err,
			 size_t errlen)
{
	for (unsigned int c = 0; c < 64; c++) {
		if (!(bset & ~keep & BATON_CAP(c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0)) {
			int ret = -errno;
			const char *name = baton_cap_name(c);

			snprintf(err, errlen, "privileges: drop %s from the "
				 "bounding set: %s", name ? name : "?",
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int baton_privs_drop(uint64_t want, int bpf_fd, uint64_t *kept, char *err,
		     size_t errlen)
{
	struct capsets cur, next, now = { 0 };
	char names[NAMES_MAX];
	uint64_t bset, keep;
	unsigned int last = 0;
	bool bset_low = true;
	int ret, n;

	ret = caps_read(&cur);
	if (ret) {
		snprintf(err, errlen, "privileges: capget: %s",
			 strerror(-ret));
		return ret;
	}
	n = threads();
	if (n > 1) {
		snprintf(err, errlen, "privileges: %d threads run already: "
			 "capabilities belong to each thread, the others would "
			 "keep theirs", n);
		return -EBUSY;
	}
	if (n < 0)
		log_warn(SUB, "cannot count this process's threads (%s); "
			 "dropping as if it had one", strerror(-n));
	bset = bounding_read(&last);
	if (bpf_fd >= 0) {
		ret = bpf_fd_needs_cap(&cur, bpf_fd);
		if (ret < 0) {
			snprintf(err, errlen, "privileges: bpf() on a map "
				 "without cap_bpf: %s", strerror(-ret));
			return ret;
		}
		if (ret) {
			want |= baton_privs_bpf_cap(last);
			log_info(SUB, "this kernel refuses bpf() on a map "
				 "without cap_bpf or cap_sys_admin "
				 "(kernel.unprivileged_bpf_disabled): kept");
		}
	}
	keep = want & cur.prm;
	if (want & ~cur.prm) {
		baton_caps_str(want & ~cur.prm, names, sizeof(names));
		log_warn(SUB, "not held, so not kept: %s", names);
	}

	if (bset & ~keep) {
		if (cur.eff & BATON_CAP(CAP_SETPCAP)) {
			ret = bounding_drop(bset, keep, err, errlen);
			if (ret)
				return ret;
		} else {
			bset_low = false;
			baton_caps_str(bset & ~keep, names, sizeof(names));
			log_warn(SUB, "the bounding set keeps %s: lowering it "
				 "needs cap_setpcap (no_new_privs still stops "
				 "an execve from gaining them)", names);
		}
	}
	/* EINVAL: a kernel without ambient capabilities (before 4.3). */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL) {
		ret = -errno;
		snprintf(err, errlen, "privileges: clear the ambient set: %s",
			 strerror(errno));
		return ret;
	}
	next.eff = keep;
	next.prm = keep;
	next.inh = 0;
	ret = caps_write(&next);
	if (ret) {
		snprintf(err, errlen, "privileges: capset: %s", strerror(-ret));
		return ret;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = -errno;
		snprintf(err, errlen, "privileges: no_new_privs: %s",
			 strerror(errno));
		return ret;
	}

	/* What the kernel says now, not what was asked for. */
	ret = caps_read(&now);
	if (ret || now.eff != keep || now.prm != keep || now.inh ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
	    (bset_low && (bounding_read(NULL) & ~keep))) {
		snprintf(err, errlen, "privileges: not what was set after the "
			 "drop (effective %#llx, permitted %#llx, inheritable "
			 "%#llx, kept %#llx)", (unsigned long long)now.eff,
			 (unsigned long long)now.prm,
			 (unsigned long long)now.inh,
			 (unsigned long long)keep);
		return -EPERM;
	}
	if (kept)
		*kept = keep;
	baton_caps_str(keep, names, sizeof(names));
	log_info(SUB, "dropped: keeping %s (effective, permitted%s), none "
		 "inheritable or ambient, no_new_privs set, uid %d", names,
		 bset_low ? " and bounding" : "", (int)getuid());
	return 0;
}
