/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PBOC / JT/T 978 cryptographic primitives (3DES), through OpenSSL's
 * libcrypto.  Used by the simulated card and PSAM and by the test and
 * reference platform code that verifies TACs; never by the validator itself
 * (it holds no keys: all purchase cryptography happens in the PSAM).
 *
 * All functions return 0 or -EIO when libcrypto fails.
 */
#ifndef YKT_PBOC_CRYPTO_H
#define YKT_PBOC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Two-key triple DES (EDE), one 8-byte block, ECB. */
int pboc_3des_encrypt(const uint8_t key[16], const uint8_t in[8], uint8_t out[8]);
/* Single DES, one 8-byte block, ECB. */
int pboc_des_encrypt(const uint8_t key[8], const uint8_t in[8], uint8_t out[8]);

/* child = 3DES_mk(factor) ‖ 3DES_mk(~factor) */
int pboc_diversify(const uint8_t mk[16], const uint8_t factor[8], uint8_t child[16]);
/* Two levels, issuer first then card: Div(Div(mk, issuer_id), app_serial_low8) */
int pboc_diversify2(const uint8_t mk[16], const uint8_t issuer_id[8],
		    const uint8_t app_serial_low8[8], uint8_t child[16]);

/* Purchase session key: 3DES_dpk(random ‖ atc ‖ right 2 bytes of the
 * terminal transaction serial). */
int pboc_purchase_session_key(const uint8_t dpk[16], const uint8_t random[4], uint16_t atc,
			      uint32_t terminal_serial, uint8_t sk[8]);

/* Single-DES CBC-MAC, IV given (8 bytes; NULL = zeros), data padded with 80
 * 00.. to a multiple of 8 (always at least one pad byte), left 4 bytes. */
int pboc_mac(const uint8_t key[8], const uint8_t iv[8], const uint8_t *data, size_t len,
	     uint8_t mac[4]);

/* TAC key = left half XOR right half of the card's DTK. */
void pboc_tac_key(const uint8_t dtk[16], uint8_t key[8]);

/* TAC over amount ‖ type ‖ terminal no ‖ terminal serial ‖ date(4) ‖ time(3). */
int pboc_tac(const uint8_t dtk[16], uint32_t amount_fen, uint8_t trans_type,
	     const uint8_t terminal_no[6], uint32_t terminal_serial, const uint8_t datetime[7],
	     uint8_t tac[4]);

#endif
