/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * batond.h - the daemon's state, shared by batond.c (life cycle, signals,
 * reload) and api.c (control socket commands).
 */
#ifndef BATON_BATOND_H
#define BATON_BATOND_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <uv.h>

#include "config.h"
#include "ct.h"
#include "ctl.h"
#include "events.h"
#include "health.h"
#include "prom.h"
#include "reset.h"
#include "loader.h"
#include "services.h"
#include "../sync/sync.h"
#include "../ha/ha.h"

struct batond {
	uv_loop_t *loop;
	struct baton_config cfg;	/* what is running */
	bool keep_datapath_arg;		/* --keep-datapath */
	uint32_t epoch;			/* written to baton_cfg[0] */
	time_t started_wall;
	uint64_t started_ns;		/* CLOCK_MONOTONIC */

	struct baton_loader ld;
	struct baton_services *svcs;
	struct baton_ct_gc *gc;
	struct baton_events *ev;
	struct baton_ctl *ctl;
	struct baton_sync *sync;	/* NULL without a sync: section */
	struct baton_ha *ha;		/* NULL without an ha: section */
	struct baton_health *health;	/* backend probes */
	struct baton_reset *reset;	/* health.on_down: reset */
	struct baton_prom *prom;	/* Prometheus metrics (prom.h) */

	uv_signal_t sig_term;
	uv_signal_t sig_int;
	uv_signal_t sig_hup;
	bool privs_dropped;		/* privs.h: capabilities given up */
	bool signals_on;		/* the three handles are initialised */
	bool stopping;
	uint64_t reloads;
	uint64_t reloads_failed;
};

/*
 * A live change of services: validate *next (a modified copy of d->cfg)
 * and program it. On success d->cfg becomes *next (ownership moves, *next
 * is zeroed); on failure *next is freed and nothing changed.
 */
int batond_apply_services(struct batond *d, struct baton_config *next,
			  char *err, size_t errlen);

/* The HA role as numbers (api.c): counters, ready, track, a 0/1 gauge per
 * keepalived state. New reference; JSON null without ha:. */
json_t *baton_api_ha_metrics(const struct baton_ha *h);

/* The control socket's request handler (api.c); arg is struct batond. */
int baton_api_handle(void *arg, json_t *req, json_t **data, char *err,
		     size_t errlen);

#endif /* BATON_BATOND_H */
