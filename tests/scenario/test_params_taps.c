/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parameters in the running reader loop: between taps another handle on
 * the same database and directory (as `ykt params install` or `ykt sync`
 * would, from another process) installs packages, and the loop takes each
 * new version up at the next tap, without a restart:
 *
 *   tap 1  adult, on blacklist v1                       blacklisted, no record
 *          (delta v2 removes adult)
 *   tap 2  adult                                        paid
 *          (full v3 listing adult2, effective 08:05: pending)
 *   tap 3  adult2 at 08:01                              paid (v2 in force)
 *   tap 4  adult2 at 08:06, no install since            blacklisted (v3 in force)
 *   tap 5  shanghai, no whitelist in force              paid
 *          (whitelist v1: Guangzhou only)
 *   tap 6  shanghai                                     non-interconnect
 *   tap 7  adult3, a local card off the whitelist       paid (local cards are not checked)
 *          (whitelist v2 adds Shanghai)
 *   tap 8  shanghai                                     paid
 *
 * The cards are not locked (lock_blacklisted = no): this test is about
 * which list version is in force; locking is the fare scenarios' business.
 *
 * Usage: test-params-taps DATA_DIR   (tests/data)
 */
#include "check.h"
#include "clock.h"
#include "config.h"
#include "params.h"
#include "params_pack.h"
#include "reader_sim.h"
#include "sim.h"
#include "store.h"
#include "validator.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_TAPS 8

static const char *const expect[N_TAPS] = {
	"blacklisted", "paid", "paid", "blacklisted", "paid", "non-interconnect", "paid", "paid",
};

struct run {
	char dir[PATH_MAX - 200];
	EVP_PKEY *key;
	struct ykt_clock *clock; /* the installer's: it only stamps installs */
	struct ykt_store *store; /* the installer's own connection */
	struct ykt_params *installer;
	int n;
	enum tap_outcome got[N_TAPS];
	int64_t record[N_TAPS];
};

static void install(struct run *r, int kind, uint32_t version, uint32_t base, const char *effective,
		    const char *text)
{
	char path[PATH_MAX], why[256] = "";
	struct ykt_pkg_header h = { .kind = (uint8_t)kind,
				    .version = version,
				    .base_version = base };
	uint8_t *payload = NULL;
	size_t len = strlen(text);
	int rc = 0;

	ykt_parse_cst_iso(effective, &h.effective_unix_s);
	if (kind == YKT_PKG_BLACKLIST_FULL)
		rc = pack_blacklist_full(text, &payload, &len, NULL);
	else if (kind == YKT_PKG_BLACKLIST_DELTA)
		rc = pack_blacklist_delta(text, &payload, &len, NULL);
	snprintf(path, sizeof(path), "%s/%s-%u.pkg", r->dir, ykt_pkg_kind_name(kind), version);
	CHECK(rc == 0 &&
		  pack_write(path, &h, payload ? payload : (const void *)text, len, r->key) == 0,
	      "package %s", path);
	rc = ykt_params_install(r->installer, path, NULL, why, sizeof(why));
	CHECK(rc == 0, "install %s: %s", path, why);
	printf("  installed %s version %u\n", ykt_pkg_kind_name(kind), version);
	free(payload);
}

static void on_tap(int n, const struct tap_result *res, void *userdata)
{
	struct run *r = userdata;

	ykt_tap_print(stdout, n, res);
	if (n < 1 || n > N_TAPS)
		return;
	r->got[n - 1] = res->outcome;
	r->record[n - 1] = res->record_no;
	r->n = n;
	/* the loop is between taps now: what the next one must see */
	if (n == 1)
		install(r, YKT_PKG_BLACKLIST_DELTA, 2, 1, "2026-11-21T07:00:00",
			"-10001000000000012345\n");
	if (n == 2)
		install(r, YKT_PKG_BLACKLIST_FULL, 3, 0, "2026-11-21T08:05:00",
			"10001000000000012346\n");
	if (n == 5)
		install(r, YKT_PKG_WHITELIST, 1, 0, "2026-11-21T07:00:00",
			"{\"entries\": [{\"issuer\": \"0451\", \"city\": \"5810\"}]}");
	if (n == 7)
		install(r, YKT_PKG_WHITELIST, 2, 0, "2026-11-21T07:00:00",
			"{\"entries\": [{\"issuer\": \"0451\", \"city\": \"5810\"},"
			" {\"issuer\": \"0200\", \"city\": \"2900\"}]}");
}

