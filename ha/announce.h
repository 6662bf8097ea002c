/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * announce.h - the ECMP health signal (ecmp:, see node/config.h): a TUN
 * device batond owns. bird's static protocol routes the VIPs through it
 * with "check link", so bird announces them only while the device is up -
 * and the device goes away with batond's last file descriptor, whatever
 * killed it: a crashed or SIGKILLed batond withdraws its node at once.
 *
 * Also the links the datapath serves: an ECMP node whose links went down
 * was cut off, and what it holds of its peers' flows is stale (the role
 * machine's FAULT, see role.h).
 */
#ifndef BATON_HA_ANNOUNCE_H
#define BATON_HA_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>

/* Create TUN device `name` (non-persistent, down). Returns its fd (close
 * it to remove the device) or -errno; -EBUSY: a device of that name is
 * held by another process. */
int baton_announce_open(const char *name);

/* Set the device up or down. 0 or -errno. */
int baton_announce_set(const char *name, bool up);

/* Whether every interface of names[0..n) is up with carrier (IFF_UP and
 * IFF_RUNNING). *bad gets the index of the first that is not, for the
 * log. A missing interface is not up. */
bool baton_links_up(const char (*names)[16], size_t n, size_t *bad);

#endif /* BATON_HA_ANNOUNCE_H */
