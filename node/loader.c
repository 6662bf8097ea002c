// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* loader.c - see loader.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "baton.skel.h"
#include "cttimeout.h"
#include "loader.h"
#include "log.h"

#define SUB "loader"
#define BPFFS_ROOT "/sys/fs/bpf"
#define TC_HANDLE 1
#define TC_PRIO 1

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && (unsigned long)st.f_type == BPF_FS_MAGIC;
}

/* mkdir -p; 0 or -errno. */
static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool under_bpffs_root(const char *path)
{
	size_t n = strlen(BPFFS_ROOT);

	return !strncmp(path, BPFFS_ROOT, n) &&
	       (path[n] == '/' || path[n] == '\0');
}

static int prepare_pin_dir(const char *pin_path, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	if (under_bpffs_root(pin_path) && !is_bpffs(BPFFS_ROOT)) {
		/* A fresh bpffs is a new instance: pins made here are not
		 * seen from other mount namespaces (ip netns exec hides the
		 * host's /sys/fs/bpf behind a new sysfs). */
		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
			ret = -errno;
			snprintf(err, errlen, "mount bpffs on %s: %s",
				 BPFFS_ROOT, strerror(errno));
			return ret;
		}
		log_warn(SUB, "mounted a new bpffs on %s (it was not one); "
			 "pins are only visible in this mount namespace",
			 BPFFS_ROOT);
	}
	ret = mkdir_p(pin_path, 0700);
	if (ret) {
		snprintf(err, errlen, "create pin dir %s: %s", pin_path,
			 strerror(-ret));
		return ret;
	}
	if (!is_bpffs(pin_path)) {
		snprintf(err, errlen, "pin path %s is not on a bpffs",
			 pin_path);
		return -EINVAL;
	}
	/* The maps are reused from here at the next start: no one but
	 * root may have put them there. */
	if (stat(pin_path, &st)) {
		ret = -errno;
		snprintf(err, errlen, "pin dir %s: %s", pin_path,
			 strerror(errno));
		return ret;
	}
	if ((st.st_uid && st.st_uid != geteuid()) || (st.st_mode & 022)) {
		snprintf(err, errlen, "pin dir %s: owned by uid %u with mode "
			 "%03o: others could plant maps (want root's, no group "
			 "or other write)", pin_path, (unsigned int)st.st_uid,
			 (unsigned int)(st.st_mode & 0777));
		return -EPERM;
	}
	return 0;
}

