/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * APPLICATION BLOCK through the simulated card and PSAM, as a validator
 * locks a blacklisted card (jtt978.md §4.5): GET CHALLENGE from the card,
 * 801A 45 02 (the PSAM diversifies the maintenance key for this card),
 * 80FA 05 00 (the MAC over the 841E header, IV = challenge ‖ 00 x 4), then
 * 841E with that MAC.  The MAC is also recomputed here from the key file's
 * master maintenance key, and the double-length MAC itself from single and
 * triple DES blocks, so neither side only agrees with itself.
 */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "pboc_crypto.h"
#include "sim_private.h"
#include "sim_test.h"

struct rig {
	struct sim_card *card;
	struct sim_psam *psam;
	uint8_t file15[30];
};

static int rig_open(struct rig *g, const char *dir, const char *card)
{
	char path[512], err[256] = "";
	uint8_t fci[128];
	size_t n = 0;

	memset(g, 0, sizeof(*g));
	if (sim_card_load(t_path(dir, card, path, sizeof(path)), &g->card, err, sizeof(err)) ||
	    sim_psam_load(t_path(dir, "psam/psam.psam", path, sizeof(path)), &g->psam, err,
			  sizeof(err))) {
		fprintf(stderr, "load: %s\n", err);
		check_failures++;
		return -1;
	}
	t_card(g->card, "00A4040008A000000632010105", fci, &n);
	t_card(g->card, "00B095001E", g->file15, &n);
	t_psam(g->psam, "00A40000028011", NULL, NULL);
	return 0;
}

static void rig_close(struct rig *g)
{
	sim_card_free(g->card);
	sim_psam_free(g->psam);
}

/* 801A + 80FA as the validator sends them; the 4-byte MAC or 0 SW. */
static uint16_t psam_block_mac(struct rig *g, const uint8_t challenge[4], uint8_t p2,
			       uint8_t mac[4])
{
	uint8_t div[5 + 16] = { 0x80, 0x1A, 0x45, 0x02, 0x10 };
	uint8_t fa[5 + 16] = { 0x80, 0xFA, 0x05, 0x00, 0x10 };
	const uint8_t hdr[8] = { 0x84, 0x1E, 0x00, p2, 0x04, 0x80, 0x00, 0x00 };
	size_t n = 0;
	uint16_t sw;

	memcpy(div + 5, g->file15 + 12, 8); /* card factor first */
	memcpy(div + 13, g->file15, 8);	    /* then the issuer's */
	sw = t_psam_raw(g->psam, div, sizeof(div), NULL, NULL);
	if (sw != 0x9000)
		return sw;
	memcpy(fa + 5, challenge, 4);
	memset(fa + 9, 0, 4);
	memcpy(fa + 13, hdr, 8);
	sw = t_psam_t0(g->psam, fa, sizeof(fa), mac, &n);
	return sw == 0x9000 && n == 4 ? sw : (sw == 0x9000 ? 0 : sw);
}

static uint16_t card_block(struct rig *g, uint8_t p2, const uint8_t mac[4])
{
	uint8_t cmd[9] = { 0x84, 0x1E, 0x00, p2, 0x04 };

	memcpy(cmd + 5, mac, 4);
	return t_card_raw(g->card, cmd, sizeof(cmd), NULL, NULL);
}

static void challenge(struct rig *g, uint8_t out[4])
{
	size_t n = 0;

	CHECK_SW(t_card(g->card, "0084000004", out, &n), 0x9000, "GET CHALLENGE");
}

/* ISO 9797-1 algorithm 3 from its definition: DES-CBC with the left key,
 * the last block through 3DES. */
