/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * services.h - programs nat_v4_map and lb_v4_map from a configuration.
 *
 * Contract:
 *  - A service keeps its id (0..BATON_MAX_SERVICES-1) for as long as it is
 *    configured, across reloads and batond restarts; a backend keeps its id
 *    within its service the same way (backends are matched by addr:port).
 *  - An id is given out again only if be_stats_map says no counted flow
 *    still names it (active == 0); never-held ids are preferred, so in
 *    practice an id is not reused within a daemon's life until the others
 *    are exhausted.
 *  - baton_services_apply() is all-or-nothing: every table is built and
 *    checked in memory, written only into inactive slots, then each changed
 *    service flips to its new slot with one nat_v4_map update. If a write
 *    fails, entries already flipped are flipped back and removed services
 *    re-inserted; the previous tables were never touched, so packets see the
 *    old state again. A service whose backends, weights, mode, algorithm,
 *    snat and seed are unchanged is not written at all.
 *  - snat_v4_map holds the fullNAT source addresses of the services in
 *    force: an address is added before the first service that uses it
 *    flips in (and removed again if the apply fails), and removed after
 *    the last one is gone.
 *  - rnat_v4_map holds the backend endpoints of the DNAT services in force
 *    (struct rnat_v4_val), refreshed after every commit.
 *  - be_reset_map is non-zero exactly for the backends that are down in a
 *    service with health.on_down: reset, written after every commit.
 *  - baton_services_recover() reads what a previous batond left in the
 *    pinned maps (ids, active slot, generation, backends), so a restart with
 *    the same configuration writes nothing.
 */
#ifndef BATON_SERVICES_H
#define BATON_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct baton_svc_be {
	bool present;
	uint32_t addr;		/* host order */
	uint16_t port;		/* host order */
	uint32_t weight;
	bool down;		/* health check failed: not selectable */
	bool reset;		/* down with health.on_down: reset: its TCP
				 * flows are reset (be_reset_map) */
};

struct baton_svc_retired {
	uint32_t addr;		/* host order */
	uint16_t port;		/* host order */
	uint16_t be_id;		/* the id it had (its flows' entries name it) */
};

struct baton_svc_state {
	bool present;
	uint32_t vip;		/* host order */
	uint16_t port;
	uint8_t proto;
	struct nat_v4_svc val;	/* as written in nat_v4_map */
	struct baton_svc_be be[BATON_MAX_BACKENDS];
	uint64_t be_held;	/* bit per backend id held in this life */
	/* Endpoints that left the service while it lives, newest last: their
	 * flows still answer, and behind ECMP a node without the flow's entry
	 * de-NATs those answers through rnat_v4_map. */
	struct baton_svc_retired retired[BATON_MAX_BACKENDS];
	uint8_t nretired;
};

struct baton_services {
	int nat_fd;
	int lb_fd;
	int snat_fd;			/* snat_v4_map */
	int rnat_fd;			/* rnat_v4_map */
	int reset_fd;			/* be_reset_map */
	struct be_stats *be_stats;	/* mmapped be_stats_map, or NULL */
	uint32_t hash_seed;		/* seed the maglev tables were built with */
	struct baton_svc_state svc[BATON_MAX_SERVICES];
	uint8_t svc_held[BATON_MAX_SERVICES / 8];
};

/* Allocates; NULL with errno on failure. be_stats may be NULL. */
struct baton_services *baton_services_init(int nat_fd, int lb_fd,
					  int snat_fd, int rnat_fd,
					  int reset_fd,
					  struct be_stats *be_stats);
void baton_services_free(struct baton_services *s);

/* Read the maps (a restart); hash_seed is what the datapath held before
 * this batond started (baton_cfg[0].hash_seed). 0 or -errno. */
int baton_services_recover(struct baton_services *s, uint32_t hash_seed);

/* Make the maps match cfg->services. 0 or -errno with err. */
int baton_services_apply(struct baton_services *s,
			 const struct baton_config *cfg, char *err,
			 size_t errlen);

/* After baton_services_recover(): mark down in cfg the backends of
 * services with health checks that the pinned tables hold as down (a
 * previous batond's verdict stands until the probes say otherwise). */
void baton_services_seed_down(const struct baton_services *s,
			      struct baton_config *cfg);

/* Whether some backend's flows are being reset (BATON_CFG_F_RESET). */
bool baton_services_resetting(const struct baton_services *s);

/* Service id of (vip, port, proto), host order; -ENOENT if absent. */
int baton_services_find(const struct baton_services *s, uint32_t vip,
			uint16_t port, uint8_t proto);
/* Backend id within svc_id of addr:port; -ENOENT if absent. */
int baton_services_find_be(const struct baton_services *s, int svc_id,
			   uint32_t addr, uint16_t port);

#endif /* BATON_SERVICES_H */
