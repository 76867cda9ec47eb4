/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whole purchases through the simulated card and PSAM: MAC1 from the PSAM
 * accepted by the card, TAC and MAC2 checked independently, CAPP caches
 * applied only by a successful DEBIT, 805A proofs, refusals that leave the
 * card untouched.
 */
#include <string.h>

#include "bytes.h"
#include "pboc_crypto.h"
#include "sim_private.h"
#include "sim_test.h"

struct rig {
	const char *dir;
	struct sim_card *card;
	struct sim_psam *psam;
};

static int rig_open(struct rig *g, const char *dir, const char *card)
{
	char path[512], err[256] = "";

	g->dir = dir;
	g->card = NULL;
	g->psam = NULL;
	if (sim_card_load(t_path(dir, card, path, sizeof(path)), &g->card, err, sizeof(err)) ||
	    sim_psam_load(t_path(dir, "psam/psam.psam", path, sizeof(path)), &g->psam, err,
			  sizeof(err))) {
		fprintf(stderr, "load: %s\n", err);
		check_failures++;
		return -1;
	}
	return 0;
}

static void rig_close(struct rig *g)
{
	sim_card_free(g->card);
	sim_psam_free(g->psam);
}

static void fill_1e(uint8_t rec[48], uint8_t type, uint32_t amount)
{
	memset(rec, 0, 48);
	rec[0] = type;
	check_hex("0000001122334455", rec + 1, 8);
	rec[9] = 0x02; /* bus */
	ykt_put_be32(rec + 17, amount);
}

static void purchase_init(struct t_purchase *p, uint8_t type, uint32_t amount)
{
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->amount_fen = amount;
	check_hex("20261121073000", p->datetime, 7);
}

/* The TAC as the clearing platform checks it, from the key file. */
static void check_tac(const struct rig *g, const struct t_purchase *p)
{
	struct sim_keyset ks;
	char path[512], err[200], hex[20];
	uint8_t dtk[16], tac[4];

	if (sim_keys_load(t_path(g->dir, "keys/issuer-3des.keys", path, sizeof(path)), 1, &ks, err,
			  sizeof(err))) {
		CHECK(0, "keys: %s", err);
		return;
	}
	pboc_diversify2(ks.mtk, p->file15, p->file15 + 12, dtk);
	pboc_tac(dtk, p->amount_fen, p->type, p->terminal_no, p->serial, p->datetime, tac);
	CHECK(memcmp(tac, p->tac, 4) == 0, "TAC %s does not verify",
	      check_to_hex(p->tac, 4, hex, sizeof(hex)));
}

static void capp_happy_path(const char *dir)
{
	struct rig g;
	struct t_purchase p;
	struct sim_card_info i;
	uint8_t rec1e[48], d[258];
	size_t n = 0;

	if (rig_open(&g, dir, "cards/adult.card"))
		return;
	purchase_init(&p, 0x09, 200);
	fill_1e(rec1e, 0x06, 200);
	p.rec1e = rec1e;
	CHECK(t_run_purchase(g.card, g.psam, &p) == 0,
	      "CAPP purchase: init %04X mac1 %04X 1e %04X debit %04X mac2 %04X", p.sw_init,
	      p.sw_mac1, p.sw_1e, p.sw_debit, p.sw_mac2);
	check_tac(&g, &p);
	sim_card_info(g.card, &i);
	CHECK(i.balance_fen == 4800, "balance %u", i.balance_fen);
	CHECK(ykt_be16(p.init + 4) == 41 && i.offline_atc == 42, "ATC 41 -> %u", i.offline_atc);
	CHECK(i.n_debits == 1 && i.debits[0].atc == 41 && i.debits[0].amount_fen == 200 &&
		  i.debits[0].trans_type == 0x09 && i.debits[0].terminal_serial == p.serial &&
		  i.debits[0].balance_after_fen == 4800 && memcmp(i.debits[0].tac, p.tac, 4) == 0 &&
		  memcmp(i.debits[0].mac2, p.mac2, 4) == 0,
	      "ledger entry");
	CHECK(i.n_1e == 1 && memcmp(i.rec1e[0], rec1e, 48) == 0, "1E in info");
	CHECK_SW(t_card(g.card, "00B201F430", d, &n), 0x9000, "read 1E");
	CHECK(n == 48 && memcmp(d, rec1e, 48) == 0, "1E record 1 is the cached one");
	CHECK_SW(t_card(g.card, "00B201C417", d, &n), 0x9000, "read 18");
	CHECK(check_eq_hex(d, n, "0029 000000 000000C8 09 001122334455 20261121 073000"),
	      "0x18 record");
	CHECK_SW(t_card(g.card, "805C000204", d, &n), 0x9000, "balance");
	CHECK(check_eq_hex(d, n, "000012C0"), "GET BALANCE after the debit");
	rig_close(&g);
}

