// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * api.c - the control socket's commands (see ctl.h for the framing).
 *
 * Reads answer from the running config and the maps. Changes work on a
 * copy of the running config and go through batond_apply_services(), so a
 * change is validated like a config file and either fully applied or not
 * at all. Errors name what is wrong ("backend 10.1.0.9:8080 not in service
 * 10.0.0.100:80/tcp").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/stat.h>
#include <unistd.h>

#include "batond.h"
#include "cfgsave.h"
#include "textio.h"
#include "role.h"
#include "log.h"
#include "privs.h"
#include "privset.h"
#include "stats.h"
#include "svcspec.h"

#define SUB "api"

/* ---- argument helpers -------------------------------------------------- */

/* NULL if absent; -EINVAL via *ret if present but not a string. */
static const char *arg_str(json_t *req, const char *key, int *ret, char *err,
			   size_t errlen)
{
	json_t *v = json_object_get(req, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "argument '%s': expected a string", key);
		*ret = -EINVAL;
		return NULL;
	}
	return json_string_value(v);
}

static const char *need_str(json_t *req, const char *key, int *ret,
			    char *err, size_t errlen)
{
	const char *s = arg_str(req, key, ret, err, errlen);

	if (!s && !*ret) {
		snprintf(err, errlen, "argument '%s' is required", key);
		*ret = -EINVAL;
	}
	return s;
}

static int arg_weight(json_t *req, bool required, uint32_t *w, char *err,
		      size_t errlen)
{
	json_t *v = json_object_get(req, "weight");
	json_int_t n;

	if (!v) {
		if (!required)
			return 0;
		snprintf(err, errlen, "argument 'weight' is required");
		return -EINVAL;
	}
	n = json_is_integer(v) ? json_integer_value(v) : -1;
	if (n < 0 || n > 65535) {
		snprintf(err, errlen, "weight: expected a number in 0..65535");
		return -EINVAL;
	}
	*w = (uint32_t)n;
	return 0;
}

static json_t *ip_json(uint32_t host)
{
	char buf[INET_ADDRSTRLEN];

	return json_string(baton_ip_str(host, buf));
}

/* Resolve "service" to the running config's entry. */
static struct baton_service_cfg *req_service(struct baton_config *cfg,
					     json_t *req, char *name, int *ret,
					     char *err, size_t errlen)
{
	struct baton_svc_spec sp;
	struct baton_service_cfg *sc;
	const char *s = need_str(req, "service", ret, err, errlen);

	if (!s)
		return NULL;
	*ret = baton_svc_spec_parse(s, &sp, err, errlen);
	if (*ret)
		return NULL;
	baton_svc_spec_str(sp.vip, sp.port, sp.proto, name);
	sc = baton_config_find_service(cfg, sp.vip, sp.port, sp.proto);
	if (!sc) {
		snprintf(err, errlen, "service %s not found", name);
		*ret = -ENOENT;
	}
	return sc;
}

/* Resolve "backend" within sc; *idx is -1 when it is not there. */
static int req_backend(const struct baton_service_cfg *sc, json_t *req,
		       struct baton_backend_cfg *be, int *idx, char *name,
		       char *err, size_t errlen)
{
	struct baton_be_spec bp;
	int ret = 0;
	const char *s = need_str(req, "backend", &ret, err, errlen);

	if (!s)
		return ret;
	ret = baton_be_spec_parse(s, &bp, err, errlen);
	if (ret)
		return ret;
	if (sc->proto == IPPROTO_ICMP && bp.has_port) {
		snprintf(err, errlen, "backend '%s': icmp backends have no "
			 "port", s);
		return -EINVAL;
	}
	memset(be, 0, sizeof(*be));
	be->addr = bp.addr;
	be->port = bp.has_port ? bp.port : sc->port;
	be->weight = 1;
	baton_be_spec_str(be->addr, be->port, name);
	*idx = -1;
	for (size_t i = 0; i < sc->nbackends; i++)
		if (sc->backends[i].addr == be->addr &&
		    sc->backends[i].port == be->port)
			*idx = (int)i;
	return 0;
}

/* ---- services ---------------------------------------------------------- */

