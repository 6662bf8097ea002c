// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * batond.c - the Baton node daemon: batond -c FILE [--keep-datapath]
 * (or batond -c FILE --detach-all: remove what a stopped one left)
 *
 * Start: load the config, load the datapath (reusing pinned maps), program
 * the services, write baton_cfg, attach, open what needs privileges (HA's
 * raw sockets, the metrics listener), drop the capabilities it no longer
 * needs (privs.h), start sync, then run one libuv loop with the conntrack
 * GC, the ring buffer, the control socket and signals.
 * SIGHUP reloads the file (a bad one is reported and the running config
 * kept); SIGTERM/SIGINT stop, leaving the datapath in place only with
 * keep_datapath.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "batond.h"
#include "log.h"
#include "privs.h"
#include "privset.h"
#include "svcspec.h"
#include "textio.h"
#include "../ha/role.h"

#define SUB "batond"
#define ERRLEN 1024

static void usage(FILE *f)
{
	fprintf(f,
		"usage: batond -c FILE [--keep-datapath]\n"
		"       batond -c FILE --detach-all\n"
		"  -c, --config FILE    configuration (baton.yaml)\n"
		"  -k, --keep-datapath  on stop, leave programs attached and "
		"maps pinned\n"
		"  -D, --detach-all     with no batond running, detach its "
		"programs and\n"
		"                       remove its pinned maps (drops every "
		"flow), then exit\n"
		"  -h, --help           this text\n");
}

/*
 * A backend's health is run time state, not the file's: take it from the
 * probes (the one a probe just changed included). A backend not probed yet
 * is up; one of a service without checks always is.
 */
static void carry_down(struct batond *d, struct baton_config *next)
{
	for (size_t i = 0; i < next->nservices; i++) {
		struct baton_service_cfg *sc = &next->services[i];

		for (size_t b = 0; b < sc->nbackends; b++) {
			struct baton_backend_cfg *be = &sc->backends[b];
			struct baton_hc_id id = {
				.vip = sc->vip, .vport = sc->port,
				.proto = sc->proto, .addr = be->addr,
				.port = be->port,
			};
			const struct baton_hc_status *st =
				baton_health_get(d->health, &id);

			if (sc->health.type == BATON_HC_NONE)
				be->down = false;
			else if (st)
				be->down = !st->up;
			else if (d->health)
				be->down = false;
			/* else: before the probes start, be->down was
			 * seeded from the pinned tables */
		}
	}
}

/* After d->cfg changed: new backends get probes, removed ones lose theirs;
 * the datapath looks for flows to reset while some backend's are. */
static void health_follow(struct batond *d)
{
	int ret;

	if (d->health && baton_health_configure(d->health, &d->cfg))
		log_err("health", "out of memory: probes not updated to the "
			"new services");
	ret = baton_loader_cfg_flag(&d->ld, BATON_CFG_F_RESET,
				    baton_services_resetting(d->svcs));
	if (ret)
		log_err("health", "baton_cfg reset flag: %s", strerror(-ret));
}

int batond_apply_services(struct batond *d, struct baton_config *next,
			  char *err, size_t errlen)
{
	int ret;

	carry_down(d, next);
	ret = baton_config_validate(next, err, errlen);
	if (!ret)
		ret = baton_services_apply(d->svcs, next, err, errlen);
	if (ret) {
		baton_config_free(next);
		return ret;
	}
	baton_config_free(&d->cfg);
	d->cfg = *next;
	memset(next, 0, sizeof(*next));
	health_follow(d);
	return 0;
}

/* ---- reload ------------------------------------------------------------ */

/* Whether two sync sections differ in anything but line numbers. */
static bool sync_changed(const struct baton_sync_cfg *a,
			 const struct baton_sync_cfg *b)
{
	if (a->enabled != b->enabled || strcmp(a->listen, b->listen) ||
	    a->npeers != b->npeers || strcmp(a->tls_cert, b->tls_cert) ||
	    strcmp(a->tls_key, b->tls_key) || strcmp(a->tls_ca, b->tls_ca) ||
	    a->batch_ms != b->batch_ms || a->refresh_s != b->refresh_s ||
	    a->queue != b->queue)
		return true;
	for (size_t i = 0; i < a->npeers; i++)
		if (a->peers[i].id != b->peers[i].id ||
		    strcmp(a->peers[i].url, b->peers[i].url))
			return true;
	return false;
}

