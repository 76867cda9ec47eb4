/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated transport (MOT) PSAM: a T=0 contact card with the MF
 * (0x15 PSAM serial, 0x16 terminal number) and the MOT application DF 8011
 * (0x17 key index), computing MAC1 (8070, two-level diversification) and
 * verifying MAC2 (8072).  Case-4 answers come back as 61xx and are fetched
 * with GET RESPONSE, as a T=0 card does.  The algorithm id in 8070 picks
 * the 3DES or the SM4 master purchase key; 8072 uses the same algorithm.
 * The generic commands validators use for APPLICATION BLOCK (jtt978.md
 * §4.5): 801A diversifies the maintenance key for one card, 80FA computes
 * a MAC with it.
 */
#include "sim_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "pboc_crypto.h"

/* T=0 only, direct convention, 8 historical bytes "YKTPSAM1" */
static const uint8_t psam_atr[] = {
	0x3B, 0x68, 0x00, 0x00, 'Y', 'K', 'T', 'P', 'S', 'A', 'M', '1'
};
/* The MOT application by name: A000000632 ‖ ASCII name.  No source
 * confirms the name; both spellings seen in our notes are accepted. */
static const char *const mot_app_names[] = { "MOT.CPSAM01", "MOT.CPSM01" };
static const uint8_t mot_rid[] = { 0xA0, 0x00, 0x00, 0x06, 0x32 };

#define MAC1_DATA_LEN 0x24

enum psam_df { PSAM_MF, PSAM_DF_MOT };

/* Kept from 8070 so 8072 can check the card's MAC2. */
struct psam_session {
	bool active;
	enum sim_alg alg;
	uint8_t sk[16]; /* 8 bytes used with 3DES */
	uint32_t amount_fen;
};

struct sim_psam {
	struct sim_psam_profile prof;
	enum psam_df df;
	uint32_t txn_serial; /* returned by the next 8070 */
	struct psam_session sess;
	bool has_div_key; /* 801A done: div_key holds the card's maintenance key */
	uint8_t div_key[16];
	uint8_t pending[16]; /* T=0 answer waiting for GET RESPONSE */
	size_t pending_len;
	uint8_t challenge[8];
	struct sim_prng prng;
};

typedef uint16_t (*psam_cmd_fn)(struct sim_psam *psam, const struct sim_apdu *a,
				struct sim_rbuf *r);

static void psam_forget(struct sim_psam *psam)
{
	memset(&psam->sess, 0, sizeof(psam->sess));
	memset(psam->div_key, 0, sizeof(psam->div_key));
	psam->has_div_key = false;
	psam->pending_len = 0;
}

int sim_psam_load(const char *profile_path, struct sim_psam **ret_psam, char *err, size_t err_len)
{
	struct sim_psam *psam;
	int r;

	if (!profile_path || !ret_psam)
		return -EINVAL;
	psam = calloc(1, sizeof(*psam));
	if (!psam)
		return -ENOMEM;
	r = sim_psam_profile_load(profile_path, &psam->prof, err, err_len);
	if (r < 0) {
		free(psam);
		return r;
	}
	psam->df = PSAM_MF;
	psam->txn_serial = psam->prof.txn_serial;
	sim_prng_seed(&psam->prng, psam->prof.serial, sizeof(psam->prof.serial));
	*ret_psam = psam;
	return 0;
}

void sim_psam_free(struct sim_psam *psam)
{
	if (!psam)
		return;
	memset(&psam->prof.keys, 0, sizeof(psam->prof.keys));
	psam_forget(psam);
	free(psam);
}

int sim_psam_reset(struct sim_psam *psam, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len)
{
	if (!psam || !atr || !ret_atr_len || atr_cap < sizeof(psam_atr))
		return -EINVAL;
	psam->df = PSAM_MF;
	psam_forget(psam);
	memcpy(atr, psam_atr, sizeof(psam_atr));
	*ret_atr_len = sizeof(psam_atr);
	return 0;
}

/* ---- SELECT ---- */

static bool is_mot_aid(const uint8_t *aid, size_t len)
{
	if (len <= sizeof(mot_rid) || memcmp(aid, mot_rid, sizeof(mot_rid)) != 0)
		return false;
	for (size_t i = 0; i < sizeof(mot_app_names) / sizeof(mot_app_names[0]); i++) {
		size_t n = strlen(mot_app_names[i]);

		if (len == sizeof(mot_rid) + n &&
		    memcmp(aid + sizeof(mot_rid), mot_app_names[i], n) == 0)
			return true;
	}
	return false;
}

