/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the simulated card and PSAM: APDU parsing, the
 * response writer, the deterministic random source, profile and key-file
 * loading, and the card object itself (its commands span two files).
 * Only drivers/sim and tests/sim include this header.
 */
#ifndef YKT_SIM_PRIVATE_H
#define YKT_SIM_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pboc_crypto.h"
#include "sim.h"

/* ---- status words (ISO 7816-4 and PBOC) ---- */
enum {
	SW_OK = 0x9000,
	SW_MORE_DATA = 0x6100, /* | length, T=0 GET RESPONSE pending */
	SW_FILE_INVALIDATED = 0x6283,
	SW_WRONG_LENGTH = 0x6700,
	SW_STATE = 0x6901, /* TU: "state machine not matched" */
	SW_INCOMPATIBLE_FILE = 0x6981,
	SW_CONDITIONS = 0x6985,
	SW_NO_CURRENT_EF = 0x6986,
	SW_WRONG_DATA = 0x6A80,
	SW_FUNC_NOT_SUPPORTED = 0x6A81,
	SW_FILE_NOT_FOUND = 0x6A82,
	SW_RECORD_NOT_FOUND = 0x6A83,
	SW_WRONG_P1P2 = 0x6A86,
	SW_WRONG_OFFSET = 0x6B00,
	SW_WRONG_LE = 0x6C00, /* | available length */
	SW_INS_UNSUPPORTED = 0x6D00,
	SW_CLA_UNSUPPORTED = 0x6E00,
	SW_INTERNAL = 0x6F00,
	SW_RANDOM_INVALID = 0x6984,
	SW_SM_MAC_INVALID = 0x6988,
	SW_MAC_INVALID = 0x9302,
	SW_APP_LOCKED = 0x9303,
	SW_INSUFFICIENT = 0x9401,
	SW_ATC_MAX = 0x9402,
	SW_KEY_UNSUPPORTED = 0x9403,
	SW_NO_PROOF = 0x9406,
};

/* ---- APDU ---- */

/* A parsed short C-APDU. data points into the caller's buffer. */
struct sim_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc; /* 0 when there is no data field */
	bool has_le;
	size_t le; /* 1..256; Le byte 00 means 256 */
};

/* Split an ISO 7816-4 short APDU (cases 1-4). Returns 0, or the status
 * word a card answers to a malformed one (6700). Extended length is not
 * supported by either simulated part. */
uint16_t sim_apdu_parse(const uint8_t *capdu, size_t len, struct sim_apdu *ret);

/* Le acceptable when absent, 00 (whatever is there) or exactly want. */
bool sim_apdu_le_ok(const struct sim_apdu *a, size_t want);

