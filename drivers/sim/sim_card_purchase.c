/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated card's electronic purse: GET BALANCE, GET CHALLENGE,
 * INITIALIZE FOR (CAPP) PURCHASE, UPDATE CAPP DATA CACHE, DEBIT,
 * GET TRANSACTION PROVE, and APPLICATION BLOCK (the blacklist lock).
 *
 * A DEBIT is all or nothing: every check and every MAC is computed before
 * the first byte of persistent state changes, so an error answer always
 * means the card is as it was.
 */
#include "sim_private.h"

#include <string.h>

#include "bytes.h"
#include "pboc_crypto.h"

#define TYPE_PURCHASE 0x06
#define TYPE_CAPP     0x09

/* Balance plus the overdraft still available (may be below zero only if
 * the profile is odd; callers compare in 64 bits). */
static int64_t available_fen(const struct sim_card *card)
{
	return (int64_t)card->balance_fen - card->overdrawn_fen + card->overdraft_limit_fen;
}

/* ---- GET BALANCE 805C P1 02 04 ---- */

/* P1 00 and 03 both give B (see docs/simulator.md: the P1 map is not
 * settled in the sources); 01 the overdraft limit C, 02 the overdrawn D. */
static bool balance_value(const struct sim_card *card, uint8_t p1, uint32_t *ret)
{
	switch (p1) {
	case 0x00:
	case 0x03:
		*ret = card->balance_fen;
		return true;
	case 0x01:
		*ret = card->overdraft_limit_fen;
		return true;
	case 0x02:
		*ret = card->overdrawn_fen;
		return true;
	default:
		return false;
	}
}

uint16_t sim_card_get_balance(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	uint8_t out[4];
	uint32_t v;

	if (a->lc != 0 || !a->has_le)
		return SW_WRONG_LENGTH;
	if (a->p2 != 0x02 || !balance_value(card, a->p1, &v))
		return SW_WRONG_P1P2;
	if (a->le != 4 && a->le != 256)
		return SW_WRONG_LE | 4;
	if (card->sel != SIM_SEL_EP)
		return SW_CONDITIONS;
	ykt_put_be32(out, v);
	sim_rbuf_put(r, out, sizeof(out));
	return SW_OK;
}

/* ---- GET CHALLENGE 0084 0000 04|08 ---- */

uint16_t sim_card_get_challenge(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	if (a->p1 != 0 || a->p2 != 0)
		return SW_WRONG_P1P2;
	if (a->lc != 0 || !a->has_le || (a->le != 4 && a->le != 8))
		return SW_WRONG_LENGTH;
	sim_prng_fill(&card->prng, card->challenge, a->le);
	card->challenge_len = a->le;
	sim_rbuf_put(r, card->challenge, a->le);
	return SW_OK;
}

/* ---- INITIALIZE FOR (CAPP) PURCHASE 8050 01|03 02 0B ---- */

static uint16_t init_checks(const struct sim_card *card, const struct sim_apdu *a)
{
	if ((a->p1 != 0x01 && a->p1 != 0x03) || a->p2 != 0x02)
		return SW_WRONG_P1P2;
	if (a->p1 == 0x03 && !card->prof.capp)
		return SW_FUNC_NOT_SUPPORTED; /* an EP without the CAPP cache */
	if (a->lc != 0x0B || !sim_apdu_le_ok(a, 0x0F))
		return SW_WRONG_LENGTH;
	if (card->sel != SIM_SEL_EP || card->prof.state != SIM_CARD_ACTIVE)
		return SW_CONDITIONS;
	if (a->data[0] != card->prof.key_index)
		return SW_KEY_UNSUPPORTED;
	if (card->atc == 0xFFFF)
		return SW_ATC_MAX;
	if ((int64_t)ykt_be32(a->data + 1) > available_fen(card))
		return SW_INSUFFICIENT;
	return SW_OK;
}

/* The key set INITIALIZE uses: the only one, or the dual card's `prefer`. */
static enum sim_alg init_alg(const struct sim_card *card)
{
	switch (card->prof.algorithm) {
	case SIM_CARD_ALG_SM4:
		return SIM_ALG_SM4;
	case SIM_CARD_ALG_DUAL:
		return (enum sim_alg)card->prof.prefer;
	default:
		return SIM_ALG_3DES;
	}
}

/* The algorithm id INIT reports tells the terminal (and through 8070 the
 * PSAM) which key set to use: the profile's for 3DES, the key file's
 * [sm4] algorithm_id for SM4. */
