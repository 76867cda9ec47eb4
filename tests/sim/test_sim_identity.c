/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a card shows before any purchase: the AID in PPSE and SELECT (a
 * phone's 16-byte AID, the prefix rule, the SM-only AID), random UIDs that
 * change at every reset, and the Type B flag.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "pboc_crypto.h"
#include "sim_private.h"
#include "sim_test.h"

#define PHONE_AID "A000000632010105 10009156000014A1"
#define PPSE	  "00A404000E325041592E5359532E444446303100"

static struct sim_card *load(const char *path)
{
	char err[256] = "";
	struct sim_card *c = NULL;

	if (sim_card_load(path, &c, err, sizeof(err)))
		CHECK(0, "%s: %s", path, err);
	return c;
}

static struct sim_card *load_demo(const char *dir, const char *rel)
{
	char path[512];

	return load(t_path(dir, rel, path, sizeof(path)));
}

/* The phone: PPSE lists the whole 16-byte AID; only that selects the EP. */
static void phone_aid(const char *dir)
{
	struct sim_card *c = load_demo(dir, "cards/sm4-phone.card");
	struct sim_card_info i;
	uint8_t d[258];
	size_t n = 0;

	if (!c)
		return;
	CHECK_SW(t_card(c, PPSE, d, &n), 0x9000, "PPSE");
	CHECK(check_eq_hex(d, n,
			   "6F36 840E 325041592E5359532E4444463031 A524 BF0C21 611F"
			   " 4F10 " PHONE_AID " 5008 4D4F545F545F4550 870102"),
	      "PPSE lists the 16-byte AID with label MOT_T_EP");
	CHECK_SW(t_card(c, "00A4040008A00000063201010500", NULL, NULL), 0x6A82,
		 "SELECT by the 8-byte prefix (select_prefix = 0)");
	CHECK_SW(t_card(c, "00A4040010" PHONE_AID "00", d, &n), 0x9000, "SELECT the full AID");
	CHECK(n == 59 && check_eq_hex(d, 4, "6F398410") && check_eq_hex(d + 4, 16, PHONE_AID),
	      "FCI names the full AID");
	CHECK_SW(t_card(c, "00A404000F A000000632010105 10009156000014 00", NULL, NULL), 0x6A82,
		 "SELECT by 15 of the 16 bytes");
	sim_card_info(c, &i);
	CHECK(i.aid_len == 16 && check_eq_hex(i.aid, 16, PHONE_AID), "info aid");
	sim_card_free(c);
}

/* ... and pays through it, on SM4. */
static void phone_pays(const char *dir)
{
	struct sim_card *c = load_demo(dir, "cards/sm4-phone.card");
	struct sim_psam *s = NULL;
	struct sim_keyset ks;
	struct t_purchase p = { .type = 0x06, .amount_fen = 150 };
	uint8_t aid[16], dtk[16], tac[4];
	char path[512], err[256] = "";

	if (!c ||
	    sim_psam_load(t_path(dir, "psam/psam.psam", path, sizeof(path)), &s, err,
			  sizeof(err)) ||
	    sim_keys_load(t_path(dir, "keys/issuer-sm4.keys", path, sizeof(path)), 1, &ks, err,
			  sizeof(err))) {
		CHECK(0, "setup: %s", err);
		sim_card_free(c);
		sim_psam_free(s);
		return;
	}
	p.aid = aid;
	p.aid_len = check_hex(PHONE_AID, aid, sizeof(aid));
	check_hex("20261121181500", p.datetime, 7);
	CHECK(t_run_purchase(c, s, &p) == 0, "phone purchase: init %04X debit %04X", p.sw_init,
	      p.sw_debit);
	CHECK(p.init[10] == 0x04, "SM4 algorithm id");
	pboc_sm4_diversify2(ks.mtk_sm4, p.file15, p.file15 + 12, dtk);
	pboc_sm4_tac(&ks.sm4, dtk, 150, 0x06, p.terminal_no, p.serial, p.datetime, tac);
	CHECK(memcmp(tac, p.tac, 4) == 0, "phone TAC verifies");
	sim_card_free(c);
	sim_psam_free(s);
}

/* ---- profiles written to a temporary directory ---- */

#define BASE                                                                                       \
	"issuer_id = 01011000FFFFFFFF\napp_serial = 10001000000000199999\nbalance_fen = 100\n"     \
	"keys = %s/keys/issuer-3des.keys\n"

static struct sim_card *load_text(const char *tmpdir, const char *datadir, const char *extra)
{
	char path[512], text[1024], *abs = realpath(datadir, NULL);
	struct sim_card *c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/x.card", tmpdir);
	snprintf(text, sizeof(text), "%s" BASE, extra, abs ? abs : datadir);
	free(abs);
	f = fopen(path, "w");
	if (!f) {
		CHECK(0, "cannot write %s", path);
		return NULL;
	}
	fputs(text, f);
	fclose(f);
	c = load(path);
	unlink(path);
	return c;
}

/* select_prefix = 1: the 8-byte prefix selects too; the FCI still names
 * the full AID. */
static void prefix_select(const char *tmpdir, const char *dir)
{
	struct sim_card *c =
	    load_text(tmpdir, dir, "uid = 04A1B2E1\naid = " PHONE_AID "\nselect_prefix = 1\n");
	uint8_t d[258];
	size_t n = 0;

	if (!c)
		return;
	CHECK_SW(t_card(c, "00A4040008A00000063201010500", d, &n), 0x9000, "prefix SELECT");
	CHECK(n == 59 && check_eq_hex(d + 4, 16, PHONE_AID), "FCI has the full AID");
	CHECK_SW(t_card(c, "00A4040010" PHONE_AID, NULL, NULL), 0x9000, "full SELECT");
	CHECK_SW(t_card(c, "00A4040008A00000063201010700", NULL, NULL), 0x6A82, "…0107");
	sim_card_free(c);
}

/* An SM-only wallet under A000000632010107 (§1.1): listed and selected
 * by that AID; the T-Union EP AID is not there. */
static void sm_only_aid(const char *tmpdir, const char *dir)
{
	struct sim_card *c = load_text(tmpdir, dir, "uid = 04A1B2E2\naid = A000000632010107\n");
	uint8_t d[258];
	size_t n = 0;

	if (!c)
		return;
	CHECK_SW(t_card(c, PPSE, d, &n), 0x9000, "PPSE");
	CHECK(n == 48 && check_eq_hex(d + 25, 10, "4F08A000000632010107"), "PPSE lists …0107");
	CHECK_SW(t_card(c, "00A4040008A00000063201010500", NULL, NULL), 0x6A82, "…0105");
	CHECK_SW(t_card(c, "00A4040008A00000063201010700", d, &n), 0x9000, "…0107");
	CHECK(n == 51 && check_eq_hex(d, 12, "6F318408A000000632010107"), "FCI");
	sim_card_free(c);
}

/* uid = random: 08 ‖ 3 bytes, new at every reset, the same sequence for
 * the same profile; a fixed UID never changes. */
static void random_uid(const char *dir)
{
	struct sim_card *a = load_demo(dir, "cards/sm4-phone.card");
	struct sim_card *b = load_demo(dir, "cards/sm4-phone.card");
	struct sim_card *fixed = load_demo(dir, "cards/adult.card");
	struct sim_card_info ia, ib, prev;

	if (!a || !b || !fixed)
		goto out;
	sim_card_info(a, &prev);
	for (int k = 0; k < 16; k++) {
		sim_card_reset(a);
		sim_card_reset(b);
		sim_card_reset(fixed);
		sim_card_info(a, &ia);
		sim_card_info(b, &ib);
		CHECK(ia.uid_len == 4 && ia.uid[0] == 0x08, "reset %d: 08 ‖ 3 random bytes", k);
		CHECK(memcmp(ia.uid, prev.uid, 4) != 0, "reset %d: UID did not change", k);
		CHECK(memcmp(ia.uid, ib.uid, 4) == 0, "reset %d: sequence not deterministic", k);
		prev = ia;
		sim_card_info(fixed, &ib);
		CHECK(ib.uid_len == 4 && check_eq_hex(ib.uid, 4, "04A1B2C3"), "fixed UID moved");
	}
out:
	sim_card_free(a);
	sim_card_free(b);
	sim_card_free(fixed);
}

static void type_b(const char *tmpdir, const char *dir)
{
	struct sim_card *c = load_demo(dir, "cards/dual-typeb.card");
	struct sim_card_info i;
	bool other_first_byte = false;

	if (c) {
		sim_card_info(c, &i);
		CHECK(i.rf_type == 'B' && i.uid_len == 4 && check_eq_hex(i.uid, 4, "5A3C9E01"),
		      "Type B card, PUPI 5A3C9E01");
		sim_card_free(c);
	}
	c = load_demo(dir, "cards/sm4.card");
	if (c) {
		sim_card_info(c, &i);
		CHECK(i.rf_type == 'A' && i.aid_len == 8, "Type A by default");
		sim_card_free(c);
	}
	/* a random PUPI has no 08 marker */
	c = load_text(tmpdir, dir, "uid = random\nrf_type = B\n");
	if (!c)
		return;
	for (int k = 0; k < 8; k++) {
		sim_card_reset(c);
		sim_card_info(c, &i);
		CHECK(i.uid_len == 4 && i.rf_type == 'B', "random PUPI");
		other_first_byte |= i.uid[0] != 0x08;
	}
	CHECK(other_first_byte, "random PUPIs all start with 08");
	sim_card_free(c);
}

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");
	char tmpdir[256];

	if (argc < 2) {
		fprintf(stderr, "usage: %s DATADIR\n", argv[0]);
		return 1;
	}
	phone_aid(argv[1]);
	phone_pays(argv[1]);
	random_uid(argv[1]);
	snprintf(tmpdir, sizeof(tmpdir), "%s/ykt-id-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "no temporary directory: skipping the written profiles\n");
		return check_failures ? 1 : 77;
	}
	prefix_select(tmpdir, argv[1]);
	sm_only_aid(tmpdir, argv[1]);
	type_b(tmpdir, argv[1]);
	rmdir(tmpdir);
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	return check_failures ? 1 : 0;
}