/* Response data being built; buf holds at least 256 data bytes. */
struct sim_rbuf {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

/* Append n bytes; silently clips at cap (callers size their answers, the
 * clip only guards against a programming error). */
void sim_rbuf_put(struct sim_rbuf *r, const void *p, size_t n);
void sim_rbuf_byte(struct sim_rbuf *r, uint8_t b);

/* Answer part of a transparent file: offset, Le (256 = whole rest).
 * 6B00 past the end, 6Cxx when Le asks for more than is there. */
uint16_t sim_read_slice(const uint8_t *file, size_t file_len, size_t offset, size_t le,
			struct sim_rbuf *r);

/* Finish an R-APDU: data is kept only with 9000, 61xx and 62xx/63xx
 * warnings, then SW1 SW2 is appended. rapdu_cap must be >= 258. */
void sim_finish(struct sim_rbuf *r, uint16_t sw, size_t *ret_len);

/* ---- deterministic random (splitmix64) ---- */
struct sim_prng {
	uint64_t state;
};

/* Seed from bytes (FNV-1a), so a card's "random" numbers depend only on
 * its profile and the commands it saw: tests and demos repeat exactly. */
void sim_prng_seed(struct sim_prng *p, const uint8_t *seed, size_t n);
void sim_prng_fill(struct sim_prng *p, uint8_t *out, size_t n);

/* ---- keys and profiles ---- */

#define SIM_NAME_MAX 64
#define SIM_PATH_MAX 512

/* The master keys of one key index in a key file (test keys only): a
 * 3DES set, an SM4 set, or both (a dual-algorithm issuer), plus the file's
 * SM4 choices. */
struct sim_keyset {
	uint8_t index;
	bool has_mpk, has_mtk, has_mlk, has_mamk;
	uint8_t mpk[16];  /* master purchase key */
	uint8_t mtk[16];  /* master TAC key */
	uint8_t mlk[16];  /* master load key */
	uint8_t mamk[16]; /* master application maintenance key */
	bool has_mpk_sm4, has_mtk_sm4, has_mlk_sm4, has_mamk_sm4;
	uint8_t mpk_sm4[16];
	uint8_t mtk_sm4[16];
	uint8_t mlk_sm4[16];
	uint8_t mamk_sm4[16];
	struct pboc_sm4_profile sm4; /* the [sm4] section, or its defaults */
};

/* Parse a whole key file and return the key set of key_index with the
 * file's [sm4] choices.
 * err names the file, section and key on failure. Errors: -errno when
 * the file cannot be opened, YKT_E_CONFIG for bad content or a missing
 * [key.NN] section. */
int sim_keys_load(const char *path, uint8_t key_index, struct sim_keyset *ret, char *err,
		  size_t err_len);

enum sim_card_state {
	SIM_CARD_ACTIVE,
	SIM_CARD_BLOCKED_TEMP,
	SIM_CARD_BLOCKED_PERM,
};

/* The key set a purchase runs on (card session, PSAM session). */
enum sim_alg {
	SIM_ALG_3DES,
	SIM_ALG_SM4,
};

/* Profile `algorithm`: which key sets the card holds. */
enum sim_card_algorithm {
	SIM_CARD_ALG_3DES,
	SIM_CARD_ALG_SM4,
	SIM_CARD_ALG_DUAL,
};

enum sim_rf_type { SIM_RF_A, SIM_RF_B };

struct sim_card_profile {
	char name[SIM_NAME_MAX];
	uint8_t uid[10];
	size_t uid_len; /* 0: `uid = random`, a new 4-byte UID at every reset */
	uint8_t issuer_id[8];
	uint8_t app_type, app_version;
	uint8_t app_serial[10];
	uint8_t start_date[4], expiry_date[4]; /* BCD YYYYMMDD */
	uint8_t card_type, deposit;
	uint8_t country[4], province[2], city[2], interconnect[2];
	uint8_t card_kind;
	uint32_t balance_fen, overdraft_limit_fen;
	uint16_t offline_atc;
	uint8_t key_index, key_version;
	uint8_t algorithm_id; /* reported by INIT on the 3DES key set */
	uint32_t algorithm;   /* enum sim_card_algorithm */
	uint32_t prefer;      /* enum sim_alg: the set a dual card's INIT uses */
	bool has_prefer;
	uint8_t aid[16];       /* listed in PPSE, answered by SELECT */
	size_t aid_len;	       /* 8 or 16 */
	uint8_t select_prefix; /* 1: SELECT by the first 8 AID bytes works too */
	uint32_t rf_type;      /* enum sim_rf_type */
	uint32_t state;	       /* enum sim_card_state */
	uint8_t capp;	       /* 1: has the CAPP cache (8050 03, 80DC); 0: EP purchase only */
	uint8_t fci_file15;    /* 1: the EP's FCI carries file 15 (9F0C); 0: read it */
	uint64_t seed;
	bool has_seed;
	char keys_path[SIM_PATH_MAX]; /* as written in the profile */
	struct sim_keyset keys;	      /* the key_index set from that file */
};

struct sim_psam_profile {
	char name[SIM_NAME_MAX];
	uint8_t serial[10];
	uint8_t terminal_no[6]; /* BCD */
	uint8_t key_index, key_version;
	uint8_t algorithm_id; /* selects the 3DES set; keys.sm4.algorithm_id the SM4 one */
	uint32_t txn_serial;  /* what the next 8070 returns */
	char keys_path[SIM_PATH_MAX];
	struct sim_keyset keys;
};

/* Load a profile and its key set. Errors as sim_card_load(). */
int sim_card_profile_load(const char *path, struct sim_card_profile *ret, char *err,
			  size_t err_len);
int sim_psam_profile_load(const char *path, struct sim_psam_profile *ret, char *err,
			  size_t err_len);

/* ---- the card object ---- */

#define SIM_18_RECORDS 10
#define SIM_18_LEN     23
#define SIM_1A_RECORDS 18
#define SIM_1A_LEN     128
#define SIM_1E_RECORDS 30
#define SIM_1E_LEN     48

enum sim_selected { SIM_SEL_MF, SIM_SEL_PPSE, SIM_SEL_EP };

/* 80DC updates waiting for the DEBIT that makes them persistent. */
struct sim_capp_cache {
	bool has_1a[SIM_1A_RECORDS];
	uint8_t rec1a[SIM_1A_RECORDS][SIM_1A_LEN];
	bool has_1e;
	uint8_t rec1e[SIM_1E_LEN];
};

/* Started by INITIALIZE; volatile (lost on reset, SELECT, failed DEBIT). */
struct sim_session {
	bool active;
	enum sim_alg alg;   /* the key set INIT chose; DEBIT uses the same */
	uint8_t trans_type; /* 06 purchase, 09 CAPP purchase */
	uint32_t amount_fen;
	uint8_t terminal_no[6];
	uint8_t random[4];
	uint16_t atc; /* the ATC INIT reported */
	struct sim_capp_cache cache;
};

/* What GET TRANSACTION PROVE can still answer: the last debit only. */
struct sim_proof {
	bool valid;
	uint16_t atc_after; /* INIT ATC + 1 */
	uint8_t trans_type;
	uint8_t mac2[4], tac[4];
};

struct sim_card {
	struct sim_card_profile prof;
	uint8_t dpk[16], dtk[16];	  /* 3DES set (zero on an SM4-only card) */
	uint8_t dpk_sm4[16], dtk_sm4[16]; /* SM4 set (zero on a 3DES card) */
	uint8_t damk[16];		  /* 3DES maintenance key (APPLICATION BLOCK) */
	bool has_damk;			  /* a 3DES set and the key file's mamk */
	size_t n_blocks;		  /* APPLICATION BLOCKs accepted */
	uint8_t uid[10];		  /* the current UID (or PUPI) */
	size_t uid_len;
	uint32_t n_resets; /* counts sim_card_reset() for random UIDs */
	uint8_t file15[30], file16[55], file17[60];
	uint8_t rec18[SIM_18_RECORDS][SIM_18_LEN]; /* newest first */
	size_t n18;
	uint8_t rec1a[SIM_1A_RECORDS][SIM_1A_LEN]; /* ID 2701 + i */
	uint8_t rec1e[SIM_1E_RECORDS][SIM_1E_LEN]; /* newest first */
	size_t n1e;
	uint32_t balance_fen;	      /* B */
	uint32_t overdraft_limit_fen; /* C */
	uint32_t overdrawn_fen;	      /* D */
	uint16_t atc;
	uint32_t initial_balance_fen;
	uint16_t initial_atc;
	struct sim_debit ledger[SIM_MAX_LEDGER];
	size_t n_ledger;
	struct sim_proof proof;
	enum sim_selected sel;
	struct sim_session sess;
	uint8_t challenge[8];
	size_t challenge_len;
	struct sim_prng prng;
};

typedef uint16_t (*sim_card_cmd_fn)(struct sim_card *card, const struct sim_apdu *a,
				    struct sim_rbuf *r);

/* ---- purchase cryptography by algorithm (sim_alg.c) ----
 * One switch over enum sim_alg shared by the card and the PSAM, so both
 * sides of a purchase make the same choice. Session keys are 8 bytes
 * (3DES) or 16 (SM4) in a 16-byte buffer. Return 0, -EIO or -EINVAL. */

int sim_alg_session_key(enum sim_alg alg, const struct pboc_sm4_profile *sm4, const uint8_t dpk[16],
			const uint8_t random[4], uint16_t atc, uint32_t terminal_serial,
			uint8_t sk[16]);
int sim_alg_mac(enum sim_alg alg, const struct pboc_sm4_profile *sm4, const uint8_t sk[16],
		const uint8_t *data, size_t len, uint8_t mac[4]);
int sim_alg_tac(enum sim_alg alg, const struct pboc_sm4_profile *sm4, const uint8_t dtk[16],
		uint32_t amount_fen, uint8_t trans_type, const uint8_t terminal_no[6],
		uint32_t terminal_serial, const uint8_t datetime[7], uint8_t tac[4]);
int sim_alg_diversify2(enum sim_alg alg, const uint8_t mk[16], const uint8_t issuer_id[8],
		       const uint8_t app_serial_low8[8], uint8_t child[16]);

/* The purse commands (sim_card_purchase.c), dispatched by sim_card.c. */
uint16_t sim_card_get_balance(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r);
uint16_t sim_card_get_challenge(struct sim_card *card, const struct sim_apdu *a,
				struct sim_rbuf *r);
uint16_t sim_card_initialize(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r);
uint16_t sim_card_update_capp(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r);
uint16_t sim_card_debit(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r);
uint16_t sim_card_prove(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r);
uint16_t sim_card_app_block(struct sim_card *card, const struct sim_apdu *a, struct sim_rbuf *r);

#endif