static void mac_definition(void)
{
	uint8_t key[16], iv[8], data[16], mac[4], b[8], c[8];

	check_hex("0123456789ABCDEF FEDCBA9876543210", key, 16);
	check_hex("1122334400000000", iv, 8);
	check_hex("841E000004800000 0102030405060708", data, 16);
	for (int i = 0; i < 8; i++)
		b[i] = data[i] ^ iv[i];
	pboc_des_encrypt(key, b, c);
	for (int i = 0; i < 8; i++)
		b[i] = data[8 + i] ^ c[i];
	pboc_3des_encrypt(key, b, c);
	CHECK_INT(pboc_mac_3des(key, iv, data, 16, mac), 0);
	CHECK(memcmp(mac, c, 4) == 0, "two-block MAC differs from its definition");
	for (int i = 0; i < 8; i++)
		b[i] = data[i] ^ iv[i];
	pboc_3des_encrypt(key, b, c);
	CHECK_INT(pboc_mac_3des(key, iv, data, 8, mac), 0);
	CHECK(memcmp(mac, c, 4) == 0, "one-block MAC is 3DES of IV xor block");
	CHECK_INT(pboc_mac_3des(key, iv, data, 7, mac), -EINVAL);
	CHECK_INT(pboc_mac_3des(key, iv, data, 0, mac), -EINVAL);
}

/* The PSAM's MAC equals one computed from the key file's mamk. */
static void mac_from_keys(const char *dir)
{
	struct sim_keyset ks;
	struct rig g;
	char path[512], err[200];
	uint8_t ch[4], mac[4], damk[16], iv[8] = { 0 }, want[4];
	const uint8_t hdr[8] = { 0x84, 0x1E, 0x00, 0x00, 0x04, 0x80, 0x00, 0x00 };

	if (rig_open(&g, dir, "cards/adult.card") < 0)
		return;
	CHECK(sim_keys_load(t_path(dir, "keys/issuer-3des.keys", path, sizeof(path)), 1, &ks, err,
			    sizeof(err)) == 0,
	      "keys: %s", err);
	challenge(&g, ch);
	CHECK_SW(psam_block_mac(&g, ch, 0x00, mac), 0x9000, "801A + 80FA");
	pboc_diversify2(ks.mamk, g.file15, g.file15 + 12, damk);
	memcpy(iv, ch, 4);
	pboc_mac_3des(damk, iv, hdr, sizeof(hdr), want);
	CHECK(memcmp(mac, want, 4) == 0, "PSAM MAC differs from the key file's");
	rig_close(&g);
}

static void block(const char *dir, bool permanent)
{
	struct sim_card_info info;
	struct rig g;
	uint8_t ch[4], mac[4];
	uint8_t p2 = permanent ? 0x01 : 0x00;

	if (rig_open(&g, dir, "cards/adult.card") < 0)
		return;
	challenge(&g, ch);
	CHECK_SW(psam_block_mac(&g, ch, p2, mac), 0x9000, "PSAM MAC");
	CHECK_SW(card_block(&g, p2, mac), 0x9000, "841E");
	sim_card_info(g.card, &info);
	CHECK_INT(info.app_state, permanent ? 2 : 1);
	CHECK_INT(info.n_blocks, 1);
	sim_card_reset(g.card);
	CHECK_SW(t_card(g.card, "00A4040008A000000632010105", NULL, NULL),
		 permanent ? 0x9303 : 0x6283, "SELECT after the block");
	/* a temporarily blocked card takes no purchase */
	if (!permanent)
		CHECK_SW(t_card(g.card, "805003020B01000000C800112233445500", NULL, NULL), 0x6985,
			 "INIT on a blocked card");
	rig_close(&g);
}

