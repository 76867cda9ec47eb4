/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PBOC / JT/T 978 cryptographic primitives (3DES and SM4), through OpenSSL's
 * libcrypto.  Used by the simulated card and PSAM and by the test and
 * reference platform code that verifies TACs; never by the validator itself
 * (it holds no keys: all purchase cryptography happens in the PSAM).
 *
 * All functions return 0 or -EIO when libcrypto fails; the SM4 functions
 * that take a profile also return -EINVAL for a choice value outside its
 * enum.  Nothing allocates anything the caller must free.
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

/* The MAC of a double-length key (ISO 9797-1 algorithm 3, the PBOC
 * secure-messaging MAC): DES-CBC with the left half over every block but
 * the last, the last with two-key 3DES; IV given (NULL = zeros); data
 * already padded by the caller (a multiple of 8 bytes, -EINVAL otherwise),
 * as the PSAM's 80FA takes it; left 4 bytes.  APPLICATION BLOCK's MAC
 * (jtt978.md §4.5, §5.4). */
int pboc_mac_3des(const uint8_t key[16], const uint8_t iv[8], const uint8_t *data, size_t len,
		  uint8_t mac[4]);

/* TAC key = left half XOR right half of the card's DTK. */
void pboc_tac_key(const uint8_t dtk[16], uint8_t key[8]);

/* TAC over amount ‖ type ‖ terminal no ‖ terminal serial ‖ date(4) ‖ time(3). */
int pboc_tac(const uint8_t dtk[16], uint32_t amount_fen, uint8_t trans_type,
	     const uint8_t terminal_no[6], uint32_t terminal_serial, const uint8_t datetime[7],
	     uint8_t tac[4]);

/* ---- SM4 (GB/T 32907) ----
 *
 * jtt978.md §5.5: for T-Union SM4 only the diversification is sourced;
 * the algorithm id, the session-key input width, the MAC truncation and
 * the TAC key are NOT.  Those four choices live in struct
 * pboc_sm4_profile (the key file's [sm4] section; docs/sm4.md), so the
 * card, the PSAM and a TAC checker make the same ones.  Enum value 0 is
 * the default of each choice.
 */

#define PBOC_SM4_ALGORITHM_ID_DEFAULT 0x04

/* The 16-byte input of the SM4 session key, from the 8 bytes
 * random(4) ‖ ATC(2) ‖ terminal serial right 2 bytes. */
enum pboc_sm4_sk_input {
	PBOC_SM4_SK_PAD80,  /* 8 bytes ‖ 80 00 00 00 00 00 00 00 (default) */
	PBOC_SM4_SK_ZERO,   /* 8 bytes ‖ 00 x 8 */
	PBOC_SM4_SK_REPEAT, /* 8 bytes ‖ the same 8 bytes */
};

/* How the last 16-byte CBC block becomes a 4-byte MAC. */
enum pboc_sm4_mac_output {
	PBOC_SM4_MAC_LEFT4,	       /* its left 4 bytes (default) */
	PBOC_SM4_MAC_XOR_HALVES_LEFT4, /* left 4 bytes of (left 8 XOR right 8) */
};

/* The 16-byte SM4 key of the TAC, from the card's DTK (L ‖ R, 8 + 8). */
enum pboc_sm4_tac_key {
	PBOC_SM4_TAC_FULL,	 /* DTK itself (default) */
	PBOC_SM4_TAC_XOR_HALVES, /* (L XOR R) ‖ (L XOR R) */
	PBOC_SM4_TAC_LEFT_HALF,	 /* L ‖ L */
};

struct pboc_sm4_profile {
	uint8_t algorithm_id; /* the 8050 / 8070 byte meaning "SM4 key set" */
	enum pboc_sm4_sk_input session_key_input;
	enum pboc_sm4_mac_output mac_output;
	enum pboc_sm4_tac_key tac_key;
};

/* The documented defaults: id 04, pad80, left4, full. */
void pboc_sm4_profile_default(struct pboc_sm4_profile *ret);

/* SM4, one 16-byte block, ECB. */
int pboc_sm4_encrypt(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);

/* child = SM4_mk(factor ‖ ~factor) (one 16-byte block); child may alias mk. */
int pboc_sm4_diversify(const uint8_t mk[16], const uint8_t factor[8], uint8_t child[16]);
/* Two levels, issuer first then card, as pboc_diversify2(). */
int pboc_sm4_diversify2(const uint8_t mk[16], const uint8_t issuer_id[8],
			const uint8_t app_serial_low8[8], uint8_t child[16]);

/* The 16-byte session-key input of p->session_key_input. */
int pboc_sm4_session_input(const struct pboc_sm4_profile *p, const uint8_t random[4], uint16_t atc,
			   uint32_t terminal_serial, uint8_t in[16]);
/* Purchase session key: SM4_dpk(pboc_sm4_session_input(...)), 16 bytes. */
int pboc_sm4_session_key(const struct pboc_sm4_profile *p, const uint8_t dpk[16],
			 const uint8_t random[4], uint16_t atc, uint32_t terminal_serial,
			 uint8_t sk[16]);

/* SM4-CBC over data ‖ 80 00.. to a multiple of 16 (always at least one pad
 * byte), IV given (16 bytes; NULL = zeros): the whole last block. */
int pboc_sm4_cbc_mac(const uint8_t key[16], const uint8_t iv[16], const uint8_t *data, size_t len,
		     uint8_t block[16]);
/* pboc_sm4_cbc_mac() cut to 4 bytes as p->mac_output says. */
int pboc_sm4_mac(const struct pboc_sm4_profile *p, const uint8_t key[16], const uint8_t iv[16],
		 const uint8_t *data, size_t len, uint8_t mac[4]);

/* The TAC key of p->tac_key. */
int pboc_sm4_tac_key(const struct pboc_sm4_profile *p, const uint8_t dtk[16], uint8_t key[16]);

/* SM4 TAC: pboc_sm4_mac() with pboc_sm4_tac_key(), IV 0, over the same 22
 * bytes as pboc_tac(): amount ‖ type ‖ terminal no ‖ terminal serial ‖
 * date(4) ‖ time(3). */
int pboc_sm4_tac(const struct pboc_sm4_profile *p, const uint8_t dtk[16], uint32_t amount_fen,
		 uint8_t trans_type, const uint8_t terminal_no[6], uint32_t terminal_serial,
		 const uint8_t datetime[7], uint8_t tac[4]);

#endif
