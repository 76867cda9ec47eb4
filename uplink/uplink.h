/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The uplink: everything between the record store and the clearing
 * platform, over HTTPS with mutual TLS (docs/uplink-protocol.md).
 *
 *   records    pending records go up in batches (by count and bytes, gzip);
 *              each is marked only from the platform's answer for it
 *   parameters the platform's manifest is read and newer packages are
 *              downloaded into a staging directory and handed to the
 *              parameters module, which verifies and installs them
 *   heartbeat  versions, backlog, PSAM numbers, last tap, free space, errors
 *   retention  acknowledged records are purged after the retention period
 *
 * It runs as its own process (`ykt sync`), never in the reader loop, and
 * shares the store's database with it through a handle of its own.
 * Everything here blocks on the network; nothing here is called by a tap.
 */
#ifndef YKT_UPLINK_H
#define YKT_UPLINK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ykt_config;
struct ykt_store;
struct ykt_uplink;

/* What one pass did; also what `ykt sync` prints. */
struct uplink_summary {
	int64_t accepted, duplicates, rejected; /* answers applied this pass */
	int64_t remaining;			/* uploadable records still pending at the end */
	int64_t rejected_total;			/* quarantined records in the store */
	int64_t batches, retries;
	uint64_t bytes_json, bytes_sent; /* request bodies before and after gzip */
	int params_listed, params_fetched, params_installed, params_failed;
	int64_t pruned;
	bool heartbeat_ok;
	int retry_after_s; /* the platform asked to wait this long (429/503), or 0 */
	int stop;	   /* enum uplink_stop: why the pass ended early, or 0 */
	char error[256];   /* the last failure, one line; empty when none */
};

/* Why a pass stopped before its end (summary.stop). */
enum uplink_stop {
	UPLINK_STOP_NONE = 0,
	UPLINK_STOP_UNREACHABLE, /* network, time-outs, 5xx, malformed answers: try later */
	UPLINK_STOP_BUSY,	 /* 429 / 503 asked for more time than this pass may wait */
	UPLINK_STOP_REFUSED,	 /* TLS verification, 403, unsupported protocol: needs a person */
	UPLINK_STOP_STORE,	 /* the local store failed */
	UPLINK_STOP_SIGNAL,	 /* asked to stop */
};

/* Open the uplink for cfg's [uplink] section on store (borrowed: the caller
 * opens it with [uplink] busy_timeout_ms and closes it after
 * ykt_uplink_free()).  Checks the configuration and that the certificate,
 * key and CA files can be read; contacts nobody.  Caller frees with
 * ykt_uplink_free().  YKT_E_CONFIG or -errno with a one-line reason. */
int ykt_uplink_new(const struct ykt_config *cfg, struct ykt_store *store, struct ykt_uplink **ret,
		   char *errbuf, size_t errbuf_len);
void ykt_uplink_free(struct ykt_uplink *u);

/* Stop between two requests once *flag is non-zero (a signal handler sets
 * it); NULL: never. */
void ykt_uplink_set_stop_flag(struct ykt_uplink *u, volatile sig_atomic_t *flag);

/* One pass: upload every pending record (a failed batch is retried whole,
 * up to [uplink] attempts times in a row, waiting as the backoff or the
 * platform's Retry-After says), fetch and install newer parameter packages,
 * purge acknowledged records past the retention period, send a heartbeat.
 * Fills ret.  Returns 0 when the pass ran to its end (records may still
 * have been rejected: see ret), otherwise the error that stopped it
 * (ret->stop says what kind). */
int ykt_uplink_sync(struct ykt_uplink *u, struct uplink_summary *ret);

/* `ykt sync --daemon`: passes every [uplink] interval_s (with jitter);
 * after a failed pass, exponential backoff with jitter from backoff_min_ms
 * to backoff_max_s, or the platform's Retry-After when longer.  Returns 0
 * when the stop flag is raised, or an error that no retry can cure
 * (refused, store).  report (may be NULL) is called after each pass. */
int ykt_uplink_daemon(struct ykt_uplink *u,
		      void (*report)(const struct uplink_summary *s, void *userdata),
		      void *userdata);

/* One line: "uploaded 12 (accepted 11, duplicate 1), rejected 0, ..." */
void ykt_uplink_summary_format(const struct uplink_summary *s, char *buf, size_t cap);

/* `ykt sync [-c FILE] [--daemon] [-v]`, `ykt sync --quarantine`,
 * `ykt sync --release RECORD|all`; argv[0] is "sync".  The exit status:
 * docs/uplink.md. */
int ykt_sync_main(int argc, char **argv);

#endif
