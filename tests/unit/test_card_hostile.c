/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every card parser against hostile answers: each truncation of a real
 * sample, mutations of it, and fixed-seed random byte strings.  Each input
 * sits in an exact-size heap block so that ASan (the sanitizer CI run)
 * reports any read past it.  A parser must return 0 or an error, with
 * outputs that make sense on success.
 */
#include "card.h"

#include "check.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ITERATIONS 20000

enum parser { P_PPSE, P_FCI, P_FILE15, P_FILE17, P_INIT, P_DEBIT, P_PROVE, P_REC1E, N_PARSERS };

static const char *const parser_names[N_PARSERS] = { "ppse", "fci",   "file15", "file17",
						     "init", "debit", "prove",	"rec1e" };

/* real answers from reference/jtt978.md */
static const char *const samples[N_PARSERS] = {
	[P_PPSE] = "6F 49 84 0E 325041592E5359532E4444463031 A5 37 BF0C 34"
		   " 61 19 4F 08 A000000632010106 50 0A 4D4F545F545F43415348 87 01 01"
		   " 61 17 4F 08 A000000632010105 50 08 4D4F545F545F4550 87 01 02",
	[P_FCI] = "6F 31 84 08 A000000632010105 A5 25 9F08 01 02 9F0C 1E"
		  " 01011000FFFFFFFF 02 01 31041000123456789ABC 20200101 20301231 05 00",
	[P_FILE15] = "01011000FFFFFFFF 02 01 31041000123456789ABC 20200101 20301231 05 00",
	/* 49 RFU zero bytes after the 11 used ones */
	[P_FILE17] = "00000156 1000 1000 0001 01 000000000000000000000000000000000000000000"
		     "00000000000000000000000000000000000000000000000000000000",
	[P_INIT] = "0000085C 0011 000000 01 00 11223344",
	[P_DEBIT] = "AABBCCDD 11223344",
	[P_PROVE] = "11223344 AABBCCDD",
	[P_REC1E] = "04 0000000018211503 01 0018 0021 0000 00 00000190 0000085C"
		    " 20201227140456 2900 12002900FFFFFFFF 000000000000",
};

/* successes per parser, printed at the end: a sweep that never gets past
 * the first check tests little */
static int successes[N_PARSERS];

static bool is_error(int r)
{
	return r == YKT_E_CARD_FORMAT || r == -ENOENT;
}

/* Run one parser on a private heap copy of in[0..len); returns its result
 * after checking what it returned. */
static int run_parser(enum parser p, const uint8_t *in, size_t len, int iter)
{
	uint8_t *buf = malloc(len ? len : 1), out[64], out2[16];
	size_t aid_len = 999;
	bool has = false;
	int r = 0;

	if (!buf)
		abort();
	memcpy(buf, in, len);
	switch (p) {
	case P_PPSE:
		r = card_parse_ppse(buf, len, out, &aid_len);
		if (r == 0)
			CHECK(aid_len >= TUNION_AID_LEN && aid_len <= 16 &&
				  memcmp(out, tunion_ep_aid, TUNION_AID_LEN) == 0,
			      "ppse #%d: AID of %zu bytes", iter, aid_len);
		else
			CHECK(aid_len == 999, "ppse #%d: aid_len written on error", iter);
		break;
	case P_FCI:
		r = card_parse_fci(buf, len, out, &has);
		break;
	case P_FILE15: {
		struct card_file15 f;

		r = card_parse_file15(buf, len, &f);
		if (r == 0)
			CHECK(f.start_date >= 19000101 && f.expiry_date <= 99991231,
			      "file15 #%d: dates %u %u", iter, f.start_date, f.expiry_date);
		break;
	}
	case P_FILE17: {
		struct card_file17 f;

		r = card_parse_file17(buf, len, &f);
		break;
	}
	case P_INIT: {
		struct card_init_resp ir;

		r = card_parse_init(buf, len, &ir);
		if (r == 0)
			CHECK(ir.overdraft_limit_fen <= 0xFFFFFF, "init #%d: overdraft", iter);
		break;
	}
	case P_DEBIT:
		r = card_parse_debit(buf, len, out, out2);
		break;
	case P_PROVE:
		r = card_parse_prove(buf, len, out, out2);
		break;
	case P_REC1E: {
		struct card_rec1e rec;

		r = card_parse_rec1e(buf, len, &rec);
		break;
	}
	default:
		abort();
	}
	CHECK(r == 0 || is_error(r), "%s #%d: result %d", parser_names[p], iter, r);
	CHECK(r != -ENOENT || p == P_PPSE, "%s #%d: -ENOENT", parser_names[p], iter);
	successes[p] += r == 0;
	free(buf);
	return r;
}

