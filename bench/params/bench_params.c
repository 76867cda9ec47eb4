/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parameter packages at scale: a blacklist of N entries (10 million by
 * default, a vendor-quoted capacity) signed, installed, taken up by the
 * reader, looked up, changed by a delta; then whole taps through the
 * reader loop on the simulated field with that list in force versus an
 * empty one.  Prints `name: value unit` lines (docs/benchmarks.md).
 *
 * Usage: bench-params DATA_DIR [ENTRIES] [TAPS]   (DATA_DIR: tests/data)
 *        bench-params DATA_DIR --tiny            (CI: it builds and runs)
 */
#include "bytes.h"
#include "check.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "params_pack.h"
#include "params_private.h"
#include "store_private.h"
#include "validator.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CARDS 4

static char dir[PATH_MAX - 256], data[PATH_MAX - 256];
static EVP_PKEY *key;
static uint64_t seed = 0xbe7c4;
static size_t n_lookups = 1000000;

static double secs(int64_t ns)
{
	return (double)ns / 1e9;
}

/* A field of /proc/self/status, in KiB. */
static long status_kib(const char *field)
{
	char line[256];
	long v = -1;
	size_t n = strlen(field);
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = atol(line + n + 1);
	if (f)
		fclose(f);
	return v;
}

/* Let VmHWM measure from here on. */
static void reset_peak_rss(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "we");

	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

static void print_mib(const char *name, long kib)
{
	printf("%s: %.1f MiB\n", name, (double)kib / 1024.0);
}

/* n ascending BCD serials, city 1000 then 12 digits with random gaps. */
static uint8_t *make_serials(size_t n)
{
	uint8_t *s = malloc(n * 10 + 1);
	uint64_t v = 0;

	for (size_t i = 0; s && i < n; i++) {
		v += 1 + check_rand(&seed) % 1000;
		ykt_bcd_encode(10001000, s + i * 10, 4);
		ykt_bcd_encode(v, s + i * 10 + 4, 6);
	}
	return s;
}

struct side {
	char conf[PATH_MAX], db[PATH_MAX], params[PATH_MAX];
	struct ykt_clock *clock;
	struct ykt_store *store;
	struct ykt_params *p;
};

/* db_dir: where its record store lives (the disk, or /dev/shm to take
 * fsync out of the tap times) */
