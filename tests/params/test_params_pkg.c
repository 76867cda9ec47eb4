/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The package container (docs/parameters.md): exact header bytes, every
 * header field checked, file lengths checked against the header, SM3
 * against the GB/T 32905 test vector, SM2 signatures made with the
 * distinguishing ID 1234567812345678 verify and any other signature does
 * not; random damage to a package is refused, never crashes.
 */
#include "params_test.h"

#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ptest t;

static void header_bytes(void)
{
	struct ykt_pkg_header h = { .kind = YKT_PKG_BLACKLIST_DELTA,
				    .version = 0x01020304,
				    .base_version = 0x01020303,
				    .effective_unix_s = 0x6940A5C0,
				    .created_unix_s = 0x69400000,
				    .payload_len = 22 },
			      back;
	uint8_t raw[YKT_PKG_HEADER_LEN];
	char why[256];

	memset(h.payload_sm3, 0xAB, sizeof(h.payload_sm3));
	ykt_pkg_header_encode(&h, raw);
	CHECK_HEX(raw, 40,
		  "59 4B 54 50 01 02 00 00 01 02 03 04 01 02 03 03"
		  "00 00 00 00 69 40 A5 C0 00 00 00 00 69 40 00 00"
		  "00 00 00 00 00 00 00 16");
	CHECK_INT(ykt_pkg_header_decode(raw, &back, why, sizeof(why)), 0);
	CHECK(memcmp(&back, &h, sizeof(h)) == 0, "header round trip");
}

struct header_case {
	int offset, value; /* byte to set */
	int want;
	const char *why;
};

static void header_refusals(void)
{
	static const struct header_case cases[] = {
		{ 0, 'X', YKT_E_PARAM_FORMAT, "no YKTP" },
		{ 4, 2, YKT_E_PARAM_FORMAT, "format 2" },
		{ 7, 1, YKT_E_PARAM_FORMAT, "flags 0001" },
		{ 5, 0, YKT_E_PARAM_KIND, "kind 0" },
		{ 5, 7, YKT_E_PARAM_KIND, "qr-root-keys" },
		{ 5, 99, YKT_E_PARAM_KIND, "kind 99 (unknown)" },
		{ 11, 0, YKT_E_PARAM_FORMAT, "version 0" }, /* version 0 */
		{ 15, 1, YKT_E_PARAM_FORMAT, "base version 1 on a blacklist-full" },
		{ 16, 0x80, YKT_E_PARAM_FORMAT, "effective time" }, /* negative */
		{ 17, 0x01, YKT_E_PARAM_FORMAT, "effective time" }, /* year 9000 */
		{ 24, 0xff, YKT_E_PARAM_FORMAT, "creation time" },
		{ 39, 15, YKT_E_PARAM_FORMAT, "not up to" },   /* 15 bytes */
		{ 35, 0x20, YKT_E_PARAM_FORMAT, "not up to" }, /* 137 GB */
	};
	struct ykt_pkg_header h = { .kind = YKT_PKG_BLACKLIST_FULL,
				    .version = 0x100,
				    .effective_unix_s = 1800000000,
				    .payload_len = 20 },
			      back;
	uint8_t raw[YKT_PKG_HEADER_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[256] = "";
		int r;

		ykt_pkg_header_encode(&h, raw);
		if (cases[i].offset == 11)
			memset(raw + 8, 0, 4);
		else
			raw[cases[i].offset] = (uint8_t)cases[i].value;
		r = ykt_pkg_header_decode(raw, &back, why, sizeof(why));
		CHECK(r == cases[i].want && strstr(why, cases[i].why), "case %zu: %d '%s'", i, r,
		      why);
	}
	/* deltas: the base must be an older version */
	h.kind = YKT_PKG_BLACKLIST_DELTA;
	h.payload_len = 11;
	for (uint32_t base = 0; base <= 0x101; base += 0x80) {
		char why[256] = "";

		h.base_version = base;
		ykt_pkg_header_encode(&h, raw);
		CHECK_INT(ykt_pkg_header_decode(raw, &back, why, sizeof(why)),
			  base == 0x80 ? 0 : YKT_E_PARAM_FORMAT);
	}
	h.kind = YKT_PKG_FARE_TABLE;
	h.base_version = 0;
	h.payload_len = 16u << 20 | 1;
	ykt_pkg_header_encode(&h, raw);
	CHECK_INT(ykt_pkg_header_decode(raw, &back, NULL, 0), YKT_E_PARAM_FORMAT);
}

