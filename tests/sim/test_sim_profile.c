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
	{ "sm4.card", "sm4", 0x01, 4500, SIM_CARD_ACTIVE },
	{ "dual.card", "dual", 0x01, 5600, SIM_CARD_ACTIVE },
	{ "sm4-phone.card", "sm4-phone", 0x01, 3200, SIM_CARD_ACTIVE },
	{ "dual-typeb.card", "dual-typeb", 0x03, 3800, SIM_CARD_ACTIVE },
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
		CHECK(check_eq_hex(p.expiry_date, 4, "20231231"), "expired.card expiry");
	if (sim_card_profile_load(t_path(dir, "cards/notyet.card", path, sizeof(path)), &p, err,
				  sizeof(err)) == 0)
		CHECK(check_eq_hex(p.start_date, 4, "20300101"), "notyet.card start");
}

/* The SM4 demo cards: algorithm, key sets, AID, UID, RF type as claimed. */
static void demo_sm4(const char *dir)
{
	static const struct {
		const char *file;
		uint32_t algorithm, prefer, rf_type;
		size_t uid_len, aid_len;
	} cards[] = {
		{ "cards/sm4.card", SIM_CARD_ALG_SM4, SIM_ALG_SM4, SIM_RF_A, 4, 8 },
		{ "cards/dual.card", SIM_CARD_ALG_DUAL, SIM_ALG_SM4, SIM_RF_A, 4, 8 },
		{ "cards/sm4-phone.card", SIM_CARD_ALG_SM4, SIM_ALG_SM4, SIM_RF_A, 0, 16 },
		{ "cards/dual-typeb.card", SIM_CARD_ALG_DUAL, SIM_ALG_3DES, SIM_RF_B, 4, 8 },
		{ "cards/adult.card", SIM_CARD_ALG_3DES, SIM_ALG_SM4, SIM_RF_A, 4, 8 },
	};
	struct sim_card_profile p;
	char path[512], err[256];

	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		if (sim_card_profile_load(t_path(dir, cards[i].file, path, sizeof(path)), &p, err,
					  sizeof(err))) {
			CHECK(0, "%s: %s", cards[i].file, err);
			continue;
		}
		CHECK(p.algorithm == cards[i].algorithm && p.prefer == cards[i].prefer &&
			  p.rf_type == cards[i].rf_type && p.uid_len == cards[i].uid_len &&
			  p.aid_len == cards[i].aid_len,
		      "%s: algorithm %u prefer %u rf %u uid %zu aid %zu", cards[i].file,
		      p.algorithm, p.prefer, p.rf_type, p.uid_len, p.aid_len);
		CHECK(p.keys.sm4.algorithm_id == 0x04, "%s: SM4 algorithm id", cards[i].file);
	}
}

/* issuer-sm4.keys keeps issuer-3des.keys' 3DES keys (the demo PSAM reads
 * it and must still serve every 3DES card) and adds the SM4 set. */
static void sm4_keys_superset(const char *dir)
{
	struct sim_keyset a, b;
	char path[512], err[256];

	for (uint8_t index = 1; index <= 2; index++) {
		if (sim_keys_load(t_path(dir, "keys/issuer-3des.keys", path, sizeof(path)), index,
				  &a, err, sizeof(err)) ||
		    sim_keys_load(t_path(dir, "keys/issuer-sm4.keys", path, sizeof(path)), index,
				  &b, err, sizeof(err))) {
			CHECK(0, "%s", err);
			return;
		}
		CHECK(memcmp(a.mpk, b.mpk, 16) == 0 && memcmp(a.mtk, b.mtk, 16) == 0 &&
			  memcmp(a.mlk, b.mlk, 16) == 0 && memcmp(a.mamk, b.mamk, 16) == 0,
		      "[key.%02X]: 3DES keys differ between the two key files", index);
		CHECK(!a.has_mpk_sm4 && a.sm4.algorithm_id == 0x04, "issuer-3des: no SM4 keys");
		CHECK(b.has_mpk_sm4 == (index == 1) && b.has_mtk_sm4 == (index == 1) &&
			  b.has_mlk_sm4 == (index == 1) && b.has_mamk_sm4 == (index == 1),
		      "issuer-sm4 [key.%02X]: SM4 set only for key index 01", index);
	}
}

/* ---- broken profiles, written to a temporary directory ---- */

struct tmp {
	char dir[256];
	char keys[512];	    /* absolute path of the real key file */
	char keys_sm4[512]; /* and of the dual-algorithm one */
};