/* The pinned map at path, described. 0 or -errno (not pinned, say). */
static int pinned_map_info(const char *path, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	int fd, ret;

	memset(info, 0, sizeof(*info));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	ret = bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * libbpf refuses to reuse a pinned map whose size differs and says only
 * "couldn't reuse pinned map"; say why instead.
 */
static int check_pinned_ct(const char *pin_path, uint32_t ct_max, char *err,
			   size_t errlen)
{
	char path[PATH_MAX + 16];
	struct bpf_map_info info;

	snprintf(path, sizeof(path), "%s/ct_v4_map", pin_path);
	/* Not pinned yet: created at load; unreadable: libbpf reports. */
	if (pinned_map_info(path, &info))
		return 0;
	if (info.max_entries != ct_max) {
		snprintf(err, errlen,
			 "pinned %s has %u entries but conntrack.max_entries "
			 "is %u; restore the old size, or stop batond and "
			 "run batond -c FILE --detach-all (drops all flows)",
			 path, info.max_entries, ct_max);
		return -EINVAL;
	}
	return 0;
}

static uint32_t prog_id(const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.id;
}

int baton_loader_init(struct baton_loader *ld, const struct baton_config *cfg,
		      char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	char probe[PATH_MAX + 16];
	int ret;
	size_t len;
	void *mem;

	memset(ld, 0, sizeof(*ld));
	snprintf(ld->pin_path, sizeof(ld->pin_path), "%s", cfg->pin_path);
	ld->ct_max = cfg->ct_max;

	ld->lock_fd = -1;
	ret = prepare_pin_dir(ld->pin_path, err, errlen);
	if (ret)
		return ret;
	/* Two batonds on one set of maps would fight over every table. */
	ld->lock_fd = open(ld->pin_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ld->lock_fd < 0 || flock(ld->lock_fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, errlen, "pin dir %s: %s", ld->pin_path,
			 ret == -EBUSY ? "in use by another batond"
				       : strerror(-ret));
		goto out_unlock;
	}
	ret = check_pinned_ct(ld->pin_path, cfg->ct_max, err, errlen);
	if (ret)
		goto out_unlock;
	snprintf(probe, sizeof(probe), "%s/nat_v4_map", ld->pin_path);
	ld->reused = access(probe, F_OK) == 0;

	oopts.pin_root_path = ld->pin_path;
	ld->skel = baton__open_opts(&oopts);
	if (!ld->skel) {
		ret = -errno;
		snprintf(err, errlen, "open BPF object: %s", strerror(errno));
		goto out_unlock;
	}
	ret = bpf_map__set_max_entries(ld->skel->maps.ct_v4_map, cfg->ct_max);
	if (ret) {
		snprintf(err, errlen, "set ct_v4_map size %u: %s", cfg->ct_max,
			 strerror(-ret));
		goto out_destroy;
	}
	ret = baton__load(ld->skel);
	if (ret) {
		snprintf(err, errlen,
			 "load BPF object (maps pinned under %s): %s",
			 ld->pin_path, strerror(-ret));
		goto out_destroy;
	}

	ld->ct_fd = bpf_map__fd(ld->skel->maps.ct_v4_map);
	ld->nat_fd = bpf_map__fd(ld->skel->maps.nat_v4_map);
	ld->snat_fd = bpf_map__fd(ld->skel->maps.snat_v4_map);
	ld->rnat_fd = bpf_map__fd(ld->skel->maps.rnat_v4_map);
	ld->reset_fd = bpf_map__fd(ld->skel->maps.be_reset_map);
	ld->lb_fd = bpf_map__fd(ld->skel->maps.lb_v4_map);
	ld->be_stats_fd = bpf_map__fd(ld->skel->maps.be_stats_map);
	ld->pkt_stats_fd = bpf_map__fd(ld->skel->maps.pkt_stats);
	ld->drop_stats_fd = bpf_map__fd(ld->skel->maps.drop_stats);
	ld->cfg_fd = bpf_map__fd(ld->skel->maps.baton_cfg);
	ld->revive_fd = bpf_map__fd(ld->skel->maps.ct_v4_revive);
	ld->events_fd = bpf_map__fd(ld->skel->maps.ct_events);
	ld->tc_prog_id = prog_id(ld->skel->progs.tc_packet_func);
	ld->xdp_prog_id = prog_id(ld->skel->progs.xdp_packet_func);

	/* The fast path of a previous batond may still be attached; from
	 * here its tail calls reach the new programs (same maps). */
	for (__u32 key = 0; key < BATON_PGM_MAX; key++) {
		struct bpf_program *prog =
			key == BATON_PGM_SLOW  ? ld->skel->progs.tc_packet_func_slow :
			key == BATON_PGM_REPLY ? ld->skel->progs.tc_packet_func_reply :
						 NULL;
		int fd;

		if (!prog)
			continue;
		fd = bpf_program__fd(prog);
		if (bpf_map_update_elem(bpf_map__fd(ld->skel->maps.pgm_tbl),
					&key, &fd, BPF_ANY)) {
			ret = -errno;
			snprintf(err, errlen, "pgm_tbl[%u] = %s: %s", key,
				 bpf_program__name(prog), strerror(errno));
			goto out_destroy;
		}
	}

	len = (size_t)BATON_MAX_SERVICES * BATON_MAX_BACKENDS *
	      sizeof(struct be_stats);
	len = (len + (size_t)getpagesize() - 1) &
	      ~((size_t)getpagesize() - 1);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   ld->be_stats_fd, 0);
	if (mem == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "mmap be_stats_map: %s",
			 strerror(errno));
		goto out_destroy;
	}
	ld->be_stats = mem;
	ld->be_stats_len = len;

	log_info(SUB, "datapath loaded, maps %s under %s (ct_v4_map %u "
		 "entries)", ld->reused ? "reused" : "pinned", ld->pin_path,
		 cfg->ct_max);
	return 0;

