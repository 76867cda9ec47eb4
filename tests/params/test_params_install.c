/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Installing parameter packages: which blacklist version is in force
 * before and after each of a good package, a tampered payload, a bad
 * signature, an unsigned package, a stale version, a future effective time
 * (pending, then in force once the sim: clock passes it), a delta on the
 * wrong base and on the right one; the lists the reader sees through its
 * snapshots at each point; what a crash leaves behind; and the JSON kinds.
 * Each step prints "blacklist in force: before -> after".
 */
#include "params_test.h"

#include "clock.h"
#include "store_private.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CARD_A "10001000000000012345"
#define CARD_B "10001000000000070001"
#define CARD_C "58101000000000090001"
#define CARD_D "10001000000000099999"

static const char list_ab[] = CARD_A "\n" CARD_B "\n";

static struct ptest t;
static char fpath[PATH_MAX + 64];

/* Install path, expect code, print and check the version in force. */
static void step(const char *what, const char *path, int want, uint32_t before, uint32_t after)
{
	uint32_t got_before = ptest_active(&t, YKT_PARAM_BLACKLIST), got_after;
	int r = ptest_install(&t, path);

	got_after = ptest_active(&t, YKT_PARAM_BLACKLIST);
	printf("%-26s blacklist in force: %u -> %u  (%s)\n", what, got_before, got_after,
	       r == 0 ? "installed" : ptest_why);
	CHECK(r == want, "%s: install returned %d (%s), expected %d", what, r, ptest_why, want);
	CHECK_INT(got_before, before);
	CHECK_INT(got_after, after);
	CHECK(r == 0 || r == -EALREADY || ptest_why[0], "%s: a refusal gives its reason", what);
}

/* What the reader loop sees at now. */
static bool reader_lists(const char *serial_hex, uint32_t *ret_version)
{
	struct ykt_params_snapshot *s = ykt_params_acquire(t.p, ykt_clock_now_s(t.clock));
	uint8_t serial[10];
	bool listed;

	ptest_serial(serial_hex, serial);
	listed = ykt_params_blacklisted(s, serial);
	*ret_version = ykt_params_snapshot_version(s, YKT_PARAM_BLACKLIST);
	ykt_params_snapshot_unref(s);
	return listed;
}

static void good_then_refusals(void)
{
	const char *p;
	uint32_t v = 99;

	CHECK(!reader_lists(CARD_A, &v) && v == 0, "no blacklist before the first install");
	p = ptest_pack_text(&t, "v3.pkg", YKT_PKG_BLACKLIST_FULL, 3, 0, "2026-11-21T07:00:00",
			    list_ab);
	step("good full list v3", p, 0, 0, 3);
	CHECK(reader_lists(CARD_A, &v) && v == 3, "the reader sees v3 at the next tap");
	step("same package again", p, -EALREADY, 3, 3);

	p = ptest_pack_text(&t, "v4-tampered.pkg", YKT_PKG_BLACKLIST_FULL, 4, 0,
			    "2026-11-21T07:00:00", CARD_C "\n" CARD_D "\n");
	ptest_flip(p, YKT_PKG_HEADER_LEN + 2 + 80); /* payload starts after the signature */
	step("tampered payload", p, YKT_E_PARAM_HASH, 3, 3);
	CHECK(strstr(ptest_why, "does not match the SM3") != NULL, "why: %s", ptest_why);

	p = ptest_pack(&t, "v4-otherkey.pkg", YKT_PKG_BLACKLIST_FULL, 4, 0, "2026-11-21T07:00:00",
		       "", 0, t.other_key);
	step("signed by another key", p, YKT_E_PARAM_SIGNATURE, 3, 3);
	p = ptest_pack_text(&t, "v4-badsig.pkg", YKT_PKG_BLACKLIST_FULL, 4, 0,
			    "2026-11-21T07:00:00", "");
	ptest_flip(p, YKT_PKG_HEADER_LEN + 2 + 20); /* inside the DER signature */
	step("corrupted signature", p, YKT_E_PARAM_SIGNATURE, 3, 3);
	p = ptest_pack_text(&t, "v4-header.pkg", YKT_PKG_BLACKLIST_FULL, 4, 0,
			    "2026-11-21T07:00:00", "");
	ptest_flip(p, 23); /* the effective time, one second off, after signing */
	step("header changed", p, YKT_E_PARAM_SIGNATURE, 3, 3);

	p = ptest_pack(&t, "v4-unsigned.pkg", YKT_PKG_BLACKLIST_FULL, 4, 0, "2026-11-21T07:00:00",
		       "", 0, NULL);
	step("unsigned", p, YKT_E_PARAM_UNSIGNED, 3, 3);

	p = ptest_pack_text(&t, "v2.pkg", YKT_PKG_BLACKLIST_FULL, 2, 0, "2026-11-21T07:00:00", "");
	step("stale version 2", p, YKT_E_PARAM_STALE, 3, 3);
	p = ptest_pack_text(&t, "v3-other.pkg", YKT_PKG_BLACKLIST_FULL, 3, 0, "2026-11-21T07:00:00",
			    "");
	step("version 3, other content", p, YKT_E_PARAM_STALE, 3, 3);
	p = ptest_pack_text(&t, "v3-later.pkg", YKT_PKG_BLACKLIST_FULL, 3, 0, "2026-11-21T07:30:00",
			    list_ab);
	step("version 3, other time", p, YKT_E_PARAM_STALE, 3, 3);
	CHECK(reader_lists(CARD_A, &v) && v == 3, "after all refusals the reader still has v3");
}