/* Whether two ha sections differ in anything but line numbers. */
static bool ha_changed(const struct baton_ha_cfg *a,
		       const struct baton_ha_cfg *b)
{
	return a->enabled != b->enabled ||
	       strcmp(a->notify_fifo, b->notify_fifo) ||
	       strcmp(a->track_file, b->track_file) ||
	       a->follow_type != b->follow_type ||
	       strcmp(a->follow, b->follow) ||
	       a->grace_forever != b->grace_forever ||
	       a->grace_ms != b->grace_ms ||
	       a->resume_master != b->resume_master ||
	       a->split_priority != b->split_priority;
}

/* Whether the ecmp sections differ in what batond uses (ecmp.bgp is
 * baton-bird's). */
static bool ecmp_changed(const struct baton_ecmp_cfg *a,
			 const struct baton_ecmp_cfg *b)
{
	return a->enabled != b->enabled ||
	       strcmp(a->health_iface, b->health_iface) ||
	       a->grace_forever != b->grace_forever ||
	       a->grace_ms != b->grace_ms;
}

static int reload_refused(const struct baton_config *cur,
			  const struct baton_config *next, char *err,
			  size_t errlen)
{
	if (sync_changed(&cur->sync, &next->sync)) {
		snprintf(err, errlen, "sync: section changed; restart batond "
			 "to apply (its peers resync it on reconnect)");
		return -EINVAL;
	}
	if (ha_changed(&cur->ha, &next->ha)) {
		snprintf(err, errlen, "ha: section changed; restart batond "
			 "to apply");
		return -EINVAL;
	}
	if (ecmp_changed(&cur->ecmp, &next->ecmp)) {
		snprintf(err, errlen, "ecmp: section changed; restart batond "
			 "to apply");
		return -EINVAL;
	}
	if (cur->sync.enabled && cur->node_id != next->node_id) {
		snprintf(err, errlen, "node.id changed (%u -> %u) while sync "
			 "peers know this node by it; restart batond to apply",
			 cur->node_id, next->node_id);
		return -EINVAL;
	}
	if (strcmp(cur->pin_path, next->pin_path)) {
		snprintf(err, errlen, "node.pin_path changed (%.300s -> %.300s); "
			 "stop batond, remove the old datapath (batond -c "
			 "FILE --detach-all, drops all flows), start it",
			 cur->pin_path, next->pin_path);
		return -EINVAL;
	}
	if (cur->ct_max != next->ct_max) {
		snprintf(err, errlen, "conntrack.max_entries changed (%u -> "
			 "%u); the pinned table must be recreated: stop "
			 "batond, run batond -c FILE --detach-all (drops all "
			 "flows), start it", cur->ct_max, next->ct_max);
		return -EINVAL;
	}
	if (cur->metrics_addr != next->metrics_addr ||
	    cur->metrics_port != next->metrics_port) {
		snprintf(err, errlen, "node.metrics changed; restart batond "
			 "to apply");
		return -EINVAL;
	}
	if (cur->drop_privileges != next->drop_privileges) {
		snprintf(err, errlen, "node.drop_privileges changed; restart "
			 "batond to apply (a capability given up cannot be "
			 "taken back)");
		return -EINVAL;
	}
	if (strcmp(cur->ctl_path, next->ctl_path)) {
		snprintf(err, errlen, "node.control_socket changed (%.300s -> %.300s); "
			 "restart batond to apply", cur->ctl_path,
			 next->ctl_path);
		return -EINVAL;
	}
	return 0;
}

