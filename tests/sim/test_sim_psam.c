/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated PSAM: ATR, MF and DF 8011 files, T=0 GET RESPONSE, MAC1
 * (checked against an independent computation) and MAC2 verification.
 */
#include <string.h>

#include "bytes.h"
#include "pboc_crypto.h"
#include "sim_private.h"
#include "sim_test.h"

/* 8070 data: random, ATC, amount, type, date-time, key version, alg id,
 * card factor, issuer factor */
#define MAC1_DATA(kv, alg, type, dt)                                                               \
	"8070000024 11223344 0029 000000C8 " type " " dt " " kv " " alg " 0000000000012345 "       \
	"01011000FFFFFFFF"
#define GOOD_MAC1 MAC1_DATA("01", "00", "09", "20261121073000")

static void atr_and_mf(struct sim_psam *p)
{
	uint8_t atr[40], d[258];
	size_t n = 0;

	CHECK(sim_psam_reset(p, atr, sizeof(atr), &n) == 0 && n >= 2 && atr[0] == 0x3B, "ATR");
	CHECK(sim_psam_reset(p, atr, 2, &n) < 0, "ATR buffer too small");
	CHECK_SW(t_psam(p, "00A40000023F00", NULL, NULL), 0x9000, "select MF");
	CHECK_SW(t_psam(p, "00B095000A", d, &n), 0x9000, "read 15");
	CHECK(check_eq_hex(d, n, "0000000000000001A001"), "PSAM serial");
	CHECK_SW(t_psam(p, "00B0960006", d, &n), 0x9000, "read 16");
	CHECK(check_eq_hex(d, n, "001122334455"), "terminal number");
	CHECK_SW(t_psam(p, "00B0960008", NULL, NULL), 0x6C06, "16 wrong Le");
	CHECK_SW(t_psam(p, "00B0970001", NULL, NULL), 0x6A82, "17 is in DF 8011");
	CHECK_SW(t_psam(p, GOOD_MAC1, NULL, NULL), 0x6985, "8070 outside DF 8011");
	CHECK_SW(t_psam(p, "00A40000021234", NULL, NULL), 0x6A82, "unknown DF");
}

static void df_8011(struct sim_psam *p)
{
	uint8_t d[258];
	size_t n = 0;

	CHECK_SW(t_psam(p, "00A40000028011", NULL, NULL), 0x9000, "select 8011");
	CHECK_SW(t_psam(p, "00B0970001", d, &n), 0x9000, "read 17");
	CHECK(n == 1 && d[0] == 0x01, "key index 01");
	CHECK_SW(t_psam(p, "00B0960006", d, &n), 0x9000, "16 also found from DF 8011");
	CHECK_SW(t_psam(p, "00A40000023F00", NULL, NULL), 0x9000, "back to MF");
	CHECK_SW(t_psam(p, "00A4040010A0000006324D4F542E435053414D3031", NULL, NULL), 0x9000,
		 "select MOT.CPSAM01 by AID");
	CHECK_SW(t_psam(p, "00A40000023F00", NULL, NULL), 0x9000, "back to MF");
	CHECK_SW(t_psam(p, "00A404000FA0000006324D4F542E4350534D3031", NULL, NULL), 0x9000,
		 "select MOT.CPSM01 by AID");
	CHECK_SW(t_psam(p, "00B0970001", d, &n), 0x9000, "17 after AID select");
	CHECK_SW(t_psam(p, "0084000004", d, &n), 0x9000, "challenge");
	CHECK(n == 4, "4 bytes");
}

/* What MAC1 must be for GOOD_MAC1 with serial: derived here from the key
 * file, independently of sim_psam.c. */
static void expected_mac1(const char *dir, uint32_t serial, uint8_t mac1[4], uint8_t sk[8])
{
	struct sim_keyset ks;
	char path[512], err[200];
	uint8_t issuer[8], card[8], dpk[16], random[4], in[18];

	CHECK(sim_keys_load(t_path(dir, "keys/issuer-3des.keys", path, sizeof(path)), 1, &ks, err,
			    sizeof(err)) == 0,
	      "%s", err);
	check_hex("01011000FFFFFFFF", issuer, 8);
	check_hex("0000000000012345", card, 8);
	check_hex("11223344", random, 4);
	check_hex("000000C8 09 001122334455 20261121073000", in, sizeof(in));
	pboc_diversify(ks.mpk, issuer, dpk);
	pboc_diversify(dpk, card, dpk);
	pboc_purchase_session_key(dpk, random, 0x0029, serial, sk);
	pboc_mac(sk, NULL, in, sizeof(in), mac1);
}