static void pending_then_in_force(void)
{
	const char *p = ptest_pack_text(&t, "v5.pkg", YKT_PKG_BLACKLIST_FULL, 5, 0,
					"2026-11-21T09:00:00", CARD_A "\n" CARD_B "\n" CARD_D "\n");
	uint32_t v = 0;

	step("future effective time v5", p, 0, 3, 3);
	CHECK_INT(ptest_pending(&t, YKT_PARAM_BLACKLIST), 5);
	CHECK(!reader_lists(CARD_D, &v) && v == 3, "pending v5 not used before 09:00");
	ykt_clock_set(t.clock, ptest_time("2026-11-21T08:59:59") * 1000);
	CHECK(!reader_lists(CARD_D, &v) && v == 3, "not at 08:59:59 either");
	ykt_clock_set(t.clock, ptest_time("2026-11-21T09:00:00") * 1000);
	printf("%-26s blacklist in force: 3 -> %u  (clock at 09:00:00)\n", "clock passes v5",
	       ptest_active(&t, YKT_PARAM_BLACKLIST));
	CHECK_INT(ptest_active(&t, YKT_PARAM_BLACKLIST), 5);
	CHECK_INT(ptest_pending(&t, YKT_PARAM_BLACKLIST), 0);
	CHECK(reader_lists(CARD_D, &v) && v == 5, "the reader takes v5 up at 09:00:00, no install");
}

static void deltas(void)
{
	const char *p;
	uint32_t v = 0;

	p = ptest_pack_text(&t, "d6-base3.pkg", YKT_PKG_BLACKLIST_DELTA, 6, 3,
			    "2026-11-21T09:00:00", "-" CARD_A "\n");
	step("delta on wrong base 3", p, YKT_E_PARAM_BASE, 5, 5);
	CHECK(strstr(ptest_why, "installed blacklist is version 5") != NULL, "why: %s", ptest_why);
	p = ptest_pack_text(&t, "d6-addlisted.pkg", YKT_PKG_BLACKLIST_DELTA, 6, 5,
			    "2026-11-21T09:00:00", "+" CARD_B "\n");
	step("delta adds a listed card", p, YKT_E_PARAM_BASE, 5, 5);
	p = ptest_pack_text(&t, "d6-rmunlisted.pkg", YKT_PKG_BLACKLIST_DELTA, 6, 5,
			    "2026-11-21T09:00:00", "-" CARD_C "\n");
	step("delta removes unlisted", p, YKT_E_PARAM_BASE, 5, 5);
	p = ptest_pack_text(&t, "d6.pkg", YKT_PKG_BLACKLIST_DELTA, 6, 5, "2026-11-21T09:00:00",
			    "-" CARD_A "\n+" CARD_C "\n");
	step("delta on right base 5", p, 0, 5, 6);
	CHECK(!reader_lists(CARD_A, &v) && v == 6, "A removed by the delta");
	CHECK(reader_lists(CARD_B, &v) && reader_lists(CARD_C, &v) && reader_lists(CARD_D, &v),
	      "B, D kept and C added by the delta");
}

