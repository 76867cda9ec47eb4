/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the uplink tests share: a fresh directory with a test PKI (made by
 * tests/platform/make-certs.sh), a validator configuration, the reference
 * platform started in process on a free loopback port, `ykt sync` run as
 * the separate process it is in production, records made through the store
 * API with TACs computed from the test issuer keys, and raw looks into both
 * databases.
 */
#ifndef YKT_UPLINK_TEST_H
#define YKT_UPLINK_TEST_H

#include "check.h"
#include "platform.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TEST_DEVICE "BUS-0815"

struct env {
	char dir[256];
	char conf[512], db[512], platform_db[512];
	const char *ykt;	/* the ykt binary */
	const char *make_certs; /* tests/platform/make-certs.sh */
	const char *keys;	/* issuer test keys */
	struct platform *platform;
	uint16_t port;
	char cert[64];		 /* client certificate base name in dir (default TEST_DEVICE) */
	char uplink_extra[1024]; /* more [uplink] lines */
	char conf_extra[1024];	 /* more sections after [uplink] */
};

/* argv: ykt make-certs.sh keys.  Makes the directory and the PKI (with an
 * extra certificate for "OTHER-DEVICE"); aborts when it cannot. */
void env_init(struct env *e, int argc, char **argv);
/* Stop the platform and remove the directory (kept when checks failed). */
void env_done(struct env *e);

/* Start the platform with these options over the defaults (NULL: none);
 * rogue: a server certificate from the CA nobody trusts. */
void env_platform(struct env *e, const struct platform_options *o, bool rogue);
void env_platform_stop(struct env *e);

/* Write the configuration (store, certificate, URL of the running
 * platform, e->uplink_extra, e->conf_extra).  Called by env_sync(). */
void env_config(struct env *e);

/* Run `ykt sync -c CONF ARGS...` (NULL-terminated); its stdout in out.
 * Returns its exit status, or -1 when it did not exit normally. */
int env_sync(struct env *e, char *out, size_t cap, ...);
/* Start it without waiting (stdout to dir/sync.out); the pid. */
pid_t env_sync_start(struct env *e, const char *arg);

/* Open the validator's store (the test's own handle). */
struct ykt_store *env_store(struct env *e);

/* Records for the backlog: purchases numbered from `first`, on a PSAM of
 * their own, with TACs computed from the test issuer key (3DES and SM4
 * alternating).  Every `grey_every`-th is left grey (0: none). */
struct gen {
	unsigned first, n;
	unsigned grey_every;
	bool bad_tac;	 /* the TAC of every record flipped (to be rejected) */
	bool fast;	 /* synchronous=OFF on this handle while generating */
	unsigned events; /* one event after every n/events purchases */
};
int gen_records(struct env *e, struct ykt_store *s, const struct gen *g);

/* Complete a grey record made by gen_records() with its true TAC. */
int gen_complete(struct env *e, struct ykt_store *s, int64_t record_no);

/* A tapping validator: `ykt run --realtime` on its own process, on the
 * same store, cards of its own (3DES and SM4) tapped one after the other
 * as fast as the link model lets them, until it is stopped. */
#define TAPS_MAX 4000
struct taps {
	int paid, other;
	int64_t record[TAPS_MAX];
	double ms[TAPS_MAX], model_ms[TAPS_MAX]; /* tap time, link model's share */
	char first_other[200];			 /* the first tap not paid */
};
pid_t env_tapper_start(struct env *e);
/* SIGTERM, wait: 0 when it ended cleanly. */
int env_tapper_stop(struct env *e, pid_t pid);
/* What it printed. */
void env_taps(struct env *e, struct taps *ret);
/* "PREFIX: n taps; tap time ms min .. median .. p95 .. p99 .. max ..". */
void env_taps_print(const char *prefix, const struct taps *t);

/* First column of the first row of sql on a database; -1 on error. */
long long db_int(const char *path, const char *sql);
/* Run sql on a database through a connection of its own; 0 or -1. */
int db_exec(const char *path, const char *sql);

/* Counts in the validator's store by upload state. */
struct env_counts {
	long long pending, accepted, duplicate, rejected;
};
void env_counts(struct env *e, struct env_counts *ret);

#endif
