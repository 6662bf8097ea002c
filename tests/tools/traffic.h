/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * traffic.h - baton-traffic, the lab's and the tests' traffic tool.
 *
 * The server tags every TCP connection and every UDP reply with a line
 *   "BATON <NAME> <peer-ip>:<peer-port>\n"
 * (which backend answered, and whom it saw as the client), then echoes. The
 * client checks every echoed byte against a deterministic pseudo-random
 * stream, so it needs no copy of what it sent, and prints one JSON line.
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

/* ---- subcommands ------------------------------------------------------- */

int tr_server_main(int argc, char **argv);
int tr_client_main(int argc, char **argv);

#endif /* BATON_TRAFFIC_H */
