// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* services.c - see services.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "log.h"
#include "maglev.h"
#include "services.h"
#include "svcspec.h"

#define SUB "services"

struct baton_services *baton_services_init(int nat_fd, int lb_fd,
					  int snat_fd, int rnat_fd,
					  int reset_fd,
					  struct be_stats *be_stats)
{
	struct baton_services *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->nat_fd = nat_fd;
	s->lb_fd = lb_fd;
	s->snat_fd = snat_fd;
	s->rnat_fd = rnat_fd;
	s->reset_fd = reset_fd;
	s->be_stats = be_stats;
	return s;
}

void baton_services_free(struct baton_services *s)
{
	free(s);
}

static struct nat_v4_key svc_key(const struct baton_svc_state *st)
{
	struct nat_v4_key k = {
		.vip = htonl(st->vip),
		.port = htons(st->port),
		.proto = st->proto,
	};
	return k;
}

static char *svc_name(const struct baton_svc_state *st, char *buf)
{
	return baton_svc_spec_str(st->vip, st->port, st->proto, buf);
}

static bool held(const uint8_t *bits, unsigned int i)
{
	return bits[i / 8] & (1u << (i % 8));
}

static void hold(uint8_t *bits, unsigned int i)
{
	bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

static const struct be_stats *stats_of(const struct baton_services *s,
				       unsigned int svc_id,
				       unsigned int be_id)
{
	static const struct be_stats zero;

	if (!s->be_stats)
		return &zero;
	return &s->be_stats[baton_be_index(svc_id, be_id)];
}

static __u64 load64(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* 2: unused, never counted; 1: no counted flow names it; 0: busy. */
static int be_id_grade(const struct baton_services *s, unsigned int svc_id,
		       unsigned int be_id)
{
	const struct be_stats *bs = stats_of(s, svc_id, be_id);

	if (load64(&bs->active))
		return 0;
	return load64(&bs->flows) ? 1 : 2;
}

static int svc_id_grade(const struct baton_services *s, unsigned int svc_id)
{
	int grade = 2, g;

	for (unsigned int b = 0; b < BATON_MAX_BACKENDS; b++) {
		g = be_id_grade(s, svc_id, b);
		if (g < grade)
			grade = g;
	}
	return grade;
}

/*
 * Pick an id not in use now (cur) nor in the state being built (next):
 * never held in this life and clean first, then any whose counters say no
 * counted flow names it. -ENOSPC if none.
 */
static int alloc_svc_id(const struct baton_services *s,
			const struct baton_svc_state *next)
{
	int best = -1, best_rank = 0, rank, g;

	for (unsigned int i = 0; i < BATON_MAX_SERVICES; i++) {
		if (s->svc[i].present || next[i].present)
			continue;
		g = svc_id_grade(s, i);
		if (!g)
			continue;
		rank = g + (held(s->svc_held, i) ? 0 : 2);
		if (rank > best_rank) {
			best = (int)i;
			best_rank = rank;
		}
	}
	return best >= 0 ? best : -ENOSPC;
}

static int alloc_be_id(const struct baton_services *s, unsigned int svc_id,
		       const struct baton_svc_state *cur,
		       const struct baton_svc_state *next)
{
	int best = -1, best_rank = 0, rank, g;

	for (unsigned int i = 0; i < BATON_MAX_BACKENDS; i++) {
		if ((cur && cur->be[i].present) || next->be[i].present)
			continue;
		g = be_id_grade(s, svc_id, i);
		if (!g)
			continue;
		rank = g + ((cur && (cur->be_held & (1ull << i))) ? 0 : 2);
		if (rank > best_rank) {
			best = (int)i;
			best_rank = rank;
		}
	}
	return best >= 0 ? best : -ENOSPC;
}

int baton_services_find(const struct baton_services *s, uint32_t vip,
			uint16_t port, uint8_t proto)
{
	for (int i = 0; i < BATON_MAX_SERVICES; i++) {
		const struct baton_svc_state *st = &s->svc[i];

		if (st->present && st->vip == vip && st->port == port &&
		    st->proto == proto)
			return i;
	}
	return -ENOENT;
}

int baton_services_find_be(const struct baton_services *s, int svc_id,
			   uint32_t addr, uint16_t port)
{
	if (svc_id < 0 || svc_id >= BATON_MAX_SERVICES ||
	    !s->svc[svc_id].present)
		return -ENOENT;
	for (int i = 0; i < BATON_MAX_BACKENDS; i++) {
		const struct baton_svc_be *be = &s->svc[svc_id].be[i];

		if (be->present && be->addr == addr && be->port == port)
			return i;
	}
	return -ENOENT;
}

static int find_in(const struct baton_svc_state *v, uint32_t vip,
		   uint16_t port, uint8_t proto)
{
	for (int i = 0; i < BATON_MAX_SERVICES; i++)
		if (v[i].present && v[i].vip == vip && v[i].port == port &&
		    v[i].proto == proto)
			return i;
	return -1;
}

/* ---- be_reset_map ------------------------------------------------------ */

static bool be_reset_get(const struct baton_services *s, unsigned int svc_id,
			 unsigned int be_id)
{
	__u32 idx = baton_be_index(svc_id, be_id), v = 0;

	return !bpf_map_lookup_elem(s->reset_fd, &idx, &v) && v;
}

/* Write what changed from s->svc to next (after a commit; a failure is
 * logged: the flows then go on as with on_down: keep). */
static void be_reset_sync(struct baton_services *s,
			  const struct baton_svc_state *next)
{
	char name[BATON_SPEC_STRLEN];

	for (unsigned int id = 0; id < BATON_MAX_SERVICES; id++) {
		for (unsigned int b = 0; b < BATON_MAX_BACKENDS; b++) {
			bool was = s->svc[id].present &&
				   s->svc[id].be[b].present &&
				   s->svc[id].be[b].reset;
			bool now = next[id].present && next[id].be[b].present &&
				   next[id].be[b].reset;
			__u32 idx = baton_be_index(id, b), v = now;

			if (was == now)
				continue;
			if (bpf_map_update_elem(s->reset_fd, &idx, &v, BPF_ANY))
				log_err(SUB, "be_reset_map[%u] of %s: %s", idx,
					svc_name(now ? &next[id] : &s->svc[id],
						 name), strerror(errno));
		}
	}
}

bool baton_services_resetting(const struct baton_services *s)
{
	for (int id = 0; id < BATON_MAX_SERVICES; id++)
		for (int b = 0; s->svc[id].present && b < BATON_MAX_BACKENDS;
		     b++)
			if (s->svc[id].be[b].present && s->svc[id].be[b].reset)
				return true;
	return false;
}

/* ---- recovery ---------------------------------------------------------- */

int baton_services_recover(struct baton_services *s, uint32_t hash_seed)
{
	struct nat_v4_key key, next_key, *prev = NULL;
	struct lb_v4_table *tbl;
	struct nat_v4_svc val;
	char name[BATON_SPEC_STRLEN];
	unsigned int nsvc = 0, nbe = 0;
	int ret = 0;

	s->hash_seed = hash_seed;
	tbl = malloc(sizeof(*tbl));
	if (!tbl)
		return -ENOMEM;

	while (!bpf_map_get_next_key(s->nat_fd, prev, &next_key)) {
		struct baton_svc_state *st;
		__u32 idx;

		key = next_key;
		prev = &key;
		if (bpf_map_lookup_elem(s->nat_fd, &key, &val))
			continue;	/* deleted meanwhile */
		baton_svc_spec_str(ntohl(key.vip), ntohs(key.port), key.proto,
				   name);
		if (val.svc_id >= BATON_MAX_SERVICES ||
		    s->svc[val.svc_id].present) {
			/* Not something a batond wrote; it would never be
			 * cleaned up, so report it and leave it to apply
			 * to override or the operator to remove. */
			log_warn(SUB, "pinned nat_v4_map: %s has bad or "
				 "duplicate svc_id %u; ignored", name,
				 val.svc_id);
			continue;
		}
		idx = baton_lb_index(val.svc_id, val.slot);
		if (bpf_map_lookup_elem(s->lb_fd, &idx, tbl)) {
			ret = -errno;
			log_err(SUB, "read lb_v4_map[%u] of %s: %s", idx, name,
				strerror(errno));
			goto out;
		}
		st = &s->svc[val.svc_id];
		st->present = true;
		st->vip = ntohl(key.vip);
		st->port = ntohs(key.port);
		st->proto = key.proto;
		st->val = val;
		hold(s->svc_held, val.svc_id);
		for (unsigned int i = 0; i < tbl->nbe && i < BATON_MAX_BACKENDS;
		     i++) {
			const struct lb_v4_backend *b = &tbl->be[i];

			/* Freed ids are written as all-zero entries. */
			if (!b->addr && !b->port && !b->weight && !b->flags)
				continue;
			st->be[i].present = true;
			st->be[i].addr = ntohl(b->addr);
			st->be[i].port = ntohs(b->port);
			st->be[i].weight = b->weight;
			st->be[i].down = !!(b->flags & BE_F_DOWN);
			st->be[i].reset = be_reset_get(s, val.svc_id, i);
			st->be_held |= 1ull << i;
			nbe++;
		}
		nsvc++;
		log_debug(SUB, "recovered %s: id %u slot %u gen %u", name,
			  val.svc_id, val.slot, val.gen);
	}
	if (nsvc)
		log_info(SUB, "recovered %u services, %u backends from pinned "
			 "maps", nsvc, nbe);
out:
	free(tbl);
	return ret;
}

void baton_services_seed_down(const struct baton_services *s,
			      struct baton_config *cfg)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct baton_service_cfg *sc = &cfg->services[i];
		int id = baton_services_find(s, sc->vip, sc->port, sc->proto);

		if (id < 0 || sc->health.type == BATON_HC_NONE)
			continue;
		for (size_t b = 0; b < sc->nbackends; b++) {
			int be = baton_services_find_be(s, id,
							sc->backends[b].addr,
							sc->backends[b].port);

			if (be >= 0 && s->svc[id].be[be].down)
				sc->backends[b].down = true;
		}
	}
}

