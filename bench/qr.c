/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/qr — what a T-Union QR code costs the validator, against the tap
 * budget (docs/benchmarks.md, "QR codes"):
 *
 * 1. verify: qr_parse() + qr_verify() per code (the three SM2/SM3
 *    signatures, times, account and limit), versions 80 and 81, codes made
 *    at run time with fresh test keys (tests/qr/qr_gen.c), each code
 *    different (its own account, issuer data of 0 to 32 bytes);
 * 2. scan to outcome: ykt_qr_tap_run(), what the reader loop does with a
 *    scanned code: parse, scan guard, verify, fare and the durable QR
 *    record (SQLite, synchronous=FULL) in a store in a temporary directory.
 *
 * Prints `name: value unit` lines (p50, p99 and mean in microseconds).
 * Usage: bench/qr [--codes N] [--tiny]
 */
#include "bench.h"

#include "clock.h"
#include "config.h"
#include "qr.h"
#include "qr_gen.h"
#include "qr_tap.h"
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW 1795217400 /* 2026-11-21 07:30:00 CST */

struct code {
	uint8_t buf[QR_MAX_LEN];
	size_t len;
};

static struct qr_gen_keys keys;

/* n codes of one version, all valid at NOW, each of another account */
static struct code *make_codes(uint8_t version, int n)
{
	struct code *codes = calloc((size_t)n, sizeof(*codes));
	struct qr_gen_opts o;

	for (int i = 0; codes && i < n; i++) {
		qr_gen_defaults(&o, NOW - 5);
		o.version = version;
		o.custom_len = (uint8_t)(i % 33);
		o.user_account[8] = (uint8_t)(i >> 8);
		o.user_account[9] = (uint8_t)i;
		int len = qr_gen_build(&keys, &o, codes[i].buf);

		if (len < 0) {
			free(codes);
			return NULL;
		}
		codes[i].len = (size_t)len;
	}
	return codes;
}

static void print_samples(const char *prefix, struct bench_samples *s)
{
	bench_printp(prefix, "p50", bench_pct(s, 50), 1, "us");
	bench_printp(prefix, "p99", bench_pct(s, 99), 1, "us");
	bench_printp(prefix, "mean", bench_mean(s), 1, "us");
}

static int bench_verify(const char *name, const struct code *codes, int n,
			const struct qr_root_key *roots, size_t n_roots)
{
	struct qr_policy p = { .now_utc = NOW, .future_tolerance_s = 20, .fare_fen = 200 };
	struct bench_samples s = { 0 };
	struct qr_code c;
	int bad = 0;

	for (int i = 0; i < n; i++) {
		int64_t t0 = bench_now_ns();

		if (qr_parse(codes[i].buf, codes[i].len, &c, NULL, 0) < 0 ||
		    qr_verify(codes[i].buf, &c, roots, n_roots, &p) != QR_OK)
			bad++;
		bench_samples_add(&s, (double)(bench_now_ns() - t0) / 1000.0);
	}
	print_samples(name, &s);
	bench_samples_free(&s);
	if (bad)
		fprintf(stderr, "bench: %d codes of %s did not verify\n", bad, name);
	return bad ? -1 : 0;
}

static int write_config(const char *dir, const struct qr_root_key *root, char *path, size_t cap)
{
	char hex[2 * QR_ROOT_PUBKEY_MAX + 1];
	FILE *f;

	qr_gen_hex(root->pubkey, root->pubkey_len, hex);
	snprintf(path, cap, "%s/ykt.conf", dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f,
		"[device]\nid = BENCH-QR-1\nacquirer_city = 1000\n"
		"acquirer_institution = 11011000FFFFFFFF\n"
		"[hardware]\nreader = sim:none.tap\nsam = sim:none.psam\n"
		"clock = sim:2026-11-21T07:30:00\n"
		"[store]\npath = qr.db\n[purchase]\nfare_fen = 200\n"
		"[qr]\nroot_key = 80 01 2030-12-31T23:59:59 %s\n"
		"root_key = 81 01 2030-12-31T23:59:59 %s\nrepeat_window_s = 0\n",
		hex, hex);
	return fclose(f) == 0 ? 0 : -errno;
}

/* Every code through the reader loop's path, the store included. */
static int bench_scan(const char *dir, const struct code *codes[2], int n,
		      const struct qr_root_key *root)
{
	static struct ykt_config cfg;
	struct ykt_tap_env env = { .cfg = &cfg };
	struct bench_samples s = { 0 };
	struct ykt_qr_tap *q = NULL;
	struct tap_result res;
	char path[512], err[256];
	int paid = 0, r;

	r = write_config(dir, root, path, sizeof(path));
	if (r == 0)
		r = ykt_config_load(path, &cfg, err, sizeof(err));
	if (r == 0)
		r = ykt_clock_new(cfg.clock_uri, &env.clock);
	if (r == 0)
		r = store_open(cfg.store_path, NULL, &env.store, err, sizeof(err));
	if (r == 0)
		r = ykt_qr_tap_new(&env, &q);
	for (int i = 0; r == 0 && i < 2 * n; i++) {
		const struct code *c = &codes[i % 2][i / 2];
		int64_t t0 = bench_now_ns();

		ykt_qr_tap_run(q, &env, c->buf, c->len, &res);
		bench_samples_add(&s, (double)(bench_now_ns() - t0) / 1000.0);
		paid += res.outcome == TAP_PAID;
	}
	if (r == 0) {
		print_samples("qr scan to outcome", &s);
		bench_print("qr scan codes paid", paid, 0, "codes");
	} else {
		fprintf(stderr, "bench: %s\n", err);
	}
	bench_samples_free(&s);
	ykt_qr_tap_free(q);
	store_close(env.store);
	ykt_clock_free(env.clock);
	return r == 0 && paid == 2 * n ? 0 : -1;
}

int main(int argc, char **argv)
{
	bool tiny = bench_arg_flag(argc, argv, "--tiny");
	int n = bench_arg_int(argc, argv, "--codes", tiny ? 4 : 500);
	struct qr_root_key roots[2];
	const struct code *both[2];
	struct code *v80, *v81;
	char dir[] = "/tmp/ykt-bench-qr-XXXXXX";
	int r = 1;

	if (qr_gen_keys_new(&keys) < 0 || !mkdtemp(dir)) {
		fprintf(stderr, "bench: no SM2 keys or no temporary directory\n");
		return 1;
	}
	qr_gen_root(&keys, QR_VERSION_INTERCONNECT, 1, NOW + 86400, &roots[0]);
	qr_gen_root(&keys, QR_VERSION_LOCAL, 1, NOW + 86400, &roots[1]);
	v80 = make_codes(QR_VERSION_INTERCONNECT, n);
	v81 = make_codes(QR_VERSION_LOCAL, n);
	bench_print("qr codes per version", n, 0, "codes");
	if (v80 && v81 && bench_verify("qr-80 verify", v80, n, roots, 2) == 0 &&
	    bench_verify("qr-81 verify", v81, n, roots, 2) == 0) {
		both[0] = v80;
		both[1] = v81;
		r = bench_scan(dir, both, n, &roots[0]) == 0 ? 0 : 1;
	}
	bench_remove_tree(dir);
	free(v80);
	free(v81);
	qr_gen_keys_free(&keys);
	return r;
}
