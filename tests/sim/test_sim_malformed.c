/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile C-APDUs: every truncation of every command, every wrong Lc, and
 * a seeded random mutation run, on a 3DES card, an SM4 (dual) card and the
 * PSAM.  Nothing may crash (run it under ASan),
 * every answer is a well-formed R-APDU, a damaged command never succeeds,
 * and no amount of garbage moves the card's money.
 */
#include <string.h>

#include "bytes.h"
#include "sim_test.h"

enum setup { AT_MF, AT_EP, IN_CAPP };

struct cmd {
	const char *what;
	enum setup setup;
	const char *hex;
	bool le_optional; /* the last byte is an Le the command may do without */
};

#define Z16 "00000000000000000000000000000000"
#define Z48 Z16 Z16 Z16

static const struct cmd card_cmds[] = {
	{ "SELECT PPSE", AT_MF, "00A404000E325041592E5359532E444446303100", true },
	{ "SELECT EP", AT_MF, "00A4040008A00000063201010500", true },
	{ "SELECT MF", AT_EP, "00A40000023F00", false },
	{ "READ BINARY", AT_EP, "00B095001E", false },
	{ "READ RECORD", AT_EP, "00B201D480", false },
	{ "GET BALANCE", AT_EP, "805C000204", false },
	{ "GET CHALLENGE", AT_EP, "0084000004", false },
	{ "INIT CAPP", AT_EP, "805003020B01000000C80011223344550F", true },
	{ "INIT", AT_EP, "805001020B01000000C80011223344550F", true },
	{ "80DC 1E", IN_CAPP, "80DC00F030" Z48, false },
	{ "80DC 1A", IN_CAPP,
	  "80DC00D080"
	  "27017D"
	  "0000000000" Z16 Z16 Z16 Z16 Z16 Z16 Z16 "0000000000000000",
	  false },
	{ "DEBIT", IN_CAPP, "805401000F000003E8202611210730001122334408", true },
	{ "805A", AT_EP, "805A0009020029 08", true },
};

static const struct cmd psam_cmds[] = {
	{ "SELECT 8011", AT_MF, "00A40000028011", false },
	{ "READ BINARY 16", AT_MF, "00B0960006", false },
	{ "8070", AT_EP,
	  "8070000024"
	  "11223344"
	  "0029"
	  "000000C8"
	  "09"
	  "20261121073000"
	  "01"
	  "00"
	  "0000000000012345"
	  "01011000FFFFFFFF"
	  "08",
	  true },
	{ "8070 SM4", AT_EP,
	  "8070000024"
	  "11223344"
	  "0029"
	  "000000C8"
	  "09"
	  "20261121073000"
	  "01"
	  "04"
	  "0000000000012345"
	  "01011000FFFFFFFF"
	  "08",
	  true },
	{ "8072", AT_EP, "807200000401020304", false },
	{ "GET CHALLENGE", AT_MF, "0084000004", false },
};

static void card_setup(struct sim_card *c, enum setup s)
{
	sim_card_reset(c);
	if (s >= AT_EP)
		t_card(c, "00A4040008A000000632010105", NULL, NULL);
	if (s == IN_CAPP)
		t_card(c, "805003020B01000000C80011223344550F", NULL, NULL);
}

static void psam_setup(struct sim_psam *p, enum setup s)
{
	uint8_t atr[40];
	size_t n;

	sim_psam_reset(p, atr, sizeof(atr), &n);
	if (s >= AT_EP)
		t_psam(p, "00A40000028011", NULL, NULL);
}

/* One exchange on either part; returns SW, 0 if the R-APDU was malformed. */
static uint16_t send(struct sim_card *c, struct sim_psam *p, const uint8_t *apdu, size_t len)
{
	uint8_t data[258];
	size_t n = 0;

	return c ? t_card_raw(c, apdu, len, data, &n) : t_psam_raw(p, apdu, len, data, &n);
}

static void setup(struct sim_card *c, struct sim_psam *p, enum setup s)
{
	if (c)
		card_setup(c, s);
	else
		psam_setup(p, s);
}

static bool succeeded(uint16_t sw)
{
	return sw == 0x9000 || (sw >> 8) == 0x61;
}

static void truncations(struct sim_card *c, struct sim_psam *p, const struct cmd *cmd)
{
	uint8_t apdu[300];
	size_t len = check_hex(cmd->hex, apdu, sizeof(apdu));

	CHECK(len >= 5, "%s: bad test vector", cmd->what);
	for (size_t l = 0; l < len; l++) {
		uint16_t sw;

		if (cmd->le_optional && l == len - 1)
			continue;
		setup(c, p, cmd->setup);
		sw = send(c, p, apdu, l);
		CHECK(sw != 0 && !succeeded(sw), "%s cut to %zu bytes answered %04X", cmd->what, l,
		      sw);
	}
	/* trailing junk: no crash, a well-formed answer */
	for (size_t extra = 1; extra <= 3; extra++) {
		memset(apdu + len, 0xA5, extra);
		setup(c, p, cmd->setup);
		CHECK(send(c, p, apdu, len + extra) != 0, "%s + %zu bytes", cmd->what, extra);
	}
}