static uint8_t init_algorithm_id(const struct sim_card *card)
{
	if (card->sess.alg == SIM_ALG_SM4)
		return card->prof.keys.sm4.algorithm_id;
	return card->prof.algorithm_id;
}

static void put_init_answer(const struct sim_card *card, struct sim_rbuf *r)
{
	uint8_t out[15];
	int64_t shown = available_fen(card);

	/* balance including the usable overdraft: SH subtracts the limit */
	ykt_put_be32(out, shown < 0 ? 0 : (uint32_t)shown);
	ykt_put_be16(out + 4, card->atc);
	ykt_put_be24(out + 6, card->overdraft_limit_fen);
	out[9] = card->prof.key_version;
	out[10] = init_algorithm_id(card);
	memcpy(out + 11, card->sess.random, 4);
	sim_rbuf_put(r, out, sizeof(out));
}

uint16_t sim_card_initialize(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	uint16_t sw = init_checks(card, a);
	struct sim_session *s = &card->sess;

	if (sw != SW_OK)
		return sw;
	/* a new INIT replaces whatever was started before, caches included */
	*s = (struct sim_session){
		.active = true,
		.alg = init_alg(card),
		.trans_type = a->p1 == 0x03 ? TYPE_CAPP : TYPE_PURCHASE,
		.amount_fen = ykt_be32(a->data + 1),
		.atc = card->atc,
	};
	memcpy(s->terminal_no, a->data + 5, 6);
	sim_prng_fill(&card->prng, s->random, sizeof(s->random));
	put_init_answer(card, r);
	return SW_OK;
}

/* ---- UPDATE CAPP DATA CACHE 80DC P1 D0|F0 ---- */

static uint16_t cache_1a(struct sim_card *card, const struct sim_apdu *a)
{
	uint8_t rec_no;

	if (a->lc != SIM_1A_LEN)
		return SW_WRONG_LENGTH;
	if (!card->sess.active || card->sess.trans_type != TYPE_CAPP)
		return SW_STATE;
	/* the record is found by the ID inside the data; P1 may be 00 (TU)
	 * or the ID's low byte (SH) */
	rec_no = a->data[1];
	if (a->data[0] != 0x27 || rec_no < 1 || rec_no > SIM_1A_RECORDS)
		return SW_RECORD_NOT_FOUND;
	if (a->p1 != 0x00 && a->p1 != rec_no)
		return SW_WRONG_P1P2;
	memcpy(card->sess.cache.rec1a[rec_no - 1], a->data, SIM_1A_LEN);
	card->sess.cache.has_1a[rec_no - 1] = true;
	return SW_OK;
}

static uint16_t cache_1e(struct sim_card *card, const struct sim_apdu *a)
{
	if (a->p1 != 0x00)
		return SW_WRONG_P1P2;
	if (a->lc != SIM_1E_LEN)
		return SW_WRONG_LENGTH;
	if (!card->sess.active || card->sess.trans_type != TYPE_CAPP)
		return SW_STATE;
	/* one 1E record per transaction: a second update replaces the first */
	memcpy(card->sess.cache.rec1e, a->data, SIM_1E_LEN);
	card->sess.cache.has_1e = true;
	return SW_OK;
}

uint16_t sim_card_update_capp(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	uint8_t sfi = a->p2 >> 3;

	if (a->p2 & 0x07)
		return SW_WRONG_P1P2;
	if (card->sel != SIM_SEL_EP)
		return SW_CONDITIONS;
	if (sfi == 0x1A)
		return cache_1a(card, a);
	if (sfi == 0x1E)
		return cache_1e(card, a);
	if (sfi == 0x15 || sfi == 0x16 || sfi == 0x17 || sfi == 0x18)
		return SW_INCOMPATIBLE_FILE; /* exists, but not a CAPP file */
	return SW_FILE_NOT_FOUND;
}

/* ---- DEBIT FOR (CAPP) PURCHASE 8054 01 00 0F ---- */

/* Everything DEBIT computes before it commits. */
struct debit_calc {
	uint32_t serial;
	const uint8_t *datetime;
	uint8_t sk[16]; /* 8 bytes used with 3DES */
	uint8_t mac2[4], tac[4];
};

/* amount ‖ type ‖ terminal no ‖ date-time, as the PSAM MACs it */
static void mac1_input(const struct sim_session *s, const uint8_t datetime[7], uint8_t out[18])
{
	ykt_put_be32(out, s->amount_fen);
	out[4] = s->trans_type;
	memcpy(out + 5, s->terminal_no, 6);
	memcpy(out + 11, datetime, 7);
}

