// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* prom.c - see prom.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batond.h"
#include "log.h"
#include "metrics.h"
#include "stats.h"
#include "svcspec.h"

#define RATE_WINDOW_S 10	/* new flows/s: averaged over this */
#define NBE (BATON_MAX_SERVICES * BATON_MAX_BACKENDS)

struct baton_prom {
	struct batond *d;
	struct baton_metrics *srv;
	uint64_t (*gone)[2];		/* packets, bytes of deleted entries */
	uv_timer_t tick;		/* samples flows for the rate */
	bool tick_open;
	unsigned int ring_pos, ring_len;
	uint64_t ring[RATE_WINDOW_S + 1][BATON_MAX_SERVICES];
};

/* ---- flows a second ---------------------------------------------------- */

static uint64_t svc_flows(const struct batond *d, unsigned int svc_id)
{
	uint64_t n = 0;

	for (unsigned int b = 0; d->ld.be_stats && b < BATON_MAX_BACKENDS; b++)
		n += __atomic_load_n(
			&d->ld.be_stats[baton_be_index(svc_id, b)].flows,
			__ATOMIC_RELAXED);
	return n;
}

static void on_tick(uv_timer_t *t)
{
	struct baton_prom *p = t->data;

	p->ring_pos = (p->ring_pos + 1) % (RATE_WINDOW_S + 1);
	for (unsigned int s = 0; s < BATON_MAX_SERVICES; s++)
		p->ring[p->ring_pos][s] = p->d->svcs->svc[s].present ?
					  svc_flows(p->d, s) : 0;
	if (p->ring_len < RATE_WINDOW_S + 1)
		p->ring_len++;
}

/* New flows a second of svc_id over the last (up to) RATE_WINDOW_S s. A
 * counter that went back (an id given to a new service) reads 0. */
static double svc_rate(const struct baton_prom *p, unsigned int svc_id)
{
	unsigned int span = p->ring_len ? p->ring_len - 1 : 0;
	unsigned int old = (p->ring_pos + RATE_WINDOW_S + 1 - span) %
			   (RATE_WINDOW_S + 1);
	uint64_t now = p->ring[p->ring_pos][svc_id],
		 then = p->ring[old][svc_id];

	if (!span || now < then)
		return 0;
	return (double)(now - then) / span;
}

/* ---- rendering --------------------------------------------------------- */

static void help(struct baton_text *t, const char *name, const char *type,
		 const char *text)
{
	baton_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, text, name,
			  type);
}

struct live {
	uint64_t (*sum)[2];	/* packets, bytes of live entries */
	long entries;
};

static int add_live(const struct ct_v4_key *k, const struct ct_v4_entry *e,
		    void *arg)
{
	struct live *l = arg;

	(void)k;
	l->entries++;
	if (l->sum && e->svc_id < BATON_MAX_SERVICES &&
	    e->be_id < BATON_MAX_BACKENDS) {
		l->sum[baton_be_index(e->svc_id, e->be_id)][0] += e->packets;
		l->sum[baton_be_index(e->svc_id, e->be_id)][1] += e->bytes;
	}
	return 0;
}

/* The per-backend families, in the order rows carry their values. */
enum { BM_UP, BM_WEIGHT, BM_ACTIVE, BM_FLOWS, BM_PACKETS, BM_BYTES,
       BM_PROBES, BM_FAILURES, BM_CHANGES, BM_MAX };

static const struct {
	const char *name, *type, *help;
} be_metrics[BM_MAX] = {
	[BM_UP] = { "baton_backend_up", "gauge", "1 if its health check "
		    "passes (services with health: only)" },
	[BM_WEIGHT] = { "baton_backend_weight", "gauge", "configured weight "
			"(0: drained)" },
	[BM_ACTIVE] = { "baton_backend_active_flows", "gauge", "open flows" },
	[BM_FLOWS] = { "baton_backend_flows_total", "counter",
		       "flows assigned" },
	[BM_PACKETS] = { "baton_backend_packets_total", "counter", "packets "
			 "of its flows, both directions" },
	[BM_BYTES] = { "baton_backend_bytes_total", "counter", "bytes of its "
		       "flows, both directions" },
	[BM_PROBES] = { "baton_backend_health_probes_total", "counter",
			"health probes done" },
	[BM_FAILURES] = { "baton_backend_health_failures_total", "counter",
			  "health probes failed" },
	[BM_CHANGES] = { "baton_backend_health_changes_total", "counter",
			 "times it went down or came back" },
};

struct be_row {
	char labels[2 * BATON_SPEC_STRLEN + 32];
	unsigned int has;	/* bit per BM_* with a value */
	uint64_t v[BM_MAX];
};