/* ---- apply ------------------------------------------------------------- */

struct svc_change {
	int id;
	bool is_new;			/* not in nat_v4_map before */
	struct nat_v4_svc old_val;
	struct nat_v4_svc new_val;
	struct lb_v4_table *tbl;	/* to write at (id, new_val.slot) */
};

static bool svc_differs(const struct baton_svc_state *a,
			const struct baton_svc_state *b, bool seed_changed)
{
	if (a->val.mode != b->val.mode || a->val.algo != b->val.algo ||
	    a->val.snat_addr != b->val.snat_addr)
		return true;
	if (seed_changed && b->val.algo == BATON_ALGO_MAGLEV)
		return true;
	for (int i = 0; i < BATON_MAX_BACKENDS; i++) {
		const struct baton_svc_be *x = &a->be[i], *y = &b->be[i];

		if (x->present != y->present)
			return true;
		if (x->present && (x->addr != y->addr || x->port != y->port ||
				   x->weight != y->weight ||
				   x->down != y->down))
			return true;
	}
	return false;
}

static int build_table(const struct baton_svc_state *st, uint32_t seed,
		       struct lb_v4_table *tbl, char *err, size_t errlen)
{
	struct baton_sched_backend sb[BATON_MAX_BACKENDS];
	char name[BATON_SPEC_STRLEN];
	size_t n = 0;
	int ret;