/* 0 and the MACs when MAC1 is right; an SW otherwise. MAC1, MAC2 and the
 * TAC use the key set INIT chose. */
static uint16_t debit_compute(const struct sim_card *card, const uint8_t *data,
			      struct debit_calc *c)
{
	const struct sim_session *s = &card->sess;
	const struct pboc_sm4_profile *sm4 = &card->prof.keys.sm4;
	bool is_sm4 = s->alg == SIM_ALG_SM4;
	uint8_t in[18], mac1[4], amount[4];

	c->serial = ykt_be32(data);
	c->datetime = data + 4;
	mac1_input(s, c->datetime, in);
	if (sim_alg_session_key(s->alg, sm4, is_sm4 ? card->dpk_sm4 : card->dpk, s->random, s->atc,
				c->serial, c->sk) ||
	    sim_alg_mac(s->alg, sm4, c->sk, in, sizeof(in), mac1))
		return SW_INTERNAL;
	if (memcmp(mac1, data + 11, 4) != 0)
		return SW_MAC_INVALID;
	ykt_put_be32(amount, s->amount_fen);
	if (sim_alg_mac(s->alg, sm4, c->sk, amount, sizeof(amount), c->mac2) ||
	    sim_alg_tac(s->alg, sm4, is_sm4 ? card->dtk_sm4 : card->dtk, s->amount_fen,
			s->trans_type, s->terminal_no, c->serial, c->datetime, c->tac))
		return SW_INTERNAL;
	return 0;
}

static void apply_amount(struct sim_card *card, uint32_t amount)
{
	if (amount <= card->balance_fen) {
		card->balance_fen -= amount;
		return;
	}
	card->overdrawn_fen += amount - card->balance_fen;
	card->balance_fen = 0;
}

/* Cyclic files keep the newest record first, as READ RECORD 1 shows it. */
static void push_cyclic(void *recs, size_t n_max, size_t rec_len, size_t *n, const uint8_t *rec)
{
	uint8_t *base = recs;

	memmove(base + rec_len, base, (n_max - 1) * rec_len);
	memcpy(base, rec, rec_len);
	if (*n < n_max)
		(*n)++;
}

static void apply_cache(struct sim_card *card)
{
	const struct sim_capp_cache *cache = &card->sess.cache;

	for (size_t i = 0; i < SIM_1A_RECORDS; i++)
		if (cache->has_1a[i])
			memcpy(card->rec1a[i], cache->rec1a[i], SIM_1A_LEN);
	if (cache->has_1e)
		push_cyclic(card->rec1e, SIM_1E_RECORDS, SIM_1E_LEN, &card->n1e, cache->rec1e);
}

static void append_18(struct sim_card *card, const struct debit_calc *c)
{
	const struct sim_session *s = &card->sess;
	uint8_t rec[SIM_18_LEN];

	ykt_put_be16(rec, s->atc);
	ykt_put_be24(rec + 2, card->overdraft_limit_fen);
	ykt_put_be32(rec + 5, s->amount_fen);
	rec[9] = s->trans_type;
	memcpy(rec + 10, s->terminal_no, 6);
	memcpy(rec + 16, c->datetime, 7); /* date(4) ‖ time(3) */
	push_cyclic(card->rec18, SIM_18_RECORDS, SIM_18_LEN, &card->n18, rec);
}

/* The ledger is for tests; when full it drops the oldest entry. */
static void append_ledger(struct sim_card *card, const struct debit_calc *c)
{
	const struct sim_session *s = &card->sess;
	struct sim_debit *d;

	if (card->n_ledger == SIM_MAX_LEDGER) {
		memmove(card->ledger, card->ledger + 1, (SIM_MAX_LEDGER - 1) * sizeof(*d));
		card->n_ledger--;
	}
	d = &card->ledger[card->n_ledger++];
	*d = (struct sim_debit){
		.atc = s->atc,
		.amount_fen = s->amount_fen,
		.trans_type = s->trans_type,
		.terminal_serial = c->serial,
		.balance_after_fen = card->balance_fen,
	};
	memcpy(d->terminal_no, s->terminal_no, 6);
	memcpy(d->datetime, c->datetime, 7);
	memcpy(d->tac, c->tac, 4);
	memcpy(d->mac2, c->mac2, 4);
}

