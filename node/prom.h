/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * prom.h - batond's state as Prometheus metrics (node.metrics, default
 * 127.0.0.1:9477, served by metrics.h): per service and backend packets,
 * bytes, active flows, flows, new flows a second, weight and health;
 * conntrack entries and capacity; the datapath's counters and drop
 * reasons; the GC, reloads and events; sync per peer and HA when
 * configured. The names are in README.md, "Operating".
 *
 * Packets and bytes per backend are the counters of its live conntrack
 * entries (read at each scrape) plus those of its entries already gone
 * (added up as the GC, a flush or a reset deletes them), so the datapath
 * counts nothing extra per packet. They start over with batond.
 */
#ifndef BATON_PROM_H
#define BATON_PROM_H

#include <stddef.h>

#include "../bpf/baton.h"

struct batond;
struct baton_prom;

/* Serve d's metrics if d->cfg.metrics_port. NULL with err on failure
 * (errno-like: a port in use is a configuration error). */
struct baton_prom *baton_prom_start(struct batond *d, char *err,
				    size_t errlen);
void baton_prom_stop(struct baton_prom *p);
/* An entry went away (GC, flush, reset): keep its counters. NULL ok. */
void baton_prom_on_deleted(struct baton_prom *p, const struct ct_v4_entry *e);

#endif /* BATON_PROM_H */