static void reload(struct batond *d)
{
	struct baton_config next;
	char err[ERRLEN] = "";
	uint16_t slot, slots, next_slot, next_slots;
	uint32_t epoch;
	int ret;

	d->reloads++;
	log_info(SUB, "SIGHUP: reloading %s", d->cfg.path);
	ret = baton_config_load(d->cfg.path, &next, err, sizeof(err));
	if (ret)
		goto out_fail;
	ret = reload_refused(&d->cfg, &next, err, sizeof(err));
	if (!ret)
		ret = baton_loader_check_ifaces(&next, err, sizeof(err));
	if (ret)
		goto out_free;

	carry_down(d, &next);
	ret = baton_services_apply(d->svcs, &next, err, sizeof(err));
	if (ret)
		goto out_free;
	ret = baton_loader_attach(&d->ld, &next, err, sizeof(err));
	if (ret) {
		char err2[ERRLEN];

		/* Put the old services back so that nothing is half
		 * applied. */
		if (baton_services_apply(d->svcs, &d->cfg, err2, sizeof(err2)))
			log_err(SUB, "reload rollback: %s", err2);
		goto out_free;
	}

	epoch = next.epoch ? next.epoch : d->epoch;
	baton_loader_snat_slots(&d->cfg, &slot, &slots);
	baton_loader_snat_slots(&next, &next_slot, &next_slots);
	if (next.node_id != d->cfg.node_id || epoch != d->epoch ||
	    next.hash_seed != d->cfg.hash_seed || slot != next_slot ||
	    slots != next_slots) {
		ret = baton_loader_write_cfg(&d->ld, &next, epoch);
		if (ret)
			log_err(SUB, "write baton_cfg: %s", strerror(-ret));
		else
			d->epoch = epoch;
	}
	if (baton_log_set_level_str(next.log_level))
		log_warn(SUB, "unknown log level '%s'", next.log_level);
	baton_ct_gc_configure(d->gc, &next);
	ret = baton_loader_write_revive(&d->ld, &next);
	if (ret)
		log_err(SUB, "write ct_v4_revive: %s", strerror(-ret));

	baton_config_free(&d->cfg);
	d->cfg = next;
	health_follow(d);
	log_info(SUB, "reloaded %s: %zu services, %zu interfaces", d->cfg.path,
		 d->cfg.nservices, d->cfg.nifaces);
	return;

out_free:
	baton_config_free(&next);
out_fail:
	d->reloads_failed++;
	log_err(SUB, "reload failed, running configuration kept: %s", err);
}

/* ---- signals and stop -------------------------------------------------- */

static void stop(struct batond *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	/* A datapath about to be removed cannot forward: keepalived must
	 * move the VIP now (track FAULT), not when the programs are gone. */
	if (!(d->keep_datapath_arg || d->cfg.keep_datapath))
		baton_ha_datapath(d->ha, false);
	baton_prom_stop(d->prom);
	d->prom = NULL;
	baton_health_free(d->health);
	d->health = NULL;
	baton_reset_free(d->reset);
	d->reset = NULL;
	baton_ha_stop(d->ha);
	d->ha = NULL;
	baton_sync_stop(d->sync);
	d->sync = NULL;
	baton_ctl_free(d->ctl);
	d->ctl = NULL;
	baton_ct_gc_free(d->gc);
	d->gc = NULL;
	baton_events_free(d->ev);
	d->ev = NULL;
	if (d->signals_on) {
		uv_close((uv_handle_t *)&d->sig_term, NULL);
		uv_close((uv_handle_t *)&d->sig_int, NULL);
		uv_close((uv_handle_t *)&d->sig_hup, NULL);
	}
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct batond *d = h->data;

	if (signum == SIGHUP) {
		reload(d);
		return;
	}
	log_info(SUB, "%s: stopping", strsignal(signum));
	stop(d);
}

static int signals_start(struct batond *d)
{
	struct {
		uv_signal_t *h;
		int sig;
	} s[] = {
		{ &d->sig_term, SIGTERM },
		{ &d->sig_int, SIGINT },
		{ &d->sig_hup, SIGHUP },
	};
	int ret;

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		uv_signal_init(d->loop, s[i].h);
		s[i].h->data = d;
	}
	d->signals_on = true;
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		ret = uv_signal_start(s[i].h, on_signal, s[i].sig);
		if (ret)
			return ret;
	}
	return 0;
}

/* Leave the kernel as configured: everything removed, or (keep_datapath)
 * programs attached and maps pinned for the next batond. */
