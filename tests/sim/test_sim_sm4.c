/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SM4 and dual-algorithm purchases through the simulated card and PSAM,
 * raw APDUs both ways (SELECT, INIT, 8070, 80DC, DEBIT, 8072), each TAC
 * recomputed from the issuer's master TAC key with pboc_crypto and the key
 * file's documented [sm4] choices only; every choice changes the result,
 * both sides agree when they share it, and a wrong algorithm or key is
 * caught by MAC1 (9302) or refused by the PSAM (9403).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "pboc_crypto.h"
#include "sim_private.h"
#include "sim_test.h"

/* The same purchase each time: 2.00 yuan CAPP at 2026-11-21 07:30:00. */
static void purchase_init(struct t_purchase *p)
{
	memset(p, 0, sizeof(*p));
	p->type = 0x09;
	p->amount_fen = 200;
	check_hex("20261121073000", p->datetime, 7);
}

static int load(const char *dir, const char *card, const char *psam, struct sim_card **ret_card,
		struct sim_psam **ret_psam)
{
	char path[600], err[256] = "";

	*ret_card = NULL;
	*ret_psam = NULL;
	if (sim_card_load(dir ? t_path(dir, card, path, sizeof(path)) : card, ret_card, err,
			  sizeof(err)) ||
	    sim_psam_load(dir ? t_path(dir, psam, path, sizeof(path)) : psam, ret_psam, err,
			  sizeof(err))) {
		CHECK(0, "load: %s", err);
		sim_card_free(*ret_card);
		return -1;
	}
	return 0;
}

static void unload(struct sim_card *c, struct sim_psam *p)
{
	sim_card_free(c);
	sim_psam_free(p);
}

/* The clearing platform's check: DTK from the key file's master TAC key,
 * then the TAC of the algorithm the INIT answer named. */
static bool tac_verifies(const char *keys_path, const struct t_purchase *p, bool sm4)
{
	struct sim_keyset ks;
	char err[256];
	uint8_t dtk[16], tac[4];
	int r;

	if (sim_keys_load(keys_path, 1, &ks, err, sizeof(err))) {
		CHECK(0, "keys: %s", err);
		return false;
	}
	if (sm4) {
		r = pboc_sm4_diversify2(ks.mtk_sm4, p->file15, p->file15 + 12, dtk);
		if (r == 0)
			r = pboc_sm4_tac(&ks.sm4, dtk, p->amount_fen, p->type, p->terminal_no,
					 p->serial, p->datetime, tac);
	} else {
		r = pboc_diversify2(ks.mtk, p->file15, p->file15 + 12, dtk);
		if (r == 0)
			r = pboc_tac(dtk, p->amount_fen, p->type, p->terminal_no, p->serial,
				     p->datetime, tac);
	}
	return r == 0 && memcmp(tac, p->tac, 4) == 0;
}

/* MAC1 and MAC2 recomputed from the master purchase key and the INIT
 * answer, as a host-side check would. */
static void check_sm4_macs(const char *keys_path, const struct t_purchase *p)
{
	struct sim_keyset ks;
	char err[256];
	uint8_t dpk[16], sk[16], in[18], mac[4];

	if (sim_keys_load(keys_path, 1, &ks, err, sizeof(err))) {
		CHECK(0, "keys: %s", err);
		return;
	}
	ykt_put_be32(in, p->amount_fen);
	in[4] = p->type;
	memcpy(in + 5, p->terminal_no, 6);
	memcpy(in + 11, p->datetime, 7);
	pboc_sm4_diversify2(ks.mpk_sm4, p->file15, p->file15 + 12, dpk);
	pboc_sm4_session_key(&ks.sm4, dpk, p->init + 11, ykt_be16(p->init + 4), p->serial, sk);
	pboc_sm4_mac(&ks.sm4, sk, NULL, in, sizeof(in), mac);
	CHECK(memcmp(mac, p->mac1, 4) == 0, "MAC1 is the SM4 MAC of the issuer's key");
	pboc_sm4_mac(&ks.sm4, sk, NULL, in, 4, mac);
	CHECK(memcmp(mac, p->mac2, 4) == 0, "MAC2 is the SM4 MAC of the issuer's key");
}

