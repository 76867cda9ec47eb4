/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the parameter tests share: a fresh directory with a record store, a
 * sim: clock, an SM2 test key pair made at run time, the parameter handle,
 * and packages built and signed as the platform would (tests/tools).
 */
#ifndef YKT_PARAMS_TEST_H
#define YKT_PARAMS_TEST_H

#include "check.h"
#include "params_pack.h"
#include "params_private.h"

#include <limits.h>

struct ptest {
	char dir[PATH_MAX - 128];
	char pub[PATH_MAX];    /* the platform public key, PEM */
	char params[PATH_MAX]; /* the parameter directory */
	EVP_PKEY *key;	       /* the platform's signing key (test key) */
	EVP_PKEY *other_key;   /* somebody else's */
	struct ykt_clock *clock;
	struct ykt_store *store;
	struct ykt_params *p;
};

/* Everything above, the clock standing at clock_iso (CST).  Aborts when
 * the test cannot be set up. */
void ptest_setup(struct ptest *t, const char *clock_iso);
void ptest_teardown(struct ptest *t);

/* Unix seconds of a CST time text. */
int64_t ptest_time(const char *iso);

/* Write a package dir/name of kind with payload; key NULL: unsigned.
 * Returns the path (static storage, overwritten by the next call). */
const char *ptest_pack(struct ptest *t, const char *name, int kind, uint32_t version, uint32_t base,
		       const char *effective_iso, const void *payload, size_t len, EVP_PKEY *key);
/* The same from text: serial lines for blacklists (full: "SERIAL", delta:
 * "+SERIAL" / "-SERIAL"), JSON for the others. */
const char *ptest_pack_text(struct ptest *t, const char *name, int kind, uint32_t version,
			    uint32_t base, const char *effective_iso, const char *text);

/* Install; returns the result code, the reason in t's last_why. */
int ptest_install(struct ptest *t, const char *path);
extern char ptest_why[512];

/* The version of set in force now, as `ykt params` shows it (0: none),
 * and whether a pending version exists. */
uint32_t ptest_active(struct ptest *t, enum ykt_param_set set);
uint32_t ptest_pending(struct ptest *t, enum ykt_param_set set);

/* Flip one byte of a file at offset. */
void ptest_flip(const char *path, long offset);

/* 10 bytes of a 20-hex-digit serial. */
void ptest_serial(const char *hex, uint8_t out[10]);

#endif
