/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * health.h - backend health checks on batond's loop.
 *
 * Every backend of a service with a health: section (config.h) is probed
 * from this node every interval_ms: a TCP connect, an HTTP GET whose status
 * must be in range, or a UDP datagram that must be answered (an ICMP port
 * unreachable, a wrong answer or silence until timeout_ms fail it). One
 * probe per backend is in flight at a time; the first probe of a new
 * backend starts within min(interval, 1 s), spread over that time.
 *
 * State changes follow hcstate.h and are reported to the owner's callback,
 * which takes the backend out of selection or puts it back (batond:
 * a services apply, node/services.h). If the callback fails, the state is
 * left as it was and the next probe reports the change again.
 *
 * Reconfiguration keeps a backend's state while it stays in its service,
 * even if the probe changes (its counts start over); a backend new to a
 * service starts up, or down if the config says so (be->down, which batond
 * sets from what a previous batond left in the datapath).
 */
#ifndef BATON_HEALTH_H
#define BATON_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "config.h"

/* A probed backend: the service and the backend endpoint, host order. */
struct baton_hc_id {
	uint32_t vip;
	uint16_t vport;
	uint8_t proto;
	uint32_t addr;
	uint16_t port;
};

struct baton_hc_status {
	bool up;
	uint32_t ok_run;	/* good probes in a row */
	uint32_t fail_run;	/* failed probes in a row */
	uint64_t probes;	/* probes finished */
	uint64_t failures;	/* ... of which failed */
	uint64_t changes;	/* up/down transitions applied */
	int64_t changed_at;	/* wall clock of the last one, 0 if none */
	uint32_t last_ms;	/* duration of the last probe */
	char last_error[96];	/* why the last failed probe failed */
};

/* Return 0 once the backend is in (up) or out of (down) selection. */
typedef int (*baton_health_fn)(void *arg, const struct baton_hc_id *id,
			       bool up, const char *why);

struct baton_health;

/* NULL with errno on failure. */
struct baton_health *baton_health_init(uv_loop_t *loop, baton_health_fn fn,
				       void *arg);
/* Probe what cfg says (see above). 0 or -ENOMEM (then nothing changed). */
int baton_health_configure(struct baton_health *h,
			   const struct baton_config *cfg);
/* The backend's probe status, or NULL if it is not probed. */
const struct baton_hc_status *baton_health_get(const struct baton_health *h,
					       const struct baton_hc_id *id);
/* Backends probed, and how many of them are down. */
void baton_health_count(const struct baton_health *h, uint32_t *probed,
			uint32_t *down);
/* Stops every probe; memory goes once the handles are closed. NULL ok. */
void baton_health_free(struct baton_health *h);

#endif /* BATON_HEALTH_H */