static void datapath_release(struct batond *d, bool keep)
{
	if (keep) {
		log_info(SUB, "keep_datapath: programs stay attached, maps "
			 "stay pinned under %s", d->ld.pin_path);
	} else {
		baton_loader_detach_all(&d->ld);
		baton_loader_unpin(&d->ld);
	}
	baton_loader_free(&d->ld);
}

/* -254 to the track file, as from a batond stopping without keep_datapath:
 * keepalived releases the VIPs of a node that is about to stop
 * forwarding. */
static void detach_all_fault(void *arg)
{
	const struct baton_config *cfg = arg;
	char text[16];
	int ret;

	if (!cfg->ha.enabled)
		return;
	snprintf(text, sizeof(text), "%d\n", BATON_HA_TRACK_FAULT);
	ret = baton_write_file(cfg->ha.track_file, text, strlen(text));
	if (ret)
		log_warn(SUB, "write %s: %s", cfg->ha.track_file,
			 strerror(-ret));
	else
		log_info(SUB, "%s: -254 (FAULT: datapath going)",
			 cfg->ha.track_file);
}

/*
 * batond --detach-all: unless a batond runs, keepalived first hears that
 * this node cannot forward, then the programs and maps go. Exit status.
 */
static int detach_all_run(const struct baton_config *cfg)
{
	struct baton_remove_report r;
	char err[ERRLEN] = "";
	int ret;

	/* The pin dir's lock tells whether a batond runs on it, unless it
	 * is not visible from here (a private bpffs of `ip netns exec`):
	 * a batond answering on the control socket runs too. */
	ret = baton_ctl_probe(cfg->ctl_path);
	if (ret > 0) {
		log_err(SUB, "a batond answers on %s; stop it first",
			cfg->ctl_path);
		return 1;
	}
	/* -254 once no batond can be running, before anything goes. */
	ret = baton_loader_remove(cfg, detach_all_fault, (void *)cfg, &r, err,
				  sizeof(err));
	if (ret == -EBUSY) {
		log_err(SUB, "%s", err);
		return 1;
	}
	log_info(SUB, "detach-all: %u tc filters and %u xdp programs "
		 "detached, %u maps unpinned%s%s", r.tc, r.xdp, r.maps,
		 r.dir ? ", pin dir removed" : "",
		 r.left ? ", pin dir kept (not empty)" : "");
	if (ret) {
		log_err(SUB, "%s", err);
		return 1;
	}
	return 0;
}

/* ---- start ------------------------------------------------------------- */

static int datapath_start(struct batond *d, char *err, size_t errlen)
{
	struct baton_cfg old = {};
	__u32 key = 0;
	int ret;

	ret = baton_loader_init(&d->ld, &d->cfg, err, errlen);
	if (ret)
		return ret;
	d->svcs = baton_services_init(d->ld.nat_fd, d->ld.lb_fd,
				     d->ld.snat_fd, d->ld.rnat_fd,
				     d->ld.reset_fd,
				     d->ld.be_stats);
	if (!d->svcs) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out_release;
	}
	if (d->ld.reused) {
		/* The seed the running tables were built with. */
		bpf_map_lookup_elem(d->ld.cfg_fd, &key, &old);
		ret = baton_services_recover(d->svcs, old.hash_seed);
		if (ret) {
			snprintf(err, errlen, "read pinned services: %s",
				 strerror(-ret));
			goto out_release;
		}
		/* A backend the last batond found down stays out until
		 * its probes pass. */
		baton_services_seed_down(d->svcs, &d->cfg);
	} else {
		d->svcs->hash_seed = d->cfg.hash_seed;
	}
	ret = baton_services_apply(d->svcs, &d->cfg, err, errlen);
	if (ret)
		goto out_release;
	d->epoch = d->cfg.epoch ? d->cfg.epoch : (uint32_t)time(NULL);
	/* Epochs only grow: peers take a lower one for a replay. A clock
	 * stepped back must not make this life look older than the last. */
	if (!d->cfg.epoch && d->ld.reused && old.epoch >= d->epoch)
		d->epoch = old.epoch + 1;
	ret = baton_loader_write_cfg(&d->ld, &d->cfg, d->epoch);
	if (ret) {
		snprintf(err, errlen, "write baton_cfg: %s", strerror(-ret));
		goto out_release;
	}
	ret = baton_loader_write_revive(&d->ld, &d->cfg);
	if (ret) {
		snprintf(err, errlen, "write ct_v4_revive: %s",
			 strerror(-ret));
		goto out_release;
	}
	ret = baton_loader_attach(&d->ld, &d->cfg, err, errlen);
	if (ret)
		goto out_release;
	return 0;

