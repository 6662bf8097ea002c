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
	struct ring_buffer *rb;
	baton_event_fn fn;
	void *fn_arg;
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

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct baton_events *ev = h->data;
	int ret;

	if (status < 0) {
		log_warn(SUB, "poll: %s", uv_strerror(status));
		return;
	}
	ret = ring_buffer__consume(ev->rb);
	if (ret < 0)
		log_warn(SUB, "consume: %s", strerror(-ret));
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
	ev->poll.data = ev;
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
	ring_buffer__consume(ev->rb);
	return uv_poll_start(&ev->poll, UV_READABLE, on_readable);
}

void baton_events_stop(struct baton_events *ev)
{
	uv_poll_stop(&ev->poll);
}

static void events_closed(uv_handle_t *h)
{
	struct baton_events *ev = h->data;

	ring_buffer__free(ev->rb);
	free(ev);
}

void baton_events_free(struct baton_events *ev)
{
	if (!ev)
		return;
	uv_poll_stop(&ev->poll);
	uv_close((uv_handle_t *)&ev->poll, events_closed);
}

void baton_events_counts(const struct baton_events *ev,
			 struct baton_events_counts *c)
{
	*c = ev->counts;
}