static void mac1(struct sim_psam *p, const char *dir)
{
	uint8_t d[258], want[4], sk[8], apdu[64];
	size_t n = 0, len;

	CHECK_SW(t_psam(p, "00A40000028011", NULL, NULL), 0x9000, "select 8011");
	CHECK_SW(t_psam(p, GOOD_MAC1, d, &n), 0x6108, "8070 answers 61 08");
	CHECK(n == 0, "no data with 61xx");
	CHECK_SW(t_psam(p, "00C0000004", NULL, NULL), 0x6C08, "GET RESPONSE wrong Le");
	CHECK_SW(t_psam(p, "00C0000008", d, &n), 0x9000, "GET RESPONSE");
	expected_mac1(dir, 1000, want, sk);
	CHECK(n == 8 && ykt_be32(d) == 1000, "first serial is txn_serial 1000");
	CHECK(n == 8 && memcmp(d + 4, want, 4) == 0, "MAC1 matches the independent one");
	CHECK_SW(t_psam(p, "00C0000008", NULL, NULL), 0x6985, "answer fetched only once");
	len = check_hex(GOOD_MAC1 " 08", apdu, sizeof(apdu));
	CHECK_SW(t_psam_t0(p, apdu, len, d, &n), 0x9000, "8070 with Le 08");
	CHECK(n == 8 && ykt_be32(d) == 1001, "serial incremented by 8070");
	CHECK_SW(t_psam(p, GOOD_MAC1, NULL, NULL), 0x6108, "8070");
	CHECK_SW(t_psam(p, "00B0970001", NULL, NULL), 0x9000, "another command");
	CHECK_SW(t_psam(p, "00C0000008", NULL, NULL), 0x6985, "pending answer dropped");
}

/* Algorithm id 04 (the key file's [sm4] algorithm_id) selects the SM4
 * master key: MAC1 and MAC2 recomputed from issuer-sm4.keys. */
static void mac1_sm4(struct sim_psam *p, const char *dir)
{
	struct sim_keyset ks;
	char path[512], err[200];
	uint8_t issuer[8], card[8], dpk[16], random[4], in[18], sk[16], want[4], d[258];
	uint8_t apdu[9] = { 0x80, 0x72, 0x00, 0x00, 0x04 };
	size_t n = 0;

	if (sim_keys_load(t_path(dir, "keys/issuer-sm4.keys", path, sizeof(path)), 1, &ks, err,
			  sizeof(err))) {
		CHECK(0, "%s", err);
		return;
	}
	CHECK_SW(t_psam(p, "00A40000028011", NULL, NULL), 0x9000, "select 8011");
	CHECK_SW(t_psam(p, MAC1_DATA("01", "04", "09", "20261121073000"), NULL, NULL), 0x6108,
		 "SM4 8070");
	CHECK_SW(t_psam(p, "00C0000008", d, &n), 0x9000, "GET RESPONSE");
	check_hex("01011000FFFFFFFF", issuer, 8);
	check_hex("0000000000012345", card, 8);
	check_hex("11223344", random, 4);
	check_hex("000000C8 09 001122334455 20261121073000", in, sizeof(in));
	pboc_sm4_diversify2(ks.mpk_sm4, issuer, card, dpk);
	pboc_sm4_session_key(&ks.sm4, dpk, random, 0x0029, ykt_be32(d), sk);
	pboc_sm4_mac(&ks.sm4, sk, NULL, in, sizeof(in), want);
	CHECK(n == 8 && memcmp(d + 4, want, 4) == 0, "SM4 MAC1 matches the independent one");
	pboc_sm4_mac(&ks.sm4, sk, NULL, in, 4, apdu + 5);
	CHECK_SW(t_psam_raw(p, apdu, 9, NULL, NULL), 0x9000, "SM4 MAC2");
	pboc_purchase_session_key(dpk, random, 0x0029, ykt_be32(d), sk);
	pboc_mac(sk, NULL, in, 4, apdu + 5);
	CHECK_SW(t_psam_raw(p, apdu, 9, NULL, NULL), 0x9302, "a 3DES MAC2 in an SM4 session");
}