/* One row per configured backend: its labels and every value it has. */
static void be_row(struct baton_prom *p, const struct baton_service_cfg *sc,
		   int svc_id, const struct baton_backend_cfg *be,
		   uint64_t (*live)[2], struct be_row *r)
{
	struct baton_hc_id hid = {
		.vip = sc->vip, .vport = sc->port, .proto = sc->proto,
		.addr = be->addr, .port = be->port,
	};
	const struct baton_hc_status *hs = baton_health_get(p->d->health,
							     &hid);
	int bid = baton_services_find_be(p->d->svcs, svc_id, be->addr,
					 be->port);
	char sn[BATON_SPEC_STRLEN], bn[BATON_SPEC_STRLEN];

	snprintf(r->labels, sizeof(r->labels),
		 "{service=\"%s\",backend=\"%s\"}",
		 baton_svc_spec_str(sc->vip, sc->port, sc->proto, sn),
		 baton_be_spec_str(be->addr, be->port, bn));
	memset(r->v, 0, sizeof(r->v));
	r->has = 1u << BM_WEIGHT | 1u << BM_ACTIVE | 1u << BM_FLOWS |
		 1u << BM_PACKETS | 1u << BM_BYTES;
	r->v[BM_WEIGHT] = be->weight;
	if (sc->health.type != BATON_HC_NONE) {
		r->has |= 1u << BM_UP;
		r->v[BM_UP] = hs ? hs->up : !be->down;
	}
	if (hs) {
		r->has |= 1u << BM_PROBES | 1u << BM_FAILURES |
			  1u << BM_CHANGES;
		r->v[BM_PROBES] = hs->probes;
		r->v[BM_FAILURES] = hs->failures;
		r->v[BM_CHANGES] = hs->changes;
	}
	if (bid >= 0) {
		unsigned int idx = baton_be_index(svc_id, bid);

		if (p->d->ld.be_stats) {
			const struct be_stats *bs = &p->d->ld.be_stats[idx];

			r->v[BM_ACTIVE] = __atomic_load_n(&bs->active,
							  __ATOMIC_RELAXED);
			r->v[BM_FLOWS] = __atomic_load_n(&bs->flows,
							 __ATOMIC_RELAXED);
		}
		for (int i = 0; i < 2; i++)
			r->v[BM_PACKETS + i] = p->gone[idx][i] +
					       (live ? live[idx][i] : 0);
	}
}

static void render_backends(struct baton_prom *p, struct baton_text *t,
			    uint64_t (*live)[2])
{
	const struct baton_config *cfg = &p->d->cfg;
	struct be_row *rows;
	size_t n = 0;

	for (size_t i = 0; i < cfg->nservices; i++)
		n += cfg->services[i].nbackends;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		t->oom = true;
		return;
	}
	n = 0;
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct baton_service_cfg *sc = &cfg->services[i];
		int id = baton_services_find(p->d->svcs, sc->vip, sc->port,
					     sc->proto);

		for (size_t b = 0; b < sc->nbackends; b++)
			be_row(p, sc, id, &sc->backends[b], live, &rows[n++]);
	}
	for (int k = 0; k < BM_MAX; k++) {
		help(t, be_metrics[k].name, be_metrics[k].type,
		     be_metrics[k].help);
		for (size_t r = 0; r < n; r++)
			if (rows[r].has & (1u << k))
				baton_text_printf(t, "%s%s %" PRIu64 "\n",
						  be_metrics[k].name,
						  rows[r].labels, rows[r].v[k]);
	}
	free(rows);
}

static void render_services(struct baton_prom *p, struct baton_text *t)
{
	const struct baton_config *cfg = &p->d->cfg;

	help(t, "baton_service_new_flows_per_second", "gauge",
	     "new flows a second over the last 10 s");
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct baton_service_cfg *sc = &cfg->services[i];
		int id = baton_services_find(p->d->svcs, sc->vip, sc->port,
					     sc->proto);
		char sn[BATON_SPEC_STRLEN];

		baton_svc_spec_str(sc->vip, sc->port, sc->proto, sn);
		baton_text_printf(t, "baton_service_new_flows_per_second"
				  "{service=\"%s\",mode=\"%s\"} %.1f\n", sn,
				  baton_mode_str(sc->mode),
				  id >= 0 ? svc_rate(p, (unsigned int)id) : 0);
	}
}

