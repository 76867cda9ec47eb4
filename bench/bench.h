/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every benchmark shares: figures printed one per line as
 * `name: value unit`, percentiles, the time spent in fsync()/fdatasync()
 * (counted by wrapping them: SQLite calls them through the C library), and
 * a throw-away shift (cards, tap script, configuration) in a temporary
 * directory on the simulated field.
 */
#ifndef YKT_BENCH_H
#define YKT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One figure: "name: value unit", value with the given decimals. */
void bench_print(const char *name, double value, int decimals, const char *unit);
/* The same with a prefix: "prefix name: value unit". */
void bench_printp(const char *prefix, const char *name, double value, int decimals,
		  const char *unit);

/* A growable list of samples. */
struct bench_samples {
	double *v;
	size_t n, cap;
};
int bench_samples_add(struct bench_samples *s, double v);
/* Nearest-rank percentile (0 < p <= 100) of the samples; 0 when empty.
 * Sorts s->v in place. */
double bench_pct(struct bench_samples *s, double p);
double bench_mean(const struct bench_samples *s);
void bench_samples_free(struct bench_samples *s);

/* fsync() and fdatasync() as this thread saw them since it started. */
struct bench_sync {
	uint64_t calls;
	uint64_t ns;
};
void bench_sync_thread(struct bench_sync *ret);
/* ... and as the whole process saw them. */
void bench_sync_process(struct bench_sync *ret);

int64_t bench_now_ns(void);	    /* CLOCK_MONOTONIC */
int64_t bench_thread_cpu_ns(void);  /* CLOCK_THREAD_CPUTIME_ID */
int64_t bench_process_cpu_ns(void); /* getrusage(RUSAGE_SELF): user + system, all threads */

/* A shift on the simulated field. */
struct bench_shift {
	char dir[256];		/* temporary directory, removed by bench_shift_remove() */
	char config[300];	/* DIR/ykt.conf */
	char store[300];	/* DIR/records.db */
	bool compound;		/* purchase mode */
	bool ppse;		/* select = ppse (default direct) */
	int taps;		/* taps in the script */
	int cards;		/* distinct cards, tapped in turn (at least; up to 64) */
	int wait_s;		/* sim clock between taps */
	const char *store_path; /* NULL: DIR/records.db */
	const char *clock;	/* sim: clock at the start; NULL: 2026-11-21T07:30:00 */
	/* a metro gate (gate = both, a sim: stop source): each card enters at
	 * station 0101 then leaves at 0201, 20 minutes later; the metro fare
	 * table is the caller's to install ([params] dir DIR/params, key
	 * DIR/platform.pub) */
	bool metro;
};

/* Make the directory and write cards, tap script and configuration. The
 * cards are adult T-Union cards of 1000 yuan (the EP cap), as many as the
 * taps need at 2 yuan (up to 64: -E2BIG beyond). 0 or -errno. */
int bench_shift_write(struct bench_shift *sh);
/* Remove the directory and all in it (the store too, unless it was given). */
void bench_shift_remove(struct bench_shift *sh);

/* Remove a directory and everything in it. */
void bench_remove_tree(const char *dir);

/* Where tests/data is (set by meson). */
const char *bench_data_dir(void);

/* Anonymous resident memory of this process (RssAnon), kB; -1 if unknown. */
long bench_rss_anon_kb(void);

/* Arguments shared by the benches: "--name VALUE" as a positive int. */
int bench_arg_int(int argc, char **argv, const char *name, int def);
bool bench_arg_flag(int argc, char **argv, const char *name);
const char *bench_arg_str(int argc, char **argv, const char *name, const char *def);

#endif