static int cmd_service_list(struct batond *d, json_t *req, json_t **data,
			    char *err, size_t errlen)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < d->cfg.nservices; i++) {
		const struct baton_service_cfg *sc = &d->cfg.services[i];

		json_array_append_new(arr, json_pack(
			"{s:o, s:i, s:s, s:s, s:s, s:o, s:i}",
			"vip", ip_json(sc->vip),
			"port", (int)sc->port,
			"proto", baton_proto_str(sc->proto),
			"mode", baton_mode_str(sc->mode),
			"algo", baton_algo_str(sc->algo),
			"snat", sc->snat ? ip_json(sc->snat) : json_null(),
			"backends", (int)sc->nbackends));
	}
	*data = arr;
	return 0;
}

static int cmd_service_add(struct batond *d, json_t *req, json_t **data,
			   char *err, size_t errlen)
{
	struct baton_config next;
	struct baton_service_cfg *svcs, sc = {};
	struct baton_svc_spec sp;
	char name[BATON_SPEC_STRLEN];
	const char *s, *mode, *algo, *snat;
	int ret = 0, v;

	s = need_str(req, "service", &ret, err, errlen);
	mode = arg_str(req, "mode", &ret, err, errlen);
	algo = arg_str(req, "algo", &ret, err, errlen);
	snat = arg_str(req, "snat", &ret, err, errlen);
	if (ret)
		return ret;
	ret = baton_svc_spec_parse(s, &sp, err, errlen);
	if (ret)
		return ret;
	baton_svc_spec_str(sp.vip, sp.port, sp.proto, name);
	sc.vip = sp.vip;
	sc.port = sp.port;
	sc.proto = sp.proto;
	sc.mode = BATON_MODE_DNAT;
	sc.algo = BATON_ALGO_MAGLEV;
	if (mode) {
		v = baton_mode_from_str(mode);
		if (v < 0) {
			snprintf(err, errlen, "mode '%s': expected dnat, "
				 "fullnat or dsr", mode);
			return -EINVAL;
		}
		sc.mode = (uint8_t)v;
	}
	if (algo) {
		v = baton_algo_from_str(algo);
		if (v < 0) {
			snprintf(err, errlen, "algo '%s': expected maglev, wrr "
				 "or lc", algo);
			return -EINVAL;
		}
		sc.algo = (uint8_t)v;
	}
	if (snat && baton_ip_parse(snat, &sc.snat)) {
		snprintf(err, errlen, "snat '%s': expected an IPv4 address",
			 snat);
		return -EINVAL;
	}
	if (baton_config_find_service(&d->cfg, sc.vip, sc.port, sc.proto)) {
		snprintf(err, errlen, "service %s already exists", name);
		return -EEXIST;
	}
	if (d->cfg.nservices >= BATON_MAX_SERVICES) {
		snprintf(err, errlen, "service %s: already %d services", name,
			 BATON_MAX_SERVICES);
		return -ENOSPC;
	}
	ret = baton_config_copy(&next, &d->cfg);
	if (ret)
		return ret;
	svcs = realloc(next.services, (next.nservices + 1) * sizeof(*svcs));
	if (!svcs) {
		baton_config_free(&next);
		return -ENOMEM;
	}
	next.services = svcs;
	next.services[next.nservices++] = sc;
	return batond_apply_services(d, &next, err, errlen);
}

static int cmd_service_remove(struct batond *d, json_t *req, json_t **data,
			      char *err, size_t errlen)
{
	struct baton_config next;
	struct baton_service_cfg *sc;
	char name[BATON_SPEC_STRLEN];
	size_t i;
	int ret = 0;

	sc = req_service(&d->cfg, req, name, &ret, err, errlen);
	if (!sc)
		return ret;
	i = (size_t)(sc - d->cfg.services);
	ret = baton_config_copy(&next, &d->cfg);
	if (ret)
		return ret;
	memmove(&next.services[i], &next.services[i + 1],
		(next.nservices - i - 1) * sizeof(next.services[0]));
	next.nservices--;
	return batond_apply_services(d, &next, err, errlen);
}

/* ---- backends ---------------------------------------------------------- */