/* Files of superseded versions are gone; rows too. */
static void superseded_removed(void)
{
	struct params_row *rows = NULL;
	size_t n = 0;

	CHECK_INT(params_index_load(t.store, &rows, &n), 0);
	CHECK(n == 1 && rows[0].version == 6, "only v6 left in the index (%zu rows)", n);
	free(rows);
	snprintf(fpath, sizeof(fpath), "%s/blacklist-0000000003.list", t.params);
	CHECK(access(fpath, F_OK) != 0, "v3 file removed");
	snprintf(fpath, sizeof(fpath), "%s/blacklist-0000000006.list", t.params);
	CHECK(access(fpath, F_OK) == 0, "v6 file kept");
}

/* A snapshot a tap holds keeps its version while a new one is installed
 * and taken up: one tap never sees two versions. */
static void held_snapshot(void)
{
	int64_t now = ykt_clock_now_s(t.clock);
	struct ykt_params_snapshot *held = ykt_params_acquire(t.p, now), *next;
	uint8_t a[10], c[10];
	const char *p = ptest_pack_text(&t, "v7.pkg", YKT_PKG_BLACKLIST_FULL, 7, 0,
					"2026-11-21T09:00:00", CARD_A "\n");

	ptest_serial(CARD_A, a);
	ptest_serial(CARD_C, c);
	step("full list v7", p, 0, 6, 7);
	next = ykt_params_acquire(t.p, now);
	CHECK_INT(ykt_params_snapshot_version(held, YKT_PARAM_BLACKLIST), 6);
	CHECK(!ykt_params_blacklisted(held, a) && ykt_params_blacklisted(held, c),
	      "the held snapshot still answers from v6 (its file is unlinked, still mapped)");
	CHECK_INT(ykt_params_snapshot_version(next, YKT_PARAM_BLACKLIST), 7);
	CHECK(ykt_params_blacklisted(next, a) && !ykt_params_blacklisted(next, c), "next tap: v7");
	ykt_params_snapshot_unref(held);
	ykt_params_snapshot_unref(next);
}

/* A version whose file cannot be loaded leaves the one in force. */
static void unloadable_keeps_previous(void)
{
	const char *p = ptest_pack_text(&t, "v8.pkg", YKT_PKG_BLACKLIST_FULL, 8, 0,
					"2026-11-21T09:00:00", CARD_D "\n");
	uint32_t v = 0;

	step("full list v8", p, 0, 7, 8);
	snprintf(fpath, sizeof(fpath), "%s/blacklist-0000000008.list", t.params);
	CHECK_INT(truncate(fpath, 10), 0);
	CHECK(reader_lists(CARD_A, &v) && v == 7, "v8 unreadable: the reader keeps v7 (got %u)", v);
}

/* What a crash leaves (a temporary file, a renamed file without its row)
 * goes at the next install. */