static void debit_commit(struct sim_card *card, const struct debit_calc *c)
{
	const struct sim_session *s = &card->sess;

	apply_amount(card, s->amount_fen);
	card->atc = (uint16_t)(s->atc + 1);
	apply_cache(card);
	append_18(card, c);
	append_ledger(card, c);
	card->proof = (struct sim_proof){
		.valid = true,
		.atc_after = card->atc,
		.trans_type = s->trans_type,
	};
	memcpy(card->proof.mac2, c->mac2, 4);
	memcpy(card->proof.tac, c->tac, 4);
	card->sess = (struct sim_session){ 0 };
}

uint16_t sim_card_debit(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	struct debit_calc c;
	uint16_t sw;

	if (a->p1 != 0x01 || a->p2 != 0x00)
		return SW_WRONG_P1P2;
	if (a->lc != 0x0F || !sim_apdu_le_ok(a, 8))
		return SW_WRONG_LENGTH;
	if (card->sel != SIM_SEL_EP)
		return SW_CONDITIONS;
	if (!card->sess.active)
		return SW_STATE;
	sw = debit_compute(card, a->data, &c);
	memset(c.sk, 0, sizeof(c.sk));
	if (sw != 0) {
		/* a wrong MAC1 ends the transaction; nothing was changed */
		card->sess = (struct sim_session){ 0 };
		return sw;
	}
	debit_commit(card, &c);
	sim_rbuf_put(r, c.tac, 4);
	sim_rbuf_put(r, c.mac2, 4);
	return SW_OK;
}

/* ---- GET TRANSACTION PROVE 805A 00 P2 02 ---- */

uint16_t sim_card_prove(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	const struct sim_proof *p = &card->proof;

	if (a->p1 != 0x00)
		return SW_WRONG_P1P2;
	if (a->lc != 2 || !sim_apdu_le_ok(a, 8))
		return SW_WRONG_LENGTH;
	if (card->sel != SIM_SEL_EP)
		return SW_CONDITIONS;
	/* only the last debit is provable, and only under its own type */
	if (!p->valid || ykt_be16(a->data) != p->atc_after || a->p2 != p->trans_type)
		return SW_NO_PROOF;
	sim_rbuf_put(r, p->mac2, 4);
	sim_rbuf_put(r, p->tac, 4);
	return SW_OK;
}

/* ---- APPLICATION BLOCK 841E 00 P2 04 + MAC ---- */

/* The MAC the PSAM computes for 841E (jtt978.md §4.5, §5.4): with DAMK,
 * IV = challenge(4) ‖ 00 x 4, over the command header 841E 00 P2 04 padded
 * 80 00 00. */
static int block_mac(const struct sim_card *card, uint8_t p2, uint8_t mac[4])
{
	uint8_t iv[8] = { 0 }, data[8] = { 0x84, 0x1E, 0x00, p2, 0x04, 0x80, 0x00, 0x00 };

	memcpy(iv, card->challenge, 4);
	return pboc_mac_3des(card->damk, iv, data, sizeof(data), mac);
}

static uint16_t block_checks(const struct sim_card *card, const struct sim_apdu *a)
{
	if (a->p2 > 0x01)
		return SW_WRONG_P1P2;
	/* P1 01 asks for an SM4 MAC: its key and form are not sourced */
	if (a->p1 != 0x00)
		return a->p1 == 0x01 ? SW_FUNC_NOT_SUPPORTED : SW_WRONG_P1P2;
	if (a->lc != 4 || a->has_le)
		return SW_WRONG_LENGTH;
	if (card->sel != SIM_SEL_EP || card->prof.state != SIM_CARD_ACTIVE)
		return SW_CONDITIONS;
	if (!card->has_damk)
		return SW_FUNC_NOT_SUPPORTED;
	if (card->challenge_len < 4)
		return SW_RANDOM_INVALID;
	return SW_OK;
}

uint16_t sim_card_app_block(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	uint16_t sw = block_checks(card, a);
	uint8_t mac[4];

	if (sw == SW_OK && block_mac(card, a->p2, mac) != 0)
		sw = SW_INTERNAL;
	if (sw == SW_OK && memcmp(mac, a->data, 4) != 0)
		sw = SW_SM_MAC_INVALID;
	/* a challenge serves one secure-messaging command, right or wrong */
	if (sw != SW_WRONG_P1P2 && sw != SW_WRONG_LENGTH)
		card->challenge_len = 0;
	if (sw != SW_OK)
		return sw;
	card->prof.state = a->p2 == 0x01 ? SIM_CARD_BLOCKED_PERM : SIM_CARD_BLOCKED_TEMP;
	card->sess = (struct sim_session){ 0 };
	card->n_blocks++;
	return SW_OK;
}