static void sm4_card(const char *dir)
{
	struct sim_card *c;
	struct sim_psam *s;
	struct t_purchase p;
	struct sim_card_info i;
	uint8_t rec1e[48] = { 0x06 };
	char keys[512], hex[20];

	if (load(dir, "cards/sm4.card", "psam/psam.psam", &c, &s))
		return;
	t_path(dir, "keys/issuer-sm4.keys", keys, sizeof(keys));
	purchase_init(&p);
	p.rec1e = rec1e;
	CHECK(t_run_purchase(c, s, &p) == 0,
	      "SM4 purchase: init %04X mac1 %04X debit %04X mac2 %04X", p.sw_init, p.sw_mac1,
	      p.sw_debit, p.sw_mac2);
	CHECK(p.init[10] == 0x04 && p.init[9] == 0x01, "INIT: key version 01, algorithm id 04");
	CHECK(ykt_be16(p.init + 4) == 7 && p.serial == 1000, "ATC 7, serial 1000");
	check_sm4_macs(keys, &p);
	CHECK(tac_verifies(keys, &p, true), "SM4 TAC %s does not verify",
	      check_to_hex(p.tac, 4, hex, sizeof(hex)));
	CHECK(!tac_verifies(keys, &p, false), "an SM4 TAC verified as a 3DES one");
	/* the pinned vector of test_sm4_crypto / sm4_reference.py */
	CHECK(check_eq_hex(p.tac, 4, "F25688DD"), "TAC %s, vector F25688DD",
	      check_to_hex(p.tac, 4, hex, sizeof(hex)));
	sim_card_info(c, &i);
	CHECK(i.balance_fen == 4300 && i.offline_atc == 8 && i.n_debits == 1 && i.n_1e == 1 &&
		  memcmp(i.debits[0].tac, p.tac, 4) == 0,
	      "committed: balance %u ATC %u", i.balance_fen, i.offline_atc);
	unload(c, s);
}

/* dual.card runs on SM4 (prefer = sm4), dual-typeb.card on 3DES. */
static void dual_cards(const char *dir)
{
	struct sim_card *c;
	struct sim_psam *s;
	struct t_purchase p;
	char keys[512], keys3[512];

	t_path(dir, "keys/issuer-sm4.keys", keys, sizeof(keys));
	t_path(dir, "keys/issuer-3des.keys", keys3, sizeof(keys3));
	if (load(dir, "cards/dual.card", "psam/psam.psam", &c, &s))
		return;
	purchase_init(&p);
	CHECK(t_run_purchase(c, s, &p) == 0, "dual (SM4) purchase: debit %04X", p.sw_debit);
	CHECK(p.init[10] == 0x04, "dual card INIT algorithm id %02X", p.init[10]);
	check_sm4_macs(keys, &p);
	CHECK(tac_verifies(keys, &p, true), "dual card SM4 TAC");
	unload(c, s);
	if (load(dir, "cards/dual-typeb.card", "psam/psam.psam", &c, &s))
		return;
	purchase_init(&p);
	CHECK(t_run_purchase(c, s, &p) == 0, "dual (3DES) purchase: debit %04X", p.sw_debit);
	CHECK(p.init[10] == 0x00, "prefer = 3des: INIT algorithm id %02X", p.init[10]);
	CHECK(tac_verifies(keys, &p, false) && tac_verifies(keys3, &p, false),
	      "dual card 3DES TAC from either key file");
	CHECK(!tac_verifies(keys, &p, true), "a 3DES TAC verified as an SM4 one");
	unload(c, s);
}

/* MAC1 of the other algorithm: the card answers 9302 and keeps its money. */
static void wrong_algorithm(const char *dir, const char *card, uint8_t alg_id, uint32_t balance)
{
	struct sim_card *c;
	struct sim_psam *s;
	struct t_purchase p;
	struct sim_card_info i;

	if (load(dir, card, "psam/psam.psam", &c, &s))
		return;
	purchase_init(&p);
	p.force_alg = true;
	p.alg_id = alg_id;
	CHECK(t_run_purchase(c, s, &p) != 0, "%s: MAC1 of algorithm %02X accepted", card, alg_id);
	CHECK_SW(p.sw_mac1, 0x9000, "8070 of the other algorithm");
	CHECK_SW(p.sw_debit, 0x9302, "DEBIT with the other algorithm's MAC1");
	sim_card_info(c, &i);
	CHECK(i.balance_fen == balance && i.n_debits == 0, "%s: balance %u after 9302", card,
	      i.balance_fen);
	purchase_init(&p);
	p.force_alg = true;
	p.alg_id = 0x07;
	CHECK(t_run_purchase(c, s, &p) != 0 && p.sw_mac1 == 0x9403,
	      "8070 algorithm 07 (no key set): %04X", p.sw_mac1);
	unload(c, s);
}

/* ---- the choices, through key files written to a temporary directory ---- */

struct tmp {
	char dir[256];
};

