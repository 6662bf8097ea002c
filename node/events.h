/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * events.h - the ct_events ring buffer on the loop: a uv_poll on the ring
 * buffer's epoll fd, drained with ring_buffer__consume when readable - at
 * once, or, within BATON_EVENTS_COALESCE_MS of the previous read, when
 * that interval is over (events.c: a busy stream wakes batond about once
 * per interval instead of once per event).
 * Events are counted by type; a handler (conntrack sync) can be hooked in
 * and sees every well-formed event on the loop thread.
 */
#ifndef BATON_EVENTS_H
#define BATON_EVENTS_H

#include <stdint.h>

#include <uv.h>

#include "../bpf/baton.h"

/* Return 0; anything else is logged (the event is still consumed). */
typedef int (*baton_event_fn)(const struct ct_v4_event *ev, void *arg);

/* "established", "state", ...; "unknown" outside enum ct_event_type. */
const char *baton_event_type_name(unsigned int type);

/* The longest an event waits in the ring for a coalesced read. */
#define BATON_EVENTS_COALESCE_MS 1

struct baton_events_counts {
	uint64_t by_type[CT_EV_MAX]; /* enum ct_event_type; 0: unknown */
	uint64_t malformed;	/* shorter than struct ct_v4_event */
	uint64_t reads;		/* times the ring was read */
	uint64_t deferred;	/* of those, deferred to coalesce */
};

struct baton_events;

/* NULL with errno. */
struct baton_events *baton_events_init(uv_loop_t *loop, int ringbuf_fd);
void baton_events_set_handler(struct baton_events *ev, baton_event_fn fn,
			      void *arg);
int baton_events_start(struct baton_events *ev);
void baton_events_stop(struct baton_events *ev);
/* Stops, closes; memory freed in the close callback. NULL ok. */
void baton_events_free(struct baton_events *ev);
void baton_events_counts(const struct baton_events *ev,
			 struct baton_events_counts *c);

#endif /* BATON_EVENTS_H */