/* null for a service without checks, else its probes' verdict. */
static json_t *health_json(struct batond *d, const struct baton_service_cfg *sc,
			   const struct baton_backend_cfg *b)
{
	struct baton_hc_id id = {
		.vip = sc->vip, .vport = sc->port, .proto = sc->proto,
		.addr = b->addr, .port = b->port,
	};
	const struct baton_hc_status *st = baton_health_get(d->health, &id);

	if (sc->health.type == BATON_HC_NONE)
		return json_null();
	if (!st)	/* not probed yet: what the datapath has */
		return json_pack("{s:s}", "state", b->down ? "down" : "up");
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:s}",
			 "state", st->up ? "up" : "down",
			 "check", baton_hc_type_str(sc->health.type),
			 "ok_run", (json_int_t)st->ok_run,
			 "fail_run", (json_int_t)st->fail_run,
			 "probes", (json_int_t)st->probes,
			 "failures", (json_int_t)st->failures,
			 "changes", (json_int_t)st->changes,
			 "changed_at", (json_int_t)st->changed_at,
			 "last_ms", (int)st->last_ms,
			 "last_error", st->last_error);
}

static void backend_rows(struct batond *d, const struct baton_service_cfg *sc,
			 json_t *arr)
{
	char name[BATON_SPEC_STRLEN];
	int id = baton_services_find(d->svcs, sc->vip, sc->port, sc->proto);

	baton_svc_spec_str(sc->vip, sc->port, sc->proto, name);
	for (size_t i = 0; i < sc->nbackends; i++) {
		const struct baton_backend_cfg *b = &sc->backends[i];
		int be = baton_services_find_be(d->svcs, id, b->addr, b->port);
		uint64_t active = 0, flows = 0;

		if (id >= 0 && be >= 0 && d->ld.be_stats) {
			const struct be_stats *bs =
				&d->ld.be_stats[baton_be_index(id, be)];

			active = __atomic_load_n(&bs->active, __ATOMIC_RELAXED);
			flows = __atomic_load_n(&bs->flows, __ATOMIC_RELAXED);
		}
		json_array_append_new(arr, json_pack(
			"{s:s, s:o, s:i, s:I, s:I, s:I, s:o}",
			"service", name,
			"address", ip_json(b->addr),
			"port", (int)b->port,
			"weight", (json_int_t)b->weight,
			"active", (json_int_t)active,
			"flows", (json_int_t)flows,
			"health", health_json(d, sc, b)));
	}
}

static int cmd_backend_list(struct batond *d, json_t *req, json_t **data,
			    char *err, size_t errlen)
{
	struct baton_service_cfg *sc;
	char name[BATON_SPEC_STRLEN];
	json_t *arr;
	int ret = 0;

	if (json_object_get(req, "service")) {
		sc = req_service(&d->cfg, req, name, &ret, err, errlen);
		if (!sc)
			return ret;
		arr = json_array();
		backend_rows(d, sc, arr);
	} else {
		arr = json_array();
		for (size_t i = 0; i < d->cfg.nservices; i++)
			backend_rows(d, &d->cfg.services[i], arr);
	}
	*data = arr;
	return 0;
}

enum be_op { BE_ADD, BE_REMOVE, BE_WEIGHT };

static int cmd_backend_change(struct batond *d, json_t *req, enum be_op op,
			      char *err, size_t errlen)
{
	struct baton_config next;
	struct baton_service_cfg *sc;
	struct baton_backend_cfg be;
	char sname[BATON_SPEC_STRLEN], bname[BATON_SPEC_STRLEN];
	uint32_t weight = 1;
	int ret = 0, idx;
	size_t si;

	sc = req_service(&d->cfg, req, sname, &ret, err, errlen);
	if (!sc)
		return ret;
	ret = req_backend(sc, req, &be, &idx, bname, err, errlen);
	if (!ret && op != BE_REMOVE)
		ret = arg_weight(req, op == BE_WEIGHT, &weight, err, errlen);
	if (ret)
		return ret;
	if (op == BE_ADD && idx >= 0) {
		snprintf(err, errlen, "backend %s already in service %s",
			 bname, sname);
		return -EEXIST;
	}
	if (op != BE_ADD && idx < 0) {
		snprintf(err, errlen, "backend %s not in service %s", bname,
			 sname);
		return -ENOENT;
	}
	if (op == BE_ADD && sc->nbackends >= BATON_MAX_BACKENDS) {
		snprintf(err, errlen, "service %s: already %d backends", sname,
			 BATON_MAX_BACKENDS);
		return -ENOSPC;
	}
	si = (size_t)(sc - d->cfg.services);
	ret = baton_config_copy(&next, &d->cfg);
	if (ret)
		return ret;
	sc = &next.services[si];
	switch (op) {
	case BE_ADD:
		be.weight = weight;
		sc->backends[sc->nbackends++] = be;
		break;
	case BE_REMOVE:
		memmove(&sc->backends[idx], &sc->backends[idx + 1],
			(sc->nbackends - (size_t)idx - 1) *
				sizeof(sc->backends[0]));
		sc->nbackends--;
		break;
	case BE_WEIGHT:
		sc->backends[idx].weight = weight;
		break;
	}
	return batond_apply_services(d, &next, err, errlen);
}

