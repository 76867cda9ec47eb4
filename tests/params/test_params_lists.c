/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lists as the tap sees them: built blacklists (full, and deltas merged
 * into a base) answer exactly as a plain sorted array does, at every block
 * boundary of the fenced layout, for listed serials, their neighbours and
 * random probes; malformed and tampered payloads are refused with the right
 * reason; a damaged built file is refused, never read out of bounds; the
 * interconnect whitelist matches issuer prefixes within a city.
 */
#include "params_test.h"

#include "bytes.h"
#include "ykt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct ptest t;
static uint64_t seed = 0x5eed1234;

static int cmp10(const void *a, const void *b)
{
	return memcmp(a, b, 10);
}

static int cmp_delta(const void *a, const void *b)
{
	return memcmp((const uint8_t *)a + 1, (const uint8_t *)b + 1, 10);
}

/* Up to n distinct random BCD serials, sorted; *ret_n how many. */
static uint8_t *random_serials(size_t n, size_t *ret_n)
{
	uint8_t *s = malloc(n ? n * 10 : 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t r = check_rand(&seed);

		ykt_bcd_encode(r % 2 ? 1000 : 5810, s + i * 10, 2);
		ykt_bcd_encode(check_rand(&seed) % 10000000000000000ULL, s + i * 10 + 2, 8);
	}
	qsort(s, n, 10, cmp10);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || memcmp(s + i * 10, s + (k - 1) * 10, 10) != 0)
			memmove(s + k++ * 10, s + i * 10, 10);
	*ret_n = k;
	return s;
}

/* serial +/- 1 as an 80-bit number */
static void neighbour(const uint8_t *s, int dir, uint8_t out[10])
{
	memcpy(out, s, 10);
	for (int i = 9; i >= 0; i--) {
		out[i] = (uint8_t)(out[i] + dir);
		if ((dir > 0 && out[i] != 0) || (dir < 0 && out[i] != 0xff))
			break;
	}
}

static bool ref_contains(const uint8_t *s, size_t n, const uint8_t *key)
{
	return n && bsearch(key, s, n, 10, cmp10) != NULL;
}

/* Build the list of a package into dir/name; base NULL for a full list.
 * Returns the build result, the reason in why. */
static int build(const char *pkg, const struct params_blacklist *base, const char *name,
		 uint64_t *ret_count, char *why, size_t why_len)
{
	char out[PATH_MAX + 32];
	struct pkg_file f;
	int fd, r;

	snprintf(out, sizeof(out), "%s/%s", t.dir, name);
	r = pkg_open(pkg, &f, why, why_len);
	if (r < 0)
		return r;
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "open %s", out);
	r = base ? params_blacklist_build_delta(&f, base, fd, ret_count, why, why_len)
		 : params_blacklist_build_full(&f, fd, ret_count, why, why_len);
	close(fd);
	pkg_close(&f);
	return r;
}

static struct params_blacklist *map(const char *name)
{
	char path[PATH_MAX + 32], why[256] = "";
	struct params_blacklist *bl = NULL;

	snprintf(path, sizeof(path), "%s/%s", t.dir, name);
	CHECK(params_blacklist_map(path, &bl, why, sizeof(why)) == 0, "map %s: %s", name, why);
	return bl;
}

static struct params_blacklist *build_full(const uint8_t *s, size_t n, uint32_t version)
{
	const char *pkg = ptest_pack(&t, "full.pkg", YKT_PKG_BLACKLIST_FULL, version, 0,
				     "2026-11-21T07:00:00", s, n * 10, t.key);
	char why[256] = "", name[32];
	uint64_t count = 0;

	snprintf(name, sizeof(name), "full-%u.list", version);
	CHECK(build(pkg, NULL, name, &count, why, sizeof(why)) == 0, "build: %s", why);
	CHECK_INT(count, n);
	return map(name);
}

static void compare(const struct params_blacklist *bl, const uint8_t *s, size_t n)
{
	uint8_t key[10];
	int wrong = 0;

	CHECK_INT(params_blacklist_count(bl), n);
	for (size_t i = 0; i < n; i++) {
		wrong += !params_blacklist_contains(bl, s + i * 10);
		for (int dir = -1; dir <= 1; dir += 2) {
			neighbour(s + i * 10, dir, key);
			wrong += params_blacklist_contains(bl, key) != ref_contains(s, n, key);
		}
	}
	for (int i = 0; i < 2000; i++) {
		uint64_t a = check_rand(&seed), b = check_rand(&seed);

		memcpy(key, &a, 8);
		memcpy(key + 8, &b, 2);
		if (n && i % 2)
			memcpy(key, s + (a % n) * 10, 6); /* near a real entry */
		wrong += params_blacklist_contains(bl, key) != ref_contains(s, n, key);
	}
	memset(key, 0, 10);
	wrong += params_blacklist_contains(bl, key) != ref_contains(s, n, key);
	memset(key, 0xff, 10);
	wrong += params_blacklist_contains(bl, key) != ref_contains(s, n, key);
	CHECK(wrong == 0, "%d lookups differ from the reference at %zu entries", wrong, n);
}