static uint16_t psam_select(struct sim_psam *psam, const struct sim_apdu *a, struct sim_rbuf *r)
{
	enum psam_df df;

	if ((a->p1 != 0x00 && a->p1 != 0x04) || a->p2 != 0x00)
		return SW_WRONG_P1P2;
	if (a->lc == 0)
		return SW_WRONG_LENGTH;
	if (a->p1 == 0x04 && is_mot_aid(a->data, a->lc))
		df = PSAM_DF_MOT;
	else if (a->p1 == 0x00 && a->lc == 2 && ykt_be16(a->data) == 0x3F00)
		df = PSAM_MF;
	else if (a->p1 == 0x00 && a->lc == 2 && ykt_be16(a->data) == 0x8011)
		df = PSAM_DF_MOT;
	else
		return a->p1 == 0x00 && a->lc != 2 ? SW_WRONG_LENGTH : SW_FILE_NOT_FOUND;
	/* a new DF selection resets the security state: the session goes */
	psam->df = df;
	psam_forget(psam);
	return SW_OK;
}

/* ---- READ BINARY ---- */

/* 15 and 16 are MF files but are also found from DF 8011, since the
 * sources disagree on where 16 lives (§9.9); 17 needs DF 8011. */
static const uint8_t *psam_file(const struct sim_psam *psam, uint8_t sfi, size_t *ret_len)
{
	switch (sfi) {
	case 0x15:
		*ret_len = sizeof(psam->prof.serial);
		return psam->prof.serial;
	case 0x16:
		*ret_len = sizeof(psam->prof.terminal_no);
		return psam->prof.terminal_no;
	case 0x17:
		*ret_len = 1;
		return psam->df == PSAM_DF_MOT ? &psam->prof.key_index : NULL;
	default:
		return NULL;
	}
}

static uint16_t psam_read_binary(struct sim_psam *psam, const struct sim_apdu *a,
				 struct sim_rbuf *r)
{
	const uint8_t *file;
	size_t len = 0;

	if (a->lc != 0 || !a->has_le)
		return SW_WRONG_LENGTH;
	if (!(a->p1 & 0x80))
		return SW_NO_CURRENT_EF;
	if (a->p1 & 0x60)
		return SW_WRONG_P1P2;
	file = psam_file(psam, a->p1 & 0x1F, &len);
	if (!file)
		return SW_FILE_NOT_FOUND;
	return sim_read_slice(file, len, a->p2, a->le, r);
}

/* ---- GET CHALLENGE, GET RESPONSE ---- */

static uint16_t psam_get_challenge(struct sim_psam *psam, const struct sim_apdu *a,
				   struct sim_rbuf *r)
{
	if (a->p1 != 0 || a->p2 != 0)
		return SW_WRONG_P1P2;
	if (a->lc != 0 || !a->has_le || (a->le != 4 && a->le != 8))
		return SW_WRONG_LENGTH;
	sim_prng_fill(&psam->prng, psam->challenge, a->le);
	sim_rbuf_put(r, psam->challenge, a->le);
	return SW_OK;
}

static uint16_t psam_get_response(struct sim_psam *psam, const struct sim_apdu *a,
				  struct sim_rbuf *r)
{
	if (a->p1 != 0 || a->p2 != 0)
		return SW_WRONG_P1P2;
	if (a->lc != 0 || !a->has_le)
		return SW_WRONG_LENGTH;
	if (psam->pending_len == 0)
		return SW_CONDITIONS;
	/* T=0: the exact length, or 6Cxx and the answer stays waiting */
	if (a->le != psam->pending_len)
		return (uint16_t)(SW_WRONG_LE | psam->pending_len);
	sim_rbuf_put(r, psam->pending, psam->pending_len);
	psam->pending_len = 0;
	return SW_OK;
}

/* ---- MAC1: 8070 0000 24 ---- */

/* 8070 data offsets (jtt978.md §4.2) */
enum {
	M1_RANDOM = 0,
	M1_ATC = 4,
	M1_AMOUNT = 6,
	M1_TYPE = 10,
	M1_DATETIME = 11,
	M1_KEY_VERSION = 18,
	M1_ALG_ID = 19,
	M1_CARD_FACTOR = 20,
	M1_ISSUER_FACTOR = 28,
};

/* The key set an 8070 algorithm id names. An id the PSAM holds no key for
 * is refused like an unknown key version: 9403 (docs/sm4.md). */