/* ---- conntrack --------------------------------------------------------- */

struct ct_filter {
	bool by_vip, by_proto, by_state;
	uint32_t vip;		/* network order, like the entry */
	uint8_t proto;
	uint8_t state;
	uint64_t now;
	size_t limit;
	json_t *arr;
};

/* ct list answers at most this many entries unless asked for more: the
 * whole reply is built on the loop, and a 16M-entry table would not fit. */
#define CT_LIST_DEFAULT_LIMIT 100000

static json_t *be_ip_json(__be32 a)
{
	return ip_json(ntohl(a));
}

static int ct_row(const struct ct_v4_key *k, const struct ct_v4_entry *e,
		  void *arg)
{
	struct ct_filter *f = arg;
	__be32 backend;
	uint64_t age, idle;

	if ((f->by_vip && e->vip != f->vip) ||
	    (f->by_proto && k->proto != f->proto) ||
	    (f->by_state && e->state != f->state))
		return 0;
	if (json_array_size(f->arr) >= f->limit)
		return 1;	/* enough: stop the walk */
	age = f->now > e->created_ns ? (f->now - e->created_ns) / 1000000 : 0;
	idle = f->now > e->last_seen_ns ?
		       (f->now - e->last_seen_ns) / 1000000 : 0;
	/* The flow's backend, whichever half this is: DSR keeps the VIP as
	 * destination and sends to the backend as next hop. */
	if (e->mode == BATON_MODE_DSR)
		backend = e->nexthop;
	else if (e->dir == CT_DIR_FWD)
		backend = e->nat_daddr;
	else
		backend = k->saddr;
	json_array_append_new(f->arr, json_pack(
		"{s:s, s:s, s:o, s:i, s:o, s:i, s:o, s:i, s:o, s:i, s:o, s:s,"
		" s:s, s:I, s:I, s:I, s:I, s:I}",
		"proto", baton_proto_str(k->proto),
		"dir", e->dir == CT_DIR_FWD ? "fwd" : "rev",
		"src", be_ip_json(k->saddr), "sport", (int)ntohs(k->sport),
		"dst", be_ip_json(k->daddr), "dport", (int)ntohs(k->dport),
		"nat_src", be_ip_json(e->nat_saddr),
		"nat_sport", (int)ntohs(e->nat_sport),
		"nat_dst", be_ip_json(e->nat_daddr),
		"nat_dport", (int)ntohs(e->nat_dport),
		"backend", be_ip_json(backend),
		"state", baton_ct_state_str(e->state),
		"mode", baton_mode_str(e->mode),
		"owner", (json_int_t)e->owner,
		"packets", (json_int_t)e->packets,
		"bytes", (json_int_t)e->bytes,
		"age_ms", (json_int_t)age,
		"idle_ms", (json_int_t)idle));
	return 0;
}

