/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated card on its own, driven by raw APDUs: selection, files,
 * balance, challenge, INITIALIZE answers and the status words of refused
 * commands.  Purchases with the PSAM are in test_sim_purchase.c.
 */
#include <errno.h>
#include <string.h>

#include "sim_test.h"

static struct sim_card *load(const char *dir, const char *rel)
{
	char path[512], err[256] = "";
	struct sim_card *c = NULL;
	int r = sim_card_load(t_path(dir, rel, path, sizeof(path)), &c, err, sizeof(err));

	CHECK(r == 0, "load %s: %d %s", rel, r, err);
	return c;
}

#define ADULT_15 "01011000FFFFFFFF 02 01 10001000000000012345 20240101 20301231 01 00"

static void selection(struct sim_card *c)
{
	uint8_t d[258];
	size_t n = 0;

	CHECK_SW(t_card(c, "00A404000E325041592E5359532E444446303100", d, &n), 0x9000, "PPSE");
	CHECK(check_eq_hex(d, n,
			   "6F2E 840E 325041592E5359532E4444463031 A51C BF0C19 6117"
			   "4F08A000000632010105 50084D4F545F545F4550 870102"),
	      "PPSE FCI");
	CHECK_SW(t_card(c, "00A404000E325041592E5359532E4444463031", NULL, NULL), 0x9000,
		 "PPSE without Le");
	CHECK_SW(t_card(c, "00A4040008A000000632010105", d, &n), 0x9000, "EP without Le");
	CHECK(check_eq_hex(d, n, "6F31 8408A000000632010105 A525 9F080102 9F0C1E" ADULT_15),
	      "EP FCI");
	CHECK_SW(t_card(c, "00A4040008A00000063201010600", NULL, NULL), 0x6A82, "EC AID");
	CHECK_SW(t_card(c, "00A4040208A00000063201010500", NULL, NULL), 0x6A86, "P2 02");
	CHECK_SW(t_card(c, "00A40000023F00", NULL, NULL), 0x9000, "MF");
	CHECK_SW(t_card(c, "00A40000021001", NULL, NULL), 0x6A82, "FID 1001");
	CHECK_SW(t_card(c, "00A4040000", NULL, NULL), 0x6700, "no name");
}

static void files_before_select(struct sim_card *c)
{
	sim_card_reset(c);
	CHECK_SW(t_card(c, "00B095001E", NULL, NULL), 0x6A82, "read 15 outside EP");
	CHECK_SW(t_card(c, "00B201C417", NULL, NULL), 0x6A82, "read 18 outside EP");
	CHECK_SW(t_card(c, "805C000204", NULL, NULL), 0x6985, "balance outside EP");
}

static void binary_files(struct sim_card *c)
{
	uint8_t d[258], zero[60] = { 0 };
	size_t n = 0;

	CHECK_SW(t_card(c, "00A4040008A000000632010105", NULL, NULL), 0x9000, "select");
	CHECK_SW(t_card(c, "00B095001E", d, &n), 0x9000, "15");
	CHECK(check_eq_hex(d, n, ADULT_15), "file 15");
	CHECK_SW(t_card(c, "00B0950000", d, &n), 0x9000, "15 Le 00");
	CHECK(n == 30, "15 Le 00 gives the whole file, got %zu", n);
	CHECK_SW(t_card(c, "00B0950020", NULL, NULL), 0x6C1E, "15 Le too long");
	CHECK_SW(t_card(c, "00B0950A0A", d, &n), 0x9000, "15 at offset 10");
	CHECK(check_eq_hex(d, n, "10001000000000012345"), "app serial at offset 10");
	CHECK_SW(t_card(c, "00B0951E01", NULL, NULL), 0x6B00, "offset past the end");
	CHECK_SW(t_card(c, "00B0960037", d, &n), 0x9000, "16");
	CHECK(n == 55 && memcmp(d, zero, 55) == 0, "file 16 zero-filled, %zu bytes", n);
	CHECK_SW(t_card(c, "00B097003C", d, &n), 0x9000, "17");
	CHECK(n == 60 && check_eq_hex(d, 11, "00000156 1100 1000 0001 01") &&
		  memcmp(d + 11, zero, 49) == 0,
	      "file 17");
	CHECK_SW(t_card(c, "00B0980017", NULL, NULL), 0x6981, "READ BINARY of record file");
	CHECK_SW(t_card(c, "00B0990001", NULL, NULL), 0x6A82, "no SFI 19");
	CHECK_SW(t_card(c, "00B000001E", NULL, NULL), 0x6986, "no current EF");
	CHECK_SW(t_card(c, "00B0F5001E", NULL, NULL), 0x6A86, "bad P1");
	CHECK_SW(t_card(c, "00B09500", NULL, NULL), 0x6700, "no Le");
}

