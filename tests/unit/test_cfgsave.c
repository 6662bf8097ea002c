/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_cfgsave.c - `batonctl config save`'s rewrite of baton.yaml: only the
 * services: section changes, everything else stays byte for byte, and the
 * result loads as the running services (every key, health included).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "cfgsave.h"
#include "textio.h"

#define HEAD "# my node\nnode:\n  id: 1   # first\ninterfaces:\n" \
	"  - name: eth0\n"
#define TAIL "\n# the end\nlb:\n  hash_seed: 7  # keep me\n"
#define SVC "services:\n  # a comment in services goes\n" \
	"  - vip: 10.0.0.1\n    port: 80\n    backends:\n" \
	"      - address: 10.1.0.1\n"

static char err[1024];

static void load(const char *yaml, struct baton_config *cfg)
{
	if (baton_config_parse("baton.yaml", yaml, strlen(yaml), cfg, err,
			       sizeof(err)))
		fail_msg("parse: %s\n%s", err, yaml);
}

/* A running config: yaml's services, then a live change. */
static void running(const char *yaml, struct baton_config *cfg)
{
	struct baton_service_cfg *s;

	load(HEAD "services:\n  - vip: 10.0.0.9\n    port: 443\n"
	     "    mode: fullnat\n    snat: 10.1.0.10\n    algorithm: lc\n"
	     "    health:\n      type: http\n      path: \"/h?a=\\\"b\\\"&c\"\n"
	     "      host: 'x#y'\n      status: 204\n      on_down: reset\n"
	     "    backends:\n      - address: 10.1.0.2\n        port: 8443\n"
	     "        weight: 0\n"
	     "  - vip: 10.0.0.9\n    protocol: icmp\n    health:\n"
	     "      type: tcp\n      port: 22\n    backends:\n"
	     "      - address: 10.1.0.3\n"
	     "  - vip: 10.0.0.9\n    port: 53\n    protocol: udp\n"
	     "    health:\n      type: udp\n      send: \"q\\0\\t\\u00e9\"\n"
	     "      expect: \"\\\\ok\"\n    backends: []\n", cfg);
	(void)yaml;
	/* as after `batonctl backend add`: no line */
	s = &cfg->services[2];
	s->backends[s->nbackends].addr = 0x0a010004;
	s->backends[s->nbackends].port = 5353;
	s->backends[s->nbackends].weight = 3;
	s->nbackends++;
}

static void splice_ok(const char *text, const struct baton_config *cfg,
		      char **out)
{
	size_t len;

	if (baton_config_splice_services("baton.yaml", text, strlen(text),
					 cfg, out, &len, err, sizeof(err)))
		fail_msg("splice: %s", err);
	assert_int_equal(len, strlen(*out));
}

static void test_cfgsave_rewrites_only_services_and_reads_back(void **state)
{
	struct baton_config cfg, back;
	char *out, *svc;

	(void)state;
	running(NULL, &cfg);
	splice_ok(HEAD SVC TAIL, &cfg, &out);
	svc = baton_config_render_services(&cfg);
	assert_non_null(svc);
	/* exactly: head, the new section, the tail */
	assert_memory_equal(out, HEAD, strlen(HEAD));
	assert_memory_equal(out + strlen(HEAD), svc, strlen(svc));
	assert_string_equal(out + strlen(HEAD) + strlen(svc), TAIL);
	load(out, &back);
	assert_true(baton_config_services_equal(&cfg, &back));
	assert_int_equal(back.hash_seed, 7);
	assert_int_equal(back.services[2].backends[0].weight, 3);
	assert_int_equal(back.services[2].health.send_len, 5);
	assert_memory_equal(back.services[2].health.send, "q\0\t\xc3\xa9", 5);
	assert_string_equal(back.services[0].health.path, "/h?a=\"b\"&c");
	assert_string_equal(back.services[0].health.host, "x#y");
	print_message("%s", svc);
	free(svc);
	free(out);
	baton_config_free(&back);
	baton_config_free(&cfg);
}

