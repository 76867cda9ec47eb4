/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * terminal/card.h parsers against the real card answers quoted in
 * reference/jtt978.md (§1.2 PPSE, §1.3 FCI, §2.1 file 15, §2.3 file 17,
 * §2.6 the Shanghai 1E record, §3 INIT, DEBIT and GET TRANSACTION PROVE).
 */
#include "card.h"

#include "check.h"
#include "ykt_error.h"

#include <errno.h>
#include <string.h>

/* §1.2, HCE: MOT_T_CASH (…0106) listed before MOT_T_EP (…0105) */
static const char ppse_hce[] = "6F 49 84 0E 325041592E5359532E4444463031"
			       " A5 37 BF0C 34"
			       " 61 19 4F 08 A000000632010106 50 0A 4D4F545F545F43415348 87 01 01"
			       " 61 17 4F 08 A000000632010105 50 08 4D4F545F545F4550 87 01 02";

/* §1.1: a phone's 16-byte EP AID (Beijing BMAC_MOT) */
static const char ppse_phone[] = "6F 2F 84 0E 325041592E5359532E4444463031"
				 " A5 1D BF0C 1A"
				 " 61 18 4F 10 A000000632010105 10009156000014A1 87 01 01 9F0A 00";

/* A file 15 built from the real Beijing issuer id of §2.1 */
static const char file15_bj[] =
    "01011000FFFFFFFF 02 01 31041000123456789ABC 20200101 20301231 05 00";

static void test_ppse(void)
{
	uint8_t fci[256], aid[16];
	size_t n = check_hex(ppse_hce, fci, sizeof(fci)), aid_len = 0;

	CHECK_INT(n, 75);
	CHECK_INT(card_parse_ppse(fci, n, aid, &aid_len), 0);
	CHECK_INT(aid_len, 8);
	CHECK_HEX(aid, aid_len, "A000000632010105");

	n = check_hex(ppse_phone, fci, sizeof(fci));
	CHECK_INT(card_parse_ppse(fci, n, aid, &aid_len), 0);
	CHECK_INT(aid_len, 16);
	CHECK_HEX(aid, aid_len, "A000000632010105 10009156000014A1");

	/* the trailing status word, if a caller leaves it on, changes nothing */
	n = check_hex(ppse_hce, fci, sizeof(fci));
	fci[n] = 0x90;
	fci[n + 1] = 0x00;
	CHECK_INT(card_parse_ppse(fci, n + 2, aid, &aid_len), 0);
	CHECK_HEX(aid, aid_len, "A000000632010105");
}

static void test_ppse_no_ep(void)
{
	uint8_t fci[256], aid[16] = { 0 };
	size_t n, aid_len = 99;

	/* only the electronic-cash application */
	n = check_hex("6F 30 84 0E 325041592E5359532E4444463031 A5 1E BF0C 1B"
		      " 61 19 4F 08 A000000632010106 50 0A 4D4F545F545F43415348 87 01 01",
		      fci, sizeof(fci));
	CHECK_INT(card_parse_ppse(fci, n, aid, &aid_len), -ENOENT);
	CHECK_INT(aid_len, 99);

	/* a 7-byte prefix of the EP AID and a 17-byte extension are not it */
	n = check_hex("6F 35 84 0E 325041592E5359532E4444463031 A5 23 BF0C 20"
		      " 61 09 4F 07 A0000006320101"
		      " 61 13 4F 11 A000000632010105 000102030405060708",
		      fci, sizeof(fci));
	CHECK_INT(card_parse_ppse(fci, n, aid, &aid_len), -ENOENT);

	/* an empty directory */
	n = check_hex("6F 18 84 0E 325041592E5359532E4444463031 A5 06 88 01 01 BF0C 00", fci,
		      sizeof(fci));
	CHECK_INT(card_parse_ppse(fci, n, aid, &aid_len), -ENOENT);

	/* no BF0C at all, no A5, not an FCI */
	n = check_hex("6F 15 84 0E 325041592E5359532E4444463031 A5 03 88 01 01", fci, sizeof(fci));
	CHECK_INT(card_parse_ppse(fci, n, aid, &aid_len), YKT_E_CARD_FORMAT);
	n = check_hex("6F 10 84 0E 325041592E5359532E4444463031", fci, sizeof(fci));
	CHECK_INT(card_parse_ppse(fci, n, aid, &aid_len), YKT_E_CARD_FORMAT);
	n = check_hex("70 03 4F 01 00", fci, sizeof(fci));
	CHECK_INT(card_parse_ppse(fci, n, aid, &aid_len), YKT_E_CARD_FORMAT);
	CHECK_INT(card_parse_ppse(fci, 0, aid, &aid_len), YKT_E_CARD_FORMAT);
	CHECK_INT(aid_len, 99);
}

