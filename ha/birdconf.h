/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * birdconf.h - this node's bird.conf (bird 2), from baton.yaml's ecmp:
 * section and services. Pure like kaconf.h: a parsed config in, text out,
 * so the unit tests check the text without bird. baton-bird is the CLI.
 *
 * What it writes, and why:
 *  - protocol static baton_vips: every service VIP as a /32 device route
 *    through ecmp.health_interface, with "check link": bird holds the
 *    routes - and so announces them - only while batond keeps that
 *    interface up (ready, announce.h), and drops them when batond lowers
 *    it or dies (the device dies with it);
 *  - protocol static baton_return, with ecmp.bgp.back: the client
 *    prefixes (ecmp.bgp.back.prefixes) the same way, for the backends'
 *    router: DNAT replies come back over the same set of healthy nodes;
 *  - protocol bfd (ecmp.bgp.bfd): 100 ms x 3, so the router drops a
 *    powered-off node's next hop in about 0.3 s instead of the hold time;
 *  - a template and one BGP session per neighbor: front sessions export
 *    baton_vips only, back sessions baton_return only, both with
 *    "next hop self" (the node's address on that link), importing
 *    nothing: a node needs no routes from the router. Hold time
 *    ecmp.bgp.hold_s, keepalive a third, connect retry 1 s: a node back
 *    from a cut is announced again as soon as it is ready;
 *  - no kernel protocol: bird installs nothing in the node's tables.
 * fullNAT source addresses are not announced: under ECMP use DNAT (with
 * ecmp.bgp.back) or DSR.
 */
#ifndef BATON_HA_BIRDCONF_H
#define BATON_HA_BIRDCONF_H

#include <stddef.h>

#include "../node/config.h"

#define BATON_BIRD_VIPS		"baton_vips"
#define BATON_BIRD_RETURN	"baton_return"
#define BATON_BIRD_BFD_MS	100
#define BATON_BIRD_BFD_MULT	3

/*
 * bird.conf for cfg into buf, as baton_kaconf_render() does (returns the
 * whole text's length; buf may be NULL when len is 0), or -EINVAL with a
 * message in err if cfg has no ecmp.bgp or does not validate.
 */
int baton_birdconf_render(const struct baton_config *cfg, const char *source,
			  char *buf, size_t len, char *err, size_t errlen);

#endif /* BATON_HA_BIRDCONF_H */
