/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ct.h - conntrack table work in user space: ageing (GC), listing,
 * counting, flushing ct_v4_map.
 *
 * Ageing contract: a pair expires when
 *   now - max(fwd.last_seen_ns, rev.last_seen_ns) > timeout(proto, state)
 * with now on CLOCK_MONOTONIC (bpf_ktime_get_ns's clock) and the state of
 * the forward half (the reverse half's when the forward one is missing).
 * Both halves are deleted together; DSR pairs have no reverse half
 * (peer.proto == 0). A deleted forward half still carrying CT_F_COUNTED
 * gives its be_stats_map.active count back (atomically, never below 0).
 * Last-seen stamps in the future count as fresh.
 *
 * The scan is incremental: baton_ct_scan_step() does at most `budget`
 * entries and remembers the hash-map batch cursor, so the loop is never
 * held for a whole table.
 */
#ifndef BATON_CT_H
#define BATON_CT_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "cttimeout.h"

struct baton_ct_stats {
	uint64_t scanned;	/* entries looked at */
	uint64_t expired;	/* pairs (or lone halves) removed */
	uint64_t deleted;	/* map entries removed */
	uint64_t uncounted;	/* be_stats active decrements */
	uint64_t half_open;	/* of expired: never past the handshake */
	uint64_t capped;	/* of those: by the pressure cap alone */
};

/* CLOCK_MONOTONIC in ns, the datapath's clock. */
uint64_t baton_ct_now_ns(void);

/* ---- incremental scan -------------------------------------------------- */

struct baton_ct_scan;

/* be_stats: the mmapped be_stats_map or NULL (no accounting). chunk: entries
 * per batch syscall (0: default 4096). NULL with errno. */
struct baton_ct_scan *baton_ct_scan_init(int map_fd, struct be_stats *be_stats,
					uint32_t chunk);
void baton_ct_scan_free(struct baton_ct_scan *sc);
/* Restart from the beginning of the table. */
void baton_ct_scan_rewind(struct baton_ct_scan *sc);
/* Under pressure (or not): from the next entry on, this node's own
 * half-open entries age by baton_ct_gc_timeout_ns's cap (a peer's copies
 * go when their owner deletes them). */
void baton_ct_scan_pressure(struct baton_ct_scan *sc, bool pressure);
/* Age at most ~budget entries (whole chunks). 1: the pass is complete (next
 * call starts over), 0: more to do, -errno. Stats are added to *st. */
int baton_ct_scan_step(struct baton_ct_scan *sc,
		       const struct baton_ct_timeouts *t, uint64_t now_ns,
		       uint32_t budget, struct baton_ct_stats *st);

/* One whole pass at now_ns (tests, bench). 0 or -errno. */
int baton_ct_scan_all(int map_fd, struct be_stats *be_stats,
		      const struct baton_ct_timeouts *t, uint64_t now_ns,
		      struct baton_ct_stats *st);

/* ---- list / count / flush (synchronous; for the control socket) ------- */

typedef int (*baton_ct_visit_fn)(const struct ct_v4_key *key,
				 const struct ct_v4_entry *e, void *arg);

/* Told about every map entry the GC or a flush removed (as it was read). */
typedef void (*baton_ct_deleted_fn)(const struct ct_v4_key *key,
				    const struct ct_v4_entry *e, void *arg);

/* A resumable walk over ct_v4_map in batches (bpf_map_lookup_batch). */
struct baton_ct_cursor {
	bool started;
	__u64 cursor[2];
	__u64 next[2];
};

/* One batch of at most `chunk` entries into keys/vals: 0 with *n entries
 * (more follow), 1 with *n entries (that was the last), or -errno. A
 * zeroed cursor starts at the beginning. */
int baton_ct_cursor_next(int map_fd, struct baton_ct_cursor *c,
			 struct ct_v4_key *keys, struct ct_v4_entry *vals,
			 uint32_t chunk, uint32_t *n);
/* Calls fn for every entry; a non-zero return from fn stops and is
 * returned. 0 or -errno. */
int baton_ct_foreach(int map_fd, baton_ct_visit_fn fn, void *arg);
/* Delete one entry as the GC does (its active count given back, fn told).
 * 0: it was gone already, 1: deleted, 2: deleted and uncounted. */
int baton_ct_delete(int map_fd, struct be_stats *be_stats,
		    const struct ct_v4_key *k, const struct ct_v4_entry *e,
		    baton_ct_deleted_fn fn, void *arg);
/* Number of entries, or -errno. */
long baton_ct_count(int map_fd);
/* Delete every entry, giving back be_stats active counts; returns the
 * number of entries deleted or -errno. */
long baton_ct_flush(int map_fd, struct be_stats *be_stats,
		    baton_ct_deleted_fn fn, void *arg);

/* ---- GC on the loop ---------------------------------------------------- */

struct baton_ct_gc;

struct baton_ct_gc *baton_ct_gc_init(uv_loop_t *loop, int map_fd,
				     struct be_stats *be_stats);
/* Timeouts and interval from cfg: timeouts from the next slice, a changed
 * interval re-arms the timer (unless a pass is under way). */
void baton_ct_gc_configure(struct baton_ct_gc *gc,
			   const struct baton_config *cfg);
void baton_ct_gc_on_delete(struct baton_ct_gc *gc, baton_ct_deleted_fn fn,
			   void *arg);
/* Where the GC sees pressure: the datapath's drop counters (a ct_full
 * drop since the last pass) and the table's size; drop_stats_fd < 0: by
 * the fill alone. */
void baton_ct_gc_watch(struct baton_ct_gc *gc, int drop_stats_fd,
		       uint32_t ct_max);
int baton_ct_gc_start(struct baton_ct_gc *gc);
void baton_ct_gc_stop(struct baton_ct_gc *gc);
/* Stops and closes; memory is freed in the close callback. NULL ok. */
void baton_ct_gc_free(struct baton_ct_gc *gc);
/* Totals since start and the last complete pass. */
struct baton_ct_gc_totals {
	struct baton_ct_stats total;
	uint64_t passes;
	uint64_t pressure_passes;	/* passes made under pressure */
	uint64_t last_pass_us;
	uint64_t last_scanned;		/* entries in the last pass */
	bool pressure;			/* the current (or last) pass */
};
void baton_ct_gc_totals(const struct baton_ct_gc *gc,
			struct baton_ct_gc_totals *out);

#endif /* BATON_CT_H */