	memset(tbl, 0, sizeof(*tbl));
	for (int i = 0; i < BATON_MAX_BACKENDS; i++) {
		const struct baton_svc_be *be = &st->be[i];

		if (!be->present)
			continue;
		tbl->nbe = (uint32_t)i + 1;
		tbl->be[i].addr = htonl(be->addr);
		tbl->be[i].port = htons(be->port);
		tbl->be[i].weight = be->weight;
		tbl->be[i].flags = be->down ? BE_F_DOWN :
				   be->weight ? BE_F_ACTIVE : 0;
		if (be->down)
			continue;	/* not in the schedule */
		sb[n].id = (uint16_t)i;
		sb[n].addr = be->addr;
		sb[n].port = be->port;
		sb[n].weight = be->weight;
		n++;
	}

	switch (st->val.algo) {
	case BATON_ALGO_MAGLEV:
		ret = baton_maglev_build(sb, n, seed, tbl->sched,
					 BATON_MAGLEV_M);
		tbl->sched_len = ret ? 0 : BATON_MAGLEV_M;
		break;
	case BATON_ALGO_WRR:
		ret = baton_wrr_build(sb, n, tbl->sched, BATON_SCHED_MAX,
				      &tbl->sched_len);
		if (ret)
			tbl->sched_len = 0;
		break;
	case BATON_ALGO_LC:
		ret = 0;
		tbl->sched_len = 0;
		break;
	default:
		ret = -EINVAL;
		break;
	}
	/* No selectable backend is a valid state (drained, or not added
	 * yet): the datapath drops new flows with DROP_NO_BACKEND. */
	if (ret == -ENOENT)
		ret = 0;
	if (ret) {
		snprintf(err, errlen, "service %s: cannot build %s schedule: "
			 "%s", svc_name(st, name), baton_algo_str(st->val.algo),
			 strerror(-ret));
		return ret;
	}
	if (tbl->sched_len > BATON_SCHED_MAX) {
		snprintf(err, errlen, "service %s: schedule of %u entries "
			 "exceeds %u", svc_name(st, name), tbl->sched_len,
			 BATON_SCHED_MAX);
		return -E2BIG;
	}
	for (uint32_t i = 0; i < tbl->sched_len; i++) {
		if (tbl->sched[i] >= tbl->nbe ||
		    !(tbl->be[tbl->sched[i]].flags & BE_F_ACTIVE)) {
			snprintf(err, errlen, "service %s: schedule names "
				 "backend id %u which is not selectable",
				 svc_name(st, name), tbl->sched[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static void retire_one(struct baton_svc_state *st, uint32_t addr,
		       uint16_t port, uint16_t be_id)
{
	for (size_t i = 0; i < BATON_MAX_BACKENDS; i++)
		if (st->be[i].present && st->be[i].addr == addr &&
		    st->be[i].port == port)
			return;
	for (size_t i = 0; i < st->nretired; i++)
		if (st->retired[i].addr == addr && st->retired[i].port == port)
			return;
	if (st->nretired == BATON_MAX_BACKENDS) {	/* the oldest goes */
		memmove(&st->retired[0], &st->retired[1],
			(BATON_MAX_BACKENDS - 1) * sizeof(st->retired[0]));
		st->nretired--;
	}
	st->retired[st->nretired++] = (struct baton_svc_retired){
		.addr = addr, .port = port, .be_id = be_id };
}

/* st's retired endpoints: cur's that did not come back, then the backends
 * st no longer has. */
static void retire_backends(const struct baton_svc_state *cur,
			    struct baton_svc_state *st)
{
	st->nretired = 0;
	for (size_t i = 0; i < cur->nretired; i++)
		retire_one(st, cur->retired[i].addr, cur->retired[i].port,
			   cur->retired[i].be_id);
	for (size_t i = 0; i < BATON_MAX_BACKENDS; i++)
		if (cur->be[i].present)
			retire_one(st, cur->be[i].addr, cur->be[i].port,
				   (uint16_t)i);
}

/* Fill next[] (the desired state) from cfg; ids allocated. */
static int plan(struct baton_services *s, const struct baton_config *cfg,
		struct baton_svc_state *next, char *err, size_t errlen)
{
	char name[BATON_SPEC_STRLEN], bname[BATON_SPEC_STRLEN];

	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct baton_service_cfg *sc = &cfg->services[i];
		const struct baton_svc_state *cur = NULL;
		struct baton_svc_state *st;
		bool reset = sc->health.type != BATON_HC_NONE &&
			     sc->health.on_down == BATON_HC_RESET;
		int id;

		baton_svc_spec_str(sc->vip, sc->port, sc->proto, name);
		if (sc->mode >= BATON_MODE_MAX || sc->algo >= BATON_ALGO_MAX ||
		    sc->nbackends > BATON_MAX_BACKENDS) {
			snprintf(err, errlen, "service %s: bad mode, algorithm "
				 "or backend count", name);
			return -EINVAL;
		}
		if (find_in(next, sc->vip, sc->port, sc->proto) >= 0) {
			snprintf(err, errlen, "service %s: configured twice",
				 name);
			return -EINVAL;
		}
		id = find_in(s->svc, sc->vip, sc->port, sc->proto);
		if (id >= 0) {
			cur = &s->svc[id];
		} else {
			id = alloc_svc_id(s, next);
			if (id < 0) {
				snprintf(err, errlen, "service %s: no free "
					 "service id (max %u, and freed ids "
					 "still have counted flows)", name,
					 BATON_MAX_SERVICES);
				return id;
			}
		}
		st = &next[id];
		memset(st, 0, sizeof(*st));
		st->present = true;
		st->vip = sc->vip;
		st->port = sc->port;
		st->proto = sc->proto;
		if (cur) {
			st->val = cur->val;
			st->be_held = cur->be_held;
		} else {
			st->val.svc_id = (__u16)id;
		}
		st->val.mode = sc->mode;
		st->val.algo = sc->algo;
		st->val.snat_addr = htonl(sc->snat);

		/* Keep the ids of backends that stay ... */
		for (size_t b = 0; b < sc->nbackends; b++) {
			const struct baton_backend_cfg *bc = &sc->backends[b];

			for (int j = 0; cur && j < BATON_MAX_BACKENDS; j++) {
				if (!cur->be[j].present ||
				    cur->be[j].addr != bc->addr ||
				    cur->be[j].port != bc->port)
					continue;
				if (st->be[j].present) {
					snprintf(err, errlen, "service %s: "
						 "backend %s twice", name,
						 baton_be_spec_str(bc->addr,
							bc->port, bname));
					return -EINVAL;
				}
				st->be[j] = cur->be[j];
				st->be[j].weight = bc->weight;
				st->be[j].down = bc->down;
				st->be[j].reset = bc->down && reset;
				break;
			}
		}
		/* ... then give the new ones fresh ids. */
		for (size_t b = 0; b < sc->nbackends; b++) {
			const struct baton_backend_cfg *bc = &sc->backends[b];
			int j, dup = 0;

			for (j = 0; j < BATON_MAX_BACKENDS; j++)
				if (st->be[j].present &&
				    st->be[j].addr == bc->addr &&
				    st->be[j].port == bc->port)
					dup++;
			if (dup)
				continue;
			j = alloc_be_id(s, (unsigned int)id, cur, st);
			if (j < 0) {
				snprintf(err, errlen, "service %s: no free "
					 "backend id for %s (max %u, and "
					 "freed ids still have counted "
					 "flows)", name,
					 baton_be_spec_str(bc->addr, bc->port,
							   bname),
					 BATON_MAX_BACKENDS);
				return j;
			}
			st->be[j].present = true;
			st->be[j].addr = bc->addr;
			st->be[j].port = bc->port;
			st->be[j].weight = bc->weight;
			st->be[j].down = bc->down;
			st->be[j].reset = bc->down && reset;
		}
		if (cur)
			retire_backends(cur, st);
	}
	return 0;
}

/* An id given out again: its counters belong to the new owner. Only called
 * for ids with active == 0 that no table names. */
static void reset_stats(struct baton_services *s, unsigned int svc_id,
			unsigned int be_id)
{
	struct be_stats *bs;

	if (!s->be_stats)
		return;
	bs = &s->be_stats[baton_be_index(svc_id, be_id)];
	__atomic_store_n(&bs->flows, 0, __ATOMIC_RELAXED);
}

static int nat_write(struct baton_services *s, const struct baton_svc_state *st,
		     const struct nat_v4_svc *val)
{
	struct nat_v4_key k = svc_key(st);

	return bpf_map_update_elem(s->nat_fd, &k, val, BPF_ANY) ? -errno : 0;
}

static int nat_delete(struct baton_services *s,
		      const struct baton_svc_state *st)
{
	struct nat_v4_key k = svc_key(st);

	if (bpf_map_delete_elem(s->nat_fd, &k) && errno != ENOENT)
		return -errno;
	return 0;
}

/* ---- snat_v4_map: the fullNAT source addresses in force ---------------- */

static bool snat_used(const struct baton_svc_state *svc, __be32 addr)
{
	for (int id = 0; id < BATON_MAX_SERVICES; id++)
		if (svc[id].present &&
		    svc[id].val.mode == BATON_MODE_FULLNAT &&
		    svc[id].val.snat_addr == addr)
			return true;
	return false;
}

/* Add the source addresses of `next` not in the map yet; those added go
 * to added[] (BATON_MAX_SERVICES long), for snat_undo. */
static int snat_add(struct baton_services *s,
		    const struct baton_svc_state *next, __be32 *added,
		    size_t *nadded, char *err, size_t errlen)
{
	__u32 one = 1;

	*nadded = 0;
	for (int id = 0; id < BATON_MAX_SERVICES; id++) {
		__be32 a = next[id].val.snat_addr;
		char ip[INET_ADDRSTRLEN];

		if (!next[id].present ||
		    next[id].val.mode != BATON_MODE_FULLNAT || !a)
			continue;
		if (bpf_map_update_elem(s->snat_fd, &a, &one, BPF_NOEXIST)) {
			if (errno == EEXIST)
				continue;	/* in force already, or shared */
			snprintf(err, errlen, "write snat_v4_map for %s: %s",
				 inet_ntop(AF_INET, &a, ip, sizeof(ip)),
				 strerror(errno));
			return -errno;
		}
		added[(*nadded)++] = a;
	}
	return 0;
}

static void snat_undo(struct baton_services *s, const __be32 *added,
		      size_t n)
{
	while (n--)
		if (bpf_map_delete_elem(s->snat_fd, &added[n]) &&
		    errno != ENOENT)
			log_err(SUB, "rollback: snat_v4_map delete: %s",
				strerror(errno));
}

/* Remove every address no service in force uses (also what a previous
 * batond left for services since gone). */
static void snat_prune(struct baton_services *s)
{
	__be32 key, next_key, *prev = NULL;
	char ip[INET_ADDRSTRLEN];

	while (!bpf_map_get_next_key(s->snat_fd, prev, &next_key)) {
		key = next_key;
		if (snat_used(s->svc, key)) {
			prev = &key;
			continue;
		}
		/* Deleting the key restarts the walk from the start, which
		 * only holds addresses in use by now. */
		if (bpf_map_delete_elem(s->snat_fd, &key) && errno != ENOENT) {
			log_err(SUB, "snat_v4_map: delete %s: %s",
				inet_ntop(AF_INET, &key, ip, sizeof(ip)),
				strerror(errno));
			prev = &key;
			continue;
		}
		prev = NULL;
	}
}

/* ---- rnat_v4_map: the backend endpoints of DNAT services --------------- */

struct rnat_ent {
	struct nat_v4_key k;
	struct rnat_v4_val v;
};

static int rnat_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct rnat_ent *)a)->k,
		      &((const struct rnat_ent *)b)->k, sizeof(struct nat_v4_key));
}