static int cmd_ct_list(struct batond *d, json_t *req, json_t **data,
		       char *err, size_t errlen)
{
	struct ct_filter f = { .now = baton_ct_now_ns() };
	const char *vip, *proto, *state, *limit;
	int ret = 0, v;

	vip = arg_str(req, "vip", &ret, err, errlen);
	proto = arg_str(req, "proto", &ret, err, errlen);
	state = arg_str(req, "state", &ret, err, errlen);
	limit = arg_str(req, "limit", &ret, err, errlen);
	if (ret)
		return ret;
	f.limit = CT_LIST_DEFAULT_LIMIT;
	if (limit) {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(limit, &end, 10);
		if (errno || *end || !n || n > 100000000ul) {
			snprintf(err, errlen, "limit '%s': expected a number "
				 "of entries, 1..100000000", limit);
			return -EINVAL;
		}
		f.limit = n;
	}
	if (vip) {
		uint32_t a;

		if (baton_ip_parse(vip, &a)) {
			snprintf(err, errlen, "vip '%s': expected an IPv4 "
				 "address", vip);
			return -EINVAL;
		}
		f.by_vip = true;
		f.vip = htonl(a);
	}
	if (proto) {
		v = baton_proto_from_str(proto);
		if (v < 0) {
			snprintf(err, errlen, "proto '%s': expected tcp, udp or "
				 "icmp", proto);
			return -EINVAL;
		}
		f.by_proto = true;
		f.proto = (uint8_t)v;
	}
	if (state) {
		for (v = 0; v < CT_STATE_MAX; v++)
			if (!strcasecmp(state, baton_ct_state_str(v)))
				break;
		if (v == CT_STATE_MAX) {
			snprintf(err, errlen, "state '%s': expected one of NEW, "
				 "SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, "
				 "CLOSE_WAIT, TIME_WAIT, CLOSED", state);
			return -EINVAL;
		}
		f.by_state = true;
		f.state = (uint8_t)v;
	}
	f.arr = json_array();
	ret = baton_ct_foreach(d->ld.ct_fd, ct_row, &f);
	if (ret == 1)
		ret = 0;	/* stopped at the limit */
	if (ret) {
		json_decref(f.arr);
		snprintf(err, errlen, "read ct_v4_map: %s", strerror(-ret));
		return ret;
	}
	*data = f.arr;
	return 0;
}

static int cmd_ct_count(struct batond *d, json_t *req, json_t **data,
			char *err, size_t errlen)
{
	long n = baton_ct_count(d->ld.ct_fd);

	if (n < 0) {
		snprintf(err, errlen, "read ct_v4_map: %s", strerror((int)-n));
		return (int)n;
	}
	*data = json_pack("{s:I, s:I}", "entries", (json_int_t)n, "max",
			  (json_int_t)d->ld.ct_max);
	return 0;
}

/* Peers drop the flows of this node that a flush removed. */
static void flushed_one(const struct ct_v4_key *k, const struct ct_v4_entry *e,
			void *arg)
{
	struct batond *d = arg;

	baton_prom_on_deleted(d->prom, e);
	baton_sync_on_delete(d->sync, k, e);
}

static int cmd_ct_flush(struct batond *d, json_t *req, json_t **data,
			char *err, size_t errlen)
{
	long n = baton_ct_flush(d->ld.ct_fd, d->ld.be_stats, flushed_one, d);

	if (n < 0) {
		snprintf(err, errlen, "flush ct_v4_map: %s", strerror((int)-n));
		return (int)n;
	}
	log_info(SUB, "conntrack flushed: %ld entries", n);
	/* Peers' flows were in the table too: get them back. */
	baton_sync_request_all(d->sync, "conntrack flushed here");
	*data = json_pack("{s:I}", "deleted", (json_int_t)n);
	return 0;
}

/* ---- sync --------------------------------------------------------------- */

static int cmd_sync_status(struct batond *d, json_t *req, json_t **data,
			   char *err, size_t errlen)
{
	*data = baton_sync_status(d->sync);
	return *data ? 0 : -ENOMEM;
}

/* ---- ha ----------------------------------------------------------------- */

static int cmd_ha_status(struct batond *d, json_t *req, json_t **data,
			 char *err, size_t errlen)
{
	*data = baton_ha_status(d->ha);
	return *data ? 0 : -ENOMEM;
}

