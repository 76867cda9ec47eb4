/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Profiles and key files: every demo profile loads with the values it
 * claims, and every kind of mistake is refused with a message naming the
 * file and the key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_private.h"
#include "sim_test.h"
#include "ykt_error.h"

static int failures;

struct demo {
	const char *file, *name;
	uint8_t card_type;
	uint32_t balance_fen;
	uint32_t state;
};

static const struct demo demos[] = {
	{ "adult.card", "adult", 0x01, 5000, SIM_CARD_ACTIVE },
	{ "adult2.card", "adult2", 0x01, 12000, SIM_CARD_ACTIVE },
	{ "student.card", "student", 0x02, 3000, SIM_CARD_ACTIVE },
	{ "senior.card", "senior", 0x03, 2000, SIM_CARD_ACTIVE },
	{ "lowbalance.card", "lowbalance", 0x01, 50, SIM_CARD_ACTIVE },
	{ "expired.card", "expired", 0x01, 4000, SIM_CARD_ACTIVE },
	{ "notyet.card", "notyet", 0x01, 4000, SIM_CARD_ACTIVE },
	{ "blocked.card", "blocked", 0x01, 4000, SIM_CARD_BLOCKED_TEMP },
	{ "blocked_perm.card", "blocked_perm", 0x01, 4000, SIM_CARD_BLOCKED_PERM },
	{ "shanghai.card", "shanghai", 0x01, 8800, SIM_CARD_ACTIVE },
};

static void demo_profiles(const char *dir)
{
	uint8_t serials[sizeof(demos) / sizeof(demos[0])][10];
	char path[512], err[256];

	for (size_t i = 0; i < sizeof(demos) / sizeof(demos[0]); i++) {
		struct sim_card_profile p;
		char rel[64];

		snprintf(rel, sizeof(rel), "cards/%s", demos[i].file);
		err[0] = '\0';
		if (sim_card_profile_load(t_path(dir, rel, path, sizeof(path)), &p, err,
					  sizeof(err))) {
			CHECK(0, "%s: %s", demos[i].file, err);
			continue;
		}
		CHECK(strcmp(p.name, demos[i].name) == 0, "%s: name %s", demos[i].file, p.name);
		CHECK(p.card_type == demos[i].card_type && p.balance_fen == demos[i].balance_fen &&
			  p.state == demos[i].state,
		      "%s: type/balance/state", demos[i].file);
		memcpy(serials[i], p.app_serial, 10);
		for (size_t j = 0; j < i; j++)
			CHECK(memcmp(serials[i], serials[j], 10) != 0, "%s: app serial reused",
			      demos[i].file);
	}
}

static void demo_dates(const char *dir)
{
	struct sim_card_profile p;
	char path[512], err[256];

	if (sim_card_profile_load(t_path(dir, "cards/expired.card", path, sizeof(path)), &p, err,
				  sizeof(err)) == 0)
		CHECK(t_eq_hex(p.expiry_date, 4, "20231231"), "expired.card expiry");
	if (sim_card_profile_load(t_path(dir, "cards/notyet.card", path, sizeof(path)), &p, err,
				  sizeof(err)) == 0)
		CHECK(t_eq_hex(p.start_date, 4, "20300101"), "notyet.card start");
}

/* ---- broken profiles, written to a temporary directory ---- */

struct tmp {
	char dir[256];
	char keys[512]; /* absolute path of the real key file */
};

