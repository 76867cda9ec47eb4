/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "params_pack.h"

#include <errno.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

EVP_PKEY *pack_key_generate(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
}

int pack_key_write(EVP_PKEY *key, const char *private_path, const char *public_path)
{
	FILE *f;
	int ok;

	if (private_path) {
		f = fopen(private_path, "we");
		if (!f)
			return -errno;
		fchmod(fileno(f), 0600);
		ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
		if (fclose(f) != 0 || !ok)
			return -EIO;
	}
	if (public_path) {
		f = fopen(public_path, "we");
		if (!f)
			return -errno;
		ok = PEM_write_PUBKEY(f, key);
		if (fclose(f) != 0 || !ok)
			return -EIO;
	}
	return 0;
}

EVP_PKEY *pack_key_load(const char *private_path)
{
	FILE *f = fopen(private_path, "re");
	EVP_PKEY *key;

	if (!f)
		return NULL;
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key && !EVP_PKEY_is_a(key, "SM2")) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

int pack_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
	static const char id[] = YKT_PKG_SM2_ID;
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key, NULL);
	size_t n = YKT_PKG_SIG_MAX;
	int ok = 0;

	if (mctx && pctx && EVP_PKEY_CTX_set1_id(pctx, id, (int)(sizeof(id) - 1)) > 0) {
		EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
		ok = EVP_DigestSignInit(mctx, NULL, EVP_sm3(), NULL, key) == 1 &&
		     EVP_DigestSign(mctx, sig, &n, msg, len) == 1;
	}
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	if (!ok)
		return -EINVAL;
	*sig_len = n;
	return 0;
}

int pack_write(const char *path, struct ykt_pkg_header *h, const void *payload, size_t len,
	       EVP_PKEY *key)
{
	uint8_t raw[YKT_PKG_HEADER_LEN], sig[YKT_PKG_SIG_MAX], len2[2];
	size_t sig_len = 0;
	unsigned md_len = 0;
	FILE *f;
	int ok;

	h->payload_len = len;
	if (EVP_Digest(payload, len, h->payload_sm3, &md_len, EVP_sm3(), NULL) != 1)
		return -EINVAL;
	ykt_pkg_header_encode(h, raw);
	if (key && pack_sign(key, raw, sizeof(raw), sig, &sig_len) < 0)
		return -EINVAL;
	len2[0] = (uint8_t)(sig_len >> 8);
	len2[1] = (uint8_t)sig_len;
	f = fopen(path, "we");
	if (!f)
		return -errno;
	ok = fwrite(raw, 1, sizeof(raw), f) == sizeof(raw) && fwrite(len2, 1, 2, f) == 2 &&
	     fwrite(sig, 1, sig_len, f) == sig_len && fwrite(payload, 1, len, f) == len;
	if (fclose(f) != 0 || !ok)
		return -EIO;
	return 0;
}

static int serial_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 10);
}

static int delta_cmp(const void *a, const void *b)
{
	return memcmp((const uint8_t *)a + 1, (const uint8_t *)b + 1, 10);
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 20 hex digits at p, followed by white space or the end. */
static int parse_serial(const char *p, uint8_t out[10])
{
	for (int i = 0; i < 20; i++) {
		int hi = hex_nibble(p[i]);

		if (hi < 0)
			return -EINVAL;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(hi << 4);
		else
			out[i / 2] |= (uint8_t)hi;
	}
	return p[20] && !strchr(" \t\r\n", p[20]) ? -EINVAL : 0;
}

/* Each non-empty line: [op] serial.  rec_len 10 (no op) or 11. */
static int parse_lines(const char *text, size_t rec_len, uint8_t **ret, size_t *ret_n,
		       int *ret_line)
{
	size_t cap = 1024, n = 0;
	uint8_t *buf = malloc(cap * rec_len);
	int line = 0;

	if (!buf)
		return -ENOMEM;
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		const char *s = p + strspn(p, " \t\r");

		line++;
		if (*s && *s != '\n' && *s != '#') {
			uint8_t *rec;

			if (n == cap) {
				uint8_t *grown = realloc(buf, (cap *= 2) * rec_len);

				if (!grown) {
					free(buf);
					return -ENOMEM;
				}
				buf = grown;
			}
			rec = buf + n * rec_len;
			if (rec_len == 11)
				rec[0] = *s == '+' ? 0x01 : *s == '-' ? 0x02 : 0;
			if ((rec_len == 11 && !rec[0]) ||
			    parse_serial(s + (rec_len == 11), rec + rec_len - 10) < 0) {
				free(buf);
				if (ret_line)
					*ret_line = line;
				return -EINVAL;
			}
			n++;
		}
		p = eol ? eol + 1 : p + strlen(p);
	}
	*ret = buf;
	*ret_n = n;
	return 0;
}

int pack_blacklist_full(const char *text, uint8_t **ret, size_t *ret_len, int *ret_line)
{
	uint8_t *buf;
	size_t n, k = 0;
	int r = parse_lines(text, 10, &buf, &n, ret_line);

	if (r < 0)
		return r;
	qsort(buf, n, 10, serial_cmp);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || memcmp(buf + (k - 1) * 10, buf + i * 10, 10) != 0)
			memmove(buf + k++ * 10, buf + i * 10, 10);
	*ret = buf;
	*ret_len = k * 10;
	return 0;
}

int pack_blacklist_delta(const char *text, uint8_t **ret, size_t *ret_len, int *ret_line)
{
	uint8_t *buf;
	size_t n;
	int r = parse_lines(text, 11, &buf, &n, ret_line);

	if (r < 0)
		return r;
	qsort(buf, n, 11, delta_cmp);
	*ret = buf;
	*ret_len = n * 11;
	return 0;
}

int pack_read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	uint8_t *buf;
	size_t got;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || (uint64_t)st.st_size > max) {
		fclose(f);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	got = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (!buf || got != (size_t)st.st_size) {
		free(buf);
		return buf ? -EIO : -ENOMEM;
	}
	buf[got] = '\0';
	*ret = buf;
	*ret_len = got;
	return 0;
}
