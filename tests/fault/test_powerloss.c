/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Power loss, not just a crash (docs/power-loss.md): taps of simple and
 * compound purchases on 3DES and SM4 cards, cards leaving mid-tap, and the
 * validator cut again and again: SIGKILL at random moments, on random card
 * and PSAM commands, at start-up, and at every store write point (each
 * several times) as a crash, a power cut (unsynced writes discarded) or a
 * torn power cut. After each cut the validator starts again on the same
 * database and recovers. At the end every card's ledger is compared with the
 * store, and the last line says
 *   taps N, cuts K, lost L, duplicated D, phantom P
 * The test fails unless L, D and P are 0, no intent is left unresolved, and
 * every reachable store write point was cut often enough.
 *
 * Usage: test-powerloss DATA_DIR VALIDATOR [TAPS CUTS]
 *   DATA_DIR   tests/data (keys, PSAM profile)
 *   VALIDATOR  the powerloss-validator binary
 * Without TAPS and CUTS: 10000 and 1000, or 1500 and 150 when CI=true.
 */
#include "powerloss.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* each store write point (operation, point, cut) is hit at least this often */
#define MIN_HITS_PLAIN 3
#define MIN_HITS_CI    1
#define MAX_MISSES     3 /* a point not reached in 3 tries is unreachable (single-page writes) */

static int min_hits = MIN_HITS_PLAIN;

/* The distinct points of each cut: with the writes held until the sync
 * (power, torn) nothing before the sync has reached the disk, so first and
 * mid are the same cut as sync; a torn cut after the sync has nothing left
 * to tear. */
static bool combo_used(enum pc_point point, enum pc_cut cut)
{
	if (cut == PC_CUT_KILL)
		return true;
	if (cut == PC_CUT_POWER)
		return point == PC_SYNC || point == PC_SYNCED;
	return point == PC_SYNC;
}

static bool unreachable(const struct pl *h, int op, int point, int cut)
{
	return h->hits[op][point][cut] == 0 && h->other_point[op][point][cut] >= MAX_MISSES;
}

static bool coverage_met(const struct pl *h)
{
	for (int op = PC_OP_INTENT; op <= PC_OP_CHECKPOINT; op++)
		for (int p = 0; p < PC_POINT__COUNT; p++)
			for (int c = 0; c < PC_CUT__COUNT; c++)
				if (combo_used(p, c) && !unreachable(h, op, p, c) &&
				    h->hits[op][p][c] < min_hits)
					return false;
	return true;
}

/* The store write point cut least often so far (ties at random). */
static void pick_store_point(struct pl *h, struct pc_plan *ret)
{
	int best = -1, seen = 0;

	for (int op = PC_OP_INTENT; op <= PC_OP_CHECKPOINT; op++) {
		for (int p = 0; p < PC_POINT__COUNT; p++) {
			for (int c = 0; c < PC_CUT__COUNT; c++) {
				int n = h->hits[op][p][c];

				if (!combo_used(p, c) || unreachable(h, op, p, c))
					continue;
				if (best >= 0 && n > best)
					continue;
				seen = best == n ? seen + 1 : 1;
				best = n;
				if (pl_below(h, seen) == 0)
					*ret = (struct pc_plan){ .op = op, .point = p, .cut = c };
			}
		}
	}
}

/* Which occurrence of the operation: the common ones (every purchase) a
 * few taps into the run, the rare ones at their first. */
static int pick_nth(struct pl *h, enum pc_op op)
{
	switch (op) {
	case PC_OP_INTENT:
	case PC_OP_COMPLETE:
	case PC_OP_MAC2:
		return 1 + pl_below(h, 12);
	case PC_OP_GREY:
	case PC_OP_VOID:
		return 1 + pl_below(h, 2);
	default:
		return 1;
	}
}

static void choose_plan(struct pl *h, struct pl_plan *p)
{
	int r = pl_below(h, 100);

	*p = (struct pl_plan){ .compound = pl_below(h, 2) == 0,
			       .fare_fen = 100 + 10 * pl_below(h, 21),
			       .mode = pl_below(h, 2) == 0 ? PC_CACHE : PC_PASS,
			       .psam_jumps = pl_below(h, 10) == 0 };
	if (r < 55) {
		p->kill = PL_KILL_STORE;
		pick_store_point(h, &p->store);
		p->store.nth = pick_nth(h, p->store.op);
		p->mode = p->store.cut == PC_CUT_KILL ? PC_PASS : PC_CACHE;
		p->psam_jumps = p->store.op == PC_OP_PSAM_SERIAL;
	} else if (r < 75) {
		p->kill = PL_KILL_APDU;
		p->tap = 1 + pl_below(h, 12);
		p->apdu = 1 + pl_below(h, 14);
		p->after = pl_below(h, 2) == 0;
	} else if (r < 95) {
		p->kill = PL_KILL_TIMER;
		p->tap = 1 + pl_below(h, 12);
		p->delay_us = pl_below(h, (int)(2 * h->tap_ns_avg / 1000) + 1);
	} else {
		p->kill = PL_KILL_STARTUP;
		p->delay_us = pl_below(h, (int)(3 * h->start_ns_avg / 2000) + 1);
	}
}