static void sm3_vector(void)
{
	uint8_t md[32];

	/* GB/T 32905-2016 appendix A, example 1 */
	CHECK_INT(pkg_sm3("abc", 3, md), 0);
	CHECK_HEX(md, 32,
		  "66C7F0F4 62EEEDD9 D1F2D46B DC10E4E2 4167C487 5CF2F7A2 297DA02B 8F4BA8E0");
}

static struct pkg_key *platform_key(void)
{
	struct pkg_key *key = NULL;
	char why[256] = "";

	CHECK(pkg_key_load(t.pub, &key, why, sizeof(why)) == 0, "key: %s", why);
	return key;
}

static int open_verify(const char *path, const struct pkg_key *key, char *why, size_t why_len)
{
	struct pkg_file f;
	int r = pkg_open(path, &f, why, why_len);

	if (r == 0)
		r = pkg_verify(&f, key, why, why_len);
	pkg_close(&f);
	return r;
}

static void signatures(void)
{
	struct pkg_key *key = platform_key();
	char why[256], ec_pub[PATH_MAX + 16];
	const char *p;
	EVP_PKEY *ec;
	struct pkg_key *wrong = NULL;

	p = ptest_pack(&t, "s.pkg", YKT_PKG_WHITELIST, 1, 0, "2026-11-21T07:00:00", "{}", 2, t.key);
	CHECK_INT(open_verify(p, key, why, sizeof(why)), 0);
	p = ptest_pack(&t, "o.pkg", YKT_PKG_WHITELIST, 1, 0, "2026-11-21T07:00:00", "{}", 2,
		       t.other_key);
	CHECK_INT(open_verify(p, key, why, sizeof(why)), YKT_E_PARAM_SIGNATURE);
	p = ptest_pack(&t, "u.pkg", YKT_PKG_WHITELIST, 1, 0, "2026-11-21T07:00:00", "{}", 2, NULL);
	CHECK_INT(open_verify(p, key, why, sizeof(why)), YKT_E_PARAM_UNSIGNED);
	/* every byte of header and signature matters */
	for (long off = 0; off < YKT_PKG_HEADER_LEN + 2 + 70; off++) {
		int r;

		p = ptest_pack(&t, "f.pkg", YKT_PKG_WHITELIST, 1, 0, "2026-11-21T07:00:00", "{}", 2,
			       t.key);
		ptest_flip(p, off);
		r = open_verify(p, key, why, sizeof(why));
		CHECK(r < 0, "byte %ld flipped, still verifies", off);
	}
	/* an EC key on another curve is not a platform key */
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	snprintf(ec_pub, sizeof(ec_pub), "%s/p256.pub", t.dir);
	CHECK(ec && pack_key_write(ec, NULL, ec_pub) == 0, "P-256 key written");
	CHECK_INT(pkg_key_load(ec_pub, &wrong, why, sizeof(why)), YKT_E_PARAM_KEY);
	CHECK(strstr(why, "not an SM2 key") != NULL, "why: %s", why);
	CHECK_INT(pkg_key_load(t.dir, &wrong, why, sizeof(why)), YKT_E_PARAM_KEY);
	EVP_PKEY_free(ec);
	pkg_key_free(key);
}