out_destroy:
	baton__destroy(ld->skel);
	ld->skel = NULL;
out_unlock:
	if (ld->lock_fd > 0)
		close(ld->lock_fd);
	ld->lock_fd = -1;
	return ret;
}

void baton_loader_snat_slots(const struct baton_config *cfg, uint16_t *slot,
			     uint16_t *slots)
{
	uint16_t below = 0;

	*slot = 0;
	*slots = 1;
	if (!cfg->sync.enabled)
		return;
	for (size_t i = 0; i < cfg->sync.npeers; i++)
		if (cfg->sync.peers[i].id < cfg->node_id)
			below++;
	*slot = below;
	*slots = (uint16_t)(cfg->sync.npeers + 1);
}

int baton_loader_write_cfg(struct baton_loader *ld,
			   const struct baton_config *cfg, uint32_t epoch)
{
	struct baton_cfg c = {
		.node_id = cfg->node_id,
		.epoch = epoch,
		.hash_seed = cfg->hash_seed,
		.flags = cfg->ecmp.enabled ? BATON_CFG_F_ASYM : 0,
	};
	struct baton_cfg old = {};
	__u32 key = 0;

	/* The reset flag is the services' (baton_loader_cfg_flag). */
	if (!bpf_map_lookup_elem(ld->cfg_fd, &key, &old))
		c.flags |= old.flags & BATON_CFG_F_RESET;
	baton_loader_snat_slots(cfg, &c.snat_slot, &c.snat_slots);
	if (bpf_map_update_elem(ld->cfg_fd, &key, &c, BPF_ANY))
		return -errno;
	return 0;
}

int baton_loader_write_revive(struct baton_loader *ld,
			      const struct baton_config *cfg)
{
	struct ct_v4_revive r;
	__u32 key = 0;

	baton_ct_revive_from_config(&r, cfg);
	if (bpf_map_update_elem(ld->revive_fd, &key, &r, BPF_ANY))
		return -errno;
	return 0;
}

int baton_loader_cfg_flag(struct baton_loader *ld, uint32_t flag, bool on)
{
	struct baton_cfg c;
	__u32 key = 0;

	if (bpf_map_lookup_elem(ld->cfg_fd, &key, &c))
		return -errno;
	if (!!(c.flags & flag) == on)
		return 0;
	c.flags = on ? c.flags | flag : c.flags & ~flag;
	if (bpf_map_update_elem(ld->cfg_fd, &key, &c, BPF_ANY))
		return -errno;
	return 0;
}

int baton_loader_check_ifaces(const struct baton_config *cfg, char *err,
			      size_t errlen)
{
	for (size_t i = 0; i < cfg->nifaces; i++) {
		if (!if_nametoindex(cfg->ifaces[i].name)) {
			snprintf(err, errlen, "interface %s: %s",
				 cfg->ifaces[i].name, strerror(errno));
			return -ENODEV;
		}
	}
	return 0;
}

static const char *xdp_mode_str(uint8_t mode)
{
	switch (mode) {
	case BATON_XDP_NATIVE:
		return "native";
	case BATON_XDP_GENERIC:
		return "generic";
	default:
		return "off";
	}
}

static __u32 xdp_flag(uint8_t mode)
{
	return mode == BATON_XDP_NATIVE ? XDP_FLAGS_DRV_MODE
					: XDP_FLAGS_SKB_MODE;
}

static int tc_attach(struct baton_loader *ld, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE,
		    .priority = TC_PRIO, .flags = BPF_TC_F_REPLACE,
		    .prog_fd = bpf_program__fd(ld->skel->progs.tc_packet_func));
	int ret;

	/* An existing clsact (ours from before, or someone's) is fine;
	 * keep libbpf from logging the kernel's "exclusivity" refusal. */
	baton_log_libbpf_quiet(1);
	ret = bpf_tc_hook_create(&hook);
	baton_log_libbpf_quiet(0);
	if (ret && ret != -EEXIST)
		return ret;
	return bpf_tc_attach(&hook, &opts);
}