static void full_lists(void)
{
	static const size_t sizes[] = { 0, 1, 2, 127, 128, 129, 255, 256, 257, 1000, 20000 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n;
		uint8_t *s = random_serials(sizes[i], &n);
		struct params_blacklist *bl = build_full(s, n, (uint32_t)i + 1);

		if (bl)
			compare(bl, s, n);
		params_blacklist_unmap(bl);
		free(s);
	}
}

/* A random delta on a random base against the set computed here. */
static void delta_merge(size_t base_n, size_t adds, size_t remove_every)
{
	size_t nb, ne, nd = 0, nw = 0;
	uint8_t *base = random_serials(base_n, &nb), *extra = random_serials(adds, &ne);
	uint8_t *delta = malloc((ne + nb + 1) * 11), *want = malloc((nb + ne + 1) * 10);
	struct params_blacklist *bl = build_full(base, nb, 100), *merged;
	char why[256] = "";
	const char *pkg;
	uint64_t count = 0;

	for (size_t i = 0; i < ne; i++) {
		if (ref_contains(base, nb, extra + i * 10))
			continue;
		delta[nd * 11] = BL_DELTA_ADD;
		memcpy(delta + nd++ * 11 + 1, extra + i * 10, 10);
		memcpy(want + nw++ * 10, extra + i * 10, 10);
	}
	for (size_t i = 0; i < nb; i++) {
		if (remove_every && i % remove_every == 0) {
			delta[nd * 11] = BL_DELTA_REMOVE;
			memcpy(delta + nd++ * 11 + 1, base + i * 10, 10);
		} else {
			memcpy(want + nw++ * 10, base + i * 10, 10);
		}
	}
	qsort(want, nw, 10, cmp10);
	qsort(delta, nd, 11, cmp_delta);
	pkg = ptest_pack(&t, "delta.pkg", YKT_PKG_BLACKLIST_DELTA, 101, 100, "2026-11-21T07:00:00",
			 delta, nd * 11, t.key);
	CHECK(build(pkg, bl, "merged.list", &count, why, sizeof(why)) == 0, "merge: %s", why);
	merged = map("merged.list");
	CHECK_INT(count, nw);
	if (merged) {
		CHECK_INT(params_blacklist_version(merged), 101);
		compare(merged, want, nw);
	}
	params_blacklist_unmap(merged);
	params_blacklist_unmap(bl);
	free(want);
	free(delta);
	free(base);
	free(extra);
}

/* Payloads refused for their content, and tampering told apart. */
static void expect_refused(const char *what, int kind, const uint8_t *payload, size_t len,
			   long flip_at, int want, const char *why_has)
{
	static const uint8_t one[10] = { 0x10, 0x00, 0x10 };
	struct params_blacklist *base = build_full(one, 1, 1);
	char why[256] = "", pkg[PATH_MAX + 32];
	uint64_t count = 0;
	int r;

	snprintf(pkg, sizeof(pkg), "%s",
		 ptest_pack(&t, "bad.pkg", kind, 2, kind == YKT_PKG_BLACKLIST_DELTA,
			    "2026-11-21T07:00:00", payload, len, t.key));
	if (flip_at >= 0) {
		struct pkg_file f;

		CHECK_INT(pkg_open(pkg, &f, why, sizeof(why)), 0);
		ptest_flip(pkg, (long)f.payload_offset + flip_at);
		pkg_close(&f);
	}
	r = build(pkg, kind == YKT_PKG_BLACKLIST_DELTA ? base : NULL, "bad.list", &count, why,
		  sizeof(why));
	CHECK(r == want && strstr(why, why_has), "%s: %d '%s', expected %d '%s'", what, r, why,
	      want, why_has);
	params_blacklist_unmap(base);
}

static void refused_payloads(void)
{
	uint8_t p[44];

	check_hex("10001000000000000002 10001000000000000001", p, sizeof(p));
	expect_refused("unsorted", YKT_PKG_BLACKLIST_FULL, p, 20, -1, YKT_E_PARAM_FORMAT,
		       "entry 1 is not above");
	check_hex("10001000000000000001 10001000000000000001", p, sizeof(p));
	expect_refused("duplicate", YKT_PKG_BLACKLIST_FULL, p, 20, -1, YKT_E_PARAM_FORMAT,
		       "entry 1 is not above");
	check_hex("10001000000000000001 10001000000000000002", p, sizeof(p));
	expect_refused("tampered, breaks the order", YKT_PKG_BLACKLIST_FULL, p, 20, 2,
		       YKT_E_PARAM_HASH, "SM3");
	expect_refused("tampered, still sorted", YKT_PKG_BLACKLIST_FULL, p, 20, 19,
		       YKT_E_PARAM_HASH, "SM3");
	check_hex("03 10001000000000000001", p, sizeof(p));
	expect_refused("delta operation 03", YKT_PKG_BLACKLIST_DELTA, p, 11, -1, YKT_E_PARAM_FORMAT,
		       "operation 03");
	check_hex("01 10001000000000000009 01 10001000000000000002", p, sizeof(p));
	expect_refused("delta unsorted", YKT_PKG_BLACKLIST_DELTA, p, 22, -1, YKT_E_PARAM_FORMAT,
		       "record 1 is not above");
	check_hex("01 10001000000000000002 02 10001000000000000002", p, sizeof(p));
	expect_refused("delta twice on a card", YKT_PKG_BLACKLIST_DELTA, p, 22, -1,
		       YKT_E_PARAM_FORMAT, "record 1 is not above");
	check_hex("02 10001000000000000003", p, sizeof(p));
	expect_refused("delta tampered", YKT_PKG_BLACKLIST_DELTA, p, 11, 0, YKT_E_PARAM_HASH,
		       "SM3");
}