static int cmd_sync_resync(struct batond *d, json_t *req, json_t **data,
			   char *err, size_t errlen)
{
	json_t *peer = json_object_get(req, "peer");
	json_int_t id = 0;
	int ret;

	if (!d->sync) {
		snprintf(err, errlen, "sync is not configured (no sync: "
			 "section in %.300s)", d->cfg.path);
		return -ENOENT;
	}
	if (peer) {
		if (!json_is_integer(peer) || json_integer_value(peer) <= 0 ||
		    json_integer_value(peer) > UINT32_MAX) {
			snprintf(err, errlen, "peer: expected a node id");
			return -EINVAL;
		}
		id = json_integer_value(peer);
	}
	ret = baton_sync_resync(d->sync, (uint32_t)id);
	if (ret) {
		snprintf(err, errlen, "peer %lld is not in sync.peers",
			 (long long)id);
		return ret;
	}
	*data = json_pack("{s:I}", "peer", id);
	return 0;
}

/* ---- stats and status -------------------------------------------------- */

/* The HA role as numbers (`stats`): the counters, plus ready (0/1), the
 * track value last decided, and one 0/1 gauge per keepalived state. */
json_t *baton_api_ha_metrics(const struct baton_ha *h)
{
	json_t *st = baton_ha_status(h), *m, *v;
	const char *state;
	char key[48];

	if (!st)
		return json_null();
	m = json_deep_copy(json_object_get(st, "counters"));
	if (!m)
		m = json_object();
	json_object_set_new(m, "ready",
			    json_integer(json_is_true(json_object_get(st,
								    "ready"))));
	v = json_object_get(st, "track");
	if (json_is_integer(v))
		json_object_set_new(m, "track", json_integer(
					    json_integer_value(v)));
	state = json_string_value(json_object_get(st, "keepalived_state"));
	for (unsigned int i = 0; i < BATON_HA_STATE_MAX; i++) {
		const char *n = baton_ha_state_name(i);

		snprintf(key, sizeof(key), "state_%s", n);
		json_object_set_new(m, key, json_integer(state &&
							 !strcmp(state, n)));
	}
	json_decref(st);
	return m;
}

static int cmd_stats(struct batond *d, json_t *req, json_t **data, char *err,
		     size_t errlen)
{
	uint64_t st[ST_MAX], dr[DROP_MAX];
	json_t *c, *dj;
	int ret;

	ret = baton_stats_sum(d->ld.pkt_stats_fd, st, ST_MAX);
	if (!ret)
		ret = baton_stats_sum(d->ld.drop_stats_fd, dr, DROP_MAX);
	if (ret) {
		snprintf(err, errlen, "read counters: %s", strerror(-ret));
		return ret;
	}
	c = json_object();
	dj = json_object();
	for (unsigned int i = 0; i < ST_MAX; i++)
		json_object_set_new(c, baton_stat_name(i),
				    json_integer((json_int_t)st[i]));
	for (unsigned int i = 0; i < DROP_MAX; i++)
		if (baton_drop_name(i))
			json_object_set_new(dj, baton_drop_name(i),
					    json_integer((json_int_t)dr[i]));
	*data = json_pack("{s:o, s:o}", "counters", c, "drops", dj);
	if (*data && d->ha)
		json_object_set_new(*data, "ha", baton_api_ha_metrics(d->ha));
	return 0;
}

static const char *xdp_mode_name(uint8_t m)
{
	return m == BATON_XDP_NATIVE ? "native"
	       : m == BATON_XDP_GENERIC ? "generic" : "off";
}

static const char *xdp_attach_name(uint8_t m)
{
	switch (m) {
	case 1: /* XDP_ATTACHED_DRV */
		return "native";
	case 2: /* XDP_ATTACHED_SKB */
		return "generic";
	case 3: /* XDP_ATTACHED_HW */
		return "hw";
	case 4: /* XDP_ATTACHED_MULTI */
		return "multi";
	default:
		return "none";
	}
}

/* A capability mask as an array of names (privset.h). */
static json_t *caps_json(uint64_t mask)
{
	json_t *a = json_array();
	char num[16];

	for (unsigned int c = 0; a && c < 64; c++) {
		const char *name = baton_cap_name(c);

		if (!(mask & BATON_CAP(c)))
			continue;
		if (!name) {
			snprintf(num, sizeof(num), "cap_%u", c);
			name = num;
		}
		json_array_append_new(a, json_string(name));
	}
	return a;
}

