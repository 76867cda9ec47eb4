/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "qr_gen.h"

#include "bytes.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <stdio.h>
#include <string.h>

static const uint8_t default_id[16] = "1234567812345678";

static EVP_PKEY *sm2_keygen(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	EVP_PKEY *key = NULL;

	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_generate(ctx, &key) <= 0)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

int qr_gen_keys_new(struct qr_gen_keys *k)
{
	k->root = sm2_keygen();
	k->issuer = sm2_keygen();
	k->user = sm2_keygen();
	return k->root && k->issuer && k->user ? 0 : -1;
}

void qr_gen_keys_free(struct qr_gen_keys *k)
{
	EVP_PKEY_free(k->root);
	EVP_PKEY_free(k->issuer);
	EVP_PKEY_free(k->user);
}

/* The compressed public point (33 bytes): x with the parity of y. */
static int point33(EVP_PKEY *key, uint8_t out[33])
{
	uint8_t full[65];
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, full, sizeof(full),
					    &len) <= 0 ||
	    len != 65 || full[0] != 0x04)
		return -1;
	out[0] = (uint8_t)(0x02 | (full[64] & 1));
	memcpy(out + 1, full + 1, 32);
	return 0;
}

int qr_gen_root(const struct qr_gen_keys *k, uint8_t version, uint8_t index, int64_t expiry_utc,
		struct qr_root_key *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->version = version;
	ret->index = index;
	ret->expiry_utc = expiry_utc;
	ret->pubkey_len = 33;
	return point33(k->root, ret->pubkey);
}

/* SM2/SM3 signature as r || s. */
static int sign(EVP_PKEY *key, const uint8_t *id, size_t id_len, const uint8_t *msg, size_t len,
		uint8_t rs[64])
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key, NULL);
	uint8_t der[80];
	size_t der_len = sizeof(der);
	const uint8_t *p = der;
	ECDSA_SIG *sig = NULL;
	int r = -1;

	if (mctx && pctx && EVP_PKEY_CTX_set1_id(pctx, id, id_len) > 0) {
		/* the digest context borrows pctx; it is freed below */
		EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
		if (EVP_DigestSignInit(mctx, NULL, EVP_sm3(), NULL, key) > 0 &&
		    EVP_DigestSign(mctx, der, &der_len, msg, len) > 0)
			sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	}
	if (sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32) == 32)
		r = 0;
	ECDSA_SIG_free(sig);
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_CTX_free(mctx);
	return r;
}

void qr_gen_defaults(struct qr_gen_opts *o, uint32_t gen_utc)
{
	static const uint8_t account[10] = { 0x62, 0x17, 0x00, 0x00, 0x12,
					     0x34, 0x56, 0x78, 0x90, 0x01 };

	memset(o, 0, sizeof(*o));
	o->version = QR_VERSION_INTERCONNECT;
	o->ca_index = 1;
	o->cert_mm = 0x12;
	o->cert_yy = 0x30;
	memcpy(o->user_account, account, sizeof(account));
	o->account_type = QR_ACCOUNT_NORMAL;
	o->limit_fen = 5000;
	o->auth_expiry_utc = 1893456000; /* 2030-01-01 */
	o->validity_s = 60;
	o->generated_utc = gen_utc;
}

int qr_gen_build(const struct qr_gen_keys *k, const struct qr_gen_opts *o, uint8_t *out)
{
	static const uint8_t institution[4] = { 0x10, 0x00, 0x00, 0x01 },
			     platform[4] = { 0x20, 0x00, 0x00, 0x02 };
	uint8_t id_cert[5] = { 0x01, 0x01, 0x00, 0x00, o->ca_index }, id_issuer[8];
	bool local = o->version == QR_VERSION_LOCAL;
	size_t n = 0, cert, tail;

	out[n++] = o->version;
	n += 2; /* length, below */
	cert = n;
	out[n++] = 0x24;
	memcpy(out + n, id_cert, 4);
	n += 4;
	out[n++] = o->ca_index;
	out[n++] = 0x12;
	memcpy(out + n, "\x31\x00\x00\x01", 4); /* issuer id */
	n += 4;
	out[n++] = o->cert_mm;
	out[n++] = o->cert_yy;
	memcpy(out + n, "\x00\x00\x07", 3);
	n += 3;
	out[n++] = 0x04;
	out[n++] = 0x04;
	out[n++] = 0x00;
	out[n++] = 33;
	if (point33(k->issuer, out + n) < 0)
		return -1;
	n += 33;
	/* root CA over format .. public key */
	if (sign(o->cert_signed_by_issuer ? k->issuer : k->root, local ? id_cert : default_id,
		 local ? sizeof(id_cert) : sizeof(default_id), out + cert + 6, n - (cert + 6),
		 out + n) < 0)
		return -1;
	n += 64;
	memcpy(out + n, "\x62\x17\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x12\x34\x56\x78", 16);
	n += 16;
	memcpy(out + n, o->user_account, 10);
	n += 10;
	memcpy(out + n, institution, 4);
	n += 4;
	memcpy(out + n, platform, 4);
	n += 4;
	out[n++] = o->account_type;
	ykt_put_be24(out + n, o->limit_fen);
	n += 3;
	if (point33(k->user, out + n) < 0)
		return -1;
	n += 33;
	ykt_put_be32(out + n, o->auth_expiry_utc);
	n += 4;
	ykt_put_be16(out + n, o->validity_s);
	n += 2;
	out[n++] = o->custom_len;
	for (unsigned i = 0; i < o->custom_len; i++)
		out[n++] = (uint8_t)(0xA0 + i);
	tail = n;
	memcpy(id_issuer, institution, 4);
	memcpy(id_issuer + 4, platform, 4);
	out[n++] = 0x40;
	if (sign(k->issuer, local ? id_issuer : default_id,
		 local ? sizeof(id_issuer) : sizeof(default_id), out + cert, tail - cert,
		 out + n) < 0)
		return -1;
	n += 64;
	ykt_put_be32(out + n, o->generated_utc);
	n += 4;
	ykt_put_be16(out + 1, (uint16_t)(n + 65 - 3));
	out[n++] = 0x40;
	if (sign(k->user, local ? o->user_account : default_id,
		 local ? sizeof(o->user_account) : sizeof(default_id), out, n - 1, out + n) < 0)
		return -1;
	n += 64;
	if (o->spoil == 1)
		out[cert + 53 + 10] ^= 0x01;
	else if (o->spoil == 2)
		out[tail + 1 + 10] ^= 0x01;
	else if (o->spoil == 3)
		out[n - 10] ^= 0x01;
	return (int)n;
}

void qr_gen_hex(const uint8_t *code, size_t len, char *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[code[i] >> 4];
		out[2 * i + 1] = hex[code[i] & 0x0f];
	}
	out[2 * len] = '\0';
}
