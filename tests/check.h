/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal harness for the unit tests: CHECK() records a failure with
 * file:line and carries on, so one run shows every broken expectation.
 * main() ends with `return check_result();` (0 pass, 1 fail); a test that
 * cannot run here calls check_skip() (exit 77, meson's "skipped").
 */
#ifndef YKT_UNIT_CHECK_H
#define YKT_UNIT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int check_failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: FAIL (%s): ", __FILE__, __LINE__, #cond);          \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

/* integers of any width, printed as long long */
#define CHECK_INT(got, want)                                                                       \
	do {                                                                                       \
		long long got_ = (long long)(got), want_ = (long long)(want);                      \
		CHECK(got_ == want_, "%s = %lld, expected %lld", #got, got_, want_);               \
	} while (0)

/* bytes against hex text (spaces allowed) */
#define CHECK_HEX(p, n, hex)                                                                       \
	do {                                                                                       \
		char got_[1024];                                                                   \
		CHECK(check_eq_hex((p), (n), (hex)), "%s = %s, expected %s", #p,                   \
		      check_to_hex((p), (n), got_, sizeof(got_)), (hex));                          \
	} while (0)

/* Parse hex text (spaces allowed) into out; returns the byte count. A
 * malformed literal is a bug in the test: it aborts. */
size_t check_hex(const char *hex, uint8_t *out, size_t cap);
bool check_eq_hex(const uint8_t *p, size_t n, const char *hex);
const char *check_to_hex(const uint8_t *p, size_t n, char *buf, size_t cap);

/* A small fixed-seed PRNG (xorshift64*), so hostile-input sweeps repeat. */
uint64_t check_rand(uint64_t *state);

/* A fresh directory under $TMPDIR (or /tmp), removed with everything in it
 * by check_rm_rf(). Abort on failure: the test cannot run without it. */
void check_tmpdir(char *buf, size_t cap);
void check_rm_rf(const char *dir);
/* Write text to dir/name (creating it), returning the full path in path. */
void check_write_file(const char *dir, const char *name, const char *text, char *path, size_t cap);

int check_result(void);
_Noreturn void check_skip(const char *why);

#endif