/* Every strict prefix of a real answer fails, except where a shorter file
 * is legal (file 17 may stop after its 11 used bytes). */
static void test_truncations(void)
{
	for (int p = 0; p < N_PARSERS; p++) {
		uint8_t sample[128];
		size_t n = check_hex(samples[p], sample, sizeof(sample));

		CHECK(run_parser((enum parser)p, sample, n, -1) == 0, "%s: the sample itself",
		      parser_names[p]);
		for (size_t len = 0; len < n; len++) {
			int r = run_parser((enum parser)p, sample, len, (int)len);
			bool ok_short = p == P_FILE17 && len >= 11;

			CHECK(ok_short ? r == 0 : r != 0, "%s: truncated to %zu: %d",
			      parser_names[p], len, r);
		}
	}
}

/* Change one to three bytes of a real answer, many times over. */
static void test_mutations(void)
{
	uint64_t seed = 978;

	for (int p = 0; p < N_PARSERS; p++) {
		uint8_t sample[128], m[128];
		size_t n = check_hex(samples[p], sample, sizeof(sample));

		for (int iter = 0; iter < ITERATIONS / 4; iter++) {
			int flips = 1 + (int)(check_rand(&seed) % 3);
			size_t len = n;

			memcpy(m, sample, n);
			for (int i = 0; i < flips; i++)
				m[check_rand(&seed) % n] = (uint8_t)check_rand(&seed);
			if (iter % 4 == 0)
				len = (size_t)(check_rand(&seed) % (n + 1));
			run_parser((enum parser)p, m, len, iter);
		}
	}
}

/* Random byte strings of random lengths; half start like an FCI so the
 * TLV parsers get past the first tag. */
static void test_random(void)
{
	uint64_t seed = 20000;
	uint8_t in[300];

	for (int iter = 0; iter < ITERATIONS; iter++) {
		size_t len = (size_t)(check_rand(&seed) % sizeof(in));

		for (size_t i = 0; i < len; i++)
			in[i] = (uint8_t)check_rand(&seed);
		if (iter % 2 && len >= 2) {
			in[0] = 0x6F;
			in[1] = (uint8_t)(len - 2 < 0x80 ? len - 2 : 0x7F);
		}
		for (int p = 0; p < N_PARSERS; p++)
			run_parser((enum parser)p, in, len, iter);
	}
}

/* Lengths near the fixed sizes, with random content. */
static void test_sizes(void)
{
	uint64_t seed = 1;
	uint8_t in[64];

	for (int iter = 0; iter < ITERATIONS / 10; iter++) {
		for (size_t i = 0; i < sizeof(in); i++)
			in[i] = (uint8_t)check_rand(&seed);
		for (size_t len = 0; len <= sizeof(in); len++)
			for (int p = P_FILE15; p < N_PARSERS; p++)
				run_parser((enum parser)p, in, len, iter);
	}
}

int main(void)
{
	test_truncations();
	test_mutations();
	test_random();
	test_sizes();
	for (int p = 0; p < N_PARSERS; p++) {
		printf("%-7s %6d accepted\n", parser_names[p], successes[p]);
		CHECK(successes[p] > 1, "%s: the sweeps never reach a success", parser_names[p]);
	}
	return check_result();
}
