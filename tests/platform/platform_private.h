/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the reference platform: the record book (platform_records.c) that
 * the HTTP side (platform.c) hands request bodies to.
 */
#ifndef YKT_PLATFORM_PRIVATE_H
#define YKT_PLATFORM_PRIVATE_H

#include "platform.h"

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct platform_book;

/* The platform's answer to a request, before the HTTP side sends it. */
struct platform_answer {
	int status;		      /* HTTP status */
	struct json_object *results;  /* POST /v1/records, 200: the results array */
	char error[64], message[200]; /* status != 200: {"error", "message"} */
	uint64_t accepted, duplicates, rejected, tac_verified, tac_failed, qr_verified, qr_failed;
};

/* Open (creating) the platform's database; keys_path names the issuer test
 * key file, qr_roots_path (may be NULL) the QR root keys.  -EIO etc. with a
 * reason. */
int platform_book_open(const char *db_path, const char *keys_path, const char *qr_roots_path,
		       struct platform_book **ret, char *errbuf, size_t errbuf_len);
void platform_book_close(struct platform_book *b);

/* A POST /v1/records body (decompressed), from the device the certificate
 * names: each record checked, verified and stored or refused, in one
 * transaction.  Fills ret (the caller puts ret->results). */
void platform_book_records(struct platform_book *b, const char *device_id, const char *body,
			   size_t len, struct platform_answer *ret);

/* A POST /v1/heartbeat body: stored as it came. */
void platform_book_heartbeat(struct platform_book *b, const char *device_id, const char *body,
			     size_t len, struct platform_answer *ret);

/* Recompute a TAC (platform_tac.c): 0 and the 4 bytes, -ENOENT when no key
 * of that index or algorithm is in the key file, -EINVAL for fields that do
 * not decode. */
struct platform_keys;
int platform_keys_load(const char *path, struct platform_keys **ret, char *errbuf,
		       size_t errbuf_len);
void platform_keys_free(struct platform_keys *k);
int platform_tac(struct platform_keys *k, uint8_t key_index, uint8_t algorithm_id,
		 const char *issuer_id, const char *card_serial, uint32_t amount_fen,
		 uint8_t trans_type, const char *psam_terminal_no, uint32_t psam_serial,
		 const char *txn_time, uint8_t tac[4]);

#endif