static const char *write_file(const struct tmp *t, const char *name, const char *text, char *path,
			      size_t cap)
{
	check_write_file(t->dir, name, text, path, cap);
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

/* algorithm, prefer, aid, select_prefix, rf_type, uid = random */
static void card_sm4_errors(const struct tmp *t)
{
	char extra[700], err[256];

	expect_card_error(t, "algorithm = aes\n", true, YKT_E_CONFIG,
			  "x.card: algorithm: not one of 3des, sm4, dual");
	expect_card_error(t, "prefer = sm4\n", true, YKT_E_CONFIG,
			  "x.card: prefer: only with algorithm = dual");
	expect_card_error(t, "algorithm = sm4\n", true, YKT_E_CONFIG,
			  "x.card: keys: [key.01] lacks mpk_sm4 or mtk_sm4");
	expect_card_error(t, "algorithm = dual\nprefer = 3des\n", true, YKT_E_CONFIG,
			  "x.card: keys: [key.01] lacks mpk_sm4 or mtk_sm4");
	expect_card_error(t, "algorithm = dual\nprefer = both\n", true, YKT_E_CONFIG,
			  "x.card: prefer: not one of 3des, sm4");
	expect_card_error(t, "aid = A000000632\n", true, YKT_E_CONFIG,
			  "x.card: aid: not 8 or 16 bytes of hex");
	expect_card_error(t, "select_prefix = 2\n", true, YKT_E_CONFIG,
			  "x.card: select_prefix: out of range (0..1)");
	expect_card_error(t, "rf_type = C\n", true, YKT_E_CONFIG,
			  "x.card: rf_type: not one of A, B");
	CHECK(try_card(t, "rf_type = B\n", true, err, sizeof(err)) == 0, "Type B, 4-byte PUPI: %s",
	      err);
	snprintf(extra, sizeof(extra), "algorithm = dual\nkeys = %s\n", t->keys_sm4);
	CHECK(try_card(t, extra, false, err, sizeof(err)) == 0, "dual card: %s", err);
	snprintf(extra, sizeof(extra), "algorithm = sm4\naid = A000000632010107\nkeys = %s\n",
		 t->keys_sm4);
	CHECK(try_card(t, extra, false, err, sizeof(err)) == 0, "SM-only AID: %s", err);
}

/* CARD_BASE has a UID already: these need their own text. */
static void card_uid_errors(const struct tmp *t)
{
	char text[1024], path[512], err[256] = "";
	struct sim_card *c = NULL;
	int r;

	snprintf(text, sizeof(text),
		 "uid = 04D1E2F3A4B5C6\nrf_type = B\nissuer_id = 01011000FFFFFFFF\n"
		 "app_serial = 10001000000000099999\nbalance_fen = 100\nkeys = %s\n",
		 t->keys);
	r = sim_card_load(write_file(t, "x.card", text, path, sizeof(path)), &c, err, sizeof(err));
	CHECK(r == YKT_E_CONFIG && strcmp(err, "x.card: uid: a Type B PUPI is 4 bytes") == 0,
	      "got %d \"%s\"", r, err);
	snprintf(text, sizeof(text),
		 "uid = 04D1E2\nissuer_id = 01011000FFFFFFFF\n"
		 "app_serial = 10001000000000099999\nbalance_fen = 100\nkeys = %s\n",
		 t->keys);
	r = sim_card_load(write_file(t, "x.card", text, path, sizeof(path)), &c, err, sizeof(err));
	CHECK(r == YKT_E_CONFIG &&
		  strcmp(err, "x.card: uid: not 4, 7 or 10 bytes of hex, or random") == 0,
	      "got %d \"%s\"", r, err);
	snprintf(text, sizeof(text),
		 "uid = random\nrf_type = B\nissuer_id = 01011000FFFFFFFF\n"
		 "app_serial = 10001000000000099999\nbalance_fen = 100\nkeys = %s\n",
		 t->keys);
	r = sim_card_load(write_file(t, "x.card", text, path, sizeof(path)), &c, err, sizeof(err));
	CHECK(r == 0, "random PUPI: %s", err);
	sim_card_free(c);
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
	CHECK(r == YKT_E_CONFIG &&
		  strcmp(err, "bad.keys: [keys]: not a [key.NN] or [sm4] section") == 0,
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

static void expect_keys_error(const struct tmp *t, const char *text, const char *want)
{
	char path[512], err[256] = "";
	struct sim_keyset ks;
	int r;

	write_file(t, "bad.keys", text, path, sizeof(path));
	r = sim_keys_load(path, 1, &ks, err, sizeof(err));
	CHECK(r == YKT_E_CONFIG && strcmp(err, want) == 0, "got %d \"%s\", expected \"%s\"", r, err,
	      want);
}

#define K16 "00112233445566778899AABBCCDDEEFF"

static void sm4_section(const struct tmp *t)
{
	char path[512], err[256] = "";
	struct sim_keyset ks;

	expect_keys_error(t, "[key.01]\nmpk_sm4 = 0011\n",
			  "bad.keys: [key.01] mpk_sm4: not 16 bytes of hex");
	expect_keys_error(t, "[key.01]\nmpk = " K16 "\n[sm4]\nmac_output = right4\n",
			  "bad.keys: [sm4] mac_output: not one of left4, xor-halves-left4");
	expect_keys_error(t, "[key.01]\nmpk = " K16 "\n[sm4]\nsession_key_input = pad\n",
			  "bad.keys: [sm4] session_key_input: not one of pad80, zero, repeat");
	expect_keys_error(t, "[key.01]\nmpk = " K16 "\n[sm4]\ntac_key = xor\n",
			  "bad.keys: [sm4] tac_key: not one of full, xor-halves, left-half");
	expect_keys_error(t, "[key.01]\nmpk = " K16 "\n[sm4]\nalgorithm_id = 4\n",
			  "bad.keys: [sm4] algorithm_id: not 1 byte of hex");
	expect_keys_error(t, "[sm4]\ncolour = red\n", "bad.keys: [sm4] colour: unknown key");
	expect_keys_error(t, "[sm4]\ntac_key = full\n[sm4]\ntac_key = full\n",
			  "bad.keys: [sm4] tac_key: given twice");
	write_file(t, "bad.keys",
		   "[sm4]\nalgorithm_id = 81\nsession_key_input = repeat\n"
		   "mac_output = xor-halves-left4\ntac_key = left-half\n"
		   "[key.01]\nmpk_sm4 = " K16 "\n",
		   path, sizeof(path));
	CHECK(sim_keys_load(path, 1, &ks, err, sizeof(err)) == 0, "[sm4]: %s", err);
	CHECK(ks.sm4.algorithm_id == 0x81 && ks.sm4.session_key_input == PBOC_SM4_SK_REPEAT &&
		  ks.sm4.mac_output == PBOC_SM4_MAC_XOR_HALVES_LEFT4 &&
		  ks.sm4.tac_key == PBOC_SM4_TAC_LEFT_HALF && ks.has_mpk_sm4 && !ks.has_mpk,
	      "[sm4] values (before the key section, too)");
}

static void psam_sm4_errors(const struct tmp *t)
{
	char text[1024], path[512], err[256] = "";
	struct sim_psam *p = NULL;
	int r;

	snprintf(text, sizeof(text),
		 "serial = 0000000000000001A001\nterminal_no = 001122334455\n"
		 "algorithm_id = 04\nkeys = %s\n",
		 t->keys_sm4);
	r = sim_psam_load(write_file(t, "p.psam", text, path, sizeof(path)), &p, err, sizeof(err));
	CHECK(r == YKT_E_CONFIG &&
		  strcmp(err, "p.psam: algorithm_id: same as the key file's [sm4] algorithm_id") ==
		      0,
	      "got %d \"%s\"", r, err);
	/* with 3DES keys only, 04 is just the 3DES id */
	snprintf(text, sizeof(text),
		 "serial = 0000000000000001A001\nterminal_no = 001122334455\n"
		 "algorithm_id = 04\nkeys = %s\n",
		 t->keys);
	r = sim_psam_load(write_file(t, "p.psam", text, path, sizeof(path)), &p, err, sizeof(err));
	CHECK(r == 0, "3DES PSAM with id 04: %s", err);
	sim_psam_free(p);
	write_file(t, "mtk-only.keys", "[key.01]\nmtk = " K16 "\n", path, sizeof(path));
	r = sim_psam_load(write_file(t, "p.psam",
				     "serial = 0000000000000001A001\nterminal_no = 001122334455\n"
				     "keys = mtk-only.keys\n",
				     path, sizeof(path)),
			  &p, err, sizeof(err));
	CHECK(r == YKT_E_CONFIG && strcmp(err, "p.psam: keys: [key.01] lacks mpk and mpk_sm4") == 0,
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
	snprintf(t->keys_sm4, sizeof(t->keys_sm4), "%s/keys/issuer-sm4.keys", abs);
	free(abs);
	return 0;
}

static void tmp_close(const struct tmp *t)
{
	static const char *const files[] = { "x.card",	 "adult.card",	  "short.card",
					     "bad.keys", "mpk-only.keys", "p.psam",
					     "atc.card", "mtk-only.keys" };
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
	demo_sm4(argv[1]);
	sm4_keys_superset(argv[1]);
	if (tmp_open(&t, argv[1]) < 0) {
		fprintf(stderr, "no temporary directory: skipping the error cases\n");
		return check_failures ? 1 : 77;
	}
	card_errors(&t);
	card_sm4_errors(&t);
	card_uid_errors(&t);
	balance_is_a_number(&t);
	key_file_errors(&t);
	psam_errors(&t);
	sm4_section(&t);
	psam_sm4_errors(&t);
	atc_limit(&t);
	tmp_close(&t);
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	return check_failures ? 1 : 0;
}