static uint32_t tc_query(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE,
		    .priority = TC_PRIO);

	if (bpf_tc_query(&hook, &opts))
		return 0;
	return opts.prog_id;
}

/* Only our own filter: a newer batond may have replaced it. The clsact
 * qdisc stays (it may carry other users' filters). */
/* Detach the filter at ingress handle 1 prio 1 (program id, for the log).
 * 0 or -errno. */
static int tc_detach_filter(const char *name, int ifindex, uint32_t id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE,
		    .priority = TC_PRIO);
	int ret = bpf_tc_detach(&hook, &opts);

	if (ret)
		log_warn(SUB, "%s: tc detach (prog %u): %s", name, id,
			 strerror(-ret));
	else
		log_info(SUB, "%s: tc detached (prog %u)", name, id);
	return ret;
}

static void tc_detach(struct baton_loader *ld, const char *name, int ifindex)
{
	uint32_t id = tc_query(ifindex);

	if (id != ld->tc_prog_id) {
		log_warn(SUB, "%s: tc filter is prog %u, not ours (%u); left",
			 name, id, ld->tc_prog_id);
		return;
	}
	tc_detach_filter(name, ifindex, id);
}

static int xdp_attach(struct baton_loader *ld, const char *name, int ifindex,
		      uint8_t mode)
{
	int fd = bpf_program__fd(ld->skel->progs.xdp_packet_func);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ret;

	ret = bpf_xdp_attach(ifindex, fd, xdp_flag(mode), NULL);
	if (ret != -EEXIST && ret != -EBUSY)
		return ret;
	/* A program in the other mode is there (native and generic exclude
	 * each other): replace it, as the config asks for this mode. */
	if (bpf_xdp_query(ifindex, 0, &q))
		return ret;
	if (q.attach_mode == XDP_ATTACHED_DRV)
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	else if (q.attach_mode == XDP_ATTACHED_SKB)
		bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	else
		return ret;
	log_warn(SUB, "%s: replaced an XDP program (id %u) attached in "
		 "another mode", name, q.prog_id);
	return bpf_xdp_attach(ifindex, fd, xdp_flag(mode), NULL);
}

/* Detach the XDP program prog_fd from ifindex, attached with mode_flag
 * (XDP_FLAGS_DRV_MODE or _SKB_MODE); XDP_FLAGS_REPLACE with old_prog_fd:
 * only if it is still that program. 0 or -errno. */
static int xdp_detach_prog(const char *name, int ifindex, __u32 mode_flag,
			   int prog_fd)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = prog_fd);
	int ret = bpf_xdp_detach(ifindex, mode_flag | XDP_FLAGS_REPLACE, &opts);

	if (ret)
		log_warn(SUB, "%s: xdp detach: %s", name, strerror(-ret));
	else
		log_info(SUB, "%s: xdp detached", name);
	return ret;
}

static void xdp_detach(struct baton_loader *ld, const char *name, int ifindex,
		       uint8_t mode)
{
	xdp_detach_prog(name, ifindex, xdp_flag(mode),
			bpf_program__fd(ld->skel->progs.xdp_packet_func));
}

static void iface_detach(struct baton_loader *ld, struct baton_iface_state *s)
{
	if (s->tc_attached)
		tc_detach(ld, s->name, s->ifindex);
	if (s->xdp_attached)
		xdp_detach(ld, s->name, s->ifindex, s->xdp);
	s->tc_attached = false;
	s->xdp_attached = false;
}

/* Attach one configured interface into *s (which may hold a previous
 * state of the same name). */
static int iface_attach(struct baton_loader *ld,
			const struct baton_iface_cfg *ic,
			struct baton_iface_state *s, char *err, size_t errlen)
{
	int ifindex = if_nametoindex(ic->name);
	int ret;