static const char *write_file(const struct tmp *t, const char *name, const char *text, char *path,
			      size_t cap)
{
	FILE *f;

	snprintf(path, cap, "%s/%s", t->dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

#define CARD_BASE                                                                                  \
	"uid = 04A1B2C3\nissuer_id = 01011000FFFFFFFF\napp_serial = 10001000000000099999\n"        \
	"balance_fen = 100\n"

/* Load a card profile made of CARD_BASE, extra and a keys line. */
static int try_card(const struct tmp *t, const char *extra, bool with_keys, char *err,
		    size_t err_len)
{
	char text[2048], path[512];
	struct sim_card *c = NULL;
	int r;

	snprintf(text, sizeof(text), CARD_BASE "%s%s%s%s", extra, with_keys ? "keys = " : "",
		 with_keys ? t->keys : "", with_keys ? "\n" : "");
	err[0] = '\0';
	r = sim_card_load(write_file(t, "x.card", text, path, sizeof(path)), &c, err, err_len);
	sim_card_free(c);
	return r;
}

static void expect_card_error(const struct tmp *t, const char *extra, bool with_keys, int want_r,
			      const char *want_err)
{
	char err[256];
	int r = try_card(t, extra, with_keys, err, sizeof(err));

	CHECK(r == want_r && strcmp(err, want_err) == 0, "[%s]: got %d \"%s\", expected %d \"%s\"",
	      extra, r, err, want_r, want_err);
}

static void card_errors(const struct tmp *t)
{
	char err[256];

	CHECK(try_card(t, "", true, err, sizeof(err)) == 0, "base profile: %s", err);
	expect_card_error(t, "balance_fen = abc\n", true, YKT_E_CONFIG,
			  "x.card: balance_fen: given twice");
	expect_card_error(t, "colour = red\n", true, YKT_E_CONFIG, "x.card: colour: unknown key");
	expect_card_error(t, "", false, YKT_E_CONFIG, "x.card: keys: missing");
	expect_card_error(t, "app_type = 2\n", true, YKT_E_CONFIG,
			  "x.card: app_type: not 1 byte of hex");
	expect_card_error(t, "expiry_date = 20231301\n", true, YKT_E_CONFIG,
			  "x.card: expiry_date: not a date YYYYMMDD");
	expect_card_error(t, "start_date = 2024-01-01\n", true, YKT_E_CONFIG,
			  "x.card: start_date: not a date YYYYMMDD");
	expect_card_error(t, "state = frozen\n", true, YKT_E_CONFIG,
			  "x.card: state: not one of active, blocked_temp, blocked_perm");
	expect_card_error(t, "overdraft_limit_fen = 16777216\n", true, YKT_E_CONFIG,
			  "x.card: overdraft_limit_fen: out of range (0..16777215)");
	expect_card_error(t, "offline_atc = -1\n", true, YKT_E_CONFIG,
			  "x.card: offline_atc: not a number");
	expect_card_error(t, "offline_atc = 12x\n", true, YKT_E_CONFIG,
			  "x.card: offline_atc: not a number");
	expect_card_error(t, "this line is wrong\n", true, YKT_E_CONFIG,
			  "x.card:5: not a key = value line");
	expect_card_error(t, "[extra]\nfoo = 1\n", true, YKT_E_CONFIG,
			  "x.card: foo: unexpected (profiles have no [sections])");
	expect_card_error(t, "key_index = 07\n", true, YKT_E_CONFIG,
			  "x.card: keys: issuer-3des.keys: no [key.07] section");
	expect_card_error(t, "keys = nope.keys\n", false, -ENOENT,
			  "x.card: keys: nope.keys: No such file or directory");
}

static void balance_is_a_number(const struct tmp *t)
{
	char text[1024], path[512], err[256] = "";
	struct sim_card *c = NULL;
	int r;

	snprintf(text, sizeof(text),
		 "uid = 04A1B2C3\nissuer_id = 01011000FFFFFFFF\n"
		 "app_serial = 10001000000000099999\nbalance_fen = 5O00\nkeys = %s\n",
		 t->keys);
	r = sim_card_load(write_file(t, "adult.card", text, path, sizeof(path)), &c, err,
			  sizeof(err));
	CHECK(r == YKT_E_CONFIG && strcmp(err, "adult.card: balance_fen: not a number") == 0,
	      "got %d \"%s\"", r, err);
	snprintf(text, sizeof(text),
		 "uid = 04A1B2C3\nissuer_id = 01011000FFFFFFFF\n"
		 "app_serial = 10001000000000099999\nbalance_fen = fifty\nkeys = %s\n",
		 t->keys);
	r = sim_card_load(write_file(t, "adult.card", text, path, sizeof(path)), &c, err,
			  sizeof(err));
	CHECK(r == YKT_E_CONFIG && strcmp(err, "adult.card: balance_fen: not a number") == 0,
	      "got %d \"%s\"", r, err);
	r = sim_card_load(write_file(t, "short.card", "uid = 04A1B2C3\n", path, sizeof(path)), &c,
			  err, sizeof(err));
	CHECK(r == YKT_E_CONFIG && strcmp(err, "short.card: issuer_id: missing") == 0,
	      "got %d \"%s\"", r, err);
	snprintf(path, sizeof(path), "%s/none.card", t->dir);
	r = sim_card_load(path, &c, err, sizeof(err));
	CHECK(r == -ENOENT && strcmp(err, "none.card: No such file or directory") == 0,
	      "got %d \"%s\"", r, err);
	r = sim_card_load(path, &c, NULL, 0);
	CHECK(r == -ENOENT, "NULL err buffer");
}

static void key_file_errors(const struct tmp *t)
{
	char path[512], err[256], text[1024];
	struct sim_keyset ks;
	int r;

	write_file(t, "bad.keys", "[key.01]\nmpk = 0011\n", path, sizeof(path));
	r = sim_keys_load(path, 1, &ks, err, sizeof(err));
	CHECK(r == YKT_E_CONFIG && strcmp(err, "bad.keys: [key.01] mpk: not 16 bytes of hex") == 0,
	      "got %d \"%s\"", r, err);
	write_file(t, "bad.keys", "[keys]\nmpk = 00112233445566778899AABBCCDDEEFF\n", path,
		   sizeof(path));
	r = sim_keys_load(path, 1, &ks, err, sizeof(err));
	CHECK(r == YKT_E_CONFIG && strcmp(err, "bad.keys: [keys]: not a [key.NN] section") == 0,
	      "got %d \"%s\"", r, err);
	write_file(t, "bad.keys", "[key.01]\npin = 00112233445566778899AABBCCDDEEFF\n", path,
		   sizeof(path));
	r = sim_keys_load(path, 1, &ks, err, sizeof(err));
	CHECK(r == YKT_E_CONFIG && strcmp(err, "bad.keys: [key.01] pin: unknown key") == 0,
	      "got %d \"%s\"", r, err);
	/* a card needs mtk too */
	write_file(t, "mpk-only.keys", "[key.01]\nmpk = 00112233445566778899AABBCCDDEEFF\n", path,
		   sizeof(path));
	snprintf(text, sizeof(text), CARD_BASE "keys = mpk-only.keys\n");
	r = sim_card_load(write_file(t, "x.card", text, path, sizeof(path)),
			  &(struct sim_card *){ NULL }, err, sizeof(err));
	CHECK(r == YKT_E_CONFIG && strcmp(err, "x.card: keys: [key.01] lacks mpk or mtk") == 0,
	      "got %d \"%s\"", r, err);
}

static void psam_errors(const struct tmp *t)
{
	char text[1024], path[512], err[256] = "";
	struct sim_psam *p = NULL;
	int r;

	snprintf(text, sizeof(text),
		 "serial = 0000000000000001A001\nterminal_no = 00112233445A\n"
		 "keys = %s\n",
		 t->keys);
	r = sim_psam_load(write_file(t, "p.psam", text, path, sizeof(path)), &p, err, sizeof(err));
	CHECK(r == YKT_E_CONFIG && strcmp(err, "p.psam: terminal_no: not 12 decimal digits") == 0,
	      "got %d \"%s\"", r, err);
	snprintf(text, sizeof(text),
		 "serial = 0000000000000001A001\nterminal_no = 001122334455\n"
		 "txn_serial = 4294967296\nkeys = %s\n",
		 t->keys);
	r = sim_psam_load(write_file(t, "p.psam", text, path, sizeof(path)), &p, err, sizeof(err));
	CHECK(r == YKT_E_CONFIG &&
		  strcmp(err, "p.psam: txn_serial: out of range (0..4294967295)") == 0,
	      "got %d \"%s\"", r, err);
	snprintf(text, sizeof(text),
		 "serial = 0000000000000001A001\nterminal_no = 001122334455\n"
		 "keys = %s\n",
		 t->keys);
	r = sim_psam_load(write_file(t, "p.psam", text, path, sizeof(path)), &p, err, sizeof(err));
	CHECK(r == 0, "minimal PSAM profile: %s", err);
	sim_psam_free(p);
}

/* A card whose ATC is at its limit cannot start a purchase: 9402. */
static void atc_limit(const struct tmp *t)
{
	char text[1024], path[512], err[256] = "";
	struct sim_card *c = NULL;

	snprintf(text, sizeof(text), CARD_BASE "offline_atc = 65535\nkeys = %s\n", t->keys);
	if (sim_card_load(write_file(t, "atc.card", text, path, sizeof(path)), &c, err,
			  sizeof(err))) {
		CHECK(0, "atc.card: %s", err);
		return;
	}
	CHECK_SW(t_card(c, "00A4040008A000000632010105", NULL, NULL), 0x9000, "select");
	CHECK_SW(t_card(c, "805001020B 01 00000001 001122334455 0F", NULL, NULL), 0x9402,
		 "ATC at FFFF");
	sim_card_free(c);
}

static int tmp_open(struct tmp *t, const char *datadir)
{
	const char *base = getenv("TMPDIR");
	char *abs = realpath(datadir, NULL);

	snprintf(t->dir, sizeof(t->dir), "%s/ykt-sim-XXXXXX", base && *base ? base : "/tmp");
	if (!abs || !mkdtemp(t->dir)) {
		free(abs);
		return -1;
	}
	snprintf(t->keys, sizeof(t->keys), "%s/keys/issuer-3des.keys", abs);
	free(abs);
	return 0;
}

static void tmp_close(const struct tmp *t)
{
	static const char *const files[] = { "x.card",	 "adult.card",	  "short.card",
					     "bad.keys", "mpk-only.keys", "p.psam",
					     "atc.card" };
	char path[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", t->dir, files[i]);
		unlink(path);
	}
	rmdir(t->dir);
}

int main(int argc, char **argv)
{
	struct tmp t;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DATADIR\n", argv[0]);
		return 1;
	}
	demo_profiles(argv[1]);
	demo_dates(argv[1]);
	if (tmp_open(&t, argv[1]) < 0) {
		fprintf(stderr, "no temporary directory: skipping the error cases\n");
		return failures ? 1 : 77;
	}
	card_errors(&t);
	balance_is_a_number(&t);
	key_file_errors(&t);
	psam_errors(&t);
	atc_limit(&t);
	tmp_close(&t);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
