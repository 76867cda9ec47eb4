/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated T-Union card: object life cycle, command dispatch,
 * application selection and the file reads.  The purse commands (balance,
 * INITIALIZE, 80DC, DEBIT, 805A) are in sim_card_purchase.c.
 */
#include "sim_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "pboc_crypto.h"

static const uint8_t ppse_name[] = "2PAY.SYS.DDF01";
static const uint8_t ep_label[] = "MOT_T_EP";
static const uint8_t uid_tag[] = "UID"; /* keeps the UID sequence apart from INIT randoms */

#define PPSE_NAME_LEN (sizeof(ppse_name) - 1)
#define EP_LABEL_LEN  (sizeof(ep_label) - 1)

/* ---- building the files from the profile ---- */

static void build_file15(struct sim_card *card)
{
	const struct sim_card_profile *p = &card->prof;
	uint8_t *f = card->file15;

	memcpy(f, p->issuer_id, 8);
	f[8] = p->app_type;
	f[9] = p->app_version;
	memcpy(f + 10, p->app_serial, 10);
	memcpy(f + 20, p->start_date, 4);
	memcpy(f + 24, p->expiry_date, 4);
	f[28] = p->card_type;
	f[29] = p->deposit;
}

static void build_file17(struct sim_card *card)
{
	const struct sim_card_profile *p = &card->prof;
	uint8_t *f = card->file17;

	memcpy(f, p->country, 4);
	memcpy(f + 4, p->province, 2);
	memcpy(f + 6, p->city, 2);
	memcpy(f + 8, p->interconnect, 2);
	f[10] = p->card_kind;
}

/* 1A records start as a bare header: ID 27xx, length 7D, body zero. */
static void build_1a(struct sim_card *card)
{
	for (size_t i = 0; i < SIM_1A_RECORDS; i++) {
		card->rec1a[i][0] = 0x27;
		card->rec1a[i][1] = (uint8_t)(i + 1);
		card->rec1a[i][2] = SIM_1A_LEN - 3;
	}
}

/* DPK and DTK of each key set the card holds: two-level diversification,
 * issuer id then file-15 bytes 12..19 (the low 8 bytes of the serial). */
static int derive_keys(struct sim_card *card)
{
	const struct sim_card_profile *p = &card->prof;
	const uint8_t *serial = p->app_serial + 2;
	int r = 0;

	if (p->algorithm != SIM_CARD_ALG_SM4) {
		r = pboc_diversify2(p->keys.mpk, p->issuer_id, serial, card->dpk);
		if (r == 0)
			r = pboc_diversify2(p->keys.mtk, p->issuer_id, serial, card->dtk);
	}
	/* the line-protection key of APPLICATION BLOCK, 3DES only: the SM4
	 * form of that MAC is not sourced (jtt978.md §5.5) */
	if (r == 0 && p->algorithm != SIM_CARD_ALG_SM4 && p->keys.has_mamk) {
		r = pboc_diversify2(p->keys.mamk, p->issuer_id, serial, card->damk);
		card->has_damk = r == 0;
	}
	if (r == 0 && p->algorithm != SIM_CARD_ALG_3DES) {
		r = pboc_sm4_diversify2(p->keys.mpk_sm4, p->issuer_id, serial, card->dpk_sm4);
		if (r == 0)
			r = pboc_sm4_diversify2(p->keys.mtk_sm4, p->issuer_id, serial,
						card->dtk_sm4);
	}
	return r;
}

/* The bytes every "random" number of the card derives from: the profile's
 * seed (8 bytes, big-endian) or else the application serial. */
static size_t seed_bytes(const struct sim_card *card, uint8_t out[16])
{
	if (!card->prof.has_seed) {
		memcpy(out, card->prof.app_serial, sizeof(card->prof.app_serial));
		return sizeof(card->prof.app_serial);
	}
	ykt_put_be32(out, (uint32_t)(card->prof.seed >> 32));
	ykt_put_be32(out + 4, (uint32_t)card->prof.seed);
	return 8;
}