static void refusals(const char *dir)
{
	struct sim_card_info info;
	struct rig g;
	uint8_t ch[4], mac[4];

	if (rig_open(&g, dir, "cards/adult.card") < 0)
		return;
	/* no challenge yet */
	memset(mac, 0, 4);
	CHECK_SW(card_block(&g, 0x00, mac), 0x6984, "841E without a challenge");
	/* a MAC for the other P2 */
	challenge(&g, ch);
	CHECK_SW(psam_block_mac(&g, ch, 0x01, mac), 0x9000, "PSAM MAC");
	CHECK_SW(card_block(&g, 0x00, mac), 0x6988, "841E with a MAC for P2 01");
	/* the challenge is spent, even by a wrong MAC */
	CHECK_SW(psam_block_mac(&g, ch, 0x00, mac), 0x9000, "PSAM MAC");
	CHECK_SW(card_block(&g, 0x00, mac), 0x6984, "841E reusing a challenge");
	CHECK_SW(t_card(g.card, "841E010004 00000000", NULL, NULL), 0x6A81, "SM4 MAC asked");
	CHECK_SW(t_card(g.card, "841E000204 00000000", NULL, NULL), 0x6A86, "P2 02");
	CHECK_SW(t_card(g.card, "841E000003 000000", NULL, NULL), 0x6700, "Lc 3");
	CHECK_SW(t_card(g.card, "801E000004 00000000", NULL, NULL), 0x6E00, "CLA 80");
	sim_card_info(g.card, &info);
	CHECK_INT(info.app_state, 0);
	/* PSAM: 80FA needs a key from 801A; 801A wants 45 02 and DF 8011 */
	sim_psam_free(g.psam);
	g.psam = NULL;
	rig_close(&g);
	if (rig_open(&g, dir, "cards/adult.card") < 0)
		return;
	CHECK_SW(t_psam(g.psam, "80FA050010 1122334400000000 841E000004800000", NULL, NULL), 0x6985,
		 "80FA before 801A");
	CHECK_SW(t_psam(g.psam, "801A440210 00112233445566770011223344556677", NULL, NULL), 0x6A86,
		 "801A usage 44");
	CHECK_SW(t_psam(g.psam, "801A45020F 001122334455667700112233445566", NULL, NULL), 0x6700,
		 "801A Lc 15");
	CHECK_SW(t_psam(g.psam, "00A40000023F00", NULL, NULL), 0x9000, "select MF");
	CHECK_SW(t_psam(g.psam, "801A450210 00112233445566770011223344556677", NULL, NULL), 0x6985,
		 "801A from the MF");
	rig_close(&g);
}

/* An SM4-only card holds no 3DES maintenance key: the DES block form is
 * refused and the card stays usable. */
static void sm4_card(const char *dir)
{
	struct sim_card_info info;
	struct rig g;
	uint8_t ch[4], mac[4];

	if (rig_open(&g, dir, "cards/sm4.card") < 0)
		return;
	challenge(&g, ch);
	CHECK_SW(psam_block_mac(&g, ch, 0x00, mac), 0x9000, "PSAM MAC");
	CHECK_SW(card_block(&g, 0x00, mac), 0x6A81, "841E on an SM4-only card");
	sim_card_info(g.card, &info);
	CHECK_INT(info.app_state, 0);
	rig_close(&g);
}

static void presets(const char *dir)
{
	struct sim_card_info info;
	struct rig g;
	uint8_t rec1a[128] = { 0x27, 0x01, 0x7D, 0x01 }, rec1e[48] = { 0x06 }, got[128];
	size_t n = 0;

	if (rig_open(&g, dir, "cards/adult.card") < 0)
		return;
	rec1a[14] = 0x01;
	CHECK_INT(sim_card_preset_1a(g.card, rec1a), 0);
	rec1a[1] = 0x13;
	CHECK_INT(sim_card_preset_1a(g.card, rec1a), -EINVAL);
	sim_card_preset_1e(g.card, rec1e);
	CHECK_SW(t_card(g.card, "00B201D400", got, &n), 0x9000, "read 2701");
	CHECK(n == 128 && got[14] == 0x01, "preset 2701 read back");
	CHECK_SW(t_card(g.card, "00B201F400", got, &n), 0x9000, "read 1E");
	CHECK(n == 48 && got[0] == 0x06, "preset 1E read back");
	sim_card_info(g.card, &info);
	CHECK(info.n_1e == 1 && info.n_debits == 0 && info.rec1a[0][14] == 0x01, "info");
	rig_close(&g);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	mac_definition();
	mac_from_keys(argv[1]);
	block(argv[1], false);
	block(argv[1], true);
	refusals(argv[1]);
	sm4_card(argv[1]);
	presets(argv[1]);
	return check_result();
}