static void write_files(struct run *r, const char *data)
{
	static const char *const taps[N_TAPS] = { "adult",    "adult",	  "adult2", "adult2",
						  "shanghai", "shanghai", "adult3", "shanghai" };
	static const char *const waits[N_TAPS] = { "30s", "30s", "5m",	"30s",
						   "30s", "30s", "30s", "30s" };
	char conf[PATH_MAX + 1024], script[8 * PATH_MAX], path[PATH_MAX];
	size_t used = (size_t)snprintf(script, sizeof(script), "clock 2026-11-21T08:00:00\n");

	for (int i = 0; i < N_TAPS; i++)
		used +=
		    (size_t)snprintf(script + used, sizeof(script) - used,
				     "tap %s/cards/%s.card\nwait %s\n", data, taps[i], waits[i]);
	check_write_file(r->dir, "taps.tap", script, path, sizeof(path));
	snprintf(conf, sizeof(conf),
		 "[device]\nid = TEST-PARAMS-01\nacquirer_city = 1000\n"
		 "acquirer_institution = 11011000FFFFFFFF\n"
		 "[hardware]\nreader = sim:taps.tap\nsam = sim:%s/psam/psam.psam\n"
		 "clock = sim:2026-11-21T08:00:00\n"
		 "[store]\npath = records.db\nmin_free_bytes = 1048576\n"
		 "[params]\ndir = params\npublic_key = platform.pub\n"
		 "[purchase]\nfare_fen = 200\nlocal_city = 1000\nlock_blacklisted = no\n"
		 "clock_floor = 2026-01-01T00:00:00\n",
		 data);
	check_write_file(r->dir, "ykt.conf", conf, path, sizeof(path));
}

static void open_installer(struct run *r)
{
	char pub[PATH_MAX + 32], db[PATH_MAX + 32], dir[PATH_MAX + 32], err[256] = "";
	struct ykt_params_options po = { .public_key_path = pub, .dir = dir };

	snprintf(pub, sizeof(pub), "%s/platform.pub", r->dir);
	snprintf(db, sizeof(db), "%s/records.db", r->dir);
	snprintf(dir, sizeof(dir), "%s/params", r->dir);
	r->key = pack_key_generate();
	CHECK(r->key && pack_key_write(r->key, NULL, pub) == 0, "platform key");
	CHECK(ykt_clock_new("sim:2026-11-21T08:00:00", &r->clock) == 0, "clock");
	CHECK(store_open(db, NULL, &r->store, err, sizeof(err)) == 0, "store: %s", err);
	po.store = r->store;
	po.clock = r->clock;
	CHECK(ykt_params_open(&po, &r->installer, err, sizeof(err)) == 0, "params: %s", err);
}

int main(int argc, char **argv)
{
	static struct run r;
	static struct ykt_config cfg;
	struct ykt_validator *v = NULL;
	char path[PATH_MAX], data[PATH_MAX], err[512] = "";

	if (argc != 2 || !realpath(argv[1], data))
		return 2;
	check_tmpdir(r.dir, sizeof(r.dir));
	write_files(&r, data);
	open_installer(&r);
	install(&r, YKT_PKG_BLACKLIST_FULL, 1, 0, "2026-11-21T07:00:00",
		"10001000000000012345\n10001000000000070001\n");
	snprintf(path, sizeof(path), "%s/ykt.conf", r.dir);
	CHECK(ykt_config_load(path, &cfg, err, sizeof(err)) == 0, "config: %s", err);
	CHECK(ykt_validator_new(&cfg, &v, err, sizeof(err)) == 0, "validator: %s", err);
	if (v)
		CHECK(ykt_validator_run(v, on_tap, &r) == 0, "the taps ran to their end");
	CHECK_INT(r.n, N_TAPS);
	for (int i = 0; i < r.n; i++) {
		CHECK(strcmp(tap_outcome_text(r.got[i])->key, expect[i]) == 0,
		      "tap %d: %s, expected %s", i + 1, tap_outcome_text(r.got[i])->key, expect[i]);
		/* a refused card is never touched for money: no record at all */
		CHECK(strcmp(expect[i], "paid") == 0 || r.record[i] == -1,
		      "tap %d refused yet record %lld", i + 1, (long long)r.record[i]);
	}
	ykt_validator_free(v);
	ykt_params_free(r.installer);
	store_close(r.store);
	ykt_clock_free(r.clock);
	EVP_PKEY_free(r.key);
	if (check_failures == 0)
		check_rm_rf(r.dir);
	return check_result();
}