static void record_files(struct sim_card *c)
{
	uint8_t d[258];
	size_t n = 0;

	CHECK_SW(t_card(c, "00B201D480", d, &n), 0x9000, "1A record 1");
	CHECK(n == 128 && check_eq_hex(d, 3, "27017D"), "2701 header");
	CHECK_SW(t_card(c, "00B212D400", d, &n), 0x9000, "1A record 18, Le 00");
	CHECK(n == 128 && check_eq_hex(d, 3, "27127D"), "2712 header");
	CHECK_SW(t_card(c, "00B213D480", NULL, NULL), 0x6A83, "1A record 19");
	CHECK_SW(t_card(c, "00B201D430", NULL, NULL), 0x6C80, "1A wrong Le");
	CHECK_SW(t_card(c, "00B201C417", NULL, NULL), 0x6A83, "18 empty");
	CHECK_SW(t_card(c, "00B201F430", NULL, NULL), 0x6A83, "1E empty");
	CHECK_SW(t_card(c, "00B200F430", NULL, NULL), 0x6A86, "record 0");
	CHECK_SW(t_card(c, "00B201F030", NULL, NULL), 0x6A86, "P2 not 'record P1'");
	CHECK_SW(t_card(c, "00B201AC1E", NULL, NULL), 0x6981, "READ RECORD of binary 15");
	CHECK_SW(t_card(c, "00B201FC30", NULL, NULL), 0x6A82, "no SFI 1F");
}

static void balance(struct sim_card *c)
{
	uint8_t d[258], d2[258];
	size_t n = 0;

	CHECK_SW(t_card(c, "805C000204", d, &n), 0x9000, "balance P1 00");
	CHECK(check_eq_hex(d, n, "00001388"), "balance 5000");
	CHECK_SW(t_card(c, "805C030204", d, &n), 0x9000, "balance P1 03");
	CHECK(check_eq_hex(d, n, "00001388"), "balance P1 03 = B");
	CHECK_SW(t_card(c, "805C010204", d, &n), 0x9000, "P1 01");
	CHECK(check_eq_hex(d, n, "00000000"), "overdraft limit");
	CHECK_SW(t_card(c, "805C050204", NULL, NULL), 0x6A86, "P1 05");
	CHECK_SW(t_card(c, "805C000104", NULL, NULL), 0x6A86, "ED");
	CHECK_SW(t_card(c, "805C000210", NULL, NULL), 0x6C04, "Le 16");
	CHECK_SW(t_card(c, "0084000004", d, &n), 0x9000, "challenge 4");
	CHECK(n == 4, "4 bytes");
	CHECK_SW(t_card(c, "0084000008", d2, &n), 0x9000, "challenge 8");
	CHECK(n == 8 && memcmp(d, d2, 4) != 0, "a fresh challenge");
	CHECK_SW(t_card(c, "0084000005", NULL, NULL), 0x6700, "challenge 5");
}

static void initialize(struct sim_card *c)
{
	uint8_t d[258];
	size_t n = 0;

	CHECK_SW(t_card(c, "805003020B 01 000000C8 001122334455 0F", d, &n), 0x9000, "CAPP INIT");
	CHECK(n == 15 && check_eq_hex(d, 11, "00001388 0029 000000 01 00"),
	      "INIT answer: balance, ATC 41, overdraft, key version, algorithm");
	CHECK_SW(t_card(c, "805001020B 01 000000C8 001122334455", d, &n), 0x9000,
		 "INIT without Le");
	CHECK_SW(t_card(c, "805001020B 01 00001389 001122334455 0F", NULL, NULL), 0x9401,
		 "more than the balance");
	CHECK_SW(t_card(c, "805001020B 01 00001388 001122334455 0F", NULL, NULL), 0x9000,
		 "exactly the balance");
	CHECK_SW(t_card(c, "805001020B 02 000000C8 001122334455 0F", NULL, NULL), 0x9403,
		 "key index 02");
	CHECK_SW(t_card(c, "805000020B 01 000000C8 001122334455 10", NULL, NULL), 0x6A86,
		 "INIT FOR LOAD not simulated");
	CHECK_SW(t_card(c, "805001010B 01 000000C8 001122334455 0F", NULL, NULL), 0x6A86, "P2 01");
	CHECK_SW(t_card(c, "805001020A 01 000000C8 0011223344 0F", NULL, NULL), 0x6700, "Lc 0A");
}