static bool psam_alg(const struct sim_psam *psam, uint8_t algorithm_id, enum sim_alg *ret)
{
	const struct sim_keyset *k = &psam->prof.keys;

	if (k->has_mpk && algorithm_id == psam->prof.algorithm_id) {
		*ret = SIM_ALG_3DES;
		return true;
	}
	if (k->has_mpk_sm4 && algorithm_id == k->sm4.algorithm_id) {
		*ret = SIM_ALG_SM4;
		return true;
	}
	return false;
}

static uint16_t mac1_checks(const struct sim_psam *psam, const struct sim_apdu *a,
			    enum sim_alg *ret_alg)
{
	const uint8_t *d = a->data;
	struct ykt_cst t;

	if (a->p1 != 0x00 || a->p2 != 0x00)
		return SW_WRONG_P1P2;
	if (a->lc != MAC1_DATA_LEN || !sim_apdu_le_ok(a, 8))
		return SW_WRONG_LENGTH;
	if (psam->df != PSAM_DF_MOT)
		return SW_CONDITIONS;
	if ((d[M1_TYPE] != 0x06 && d[M1_TYPE] != 0x09) ||
	    ykt_cst_from_bcd7(d + M1_DATETIME, &t) != 0)
		return SW_WRONG_DATA;
	if (d[M1_KEY_VERSION] != psam->prof.key_version || !psam_alg(psam, d[M1_ALG_ID], ret_alg))
		return SW_KEY_UNSUPPORTED;
	return SW_OK;
}

/* MAC1 over amount ‖ type ‖ terminal no ‖ date-time with the session key
 * of DPK = Div(Div(MPK, issuer), card), all in algorithm alg. */
static int mac1_compute(const struct sim_psam *psam, enum sim_alg alg, const uint8_t *d,
			uint32_t serial, uint8_t sk[16], uint8_t mac1[4])
{
	const struct sim_keyset *k = &psam->prof.keys;
	uint8_t dpk[16], in[18];
	int r;

	r = sim_alg_diversify2(alg, alg == SIM_ALG_SM4 ? k->mpk_sm4 : k->mpk, d + M1_ISSUER_FACTOR,
			       d + M1_CARD_FACTOR, dpk);
	if (r == 0)
		r = sim_alg_session_key(alg, &k->sm4, dpk, d + M1_RANDOM, ykt_be16(d + M1_ATC),
					serial, sk);
	memset(dpk, 0, sizeof(dpk));
	memcpy(in, d + M1_AMOUNT, 4);
	in[4] = d[M1_TYPE];
	memcpy(in + 5, psam->prof.terminal_no, 6);
	memcpy(in + 11, d + M1_DATETIME, 7);
	if (r == 0)
		r = sim_alg_mac(alg, &k->sm4, sk, in, sizeof(in), mac1);
	return r;
}

static uint16_t psam_mac1(struct sim_psam *psam, const struct sim_apdu *a, struct sim_rbuf *r)
{
	enum sim_alg alg = SIM_ALG_3DES;
	uint16_t sw = mac1_checks(psam, a, &alg);
	uint32_t serial = psam->txn_serial;
	uint8_t sk[16] = { 0 }, mac1[4];

	if (sw != SW_OK)
		return sw;
	if (mac1_compute(psam, alg, a->data, serial, sk, mac1) != 0)
		return SW_INTERNAL;
	/* the serial is spent by 8070 whatever happens next (§4.4) */
	psam->txn_serial++;
	psam->sess = (struct psam_session){
		.active = true,
		.alg = alg,
		.amount_fen = ykt_be32(a->data + M1_AMOUNT),
	};
	memcpy(psam->sess.sk, sk, sizeof(sk));
	memset(sk, 0, sizeof(sk));
	ykt_put_be32(psam->pending, serial);
	memcpy(psam->pending + 4, mac1, 4);
	psam->pending_len = 8;
	return SW_MORE_DATA | 8;
}

/* ---- MAC2 verify: 8072 0000 04 ---- */

static uint16_t psam_mac2(struct sim_psam *psam, const struct sim_apdu *a, struct sim_rbuf *r)
{
	uint8_t amount[4], mac2[4];

	if (a->p1 != 0x00 || a->p2 != 0x00)
		return SW_WRONG_P1P2;
	if (a->lc != 4)
		return SW_WRONG_LENGTH;
	if (psam->df != PSAM_DF_MOT)
		return SW_CONDITIONS;
	if (!psam->sess.active)
		return SW_STATE;
	ykt_put_be32(amount, psam->sess.amount_fen);
	if (sim_alg_mac(psam->sess.alg, &psam->prof.keys.sm4, psam->sess.sk, amount, sizeof(amount),
			mac2) != 0)
		return SW_INTERNAL;
	return memcmp(mac2, a->data, 4) == 0 ? SW_OK : SW_MAC_INVALID;
}

