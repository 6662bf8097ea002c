// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * baton-keepalived.c - this node's keepalived.conf, generated from its
 * baton.yaml (ha.vrrp, ha.notify_fifo, ha.track_file, ha.follow and the
 * services' addresses; see kaconf.h).
 *
 *   baton-keepalived -c baton.yaml [--mkfifo] [-o keepalived.conf]
 *   baton-keepalived -c baton.yaml --check keepalived.conf
 *
 * --mkfifo creates ha.notify_fifo (0600) if it does not exist. keepalived
 * 2.2.7 unlinks a FIFO it created itself on every reload (and makes a new
 * one) and on stop, which leaves batond reading a dead inode; a FIFO that
 * existed when keepalived started is left alone. So keepalived.service
 * runs this before keepalived starts (deploy/systemd).
 *
 * Exit codes as diff(1): 0 written or the same, 1 the file differs
 * (--check), 2 trouble: usage, a config baton-keepalived cannot turn into
 * a keepalived.conf, or I/O.
 *
 * Built a second time with BATON_GEN_BIRD as baton-bird: the same for
 * bird.conf (ecmp.bgp and the services' VIPs, see birdconf.h), without
 * --mkfifo.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "birdconf.h"
#include "kaconf.h"
#include "textio.h"

#define EXIT_SAME	0
#define EXIT_DIFFERS	1
#define EXIT_TROUBLE	2
#define KACONF_MAX	(16u << 20)	/* a file --check reads */
#define ERRLEN		1024

/* What this build generates. */
struct gen {
	const char *prog;
	const char *file;	/* what it writes */
	const char *section;	/* what baton.yaml must have */
	int (*render)(const struct baton_config *cfg, const char *source,
		      char *buf, size_t len, char *err, size_t errlen);
	bool mkfifo;		/* --mkfifo exists */
};

#ifdef BATON_GEN_BIRD
static const struct gen gen = { "baton-bird", "bird.conf",
				"an ecmp.bgp section", baton_birdconf_render,
				false };
#else
static const struct gen gen = { "baton-keepalived", "keepalived.conf",
				"an ha.vrrp section", baton_kaconf_render,
				true };
#endif

static void usage(FILE *f)
{
	fprintf(f, "usage: %s -c FILE%s [-o OUT | --check FILE]\n"
		"  -c, --config FILE    baton.yaml with %s\n", gen.prog,
		gen.mkfifo ? " [--mkfifo]" : "", gen.section);
	if (gen.mkfifo)
		fprintf(f,
		"      --mkfifo         create ha.notify_fifo if missing, "
		"before keepalived\n"
		"                       does (it unlinks a FIFO it created "
		"on reload)\n");
	fprintf(f,
		"  -o, --output OUT     write %s there (OUT.tmp, "
		"then renamed)\n"
		"                       instead of to stdout\n"
		"      --check FILE     compare FILE with what would be "
		"written\n"
		"                       (comments and blank lines aside)\n"
		"  -h, --help           this text\n"
		"exit: 0 written or the same, 1 FILE differs, 2 trouble\n",
		gen.file);
}

/*
 * OUT.tmp, then rename over OUT: keepalived (a reload, a restart) never
 * reads half a file, and a failure leaves the previous one in place.
 */
static int write_file(const char *path, const char *text, size_t len)
{
	int ret = baton_write_file(path, text, len);

	if (ret)
		fprintf(stderr, "%s: %s: %s\n", gen.prog, path,
			strerror(-ret));
	return ret;
}

/* The whole of a file --check compares; NULL with a message on failure. */
static char *read_all(const char *path, size_t *lenp)
{
	size_t len = 0, cap = 16384;
	char *buf = NULL, *nbuf;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out_err;
	for (;;) {
		if (len == cap || !buf) {
			if (buf)
				cap *= 2;
			if (cap > KACONF_MAX) {
				errno = EFBIG;
				goto out_free;
			}
			nbuf = realloc(buf, cap);
			if (!nbuf)
				goto out_free;
			buf = nbuf;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out_free;
		if (!r)
			break;
		len += (size_t)r;
	}
	close(fd);
	*lenp = len;
	return buf;

out_free:
	free(buf);
	r = errno;
	close(fd);
	errno = (int)r;
out_err:
	fprintf(stderr, "%s: %s: %s\n", gen.prog, path, strerror(errno));
	return NULL;
}

/* ha.notify_fifo, unless it exists; the directory must. */
static int make_fifo(const char *path)
{
	struct stat st;

	if (!mkfifo(path, 0600))
		return 0;
	if (errno != EEXIST) {
		fprintf(stderr, "%s: ha.notify_fifo %s: mkfifo: "
			"%s\n", gen.prog, path, strerror(errno));
		return -1;
	}
	if (stat(path, &st) || !S_ISFIFO(st.st_mode)) {
		fprintf(stderr, "%s: ha.notify_fifo %s: exists "
			"and is not a FIFO\n", gen.prog, path);
		return -1;
	}
	return 0;
}

/* A line of the message; at most 200 bytes, control bytes shown as '?'. */
static void print_line(const char *tag, const char *s, size_t len)
{
	fprintf(stderr, "  %s ", tag);
	if (!len)
		fprintf(stderr, "(end of file)");
	for (size_t i = 0; i < len && i < 200; i++)
		fputc((unsigned char)s[i] < ' ' && s[i] != '\t' ? '?' : s[i],
		      stderr);
	fputc('\n', stderr);
}

static int check(const char *config, const char *path, const char *want,
		 size_t want_len)
{
	struct baton_kaconf_diff d;
	size_t got_len;
	char *got;
	int ret;

	got = read_all(path, &got_len);
	if (!got)
		return EXIT_TROUBLE;
	ret = baton_kaconf_compare(want, want_len, got, got_len, &d);
	if (ret) {
		if (d.got_line)
			fprintf(stderr, "%s:%d: ", path, d.got_line);
		else
			fprintf(stderr, "%s: at its end: ", path);
		fprintf(stderr, "differs from what %s generates (its line "
			"%d%s):\n", config, d.want_line,
			d.want_line ? "" : ", the end");
		print_line("expected:", d.want, d.want_len);
		print_line("got:     ", d.got, d.got_len);
		fprintf(stderr, "  regenerate: %s -c %s -o %s\n", gen.prog,
			config, path);
	}
	free(got);
	return ret ? EXIT_DIFFERS : EXIT_SAME;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 0x100, OPT_MKFIFO };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "check", required_argument, NULL, OPT_CHECK },
		{ "mkfifo", no_argument, NULL, OPT_MKFIFO },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *config = NULL, *out = NULL, *against = NULL;
	struct baton_config cfg;
	char err[ERRLEN];
	char *text = NULL;
	int c, len, status = EXIT_TROUBLE;
	bool mkfifo_opt = false;

	while ((c = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_CHECK:
			against = optarg;
			break;
		case OPT_MKFIFO:
			if (!gen.mkfifo) {
				usage(stderr);
				return EXIT_TROUBLE;
			}
			mkfifo_opt = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SAME;
		default:
			usage(stderr);
			return EXIT_TROUBLE;
		}
	}
	if (!config || optind != argc || (out && against)) {
		usage(stderr);
		return EXIT_TROUBLE;
	}

	if (baton_config_load(config, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", gen.prog, err);
		return EXIT_TROUBLE;
	}
	/* Twice: the first call measures. */
	len = gen.render(&cfg, config, NULL, 0, err, sizeof(err));
	if (len < 0) {
		fprintf(stderr, "%s: %s\n", gen.prog, err);
		goto out_config;
	}
	text = malloc((size_t)len + 1);
	if (!text) {
		fprintf(stderr, "%s: out of memory\n", gen.prog);
		goto out_config;
	}
	gen.render(&cfg, config, text, (size_t)len + 1, err, sizeof(err));
	if (mkfifo_opt && make_fifo(cfg.ha.notify_fifo))
		goto out_text;

	if (against)
		status = check(config, against, text, (size_t)len);
	else if (out)
		status = write_file(out, text, (size_t)len) ? EXIT_TROUBLE :
							      EXIT_SAME;
	else
		status = fwrite(text, 1, (size_t)len, stdout) == (size_t)len &&
				 !fflush(stdout) ? EXIT_SAME : EXIT_TROUBLE;
out_text:
	free(text);
out_config:
	baton_config_free(&cfg);
	return status;
}