static void render_datapath(struct baton_prom *p, struct baton_text *t,
			    long entries)
{
	uint64_t st[ST_MAX], dr[DROP_MAX];
	struct batond *d = p->d;

	help(t, "baton_conntrack_entries", "gauge", "entries in ct_v4_map "
	     "(two per NAT flow, one per DSR flow)");
	baton_text_printf(t, "baton_conntrack_entries %ld\n", entries);
	help(t, "baton_conntrack_capacity", "gauge", "ct_v4_map size");
	baton_text_printf(t, "baton_conntrack_capacity %u\n", d->ld.ct_max);
	if (!baton_stats_sum(d->ld.pkt_stats_fd, st, ST_MAX)) {
		help(t, "baton_datapath_packets_total", "counter",
		     "datapath counters (bpf/baton.h enum baton_stat)");
		for (unsigned int i = 0; i < ST_MAX; i++)
			baton_text_printf(t, "baton_datapath_packets_total"
					  "{counter=\"%s\"} %" PRIu64 "\n",
					  baton_stat_name(i), st[i]);
	}
	if (!baton_stats_sum(d->ld.drop_stats_fd, dr, DROP_MAX)) {
		help(t, "baton_datapath_drops_total", "counter",
		     "packets dropped, by reason (enum baton_drop)");
		for (unsigned int i = 0; i < DROP_MAX; i++)
			if (baton_drop_name(i))
				baton_text_printf(t, "baton_datapath_drops_total"
						  "{reason=\"%s\"} %" PRIu64
						  "\n", baton_drop_name(i),
						  dr[i]);
	}
}

static void render_daemon(struct baton_prom *p, struct baton_text *t)
{
	struct batond *d = p->d;
	struct baton_events_counts evc;
	struct baton_reset_counts rc;
	struct baton_ct_gc_totals gct;
	uint32_t probed, down;

	help(t, "baton_info", "gauge", "this batond");
	baton_text_printf(t, "baton_info{node_id=\"%u\",epoch=\"%u\"} 1\n",
			  d->cfg.node_id, d->epoch);
	help(t, "baton_start_time_seconds", "gauge", "when batond started");
	baton_text_printf(t, "baton_start_time_seconds %lld\n",
			  (long long)d->started_wall);
	help(t, "baton_reloads_total", "counter", "SIGHUP reloads");
	baton_text_printf(t, "baton_reloads_total{result=\"ok\"} %" PRIu64
			  "\nbaton_reloads_total{result=\"failed\"} %" PRIu64
			  "\n", d->reloads - d->reloads_failed,
			  d->reloads_failed);
	baton_ct_gc_totals(d->gc, &gct);
	help(t, "baton_ct_gc_passes_total", "counter", "conntrack GC passes");
	baton_text_printf(t, "baton_ct_gc_passes_total %" PRIu64 "\n",
			  gct.passes);
	help(t, "baton_ct_gc_pressure_passes_total", "counter",
	     "conntrack GC passes under pressure");
	baton_text_printf(t, "baton_ct_gc_pressure_passes_total %" PRIu64 "\n",
			  gct.pressure_passes);
	help(t, "baton_ct_gc_expired_total", "counter", "flows expired");
	baton_text_printf(t, "baton_ct_gc_expired_total %" PRIu64 "\n",
			  gct.total.expired);
	help(t, "baton_ct_gc_expired_half_open_total", "counter",
	     "flows expired before their handshake completed");
	baton_text_printf(t, "baton_ct_gc_expired_half_open_total %" PRIu64
			  "\n", gct.total.half_open);
	help(t, "baton_ct_gc_pressure", "gauge",
	     "1 while the table is under pressure (half-open entries age fast)");
	baton_text_printf(t, "baton_ct_gc_pressure %d\n", gct.pressure ? 1 : 0);
	help(t, "baton_ct_gc_last_pass_seconds", "gauge", "the last pass");
	baton_text_printf(t, "baton_ct_gc_last_pass_seconds %.6f\n",
			  gct.last_pass_us / 1e6);
	baton_events_counts(d->ev, &evc);
	help(t, "baton_ct_events_total", "counter", "datapath events read");
	for (unsigned int i = 1; i < CT_EV_MAX; i++)
		baton_text_printf(t, "baton_ct_events_total{type=\"%s\"} %"
				  PRIu64 "\n", baton_event_type_name(i),
				  evc.by_type[i]);
	help(t, "baton_ct_event_reads_total", "counter",
	     "reads of the event ring; deferred: waited to coalesce");
	baton_text_printf(t, "baton_ct_event_reads_total{deferred=\"no\"} %"
			  PRIu64 "\nbaton_ct_event_reads_total{deferred=\"yes\"} %"
			  PRIu64 "\n", evc.reads - evc.deferred, evc.deferred);
	baton_health_count(d->health, &probed, &down);
	help(t, "baton_health_backends", "gauge", "backends probed, by state");
	baton_text_printf(t, "baton_health_backends{state=\"up\"} %u\n"
			  "baton_health_backends{state=\"down\"} %u\n",
			  probed - down, down);
	baton_reset_get_counts(d->reset, &rc);
	help(t, "baton_health_resets_total", "counter", "on_down: reset "
	     "work: backends, tickled flows, deleted UDP/ICMP entries, "
	     "segments answered, RSTs sent, send errors");
	baton_text_printf(t, "baton_health_resets_total{what=\"backends\"} %"
			  PRIu64 "\nbaton_health_resets_total{what=\"tickled\"}"
			  " %" PRIu64 "\nbaton_health_resets_total{what="
			  "\"deleted\"} %" PRIu64 "\nbaton_health_resets_total"
			  "{what=\"segments\"} %" PRIu64 "\nbaton_health_"
			  "resets_total{what=\"rsts\"} %" PRIu64 "\nbaton_"
			  "health_resets_total{what=\"errors\"} %" PRIu64 "\n",
			  rc.backends, rc.tickled, rc.deleted, rc.segments,
			  rc.rsts, rc.errors);
}