static void mac1_refusals(struct sim_psam *p)
{
	CHECK_SW(t_psam(p, MAC1_DATA("02", "00", "09", "20261121073000"), NULL, NULL), 0x9403,
		 "key version 02");
	CHECK_SW(t_psam(p, MAC1_DATA("01", "07", "09", "20261121073000"), NULL, NULL), 0x9403,
		 "algorithm 07: no key set");
	CHECK_SW(t_psam(p, MAC1_DATA("01", "00", "02", "20261121073000"), NULL, NULL), 0x6A80,
		 "type 02");
	CHECK_SW(t_psam(p, MAC1_DATA("01", "00", "06", "20261131073000"), NULL, NULL), 0x6A80,
		 "31 November");
	CHECK_SW(t_psam(p,
			"8070000124 11223344 0029 000000C8 09 20261121073000 01 00 "
			"0000000000012345 01011000FFFFFFFF",
			NULL, NULL),
		 0x6A86, "P2 01");
	CHECK_SW(t_psam(p,
			"807000001C 11223344 0029 000000C8 09 20261121073000 01 00 "
			"0000000000012345",
			NULL, NULL),
		 0x6700, "one-level 8070 not simulated");
}

static void mac2(struct sim_psam *p, const char *dir)
{
	uint8_t d[258], want[4], sk[8], amount[4] = { 0, 0, 0, 0xC8 }, mac[4];
	uint8_t apdu[9] = { 0x80, 0x72, 0x00, 0x00, 0x04 };
	size_t n = 0;
	uint32_t serial;

	CHECK_SW(t_psam(p, "00A40000028011", NULL, NULL), 0x9000, "select 8011");
	CHECK_SW(t_psam(p, "8072000004 01020304", NULL, NULL), 0x6901, "8072 without 8070");
	CHECK_SW(t_psam(p, GOOD_MAC1, NULL, NULL), 0x6108, "8070");
	CHECK_SW(t_psam(p, "00C0000008", d, &n), 0x9000, "GET RESPONSE");
	serial = ykt_be32(d);
	expected_mac1(dir, serial, want, sk);
	pboc_mac(sk, NULL, amount, 4, mac);
	memcpy(apdu + 5, mac, 4);
	apdu[5] ^= 0x80;
	CHECK_SW(t_psam_raw(p, apdu, 9, NULL, NULL), 0x9302, "wrong MAC2");
	apdu[5] ^= 0x80;
	CHECK_SW(t_psam_raw(p, apdu, 9, NULL, NULL), 0x9000, "right MAC2");
	CHECK_SW(t_psam(p, "8072000003 010203", NULL, NULL), 0x6700, "8072 Lc 3");
	CHECK_SW(t_psam(p, "00A40000023F00", NULL, NULL), 0x9000, "MF");
	CHECK_SW(t_psam_raw(p, apdu, 9, NULL, NULL), 0x6985, "8072 outside DF 8011");
}

static void misc(struct sim_psam *p)
{
	CHECK_SW(t_psam(p, "80CA000000", NULL, NULL), 0x6D00, "unknown INS");
	CHECK_SW(t_psam(p, "A0A40000023F00", NULL, NULL), 0x6E00, "CLA A0");
	CHECK_SW(t_psam(p, "0070000024", NULL, NULL), 0x6E00, "8070 with CLA 00");
	CHECK_SW(t_psam(p, "00A4", NULL, NULL), 0x6700, "2 bytes");
}

int main(int argc, char **argv)
{
	char path[512], err[256] = "";
	struct sim_psam *p = NULL;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DATADIR\n", argv[0]);
		return 1;
	}
	r = sim_psam_load(t_path(argv[1], "psam/psam.psam", path, sizeof(path)), &p, err,
			  sizeof(err));
	if (r < 0) {
		fprintf(stderr, "psam.psam: %d %s\n", r, err);
		return 1;
	}
	atr_and_mf(p);
	df_8011(p);
	mac1(p, argv[1]);
	mac1_sm4(p, argv[1]);
	mac1_refusals(p);
	mac2(p, argv[1]);
	misc(p);
	sim_psam_free(p);
	sim_psam_free(NULL);
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	return check_failures ? 1 : 0;
}