static size_t build_fci(uint8_t *out, size_t cap, const char *file15_hex)
{
	uint8_t f15[64];
	size_t n15 = check_hex(file15_hex, f15, sizeof(f15)), n = 0;

	/* 6F | 84 08 EP AID | A5 { 9F08 01 02 | 9F0C len file15 } as in §1.3 */
	if (cap < 2 + 10 + 2 + 4 + 3 + n15)
		return 0;
	out[n++] = 0x6F;
	out[n++] = (uint8_t)(10 + 2 + 4 + 3 + n15);
	n += check_hex("84 08 A000000632010105", out + n, cap - n);
	out[n++] = 0xA5;
	out[n++] = (uint8_t)(4 + 3 + n15);
	n += check_hex("9F08 01 02 9F0C", out + n, cap - n);
	out[n++] = (uint8_t)n15;
	memcpy(out + n, f15, n15);
	return n + n15;
}

static void test_fci(void)
{
	uint8_t fci[128], f15[CARD_FILE15_LEN];
	size_t n = build_fci(fci, sizeof(fci), file15_bj);
	bool has = false;
	struct card_file15 f;

	CHECK_INT(n, 51);
	CHECK_HEX(fci, 4, "6F31 8408"); /* the §1.3 sample's lengths */
	CHECK_HEX(fci + 12, 2, "A525");
	CHECK_INT(card_parse_fci(fci, n, f15, &has), 0);
	CHECK(has, "9F0C found");
	CHECK_HEX(f15, CARD_FILE15_LEN, file15_bj);

	CHECK_INT(card_parse_file15(f15, CARD_FILE15_LEN, &f), 0);
	CHECK_HEX(f.issuer_id, 8, "01011000FFFFFFFF");
	CHECK_INT(f.app_type, 0x02);
	CHECK_INT(f.app_version, 0x01);
	CHECK_HEX(f.app_serial, 10, "31041000123456789ABC");
	CHECK_INT(f.start_date, 20200101);
	CHECK_INT(f.expiry_date, 20301231);
	CHECK_INT(f.card_type, 0x05);
	CHECK_INT(f.deposit, 0x00);

	/* 9F0C of the wrong size */
	n = build_fci(fci, sizeof(fci),
		      "01011000FFFFFFFF 02 01 31041000123456789ABC 20200101 203012 05");
	CHECK_INT(card_parse_fci(fci, n, f15, &has), YKT_E_CARD_FORMAT);
	n = build_fci(fci, sizeof(fci),
		      "01011000FFFFFFFF 02 01 31041000123456789ABC 20200101 20301231 05 00 00");
	CHECK_INT(card_parse_fci(fci, n, f15, &has), YKT_E_CARD_FORMAT);

	/* without A5, or A5 without 9F0C: fine, file 15 is read instead */
	n = check_hex("6F 0A 84 08 A000000632010105", fci, sizeof(fci));
	has = true;
	CHECK_INT(card_parse_fci(fci, n, f15, &has), 0);
	CHECK(!has, "no A5");
	n = check_hex("6F 10 84 08 A000000632010105 A5 04 9F08 01 02", fci, sizeof(fci));
	has = true;
	CHECK_INT(card_parse_fci(fci, n, f15, &has), 0);
	CHECK(!has, "no 9F0C");

	n = check_hex("84 08 A000000632010105", fci, sizeof(fci));
	CHECK_INT(card_parse_fci(fci, n, f15, &has), YKT_E_CARD_FORMAT);
}

