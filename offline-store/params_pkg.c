/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parameter package container (docs/parameters.md):
 *
 *   72-byte header (signed) | u16 signature length | DER SM2 signature | payload
 *
 * The header holds the payload's SM3, so the signature over the header
 * covers the payload too, and a payload that was changed after signing is
 * told apart from a forged header.  SM2 with SM3 and the GM/T 0009 default
 * distinguishing ID "1234567812345678", through OpenSSL's libcrypto (the
 * only file of the validator that includes it outside the simulator).
 */
#include "params_private.h"

#include "bytes.h"
#include "ykt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t pkg_magic[4] = { 'Y', 'K', 'T', 'P' };
#define PKG_FORMAT 1

/* header offsets */
enum {
	H_MAGIC = 0,
	H_FORMAT = 4,
	H_KIND = 5,
	H_FLAGS = 6,
	H_VERSION = 8,
	H_BASE = 12,
	H_EFFECTIVE = 16,
	H_CREATED = 24,
	H_PAYLOAD_LEN = 32,
	H_SM3 = 40,
};

static const char *const kind_names[] = {
	[YKT_PKG_BLACKLIST_FULL] = "blacklist-full", [YKT_PKG_BLACKLIST_DELTA] = "blacklist-delta",
	[YKT_PKG_WHITELIST] = "whitelist",	     [YKT_PKG_FARE_TABLE] = "fare-table",
	[YKT_PKG_CARD_RULES] = "card-rules",	     [YKT_PKG_DEVICE_SETTINGS] = "device-settings",
	[YKT_PKG_QR_ROOT_KEYS] = "qr-root-keys",
};

static const char *const set_names[YKT_PARAM__COUNT] = {
	[YKT_PARAM_BLACKLIST] = "blacklist",
	[YKT_PARAM_WHITELIST] = "whitelist",
	[YKT_PARAM_FARE_TABLE] = "fare-table",
	[YKT_PARAM_CARD_RULES] = "card-rules",
	[YKT_PARAM_DEVICE_SETTINGS] = "device-settings",
};

#define N_KINDS ((int)(sizeof(kind_names) / sizeof(kind_names[0])))

const char *ykt_pkg_kind_name(int kind)
{
	return kind > 0 && kind < N_KINDS ? kind_names[kind] : NULL;
}

