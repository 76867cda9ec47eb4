/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated T-Union card and transport PSAM.
 *
 * They answer raw APDU bytes exactly as the real parts do (status words,
 * T=0 GET RESPONSE on the PSAM), with real 3DES and SM4 cryptography through
 * OpenSSL's libcrypto, keyed from test key files named in their profiles.
 * Nothing here is linked into a production build.
 *
 * Profiles are small INI-style text files (see docs/simulator.md).  A card
 * keeps its state (balance, ATC, files, ledger of debits) in memory for the
 * life of the object; tests inspect it through sim_card_info().
 */
#ifndef YKT_SIM_H
#define YKT_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_MAX_LEDGER 256

struct sim_card;
struct sim_psam;

/* One debit the card applied (what it committed at DEBIT). */
struct sim_debit {
	uint16_t atc; /* offline ATC used by this debit (the INIT ATC) */
	uint32_t amount_fen;
	uint8_t trans_type; /* 06 / 09 */
	uint8_t terminal_no[6];
	uint32_t terminal_serial;
	uint8_t datetime[7];
	uint8_t tac[4];
	uint8_t mac2[4];
	uint32_t balance_after_fen;
};

struct sim_card_info {
	const char *name; /* profile file's base name */
	uint8_t uid[10];
	size_t uid_len;
	uint8_t file15[30];
	uint8_t file17[60];
	uint32_t balance_fen;	      /* actual balance B */
	uint32_t overdraft_limit_fen; /* C */
	uint16_t offline_atc;	      /* next ATC INITIALIZE will report */
	uint32_t initial_balance_fen;
	uint16_t initial_atc;
	size_t n_debits;
	const struct sim_debit *debits; /* in order applied */
	size_t n_1e;			/* 1E records written, newest first as READ RECORD 1 */
	const uint8_t (*rec1e)[48];
	size_t n_1a;		     /* 1A records (2701.. 27xx), in record order */
	const uint8_t (*rec1a)[128]; /* as READ RECORD n shows them */
	/* added for SM4 / phone profiles; uid above is the current one (a
	 * `uid = random` card changes it at every sim_card_reset()) */
	char rf_type;	 /* 'A' or 'B' (then uid is the 4-byte PUPI) */
	uint8_t aid[16]; /* the EP AID the card lists in PPSE and answers */
	size_t aid_len;	 /* 8 or 16 */
	/* added for the fare rules: the application's state (rec1a above
	 * holds the 0x1A records, 2701 + i as READ RECORD i + 1 answers them) */
	int app_state;		/* 0 active, 1 temporarily blocked (6283), 2 permanently (9303) */
	uint32_t overdrawn_fen; /* D: how far below zero the purse went (overdraft used) */
	size_t n_blocks;	/* APPLICATION BLOCKs the card accepted */
};

/* Load a card profile. err (if not NULL) receives a one-line reason
 * naming the profile key on failure. Caller frees with sim_card_free().
 * Errors: -ENOENT (file), YKT_E_CONFIG (bad value), -ENOMEM. */
int sim_card_load(const char *profile_path, struct sim_card **ret_card, char *err, size_t err_len);
void sim_card_free(struct sim_card *card);

/* Field power-on/off: forget the selected application and any started
 * transaction (as a real card does when it leaves the field). Persistent
 * data (balance, ATC, records) stays. A `uid = random` card draws its next
 * UID (deterministic: from its seed and the number of resets). */
void sim_card_reset(struct sim_card *card);

/* Process one C-APDU; writes the R-APDU (data ‖ SW1 SW2) into rapdu.
 * Returns 0, or -EINVAL if rapdu_cap < 258. Malformed commands get the
 * status word a real card would answer (6700, 6D00, 6E00, ...). */
int sim_card_transmit(struct sim_card *card, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
		      size_t rapdu_cap, size_t *ret_rapdu_len);

void sim_card_info(const struct sim_card *card, struct sim_card_info *ret);

/* Tests: give the card a 0x1A record (rec[0..1] = 27 xx names it) or a
 * newest 0x1E record, as an earlier transaction on another device would
 * have left them; no ledger entry, no ATC change.  -EINVAL for a 1A record
 * whose ID is not 2701..2712. */
int sim_card_preset_1a(struct sim_card *card, const uint8_t rec[128]);
void sim_card_preset_1e(struct sim_card *card, const uint8_t rec[48]);

/* PSAM */
int sim_psam_load(const char *profile_path, struct sim_psam **ret_psam, char *err, size_t err_len);
void sim_psam_free(struct sim_psam *psam);
/* Cold reset: writes the ATR, resets the selected DF to MF. */
int sim_psam_reset(struct sim_psam *psam, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len);
int sim_psam_transmit(struct sim_psam *psam, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
		      size_t rapdu_cap, size_t *ret_rapdu_len);

#endif