static void test_cfgsave_places_of_the_section(void **state)
{
	static const struct {
		const char *what, *in, *want_head, *want_tail;
	} rows[] = {
		{ "last section", HEAD SVC, HEAD, "" },
		{ "no section: appended", HEAD "lb:\n  hash_seed: 1", HEAD
		  "lb:\n  hash_seed: 1\n", "" },
		{ "empty flow list with a comment", HEAD "services: [] # none\n"
		  "lb: {}\n", HEAD, " # none\nlb: {}\n" },
		{ "null value", HEAD "services:\nlb: {}\n", HEAD, "lb: {}\n" },
		{ "first section", "services:\n  - vip: 10.0.0.1\n    port: 1\n"
		  "node:\n  id: 1\ninterfaces:\n  - name: eth0\n", "",
		  "node:\n  id: 1\ninterfaces:\n  - name: eth0\n" },
		{ "backends empty at the end", HEAD "services:\n  - vip: 10.0.0.1\n"
		  "    port: 1\n    backends:\n# after\nlb: {}\n", HEAD,
		  "# after\nlb: {}\n" },
	};
	struct baton_config cfg;
	char *out, *svc;

	(void)state;
	running(NULL, &cfg);
	svc = baton_config_render_services(&cfg);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t h = strlen(rows[i].want_head);

		splice_ok(rows[i].in, &cfg, &out);
		if (strncmp(out, rows[i].want_head, h) ||
		    strncmp(out + h, svc, strlen(svc)) ||
		    strcmp(out + h + strlen(svc), rows[i].want_tail))
			fail_msg("%s: got\n%s", rows[i].what, out);
		free(out);
	}
	free(svc);
	baton_config_free(&cfg);
}

static void test_cfgsave_refuses_what_it_cannot_rewrite(void **state)
{
	struct baton_config cfg;
	char *out;
	size_t len;

	(void)state;
	running(NULL, &cfg);
	assert_int_equal(baton_config_splice_services("baton.yaml",
		"{node: {id: 1}}", 15, &cfg, &out, &len, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "not a block mapping"));
	assert_null(out);
	assert_int_equal(baton_config_splice_services("baton.yaml",
		"node: [", 7, &cfg, &out, &len, err, sizeof(err)), -EINVAL);
	/* a file whose other sections do not load is not saved over */
	assert_int_equal(baton_config_splice_services("baton.yaml",
		HEAD "lb:\n  hash_seed: x\n", strlen(HEAD) + 19, &cfg, &out,
		&len, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "would not load"));
	baton_config_free(&cfg);
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* The saved file (baton.yaml, the track file) goes through PATH.tmp: a
 * symlink planted there - the directory may be writable by others - is
 * replaced, never followed; the file keeps its mode. */
static void test_cfgsave_write_file_never_follows_a_planted_symlink(
	void **state)
{
	char dir[] = "/tmp/baton-ut.XXXXXX", path[128], tmp[136], victim[128];
	char buf[64];
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/baton.yaml", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("keep me\n", f);
	fclose(f);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(symlink(victim, tmp), 0);

	assert_int_equal(baton_write_file(path, "new\n", 4), 0);
	slurp(victim, buf, sizeof(buf));
	assert_string_equal(buf, "keep me\n");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0640);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "new\n");
	assert_int_equal(access(tmp, F_OK), -1);

	unlink(path);
	unlink(victim);
	rmdir(dir);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_cfgsave_write_file_never_follows_a_planted_symlink),
	cmocka_unit_test(test_cfgsave_rewrites_only_services_and_reads_back),
	cmocka_unit_test(test_cfgsave_places_of_the_section),
	cmocka_unit_test(test_cfgsave_refuses_what_it_cannot_rewrite),
};

UNIT_MAIN("cfgsave", tests)