/* What batond runs with now (privs.h), as the kernel says: its loop
 * thread's capabilities, which every thread started after the drop
 * shares. */
static json_t *privs_json(const struct batond *d)
{
	struct baton_privs p;

	if (baton_privs_get(&p))
		return json_null();
	return json_pack("{s:b, s:b, s:o, s:o, s:b, s:I}",
			 "drop", d->cfg.drop_privileges,
			 "dropped", d->privs_dropped,
			 "kept", caps_json(p.permitted),
			 "bounding", caps_json(p.bounding),
			 "no_new_privs", p.no_new_privs,
			 "uid", (json_int_t)p.uid);
}

static int cmd_status(struct batond *d, json_t *req, json_t **data,
		      char *err, size_t errlen)
{
	struct baton_events_counts evc;
	struct baton_ct_gc_totals gct;
	json_t *ifs = json_array();

	for (size_t i = 0; i < d->cfg.nifaces; i++) {
		const struct baton_iface_cfg *ic = &d->cfg.ifaces[i];
		struct baton_iface_status st;
		int r = baton_loader_iface_status(&d->ld, ic->name, &st);

		json_array_append_new(ifs, json_pack(
			"{s:s, s:i, s:s, s:I, s:s, s:s, s:I}",
			"name", ic->name,
			"ifindex", r ? 0 : st.ifindex,
			"tc", r ? "gone" : st.tc_ours ? "attached"
				: st.tc_prog_id ? "foreign" : "detached",
			"tc_prog_id", (json_int_t)st.tc_prog_id,
			"xdp_mode", xdp_mode_name(ic->xdp),
			"xdp", r ? "gone" : st.xdp_ours
				? xdp_attach_name(st.xdp_attach_mode)
				: st.xdp_prog_id ? "foreign" : "detached",
			"xdp_prog_id", (json_int_t)st.xdp_prog_id));
	}
	baton_ct_gc_totals(d->gc, &gct);
	baton_events_counts(d->ev, &evc);
	*data = json_pack(
		"{s:I, s:I, s:s, s:s, s:s, s:I, s:b, s:b, s:I, s:I, s:o,"
		" s:{s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
		" s:{s:I, s:I}}",
		"node_id", (json_int_t)d->cfg.node_id,
		"epoch", (json_int_t)d->epoch,
		"config", d->cfg.path,
		"pin_path", d->ld.pin_path,
		"control_socket", d->cfg.ctl_path,
		"uptime_s", (json_int_t)((baton_ct_now_ns() - d->started_ns) /
					 1000000000ull),
		"keep_datapath", d->cfg.keep_datapath || d->keep_datapath_arg,
		"maps_reused", d->ld.reused,
		"ct_max", (json_int_t)d->ld.ct_max,
		"services", (json_int_t)d->cfg.nservices,
		"interfaces", ifs,
		"gc", "passes", (json_int_t)gct.passes,
		"scanned", (json_int_t)gct.total.scanned,
		"expired", (json_int_t)gct.total.expired,
		"expired_half_open", (json_int_t)gct.total.half_open,
		"pressure_passes", (json_int_t)gct.pressure_passes,
		"last_pass_entries", (json_int_t)gct.last_scanned,
		"pressure", gct.pressure,
		"last_pass_us", (json_int_t)gct.last_pass_us,
		"events", "established", (json_int_t)evc.by_type[CT_EV_ESTABLISHED],
		"state", (json_int_t)evc.by_type[CT_EV_STATE],
		"closed", (json_int_t)evc.by_type[CT_EV_CLOSED],
		"claimed", (json_int_t)evc.by_type[CT_EV_CLAIMED],
		"revived", (json_int_t)evc.by_type[CT_EV_REVIVED],
		"reads", (json_int_t)evc.reads,
		"deferred_reads", (json_int_t)evc.deferred,
		"reloads", "ok", (json_int_t)(d->reloads - d->reloads_failed),
		"failed", (json_int_t)d->reloads_failed);
	if (*data)
		json_object_set_new(*data, "privileges", privs_json(d));
	return *data ? 0 : -ENOMEM;
}

/* ---- config save ------------------------------------------------------- */

#define SAVE_MAX (16u << 20)	/* as the parser's limit */