static void side_open(struct side *s, const char *name, const char *db_dir)
{
	struct ykt_params_options po = { 0 };
	char pub[PATH_MAX], err[256] = "";

	snprintf(s->db, sizeof(s->db), "%s/%s.db", db_dir, name);
	snprintf(s->params, sizeof(s->params), "%s/%s-params", dir, name);
	snprintf(pub, sizeof(pub), "%s/platform.pub", dir);
	po = (struct ykt_params_options){ .dir = s->params, .public_key_path = pub };
	if (ykt_clock_new("sim:2026-11-21T08:00:00", &s->clock) < 0 ||
	    store_open(s->db, NULL, &s->store, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	po.store = s->store;
	po.clock = s->clock;
	if (ykt_params_open(&po, &s->p, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
}

static void side_close(struct side *s)
{
	ykt_params_free(s->p);
	store_close(s->store);
	ykt_clock_free(s->clock);
}

static void install_or_die(struct side *s, const char *pkg)
{
	char why[256] = "";

	if (ykt_params_install(s->p, pkg, NULL, why, sizeof(why)) < 0) {
		fprintf(stderr, "bench: install %s: %s\n", pkg, why);
		exit(1);
	}
}

static int cmp_serial(const void *a, const void *b)
{
	return memcmp(a, b, 10);
}

static int cmp_delta(const void *a, const void *b)
{
	return memcmp((const uint8_t *)a + 1, (const uint8_t *)b + 1, 10);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void lookups(struct side *s, const uint8_t *serials, size_t n)
{
	struct ykt_params_snapshot *snap;
	uint64_t *ns = malloc(n_lookups * sizeof(*ns)), hits = 0;
	long anon0, file0;
	int64_t t0;
	uint8_t key10[10];

	memset(ns, 0xff, n_lookups * sizeof(*ns)); /* resident before the baseline */
	anon0 = status_kib("RssAnon");
	file0 = status_kib("RssFile");
	t0 = ykt_monotonic_ns();

	/* the reader's cost is what grows from here (the bench's own copy of
	 * the serials and its timing array are already counted) */
	snap = ykt_params_acquire(s->p, ykt_clock_now_s(s->clock));
	printf("params_take_up_us: %.1f us\n", (double)(ykt_monotonic_ns() - t0) / 1e3);
	for (size_t i = 0; i < n_lookups; i++) {
		memcpy(key10, serials + (check_rand(&seed) % n) * 10, 10);
		if (i % 2)
			key10[9] ^= 0x01; /* a neighbour: mostly not listed */
		t0 = ykt_monotonic_ns();
		hits += ykt_params_blacklisted(snap, key10);
		ns[i] = (uint64_t)(ykt_monotonic_ns() - t0);
	}
	qsort(ns, n_lookups, sizeof(*ns), cmp_u64);
	printf("params_lookup_p50: %llu ns\n", (unsigned long long)ns[n_lookups / 2]);
	printf("params_lookup_p99: %llu ns\n", (unsigned long long)ns[n_lookups / 100 * 99]);
	printf("params_lookup_max: %llu ns\n", (unsigned long long)ns[n_lookups - 1]);
	printf("params_lookup_hits: %llu of %zu\n", (unsigned long long)hits, n_lookups);
	/* what a tap pays when nothing changed: one pread of the generation */
	for (size_t i = 0; i < 10000; i++) {
		struct ykt_params_snapshot *again;

		t0 = ykt_monotonic_ns();
		again = ykt_params_acquire(s->p, ykt_clock_now_s(s->clock));
		ykt_params_snapshot_unref(again);
		ns[i] = (uint64_t)(ykt_monotonic_ns() - t0);
	}
	qsort(ns, 10000, sizeof(*ns), cmp_u64);
	printf("params_acquire_unchanged_p50: %llu ns\n", (unsigned long long)ns[5000]);
	print_mib("params_reader_rss_anon_growth", status_kib("RssAnon") - anon0);
	print_mib("params_reader_rss_file_growth", status_kib("RssFile") - file0);
	ykt_params_snapshot_unref(snap);
	free(ns);
}

/* Pack, install and look up the big list; then a delta on it. */
static void big_list(struct side *s, size_t n)
{
	uint8_t *serials = make_serials(n), *delta;
	struct ykt_pkg_header h = { .kind = YKT_PKG_BLACKLIST_FULL, .version = 1 };
	char pkg[PATH_MAX + 16];
	size_t nd = n / 2 < 10000 ? n / 2 : 10000, kept = 0;
	long rss0;
	int64_t t0;

	ykt_parse_cst_iso("2026-11-21T07:00:00", &h.effective_unix_s);
	snprintf(pkg, sizeof(pkg), "%s/full.pkg", dir);
	t0 = ykt_monotonic_ns();
	if (!serials || pack_write(pkg, &h, serials, n * 10, key) < 0)
		exit(1);
	printf("params_entries: %zu entries\n", n);
	printf("params_pack_s: %.2f s\n", secs(ykt_monotonic_ns() - t0));
	reset_peak_rss();
	rss0 = status_kib("VmRSS");
	t0 = ykt_monotonic_ns();
	install_or_die(s, pkg);
	printf("params_install_s: %.2f s\n", secs(ykt_monotonic_ns() - t0));
	/* on top of what the bench itself holds (its copy of the serials) */
	print_mib("params_install_peak_rss_growth", status_kib("VmHWM") - rss0);
	lookups(s, serials, n);

	/* a delta of 10000 changes: half removals of listed cards, half adds */
	delta = malloc(nd * 11);
	for (size_t i = 0; i < nd; i++) {
		uint8_t *rec = delta + i * 11;

		rec[0] = i % 2 ? BL_DELTA_REMOVE : BL_DELTA_ADD;
		memcpy(rec + 1, serials + (i * (n / nd)) * 10, 10);
		/* adds: a neighbour of a listed card that is not listed itself */
		for (uint8_t x = 1; i % 2 == 0 && bsearch(rec + 1, serials, n, 10, cmp_serial); x++)
			rec[10] = (uint8_t)(serials[(i * (n / nd)) * 10 + 9] ^ x);
	}
	qsort(delta, nd, 11, cmp_delta);
	for (size_t i = 0; i < nd; i++)
		if (kept == 0 || cmp_delta(delta + (kept - 1) * 11, delta + i * 11) != 0)
			memmove(delta + kept++ * 11, delta + i * 11, 11);
	nd = kept;
	h = (struct ykt_pkg_header){ .kind = YKT_PKG_BLACKLIST_DELTA,
				     .version = 2,
				     .base_version = 1,
				     .effective_unix_s = h.effective_unix_s };
	snprintf(pkg, sizeof(pkg), "%s/delta.pkg", dir);
	if (pack_write(pkg, &h, delta, nd * 11, key) < 0)
		exit(1);
	t0 = ykt_monotonic_ns();
	install_or_die(s, pkg);
	printf("params_delta_changes: %zu changes\n", nd);
	printf("params_delta_install_s: %.2f s\n", secs(ykt_monotonic_ns() - t0));
	unlink(pkg);
	free(delta);
	free(serials);
}

/* ---- taps through the reader loop ---- */

struct tap_times {
	int64_t last_ns;
	int n, paid;
	int64_t *interval_ns;
	int cap;
};

static void on_tap(int n, const struct tap_result *res, void *userdata)
{
	struct tap_times *t = userdata;
	int64_t now = ykt_monotonic_ns();

	if (n > 1 && t->n < t->cap)
		t->interval_ns[t->n++] = now - t->last_ns;
	t->paid += res->outcome == TAP_PAID;
	t->last_ns = now;
}

static void write_taps(int taps)
{
	char path[PATH_MAX], line[PATH_MAX + 64];
	FILE *f;

	for (int c = 0; c < CARDS; c++) {
		snprintf(path, sizeof(path), "%s/card%d.card", dir, c);
		f = fopen(path, "we");
		if (!f)
			exit(1);
		fprintf(f,
			"name = bench%d\nuid = 04B1B2C%d\nissuer_id = 01011000FFFFFFFF\n"
			"app_type = 02\napp_version = 01\napp_serial = 2000100000000000000%d\n"
			"start_date = 20240101\nexpiry_date = 20301231\ncard_type = 01\n"
			"deposit = 00\nbalance_fen = 100000\noffline_atc = 1\nstate = active\n"
			"country = 00000156\nprovince = 1100\ncity = 1000\ninterconnect = 0001\n"
			"card_kind = 01\noverdraft_limit_fen = 0\nkey_index = 01\n"
			"key_version = 01\nalgorithm_id = 00\nkeys = %s/keys/issuer-3des.keys\n",
			c, c, c, data);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/taps.tap", dir);
	f = fopen(path, "we");
	if (!f)
		exit(1);
	fprintf(f, "clock 2026-11-21T08:00:00\n");
	for (int i = 0; i < taps; i++) {
		snprintf(line, sizeof(line), "tap card%d.card\nwait 10s\n", i % CARDS);
		fputs(line, f);
	}
	fclose(f);
}

static void write_conf(struct side *s, const char *name)
{
	char text[4 * PATH_MAX];
	FILE *f;

	snprintf(s->conf, sizeof(s->conf), "%s/%s.conf", dir, name);
	snprintf(text, sizeof(text),
		 "[device]\nid = BENCH-01\nacquirer_city = 1000\n"
		 "acquirer_institution = 11011000FFFFFFFF\n"
		 "[hardware]\nreader = sim:taps.tap\nsam = sim:%s/psam/psam.psam\n"
		 "clock = sim:2026-11-21T08:00:00\n"
		 "[store]\npath = %s\nmin_free_bytes = 1048576\nstate_dir =\n"
		 "[params]\ndir = %s\npublic_key = platform.pub\n"
		 "[purchase]\nfare_fen = 200\nlocal_city = 1000\n"
		 "clock_floor = 2026-01-01T00:00:00\n",
		 data, s->db, s->params);
	f = fopen(s->conf, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		exit(1);
}

/* One run of the tap script; the median interval between taps, in us. */
static double run_taps(struct side *s, int taps)
{
	struct tap_times t = { .cap = taps };
	struct ykt_config cfg;
	struct ykt_validator *v;
	char err[512];
	double p50;

	/* the same cards again: yesterday's records would be duplicates */
	sqlite3_exec(store_db(s->store), "DELETE FROM purchase", NULL, NULL, NULL);
	t.interval_ns = calloc((size_t)taps, sizeof(*t.interval_ns));
	if (ykt_config_load(s->conf, &cfg, err, sizeof(err)) < 0 ||
	    ykt_validator_new(&cfg, &v, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	t.last_ns = ykt_monotonic_ns();
	ykt_validator_run(v, on_tap, &t);
	ykt_validator_free(v);
	if (t.paid != taps)
		fprintf(stderr, "bench: %d of %d taps paid\n", t.paid, taps);
	qsort(t.interval_ns, (size_t)t.n, sizeof(*t.interval_ns), cmp_u64);
	p50 = (double)t.interval_ns[t.n / 2] / 1e3;
	free(t.interval_ns);
	return p50;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define ROUNDS 7

/* Tap times with the big list against an empty one, both with the same
 * parameter machinery in force; what prefix names the store's place. */
static void taps(const char *prefix, struct side *big, struct side *empty, int n_taps)
{
	double b[ROUNDS], e[ROUNDS];
	char name[64];

	snprintf(name, sizeof(name), "%s-big", prefix);
	write_conf(big, name);
	snprintf(name, sizeof(name), "%s-empty", prefix);
	write_conf(empty, name);
	/* alternate which goes first, so drift of the machine falls on both */
	for (int round = 0; round < ROUNDS; round++) {
		if (round % 2) {
			b[round] = run_taps(big, n_taps);
			e[round] = run_taps(empty, n_taps);
		} else {
			e[round] = run_taps(empty, n_taps);
			b[round] = run_taps(big, n_taps);
		}
	}
	qsort(b, ROUNDS, sizeof(b[0]), cmp_double);
	qsort(e, ROUNDS, sizeof(e[0]), cmp_double);
	printf("params_tap_%s_p50_empty_list: %.1f us\n", prefix, e[ROUNDS / 2]);
	printf("params_tap_%s_p50_big_list: %.1f us\n", prefix, b[ROUNDS / 2]);
	printf("params_tap_%s_ratio_big_to_empty: %.3f x\n", prefix, b[ROUNDS / 2] / e[ROUNDS / 2]);
}

/* The big list and an empty one installed in a fresh pair of stores. */
static void pair_open(struct side *big, struct side *empty, const char *prefix, const char *db_dir)
{
	char name[64], pkg[PATH_MAX + 16];

	snprintf(name, sizeof(name), "%s-big", prefix);
	side_open(big, name, db_dir);
	snprintf(name, sizeof(name), "%s-empty", prefix);
	side_open(empty, name, db_dir);
	snprintf(pkg, sizeof(pkg), "%s/full.pkg", dir);
	install_or_die(big, pkg);
	snprintf(pkg, sizeof(pkg), "%s/empty.pkg", dir);
	install_or_die(empty, pkg);
}

int main(int argc, char **argv)
{
	bool tiny = argc == 3 && strcmp(argv[2], "--tiny") == 0;
	size_t n = tiny ? 10000 : argc > 2 ? strtoull(argv[2], NULL, 10) : 10000000;
	int n_taps = tiny ? 10 : argc > 3 ? atoi(argv[3]) : 400;
	struct side big, empty;
	char pub[PATH_MAX], pkg[PATH_MAX], shm[] = "/dev/shm/ykt-bench-XXXXXX";
	struct ykt_pkg_header h = { .kind = YKT_PKG_BLACKLIST_FULL, .version = 1 };

	if (argc < 2 || !realpath(argv[1], data) || n < 1 || n_taps < 10)
		return 2;
	ykt_log_set_level(YKT_LOG_ERR);
	if (tiny)
		n_lookups = 10000;
	check_tmpdir(dir, sizeof(dir));
	snprintf(pub, sizeof(pub), "%s/platform.pub", dir);
	key = pack_key_generate();
	if (!key || pack_key_write(key, NULL, pub) < 0)
		return 1;
	side_open(&big, "list", dir);
	big_list(&big, n);
	side_close(&big);
	/* the comparison: the same validator with an empty list in force */
	ykt_parse_cst_iso("2026-11-21T07:00:00", &h.effective_unix_s);
	snprintf(pkg, sizeof(pkg), "%s/empty.pkg", dir);
	if (pack_write(pkg, &h, "", 0, key) < 0)
		return 1;
	write_taps(n_taps);
	printf("params_taps_per_run: %d taps\n", n_taps);
	printf("params_tap_runs: %d runs each\n", ROUNDS);
	pair_open(&big, &empty, "disk", dir);
	taps("disk", &big, &empty, n_taps);
	side_close(&big);
	side_close(&empty);
	/* the store in memory: no fsync, the software alone */
	if (mkdtemp(shm)) {
		pair_open(&big, &empty, "shm", shm);
		taps("shm", &big, &empty, n_taps);
		side_close(&big);
		side_close(&empty);
		check_rm_rf(shm);
	}
	EVP_PKEY_free(key);
	check_rm_rf(dir);
	return 0;
}
