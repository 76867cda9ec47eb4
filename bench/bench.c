/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bench.h"

#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void bench_print(const char *name, double value, int decimals, const char *unit)
{
	printf("%s: %.*f%s%s\n", name, decimals, value, unit && *unit ? " " : "", unit ? unit : "");
	fflush(stdout);
}

void bench_printp(const char *prefix, const char *name, double value, int decimals,
		  const char *unit)
{
	char full[256];

	snprintf(full, sizeof(full), "%s%s%s", prefix, *prefix ? " " : "", name);
	bench_print(full, value, decimals, unit);
}

int bench_samples_add(struct bench_samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		double *more = realloc(s->v, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		s->v = more;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_pct(struct bench_samples *s, double p)
{
	size_t rank;

	if (s->n == 0)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	rank = (size_t)((p / 100.0) * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1];
}

double bench_mean(const struct bench_samples *s)
{
	double sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i];
	return s->n ? sum / (double)s->n : 0;
}

void bench_samples_free(struct bench_samples *s)
{
	free(s->v);
	*s = (struct bench_samples){ 0 };
}

int64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t bench_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t bench_process_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* ---- fsync / fdatasync, counted ----
 * The benchmark executable defines both; the dynamic linker binds SQLite's
 * calls to these, which time the C library's own. */

static _Thread_local struct bench_sync sync_thread;
static _Atomic uint64_t sync_calls, sync_ns;

static int timed_sync(const char *name, int fd)
{
	static int (*real_fsync)(int), (*real_fdatasync)(int);
	int (**slot)(int) = name[1] == 's' ? &real_fsync : &real_fdatasync;
	int64_t t0, dt;
	int r;

	if (!*slot)
		*(void **)slot = dlsym(RTLD_NEXT, name);
	if (!*slot) {
		errno = ENOSYS;
		return -1;
	}
	t0 = bench_now_ns();
	r = (*slot)(fd);
	dt = bench_now_ns() - t0;
	sync_thread.calls++;
	sync_thread.ns += (uint64_t)dt;
	atomic_fetch_add(&sync_calls, 1);
	atomic_fetch_add(&sync_ns, (uint64_t)dt);
	return r;
}

int fsync(int fd)
{
	return timed_sync("fsync", fd);
}

int fdatasync(int fd)
{
	return timed_sync("fdatasync", fd);
}

void bench_sync_thread(struct bench_sync *ret)
{
	*ret = sync_thread;
}

void bench_sync_process(struct bench_sync *ret)
{
	ret->calls = atomic_load(&sync_calls);
	ret->ns = atomic_load(&sync_ns);
}

/* ---- a shift on the simulated field ---- */

const char *bench_data_dir(void)
{
	const char *env = getenv("YKT_BENCH_DATA");

	return env && *env ? env : BENCH_DATA_DIR;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	int r = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

static int write_card(const char *dir, int i)
{
	char path[512], text[1024];

	snprintf(path, sizeof(path), "%s/card%02d.card", dir, i);
	snprintf(text, sizeof(text),
		 "name = bench%02d\nuid = 04B1C2%02X\nissuer_id = 01011000FFFFFFFF\n"
		 "app_type = 02\napp_version = 01\napp_serial = 100010000000000900%02d\n"
		 "start_date = 20240101\nexpiry_date = 20301231\ncard_type = 01\n"
		 "deposit = 00\nbalance_fen = 100000\noffline_atc = 0\nstate = active\n"
		 "country = 00000156\nprovince = 1100\ncity = 1000\ninterconnect = 0001\n"
		 "card_kind = 01\noverdraft_limit_fen = 0\nkey_index = 01\nkey_version = 01\n"
		 "algorithm_id = 00\nkeys = %s/keys/issuer-3des.keys\n",
		 i, i, i, bench_data_dir());
	return write_file(path, text);
}

static int write_script(const struct bench_shift *sh)
{
	char path[512];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/shift.tap", sh->dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "clock %s\n", sh->clock);
	for (int i = 0; i < sh->taps; i++) {
		/* metro: the cards enter in turn, then leave in turn */
		bool exit = sh->metro && i / sh->cards % 2;

		if (sh->metro && i % sh->cards == 0)
			fprintf(f, "%sstop %s\n", exit ? "wait 20m\n" : "", exit ? "0201" : "0101");
		fprintf(f, "tap card%02d.card\n", i % sh->cards);
		if (sh->wait_s > 0)
			fprintf(f, "wait %ds\n", sh->wait_s);
	}
	if (ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

static int write_config(const struct bench_shift *sh)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[device]\nid = BENCH-BUS-0001\nindustry = 2\nline = 0029\nstation = 0000\n"
		 "operator = 0001\ndirection = up\nvehicle = 00032845\nacquirer_city = 1000\n"
		 "acquirer_institution = 11011000FFFFFFFF\n\n"
		 "[hardware]\nreader = sim:%s/shift.tap\nsam = sim:%s/psam/psam.psam\n"
		 "clock = sim:%s\n\n"
		 "[store]\npath = %s\nmin_free_bytes = 1048576\nstate_dir =\n\n"
		 "[purchase]\nmode = %s\nselect = %s\nfare_fen = 200\n"
		 "refuse_non_interconnect = yes\nlocal_city = 1000\n"
		 "clock_floor = 2026-01-01T00:00:00\n",
		 sh->dir, bench_data_dir(), sh->clock, sh->store,
		 sh->compound ? "compound" : "simple", sh->ppse ? "ppse" : "direct");
	if (sh->metro)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "[device]\nid = BENCH-GATE-0001\nindustry = 1\nline = 0001\n"
			 "gate = both\n[hardware]\nstops = sim:\n"
			 "[params]\ndir = %s/params\npublic_key = %s/platform.pub\n",
			 sh->dir, sh->dir);
	return write_file(sh->config, text);
}

int bench_shift_write(struct bench_shift *sh)
{
	const char *tmp = getenv("TMPDIR");
	int r;

	snprintf(sh->dir, sizeof(sh->dir), "%s/ykt-bench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sh->dir))
		return -errno;
	snprintf(sh->config, sizeof(sh->config), "%s/ykt.conf", sh->dir);
	if (!sh->clock)
		sh->clock = "2026-11-21T07:30:00";
	if (sh->store_path)
		snprintf(sh->store, sizeof(sh->store), "%s", sh->store_path);
	else
		snprintf(sh->store, sizeof(sh->store), "%s/records.db", sh->dir);
	/* 1000 yuan each (the EP cap): 500 taps of 2 yuan */
	if (sh->cards < 1)
		sh->cards = 8;
	if (sh->cards < sh->taps / 450 + 1)
		sh->cards = sh->taps / 450 + 1;
	if (sh->cards > 64)
		return -E2BIG;
	for (int i = 0; i < sh->cards; i++) {
		r = write_card(sh->dir, i);
		if (r < 0)
			return r;
	}
	r = write_script(sh);
	return r < 0 ? r : write_config(sh);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void bench_remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void bench_shift_remove(struct bench_shift *sh)
{
	if (sh->dir[0])
		bench_remove_tree(sh->dir);
	sh->dir[0] = '\0';
}

long bench_rss_anon_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ---- arguments ---- */

static int arg_index(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return i;
	return -1;
}

int bench_arg_int(int argc, char **argv, const char *name, int def)
{
	int i = arg_index(argc, argv, name);
	char *end;
	long v;

	if (i < 0 || i + 1 >= argc)
		return def;
	v = strtol(argv[i + 1], &end, 10);
	return *end || v < 0 || v > 100000000 ? def : (int)v;
}

bool bench_arg_flag(int argc, char **argv, const char *name)
{
	return arg_index(argc, argv, name) >= 0;
}

const char *bench_arg_str(int argc, char **argv, const char *name, const char *def)
{
	int i = arg_index(argc, argv, name);

	return i < 0 || i + 1 >= argc ? def : argv[i + 1];
}