static void seed_prng(struct sim_card *card)
{
	uint8_t seed[16];

	sim_prng_seed(&card->prng, seed, seed_bytes(card, seed));
}

/* A fixed UID from the profile, or random UID number n_resets: the seed,
 * "UID" and the counter, so every run gives the same sequence. Type A
 * random UIDs are 08 ‖ 3 random bytes (ISO/IEC 14443-3); a Type B PUPI
 * has no such marker: 4 random bytes. */
static void make_uid(struct sim_card *card)
{
	uint8_t seed[16 + sizeof(uid_tag) + 4];
	size_t n = seed_bytes(card, seed);
	struct sim_prng prng;

	if (card->prof.uid_len) {
		memcpy(card->uid, card->prof.uid, sizeof(card->uid));
		card->uid_len = card->prof.uid_len;
		return;
	}
	memcpy(seed + n, uid_tag, sizeof(uid_tag));
	ykt_put_be32(seed + n + sizeof(uid_tag), card->n_resets);
	sim_prng_seed(&prng, seed, n + sizeof(uid_tag) + 4);
	memset(card->uid, 0, sizeof(card->uid));
	sim_prng_fill(&prng, card->uid, 4);
	if (card->prof.rf_type == SIM_RF_A)
		card->uid[0] = 0x08;
	card->uid_len = 4;
}

static void card_init_state(struct sim_card *card)
{
	build_file15(card);
	build_file17(card);
	build_1a(card);
	card->balance_fen = card->prof.balance_fen;
	card->overdraft_limit_fen = card->prof.overdraft_limit_fen;
	card->atc = card->prof.offline_atc;
	card->initial_balance_fen = card->balance_fen;
	card->initial_atc = card->atc;
	card->sel = SIM_SEL_MF;
	seed_prng(card);
	make_uid(card);
}

int sim_card_load(const char *profile_path, struct sim_card **ret_card, char *err, size_t err_len)
{
	struct sim_card *card;
	int r;

	if (!profile_path || !ret_card)
		return -EINVAL;
	card = calloc(1, sizeof(*card));
	if (!card)
		return -ENOMEM;
	r = sim_card_profile_load(profile_path, &card->prof, err, err_len);
	if (r == 0)
		r = derive_keys(card);
	if (r < 0) {
		sim_card_free(card);
		return r;
	}
	card_init_state(card);
	*ret_card = card;
	return 0;
}

void sim_card_free(struct sim_card *card)
{
	if (!card)
		return;
	/* test keys only, but a freed key should not linger in the heap */
	memset(card->dpk, 0, sizeof(card->dpk));
	memset(card->dtk, 0, sizeof(card->dtk));
	memset(card->dpk_sm4, 0, sizeof(card->dpk_sm4));
	memset(card->dtk_sm4, 0, sizeof(card->dtk_sm4));
	memset(card->damk, 0, sizeof(card->damk));
	memset(&card->prof.keys, 0, sizeof(card->prof.keys));
	free(card);
}

void sim_card_reset(struct sim_card *card)
{
	if (!card)
		return;
	card->sel = SIM_SEL_MF;
	card->sess = (struct sim_session){ 0 };
	card->challenge_len = 0;
	card->n_resets++;
	make_uid(card); /* a new random UID; a fixed one stays */
}