out_release:
	/* A fresh datapath that never ran is removed; one inherited from a
	 * previous batond is left as it was found. */
	datapath_release(d, d->ld.reused);
	return ret;
}

/* The control socket first: a live batond already answering there is
 * found before anything in the kernel is touched. The loop is not running
 * yet, so no request is served before the datapath is up. */
static int ctl_start(struct batond *d, char *err, size_t errlen)
{
	d->ctl = baton_ctl_init(d->loop, d->cfg.ctl_path, baton_api_handle,
				d);
	if (!d->ctl) {
		int ret = -errno;

		snprintf(err, errlen, "control socket %.300s: %s",
			 d->cfg.ctl_path, strerror(-ret));
		return ret;
	}
	return baton_ctl_start(d->ctl, err, errlen);
}

static int on_ct_event(const struct ct_v4_event *ev, void *arg)
{
	struct batond *d = arg;

	if (ev->type == CT_EV_RESET)
		baton_reset_on_event(d->reset, ev);
	else
		baton_sync_on_event(d->sync, ev);
	return 0;
}

static void on_ct_deleted(const struct ct_v4_key *k,
			  const struct ct_v4_entry *e, void *arg)
{
	struct batond *d = arg;

	baton_prom_on_deleted(d->prom, e);
	baton_sync_on_delete(d->sync, k, e);
}

/* A live flow must be re-sent well within its timeout, or standbys age
 * out flows their owner still carries. Not an error: a drill may want
 * exactly that. */
static void sync_check_refresh(const struct baton_config *c)
{
	uint32_t t[] = { c->timeout_s[CT_STATE_ESTABLISHED],
			 c->timeout_s[CT_STATE_FIN_WAIT],
			 c->timeout_s[CT_STATE_CLOSE_WAIT],
			 c->udp_est_timeout_s, c->icmp_timeout_s };
	uint32_t min = t[0];

	for (size_t i = 1; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i] < min)
			min = t[i];
	if ((uint64_t)c->sync.refresh_s * 2 > min)
		log_warn("sync", "sync.refresh_s %u is more than half the "
			 "shortest timeout of a live flow (%u s): standbys may "
			 "expire flows their owner still carries",
			 c->sync.refresh_s, min);
}

/* Conntrack replication, if configured: fed by the datapath's events and
 * by what the GC (and batonctl ct flush) deletes. */
static int sync_start(struct batond *d, char *err, size_t errlen)
{
	if (!d->cfg.sync.enabled)
		return 0;
	sync_check_refresh(&d->cfg);
	d->sync = baton_sync_init(d->loop, &d->cfg, d->epoch, d->ld.ct_fd,
				  d->ld.pkt_stats_fd, d->svcs, err, errlen);
	if (!d->sync)
		return -EINVAL;
	/* Before start: no peer event may be missed. */
	if (d->ha) {
		baton_sync_set_peer_hook(d->sync, baton_ha_sync_hook, d->ha);
		baton_ha_set_sync(d->ha, d->sync);
	}
	if (baton_sync_start(d->sync)) {
		snprintf(err, errlen, "sync: cannot listen on %.200s",
			 d->cfg.sync.listen);
		return -EADDRINUSE;
	}
	return 0;
}

/* keepalived integration or the ECMP health interface, if configured:
 * before sync, whose peer events it follows. */
static int ha_start(struct batond *d, char *err, size_t errlen)
{
	if (!d->cfg.ha.enabled && !d->cfg.ecmp.enabled)
		return 0;
	d->ha = baton_ha_start(d->loop, &d->cfg, d->ld.reused, err, errlen);
	if (!d->ha)
		return -EINVAL;
	baton_ha_set_ct(d->ha, d->ld.ct_fd);
	return 0;
}

/* A probe changed a backend's state: take it out of selection or put it
 * back (carry_down reads the new state), then its flows per on_down. */
