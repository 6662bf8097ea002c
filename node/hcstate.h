/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hcstate.h - the pure part of health checking: a backend's up/down state
 * from its probe results, and reading an HTTP status line. No I/O; the
 * probes themselves run in health.c.
 *
 * State contract (rise, fall >= 1):
 *  - A backend starts up but unproven: the first failed probe before any
 *    good one takes it down (a backend that never answered must not get
 *    fall x interval of new flows). A backend that a previous batond had
 *    taken down starts down (baton_hc_init(.., false)).
 *  - Up: `fall` failed probes in a row take it down; a good probe resets
 *    the count.
 *  - Down: `rise` good probes in a row bring it up; a failed probe resets
 *    the count.
 */
#ifndef BATON_HCSTATE_H
#define BATON_HCSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct baton_hc_state {
	bool up;
	bool proven;		/* a probe has passed since it was last up */
	uint32_t ok_run;	/* good probes in a row */
	uint32_t fail_run;	/* failed probes in a row */
};

void baton_hc_init(struct baton_hc_state *s, bool up);

/* Account one probe result; true if `up` changed. */
bool baton_hc_result(struct baton_hc_state *s, bool ok, uint32_t rise,
		     uint32_t fall);

/*
 * The status code of an HTTP/1.x response whose first bytes are buf[0..len):
 * >0 the status, 0 the status line is not complete yet, -1 not an HTTP/1.x
 * status line.
 */
int baton_hc_http_status(const char *buf, size_t len);

#endif /* BATON_HCSTATE_H */