	if (!ifindex) {
		ret = -errno;
		snprintf(err, errlen, "interface %s: %s", ic->name,
			 strerror(errno));
		return ret;
	}
	if (s->ifindex && s->ifindex != ifindex) {
		/* Recreated under the same name: old attachments died with
		 * the old device. */
		s->tc_attached = false;
		s->xdp_attached = false;
	}
	snprintf(s->name, sizeof(s->name), "%s", ic->name);
	s->ifindex = ifindex;

	if (!s->tc_attached) {
		ret = tc_attach(ld, ifindex);
		if (ret) {
			snprintf(err, errlen, "%s: attach tc ingress: %s",
				 ic->name, strerror(-ret));
			return ret;
		}
		s->tc_attached = true;
		log_info(SUB, "%s: tc ingress attached (prog %u)", ic->name,
			 ld->tc_prog_id);
	}
	if (s->xdp_attached && s->xdp != ic->xdp) {
		xdp_detach(ld, s->name, ifindex, s->xdp);
		s->xdp_attached = false;
	}
	s->xdp = ic->xdp;
	if (ic->xdp != BATON_XDP_OFF && !s->xdp_attached) {
		ret = xdp_attach(ld, ic->name, ifindex, ic->xdp);
		if (ret) {
			snprintf(err, errlen, "%s: attach xdp (%s): %s%s",
				 ic->name, xdp_mode_str(ic->xdp),
				 strerror(-ret),
				 ic->xdp == BATON_XDP_NATIVE
					 ? " (driver lacks native XDP? try "
					   "xdp: generic)"
					 : "");
			return ret;
		}
		s->xdp_attached = true;
		log_info(SUB, "%s: xdp attached (%s, prog %u)", ic->name,
			 xdp_mode_str(ic->xdp), ld->xdp_prog_id);
	}
	return 0;
}

static struct baton_iface_state *find_state(struct baton_iface_state *v,
					    size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static const struct baton_iface_cfg *find_cfg(const struct baton_config *cfg,
					      const char *name)
{
	for (size_t i = 0; i < cfg->nifaces; i++)
		if (!strcmp(cfg->ifaces[i].name, name))
			return &cfg->ifaces[i];
	return NULL;
}

int baton_loader_attach(struct baton_loader *ld,
			const struct baton_config *cfg, char *err,
			size_t errlen)
{
	struct baton_iface_state next[BATON_MAX_IFACES] = {};
	struct baton_iface_state *old;
	size_t n = 0, i;
	int ret;

	for (i = 0; i < cfg->nifaces && i < BATON_MAX_IFACES; i++) {
		old = find_state(ld->ifaces, ld->nifaces, cfg->ifaces[i].name);
		if (old)
			next[n] = *old;
		ret = iface_attach(ld, &cfg->ifaces[i], &next[n], err, errlen);
		n++;
		if (ret)
			goto out_undo;
	}
	/* Everything configured is attached: drop what is gone. */
	for (i = 0; i < ld->nifaces; i++)
		if (!find_cfg(cfg, ld->ifaces[i].name))
			iface_detach(ld, &ld->ifaces[i]);
	memcpy(ld->ifaces, next, sizeof(next));
	ld->nifaces = n;
	return 0;

out_undo:
	/* Put every interface back the way it was: detach what is new,
	 * re-attach XDP whose mode we changed. */
	for (i = 0; i < n; i++) {
		old = find_state(ld->ifaces, ld->nifaces, next[i].name);
		if (!old) {
			/* After a restart the datapath we replaced belonged to
			 * the previous batond and served live flows: ours does
			 * the same with the same pinned maps, so it stays. */
			if (!ld->reused)
				iface_detach(ld, &next[i]);
			continue;
		}
		if (old->xdp_attached &&
		    (!next[i].xdp_attached || next[i].xdp != old->xdp)) {
			if (next[i].xdp_attached)
				xdp_detach(ld, next[i].name, next[i].ifindex,
					   next[i].xdp);
			if (xdp_attach(ld, old->name, old->ifindex, old->xdp))
				old->xdp_attached = false;
		}
	}
	return ret;
}

void baton_loader_detach_all(struct baton_loader *ld)
{
	if (!ld->skel)
		return;
	for (size_t i = 0; i < ld->nifaces; i++)
		iface_detach(ld, &ld->ifaces[i]);
	ld->nifaces = 0;
}

int baton_loader_unpin(struct baton_loader *ld)
{
	int ret;

	if (!ld->skel)
		return 0;
	ret = bpf_object__unpin_maps(ld->skel->obj, NULL);
	if (ret) {
		log_warn(SUB, "unpin maps under %s: %s", ld->pin_path,
			 strerror(-ret));
		return ret;
	}
	if (rmdir(ld->pin_path)) {
		ret = -errno;
		log_warn(SUB, "remove %s: %s", ld->pin_path, strerror(errno));
		return ret;
	}
	log_info(SUB, "maps unpinned, %s removed", ld->pin_path);
	return 0;
}

int baton_loader_iface_status(struct baton_loader *ld, const char *name,
			      struct baton_iface_status *st)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	memset(st, 0, sizeof(*st));
	st->ifindex = (int)if_nametoindex(name);
	if (!st->ifindex)
		return -ENODEV;
	st->tc_prog_id = tc_query(st->ifindex);
	st->tc_ours = st->tc_prog_id && st->tc_prog_id == ld->tc_prog_id;
	if (!bpf_xdp_query(st->ifindex, 0, &q)) {
		st->xdp_prog_id = q.prog_id;
		st->xdp_attach_mode = q.attach_mode;
		st->xdp_ours = q.prog_id && q.prog_id == ld->xdp_prog_id;
	}
	return 0;
}