/* Every number in a JSON object as "PREFIX_KEY{LABELS} VALUE" (booleans
 * 0/1), one level deep. */
static void json_numbers(struct baton_text *t, const char *prefix,
			 const char *labels, json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		double x;

		if (json_is_integer(v))
			x = (double)json_integer_value(v);
		else if (json_is_real(v))
			x = json_real_value(v);
		else if (json_is_boolean(v))
			x = json_is_true(v);
		else
			continue;
		baton_text_printf(t, "%s_%s%s %.17g\n", prefix, k, labels, x);
	}
}

static void render_sync_ha(struct baton_prom *p, struct baton_text *t)
{
	struct batond *d = p->d;
	json_t *st, *peer;
	size_t i;

	if (d->sync) {
		char labels[48];

		st = baton_sync_status(d->sync);
		baton_text_printf(t, "# conntrack replication (batonctl "
				  "sync status)\n");
		json_numbers(t, "baton_sync", "", st);
		json_array_foreach(json_object_get(st, "peers"), i, peer) {
			snprintf(labels, sizeof(labels), "{peer=\"%" JSON_INTEGER_FORMAT "\"}",
				 json_integer_value(json_object_get(peer,
								    "id")));
			json_numbers(t, "baton_sync_peer", labels, peer);
		}
		json_decref(st);
	}
	if (d->ha) {
		st = baton_api_ha_metrics(d->ha);
		baton_text_printf(t, "# HA role and counters (batonctl ha "
				  "status)\n");
		json_numbers(t, "baton_ha", "", st);
		json_decref(st);
	}
}

static void render(void *arg, struct baton_text *t)
{
	struct baton_prom *p = arg;
	struct live l = { .sum = calloc(NBE, sizeof(*l.sum)) };

	/* One walk: the entry count and the live entries' counters. */
	if (baton_ct_foreach(p->d->ld.ct_fd, add_live, &l))
		l.entries = -1;
	render_daemon(p, t);
	render_datapath(p, t, l.entries);
	render_services(p, t);
	render_backends(p, t, l.sum);
	render_sync_ha(p, t);
	free(l.sum);
}

/* ---- life -------------------------------------------------------------- */

struct baton_prom *baton_prom_start(struct batond *d, char *err,
				    size_t errlen)
{
	struct baton_prom *p = calloc(1, sizeof(*p));

	if (p)
		p->gone = calloc(NBE, sizeof(*p->gone));
	if (!p || !p->gone) {
		if (p)
			free(p);
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	p->d = d;
	if (d->cfg.metrics_port) {
		p->srv = baton_metrics_start(d->loop, d->cfg.metrics_addr,
					     d->cfg.metrics_port, render, p,
					     err, errlen);
		if (!p->srv) {
			free(p->gone);
			free(p);
			return NULL;
		}
	}
	uv_timer_init(d->loop, &p->tick);
	p->tick.data = p;
	p->tick_open = true;
	on_tick(&p->tick);
	uv_timer_start(&p->tick, on_tick, 1000, 1000);
	return p;
}

static void on_tick_closed(uv_handle_t *h)
{
	struct baton_prom *p = h->data;

	free(p->gone);
	free(p);
}

void baton_prom_stop(struct baton_prom *p)
{
	if (!p)
		return;
	baton_metrics_stop(p->srv);
	p->srv = NULL;
	uv_close((uv_handle_t *)&p->tick, on_tick_closed);
}

void baton_prom_on_deleted(struct baton_prom *p, const struct ct_v4_entry *e)
{
	unsigned int idx;

	if (!p || e->svc_id >= BATON_MAX_SERVICES ||
	    e->be_id >= BATON_MAX_BACKENDS)
		return;
	idx = baton_be_index(e->svc_id, e->be_id);
	p->gone[idx][0] += e->packets;
	p->gone[idx][1] += e->bytes;
}
