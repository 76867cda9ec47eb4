/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test-only maker of T-Union QR codes: fresh SM2 root CA, issuer and user
 * keys generated at run time, and codes of either version signed by them
 * the way docs/qr.md describes, with knobs to make every kind of bad code.
 */
#ifndef YKT_QR_GEN_H
#define YKT_QR_GEN_H

#include "qr.h"

#include <openssl/evp.h>
#include <stdint.h>

struct qr_gen_keys {
	EVP_PKEY *root, *issuer, *user;
};

int qr_gen_keys_new(struct qr_gen_keys *k);
void qr_gen_keys_free(struct qr_gen_keys *k);

/* The root key as a parameter package would carry it. */
int qr_gen_root(const struct qr_gen_keys *k, uint8_t version, uint8_t index, int64_t expiry_utc,
		struct qr_root_key *ret);

struct qr_gen_opts {
	uint8_t version;  /* 0x80 or 0x81 */
	uint8_t ca_index; /* the root key index named in the certificate */
	uint8_t cert_mm, cert_yy;
	uint8_t user_account[10];
	uint8_t account_type;
	uint32_t limit_fen;
	uint32_t auth_expiry_utc;
	uint16_t validity_s;
	uint32_t generated_utc;
	uint8_t custom_len;
	/* which signature to spoil after signing: 0 none, 1 cert, 2 issuer, 3 user */
	int spoil;
	/* sign the certificate with the issuer key instead of the root key */
	bool cert_signed_by_issuer;
};

/* Defaults: version 80, index 1, cert valid to 12/30, adult account,
 * limit 50.00 yuan, authorised to 2030, valid 60 s, made at gen_utc. */
void qr_gen_defaults(struct qr_gen_opts *o, uint32_t gen_utc);

/* Build a code into out (QR_MAX_LEN bytes). Its length, or -1. */
int qr_gen_build(const struct qr_gen_keys *k, const struct qr_gen_opts *o, uint8_t *out);

/* Hex of a code, for tap scripts: out holds 2 * len + 1. */
void qr_gen_hex(const uint8_t *code, size_t len, char *out);

#endif