#define ISSUER_KEYS                                                                                \
	"[key.01]\n"                                                                               \
	"mpk = 0123456789ABCDEF FEDCBA9876543210\n"                                                \
	"mtk = 1111111111111111 2222222222222222\n"                                                \
	"mpk_sm4 = 0F1E2D3C4B5A6978 8796A5B4C3D2E1F0\n"                                            \
	"mtk_sm4 = 1A2B3C4D5E6F7081 92A3B4C5D6E7F809\n"

/* sm4.card with its own key file */
#define SM4_CARD                                                                                   \
	"uid = 04A1B2D1\nissuer_id = 01011000FFFFFFFF\napp_serial = 10001000000000100001\n"        \
	"balance_fen = 4500\noffline_atc = 7\nalgorithm = sm4\nkeys = %s\n"
#define PSAM                                                                                       \
	"serial = 0000000000000001A001\nterminal_no = 001122334455\ntxn_serial = 1000\n"           \
	"keys = %s\n"

static const char *tmp_file(const struct tmp *t, const char *name, const char *text, char *path,
			    size_t cap)
{
	check_write_file(t->dir, name, text, path, cap);
	return path;
}

/* keys-<tag>.keys with [sm4] `sm4`, a card and a PSAM on it. */
static void write_set(const struct tmp *t, const char *tag, const char *sm4)
{
	char name[64], keys[512], text[1024], path[512];

	snprintf(name, sizeof(name), "keys-%s.keys", tag);
	snprintf(text, sizeof(text), ISSUER_KEYS "[sm4]\n%s", sm4);
	tmp_file(t, name, text, keys, sizeof(keys));
	snprintf(name, sizeof(name), "card-%s.card", tag);
	snprintf(text, sizeof(text), SM4_CARD, keys);
	tmp_file(t, name, text, path, sizeof(path));
	snprintf(name, sizeof(name), "psam-%s.psam", tag);
	snprintf(text, sizeof(text), PSAM, keys);
	tmp_file(t, name, text, path, sizeof(path));
}

static const struct {
	const char *tag, *sm4;
	bool psam_side; /* the choice is also made by the PSAM (MAC1, MAC2) */
} choices[] = {
	{ "default", "", true },
	{ "zero", "session_key_input = zero\n", true },
	{ "repeat", "session_key_input = repeat\n", true },
	{ "xormac", "mac_output = xor-halves-left4\n", true },
	{ "alg05", "algorithm_id = 05\n", true },
	{ "xortac", "tac_key = xor-halves\n", false },
	{ "lefttac", "tac_key = left-half\n", false },
};

#define N_CHOICES (sizeof(choices) / sizeof(choices[0]))

static int run(const struct tmp *t, const char *card_tag, const char *psam_tag,
	       struct t_purchase *p)
{
	char card[512], psam[512];
	struct sim_card *c;
	struct sim_psam *s;
	int r;

	snprintf(card, sizeof(card), "%s/card-%s.card", t->dir, card_tag);
	snprintf(psam, sizeof(psam), "%s/psam-%s.psam", t->dir, psam_tag);
	if (load(NULL, card, psam, &c, &s))
		return -2;
	purchase_init(p);
	r = t_run_purchase(c, s, p);
	unload(c, s);
	return r;
}

/* Both sides on the same choices: a purchase whose TAC verifies with
 * those choices, and a result that differs from every other choice. */
static void choices_agree(const struct tmp *t, uint8_t tacs[N_CHOICES][4],
			  uint8_t mac1s[N_CHOICES][4])
{
	char keys[512];

	for (size_t i = 0; i < N_CHOICES; i++) {
		struct t_purchase p;

		CHECK(run(t, choices[i].tag, choices[i].tag, &p) == 0,
		      "%s: init %04X mac1 %04X debit %04X mac2 %04X", choices[i].tag, p.sw_init,
		      p.sw_mac1, p.sw_debit, p.sw_mac2);
		snprintf(keys, sizeof(keys), "%s/keys-%s.keys", t->dir, choices[i].tag);
		CHECK(tac_verifies(keys, &p, true), "%s: TAC does not verify with its choices",
		      choices[i].tag);
		memcpy(tacs[i], p.tac, 4);
		memcpy(mac1s[i], p.mac1, 4);
	}
}

static void choices_differ(uint8_t tacs[N_CHOICES][4], uint8_t mac1s[N_CHOICES][4])
{
	for (size_t i = 1; i < N_CHOICES; i++) {
		bool tac_same = memcmp(tacs[i], tacs[0], 4) == 0;
		bool mac_same = memcmp(mac1s[i], mac1s[0], 4) == 0;

		if (strcmp(choices[i].tag, "alg05") == 0) /* only the id changes */
			CHECK(tac_same && mac_same, "algorithm_id changed the cryptography");
		else if (choices[i].psam_side)
			CHECK(!mac_same, "%s: MAC1 as with the defaults", choices[i].tag);
		else
			CHECK(!tac_same && mac_same, "%s: TAC as with the defaults",
			      choices[i].tag);
	}
}