/* ---- 801A 45 02 10: diversify the maintenance key for one card ---- */

/* The key usage 45 (line protection / maintenance, §4.5) with P2 02, as
 * SH, QS and TJ send it; the factor is card (app serial low 8) ‖ issuer
 * id, lowest level first.  Other usages (44, the TAC key) are not
 * simulated. */
static uint16_t psam_diversify(struct sim_psam *psam, const struct sim_apdu *a, struct sim_rbuf *r)
{
	const struct sim_keyset *k = &psam->prof.keys;

	if (a->p1 != 0x45 || a->p2 != 0x02)
		return SW_WRONG_P1P2;
	if (a->lc != 16 || a->has_le)
		return SW_WRONG_LENGTH;
	if (psam->df != PSAM_DF_MOT)
		return SW_CONDITIONS;
	if (!k->has_mamk)
		return SW_KEY_UNSUPPORTED;
	psam->has_div_key = false;
	if (pboc_diversify2(k->mamk, a->data + 8, a->data, psam->div_key) != 0)
		return SW_INTERNAL;
	psam->has_div_key = true;
	return SW_OK;
}

/* ---- 80FA 05 00: MAC with the diversified key, IV first ---- */

/* Lc = IV(8) ‖ data, the data already padded (a multiple of 8): the PSAM
 * answers the 4-byte MAC through GET RESPONSE. */
static uint16_t psam_cipher_mac(struct sim_psam *psam, const struct sim_apdu *a, struct sim_rbuf *r)
{
	uint8_t mac[4];

	if (a->p1 != 0x05 || a->p2 != 0x00)
		return SW_WRONG_P1P2;
	if (a->lc < 16 || a->lc % 8 != 0 || !sim_apdu_le_ok(a, 4))
		return SW_WRONG_LENGTH;
	if (psam->df != PSAM_DF_MOT || !psam->has_div_key)
		return SW_CONDITIONS;
	if (pboc_mac_3des(psam->div_key, a->data, a->data + 8, a->lc - 8, mac) != 0)
		return SW_INTERNAL;
	memcpy(psam->pending, mac, 4);
	psam->pending_len = 4;
	return SW_MORE_DATA | 4;
}

/* ---- dispatch ---- */

static const struct {
	uint8_t cla, ins;
	psam_cmd_fn fn;
} psam_cmds[] = {
	{ 0x00, 0xA4, psam_select },	    { 0x00, 0xB0, psam_read_binary },
	{ 0x00, 0x84, psam_get_challenge }, { 0x00, 0xC0, psam_get_response },
	{ 0x80, 0x70, psam_mac1 },	    { 0x80, 0x72, psam_mac2 },
	{ 0x80, 0x1A, psam_diversify },	    { 0x80, 0xFA, psam_cipher_mac },
};

static uint16_t psam_dispatch(struct sim_psam *psam, const struct sim_apdu *a, struct sim_rbuf *r)
{
	bool ins_known = false;

	if (a->cla != 0x00 && a->cla != 0x80)
		return SW_CLA_UNSUPPORTED;
	/* a T=0 answer waits only for the very next command */
	if (!(a->cla == 0x00 && a->ins == 0xC0))
		psam->pending_len = 0;
	for (size_t i = 0; i < sizeof(psam_cmds) / sizeof(psam_cmds[0]); i++) {
		if (psam_cmds[i].ins != a->ins)
			continue;
		if (psam_cmds[i].cla == a->cla)
			return psam_cmds[i].fn(psam, a, r);
		ins_known = true;
	}
	return ins_known ? SW_CLA_UNSUPPORTED : SW_INS_UNSUPPORTED;
}

int sim_psam_transmit(struct sim_psam *psam, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
		      size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct sim_rbuf r = { rapdu, rapdu_cap, 0 };
	struct sim_apdu a;
	uint16_t sw;

	if (!psam || !rapdu || !ret_rapdu_len || rapdu_cap < 258)
		return -EINVAL;
	sw = sim_apdu_parse(capdu, capdu_len, &a);
	if (sw == 0)
		sw = psam_dispatch(psam, &a, &r);
	sim_finish(&r, sw, ret_rapdu_len);
	return 0;
}
