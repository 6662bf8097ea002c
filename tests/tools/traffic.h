/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * traffic.h - baton-traffic, the lab's and the tests' traffic tool.
 *
 * The server tags every TCP connection and every UDP reply with a line
 *   "BATON <NAME> <peer-ip>:<peer-port>\n"
 * (which backend answered, and whom it saw as the client), then echoes. The
 * client checks every echoed byte against a deterministic pseudo-random
 * stream, so it needs no copy of what it sent, and prints one JSON line.
 * (A datagram of a UDP stream starts with its sequence number, and its
 * bytes come from a stream seeded per datagram: replies may be lost or
 * reordered, so each is verified on its own. The server need not know.)
 *
 * Contract of the helpers: functions return 0 or -errno; parsers return
 * -EINVAL on malformed input and leave their outputs untouched.
 */
#ifndef BATON_TRAFFIC_H
#define BATON_TRAFFIC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TR_BANNER_MAX 256	/* longest accepted "BATON ..." line */
#define TR_NAME_MAX 64		/* longest server --id */
#define TR_SET_MAX 64		/* distinct values kept per result set */

/* ---- deterministic byte stream ---------------------------------------- */

/*
 * A byte stream that depends only on the seed, not on how it is chunked:
 * the sender and the verifier each hold one with the same seed.
 */
struct tr_rng {
	uint64_t s;
	uint64_t word;
	unsigned int left;
};

void tr_rng_init(struct tr_rng *r, uint64_t seed);
void tr_rng_fill(struct tr_rng *r, uint8_t *buf, size_t n);
/* Compares buf with the next n bytes of the stream; false on a mismatch. */
bool tr_rng_check(struct tr_rng *r, const uint8_t *buf, size_t n);
uint64_t tr_seed(void);		/* a fresh seed per call */

/* ---- misc -------------------------------------------------------------- */

int64_t tr_now_ms(void);	/* CLOCK_MONOTONIC */
int64_t tr_realtime_ms(void);	/* CLOCK_REALTIME, for records read by others */
int tr_parse_addr_port(const char *s, struct sockaddr_in *sa);
int tr_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "a.b.c.d:port" into buf (at least 24 bytes). */
const char *tr_fmt_sa(const struct sockaddr_in *sa, char *buf, size_t len);
int tr_set_nonblock(int fd);
void tr_install_stop_handler(void);	/* SIGINT/SIGTERM set tr_stop */
extern volatile int tr_stop;		/* the signal that stopped us, or 0 */
/* After a stop: re-raise the signal with its default action (exits). */
void tr_exit_if_stopped(void);

/*
 * Parse a banner line (without the newline): "BATON NAME IP:PORT".
 * On success name (TR_NAME_MAX) and ip (INET_ADDRSTRLEN) are filled.
 */
int tr_parse_banner(const char *line, char *name, char *ip);

/* ---- result sets and JSON ---------------------------------------------- */

/* A small multiset of strings with counts (backend names, addresses). */
struct tr_set {
	size_t n;
	char key[TR_SET_MAX][TR_NAME_MAX];
	uint64_t count[TR_SET_MAX];
};

void tr_set_add(struct tr_set *s, const char *key);
void tr_json_str(FILE *f, const char *s);
void tr_json_set_counts(FILE *f, const char *name, const struct tr_set *s);
void tr_json_set_keys(FILE *f, const char *name, const struct tr_set *s);

/* ---- pause percentiles ------------------------------------------------- */

/*
 * Counts of pauses in ms: exact below TR_HIST_MS; larger ones share one
 * bucket, and a percentile that falls in it is reported as the largest
 * pause seen (a flow stuck for over a minute is dead for our purposes).
 * A histogram, not a list, so that a rate run of millions of connections
 * needs no more memory than one of ten.
 */
#define TR_HIST_MS 65536

struct tr_hist {
	uint64_t n;
	int64_t max;
	uint64_t *count;	/* TR_HIST_MS + 1 buckets */
};

int tr_hist_init(struct tr_hist *h);
void tr_hist_free(struct tr_hist *h);	/* accepts a zeroed one */
void tr_hist_add(struct tr_hist *h, int64_t ms);
/* Nearest rank: the smallest pause >= pct percent of all; 0 if empty. */
int64_t tr_hist_pct(const struct tr_hist *h, unsigned int pct);
/* ,"NAME":{"p50":..,"p99":..,"max":..} */
void tr_json_pauses(FILE *f, const char *name, const struct tr_hist *h);

/* ---- subcommands ------------------------------------------------------- */

int tr_server_main(int argc, char **argv);
int tr_client_main(int argc, char **argv);

#endif /* BATON_TRAFFIC_H */