/* A built file damaged on disk is refused at mapping: every length is
 * checked against the file before a lookup can read it. */
static void damaged_built_file(void)
{
	size_t n;
	uint8_t *s = random_serials(300, &n);
	struct params_blacklist *bl = build_full(s, n, 50), *again = NULL;
	char path[PATH_MAX + 32], why[256];

	params_blacklist_unmap(bl);
	snprintf(path, sizeof(path), "%s/full-50.list", t.dir);
	for (long cut = 0; cut < 64 + 20; cut += 7) {
		CHECK_INT(truncate(path, cut), 0);
		CHECK(params_blacklist_map(path, &again, why, sizeof(why)) < 0, "cut at %ld", cut);
	}
	bl = build_full(s, n, 50);
	params_blacklist_unmap(bl);
	ptest_flip(path, 23); /* the entry count */
	CHECK(params_blacklist_map(path, &again, why, sizeof(why)) == YKT_E_PARAM_FORMAT,
	      "a wrong count is refused");
	ptest_flip(path, 23);
	ptest_flip(path, 0);
	CHECK(params_blacklist_map(path, &again, why, sizeof(why)) == YKT_E_PARAM_FORMAT,
	      "a wrong magic is refused");
	free(s);
}

/* The whitelist through a snapshot made by hand. */
static void whitelist(void)
{
	static const char json[] =
	    "{\"entries\": [{\"issuer\": \"0101\", \"city\": \"1000\", \"name\": \"北京\"},"
	    " {\"issuer\": \"0244\", \"city\": \"2900\"},"
	    " {\"issuer\": \"024458\", \"city\": \"5810\"},"
	    " {\"issuer\": \"12205810FFFFFFFF\", \"city\": \"5810\"}]}";
	struct ykt_params_snapshot snap = { 0 };
	struct params_item item = { .set = YKT_PARAM_WHITELIST, .version = 1 };
	uint8_t issuer[8], city[2];
	char why[256] = "";

	atomic_init(&snap.refs, 1);
	atomic_init(&item.refs, 1);
	CHECK_INT(ykt_params_whitelisted(&snap, issuer, city), -ENOENT);
	CHECK(params_json_parse(YKT_PARAM_WHITELIST, (const uint8_t *)json, strlen(json),
				&item.parsed, &item.entries, why, sizeof(why)) == 0,
	      "whitelist: %s", why);
	CHECK_INT(item.entries, 4);
	snap.item[YKT_PARAM_WHITELIST] = &item;
#define WL(issuer_hex, city_hex, want)                                                             \
	do {                                                                                       \
		check_hex(issuer_hex, issuer, 8);                                                  \
		check_hex(city_hex, city, 2);                                                      \
		CHECK(ykt_params_whitelisted(&snap, issuer, city) == (want), "%s in %s",           \
		      issuer_hex, city_hex);                                                       \
	} while (0)
	WL("01011000FFFFFFFF", "1000", 1);
	WL("01011000FFFFFFFF", "2900", 0); /* right issuer, wrong city */
	WL("02442900FFFFFFFF", "2900", 1);
	WL("02445810FFFFFFFF", "5810", 1); /* prefix 024458 */
	WL("02445910FFFFFFFF", "5810", 0);
	WL("12205810FFFFFFFF", "5810", 1); /* the full 8 bytes */
	WL("12205810FFFFFFFE", "5810", 0);
	WL("01011000FFFFFFFF", "0000", 0);
	WL("01011000FFFFFFFF", "9999", 0);
	params_json_free(YKT_PARAM_WHITELIST, item.parsed);
}

int main(void)
{
	ptest_setup(&t, "2026-11-21T08:00:00");
	full_lists();
	delta_merge(1000, 100, 7);
	delta_merge(300, 0, 1); /* everything removed */
	delta_merge(0, 500, 0); /* everything added */
	delta_merge(5000, 3000, 3);
	refused_payloads();
	damaged_built_file();
	whitelist();
	ptest_teardown(&t);
	return check_result();
}