/* Every Lc that does not match the body must be refused with 6700. */
static void wrong_lc(struct sim_card *c, struct sim_psam *p, const struct cmd *cmd)
{
	uint8_t apdu[300];
	size_t len = check_hex(cmd->hex, apdu, sizeof(apdu));
	uint8_t lc = apdu[4];

	if (len <= 5)
		return;
	for (unsigned v = 0; v < 256; v++) {
		uint16_t sw;

		if (len == 5 + v || len == 6 + v)
			continue;
		apdu[4] = (uint8_t)v;
		setup(c, p, cmd->setup);
		sw = send(c, p, apdu, len);
		CHECK(sw == 0x6700, "%s with Lc %02X answered %04X", cmd->what, v, sw);
	}
	apdu[4] = lc;
}

/* xorshift64*: the test's own seeded source, so a failure repeats. */
static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static size_t mutate(uint64_t *s, const struct cmd *cmd, uint8_t *apdu, size_t cap)
{
	size_t len = check_hex(cmd->hex, apdu, cap), flips = next(s) % 4;

	for (size_t i = 0; i < flips; i++)
		apdu[next(s) % len] = (uint8_t)next(s);
	switch (next(s) % 4) {
	case 0:
		return next(s) % (len + 1); /* cut */
	case 1: {
		size_t grow = next(s) % 8;

		for (size_t i = 0; i < grow && len < cap; i++)
			apdu[len++] = (uint8_t)next(s);
		return len;
	}
	default:
		return len;
	}
}

static void fuzz_card(struct sim_card *c, uint64_t seed, int rounds)
{
	uint8_t apdu[300];
	struct sim_card_info before, after;
	size_t n = sizeof(card_cmds) / sizeof(card_cmds[0]);

	int ok = 0;

	sim_card_info(c, &before);
	for (int i = 0; i < rounds; i++) {
		const struct cmd *cmd = &card_cmds[next(&seed) % n];
		size_t len = mutate(&seed, cmd, apdu, sizeof(apdu));
		uint16_t sw;

		if (next(&seed) % 8 == 0)
			card_setup(c, (enum setup)(next(&seed) % 3));
		sw = t_card_raw(c, apdu, len, NULL, NULL);
		CHECK(sw != 0, "round %d: malformed answer", i);
		ok += sw == 0x9000;
	}
	printf("card: %d mutated APDUs, %d answered 9000\n", rounds, ok);
	sim_card_info(c, &after);
	CHECK(after.balance_fen == before.balance_fen && after.n_debits == before.n_debits,
	      "garbage moved money: %u -> %u", before.balance_fen, after.balance_fen);
}

static void fuzz_psam(struct sim_psam *p, uint64_t seed, int rounds)
{
	uint8_t apdu[300];
	size_t n = sizeof(psam_cmds) / sizeof(psam_cmds[0]);
	int ok = 0;

	for (int i = 0; i < rounds; i++) {
		const struct cmd *cmd = &psam_cmds[next(&seed) % n];
		size_t len = mutate(&seed, cmd, apdu, sizeof(apdu));
		uint16_t sw;

		if (next(&seed) % 8 == 0)
			psam_setup(p, (enum setup)(next(&seed) % 2));
		if (next(&seed) % 4 == 0)
			t_psam(p, "00C0000008", NULL, NULL);
		sw = t_psam_raw(p, apdu, len, NULL, NULL);
		CHECK(sw != 0, "round %d: malformed answer", i);
		ok += succeeded(sw);
	}
	printf("psam: %d mutated APDUs, %d answered 9000/61xx\n", rounds, ok);
}

/* Every truncation, every wrong Lc, then the mutation run on one card. */
static void card_all(struct sim_card *c, uint64_t seed, int rounds)
{
	for (size_t i = 0; i < sizeof(card_cmds) / sizeof(card_cmds[0]); i++) {
		truncations(c, NULL, &card_cmds[i]);
		wrong_lc(c, NULL, &card_cmds[i]);
	}
	fuzz_card(c, seed, rounds);
}

int main(int argc, char **argv)
{
	char path[512], err[256] = "";
	struct sim_card *c = NULL, *dual = NULL;
	struct sim_psam *p = NULL;

	if (argc < 2 ||
	    sim_card_load(t_path(argv[1], "cards/adult.card", path, sizeof(path)), &c, err,
			  sizeof(err)) ||
	    sim_card_load(t_path(argv[1], "cards/dual.card", path, sizeof(path)), &dual, err,
			  sizeof(err)) ||
	    sim_psam_load(t_path(argv[1], "psam/psam.psam", path, sizeof(path)), &p, err,
			  sizeof(err))) {
		fprintf(stderr, "setup: %s\n", err);
		sim_card_free(c);
		sim_card_free(dual);
		return 1;
	}
	for (size_t i = 0; i < sizeof(psam_cmds) / sizeof(psam_cmds[0]); i++) {
		truncations(NULL, p, &psam_cmds[i]);
		wrong_lc(NULL, p, &psam_cmds[i]);
	}
	card_all(c, 0x9E3779B97F4A7C15ULL, 200000);
	card_all(dual, 0xC2B2AE3D27D4EB4FULL, 100000); /* the SM4 session paths */
	fuzz_psam(p, 0xD1B54A32D192ED03ULL, 100000);
	sim_card_free(c);
	sim_card_free(dual);
	sim_psam_free(p);
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	return check_failures ? 1 : 0;
}