void baton_loader_free(struct baton_loader *ld)
{
	if (!ld)
		return;
	if (ld->be_stats)
		munmap(ld->be_stats, ld->be_stats_len);
	ld->be_stats = NULL;
	baton__destroy(ld->skel);
	ld->skel = NULL;
	if (ld->lock_fd > 0)
		close(ld->lock_fd);
	ld->lock_fd = -1;
}

/* ---- removal (batond --detach-all) --------------------------------------- */

#define REMOVE_MAX_MAPS 64

/* Whether the program of id uses one of the maps ids[0..n), or, with no
 * maps (nothing pinned), whether it is called name. */
static bool prog_is_ours(uint32_t id, const uint32_t *ids, size_t n,
			 const char *name)
{
	uint32_t maps[REMOVE_MAX_MAPS];
	struct bpf_prog_info info = {
		.nr_map_ids = REMOVE_MAX_MAPS,
		.map_ids = (__u64)(unsigned long)maps,
	};
	__u32 len = sizeof(info);
	bool ours = false;
	int fd;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return false;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return false;
	}
	close(fd);
	if (!n)
		return name && !strcmp(info.name, name);
	for (uint32_t i = 0; i < info.nr_map_ids && i < REMOVE_MAX_MAPS; i++)
		for (size_t j = 0; j < n && !ours; j++)
			ours = maps[i] == ids[j];
	return ours;
}

/* One interface's TC filter and XDP program, if ours. 0 or -errno. */
static int remove_iface(const struct baton_config *cfg, const char *ifname,
			int ifindex, const uint32_t *ids, size_t n,
			struct baton_remove_report *r)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	bool by_name = !n && find_cfg(cfg, ifname);
	uint32_t id;
	int ret = 0, fd, rc;

	if (!n && !by_name)
		return 0;
	/* Most interfaces have no clsact: no need to log the kernel's
	 * "Parent Qdisc doesn't exists" for each. */
	baton_log_libbpf_quiet(1);
	id = tc_query(ifindex);
	baton_log_libbpf_quiet(0);
	if (id && prog_is_ours(id, ids, n, "tc_packet_func")) {
		ret = tc_detach_filter(ifname, ifindex, id);
		if (!ret)
			r->tc++;
	}
	if (bpf_xdp_query(ifindex, 0, &q) || !q.prog_id ||
	    !prog_is_ours(q.prog_id, ids, n, "xdp_packet_func"))
		return ret;
	if (q.attach_mode != XDP_ATTACHED_DRV &&
	    q.attach_mode != XDP_ATTACHED_SKB) {
		log_err(SUB, "%s: xdp prog %u in attach mode %u: left", ifname,
			q.prog_id, q.attach_mode);
		return ret ? ret : -EOPNOTSUPP;
	}
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0)
		return ret;		/* gone meanwhile */
	rc = xdp_detach_prog(ifname, ifindex,
			     q.attach_mode == XDP_ATTACHED_DRV
				     ? XDP_FLAGS_DRV_MODE
				     : XDP_FLAGS_SKB_MODE,
			     fd);
	close(fd);
	if (rc)
		return ret ? ret : rc;
	r->xdp++;
	return ret;
}