static int on_health(void *arg, const struct baton_hc_id *id, bool up,
		     const char *why)
{
	struct batond *d = arg;
	const struct baton_service_cfg *sc;
	struct baton_config next;
	struct baton_reset_done done;
	char err[ERRLEN], svc[BATON_SPEC_STRLEN], be[BATON_SPEC_STRLEN];
	int ret, svc_id, be_id;

	baton_svc_spec_str(id->vip, id->vport, id->proto, svc);
	baton_be_spec_str(id->addr, id->port, be);
	ret = baton_config_copy(&next, &d->cfg);
	if (ret) {
		snprintf(err, sizeof(err), "out of memory");
	} else {
		ret = batond_apply_services(d, &next, err, sizeof(err));
	}
	if (ret) {
		log_err("health", "service %s backend %s is %s (%s) but "
			"could not be taken %s selection: %s", svc, be,
			up ? "up" : "down", why, up ? "into" : "out of", err);
		return ret;
	}
	sc = baton_config_find_service(&d->cfg, id->vip, id->vport,
				       id->proto);
	if (up) {
		log_info("health", "service %s backend %s is up: %s; it takes "
			 "new flows again", svc, be, why);
		return 0;
	}
	if (!sc || sc->health.on_down != BATON_HC_RESET) {
		log_warn("health", "service %s backend %s is down: %s; it takes "
			 "no new flows, its flows go on", svc, be, why);
		return 0;
	}
	svc_id = baton_services_find(d->svcs, id->vip, id->vport, id->proto);
	be_id = baton_services_find_be(d->svcs, svc_id, id->addr, id->port);
	if (be_id < 0 || baton_reset_backend(d->reset, (uint16_t)svc_id,
					     (uint16_t)be_id, &done)) {
		log_warn("health", "service %s backend %s is down: %s; it takes "
			 "no new flows, its TCP flows are reset at their next "
			 "segment", svc, be, why);
		return 0;
	}
	log_warn("health", "service %s backend %s is down: %s; it takes no "
		 "new flows, its flows are reset (%zu entries: %" PRIu64
		 " TCP flows tickled, %" PRIu64 " UDP/ICMP entries deleted)",
		 svc, be, why, done.entries, done.tickled, done.deleted);
	return 0;
}

/* Give up the capabilities batond will not use again (privs.h), unless
 * node.drop_privileges says not to. */
static int privs_drop(struct batond *d, char *err, size_t errlen)
{
	char why[ERRLEN] = "";
	int ret;

	if (!d->cfg.drop_privileges) {
		log_warn("privs", "node.drop_privileges is false: batond keeps "
			 "every capability it was started with");
		return 0;
	}
	ret = baton_privs_drop(baton_privs_needed(&d->cfg), d->ld.cfg_fd,
			       NULL, why, sizeof(why));
	if (ret) {
		/* Refused rather than run with what it should not hold. */
		snprintf(err, errlen, "%.900s; not running with privileges it "
			 "could not drop (node.drop_privileges: false keeps "
			 "them)", why);
		return ret;
	}
	d->privs_dropped = true;
	return 0;
}