/*
 * Make rnat_v4_map hold every backend endpoint of the DNAT services in
 * force (drained ones too: their flows still answer), with the number of
 * DNAT services that share it; then the endpoints that left a DNAT service
 * still in force and are no other's (their flows answer too: a reply left
 * un-NATed would make the client reset it). Written after a commit, so a
 * failure here leaves the services as they are: it is logged, and only
 * the asymmetric return path of a new flow (BATON_CFG_F_ASYM) waits for a
 * retransmission.
 */
/*
 * Append to want[n..) an entry per backend endpoint of every DNAT service:
 * its backends, or (retired) the endpoints that left it, skipping those
 * want[0..nkeep) (sorted) already has. Returns the new n.
 */
static size_t rnat_collect(const struct baton_services *s,
			   struct rnat_ent *want, size_t n, size_t nkeep,
			   bool retired)
{
	for (int id = 0; id < BATON_MAX_SERVICES; id++) {
		const struct baton_svc_state *st = &s->svc[id];
		size_t cnt = retired ? st->nretired : BATON_MAX_BACKENDS;

		if (!st->present || st->val.mode != BATON_MODE_DNAT)
			continue;
		for (size_t b = 0; b < cnt; b++) {
			struct rnat_ent *e = &want[n];

			if (!retired && !st->be[b].present)
				continue;
			e->k.vip = htonl(retired ? st->retired[b].addr :
					 st->be[b].addr);
			e->k.port = htons(retired ? st->retired[b].port :
					  st->be[b].port);
			e->k.proto = st->proto;
			if (nkeep && bsearch(e, want, nkeep, sizeof(*want),
					     rnat_cmp))
				continue;
			e->v.vip = htonl(st->vip);
			e->v.vport = htons(st->port);
			e->v.svc_id = (__u16)id;
			e->v.be_id = retired ? st->retired[b].be_id : (__u16)b;
			e->v.services = 1;
			n++;
		}
	}
	return n;
}