int baton_loader_remove(const struct baton_config *cfg,
			void (*armed)(void *arg), void *arg,
			struct baton_remove_report *r, char *err,
			size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts,
		    .pin_root_path = cfg->pin_path);
	uint32_t ids[REMOVE_MAX_MAPS];
	struct if_nameindex *ifs = NULL;
	struct bpf_map *map;
	struct baton *skel;
	size_t n = 0;
	int lock_fd = -1, ret = 0, rc;

	memset(r, 0, sizeof(*r));
	/* The map names (and pin paths) this batond pins, from the object;
	 * nothing is loaded. */
	skel = baton__open_opts(&oopts);
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "open BPF object: %s", strerror(errno));
		return ret;
	}
	if (is_bpffs(cfg->pin_path)) {
		lock_fd = open(cfg->pin_path,
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lock_fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "pin dir %s: %s", cfg->pin_path,
				 strerror(errno));
			goto out;
		}
		if (flock(lock_fd, LOCK_EX | LOCK_NB)) {
			ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
			snprintf(err, errlen, "pin dir %s: %s", cfg->pin_path,
				 ret == -EBUSY ? "a batond is running on it; "
						 "stop it first"
					       : strerror(-ret));
			goto out;
		}
		bpf_object__for_each_map(map, skel->obj) {
			const char *path = bpf_map__pin_path(map);
			struct bpf_map_info info;

			if (path && !pinned_map_info(path, &info) &&
			    n < REMOVE_MAX_MAPS)
				ids[n++] = info.id;
		}
	}

	if (armed)
		armed(arg);
	/* Programs first: a map pinned no more is still theirs until they
	 * go, and a program without its maps would be worse than either. */
	ifs = if_nameindex();
	if (!ifs) {
		ret = -errno;
		snprintf(err, errlen, "list interfaces: %s", strerror(errno));
		goto out;
	}
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		rc = remove_iface(cfg, i->if_name, (int)i->if_index, ids, n,
				  r);
		if (rc && !ret)
			ret = rc;
	}
	if_freenameindex(ifs);
	if (ret) {
		snprintf(err, errlen, "some programs could not be detached; "
			 "maps left pinned under %s", cfg->pin_path);
		goto out;
	}

	if (lock_fd < 0)
		goto out;	/* nothing pinned */
	bpf_object__for_each_map(map, skel->obj) {
		const char *path = bpf_map__pin_path(map);

		if (!path)
			continue;
		if (!unlink(path)) {
			r->maps++;
		} else if (errno != ENOENT) {
			rc = -errno;
			log_err(SUB, "unpin %s: %s", path, strerror(errno));
			if (!ret)
				ret = rc;
		}
	}
	if (!rmdir(cfg->pin_path)) {
		r->dir = true;
	} else if (errno == ENOTEMPTY || errno == EEXIST) {
		DIR *dir = opendir(cfg->pin_path);
		struct dirent *e;

		while (dir && (e = readdir(dir))) {
			if (e->d_name[0] == '.')
				continue;
			log_warn(SUB, "%s/%s is not a Baton map: left",
				 cfg->pin_path, e->d_name);
			r->left++;
		}
		if (dir)
			closedir(dir);
	} else {
		rc = -errno;
		log_err(SUB, "remove %s: %s", cfg->pin_path, strerror(errno));
		if (!ret)
			ret = rc;
	}
	if (ret)
		snprintf(err, errlen, "some pins under %s could not be removed",
			 cfg->pin_path);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	baton__destroy(skel);
	return ret;
}