void sim_card_info(const struct sim_card *card, struct sim_card_info *ret)
{
	*ret = (struct sim_card_info){
		.name = card->prof.name,
		.uid_len = card->uid_len,
		.balance_fen = card->balance_fen,
		.overdraft_limit_fen = card->overdraft_limit_fen,
		.offline_atc = card->atc,
		.initial_balance_fen = card->initial_balance_fen,
		.initial_atc = card->initial_atc,
		.n_debits = card->n_ledger,
		.debits = card->ledger,
		.n_1e = card->n1e,
		.rec1e = card->rec1e,
		.n_1a = SIM_1A_RECORDS,
		.rec1a = card->rec1a,
		.rf_type = card->prof.rf_type == SIM_RF_B ? 'B' : 'A',
		.aid_len = card->prof.aid_len,
		.app_state = card->prof.state == SIM_CARD_BLOCKED_PERM	 ? 2
			     : card->prof.state == SIM_CARD_BLOCKED_TEMP ? 1
									 : 0,
		.n_blocks = card->n_blocks,
		.overdrawn_fen = card->overdrawn_fen,
	};
	memcpy(ret->uid, card->uid, sizeof(ret->uid));
	memcpy(ret->aid, card->prof.aid, sizeof(ret->aid));
	memcpy(ret->file15, card->file15, sizeof(ret->file15));
	memcpy(ret->file17, card->file17, sizeof(ret->file17));
}

int sim_card_preset_1a(struct sim_card *card, const uint8_t rec[128])
{
	if (rec[0] != 0x27 || rec[1] < 1 || rec[1] > SIM_1A_RECORDS)
		return -EINVAL;
	memcpy(card->rec1a[rec[1] - 1], rec, SIM_1A_LEN);
	return 0;
}

void sim_card_preset_1e(struct sim_card *card, const uint8_t rec[48])
{
	memmove(card->rec1e[1], card->rec1e[0], (SIM_1E_RECORDS - 1) * SIM_1E_LEN);
	memcpy(card->rec1e[0], rec, SIM_1E_LEN);
	if (card->n1e < SIM_1E_RECORDS)
		card->n1e++;
}

/* ---- SELECT ---- */

/* BER-TLV with a one- or two-byte tag and a short-form length (< 128). */
static void put_tlv(struct sim_rbuf *r, uint16_t tag, const uint8_t *v, size_t len)
{
	if (tag > 0xFF)
		sim_rbuf_byte(r, (uint8_t)(tag >> 8));
	sim_rbuf_byte(r, (uint8_t)tag);
	sim_rbuf_byte(r, (uint8_t)len);
	sim_rbuf_put(r, v, len);
}

/* FCI: 6F { 84 name, A5 proprietary } */
static void put_fci(struct sim_rbuf *r, const uint8_t *name, size_t name_len, const uint8_t *a5,
		    size_t a5_len)
{
	uint8_t buf[128];
	struct sim_rbuf in = { buf, sizeof(buf), 0 };

	put_tlv(&in, 0x84, name, name_len);
	put_tlv(&in, 0xA5, a5, a5_len);
	put_tlv(r, 0x6F, buf, in.len);
}

/* PPSE directory: one entry, the EP under the profile's AID (we model no
 * EC application). */
static void put_ppse_fci(const struct sim_card *card, struct sim_rbuf *r)
{
	static const uint8_t priority = 0x02;
	uint8_t entry[48], dir[56], a5[64];
	struct sim_rbuf e = { entry, sizeof(entry), 0 }, d = { dir, sizeof(dir), 0 };
	struct sim_rbuf p = { a5, sizeof(a5), 0 };

	put_tlv(&e, 0x4F, card->prof.aid, card->prof.aid_len);
	put_tlv(&e, 0x50, ep_label, EP_LABEL_LEN);
	put_tlv(&e, 0x87, &priority, 1);
	put_tlv(&d, 0x61, entry, e.len);
	put_tlv(&p, 0xBF0C, dir, d.len);
	put_fci(r, ppse_name, PPSE_NAME_LEN, a5, p.len);
}

/* EP FCI: 84 the full AID (also after a prefix SELECT), A5 { 9F08
 * application version 02, 9F0C the file-15 image (unless the profile
 * says fci_file15 = 0: the terminal then reads file 15) } */
