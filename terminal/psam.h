/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transport PSAM (reference/jtt978.md §4): start-up, MAC1 and MAC2.
 * All purchase cryptography happens here, in the PSAM; the validator holds
 * no keys.  A ykt_psam borrows its SAM slot.
 */
#ifndef YKT_PSAM_H
#define YKT_PSAM_H

#include <stdbool.h>
#include <stdint.h>

struct ykt_sam;
struct ykt_psam;

struct psam_mac1_input {
	uint8_t random[4]; /* from the card's INITIALIZE */
	uint16_t atc;
	uint32_t amount_fen;
	uint8_t trans_type;
	uint8_t datetime[7];
	uint8_t key_version;
	uint8_t algorithm_id;
	uint8_t app_serial_low8[8]; /* level-2 factor: file 0x15 bytes 12..19 */
	uint8_t issuer_id[8];	    /* level-1 factor: file 0x15 bytes 0..7 */
};

#define PSAM_DF_MOT 0x8011 /* the transport (MOT) application of a T-Union PSAM */
#define PSAM_DF_MOC 0x1001 /* the 住建部 city-card application of a local PSAM */

/* app_df: the application DF the purchase keys live in (PSAM_DF_MOT for
 * T-Union cards). Caller frees with psam_free(); the slot must outlive the
 * psam. */
int psam_new(struct ykt_sam *slot, uint16_t app_df, struct ykt_psam **ret_psam);
void psam_free(struct ykt_psam *psam);

/* Reset and read: MF, PSAM serial (0x15), terminal number (0x16), the
 * application DF, key index (0x17). Run at start and after every insertion.
 * YKT_E_SAM_ABSENT (the slot is empty: nothing is sent), YKT_E_SAM_SW,
 * YKT_E_SAM_FORMAT, or the slot's error. */
int psam_start(struct ykt_psam *psam);
bool psam_ready(const struct ykt_psam *psam);
/* Ready, and still the PSAM psam_start() read: the slot has not been
 * emptied or refilled since (when the slot can tell). Asked just before a
 * card is debited; never sends a command. */
bool psam_present(const struct ykt_psam *psam);
/* The slot reported the PSAM gone: not ready until psam_start() succeeds. */
void psam_invalidate(struct ykt_psam *psam);
const uint8_t *psam_terminal_no(const struct ykt_psam *psam); /* 6 bytes BCD */
const uint8_t *psam_serial_no(const struct ykt_psam *psam);   /* 10 bytes */
uint8_t psam_key_index(const struct ykt_psam *psam);

/* INIT SAM FOR PURCHASE (8070, 36-byte two-level form). On success writes
 * the terminal transaction serial and MAC1. A SAM that fails here is marked
 * not ready until psam_start() succeeds again. Blocks for the exchange. */
int psam_mac1(struct ykt_psam *psam, const struct psam_mac1_input *in, uint32_t *ret_serial,
	      uint8_t ret_mac1[4]);

/* MAC1 while the caller does other work. psam_mac1_begin() hands the 8070
 * exchange to a thread of its own and returns at once, so the card link and
 * the store work while the PSAM computes; psam_mac1_end() waits for it and
 * returns what psam_mac1() would have. Between the two the caller uses the
 * psam only through psam_terminal_no(), psam_serial_no(), psam_key_index()
 * and psam_mac1_predicted(). Without a thread (none could be started) begin
 * runs the exchange itself. *in is copied. Errors of begin: -EBUSY (a MAC1
 * is already in flight); of end: -EINVAL (none begun), else as psam_mac1(). */
int psam_mac1_begin(struct ykt_psam *psam, const struct psam_mac1_input *in);
int psam_mac1_end(struct ykt_psam *psam, uint32_t *ret_serial, uint8_t ret_mac1[4]);

/* The terminal transaction serial the MAC1 in flight will most likely
 * return: the previous MAC1's + 1 (jtt978.md §4.4). false when there is no
 * guess: no MAC1 since start-up, or the previous one failed. A guess can be
 * wrong (another terminal used the PSAM, it counts otherwise): the caller
 * checks it against psam_mac1_end()'s answer. */
bool psam_mac1_predicted(const struct ykt_psam *psam, uint32_t *ret_serial);

/* CREDIT SAM FOR PURCHASE (8072): 0 when MAC2 checks, YKT_E_SAM_SW (9302)
 * when it does not. */
int psam_verify_mac2(struct ykt_psam *psam, const uint8_t mac2[4]);

/* The MAC of APPLICATION BLOCK for one card (jtt978.md §4.5): 801A 45 02
 * diversifies the maintenance key with the card factor (file 0x15 bytes
 * 12..19) then the issuer's (bytes 0..7); 80FA 05 00 computes the MAC over
 * the header 841E 00 P2 04 (P2 01 when permanent) padded 80 00 00, with IV
 * = the card's challenge ‖ 00 x 4.  The validator holds no key: the MAC
 * comes from the PSAM.  Not while a MAC1 is in flight.  YKT_E_SAM_SW when
 * the PSAM refuses (psam_last_sw() says why), YKT_E_SAM_NOT_READY. */
int psam_block_mac(struct ykt_psam *psam, const uint8_t app_serial_low8[8],
		   const uint8_t issuer_id[8], const uint8_t challenge[4], bool permanent,
		   uint8_t ret_mac[4]);

/* status word of the last PSAM answer, for logs */
uint16_t psam_last_sw(const struct ykt_psam *psam);

#endif