/* The file must be exactly as long as its header and signature say. */
static void lengths(void)
{
	const char *p = ptest_pack(&t, "l.pkg", YKT_PKG_WHITELIST, 1, 0, "2026-11-21T07:00:00",
				   "{\"entries\":[]}", 14, t.key);
	struct pkg_file f;
	char why[256];
	long size;
	FILE *fp;

	CHECK_INT(pkg_open(p, &f, why, sizeof(why)), 0);
	size = (long)(f.payload_offset + f.h.payload_len);
	pkg_close(&f);
	CHECK_INT(truncate(p, size - 1), 0);
	CHECK_INT(pkg_open(p, &f, why, sizeof(why)), YKT_E_PARAM_FORMAT);
	CHECK(strstr(why, "its header says") != NULL, "why: %s", why);
	fp = fopen(p, "a");
	CHECK(fp && fputs("}x", fp) >= 0 && fclose(fp) == 0, "appended");
	CHECK_INT(pkg_open(p, &f, why, sizeof(why)), YKT_E_PARAM_FORMAT);
	for (long cut = 0; cut < YKT_PKG_HEADER_LEN + 4; cut += 5) {
		CHECK_INT(truncate(p, cut), 0);
		CHECK_INT(pkg_open(p, &f, why, sizeof(why)), YKT_E_PARAM_FORMAT);
	}
	/* a signature length beyond 128 bytes */
	p = ptest_pack(&t, "l.pkg", YKT_PKG_WHITELIST, 1, 0, "2026-11-21T07:00:00", "{}", 2, NULL);
	ptest_flip(p, YKT_PKG_HEADER_LEN); /* 0x0100 */
	CHECK_INT(pkg_open(p, &f, why, sizeof(why)), YKT_E_PARAM_FORMAT);
	CHECK(strstr(why, "signature of 256 bytes") != NULL, "why: %s", why);
	CHECK_INT(pkg_open(t.dir, &f, why, sizeof(why)), YKT_E_PARAM_FORMAT);
	CHECK_INT(pkg_open("/nonexistent/x.pkg", &f, why, sizeof(why)), -ENOENT);
}

/* Random damage anywhere in a signed package: install refuses (or, for a
 * byte that changes nothing checked, installs) and never crashes. */
static void random_damage(void)
{
	static const char rules[] = "{\"types\":[{\"card_type\":\"02\",\"charge_percent\":50}]}";
	uint64_t seed = 4242;

	for (int i = 0; i < 300; i++) {
		const char *p = ptest_pack(&t, "r.pkg", YKT_PKG_CARD_RULES, 1, 0,
					   "2026-11-21T07:00:00", rules, strlen(rules), t.key);
		struct stat st;
		long at[3];
		int n = 1 + i % 3;

		/* each signature is new, and DER lengths vary: ask the file */
		CHECK_INT(stat(p, &st), 0);
		for (int k = 0; k < n; k++) {
			at[k] = (long)(check_rand(&seed) % (uint64_t)st.st_size);
			for (int j = 0; j < k; j++)
				if (at[j] == at[k])
					at[k] = -1; /* twice the same byte would undo it */
			if (at[k] >= 0)
				ptest_flip(p, at[k]);
		}
		CHECK(ptest_install(&t, p) != 0, "damage %d installed a package", i);
	}
	CHECK_INT(ptest_active(&t, YKT_PARAM_CARD_RULES), 0);
	CHECK_INT(ptest_install(&t, ptest_pack(&t, "r.pkg", YKT_PKG_CARD_RULES, 1, 0,
					       "2026-11-21T07:00:00", rules, strlen(rules), t.key)),
		  0);
	CHECK_INT(ptest_active(&t, YKT_PARAM_CARD_RULES), 1);
}

int main(void)
{
	ptest_setup(&t, "2026-11-21T08:00:00");
	header_bytes();
	header_refusals();
	sm3_vector();
	signatures();
	lengths();
	random_damage();
	ptest_teardown(&t);
	return check_result();
}