/* Two ordinary purchases: serials N and N+1, 18 newest first. */
static void two_purchases(const char *dir)
{
	struct rig g;
	struct t_purchase a, b;
	uint8_t d[258];
	size_t n = 0;

	if (rig_open(&g, dir, "cards/student.card"))
		return;
	purchase_init(&a, 0x06, 100);
	purchase_init(&b, 0x06, 150);
	b.datetime[6] = 0x30;
	CHECK(t_run_purchase(g.card, g.psam, &a) == 0, "first purchase (debit %04X)", a.sw_debit);
	CHECK(t_run_purchase(g.card, g.psam, &b) == 0, "second purchase (debit %04X)", b.sw_debit);
	check_tac(&g, &a);
	check_tac(&g, &b);
	CHECK(a.serial == 1000 && b.serial == 1001, "serials %u %u", a.serial, b.serial);
	CHECK(ykt_be16(b.init + 4) == ykt_be16(a.init + 4) + 1, "ATC moves by one per debit");
	CHECK_SW(t_card(g.card, "00B201C417", d, &n), 0x9000, "18 rec 1");
	CHECK(n == 23 && ykt_be32(d + 5) == 150, "18 record 1 is the newest");
	CHECK_SW(t_card(g.card, "00B202C417", d, &n), 0x9000, "18 rec 2");
	CHECK(n == 23 && ykt_be32(d + 5) == 100, "18 record 2 is the older");
	CHECK_SW(t_card(g.card, "00B203C417", NULL, NULL), 0x6A83, "18 rec 3");
	rig_close(&g);
}

static void wrong_mac1(const char *dir)
{
	struct rig g;
	struct t_purchase p;
	struct sim_card_info i;
	uint8_t rec1e[48];

	if (rig_open(&g, dir, "cards/adult.card"))
		return;
	purchase_init(&p, 0x09, 200);
	fill_1e(rec1e, 0x06, 200);
	p.rec1e = rec1e;
	p.corrupt_mac1 = true;
	CHECK(t_run_purchase(g.card, g.psam, &p) != 0, "purchase with a bad MAC1 went through");
	CHECK_SW(p.sw_debit, 0x9302, "DEBIT with a wrong MAC1");
	sim_card_info(g.card, &i);
	CHECK(i.balance_fen == 5000 && i.offline_atc == 41 && i.n_debits == 0 && i.n_1e == 0,
	      "card unchanged after 9302: balance %u ATC %u", i.balance_fen, i.offline_atc);
	CHECK_SW(t_card(g.card, "00B201F430", NULL, NULL), 0x6A83, "1E not written");
	CHECK_SW(t_card(g.card, "00B201C417", NULL, NULL), 0x6A83, "18 not written");
	/* the session is gone: even the right MAC1 is now refused */
	p.corrupt_mac1 = false;
	CHECK_SW(t_card(g.card, "805401000F 00000000 20261121073000 00000000 08", NULL, NULL),
		 0x6901, "DEBIT after a failed DEBIT");
	rig_close(&g);
}

