/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* traffic_util.c - byte streams, parsing, JSON output for baton-traffic. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "traffic.h"

volatile int tr_stop;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void tr_rng_init(struct tr_rng *r, uint64_t seed)
{
	r->s = seed;
	r->word = 0;
	r->left = 0;
}

static inline uint8_t rng_byte(struct tr_rng *r)
{
	uint8_t b;

	if (!r->left) {
		r->word = splitmix64(&r->s);
		r->left = 8;
	}
	b = r->word & 0xff;
	r->word >>= 8;
	r->left--;
	return b;
}

void tr_rng_fill(struct tr_rng *r, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = rng_byte(r);
}

bool tr_rng_check(struct tr_rng *r, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != rng_byte(r))
			return false;
	return true;
}

uint64_t tr_seed(void)
{
	static uint64_t base;
	struct timespec ts;

	if (!base) {
		clock_gettime(CLOCK_REALTIME, &ts);
		base = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
		       ((uint64_t)getpid() << 16);
	}
	return splitmix64(&base);
}

int64_t tr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tr_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tr_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int tr_parse_addr_port(const char *s, struct sockaddr_in *sa)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	struct in_addr a;
	uint64_t port;
	size_t hl;

	if (!colon)
		return -EINVAL;
	hl = colon - s;
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &a) != 1)
		return -EINVAL;
	if (tr_parse_u64(colon + 1, 1, 65535, &port))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr = a;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

const char *tr_fmt_sa(const struct sockaddr_in *sa, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(sa->sin_port));
	return buf;
}

int tr_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static void on_stop(int sig)
{
	tr_stop = sig;
}

void tr_install_stop_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: epoll_wait returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void tr_exit_if_stopped(void)
{
	int sig = tr_stop;

	if (!sig)
		return;
	/* Die of the signal, so that a shell waiting for us sees that it was
	 * interrupted and not that we finished (bash's wait-and-cooperative-
	 * exit handling of SIGINT). */
	fflush(NULL);
	signal(sig, SIG_DFL);
	raise(sig);
}

int tr_parse_banner(const char *line, char *name, char *ip)
{
	const char *p, *sp, *colon;
	struct in_addr a;
	char tmp[INET_ADDRSTRLEN];
	size_t nl, il;

	if (strncmp(line, "BATON ", 6))
		return -EINVAL;
	p = line + 6;
	sp = strchr(p, ' ');
	if (!sp)
		return -EINVAL;
	nl = sp - p;
	if (nl == 0 || nl >= TR_NAME_MAX)
		return -EINVAL;
	colon = strrchr(sp + 1, ':');
	if (!colon)
		return -EINVAL;
	il = colon - (sp + 1);
	if (il == 0 || il >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, sp + 1, il);
	tmp[il] = '\0';
	if (inet_pton(AF_INET, tmp, &a) != 1)
		return -EINVAL;
	memcpy(name, p, nl);
	name[nl] = '\0';
	memcpy(ip, tmp, il + 1);
	return 0;
}

void tr_set_add(struct tr_set *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++) {
		if (!strcmp(s->key[i], key)) {
			s->count[i]++;
			return;
		}
	}
	if (s->n == TR_SET_MAX)
		return;
	snprintf(s->key[s->n], TR_NAME_MAX, "%s", key);
	s->count[s->n++] = 1;
}

void tr_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void tr_json_set_counts(FILE *f, const char *name, const struct tr_set *s)
{
	fprintf(f, ",\"%s\":{", name);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			fputc(',', f);
		tr_json_str(f, s->key[i]);
		fprintf(f, ":%llu", (unsigned long long)s->count[i]);
	}
	fputc('}', f);
}

void tr_json_set_keys(FILE *f, const char *name, const struct tr_set *s)
{
	fprintf(f, ",\"%s\":[", name);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			fputc(',', f);
		tr_json_str(f, s->key[i]);
	}
	fputc(']', f);
}

int tr_hist_init(struct tr_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->count = calloc(TR_HIST_MS + 1, sizeof(*h->count));
	return h->count ? 0 : -ENOMEM;
}

void tr_hist_free(struct tr_hist *h)
{
	free(h->count);
	h->count = NULL;
}

void tr_hist_add(struct tr_hist *h, int64_t ms)
{
	if (!h->count)
		return;
	if (ms < 0)
		ms = 0;
	h->count[ms < TR_HIST_MS ? ms : TR_HIST_MS]++;
	if (!h->n || ms > h->max)
		h->max = ms;
	h->n++;
}

int64_t tr_hist_pct(const struct tr_hist *h, unsigned int pct)
{
	uint64_t rank, seen = 0;

	if (!h->count || !h->n)
		return 0;
	if (pct > 100)
		pct = 100;
	/* ceil(pct * n / 100), at least 1; n * 100 cannot overflow in any
	 * run we can make. */
	rank = (h->n * pct + 99) / 100;
	if (!rank)
		rank = 1;
	for (int64_t ms = 0; ms < TR_HIST_MS; ms++) {
		seen += h->count[ms];
		if (seen >= rank)
			return ms;
	}
	return h->max;
}

void tr_json_pauses(FILE *f, const char *name, const struct tr_hist *h)
{
	fprintf(f, ",\"%s\":{\"p50\":%lld,\"p99\":%lld,\"max\":%lld}", name,
		(long long)tr_hist_pct(h, 50), (long long)tr_hist_pct(h, 99),
		(long long)(h->n ? h->max : 0));
}