static void state_errors(struct sim_card *c)
{
	CHECK_SW(t_card(c, "805001020B 01 000000C8 001122334455 0F", NULL, NULL), 0x9000, "INIT");
	CHECK_SW(t_card(c,
			"80DC00F030"
			"06000000000000000000000000000000000000000000000000"
			"0000000000000000000000000000000000000000000000",
			NULL, NULL),
		 0x6901, "80DC after an ordinary INIT");
	sim_card_reset(c);
	CHECK_SW(t_card(c, "00A4040008A000000632010105", NULL, NULL), 0x9000, "select");
	CHECK_SW(t_card(c, "805400000F 000003E8 20261121073000 11223344 08", NULL, NULL), 0x6A86,
		 "DEBIT P1 00");
	CHECK_SW(t_card(c, "805401000F 000003E8 20261121073000 11223344 08", NULL, NULL), 0x6901,
		 "DEBIT after reset: no session");
	CHECK_SW(t_card(c, "805A000902 002A 08", NULL, NULL), 0x9406, "no debit to prove");
	CHECK_SW(t_card(c, "80CA000000", NULL, NULL), 0x6D00, "unknown INS");
	CHECK_SW(t_card(c, "90B095001E", NULL, NULL), 0x6E00, "CLA 90");
	CHECK_SW(t_card(c, "80B095001E", NULL, NULL), 0x6E00, "READ BINARY with CLA 80");
	CHECK_SW(t_card(c, "8418000004 11223344", NULL, NULL), 0x6D00, "8418 not simulated");
	CHECK_SW(t_card(c, "841E000004 11223344", NULL, NULL), 0x6984, "841E without a challenge");
}

static void info(struct sim_card *c)
{
	struct sim_card_info i;

	sim_card_info(c, &i);
	CHECK(strcmp(i.name, "adult") == 0, "name %s", i.name);
	CHECK(i.uid_len == 4 && check_eq_hex(i.uid, 4, "04A1B2C3"), "uid");
	CHECK(check_eq_hex(i.file15, 30, ADULT_15), "info file 15");
	CHECK(i.balance_fen == 5000 && i.initial_balance_fen == 5000, "balance");
	CHECK(i.offline_atc == 41 && i.initial_atc == 41, "ATC untouched by INIT");
	CHECK(i.n_debits == 0 && i.n_1e == 0, "no debit yet");
}

static void blocked(const char *dir)
{
	struct sim_card *t = load(dir, "cards/blocked.card"),
			*p = load(dir, "cards/blocked_perm.card");
	uint8_t d[258];
	size_t n = 0;

	if (!t || !p)
		goto out;
	CHECK_SW(t_card(t, "00A4040008A00000063201010500", d, &n), 0x6283, "temp blocked SELECT");
	CHECK(n == 51 && d[0] == 0x6F, "temp blocked still answers its FCI");
	CHECK_SW(t_card(t, "00B095001E", NULL, NULL), 0x9000, "temp blocked: files readable");
	CHECK_SW(t_card(t, "805003020B 01 00000001 001122334455 0F", NULL, NULL), 0x6985,
		 "temp blocked: no purchase");
	CHECK_SW(t_card(p, "00A4040008A00000063201010500", d, &n), 0x9303, "perm blocked SELECT");
	CHECK(n == 0, "no FCI from a permanently blocked app");
	CHECK_SW(t_card(p, "00B095001E", NULL, NULL), 0x6A82, "perm blocked: not selected");
out:
	sim_card_free(t);
	sim_card_free(p);
}

/* Same profile, same commands, same "random": tests repeat exactly. */
static void deterministic(const char *dir)
{
	struct sim_card *a = load(dir, "cards/adult.card"), *b = load(dir, "cards/adult.card");
	struct sim_card *s = load(dir, "cards/student.card");
	uint8_t da[258], db[258], ds[258];
	size_t na = 0, nb = 0, ns = 0;

	if (a && b && s) {
		t_card(a, "0084000008", da, &na);
		t_card(b, "0084000008", db, &nb);
		t_card(s, "0084000008", ds, &ns);
		CHECK(na == 8 && nb == 8 && memcmp(da, db, 8) == 0, "same card, same challenge");
		CHECK(ns == 8 && memcmp(da, ds, 8) != 0, "another card, another challenge");
	}
	sim_card_free(a);
	sim_card_free(b);
	sim_card_free(s);
}

static void api_guards(struct sim_card *c)
{
	uint8_t r[100];
	size_t n;

	CHECK(sim_card_transmit(c, (const uint8_t *)"\x00\x84\x00\x00\x04", 5, r, sizeof(r), &n) ==
		  -EINVAL,
	      "rapdu_cap < 258 is -EINVAL");
	sim_card_free(NULL);
	sim_card_reset(NULL);
}

int main(int argc, char **argv)
{
	struct sim_card *c;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DATADIR\n", argv[0]);
		return 1;
	}
	c = load(argv[1], "cards/adult.card");
	if (!c)
		return 1;
	selection(c);
	files_before_select(c);
	binary_files(c);
	record_files(c);
	balance(c);
	initialize(c);
	state_errors(c);
	info(c);
	api_guards(c);
	sim_card_free(c);
	blocked(argv[1]);
	deterministic(argv[1]);
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	return check_failures ? 1 : 0;
}