/* Sort want[*m..n) and fold it onto want[*m..): one entry per endpoint,
 * counting the services that share it. */
static void rnat_fold(struct rnat_ent *want, size_t n, size_t *m)
{
	size_t first = *m;

	qsort(want + first, n - first, sizeof(*want), rnat_cmp);
	for (size_t i = first; i < n; i++) {
		if (*m > first && !rnat_cmp(&want[*m - 1], &want[i])) {
			if (want[*m - 1].v.services < UINT8_MAX)
				want[*m - 1].v.services++;
			continue;
		}
		want[(*m)++] = want[i];
	}
}

static void rnat_refresh(struct baton_services *s)
{
	struct nat_v4_key key, next_key, *prev = NULL;
	struct rnat_ent *want;
	size_t n, m = 0, keep;

	/* Room for every service's backends and retired endpoints. */
	want = calloc((size_t)BATON_MAX_SERVICES * BATON_MAX_BACKENDS * 2,
		      sizeof(*want));
	if (!want) {
		log_err(SUB, "rnat_v4_map: out of memory, not refreshed");
		return;
	}
	n = rnat_collect(s, want, 0, 0, false);
	rnat_fold(want, n, &m);
	n = rnat_collect(s, want, m, m, true);
	keep = m;
	rnat_fold(want, n, &m);
	if (m > keep)
		qsort(want, m, sizeof(*want), rnat_cmp);
	for (size_t i = 0; i < m; i++) {
		struct rnat_v4_val cur;
		char ip[INET_ADDRSTRLEN];

		if (!bpf_map_lookup_elem(s->rnat_fd, &want[i].k, &cur) &&
		    !memcmp(&cur, &want[i].v, sizeof(cur)))
			continue;
		if (bpf_map_update_elem(s->rnat_fd, &want[i].k, &want[i].v,
					BPF_ANY))
			log_err(SUB, "rnat_v4_map: write %s:%u: %s",
				inet_ntop(AF_INET, &want[i].k.vip, ip,
					  sizeof(ip)),
				ntohs(want[i].k.port), strerror(errno));
	}
	/* Then what no DNAT service uses any more. */
	while (!bpf_map_get_next_key(s->rnat_fd, prev, &next_key)) {
		struct rnat_ent probe = {.k = next_key};

		key = next_key;
		if (bsearch(&probe, want, m, sizeof(*want), rnat_cmp) ||
		    (bpf_map_delete_elem(s->rnat_fd, &key) && errno != ENOENT)) {
			prev = &key;
			continue;
		}
		prev = NULL;	/* the walk restarts: kept keys come first */
	}
	free(want);
}