static void crash_leftovers(void)
{
	const char *p;
	char tmp[PATH_MAX + 64], orphan[PATH_MAX + 64];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.tmp-blacklist-0000000009.list", t.params);
	snprintf(orphan, sizeof(orphan), "%s/blacklist-0000000042.list", t.params);
	f = fopen(tmp, "w");
	CHECK(f && fclose(f) == 0, "temporary file made");
	f = fopen(orphan, "w");
	CHECK(f && fclose(f) == 0, "orphan made");
	p = ptest_pack_text(&t, "v9.pkg", YKT_PKG_BLACKLIST_FULL, 9, 0, "2026-11-21T09:00:00",
			    list_ab);
	step("full list v9", p, 0, 8, 9);
	CHECK(access(tmp, F_OK) != 0 && access(orphan, F_OK) != 0, "leftovers removed");
}

static void delta_without_list(void)
{
	struct ptest fresh;
	const char *p;
	int r;

	ptest_setup(&fresh, "2026-11-21T08:00:00");
	p = ptest_pack_text(&fresh, "d2.pkg", YKT_PKG_BLACKLIST_DELTA, 2, 1, "2026-11-21T07:00:00",
			    "+" CARD_A "\n");
	r = ptest_install(&fresh, p);
	printf("%-26s blacklist in force: 0 -> %u  (%s)\n", "delta, no list installed",
	       ptest_active(&fresh, YKT_PARAM_BLACKLIST), ptest_why);
	CHECK_INT(r, YKT_E_PARAM_BASE);
	/* a delta taking effect before its pending base would apply the base early */
	p = ptest_pack_text(&fresh, "f1.pkg", YKT_PKG_BLACKLIST_FULL, 1, 0, "2026-11-21T10:00:00",
			    list_ab);
	CHECK_INT(ptest_install(&fresh, p), 0);
	p = ptest_pack_text(&fresh, "d2b.pkg", YKT_PKG_BLACKLIST_DELTA, 2, 1, "2026-11-21T09:00:00",
			    "+" CARD_C "\n");
	CHECK_INT(ptest_install(&fresh, p), YKT_E_PARAM_BASE);
	p = ptest_pack_text(&fresh, "d2c.pkg", YKT_PKG_BLACKLIST_DELTA, 2, 1, "2026-11-21T10:00:00",
			    "+" CARD_C "\n");
	CHECK_INT(ptest_install(&fresh, p), 0);
	CHECK_INT(ptest_pending(&fresh, YKT_PARAM_BLACKLIST), 2);
	ptest_teardown(&fresh);
}

/* A kind this build does not install, and a wrong key file. */
static void kinds_and_keys(void)
{
	struct ykt_params_options po = { .dir = t.params, .store = t.store, .clock = t.clock };
	struct ykt_params *p2 = NULL;
	const char *p = ptest_pack(&t, "qr.pkg", YKT_PKG_QR_ROOT_KEYS, 1, 0, "2026-11-21T07:00:00",
				   "{}", 2, t.key);
	char err[256];

	CHECK_INT(ptest_install(&t, p), YKT_E_PARAM_KIND);
	CHECK(strstr(ptest_why, "qr-root-keys") != NULL, "why: %s", ptest_why);
	po.public_key_path = "/nonexistent/platform.pub";
	CHECK_INT(ykt_params_open(&po, &p2, err, sizeof(err)), YKT_E_PARAM_KEY);
	po.public_key_path = NULL; /* a reader: no key, installs refused */
	CHECK_INT(ykt_params_open(&po, &p2, err, sizeof(err)), 0);
	p = ptest_pack_text(&t, "v10.pkg", YKT_PKG_BLACKLIST_FULL, 10, 0, "2026-11-21T07:00:00",
			    "");
	CHECK_INT(ykt_params_install(p2, p, NULL, err, sizeof(err)), YKT_E_PARAM_KEY);
	ykt_params_free(p2);
}

int main(void)
{
	ptest_setup(&t, "2026-11-21T08:00:00");
	good_then_refusals();
	pending_then_in_force();
	deltas();
	superseded_removed();
	held_snapshot();
	unloadable_keeps_previous();
	crash_leftovers();
	delta_without_list();
	kinds_and_keys();
	ptest_teardown(&t);
	return check_result();
}
