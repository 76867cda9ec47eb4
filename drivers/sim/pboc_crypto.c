/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PBOC / JT/T 978 3DES and SM4 primitives over OpenSSL 3 EVP.
 *
 * Single DES is computed as two-key 3DES with the key K ‖ K: EDE with equal
 * halves is E_K(D_K(E_K(x))) = E_K(x).  This keeps us on the default
 * provider; plain DES lives only in OpenSSL 3's legacy provider, which a
 * test machine may not have configured.  SM4 is in the default provider of
 * Debian 12's OpenSSL 3.0 (EVP_sm4_ecb).
 */
#include "pboc_crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "bytes.h"

/* A DES-EDE-ECB context without padding, ready for whole blocks. */
static EVP_CIPHER_CTX *ede_ctx_new(const uint8_t key[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return NULL;
	if (EVP_EncryptInit_ex(ctx, EVP_des_ede_ecb(), NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int ede_block(EVP_CIPHER_CTX *ctx, const uint8_t in[8], uint8_t out[8])
{
	int outl = 0;

	if (EVP_EncryptUpdate(ctx, out, &outl, in, 8) != 1 || outl != 8)
		return -EIO;
	return 0;
}

int pboc_3des_encrypt(const uint8_t key[16], const uint8_t in[8], uint8_t out[8])
{
	EVP_CIPHER_CTX *ctx = ede_ctx_new(key);
	int r;

	if (!ctx)
		return -EIO;
	r = ede_block(ctx, in, out);
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

static void des_as_ede_key(const uint8_t key[8], uint8_t ede[16])
{
	memcpy(ede, key, 8);
	memcpy(ede + 8, key, 8);
}

int pboc_des_encrypt(const uint8_t key[8], const uint8_t in[8], uint8_t out[8])
{
	uint8_t ede[16];
	int r;

	des_as_ede_key(key, ede);
	r = pboc_3des_encrypt(ede, in, out);
	memset(ede, 0, sizeof(ede));
	return r;
}

int pboc_diversify(const uint8_t mk[16], const uint8_t factor[8], uint8_t child[16])
{
	uint8_t inv[8], tmp[16];
	int r;

	for (int i = 0; i < 8; i++)
		inv[i] = (uint8_t)~factor[i];
	r = pboc_3des_encrypt(mk, factor, tmp);
	if (r == 0)
		r = pboc_3des_encrypt(mk, inv, tmp + 8);
	/* child may alias mk (diversify in place): write only at the end */
	if (r == 0)
		memcpy(child, tmp, 16);
	memset(tmp, 0, sizeof(tmp));
	return r;
}

int pboc_diversify2(const uint8_t mk[16], const uint8_t issuer_id[8],
		    const uint8_t app_serial_low8[8], uint8_t child[16])
{
	uint8_t level1[16];
	int r;

	r = pboc_diversify(mk, issuer_id, level1);
	if (r == 0)
		r = pboc_diversify(level1, app_serial_low8, child);
	memset(level1, 0, sizeof(level1));
	return r;
}

int pboc_purchase_session_key(const uint8_t dpk[16], const uint8_t random[4], uint16_t atc,
			      uint32_t terminal_serial, uint8_t sk[8])
{
	uint8_t in[8];

	memcpy(in, random, 4);
	ykt_put_be16(in + 4, atc);
	ykt_put_be16(in + 6, (uint16_t)terminal_serial);
	return pboc_3des_encrypt(dpk, in, sk);
}

/* Block i (bs bytes) of data ‖ 80 00..: the padding rule of both MACs. */
static void mac_block(const uint8_t *data, size_t len, size_t i, uint8_t *block, size_t bs)
{
	size_t off = i * bs;

	memset(block, 0, bs);
	for (size_t j = 0; j < bs; j++) {
		if (off + j < len)
			block[j] = data[off + j];
		else if (off + j == len)
			block[j] = 0x80;
	}
}

int pboc_mac(const uint8_t key[8], const uint8_t iv[8], const uint8_t *data, size_t len,
	     uint8_t mac[4])
{
	uint8_t ede[16], chain[8] = { 0 }, block[8];
	size_t n_blocks = len / 8 + 1; /* the 80 pad always adds a byte */
	EVP_CIPHER_CTX *ctx;
	int r = 0;

	des_as_ede_key(key, ede);
	ctx = ede_ctx_new(ede);
	memset(ede, 0, sizeof(ede));
	if (!ctx)
		return -EIO;
	if (iv)
		memcpy(chain, iv, 8);
	for (size_t i = 0; i < n_blocks && r == 0; i++) {
		mac_block(data, len, i, block, 8);
		for (int j = 0; j < 8; j++)
			block[j] ^= chain[j];
		r = ede_block(ctx, block, chain);
	}
	EVP_CIPHER_CTX_free(ctx);
	if (r == 0)
		memcpy(mac, chain, 4);
	return r;
}

int pboc_mac_3des(const uint8_t key[16], const uint8_t iv[8], const uint8_t *data, size_t len,
		  uint8_t mac[4])
{
	uint8_t left[16], chain[8] = { 0 }, block[8];
	EVP_CIPHER_CTX *des, *ede;
	int r = 0;

	if (len == 0 || len % 8)
		return -EINVAL;
	des_as_ede_key(key, left);
	des = ede_ctx_new(left);
	ede = ede_ctx_new(key);
	memset(left, 0, sizeof(left));
	if (iv)
		memcpy(chain, iv, 8);
	for (size_t off = 0; des && ede && off < len && r == 0; off += 8) {
		for (int j = 0; j < 8; j++)
			block[j] = data[off + j] ^ chain[j];
		/* single DES with the left key, the last block with both */
		r = ede_block(off + 8 < len ? des : ede, block, chain);
	}
	if (!des || !ede)
		r = -EIO;
	EVP_CIPHER_CTX_free(des);
	EVP_CIPHER_CTX_free(ede);
	if (r == 0)
		memcpy(mac, chain, 4);
	return r;
}

void pboc_tac_key(const uint8_t dtk[16], uint8_t key[8])
{
	for (int i = 0; i < 8; i++)
		key[i] = dtk[i] ^ dtk[8 + i];
}

/* amount ‖ type ‖ terminal no ‖ terminal serial ‖ date(4) ‖ time(3) */
static void tac_input(uint32_t amount_fen, uint8_t trans_type, const uint8_t terminal_no[6],
		      uint32_t terminal_serial, const uint8_t datetime[7], uint8_t in[22])
{
	ykt_put_be32(in, amount_fen);
	in[4] = trans_type;
	memcpy(in + 5, terminal_no, 6);
	ykt_put_be32(in + 11, terminal_serial);
	memcpy(in + 15, datetime, 7);
}

int pboc_tac(const uint8_t dtk[16], uint32_t amount_fen, uint8_t trans_type,
	     const uint8_t terminal_no[6], uint32_t terminal_serial, const uint8_t datetime[7],
	     uint8_t tac[4])
{
	uint8_t key[8], in[22];
	int r;

	tac_input(amount_fen, trans_type, terminal_no, terminal_serial, datetime, in);
	pboc_tac_key(dtk, key);
	r = pboc_mac(key, NULL, in, sizeof(in), tac);
	memset(key, 0, sizeof(key));
	return r;
}

/* ---- SM4 ---- */

void pboc_sm4_profile_default(struct pboc_sm4_profile *ret)
{
	*ret = (struct pboc_sm4_profile){
		.algorithm_id = PBOC_SM4_ALGORITHM_ID_DEFAULT,
		.session_key_input = PBOC_SM4_SK_PAD80,
		.mac_output = PBOC_SM4_MAC_LEFT4,
		.tac_key = PBOC_SM4_TAC_FULL,
	};
}

/* An SM4-ECB context without padding, ready for whole blocks. */
static EVP_CIPHER_CTX *sm4_ctx_new(const uint8_t key[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *sm4 = EVP_sm4_ecb();

	if (!ctx || !sm4) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	if (EVP_EncryptInit_ex(ctx, sm4, NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int sm4_block(EVP_CIPHER_CTX *ctx, const uint8_t in[16], uint8_t out[16])
{
	int outl = 0;

	if (EVP_EncryptUpdate(ctx, out, &outl, in, 16) != 1 || outl != 16)
		return -EIO;
	return 0;
}

int pboc_sm4_encrypt(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	EVP_CIPHER_CTX *ctx = sm4_ctx_new(key);
	int r;

	if (!ctx)
		return -EIO;
	r = sm4_block(ctx, in, out);
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int pboc_sm4_diversify(const uint8_t mk[16], const uint8_t factor[8], uint8_t child[16])
{
	uint8_t in[16], tmp[16];
	int r;

	memcpy(in, factor, 8);
	for (int i = 0; i < 8; i++)
		in[8 + i] = (uint8_t)~factor[i];
	r = pboc_sm4_encrypt(mk, in, tmp);
	/* child may alias mk: write only at the end */
	if (r == 0)
		memcpy(child, tmp, 16);
	memset(tmp, 0, sizeof(tmp));
	return r;
}

int pboc_sm4_diversify2(const uint8_t mk[16], const uint8_t issuer_id[8],
			const uint8_t app_serial_low8[8], uint8_t child[16])
{
	uint8_t level1[16];
	int r;

	r = pboc_sm4_diversify(mk, issuer_id, level1);
	if (r == 0)
		r = pboc_sm4_diversify(level1, app_serial_low8, child);
	memset(level1, 0, sizeof(level1));
	return r;
}

int pboc_sm4_session_input(const struct pboc_sm4_profile *p, const uint8_t random[4], uint16_t atc,
			   uint32_t terminal_serial, uint8_t in[16])
{
	memcpy(in, random, 4);
	ykt_put_be16(in + 4, atc);
	ykt_put_be16(in + 6, (uint16_t)terminal_serial);
	switch (p->session_key_input) {
	case PBOC_SM4_SK_PAD80:
		memset(in + 8, 0, 8);
		in[8] = 0x80;
		return 0;
	case PBOC_SM4_SK_ZERO:
		memset(in + 8, 0, 8);
		return 0;
	case PBOC_SM4_SK_REPEAT:
		memcpy(in + 8, in, 8);
		return 0;
	}
	return -EINVAL;
}

int pboc_sm4_session_key(const struct pboc_sm4_profile *p, const uint8_t dpk[16],
			 const uint8_t random[4], uint16_t atc, uint32_t terminal_serial,
			 uint8_t sk[16])
{
	uint8_t in[16];
	int r = pboc_sm4_session_input(p, random, atc, terminal_serial, in);

	return r ? r : pboc_sm4_encrypt(dpk, in, sk);
}

int pboc_sm4_cbc_mac(const uint8_t key[16], const uint8_t iv[16], const uint8_t *data, size_t len,
		     uint8_t block[16])
{
	uint8_t chain[16] = { 0 }, b[16];
	size_t n_blocks = len / 16 + 1; /* the 80 pad always adds a byte */
	EVP_CIPHER_CTX *ctx = sm4_ctx_new(key);
	int r = 0;

	if (!ctx)
		return -EIO;
	if (iv)
		memcpy(chain, iv, 16);
	for (size_t i = 0; i < n_blocks && r == 0; i++) {
		mac_block(data, len, i, b, 16);
		for (int j = 0; j < 16; j++)
			b[j] ^= chain[j];
		r = sm4_block(ctx, b, chain);
	}
	EVP_CIPHER_CTX_free(ctx);
	if (r == 0)
		memcpy(block, chain, 16);
	return r;
}

int pboc_sm4_mac(const struct pboc_sm4_profile *p, const uint8_t key[16], const uint8_t iv[16],
		 const uint8_t *data, size_t len, uint8_t mac[4])
{
	uint8_t block[16];
	int r;

	if (p->mac_output != PBOC_SM4_MAC_LEFT4 && p->mac_output != PBOC_SM4_MAC_XOR_HALVES_LEFT4)
		return -EINVAL;
	r = pboc_sm4_cbc_mac(key, iv, data, len, block);
	if (r)
		return r;
	if (p->mac_output == PBOC_SM4_MAC_XOR_HALVES_LEFT4)
		for (int i = 0; i < 4; i++)
			block[i] ^= block[8 + i];
	memcpy(mac, block, 4);
	return 0;
}

int pboc_sm4_tac_key(const struct pboc_sm4_profile *p, const uint8_t dtk[16], uint8_t key[16])
{
	switch (p->tac_key) {
	case PBOC_SM4_TAC_FULL:
		memcpy(key, dtk, 16);
		return 0;
	case PBOC_SM4_TAC_XOR_HALVES:
		for (int i = 0; i < 8; i++)
			key[i] = key[8 + i] = dtk[i] ^ dtk[8 + i];
		return 0;
	case PBOC_SM4_TAC_LEFT_HALF:
		memcpy(key, dtk, 8);
		memcpy(key + 8, dtk, 8);
		return 0;
	}
	return -EINVAL;
}

int pboc_sm4_tac(const struct pboc_sm4_profile *p, const uint8_t dtk[16], uint32_t amount_fen,
		 uint8_t trans_type, const uint8_t terminal_no[6], uint32_t terminal_serial,
		 const uint8_t datetime[7], uint8_t tac[4])
{
	uint8_t key[16], in[22];
	int r;

	tac_input(amount_fen, trans_type, terminal_no, terminal_serial, datetime, in);
	r = pboc_sm4_tac_key(p, dtk, key);
	if (r == 0)
		r = pboc_sm4_mac(p, key, NULL, in, sizeof(in), tac);
	memset(key, 0, sizeof(key));
	return r;
}