int baton_services_apply(struct baton_services *s,
			 const struct baton_config *cfg, char *err,
			 size_t errlen)
{
	struct baton_svc_state *next;
	struct svc_change *chg = NULL;
	int removed[BATON_MAX_SERVICES];
	__be32 snat_added[BATON_MAX_SERVICES];
	size_t nchg = 0, nrem = 0, flipped = 0, deleted = 0, nsnat = 0, i;
	bool seed_changed = cfg->hash_seed != s->hash_seed;
	char name[BATON_SPEC_STRLEN];
	int ret;

	next = calloc(BATON_MAX_SERVICES, sizeof(*next));
	chg = calloc(BATON_MAX_SERVICES, sizeof(*chg));
	if (!next || !chg) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}

	/* 1. Plan and build everything in memory. */
	ret = plan(s, cfg, next, err, errlen);
	if (ret)
		goto out_free;
	for (int id = 0; id < BATON_MAX_SERVICES; id++) {
		struct baton_svc_state *cur = &s->svc[id], *st = &next[id];
		struct svc_change *c;

		if (cur->present && !st->present) {
			removed[nrem++] = id;
			continue;
		}
		if (!st->present ||
		    (cur->present && !svc_differs(cur, st, seed_changed)))
			continue;
		c = &chg[nchg++];
		c->id = id;
		c->is_new = !cur->present;
		c->old_val = cur->val;
		c->new_val = st->val;
		c->new_val.svc_id = (__u16)id;
		c->new_val.slot = c->is_new ? 0 : !cur->val.slot;
		c->new_val.gen = c->is_new ? 1 : cur->val.gen + 1;
		c->tbl = malloc(sizeof(*c->tbl));
		if (!c->tbl) {
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out_free;
		}
		ret = build_table(st, cfg->hash_seed, c->tbl, err, errlen);
		if (ret)
			goto out_free;
		st->val = c->new_val;
	}

	/* 2. Inactive slots: invisible to packets until the flip. */
	for (i = 0; i < nchg; i++) {
		__u32 idx = baton_lb_index(chg[i].id, chg[i].new_val.slot);
		const struct baton_svc_state *st = &next[chg[i].id];
		const struct baton_svc_state *cur = &s->svc[chg[i].id];

		if (chg[i].is_new)
			for (int b = 0; b < BATON_MAX_BACKENDS; b++)
				reset_stats(s, chg[i].id, b);
		else
			for (int b = 0; b < BATON_MAX_BACKENDS; b++)
				if (st->be[b].present && !cur->be[b].present)
					reset_stats(s, chg[i].id, b);
		if (bpf_map_update_elem(s->lb_fd, &idx, chg[i].tbl, BPF_ANY)) {
			ret = -errno;
			snprintf(err, errlen, "write lb_v4_map[%u] for %s: %s",
				 idx, svc_name(st, name), strerror(errno));
			goto out_free;
		}
	}

	/* 3. The fullNAT source addresses first (replies to them that miss
	 * conntrack are dropped, not answered by the stack), then the flip,
	 * one update per service. */
	ret = snat_add(s, next, snat_added, &nsnat, err, errlen);
	if (ret)
		goto out_unflip;
	for (flipped = 0; flipped < nchg; flipped++) {
		const struct svc_change *c = &chg[flipped];

		ret = nat_write(s, &next[c->id], &c->new_val);
		if (ret) {
			snprintf(err, errlen, "write nat_v4_map for %s: %s",
				 svc_name(&next[c->id], name), strerror(-ret));
			goto out_unflip;
		}
	}

	/* 4. Removed services. Their flows keep their conntrack entries
	 * (and translation) until they expire. */
	for (deleted = 0; deleted < nrem; deleted++) {
		ret = nat_delete(s, &s->svc[removed[deleted]]);
		if (ret) {
			snprintf(err, errlen, "delete %s from nat_v4_map: %s",
				 svc_name(&s->svc[removed[deleted]], name),
				 strerror(-ret));
			goto out_undelete;
		}
	}

	/* 5. Commit. */
	for (i = 0; i < nchg; i++) {
		const struct svc_change *c = &chg[i];
		struct baton_svc_state *st = &next[c->id];

		for (int b = 0; b < BATON_MAX_BACKENDS; b++)
			if (st->be[b].present)
				st->be_held |= 1ull << b;
		hold(s->svc_held, (unsigned int)c->id);
		log_info(SUB, "%s %s: id %d, slot %u gen %u, %u backends, "
			 "sched %u", c->is_new ? "added" : "updated",
			 svc_name(st, name), c->id, c->new_val.slot,
			 c->new_val.gen, c->tbl->nbe, c->tbl->sched_len);
	}
	for (i = 0; i < nrem; i++)
		log_info(SUB, "removed %s (id %d)",
			 svc_name(&s->svc[removed[i]], name), removed[i]);
	be_reset_sync(s, next);
	memcpy(s->svc, next, sizeof(s->svc));
	s->hash_seed = cfg->hash_seed;
	snat_prune(s);
	rnat_refresh(s);
	ret = 0;
	goto out_free;

out_undelete:
	while (deleted--)
		if (nat_write(s, &s->svc[removed[deleted]],
			      &s->svc[removed[deleted]].val))
			log_err(SUB, "rollback: re-insert %s failed",
				svc_name(&s->svc[removed[deleted]], name));
	flipped = nchg;
out_unflip:
	while (flipped--) {
		const struct svc_change *c = &chg[flipped];
		int r = c->is_new ? nat_delete(s, &next[c->id])
				  : nat_write(s, &s->svc[c->id], &c->old_val);

		if (r)
			log_err(SUB, "rollback of %s failed: %s",
				svc_name(&next[c->id], name), strerror(-r));
	}
	snat_undo(s, snat_added, nsnat);
out_free:
	for (i = 0; chg && i < nchg; i++)
		free(chg[i].tbl);
	free(chg);
	free(next);
	return ret;
}