static void test_file15(void)
{
	uint8_t raw[CARD_FILE15_LEN + 1];
	struct card_file15 f;

	/* the Shanghai issuer id, app version 00 (initial) */
	check_hex("02002900FFFFFFFF 02 00 02002900000012345678 20191001 20991231 01 00", raw,
		  sizeof(raw));
	CHECK_INT(card_parse_file15(raw, CARD_FILE15_LEN, &f), 0);
	CHECK_HEX(f.issuer_id, 8, "02002900FFFFFFFF");
	CHECK_INT(f.app_version, 0);
	CHECK_INT(f.expiry_date, 20991231);
	CHECK_INT(card_parse_file15(raw, CARD_FILE15_LEN - 1, &f), YKT_E_CARD_FORMAT);
	CHECK_INT(card_parse_file15(raw, CARD_FILE15_LEN + 1, &f), YKT_E_CARD_FORMAT);

	/* dates that are not dates */
	check_hex("02002900FFFFFFFF 02 01 02002900000012345678 20191301 20991231 01 00", raw,
		  sizeof(raw));
	CHECK_INT(card_parse_file15(raw, CARD_FILE15_LEN, &f), YKT_E_CARD_FORMAT);
	check_hex("02002900FFFFFFFF 02 01 02002900000012345678 20191001 FFFFFFFF 01 00", raw,
		  sizeof(raw));
	CHECK_INT(card_parse_file15(raw, CARD_FILE15_LEN, &f), YKT_E_CARD_FORMAT);
	check_hex("02002900FFFFFFFF 02 01 02002900000012345678 20190229 20991231 01 00", raw,
		  sizeof(raw));
	CHECK_INT(card_parse_file15(raw, CARD_FILE15_LEN, &f), YKT_E_CARD_FORMAT);
}

static void test_file17(void)
{
	uint8_t raw[CARD_FILE17_LEN + 1] = { 0 };
	struct card_file17 f;

	/* HCE sample: 00000156 1000 1000 0001 01 + 49 zero bytes */
	check_hex("00000156 1000 1000 0001 01", raw, sizeof(raw));
	CHECK_INT(card_parse_file17(raw, CARD_FILE17_LEN, &f), 0);
	CHECK_HEX(f.country, 4, "00000156");
	CHECK_HEX(f.province, 2, "1000");
	CHECK_HEX(f.city, 2, "1000");
	CHECK_INT(f.interconnect, 1);
	CHECK_INT(f.card_kind, 1);

	/* issuers that return only the used 11 bytes */
	CHECK_INT(card_parse_file17(raw, 11, &f), 0);
	CHECK_INT(card_parse_file17(raw, 10, &f), YKT_E_CARD_FORMAT);
	CHECK_INT(card_parse_file17(raw, CARD_FILE17_LEN + 1, &f), YKT_E_CARD_FORMAT);

	/* Shanghai, not interconnect */
	check_hex("00000156 2900 2900 0000 02", raw, sizeof(raw));
	CHECK_INT(card_parse_file17(raw, CARD_FILE17_LEN, &f), 0);
	CHECK_HEX(f.city, 2, "2900");
	CHECK_INT(f.interconnect, 0);
	CHECK_INT(f.card_kind, 2);

	check_hex("00000156 1A00 1000 0001 01", raw, sizeof(raw));
	CHECK_INT(card_parse_file17(raw, CARD_FILE17_LEN, &f), YKT_E_CARD_FORMAT);
	check_hex("00000156 1000 10F0 0001 01", raw, sizeof(raw));
	CHECK_INT(card_parse_file17(raw, CARD_FILE17_LEN, &f), YKT_E_CARD_FORMAT);
}

/* §2.6: a Shanghai metro exit record from a real card */
static const char rec1e_sh[] = "04 0000000018211503 01 0018 0021 0000 00 00000190 0000085C"
			       " 20201227140456 2900 12002900FFFFFFFF 000000000000";