/* 80DC data stays in the cache until DEBIT; a card leaving loses it. */
static void cache_until_debit(const char *dir)
{
	struct rig g;
	struct t_purchase p;
	struct sim_card_info i;
	uint8_t rec1e[48], rec1a[128], d[258];
	size_t n = 0;

	if (rig_open(&g, dir, "cards/adult.card"))
		return;
	purchase_init(&p, 0x09, 0);
	fill_1e(rec1e, 0x03, 0);
	memset(rec1a, 0x5A, sizeof(rec1a));
	check_hex("27027D", rec1a, 3);
	p.rec1e = rec1e;
	p.rec1a = rec1a;
	p.skip_debit = true;
	CHECK(t_run_purchase(g.card, g.psam, &p) == 0, "INIT + 80DC (1a %04X 1e %04X)", p.sw_1a,
	      p.sw_1e);
	CHECK_SW(t_card(g.card, "00B201F430", NULL, NULL), 0x6A83, "1E not yet written");
	CHECK_SW(t_card(g.card, "00B202D480", d, &n), 0x9000, "2702");
	CHECK(n == 128 && d[3] == 0x00, "2702 not yet written");
	sim_card_reset(g.card); /* the card left the field */
	sim_card_info(g.card, &i);
	CHECK(i.n_1e == 0 && i.n_debits == 0 && i.balance_fen == 5000, "nothing applied");
	/* again, this time to the end, with an entry fare of 0 */
	CHECK(t_run_purchase(g.card, g.psam, &p) == 0, "again");
	p.skip_debit = false;
	purchase_init(&p, 0x09, 0);
	p.rec1e = rec1e;
	p.rec1a = rec1a;
	CHECK(t_run_purchase(g.card, g.psam, &p) == 0, "with DEBIT (debit %04X)", p.sw_debit);
	CHECK_SW(t_card(g.card, "00B202D480", d, &n), 0x9000, "2702");
	CHECK(n == 128 && memcmp(d, rec1a, 128) == 0, "2702 written by DEBIT");
	CHECK_SW(t_card(g.card, "00B201D480", d, &n), 0x9000, "2701");
	CHECK(n == 128 && d[3] == 0x00, "2701 untouched");
	sim_card_info(g.card, &i);
	CHECK(i.n_1e == 1 && memcmp(i.rec1e[0], rec1e, 48) == 0, "one 1E record");
	CHECK(i.offline_atc == 42 && i.balance_fen == 5000, "0 fen debit still moves the ATC");
	rig_close(&g);
}

/* 80DC P1: 00 (TU) or the record-ID low byte (SH); 01 for 2702 is wrong. */
static void capp_p1_forms(const char *dir)
{
	struct rig g;
	struct t_purchase p;
	uint8_t apdu[133] = { 0x80, 0xDC, 0x02, 0xD0, 0x80 };

	if (rig_open(&g, dir, "cards/adult.card"))
		return;
	purchase_init(&p, 0x09, 0);
	p.skip_debit = true;
	CHECK(t_run_purchase(g.card, g.psam, &p) == 0, "CAPP INIT");
	check_hex("27027D", apdu + 5, 3);
	CHECK_SW(t_card_raw(g.card, apdu, sizeof(apdu), NULL, NULL), 0x9000, "P1 = ID low byte");
	apdu[2] = 0x01;
	CHECK_SW(t_card_raw(g.card, apdu, sizeof(apdu), NULL, NULL), 0x6A86, "P1 01 for 2702");
	apdu[2] = 0x00;
	apdu[6] = 0x13;
	CHECK_SW(t_card_raw(g.card, apdu, sizeof(apdu), NULL, NULL), 0x6A83, "ID 2713");
	apdu[3] = 0xD4;
	CHECK_SW(t_card_raw(g.card, apdu, sizeof(apdu), NULL, NULL), 0x6A86, "P2 D4");
	apdu[3] = 0xC0;
	CHECK_SW(t_card_raw(g.card, apdu, sizeof(apdu), NULL, NULL), 0x6981, "80DC to 18");
	rig_close(&g);
}