int ykt_pkg_kind_from_name(const char *name)
{
	for (int k = 1; k < N_KINDS; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -EINVAL;
}

const char *ykt_param_set_name(enum ykt_param_set set)
{
	return (unsigned)set < YKT_PARAM__COUNT ? set_names[set] : "?";
}

int ykt_pkg_kind_set(int kind)
{
	switch (kind) {
	case YKT_PKG_BLACKLIST_FULL:
	case YKT_PKG_BLACKLIST_DELTA:
		return YKT_PARAM_BLACKLIST;
	case YKT_PKG_WHITELIST:
		return YKT_PARAM_WHITELIST;
	case YKT_PKG_FARE_TABLE:
		return YKT_PARAM_FARE_TABLE;
	case YKT_PKG_CARD_RULES:
		return YKT_PARAM_CARD_RULES;
	case YKT_PKG_DEVICE_SETTINGS:
		return YKT_PARAM_DEVICE_SETTINGS;
	default:
		return -EINVAL;
	}
}

static uint64_t get_be64(const uint8_t *p)
{
	return ((uint64_t)ykt_be32(p) << 32) | ykt_be32(p + 4);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	ykt_put_be32(p, (uint32_t)(v >> 32));
	ykt_put_be32(p + 4, (uint32_t)v);
}

void ykt_pkg_header_encode(const struct ykt_pkg_header *h, uint8_t out[YKT_PKG_HEADER_LEN])
{
	memset(out, 0, YKT_PKG_HEADER_LEN);
	memcpy(out + H_MAGIC, pkg_magic, 4);
	out[H_FORMAT] = PKG_FORMAT;
	out[H_KIND] = h->kind;
	ykt_put_be32(out + H_VERSION, h->version);
	ykt_put_be32(out + H_BASE, h->base_version);
	put_be64(out + H_EFFECTIVE, (uint64_t)h->effective_unix_s);
	put_be64(out + H_CREATED, (uint64_t)h->created_unix_s);
	put_be64(out + H_PAYLOAD_LEN, h->payload_len);
	memcpy(out + H_SM3, h->payload_sm3, YKT_PKG_SM3_LEN);
}

static int bad(int err, char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(int err, char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* The payload length each kind allows. */
static int check_payload_len(const struct ykt_pkg_header *h, char *why, size_t why_len)
{
	uint64_t n = h->payload_len;

	switch (h->kind) {
	case YKT_PKG_BLACKLIST_FULL:
		if (n % BL_SERIAL_LEN || n / BL_SERIAL_LEN > PKG_MAX_LIST_ENTRIES)
			return bad(
			    YKT_E_PARAM_FORMAT, why, why_len,
			    "blacklist payload of %llu bytes is not up to %u serials of 10 bytes",
			    (unsigned long long)n, PKG_MAX_LIST_ENTRIES);
		return 0;
	case YKT_PKG_BLACKLIST_DELTA:
		if (n == 0 || n % BL_DELTA_REC_LEN || n / BL_DELTA_REC_LEN > PKG_MAX_LIST_ENTRIES)
			return bad(YKT_E_PARAM_FORMAT, why, why_len,
				   "delta payload of %llu bytes is not 1 to %u records of 11 bytes",
				   (unsigned long long)n, PKG_MAX_LIST_ENTRIES);
		return 0;
	default:
		if (n < 2 || n > PKG_MAX_JSON_LEN)
			return bad(YKT_E_PARAM_FORMAT, why, why_len,
				   "JSON payload of %llu bytes (allowed 2 to %u)",
				   (unsigned long long)n, PKG_MAX_JSON_LEN);
		return 0;
	}
}

static int check_times(const struct ykt_pkg_header *h, char *why, size_t why_len)
{
	if (h->effective_unix_s < PKG_MIN_UNIX_S || h->effective_unix_s > PKG_MAX_UNIX_S)
		return bad(YKT_E_PARAM_FORMAT, why, why_len, "effective time %lld out of range",
			   (long long)h->effective_unix_s);
	if (h->created_unix_s < PKG_MIN_UNIX_S || h->created_unix_s > PKG_MAX_UNIX_S)
		return bad(YKT_E_PARAM_FORMAT, why, why_len, "creation time %lld out of range",
			   (long long)h->created_unix_s);
	return 0;
}

static int check_versions(const struct ykt_pkg_header *h, char *why, size_t why_len)
{
	if (h->version == 0)
		return bad(YKT_E_PARAM_FORMAT, why, why_len, "version 0 (versions start at 1)");
	if (h->kind == YKT_PKG_BLACKLIST_DELTA &&
	    (h->base_version == 0 || h->base_version >= h->version))
		return bad(YKT_E_PARAM_FORMAT, why, why_len,
			   "delta version %u on base %u: the base must be an older version",
			   h->version, h->base_version);
	if (h->kind != YKT_PKG_BLACKLIST_DELTA && h->base_version != 0)
		return bad(YKT_E_PARAM_FORMAT, why, why_len, "base version %u on a %s package",
			   h->base_version, kind_names[h->kind]);
	return 0;
}

int ykt_pkg_header_decode(const uint8_t in[YKT_PKG_HEADER_LEN], struct ykt_pkg_header *ret,
			  char *why, size_t why_len)
{
	struct ykt_pkg_header h = { 0 };
	int r;

	if (memcmp(in + H_MAGIC, pkg_magic, 4) != 0)
		return bad(YKT_E_PARAM_FORMAT, why, why_len, "not a parameter package (no YKTP)");
	if (in[H_FORMAT] != PKG_FORMAT)
		return bad(YKT_E_PARAM_FORMAT, why, why_len,
			   "package format %u (this build reads %u)", in[H_FORMAT], PKG_FORMAT);
	if (ykt_be16(in + H_FLAGS) != 0)
		return bad(YKT_E_PARAM_FORMAT, why, why_len, "unknown header flags %04X",
			   ykt_be16(in + H_FLAGS));
	h.kind = in[H_KIND];
	if (ykt_pkg_kind_set(h.kind) < 0)
		return bad(YKT_E_PARAM_KIND, why, why_len,
			   "package kind %u (%s) not supported by this build", h.kind,
			   ykt_pkg_kind_name(h.kind) ? ykt_pkg_kind_name(h.kind) : "unknown");
	h.version = ykt_be32(in + H_VERSION);
	h.base_version = ykt_be32(in + H_BASE);
	h.effective_unix_s = (int64_t)get_be64(in + H_EFFECTIVE);
	h.created_unix_s = (int64_t)get_be64(in + H_CREATED);
	h.payload_len = get_be64(in + H_PAYLOAD_LEN);
	memcpy(h.payload_sm3, in + H_SM3, YKT_PKG_SM3_LEN);
	r = check_versions(&h, why, why_len);
	if (r == 0)
		r = check_times(&h, why, why_len);
	if (r == 0)
		r = check_payload_len(&h, why, why_len);
	if (r == 0)
		*ret = h;
	return r;
}

/* ---- the platform key ---- */

struct pkg_key {
	EVP_PKEY *pkey;
};

int pkg_key_load(const char *path, struct pkg_key **ret, char *why, size_t why_len)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *pkey;
	struct pkg_key *key;

	if (!f)
		return bad(YKT_E_PARAM_KEY, why, why_len, "platform public key %s: %s", path,
			   strerror(errno));
	pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!pkey)
		return bad(YKT_E_PARAM_KEY, why, why_len,
			   "platform public key %s: not a PEM public key", path);
	if (!EVP_PKEY_is_a(pkey, "SM2")) {
		EVP_PKEY_free(pkey);
		return bad(YKT_E_PARAM_KEY, why, why_len, "platform public key %s: not an SM2 key",
			   path);
	}
	key = calloc(1, sizeof(*key));
	if (!key) {
		EVP_PKEY_free(pkey);
		return -ENOMEM;
	}
	key->pkey = pkey;
	*ret = key;
	return 0;
}

void pkg_key_free(struct pkg_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

/* ---- reading a package ---- */

static int read_exact(int fd, void *buf, size_t n, uint64_t offset)
{
	size_t done = 0;

	while (done < n) {
		ssize_t got = pread(fd, (uint8_t *)buf + done, n - done, (off_t)(offset + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return YKT_E_PARAM_FORMAT;
		done += (size_t)got;
	}
	return 0;
}

static int pkg_read_head(struct pkg_file *f, uint64_t size, char *why, size_t why_len)
{
	uint8_t len2[2];
	int r;

	if (size < YKT_PKG_HEADER_LEN + 2)
		return bad(YKT_E_PARAM_FORMAT, why, why_len, "%llu bytes: too short for a package",
			   (unsigned long long)size);
	r = read_exact(f->fd, f->raw, YKT_PKG_HEADER_LEN, 0);
	if (r == 0)
		r = read_exact(f->fd, len2, 2, YKT_PKG_HEADER_LEN);
	if (r < 0)
		return bad(r, why, why_len, "reading the header: %s", ykt_strerror(r));
	r = ykt_pkg_header_decode(f->raw, &f->h, why, why_len);
	if (r < 0)
		return r;
	f->sig_len = ykt_be16(len2);
	if (f->sig_len > YKT_PKG_SIG_MAX)
		return bad(YKT_E_PARAM_FORMAT, why, why_len, "signature of %zu bytes (at most %d)",
			   f->sig_len, YKT_PKG_SIG_MAX);
	f->payload_offset = YKT_PKG_HEADER_LEN + 2 + f->sig_len;
	if (size != f->payload_offset + f->h.payload_len)
		return bad(YKT_E_PARAM_FORMAT, why, why_len,
			   "file is %llu bytes, its header says %llu", (unsigned long long)size,
			   (unsigned long long)(f->payload_offset + f->h.payload_len));
	r = read_exact(f->fd, f->sig, f->sig_len, YKT_PKG_HEADER_LEN + 2);
	if (r < 0)
		return bad(r, why, why_len, "reading the signature: %s", ykt_strerror(r));
	return 0;
}

int pkg_open(const char *path, struct pkg_file *ret, char *why, size_t why_len)
{
	struct stat st;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (ret->fd < 0)
		return bad(-errno, why, why_len, "%s: %s", path, strerror(errno));
	if (fstat(ret->fd, &st) < 0)
		r = bad(-errno, why, why_len, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		r = bad(YKT_E_PARAM_FORMAT, why, why_len, "%s: not a regular file", path);
	else
		r = pkg_read_head(ret, (uint64_t)st.st_size, why, why_len);
	if (r < 0) {
		close(ret->fd);
		ret->fd = -1;
	}
	return r;
}

void pkg_close(struct pkg_file *f)
{
	if (f && f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
}

int pkg_verify(const struct pkg_file *f, const struct pkg_key *key, char *why, size_t why_len)
{
	static const char id[] = YKT_PKG_SM2_ID;
	EVP_MD_CTX *mctx;
	EVP_PKEY_CTX *pctx;
	int ok = 0;

	if (f->sig_len == 0)
		return bad(YKT_E_PARAM_UNSIGNED, why, why_len, "package is not signed");
	if (!key)
		return bad(YKT_E_PARAM_KEY, why, why_len, "no platform public key configured");
	mctx = EVP_MD_CTX_new();
	pctx = EVP_PKEY_CTX_new(key->pkey, NULL);
	/* the ID goes into Z = SM3(ENTL || ID || a || b || G || P) before the
	 * digest: set it on the key context the digest context then uses */
	if (mctx && pctx && EVP_PKEY_CTX_set1_id(pctx, id, (int)(sizeof(id) - 1)) > 0) {
		EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
		ok = EVP_DigestVerifyInit(mctx, NULL, EVP_sm3(), NULL, key->pkey) == 1 &&
		     EVP_DigestVerify(mctx, f->sig, f->sig_len, f->raw, YKT_PKG_HEADER_LEN) == 1;
	}
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	if (!ok)
		return bad(YKT_E_PARAM_SIGNATURE, why, why_len,
			   "signature does not verify with the platform key");
	return 0;
}

/* ---- the payload ---- */

struct pkg_payload {
	int fd;
	uint64_t offset, left;
	EVP_MD_CTX *sm3;
};

int pkg_payload_begin(const struct pkg_file *f, struct pkg_payload **ret)
{
	struct pkg_payload *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return -ENOMEM;
	pl->fd = f->fd;
	pl->offset = f->payload_offset;
	pl->left = f->h.payload_len;
	pl->sm3 = EVP_MD_CTX_new();
	if (!pl->sm3 || EVP_DigestInit_ex(pl->sm3, EVP_sm3(), NULL) != 1) {
		pkg_payload_free(pl);
		return -ENOMEM;
	}
	*ret = pl;
	return 0;
}

int pkg_payload_read(struct pkg_payload *pl, void *buf, size_t n)
{
	int r;

	if (n > pl->left)
		return YKT_E_PARAM_FORMAT;
	r = read_exact(pl->fd, buf, n, pl->offset);
	if (r < 0)
		return r;
	if (EVP_DigestUpdate(pl->sm3, buf, n) != 1)
		return -ENOMEM;
	pl->offset += n;
	pl->left -= n;
	return 0;
}

uint64_t pkg_payload_left(const struct pkg_payload *pl)
{
	return pl->left;
}

int pkg_payload_end(struct pkg_payload *pl, const uint8_t sm3[YKT_PKG_SM3_LEN], char *why,
		    size_t why_len)
{
	uint8_t got[EVP_MAX_MD_SIZE];
	unsigned got_len = 0;
	int r = 0;

	if (pl->left)
		r = bad(YKT_E_PARAM_FORMAT, why, why_len, "payload not read to its end");
	else if (EVP_DigestFinal_ex(pl->sm3, got, &got_len) != 1 || got_len != YKT_PKG_SM3_LEN)
		r = -ENOMEM;
	else if (memcmp(got, sm3, YKT_PKG_SM3_LEN) != 0)
		r = bad(YKT_E_PARAM_HASH, why, why_len,
			"payload does not match the SM3 hash in its signed header");
	pkg_payload_free(pl);
	return r;
}

int pkg_payload_blame(struct pkg_payload *pl, const uint8_t sm3[YKT_PKG_SM3_LEN], int err,
		      char *why, size_t why_len)
{
	uint8_t buf[4096];
	int r = 0;

	while (r == 0 && pl->left) {
		size_t n = pl->left < sizeof(buf) ? (size_t)pl->left : sizeof(buf);

		r = pkg_payload_read(pl, buf, n);
	}
	if (r == 0 && pkg_payload_end(pl, sm3, NULL, 0) == YKT_E_PARAM_HASH)
		err = bad(YKT_E_PARAM_HASH, why, why_len,
			  "payload does not match the SM3 hash in its signed header");
	else if (r < 0)
		pkg_payload_free(pl);
	return err;
}

void pkg_payload_free(struct pkg_payload *pl)
{
	if (!pl)
		return;
	EVP_MD_CTX_free(pl->sm3);
	free(pl);
}

int pkg_read_payload(const struct pkg_file *f, uint8_t **ret, char *why, size_t why_len)
{
	struct pkg_payload *pl = NULL;
	uint8_t *buf;
	int r;

	if (f->h.payload_len > PKG_MAX_JSON_LEN)
		return bad(YKT_E_PARAM_FORMAT, why, why_len, "payload too large");
	buf = malloc(f->h.payload_len + 1);
	if (!buf)
		return -ENOMEM;
	r = pkg_payload_begin(f, &pl);
	if (r == 0)
		r = pkg_payload_read(pl, buf, f->h.payload_len);
	if (r < 0) {
		pkg_payload_free(pl);
		free(buf);
		return bad(r, why, why_len, "reading the payload: %s", ykt_strerror(r));
	}
	r = pkg_payload_end(pl, f->h.payload_sm3, why, why_len);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[f->h.payload_len] = '\0';
	*ret = buf;
	return 0;
}

int pkg_sm3(const void *data, size_t len, uint8_t out[YKT_PKG_SM3_LEN])
{
	unsigned n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sm3(), NULL) != 1 || n != YKT_PKG_SM3_LEN)
		return -ENOMEM;
	return 0;
}
