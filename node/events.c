// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* events.c - see events.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "events.h"
#include "log.h"

#define SUB "events"

struct baton_events {
	uv_poll_t poll;
	uv_timer_t timer;	/* a deferred read (coalescing) */
	struct ring_buffer *rb;
	baton_event_fn fn;
	void *fn_arg;
	uint64_t last_read_ns;	/* uv_hrtime() of the last read */
	int open_handles;	/* poll, timer: freed when both closed */
	struct baton_events_counts counts;
};

const char *baton_event_type_name(unsigned int type)
{
	switch (type) {
	case CT_EV_ESTABLISHED:
		return "established";
	case CT_EV_STATE:
		return "state";
	case CT_EV_CLOSED:
		return "closed";
	case CT_EV_CLAIMED:
		return "claimed";
	case CT_EV_RESET:
		return "reset";
	case CT_EV_REVIVED:
		return "revived";
	default:
		return "unknown";
	}
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct baton_events *ev = ctx;
	const struct ct_v4_event *e = data;
	unsigned int type;
	int ret;

	if (size < sizeof(*e)) {
		ev->counts.malformed++;
		return 0;
	}
	type = e->type < CT_EV_MAX ? e->type : 0;
	ev->counts.by_type[type]++;
	log_debug(SUB, "%s: proto %u state %u owner %u", baton_event_type_name(type),
		  e->key.proto, e->entry.state, e->entry.owner);
	if (ev->fn) {
		ret = ev->fn(e, ev->fn_arg);
		if (ret)
			log_warn(SUB, "handler: %s", strerror(ret < 0 ? -ret
								      : ret));
	}
	/* Never stop consuming: a stuck ring buffer loses later events. */
	return 0;
}

static void read_ring(struct baton_events *ev)
{
	int ret;

	ev->counts.reads++;
	ev->last_read_ns = uv_hrtime();
	ret = ring_buffer__consume(ev->rb);
	if (ret < 0)
		log_warn(SUB, "consume: %s", strerror(-ret));
}

static void on_readable(uv_poll_t *h, int status, int events);

static void on_deferred(uv_timer_t *t)
{
	struct baton_events *ev = t->data;
	int ret;

	/* Counted with its read: reads - deferred never steps back. */
	ev->counts.deferred++;
	read_ring(ev);
	ret = uv_poll_start(&ev->poll, UV_READABLE, on_readable);
	if (ret)
		log_warn(SUB, "poll: %s", uv_strerror(ret));
}

/*
 * The kernel wakes the reader for the first event after it has caught up,
 * so a reader that drains the ring at once wakes for nearly every event:
 * several context switches per connection at a high connection rate.
 * Within BATON_EVENTS_COALESCE_MS of the last read, the read waits out the
 * rest of that interval instead (the poll stopped: the ring stays readable)
 * and the events of the meantime come in one read, without waking us. A
 * sparse stream is read at once; a busy one costs at most one event's
 * wait of that interval.
 */
static void on_readable(uv_poll_t *h, int status, int events)
{
	struct baton_events *ev = h->data;
	uint64_t since, wait_ms;
	int ret;

	(void)events;
	if (status < 0) {
		log_warn(SUB, "poll: %s", uv_strerror(status));
		return;
	}
	since = uv_hrtime() - ev->last_read_ns;
	if (since >= BATON_EVENTS_COALESCE_MS * 1000000ull) {
		read_ring(ev);
		return;
	}
	wait_ms = BATON_EVENTS_COALESCE_MS - since / 1000000ull;
	ret = uv_poll_stop(&ev->poll);
	if (!ret)
		ret = uv_timer_start(&ev->timer, on_deferred, wait_ms, 0);
	if (ret) {
		log_warn(SUB, "deferring a read: %s", uv_strerror(ret));
		read_ring(ev);
		uv_poll_start(&ev->poll, UV_READABLE, on_readable);
	}
}

struct baton_events *baton_events_init(uv_loop_t *loop, int ringbuf_fd)
{
	struct baton_events *ev = calloc(1, sizeof(*ev));
	int ret;

	if (!ev)
		return NULL;
	ev->rb = ring_buffer__new(ringbuf_fd, on_sample, ev, NULL);
	if (!ev->rb) {
		ret = errno;
		free(ev);
		errno = ret;
		return NULL;
	}
	ret = uv_poll_init(loop, &ev->poll, ring_buffer__epoll_fd(ev->rb));
	if (ret) {
		ring_buffer__free(ev->rb);
		free(ev);
		errno = -ret;
		return NULL;
	}
	uv_timer_init(loop, &ev->timer);	/* cannot fail */
	ev->poll.data = ev;
	ev->timer.data = ev;
	ev->open_handles = 2;
	return ev;
}

void baton_events_set_handler(struct baton_events *ev, baton_event_fn fn,
			      void *arg)
{
	ev->fn = fn;
	ev->fn_arg = arg;
}

int baton_events_start(struct baton_events *ev)
{
	/* Events queued while no batond ran are drained first. */
	read_ring(ev);
	return uv_poll_start(&ev->poll, UV_READABLE, on_readable);
}

void baton_events_stop(struct baton_events *ev)
{
	uv_timer_stop(&ev->timer);
	uv_poll_stop(&ev->poll);
}

static void events_closed(uv_handle_t *h)
{
	struct baton_events *ev = h->data;

	if (--ev->open_handles > 0)
		return;
	ring_buffer__free(ev->rb);
	free(ev);
}

void baton_events_free(struct baton_events *ev)
{
	if (!ev)
		return;
	baton_events_stop(ev);
	uv_close((uv_handle_t *)&ev->poll, events_closed);
	uv_close((uv_handle_t *)&ev->timer, events_closed);
}

void baton_events_counts(const struct baton_events *ev,
			 struct baton_events_counts *c)
{
	*c = ev->counts;
}