static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;

	if (!f) {
		snprintf(err, errlen, "%.300s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(SAVE_MAX + 1);
	if (buf)
		n = fread(buf, 1, SAVE_MAX + 1, f);
	if (!buf || ferror(f) || n > SAVE_MAX) {
		snprintf(err, errlen, "%.300s: %s", path, !buf ? "out of "
			 "memory" : n > SAVE_MAX ? "too large" : "read error");
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
		*len = n;
	}
	fclose(f);
	return buf;
}


/* Write the running services into the config file (or "file"): the rest
 * of batond's config file as it is now, its services: section rewritten
 * (cfgsave.h). Nothing is written unless the result loads as what runs. */
static int cmd_config_save(struct batond *d, json_t *req, json_t **data,
			   char *err, size_t errlen)
{
	const char *file;
	char *text, *out;
	size_t len = 0, outlen;
	int ret = 0;

	file = arg_str(req, "file", &ret, err, errlen);
	if (ret)
		return ret;
	/* batond's own path may be relative to its directory; a client's
	 * must not be. */
	if (!file)
		file = d->cfg.path;
	else if (file[0] != '/') {
		snprintf(err, errlen, "file: expected an absolute path");
		return -EINVAL;
	}
	text = slurp(d->cfg.path, &len, err, errlen);
	if (!text)
		return -EIO;
	ret = baton_config_splice_services(d->cfg.path, text, len, &d->cfg,
					   &out, &outlen, err, errlen);
	free(text);
	if (ret)
		return ret;
	ret = baton_write_file(file, out, outlen);
	free(out);
	if (ret) {
		snprintf(err, errlen, "%.300s: %s", file, strerror(-ret));
		return ret;
	}
	log_info(SUB, "config save: %zu services written to %s",
		 d->cfg.nservices, file);
	*data = json_pack("{s:s, s:I}", "file", file, "services",
			  (json_int_t)d->cfg.nservices);
	return 0;
}

/* ---- dispatch ---------------------------------------------------------- */

typedef int (*cmd_fn)(struct batond *d, json_t *req, json_t **data,
		      char *err, size_t errlen);

static int cmd_backend_add(struct batond *d, json_t *req, json_t **data,
			   char *err, size_t errlen)
{
	return cmd_backend_change(d, req, BE_ADD, err, errlen);
}

static int cmd_backend_remove(struct batond *d, json_t *req, json_t **data,
			      char *err, size_t errlen)
{
	return cmd_backend_change(d, req, BE_REMOVE, err, errlen);
}

static int cmd_backend_weight(struct batond *d, json_t *req, json_t **data,
			      char *err, size_t errlen)
{
	return cmd_backend_change(d, req, BE_WEIGHT, err, errlen);
}

static const struct {
	const char *name;
	cmd_fn fn;
	bool changes;		/* logged at info */
} cmds[] = {
	{ "service.list", cmd_service_list, false },
	{ "service.add", cmd_service_add, true },
	{ "service.remove", cmd_service_remove, true },
	{ "backend.list", cmd_backend_list, false },
	{ "backend.add", cmd_backend_add, true },
	{ "backend.remove", cmd_backend_remove, true },
	{ "backend.weight", cmd_backend_weight, true },
	{ "ct.list", cmd_ct_list, false },
	{ "ct.count", cmd_ct_count, false },
	{ "ct.flush", cmd_ct_flush, true },
	{ "sync.status", cmd_sync_status, false },
	{ "sync.resync", cmd_sync_resync, true },
	{ "ha.status", cmd_ha_status, false },
	{ "config.save", cmd_config_save, true },
	{ "stats", cmd_stats, false },
	{ "status", cmd_status, false },
};

int baton_api_handle(void *arg, json_t *req, json_t **data, char *err,
		     size_t errlen)
{
	struct batond *d = arg;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	int ret;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmd, cmds[i].name))
			continue;
		ret = cmds[i].fn(d, req, data, err, errlen);
		if (cmds[i].changes) {
			if (ret)
				log_warn(SUB, "%s refused: %s", cmd, err);
			else
				log_info(SUB, "%s done", cmd);
		}
		return ret;
	}
	snprintf(err, errlen, "unknown command '%s'", cmd);
	return -EINVAL;
}
