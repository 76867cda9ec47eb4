/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "check.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int check_failures;

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t check_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (const char *s = hex; *s; s++) {
		int hi, lo;

		if (*s == ' ')
			continue;
		hi = nibble(s[0]);
		lo = hi < 0 ? -1 : nibble(s[1]);
		if (hi < 0 || lo < 0 || n == cap) {
			fprintf(stderr, "check_hex: bad test literal '%s'\n", hex);
			abort();
		}
		out[n++] = (uint8_t)(hi << 4 | lo);
		s++;
	}
	return n;
}

bool check_eq_hex(const uint8_t *p, size_t n, const char *hex)
{
	uint8_t want[512];
	size_t len = check_hex(hex, want, sizeof(want));

	return len == n && memcmp(p, want, n) == 0;
}

const char *check_to_hex(const uint8_t *p, size_t n, char *buf, size_t cap)
{
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < cap; i++)
		snprintf(buf + 2 * i, 3, "%02X", p[i]);
	buf[2 * i] = '\0';
	return buf;
}

uint64_t check_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void check_tmpdir(char *buf, size_t cap)
{
	const char *base = getenv("TMPDIR");

	snprintf(buf, cap, "%s/ykt-unit-XXXXXX", base && base[0] ? base : "/tmp");
	if (!mkdtemp(buf)) {
		perror("mkdtemp");
		abort();
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void check_rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void check_write_file(const char *dir, const char *name, const char *text, char *path, size_t cap)
{
	FILE *f;

	snprintf(path, cap, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

int check_result(void)
{
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	return check_failures ? 1 : 0;
}

void check_skip(const char *why)
{
	fprintf(stderr, "SKIP: %s\n", why);
	exit(77);
}