/* Card and PSAM on different choices: MAC1 fails (9302), or, for an id
 * the PSAM does not know, 8070 is refused (9403). The TAC key is not the
 * PSAM's business: only the platform's check notices it. */
static void choices_disagree(const struct tmp *t)
{
	char keys[512];

	for (size_t i = 1; i < N_CHOICES; i++) {
		struct t_purchase p;
		int r = run(t, choices[i].tag, "default", &p);

		if (strcmp(choices[i].tag, "alg05") == 0) {
			CHECK(r != 0 && p.init[10] == 0x05 && p.sw_mac1 == 0x9403,
			      "card id 05, PSAM 04: 8070 %04X", p.sw_mac1);
		} else if (choices[i].psam_side) {
			CHECK(r != 0 && p.sw_debit == 0x9302, "%s vs default: DEBIT %04X",
			      choices[i].tag, p.sw_debit);
		} else {
			CHECK(r == 0, "%s vs default: purchase", choices[i].tag);
			snprintf(keys, sizeof(keys), "%s/keys-default.keys", t->dir);
			CHECK(!tac_verifies(keys, &p, true),
			      "%s: TAC verified with the default TAC key", choices[i].tag);
		}
	}
}

/* A card of another SM4 master key: MAC1 9302; an SM4 card at a 3DES-only
 * PSAM: 9403. */
static void wrong_keys(const struct tmp *t, const char *dir)
{
	char keys[512], keys3[512], text[1024], path[512], *abs;
	struct t_purchase p;

	tmp_file(t, "keys-other.keys",
		 "[key.01]\nmpk_sm4 = FFEEDDCCBBAA9988 7766554433221100\n"
		 "mtk_sm4 = 1A2B3C4D5E6F7081 92A3B4C5D6E7F809\n",
		 keys, sizeof(keys));
	snprintf(text, sizeof(text), SM4_CARD, keys);
	tmp_file(t, "card-other.card", text, path, sizeof(path));
	CHECK(run(t, "other", "default", &p) != 0 && p.sw_debit == 0x9302,
	      "another SM4 purchase key: DEBIT %04X", p.sw_debit);
	abs = realpath(dir, NULL);
	snprintf(keys3, sizeof(keys3), "%s/keys/issuer-3des.keys", abs ? abs : dir);
	free(abs);
	snprintf(text, sizeof(text), PSAM, keys3);
	tmp_file(t, "psam-3des.psam", text, path, sizeof(path));
	CHECK(run(t, "default", "3des", &p) != 0 && p.sw_mac1 == 0x9403,
	      "SM4 card at a 3DES-only PSAM: 8070 %04X", p.sw_mac1);
}

static void tmp_cleanup(const struct tmp *t)
{
	static const char *const extra[] = { "other", "3des" };
	static const char *const exts[] = { "keys", "card", "psam" };
	char path[512];

	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < N_CHOICES + 2; i++) {
			snprintf(path, sizeof(path), "%s/%s-%s.%s", t->dir, exts[k],
				 i < N_CHOICES ? choices[i].tag : extra[i - N_CHOICES], exts[k]);
			unlink(path);
		}
	}
	rmdir(t->dir);
}

static void configurable_choices(const char *dir)
{
	const char *base = getenv("TMPDIR");
	uint8_t tacs[N_CHOICES][4], mac1s[N_CHOICES][4];
	struct tmp t;

	snprintf(t.dir, sizeof(t.dir), "%s/ykt-sm4-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(t.dir)) {
		CHECK(0, "no temporary directory");
		return;
	}
	for (size_t i = 0; i < N_CHOICES; i++)
		write_set(&t, choices[i].tag, choices[i].sm4);
	choices_agree(&t, tacs, mac1s);
	choices_differ(tacs, mac1s);
	choices_disagree(&t);
	wrong_keys(&t, dir);
	tmp_cleanup(&t);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATADIR\n", argv[0]);
		return 1;
	}
	sm4_card(argv[1]);
	dual_cards(argv[1]);
	wrong_algorithm(argv[1], "cards/sm4.card", 0x00, 4500);
	wrong_algorithm(argv[1], "cards/dual.card", 0x00, 5600);
	wrong_algorithm(argv[1], "cards/adult.card", 0x04, 5000);
	configurable_choices(argv[1]);
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	return check_failures ? 1 : 0;
}
