// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ct.c - see ct.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "ct.h"
#include "log.h"
#include "stats.h"

#define SUB "ct"
#define CT_CHUNK_DEFAULT 4096
#define NS_PER_S 1000000000ull
/* Entries per GC slice, so that one slice holds the loop for about 2 ms:
 * the kernel's batch lookup costs ~0.5 us per entry whatever the chunk
 * size (tests/netns/ct_gc_check bench: 1M entries in ~550 ms), and an
 * expired pair adds two deletes (~3.5 us). */
#define GC_SLICE_BUDGET 4096
#define GC_SLICE_GAP_MS 4
/* Under pressure the next pass follows the last this soon: a flood fills
 * the table in well under a second. */
#define GC_PRESSURE_GAP_MS 100

uint64_t baton_ct_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Idle time; a stamp in the future (clock of another node not re-based
 * yet, or a test) is fresh. */
static uint64_t idle_ns(uint64_t now, uint64_t last_seen)
{
	return now > last_seen ? now - last_seen : 0;
}

/* Give back a counted flow's share of be_stats.active, never below 0 (the
 * datapath may have closed it concurrently). */
static bool uncount(struct be_stats *bs, const struct ct_v4_entry *e)
{
	__u64 *p, v;

	if (!bs || e->dir != CT_DIR_FWD || !(e->flags & CT_F_COUNTED) ||
	    e->svc_id >= BATON_MAX_SERVICES || e->be_id >= BATON_MAX_BACKENDS)
		return false;
	p = &bs[baton_be_index(e->svc_id, e->be_id)].active;
	v = __atomic_load_n(p, __ATOMIC_RELAXED);
	while (v && !__atomic_compare_exchange_n(p, &v, v - 1, false,
						 __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
		;
	return v != 0;
}

/* ---- incremental scan -------------------------------------------------- */

struct baton_ct_scan {
	int map_fd;
	struct be_stats *be_stats;
	uint32_t chunk;
	bool started;		/* cursor valid */
	bool done;		/* last batch returned ENOENT */
	bool pressure;		/* half-open entries age by the cap */
	__u64 cursor[2];	/* hash batch token (a bucket index) */
	__u64 next_cursor[2];
	struct ct_v4_key *keys;
	struct ct_v4_entry *vals;
	baton_ct_deleted_fn on_delete;
	void *on_delete_arg;
};

struct baton_ct_scan *baton_ct_scan_init(int map_fd, struct be_stats *be_stats,
					uint32_t chunk)
{
	struct baton_ct_scan *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	sc->map_fd = map_fd;
	sc->be_stats = be_stats;
	sc->chunk = chunk ? chunk : CT_CHUNK_DEFAULT;
	sc->keys = calloc(sc->chunk, sizeof(*sc->keys));
	sc->vals = calloc(sc->chunk, sizeof(*sc->vals));
	if (!sc->keys || !sc->vals) {
		baton_ct_scan_free(sc);
		errno = ENOMEM;
		return NULL;
	}
	return sc;
}

void baton_ct_scan_free(struct baton_ct_scan *sc)
{
	if (!sc)
		return;
	free(sc->keys);
	free(sc->vals);
	free(sc);
}

void baton_ct_scan_pressure(struct baton_ct_scan *sc, bool pressure)
{
	sc->pressure = pressure;
}

void baton_ct_scan_rewind(struct baton_ct_scan *sc)
{
	sc->started = false;
	sc->done = false;
}

/*
 * One batch of the table: 0 and *n entries, 1 and *n entries when this was
 * the last batch, or -errno.
 */
static int next_batch(int fd, bool *started, __u64 *cursor, __u64 *next,
		      struct ct_v4_key *keys, struct ct_v4_entry *vals,
		      uint32_t chunk, uint32_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = chunk;
	int ret;

	ret = bpf_map_lookup_batch(fd, *started ? cursor : NULL, next, keys,
				   vals, &count, &opts);
	if (ret && ret != -ENOENT)
		return ret;
	*n = count;
	*started = true;
	memcpy(cursor, next, 2 * sizeof(__u64));
	return ret == -ENOENT ? 1 : 0;
}

int baton_ct_cursor_next(int map_fd, struct baton_ct_cursor *c,
			 struct ct_v4_key *keys, struct ct_v4_entry *vals,
			 uint32_t chunk, uint32_t *n)
{
	return next_batch(map_fd, &c->started, c->cursor, c->next, keys, vals,
			  chunk, n);
}

int baton_ct_delete(int map_fd, struct be_stats *be_stats,
		    const struct ct_v4_key *k, const struct ct_v4_entry *e,
		    baton_ct_deleted_fn fn, void *arg)
{
	int ret = 0;

	/* ENOENT: the datapath, or a pass through the other half of the
	 * pair (a stale copy of it may still be in the batch), took it. */
	if (bpf_map_delete_elem(map_fd, k))
		return 0;
	if (uncount(be_stats, e))
		ret = 2;
	if (fn)
		fn(k, e, arg);
	return ret ? ret : 1;
}

static bool delete_entry(struct baton_ct_scan *sc, const struct ct_v4_key *k,
			 const struct ct_v4_entry *e, struct baton_ct_stats *st)
{
	int ret = baton_ct_delete(sc->map_fd, sc->be_stats, k, e,
				  sc->on_delete, sc->on_delete_arg);

	if (!ret)
		return false;
	st->deleted++;
	if (ret == 2)
		st->uncounted++;
	return true;
}

static void age_one(struct baton_ct_scan *sc, const struct baton_ct_timeouts *t,
		    uint64_t now, const struct ct_v4_key *k,
		    const struct ct_v4_entry *e, struct baton_ct_stats *st)
{
	const struct ct_v4_entry *fwd = e;
	struct ct_v4_entry peer, cur;
	bool have_peer = false;
	/* A peer's copy is removed by its owner's delete, or ages as usual
	 * (the owner may be keeping a handshake its ACK was lost for). */
	bool cap = sc->pressure && !(e->flags & CT_F_REMOTE);
	uint64_t last = e->last_seen_ns;

	/* Cheap test first: most entries are fresh by their own stamp. */
	if (idle_ns(now, e->last_seen_ns) <=
	    baton_ct_gc_timeout_ns(t, k->proto, e->state, cap))
		return;
	if (e->peer.proto) {
		have_peer = !bpf_map_lookup_elem(sc->map_fd, &e->peer, &peer);
		if (have_peer) {
			if (peer.last_seen_ns > last)
				last = peer.last_seen_ns;
			if (e->dir != CT_DIR_FWD && peer.dir == CT_DIR_FWD)
				fwd = &peer;
		}
	}
	if (idle_ns(now, last) <=
	    baton_ct_gc_timeout_ns(t, k->proto, fwd->state, cap))
		return;
	/* The batch may be a while old: a packet since then revived the
	 * flow (and announced it to the peers); it must not be deleted under
	 * it. (The peer half was read just now.) */
	if (bpf_map_lookup_elem(sc->map_fd, k, &cur) ||
	    cur.last_seen_ns != e->last_seen_ns)
		return;
	if (!delete_entry(sc, k, &cur, st))
		return;
	if (have_peer)
		delete_entry(sc, &e->peer, &peer, st);
	st->expired++;
	if (baton_ct_half_open(k->proto, fwd->state))
		st->half_open++;
	if (cap && idle_ns(now, last) <=
	    baton_ct_timeout_ns(t, k->proto, fwd->state))
		st->capped++;
}

int baton_ct_scan_step(struct baton_ct_scan *sc,
		       const struct baton_ct_timeouts *t, uint64_t now_ns,
		       uint32_t budget, struct baton_ct_stats *st)
{
	uint32_t done = 0, n;
	int ret;

	if (sc->done)
		baton_ct_scan_rewind(sc);
	do {
		ret = next_batch(sc->map_fd, &sc->started, sc->cursor,
				 sc->next_cursor, sc->keys, sc->vals,
				 sc->chunk, &n);
		if (ret < 0) {
			/* A broken cursor must not wedge the GC. */
			baton_ct_scan_rewind(sc);
			return ret;
		}
		for (uint32_t i = 0; i < n; i++)
			age_one(sc, t, now_ns, &sc->keys[i], &sc->vals[i], st);
		st->scanned += n;
		done += n;
		if (ret == 1) {
			sc->done = true;
			return 1;
		}
		/* A batch stops at a bucket boundary, a little short of a
		 * chunk: that counts as a full one. */
	} while (done < budget && budget - done >= sc->chunk / 2);
	return 0;
}

int baton_ct_scan_all(int map_fd, struct be_stats *be_stats,
		      const struct baton_ct_timeouts *t, uint64_t now_ns,
		      struct baton_ct_stats *st)
{
	struct baton_ct_scan *sc = baton_ct_scan_init(map_fd, be_stats, 0);
	int ret;

	if (!sc)
		return -errno;
	do
		ret = baton_ct_scan_step(sc, t, now_ns, UINT32_MAX, st);
	while (ret == 0);
	baton_ct_scan_free(sc);
	return ret < 0 ? ret : 0;
}

/* ---- list / count / flush ---------------------------------------------- */

int baton_ct_foreach(int map_fd, baton_ct_visit_fn fn, void *arg)
{
	struct ct_v4_key *keys;
	struct ct_v4_entry *vals;
	__u64 cursor[2] = {}, next[2] = {};
	bool started = false;
	uint32_t n;
	int ret;

	keys = calloc(CT_CHUNK_DEFAULT, sizeof(*keys));
	vals = calloc(CT_CHUNK_DEFAULT, sizeof(*vals));
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	do {
		ret = next_batch(map_fd, &started, cursor, next, keys, vals,
				 CT_CHUNK_DEFAULT, &n);
		if (ret < 0)
			goto out;
		for (uint32_t i = 0; i < n; i++) {
			int r = fn(&keys[i], &vals[i], arg);

			if (r) {
				ret = r;
				goto out;
			}
		}
	} while (ret == 0);
	ret = 0;
out:
	free(keys);
	free(vals);
	return ret;
}

static int count_one(const struct ct_v4_key *k, const struct ct_v4_entry *e,
		     void *arg)
{
	(*(long *)arg)++;
	return 0;
}

long baton_ct_count(int map_fd)
{
	long n = 0;
	int ret = baton_ct_foreach(map_fd, count_one, &n);

	return ret ? ret : n;
}

long baton_ct_flush(int map_fd, struct be_stats *be_stats,
		    baton_ct_deleted_fn fn, void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct ct_v4_key *keys;
	struct ct_v4_entry *vals;
	__u64 cursor[2] = {}, next[2] = {};
	bool started = false;
	long total = 0;
	__u32 count;
	int ret;

	keys = calloc(CT_CHUNK_DEFAULT, sizeof(*keys));
	vals = calloc(CT_CHUNK_DEFAULT, sizeof(*vals));
	if (!keys || !vals) {
		total = -ENOMEM;
		goto out;
	}
	do {
		count = CT_CHUNK_DEFAULT;
		ret = bpf_map_lookup_and_delete_batch(map_fd,
						      started ? cursor : NULL,
						      next, keys, vals, &count,
						      &opts);
		if (ret && ret != -ENOENT) {
			total = ret;
			goto out;
		}
		started = true;
		memcpy(cursor, next, sizeof(cursor));
		for (__u32 i = 0; i < count; i++) {
			uncount(be_stats, &vals[i]);
			if (fn)
				fn(&keys[i], &vals[i], arg);
		}
		total += count;
	} while (!ret);
out:
	free(keys);
	free(vals);
	return total;
}

/* ---- GC on the loop ---------------------------------------------------- */

struct baton_ct_gc {
	uv_timer_t timer;	/* passes, and the slices of a pass */
	struct baton_ct_scan *scan;
	struct baton_ct_timeouts t;
	uint32_t interval_ms;
	uint32_t pressure_pct;
	int drop_fd;		/* drop counters, or -1 */
	uint32_t ct_max;
	uint64_t ct_full_seen;	/* DROP_CT_FULL at the last pass's start */
	uint64_t left;		/* entries the last pass left in the table */
	bool in_pass;
	bool pressure;
	bool fast;		/* under pressure by a flood: short gaps */
	uint64_t pass_start_ns;
	struct baton_ct_stats pass;
	struct baton_ct_stats total;
	uint64_t passes;
	uint64_t pressure_passes;
	uint64_t last_pass_us;
	uint64_t last_scanned;
};

static void gc_tick(uv_timer_t *timer);

/* The rest between two passes. */
static uint32_t gc_gap_ms(const struct baton_ct_gc *gc)
{
	return gc->pressure && gc->fast && gc->interval_ms > GC_PRESSURE_GAP_MS
		       ? GC_PRESSURE_GAP_MS : gc->interval_ms;
}

/* ct_full drops so far (the pinned counters outlive batond), or 0. */
static uint64_t ct_full_drops(const struct baton_ct_gc *gc)
{
	uint64_t drops[DROP_CT_FULL + 1];

	if (gc->drop_fd < 0 ||
	    baton_stats_sum(gc->drop_fd, drops, DROP_CT_FULL + 1))
		return gc->ct_full_seen;
	return drops[DROP_CT_FULL];
}

/*
 * Pressure, decided at a pass's start: the datapath refused a new flow
 * since the last pass began (the table was full), or the last pass left
 * the table pressure_pct full; once under pressure, also while the last
 * pass still expired, by the cap alone, half-open entries worth 1% of the
 * table (what a flood left is gone first; a trickle of one-way flows
 * keeps no pressure on). A flood of new flows (SYNs from
 * spoofed sources, say) then stays in the table seconds instead of
 * tcp_syn_sent, and the table has room for new flows again soon after it
 * stops. Established flows are never touched by it. *fast: the flood is
 * on (refusals, or the cap still finding garbage): the next pass soon.
 */
static bool gc_pressure(struct baton_ct_gc *gc, bool *fast)
{
	uint64_t full = ct_full_drops(gc);
	bool refused = full > gc->ct_full_seen;
	bool lingering = gc->pressure && gc->ct_max &&
			 gc->pass.capped * 100 >= gc->ct_max;

	gc->ct_full_seen = full;
	*fast = false;
	if (!gc->pressure_pct)
		return false;
	*fast = refused || lingering;
	return *fast || (gc->ct_max && gc->left * 100 >=
			 (uint64_t)gc->pressure_pct * gc->ct_max);
}

/*
 * One slice of a pass (about 2 ms), then GC_SLICE_GAP_MS of rest before
 * the next: a pass over a big table is paced to at most about a third of
 * a core rather than taking the loop's whole time, and timeouts are
 * seconds long anyway. (A 0 ms timer re-armed from its own callback would
 * be worse still: libuv runs it again in the same pass over timers, and
 * I/O would wait for the whole pass.)
 */
static void gc_slice(struct baton_ct_gc *gc)
{
	int ret;

	if (!gc->in_pass) {
		bool was = gc->pressure;

		gc->in_pass = true;
		gc->pass_start_ns = baton_ct_now_ns();
		gc->pressure = gc_pressure(gc, &gc->fast); /* by the last pass */
		memset(&gc->pass, 0, sizeof(gc->pass));
		baton_ct_scan_rewind(gc->scan);
		baton_ct_scan_pressure(gc->scan, gc->pressure);
		if (gc->pressure != was)
			log_warn(SUB, gc->pressure ?
				 "gc: conntrack table under pressure (%llu of "
				 "%u entries at the last pass, or new flows "
				 "refused): half-open entries expire after %u s" :
				 "gc: pressure over (%llu of %u entries)",
				 (unsigned long long)gc->left, gc->ct_max,
				 gc->t.half_open_pressure_s);
	}
	ret = baton_ct_scan_step(gc->scan, &gc->t, baton_ct_now_ns(),
				 GC_SLICE_BUDGET, &gc->pass);
	if (ret == 0) {
		uv_timer_start(&gc->timer, gc_tick, GC_SLICE_GAP_MS, 0);
		return;
	}
	if (ret < 0)
		log_warn(SUB, "gc scan of ct_v4_map: %s", strerror(-ret));
	gc->in_pass = false;
	gc->passes++;
	if (gc->pressure)
		gc->pressure_passes++;
	gc->last_pass_us = (baton_ct_now_ns() - gc->pass_start_ns) / 1000;
	gc->last_scanned = gc->pass.scanned;
	/* A failed pass saw only part of the table: keep the last count.
	 * An expired pair was scanned once (its other half went before its
	 * batch was read, or was deleted already). */
	if (ret > 0)
		gc->left = gc->pass.scanned > gc->pass.expired ?
			   gc->pass.scanned - gc->pass.expired : 0;
	gc->total.scanned += gc->pass.scanned;
	gc->total.expired += gc->pass.expired;
	gc->total.deleted += gc->pass.deleted;
	gc->total.uncounted += gc->pass.uncounted;
	gc->total.half_open += gc->pass.half_open;
	gc->total.capped += gc->pass.capped;
	log_debug(SUB, "gc: scanned %llu, expired %llu pairs (%llu entries, "
		  "%llu uncounted) in %llu us",
		  (unsigned long long)gc->pass.scanned,
		  (unsigned long long)gc->pass.expired,
		  (unsigned long long)gc->pass.deleted,
		  (unsigned long long)gc->pass.uncounted,
		  (unsigned long long)gc->last_pass_us);
	uv_timer_start(&gc->timer, gc_tick, gc_gap_ms(gc), 0);
}

static void gc_tick(uv_timer_t *timer)
{
	gc_slice(timer->data);
}

struct baton_ct_gc *baton_ct_gc_init(uv_loop_t *loop, int map_fd,
				     struct be_stats *be_stats)
{
	struct baton_ct_gc *gc = calloc(1, sizeof(*gc));

	if (!gc)
		return NULL;
	gc->scan = baton_ct_scan_init(map_fd, be_stats, 0);
	if (!gc->scan) {
		free(gc);
		errno = ENOMEM;
		return NULL;
	}
	gc->interval_ms = 1000;
	gc->drop_fd = -1;
	uv_timer_init(loop, &gc->timer);
	gc->timer.data = gc;
	return gc;
}

void baton_ct_gc_configure(struct baton_ct_gc *gc,
			   const struct baton_config *cfg)
{
	uint32_t ms = cfg->gc_interval_ms ? cfg->gc_interval_ms : 1000;
	bool changed = ms != gc->interval_ms;

	baton_ct_timeouts_from_config(&gc->t, cfg);
	gc->pressure_pct = cfg->pressure_pct;
	gc->interval_ms = ms;
	/* A new interval counts from now, not after the old one ran out;
	 * a pass under way finishes first and then uses it. */
	if (changed && !gc->in_pass && uv_is_active((uv_handle_t *)&gc->timer))
		uv_timer_start(&gc->timer, gc_tick, gc_gap_ms(gc), 0);
}

void baton_ct_gc_on_delete(struct baton_ct_gc *gc, baton_ct_deleted_fn fn,
			   void *arg)
{
	gc->scan->on_delete = fn;
	gc->scan->on_delete_arg = arg;
}

void baton_ct_gc_watch(struct baton_ct_gc *gc, int drop_stats_fd,
		       uint32_t ct_max)
{
	gc->drop_fd = drop_stats_fd;
	gc->ct_max = ct_max;
	/* Refusals before this batond (pinned counters) are no pressure. */
	gc->ct_full_seen = 0;
	gc->ct_full_seen = ct_full_drops(gc);
}

int baton_ct_gc_start(struct baton_ct_gc *gc)
{
	return uv_timer_start(&gc->timer, gc_tick, gc->interval_ms, 0);
}

void baton_ct_gc_stop(struct baton_ct_gc *gc)
{
	uv_timer_stop(&gc->timer);
	gc->in_pass = false;
}

static void gc_closed(uv_handle_t *h)
{
	struct baton_ct_gc *gc = h->data;

	baton_ct_scan_free(gc->scan);
	free(gc);
}

void baton_ct_gc_free(struct baton_ct_gc *gc)
{
	if (!gc)
		return;
	baton_ct_gc_stop(gc);
	uv_close((uv_handle_t *)&gc->timer, gc_closed);
}

void baton_ct_gc_totals(const struct baton_ct_gc *gc,
			struct baton_ct_gc_totals *out)
{
	out->total = gc->total;
	out->passes = gc->passes;
	out->pressure_passes = gc->pressure_passes;
	out->last_pass_us = gc->last_pass_us;
	out->last_scanned = gc->last_scanned;
	out->pressure = gc->pressure;
}