static void test_rec1e_sample(void)
{
	uint8_t raw[CARD_REC1E_LEN + 1], again[CARD_REC1E_LEN];
	struct card_rec1e r;

	CHECK_INT(check_hex(rec1e_sh, raw, sizeof(raw)), CARD_REC1E_LEN);
	CHECK_INT(card_parse_rec1e(raw, CARD_REC1E_LEN, &r), 0);
	CHECK_INT(r.type, 0x04);
	CHECK_HEX(r.terminal_no, 6, "000018211503");
	CHECK_INT(r.industry, 0x01);
	CHECK_INT(r.line, 0x0018);
	CHECK_INT(r.station, 0x0021);
	CHECK_INT(r.operator_code, 0);
	CHECK_INT(r.amount_fen, 400);
	CHECK_INT(r.balance_fen, 0x85C);
	CHECK_HEX(r.datetime, 7, "20201227140456");
	CHECK_HEX(r.acquirer_city, 2, "2900");
	CHECK_HEX(r.acquirer_institution, 8, "12002900FFFFFFFF");

	/* building it back gives the card's bytes */
	card_build_rec1e(&r, again);
	CHECK_HEX(again, CARD_REC1E_LEN, rec1e_sh);

	CHECK_INT(card_parse_rec1e(raw, CARD_REC1E_LEN - 1, &r), YKT_E_CARD_FORMAT);
	CHECK_INT(card_parse_rec1e(raw, CARD_REC1E_LEN + 1, &r), YKT_E_CARD_FORMAT);

	/* the initial record is all zeros and has no time */
	memset(raw, 0, sizeof(raw));
	CHECK_INT(card_parse_rec1e(raw, CARD_REC1E_LEN, &r), 0);
	CHECK_INT(r.type, 0);
	/* any other record with a broken time is malformed */
	raw[0] = 0x06;
	CHECK_INT(card_parse_rec1e(raw, CARD_REC1E_LEN, &r), YKT_E_CARD_FORMAT);
	check_hex(rec1e_sh, raw, sizeof(raw));
	raw[25 + 2] = 0x13; /* month 13 */
	CHECK_INT(card_parse_rec1e(raw, CARD_REC1E_LEN, &r), YKT_E_CARD_FORMAT);
}

static void test_rec1e_round_trip(void)
{
	struct card_rec1e in = {
		.type = 0x06,
		.terminal_no = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 },
		.industry = 0x02,
		.line = 0x0029,
		.station = 0xABCD,
		.operator_code = 0x0001,
		.amount_fen = 0xFEDCBA98,
		.balance_fen = 0x01234567,
		.datetime = { 0x20, 0x26, 0x11, 0x21, 0x07, 0x30, 0x00 },
		.acquirer_city = { 0x10, 0x00 },
		.acquirer_institution = { 0x11, 0x01, 0x10, 0x00, 0xFF, 0xFF, 0xFF, 0xFF },
	};
	uint8_t raw[CARD_REC1E_LEN];
	struct card_rec1e out;

	memset(raw, 0xEE, sizeof(raw));
	card_build_rec1e(&in, raw);
	CHECK_HEX(raw, CARD_REC1E_LEN,
		  "06 0000001122334455 02 0029 ABCD 0001 00 FEDCBA98 01234567 20261121073000"
		  " 1000 11011000FFFFFFFF 000000000000");
	memset(&out, 0x5A, sizeof(out));
	CHECK_INT(card_parse_rec1e(raw, CARD_REC1E_LEN, &out), 0);
	CHECK_INT(out.type, in.type);
	CHECK(memcmp(out.terminal_no, in.terminal_no, 6) == 0, "terminal_no");
	CHECK_INT(out.industry, in.industry);
	CHECK_INT(out.line, in.line);
	CHECK_INT(out.station, in.station);
	CHECK_INT(out.operator_code, in.operator_code);
	CHECK_INT(out.amount_fen, in.amount_fen);
	CHECK_INT(out.balance_fen, in.balance_fen);
	CHECK(memcmp(out.datetime, in.datetime, 7) == 0, "datetime");
	CHECK(memcmp(out.acquirer_city, in.acquirer_city, 2) == 0, "city");
	CHECK(memcmp(out.acquirer_institution, in.acquirer_institution, 8) == 0, "institution");
}

static void test_init(void)
{
	uint8_t raw[16];
	struct card_init_resp r;

	/* balance 0x85C, ATC 0x0011, overdraft 0x012345, key version 02, alg 04, random */
	check_hex("0000085C 0011 012345 02 04 11223344", raw, sizeof(raw));
	memset(&r, 0, sizeof(r));
	CHECK_INT(card_parse_init(raw, 15, &r), 0);
	CHECK_INT(r.balance_fen, 0x85C);
	CHECK_INT(r.atc, 0x0011);
	CHECK_INT(r.overdraft_limit_fen, 0x012345);
	CHECK_INT(r.key_version, 0x02);
	CHECK_INT(r.algorithm_id, 0x04);
	CHECK_HEX(r.random, 4, "11223344");

	check_hex("FFFFFFFF FFFF FFFFFF FF FF FFFFFFFF", raw, sizeof(raw));
	CHECK_INT(card_parse_init(raw, 15, &r), 0);
	CHECK_INT(r.balance_fen, 0xFFFFFFFFu);
	CHECK_INT(r.atc, 0xFFFF);
	CHECK_INT(r.overdraft_limit_fen, 0xFFFFFF);

	CHECK_INT(card_parse_init(raw, 14, &r), YKT_E_CARD_FORMAT);
	CHECK_INT(card_parse_init(raw, 16, &r), YKT_E_CARD_FORMAT);
	CHECK_INT(card_parse_init(raw, 0, &r), YKT_E_CARD_FORMAT);
}