static void print_coverage(const struct pl *h)
{
	static const char *const kinds[PL_KILL__COUNT] = { "store write point", "card/PSAM command",
							   "random moment in a tap", "start-up" };

	for (int k = 0; k < PL_KILL__COUNT; k++)
		printf("cuts at a %s: %ld\n", kinds[k], h->cuts_by_kind[k]);
	printf("power cuts (unsynced writes lost, -shm scrambled): %ld, crashes: %ld\n",
	       h->power_cuts, h->cuts - h->power_cuts);
	printf("store write points (hits kill/power/torn; '-' not a distinct point, 'x' "
	       "unreachable):\n");
	for (int op = PC_OP_INTENT; op <= PC_OP_CHECKPOINT; op++) {
		printf("  %-12s", pc_op_names[op]);
		for (int p = 0; p < PC_POINT__COUNT; p++) {
			printf(" %s", pc_point_names[p]);
			for (int c = 0; c < PC_CUT__COUNT; c++) {
				if (!combo_used(p, c))
					printf("%s-", c ? "/" : "=");
				else if (unreachable(h, op, p, c))
					printf("%sx", c ? "/" : "=");
				else
					printf("%s%d", c ? "/" : "=", h->hits[op][p][c]);
			}
		}
		printf("\n");
	}
}

static int shift(struct pl *h)
{
	long max_runs = h->target_cuts * 20 + 100;
	struct pl_plan plan;

	do {
		h->stop = h->taps >= h->target_taps && h->cuts >= h->target_cuts && coverage_met(h);
		choose_plan(h, &plan);
		int rc = pl_run(h, &plan);

		if (rc < 0)
			return rc;
	} while (!h->last_clean && h->runs < max_runs);
	return h->last_clean ? 0 : -1;
}

int main(int argc, char **argv)
{
	bool ci = getenv("CI") && strcmp(getenv("CI"), "true") == 0;
	struct pl h = { .listen_fd = -1 };
	struct pl_verdict v = { 0 };
	struct timespec t0, t1;
	int rc, failed = 0;

	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: test-powerloss DATA_DIR VALIDATOR [TAPS CUTS]\n");
		return 2;
	}
	/* card profiles name their key files by this path, from another directory */
	h.data_dir = realpath(argv[1], NULL);
	h.child = argv[2];
	if (!h.data_dir) {
		perror(argv[1]);
		return 2;
	}
	h.target_taps = argc == 5 ? atol(argv[3]) : ci ? 1500 : 10000;
	h.target_cuts = argc == 5 ? atol(argv[4]) : ci ? 150 : 1000;
	min_hits = ci ? MIN_HITS_CI : MIN_HITS_PLAIN;
	h.rng = getenv("POWERLOSS_SEED") ? strtoull(getenv("POWERLOSS_SEED"), NULL, 0)
					 : (uint64_t)time(NULL) * 2654435761u + 1;
	printf("seed %llu (POWERLOSS_SEED to replay)\n", (unsigned long long)h.rng);
	h.tap_ns_avg = 2000000;
	h.start_ns_avg = 20000000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = pl_setup(&h, h.target_taps * 2);
	if (rc == 0)
		rc = shift(&h);
	if (rc == 0)
		rc = pl_check(&h, &v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == -ENOSYS) {
		printf("skipped: this kernel has no pidfd_open() (Linux 5.3 or later needed)\n");
		pl_cleanup(&h, false);
		free((char *)h.data_dir);
		return 77;
	}
	print_coverage(&h);
	printf("records: %ld complete, %ld grey (%ld for a debit that never happened), %ld void; "
	       "card debits %ld; validator runs %ld; %.1f s\n",
	       v.complete, v.grey, v.grey_not_debited, v.voids, v.debits, h.runs,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (rc < 0)
		fprintf(stderr, "powerloss: the harness could not finish (see above)\n");
	if (v.intents_left)
		fprintf(stderr, "powerloss: %ld intents left after the last start-up\n",
			v.intents_left);
	if (h.taps < h.target_taps || h.cuts < h.target_cuts || !coverage_met(&h))
		fprintf(stderr, "powerloss: fewer taps, cuts or write points than asked\n");
	failed = rc < 0 || v.lost || v.duplicated || v.phantom || v.intents_left ||
		 h.taps < h.target_taps || h.cuts < h.target_cuts || !coverage_met(&h);
	printf("taps %ld, cuts %ld, lost %ld, duplicated %ld, phantom %ld\n", h.taps, h.cuts,
	       v.lost, v.duplicated, v.phantom);
	pl_cleanup(&h, failed);
	free((char *)h.data_dir);
	return failed ? 1 : 0;
}
