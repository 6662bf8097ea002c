/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * metrics.h - a minimal HTTP/1.x endpoint on batond's loop for Prometheus:
 * GET /metrics answers what the render callback writes (text exposition
 * format 0.0.4), any other path 404, any other method 405; one request per
 * connection, then close. A request head over 4 KiB is refused (400); a
 * client silent for 10 s is dropped; at most 32 connections at a time
 * (more are closed at once).
 */
#ifndef BATON_METRICS_H
#define BATON_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "textio.h"

typedef void (*baton_metrics_render_fn)(void *arg, struct baton_text *out);

struct baton_metrics;

/* Listen on addr:port (host order). NULL with err filled on failure. */
struct baton_metrics *baton_metrics_start(uv_loop_t *loop, uint32_t addr,
					  uint16_t port,
					  baton_metrics_render_fn render,
					  void *arg, char *err, size_t errlen);
/* Close the listener and every connection; freed once closed. NULL ok. */
void baton_metrics_stop(struct baton_metrics *m);
/* Scrapes answered (200). */
uint64_t baton_metrics_scrapes(const struct baton_metrics *m);

#endif /* BATON_METRICS_H */