static void put_ep_fci(const struct sim_card *card, struct sim_rbuf *r)
{
	static const uint8_t version = 0x02;
	uint8_t a5[48];
	struct sim_rbuf p = { a5, sizeof(a5), 0 };

	put_tlv(&p, 0x9F08, &version, 1);
	if (card->prof.fci_file15)
		put_tlv(&p, 0x9F0C, card->file15, sizeof(card->file15));
	put_fci(r, card->prof.aid, card->prof.aid_len, a5, p.len);
}

static uint16_t select_ep(struct sim_card *card, struct sim_rbuf *r)
{
	if (card->prof.state == SIM_CARD_BLOCKED_PERM) {
		card->sel = SIM_SEL_MF;
		return SW_APP_LOCKED;
	}
	card->sel = SIM_SEL_EP;
	put_ep_fci(card, r);
	return card->prof.state == SIM_CARD_BLOCKED_TEMP ? SW_FILE_INVALIDATED : SW_OK;
}

/* The exact AID; its first 8 bytes only when the profile allows it (a
 * phone's 16-byte AID is normally selected in full, as PPSE lists it). */
static bool is_ep_aid(const struct sim_card *card, const uint8_t *name, size_t len)
{
	const struct sim_card_profile *p = &card->prof;

	if (len == p->aid_len && memcmp(name, p->aid, len) == 0)
		return true;
	return p->select_prefix && p->aid_len > 8 && len == 8 && memcmp(name, p->aid, 8) == 0;
}

static uint16_t select_by_name(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	if (a->lc == PPSE_NAME_LEN && memcmp(a->data, ppse_name, PPSE_NAME_LEN) == 0) {
		card->sel = SIM_SEL_PPSE;
		put_ppse_fci(card, r);
		return SW_OK;
	}
	if (is_ep_aid(card, a->data, a->lc))
		return select_ep(card, r);
	return SW_FILE_NOT_FOUND;
}

/* Only the MF by FID; the EP has no FID on T-Union cards (§1.2). */
static uint16_t select_by_fid(struct sim_card *card, const struct sim_apdu *a)
{
	if (a->lc != 2)
		return SW_WRONG_LENGTH;
	if (ykt_be16(a->data) != 0x3F00)
		return SW_FILE_NOT_FOUND;
	card->sel = SIM_SEL_MF;
	return SW_OK;
}

static uint16_t cmd_select(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	if ((a->p1 != 0x04 && a->p1 != 0x00) || a->p2 != 0x00)
		return SW_WRONG_P1P2;
	if (a->lc == 0)
		return SW_WRONG_LENGTH;
	/* selecting anything ends a started purchase, as on a real card */
	card->sess = (struct sim_session){ 0 };
	if (a->p1 == 0x00)
		return select_by_fid(card, a);
	return select_by_name(card, a, r);
}

/* ---- READ BINARY / READ RECORD ---- */

static const uint8_t *binary_file(const struct sim_card *card, uint8_t sfi, size_t *ret_len)
{
	switch (sfi) {
	case 0x15:
		*ret_len = sizeof(card->file15);
		return card->file15;
	case 0x16:
		*ret_len = sizeof(card->file16);
		return card->file16;
	case 0x17:
		*ret_len = sizeof(card->file17);
		return card->file17;
	default:
		return NULL;
	}
}

static bool is_record_file(uint8_t sfi)
{
	return sfi == 0x18 || sfi == 0x1A || sfi == 0x1E;
}

static uint16_t cmd_read_binary(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	const uint8_t *file;
	size_t len = 0;
	uint8_t sfi = a->p1 & 0x1F;

	if (a->lc != 0 || !a->has_le)
		return SW_WRONG_LENGTH;
	if (!(a->p1 & 0x80))
		return SW_NO_CURRENT_EF; /* offset form needs a current EF; we keep none */
	if (a->p1 & 0x60)
		return SW_WRONG_P1P2;
	if (card->sel != SIM_SEL_EP)
		return SW_FILE_NOT_FOUND;
	file = binary_file(card, sfi, &len);
	if (!file)
		return is_record_file(sfi) ? SW_INCOMPATIBLE_FILE : SW_FILE_NOT_FOUND;
	return sim_read_slice(file, len, a->p2, a->le, r);
}