static int loop_start(struct batond *d, char *err, size_t errlen)
{
	int ret;

	d->gc = baton_ct_gc_init(d->loop, d->ld.ct_fd, d->ld.be_stats);
	d->ev = baton_events_init(d->loop, d->ld.events_fd);
	if (!d->gc || !d->ev) {
		ret = -errno;
		snprintf(err, errlen, "init: %s", strerror(errno));
		return ret;
	}
	baton_ct_gc_configure(d->gc, &d->cfg);
	baton_ct_gc_watch(d->gc, d->ld.drop_stats_fd, d->ld.ct_max);
	/* Sync (if any) and resets follow the datapath's events and what
	 * the GC and batonctl ct flush delete. */
	baton_events_set_handler(d->ev, on_ct_event, d);
	baton_ct_gc_on_delete(d->gc, on_ct_deleted, d);
	d->reset = baton_reset_init(d->ld.ct_fd, d->ld.be_stats,
				    on_ct_deleted, d);
	d->health = baton_health_init(d->loop, on_health, d);
	if (!d->reset || !d->health ||
	    baton_health_configure(d->health, &d->cfg)) {
		snprintf(err, errlen, "health checks: out of memory");
		return -ENOMEM;
	}
	/* A previous batond's flag, if no backend is being reset now. */
	ret = baton_loader_cfg_flag(&d->ld, BATON_CFG_F_RESET,
				    baton_services_resetting(d->svcs));
	if (ret) {
		snprintf(err, errlen, "baton_cfg: %s", strerror(-ret));
		return ret;
	}
	ret = ha_start(d, err, errlen);
	if (ret)
		return ret;
	/* Bound before the drop: node.metrics may be a port below 1024. */
	d->prom = baton_prom_start(d, err, errlen);
	if (!d->prom)
		return -EADDRINUSE;
	/* Everything that needs more than privset.h keeps is done; sync's
	 * nng threads start next, and capabilities are per thread. */
	ret = privs_drop(d, err, errlen);
	if (!ret)
		ret = sync_start(d, err, errlen);
	if (ret)
		return ret;
	/* datapath_start() attached it. */
	baton_ha_datapath(d->ha, true);
	ret = baton_ct_gc_start(d->gc);
	if (!ret)
		ret = baton_events_start(d->ev);
	if (!ret)
		ret = signals_start(d);
	if (ret)
		snprintf(err, errlen, "start: %s", uv_strerror(ret));
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "keep-datapath", no_argument, NULL, 'k' },
		{ "detach-all", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct batond *d;
	const char *path = NULL;
	char err[ERRLEN] = "";
	int c, ret, status = 1;
	bool keep, detach_all = false;

	d = calloc(1, sizeof(*d));
	if (!d)
		return 1;
	while ((c = getopt_long(argc, argv, "c:kDh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			d->keep_datapath_arg = true;
			break;
		case 'D':
			detach_all = true;
			break;
		case 'h':
			usage(stdout);
			free(d);
			return 0;
		default:
			usage(stderr);
			free(d);
			return 2;
		}
	}
	if (!path || optind != argc || (detach_all && d->keep_datapath_arg)) {
		usage(stderr);
		free(d);
		return 2;
	}

	baton_log_hook_libbpf();
	signal(SIGPIPE, SIG_IGN);
	ret = baton_config_load(path, &d->cfg, err, sizeof(err));
	if (ret) {
		log_err("config", "%s", err);
		goto out_free;
	}
	baton_log_set_level_str(d->cfg.log_level);
	if (detach_all) {
		status = detach_all_run(&d->cfg);
		goto out_config;
	}
	ret = baton_loader_check_ifaces(&d->cfg, err, sizeof(err));
	if (ret) {
		log_err(SUB, "%s", err);
		goto out_config;
	}
	d->started_wall = time(NULL);
	d->started_ns = baton_ct_now_ns();
	d->loop = uv_default_loop();

	ret = ctl_start(d, err, sizeof(err));
	if (!ret)
		ret = datapath_start(d, err, sizeof(err));
	if (ret) {
		log_err(SUB, "%s", err);
		stop(d);
		uv_run(d->loop, UV_RUN_DEFAULT);
		goto out_loop;
	}
	ret = loop_start(d, err, sizeof(err));
	if (ret) {
		log_err(SUB, "%s", err);
		stop(d);
		uv_run(d->loop, UV_RUN_DEFAULT);
		datapath_release(d, d->ld.reused || d->keep_datapath_arg ||
					    d->cfg.keep_datapath);
		goto out_loop;
	}
	log_info(SUB, "running: node %u epoch %u, %zu services on %zu "
		 "interfaces, pid %d", d->cfg.node_id, d->epoch,
		 d->cfg.nservices, d->cfg.nifaces, (int)getpid());

	uv_run(d->loop, UV_RUN_DEFAULT);

	keep = d->keep_datapath_arg || d->cfg.keep_datapath;
	datapath_release(d, keep);
	log_info(SUB, "stopped");
	status = 0;
out_loop:
	uv_loop_close(d->loop);
	baton_services_free(d->svcs);
out_config:
	baton_config_free(&d->cfg);
out_free:
	free(d);
	return status;
}