static void prove(const char *dir)
{
	struct rig g;
	struct t_purchase p, q;
	uint8_t d[258], apdu[8] = { 0x80, 0x5A, 0x00, 0x09, 0x02, 0, 0, 0x08 };
	size_t n = 0;
	uint16_t atc;

	if (rig_open(&g, dir, "cards/adult.card"))
		return;
	purchase_init(&p, 0x09, 300);
	CHECK(t_run_purchase(g.card, g.psam, &p) == 0, "purchase");
	atc = ykt_be16(p.init + 4);
	sim_card_reset(g.card);
	CHECK_SW(t_card(g.card, "00A4040008A000000632010105", NULL, NULL), 0x9000, "reselect");
	ykt_put_be16(apdu + 5, (uint16_t)(atc + 1));
	CHECK_SW(t_card_raw(g.card, apdu, sizeof(apdu), d, &n), 0x9000, "805A with ATC+1");
	CHECK(n == 8 && memcmp(d, p.mac2, 4) == 0 && memcmp(d + 4, p.tac, 4) == 0,
	      "805A answers MAC2 then TAC");
	apdu[3] = 0x06;
	CHECK_SW(t_card_raw(g.card, apdu, sizeof(apdu), NULL, NULL), 0x9406, "wrong type");
	apdu[3] = 0x09;
	ykt_put_be16(apdu + 5, atc);
	CHECK_SW(t_card_raw(g.card, apdu, sizeof(apdu), NULL, NULL), 0x9406, "INIT ATC itself");
	/* a later debit replaces the provable one */
	purchase_init(&q, 0x06, 100);
	CHECK(t_run_purchase(g.card, g.psam, &q) == 0, "second purchase");
	ykt_put_be16(apdu + 5, (uint16_t)(atc + 1));
	CHECK_SW(t_card_raw(g.card, apdu, sizeof(apdu), NULL, NULL), 0x9406, "old proof gone");
	apdu[3] = 0x06;
	ykt_put_be16(apdu + 5, (uint16_t)(atc + 2));
	CHECK_SW(t_card_raw(g.card, apdu, sizeof(apdu), d, &n), 0x9000, "new proof");
	CHECK(n == 8 && memcmp(d, q.mac2, 4) == 0, "new MAC2");
	rig_close(&g);
}

static void refusals(const char *dir)
{
	struct rig g;
	struct t_purchase p;

	if (rig_open(&g, dir, "cards/lowbalance.card"))
		return;
	purchase_init(&p, 0x06, 200);
	CHECK(t_run_purchase(g.card, g.psam, &p) != 0 && p.sw_init == 0x9401,
	      "200 fen on a 50 fen card: INIT %04X", p.sw_init);
	purchase_init(&p, 0x06, 50);
	CHECK(t_run_purchase(g.card, g.psam, &p) == 0, "the whole balance");
	purchase_init(&p, 0x06, 1);
	CHECK(t_run_purchase(g.card, g.psam, &p) != 0 && p.sw_init == 0x9401, "empty card");
	rig_close(&g);
}

/* The Shanghai card: another issuer id, a 7-byte UID, same key file. */
static void other_issuer(const char *dir)
{
	struct rig g;
	struct t_purchase p;

	if (rig_open(&g, dir, "cards/shanghai.card"))
		return;
	purchase_init(&p, 0x09, 400);
	CHECK(t_run_purchase(g.card, g.psam, &p) == 0, "Shanghai card (debit %04X)", p.sw_debit);
	check_tac(&g, &p);
	rig_close(&g);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATADIR\n", argv[0]);
		return 1;
	}
	capp_happy_path(argv[1]);
	two_purchases(argv[1]);
	wrong_mac1(argv[1]);
	cache_until_debit(argv[1]);
	capp_p1_forms(argv[1]);
	prove(argv[1]);
	refusals(argv[1]);
	other_issuer(argv[1]);
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	return check_failures ? 1 : 0;
}
