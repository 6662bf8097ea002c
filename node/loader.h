/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * loader.h - the datapath's life in the kernel: bpffs and the pin
 * directory, opening and loading the skeleton with every map pinned by name
 * under the configured pin path (a restart reuses them), the tail-call table
 * and baton_cfg, and the TC/XDP attachments on the configured interfaces.
 *
 * Attach contract: TC is one filter at clsact ingress, handle 1 priority 1,
 * attached with replace so a new batond atomically takes over from the old
 * one; XDP replaces whatever program is there. Detach only removes programs
 * this loader attached (it checks program ids), so a newer batond's filter
 * is never removed by an older one exiting.
 */
#ifndef BATON_LOADER_H
#define BATON_LOADER_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct baton;

struct baton_iface_state {
	char name[IF_NAMESIZE];
	int ifindex;
	uint8_t xdp;		/* enum baton_xdp_mode it was attached with */
	bool tc_attached;
	bool xdp_attached;
};

/* What the kernel says about one interface (for status). */
struct baton_iface_status {
	int ifindex;		/* 0: interface gone */
	uint32_t tc_prog_id;	/* at ingress handle 1 prio 1; 0 if none */
	bool tc_ours;
	uint32_t xdp_prog_id;
	uint8_t xdp_attach_mode; /* XDP_ATTACHED_* */
	bool xdp_ours;
};

struct baton_loader {
	struct baton *skel;
	char pin_path[PATH_MAX];
	bool reused;		/* maps were already pinned: a restart */
	int lock_fd;		/* the pin dir, flock'ed: one batond per dir */
	uint32_t ct_max;

	int ct_fd;
	int nat_fd;
	int snat_fd;
	int rnat_fd;
	int reset_fd;		/* be_reset_map */
	int lb_fd;
	int be_stats_fd;
	int pkt_stats_fd;
	int drop_stats_fd;
	int cfg_fd;
	int revive_fd;		/* ct_v4_revive */
	int events_fd;

	/* be_stats_map, mmapped (BPF_F_MMAPABLE) for atomic updates. */
	struct be_stats *be_stats;
	size_t be_stats_len;

	uint32_t tc_prog_id;
	uint32_t xdp_prog_id;

	size_t nifaces;
	struct baton_iface_state ifaces[BATON_MAX_IFACES];
};

/*
 * Mount bpffs if needed, create and lock the pin dir (-EBUSY if another
 * batond holds it), open and load the skeleton
 * reusing pinned maps, set ct_v4_map's size, fill pgm_tbl, mmap
 * be_stats_map. Attaches nothing. 0 or -errno, err filled.
 */
int baton_loader_init(struct baton_loader *ld, const struct baton_config *cfg,
		      char *err, size_t errlen);

/*
 * fullNAT source-port share of this node: the cluster is this node and its
 * sync peers; slot is the rank of node_id among their ids, slots their
 * number (1 of 1 without sync). Every node of a cluster must list the same
 * nodes for the shares not to overlap.
 */
void baton_loader_snat_slots(const struct baton_config *cfg, uint16_t *slot,
			     uint16_t *slots);

/* baton_cfg[0] = {node_id, epoch, hash_seed, snat share, flags} from cfg;
 * BATON_CFG_F_RESET is kept as it is. */
int baton_loader_write_cfg(struct baton_loader *ld,
			   const struct baton_config *cfg, uint32_t epoch);
/* ct_v4_revive[0] from cfg (baton_ct_revive_from_config). 0 or -errno. */
int baton_loader_write_revive(struct baton_loader *ld,
			      const struct baton_config *cfg);
/* Set or clear one BATON_CFG_F_* bit of baton_cfg[0]. 0 or -errno. */
int baton_loader_cfg_flag(struct baton_loader *ld, uint32_t flag, bool on);

/* 0 if every interface in cfg exists, else -ENODEV with err. */
int baton_loader_check_ifaces(const struct baton_config *cfg, char *err,
			      size_t errlen);

/*
 * Make the attachments match cfg->ifaces: attach new interfaces, re-attach
 * XDP whose mode changed, detach interfaces no longer configured. On error
 * the previous attachments are restored as far as the kernel allows.
 */
int baton_loader_attach(struct baton_loader *ld,
			const struct baton_config *cfg, char *err,
			size_t errlen);

/* Detach everything this loader attached. */
void baton_loader_detach_all(struct baton_loader *ld);

/* Unpin every map and remove the pin dir. 0 or -errno. */
int baton_loader_unpin(struct baton_loader *ld);

int baton_loader_iface_status(struct baton_loader *ld, const char *name,
			      struct baton_iface_status *st);

/* What baton_loader_remove() took away. */
struct baton_remove_report {
	unsigned int tc, xdp;	/* programs detached */
	unsigned int maps;	/* pins removed */
	bool dir;		/* the pin dir removed */
	unsigned int left;	/* pin dir entries that are not Baton maps */
};

/*
 * Take away the datapath a batond left behind (keep_datapath, kill -9),
 * with no batond running: every TC ingress filter (handle 1 prio 1) and
 * XDP program in this network namespace that uses a map pinned under
 * cfg->pin_path (with nothing pinned: Baton's programs, by name, on the
 * configured interfaces), then those pins and the pin dir.
 * -EBUSY, with nothing done, if a batond holds the pin dir or answers on
 * cfg->ctl_path; otherwise armed(arg) is called before anything is
 * removed. Other errors are logged, the first one returned; what can be
 * removed still is (maps only once every program is gone).
 */
int baton_loader_remove(const struct baton_config *cfg,
			void (*armed)(void *arg), void *arg,
			struct baton_remove_report *r, char *err,
			size_t errlen);

/* munmap, destroy the skeleton (programs stay attached, maps pinned). */
void baton_loader_free(struct baton_loader *ld);

#endif /* BATON_LOADER_H */
