/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the uplink: the handle and what its .c files share.  Only uplink/
 * and its tests include this header.
 */
#ifndef YKT_UPLINK_PRIVATE_H
#define YKT_UPLINK_PRIVATE_H

#include "clock.h"
#include "config.h"
#include "http.h"
#include "store.h"
#include "uplink.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UPLINK_PROTOCOL	      1
/* most an answer to a batch, the heartbeat or the manifest may hold */
#define UPLINK_ANSWER_MAX     (4u << 20)
/* How long one of the uplink's write transactions should hold the store's
 * write lock: a tenth of the reader loop's 50 ms busy timeout.  The number
 * of answers applied, or records purged, per transaction adapts to it (a
 * slow board, a sanitizer build, a busy CPU), between the limits below.
 * On this project's VM a batch of 500 answers takes about 3 ms: one
 * transaction per batch, and the next batch's round trip for a gap. */
#define UPLINK_LOCK_TARGET_NS 5000000
#define UPLINK_CHUNK_MIN      8
#define UPLINK_CHUNK_START    32
#define UPLINK_APPLY_CHUNK    500 /* the most */
#define UPLINK_PRUNE_CHUNK    400 /* the most */

/* A growable byte buffer with a hard limit. */
struct uplink_buf {
	char *p;
	size_t len, cap, max;
};
/* Append n bytes (kept NUL-terminated): -ENOSPC past max, -ENOMEM. */
int uplink_buf_append(struct uplink_buf *b, const void *data, size_t n);
int uplink_buf_appendf(struct uplink_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void uplink_buf_free(struct uplink_buf *b);

/* gzip (RFC 1952) of in into out (replacing its content). -ENOMEM, -EIO. */
int uplink_gzip(const void *in, size_t len, int level, struct uplink_buf *out);

/* ---- records_json.c ---- */

struct json_object;

/* The record as the JSON object the protocol defines (caller puts it). */
int uplink_json_record(const struct store_upload_item *item, struct json_object **ret);

/* What a batch carried, in record_no order: the answers are matched to it. */
struct uplink_sent {
	int64_t record_no;
	enum store_item_kind kind;
	int state;
};

/* The platform's answers to one batch. */
struct uplink_answers {
	struct json_object *root;	    /* owns the reason strings */
	struct store_upload_answer *answer; /* one per answered record, at most n_sent */
	size_t n;
	size_t ignored; /* results for records not in the batch, repeated, or unknown */
};

/* Parse the answer to a batch (hostile input: every field checked).
 * YKT_E_PROTOCOL with a reason when it is not a valid answer at all;
 * individual results that make no sense are counted in ignored. */
int uplink_parse_results(const char *body, size_t len, const struct uplink_sent *sent,
			 size_t n_sent, struct uplink_answers *ret, char *why, size_t why_len);
void uplink_answers_free(struct uplink_answers *a);

/* The error code and message of a platform's error answer, when it has
 * one: {"error": "...", "message": "..."}. */
void uplink_parse_error(const char *body, size_t len, char *out, size_t cap);

/* ---- the handle (uplink.c) ---- */

struct ykt_uplink {
	struct ykt_uplink_config cfg;
	char device_id[33];
	char store_dir[CONFIG_URI_MAX];
	struct ykt_store *store;
	struct ykt_clock *clock;   /* for parameter activation; NULL without [params] */
	struct ykt_params *params; /* NULL without [params] dir, or when it cannot open */
	struct uplink_http *http;
	volatile sig_atomic_t *stop_flag;
	uint64_t rng;
	/* rows per write transaction, adapted to UPLINK_LOCK_TARGET_NS; the
	 * last transaction's hold and end (uplink_before_write()) */
	size_t apply_chunk, prune_chunk;
	int64_t last_hold_ns, last_write_end_ns;
	/* a 413 halves these for the rest of the process */
	int batch_records;
	int64_t batch_bytes;
	bool link_down; /* this pass got no answer at all: stop talking */
	/* the pass's failures, for the heartbeat */
	char errors[4][160];
	int n_errors;
};

/* Record a failure of this pass: in the summary, the log and the next
 * heartbeat. */
void uplink_fail(struct ykt_uplink *u, struct uplink_summary *s, int stop, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The delay before retry number `failures` (1, 2, ...): backoff_min_ms
 * doubled each time up to backoff_max_s, the upper half drawn at random. */
int64_t uplink_backoff_ms(struct ykt_uplink *u, int failures);

/* Around each of the uplink's write transactions.  uplink_before_write()
 * waits until the lock has been free four times as long as the previous
 * transaction held it (1 to 50 ms; usually the network round trip of the
 * next batch has done that already) and returns the start time (monotonic
 * ns).  uplink_after_write() notes how long the lock was held, and halves
 * *chunk, the rows per transaction, when that was beyond
 * UPLINK_LOCK_TARGET_NS, doubles it (up to max) when well under.
 *
 * Why: a tap that finds the lock taken retries after 1, 2, 5, 10, 15 ms
 * until its 50 ms busy timeout.  Transactions back to back, or holding the
 * lock half the time, leave it a real chance to find it taken at every
 * retry; one fifth of the time, and never for long, practically none. */
int64_t uplink_before_write(struct ykt_uplink *u);
void uplink_after_write(struct ykt_uplink *u, int64_t start_ns, size_t *chunk, size_t max);

/* Sleep ms, waking early (-EINTR) when the stop flag rises. */
int uplink_sleep_ms(struct ykt_uplink *u, int64_t ms);
bool uplink_stopping(const struct ykt_uplink *u);

/* Now, wall clock, ms. */
int64_t uplink_now_ms(void);

/* YKT_E_REFUSED (summary stop set) when the answer, or its absence, says
 * that retrying cannot help: our certificate refused or theirs not
 * trusted, 403, an unsupported protocol.  0 otherwise. */
int uplink_refusal(struct ykt_uplink *u, struct uplink_summary *s, const char *what,
		   const struct uplink_http_response *resp);

/* The decision after an HTTP exchange that did not give a usable answer:
 * 0 try again after a wait (*ret_wait_ms), or the error that ends the pass
 * (summary stop set).  failures counts consecutive failures, this one
 * included. */
int uplink_after_failure(struct ykt_uplink *u, struct uplink_summary *s, const char *what,
			 const struct uplink_http_response *resp, int failures,
			 int64_t *ret_wait_ms);

/* ---- records.c ---- */

/* Upload every pending record; fills the record counts of s. */
int uplink_upload_records(struct ykt_uplink *u, struct uplink_summary *s);

/* ---- heartbeat.c ---- */

int uplink_heartbeat(struct ykt_uplink *u, struct uplink_summary *s);

/* ---- params_fetch.c ---- */

int uplink_fetch_params(struct ykt_uplink *u, struct uplink_summary *s);
/* The parameter versions installed, for the heartbeat (a JSON array). */
struct json_object *uplink_params_json(const struct ykt_uplink *u);

#endif
