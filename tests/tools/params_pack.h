/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Building and signing parameter packages (docs/parameters.md): what the
 * platform does, for the tests, the benchmark and ykt-params-pack.  Never
 * linked into the validator.  Keys made here are test keys.
 */
#ifndef YKT_PARAMS_PACK_H
#define YKT_PARAMS_PACK_H

#include "params.h"

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* A fresh SM2 key pair; caller EVP_PKEY_free()s it.  NULL on failure. */
EVP_PKEY *pack_key_generate(void);
/* Write the private key (PKCS#8 PEM, unencrypted) and/or the public key
 * (SubjectPublicKeyInfo PEM); either path may be NULL.  0 or -errno. */
int pack_key_write(EVP_PKEY *key, const char *private_path, const char *public_path);
/* Load a PEM private key; NULL unless it is an SM2 key. */
EVP_PKEY *pack_key_load(const char *private_path);

/* SM2 signature (DER) with SM3 and the distinguishing ID YKT_PKG_SM2_ID
 * over msg.  sig holds YKT_PKG_SIG_MAX bytes. 0 or -EINVAL. */
int pack_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len);

/* Write a package: h's payload_len and payload_sm3 are computed here from
 * payload; key NULL writes it unsigned.  0 or -errno. */
int pack_write(const char *path, struct ykt_pkg_header *h, const void *payload, size_t len,
	       EVP_PKEY *key);

/* Blacklist payloads from text.  Full: serials of 20 hex digits separated
 * by white space, sorted and de-duplicated here.  Delta: "+SERIAL" (add)
 * or "-SERIAL" (remove), sorted here.  Caller frees *ret.  -EINVAL with the
 * offending line number in *ret_line when given. */
int pack_blacklist_full(const char *text, uint8_t **ret, size_t *ret_len, int *ret_line);
int pack_blacklist_delta(const char *text, uint8_t **ret, size_t *ret_len, int *ret_line);

/* A whole file into a NUL-terminated buffer (at most max bytes). */
int pack_read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len);

#endif