/* Record n (1-based) of SFI sfi, or NULL with the SW to answer. */
static const uint8_t *record(const struct sim_card *card, uint8_t sfi, uint8_t n, size_t *ret_len,
			     uint16_t *ret_sw)
{
	*ret_sw = SW_RECORD_NOT_FOUND;
	if (sfi == 0x18 && n >= 1 && n <= card->n18) {
		*ret_len = SIM_18_LEN;
		return card->rec18[n - 1];
	}
	if (sfi == 0x1A && n >= 1 && n <= SIM_1A_RECORDS) {
		*ret_len = SIM_1A_LEN;
		return card->rec1a[n - 1];
	}
	if (sfi == 0x1E && n >= 1 && n <= card->n1e) {
		*ret_len = SIM_1E_LEN;
		return card->rec1e[n - 1];
	}
	if (!is_record_file(sfi)) {
		size_t ignored;

		*ret_sw =
		    binary_file(card, sfi, &ignored) ? SW_INCOMPATIBLE_FILE : SW_FILE_NOT_FOUND;
	}
	return NULL;
}

static uint16_t cmd_read_record(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	const uint8_t *rec;
	size_t len = 0;
	uint16_t sw;

	if (a->lc != 0 || !a->has_le)
		return SW_WRONG_LENGTH;
	/* only "record P1 of the EF with SFI P2>>3"; P1 00 (current) unsupported */
	if ((a->p2 & 0x07) != 0x04 || (a->p2 >> 3) == 0 || a->p1 == 0)
		return SW_WRONG_P1P2;
	if (card->sel != SIM_SEL_EP)
		return SW_FILE_NOT_FOUND;
	rec = record(card, a->p2 >> 3, a->p1, &len, &sw);
	if (!rec)
		return sw;
	if (a->le != 256 && a->le != len)
		return (uint16_t)(SW_WRONG_LE | len);
	sim_rbuf_put(r, rec, len);
	return SW_OK;
}

/* ---- dispatch ---- */

static const struct {
	uint8_t cla, ins;
	sim_card_cmd_fn fn;
} card_cmds[] = {
	{ 0x00, 0xA4, cmd_select },	      { 0x00, 0xB0, cmd_read_binary },
	{ 0x00, 0xB2, cmd_read_record },      { 0x00, 0x84, sim_card_get_challenge },
	{ 0x80, 0x5C, sim_card_get_balance }, { 0x80, 0x50, sim_card_initialize },
	{ 0x80, 0xDC, sim_card_update_capp }, { 0x80, 0x54, sim_card_debit },
	{ 0x80, 0x5A, sim_card_prove },	      { 0x84, 0x1E, sim_card_app_block },
};

static uint16_t card_dispatch(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r)
{
	bool ins_known = false;

	if (a->cla != 0x00 && a->cla != 0x80 && a->cla != 0x84)
		return SW_CLA_UNSUPPORTED;
	for (size_t i = 0; i < sizeof(card_cmds) / sizeof(card_cmds[0]); i++) {
		if (card_cmds[i].ins != a->ins)
			continue;
		if (card_cmds[i].cla == a->cla)
			return card_cmds[i].fn(card, a, r);
		ins_known = true;
	}
	return ins_known ? SW_CLA_UNSUPPORTED : SW_INS_UNSUPPORTED;
}

int sim_card_transmit(struct sim_card *card, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
		      size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct sim_rbuf r = { rapdu, rapdu_cap, 0 };
	struct sim_apdu a;
	uint16_t sw;

	if (!card || !rapdu || !ret_rapdu_len || rapdu_cap < 258)
		return -EINVAL;
	sw = sim_apdu_parse(capdu, capdu_len, &a);
	if (sw == 0)
		sw = card_dispatch(card, &a, &r);
	sim_finish(&r, sw, ret_rapdu_len);
	return 0;
}