static void test_debit_prove_order(void)
{
	uint8_t raw[9], tac[4] = { 0 }, mac2[4] = { 0 };

	check_hex("AABBCCDD 11223344", raw, sizeof(raw));
	CHECK_INT(card_parse_debit(raw, 8, tac, mac2), 0);
	CHECK_HEX(tac, 4, "AABBCCDD");
	CHECK_HEX(mac2, 4, "11223344");

	memset(tac, 0, 4);
	memset(mac2, 0, 4);
	CHECK_INT(card_parse_prove(raw, 8, mac2, tac), 0);
	CHECK_HEX(mac2, 4, "AABBCCDD");
	CHECK_HEX(tac, 4, "11223344");

	/* §5.6: the card's MAC2 over 00001000 */
	check_hex("DEADBEEF 56988A13", raw, sizeof(raw));
	CHECK_INT(card_parse_debit(raw, 8, tac, mac2), 0);
	CHECK_HEX(mac2, 4, "56988A13");

	for (size_t len = 0; len <= sizeof(raw); len++) {
		if (len == 8)
			continue;
		CHECK(card_parse_debit(raw, len, tac, mac2) == YKT_E_CARD_FORMAT, "debit %zu", len);
		CHECK(card_parse_prove(raw, len, mac2, tac) == YKT_E_CARD_FORMAT, "prove %zu", len);
	}
}

/* §2.4: ATC ‖ overdraft ‖ amount ‖ type ‖ terminal ‖ date ‖ time */
static void test_rec18(void)
{
	uint8_t raw[CARD_REC18_LEN] = { 0 };
	struct card_rec18 r;

	CHECK_INT(card_parse_rec18(raw, sizeof(raw), &r), -ENOENT); /* never written */
	check_hex("0065 000000 000000C8 09 001122334455 20261121 090000", raw, sizeof(raw));
	CHECK_INT(card_parse_rec18(raw, sizeof(raw), &r), 0);
	CHECK_INT(r.atc, 0x65);
	CHECK_INT(r.amount_fen, 200);
	CHECK_INT(r.type, 0x09);
	CHECK_HEX(r.terminal_no, 6, "001122334455");
	CHECK_HEX(r.datetime, 7, "20261121090000");
	CHECK_INT(card_parse_rec18(raw, sizeof(raw) - 1, &r), YKT_E_CARD_FORMAT);
	raw[20] = 0x25; /* hour 25 */
	CHECK_INT(card_parse_rec18(raw, sizeof(raw), &r), YKT_E_CARD_FORMAT);
}

/* §2.5: the common header of a 1A record; a bare one as issued */
static void test_rec1a_header(void)
{
	uint8_t raw[CARD_REC1A_LEN] = { 0x27, 0x02, 0x7D, 0x01, 0x01, 0x00 };
	struct card_rec1a_header h;

	raw[14] = 0x01;
	CHECK_INT(card_parse_rec1a_header(raw, sizeof(raw), &h), 0);
	CHECK_INT(h.id_low, 0x02);
	CHECK_INT(h.app_valid, 1);
	CHECK_INT(h.state, 0x01);
	CHECK_INT(card_parse_rec1a_header(raw, sizeof(raw) - 1, &h), YKT_E_CARD_FORMAT);
	raw[2] = 0x7E; /* a length that does not fit the record */
	CHECK_INT(card_parse_rec1a_header(raw, sizeof(raw), &h), YKT_E_CARD_FORMAT);
	raw[2] = 0x7D;
	raw[1] = 0x13; /* no record 2713 */
	CHECK_INT(card_parse_rec1a_header(raw, sizeof(raw), &h), YKT_E_CARD_FORMAT);
	raw[1] = 0x01;
	raw[6] = 0x0A; /* serial not BCD */
	CHECK_INT(card_parse_rec1a_header(raw, sizeof(raw), &h), YKT_E_CARD_FORMAT);
}

int main(void)
{
	test_ppse();
	test_ppse_no_ep();
	test_fci();
	test_file15();
	test_file17();
	test_rec1e_sample();
	test_rec1e_round_trip();
	test_init();
	test_debit_prove_order();
	test_rec18();
	test_rec1a_header();
	return check_result();
}
