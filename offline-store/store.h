/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The offline record store: one SQLite database (WAL, synchronous=FULL) that
 * the reader loop and `ykt sync` share.  Every debit is preceded by a durable
 * intent record and completed (or left grey) afterwards; nothing is deleted
 * before the platform acknowledged it.
 *
 * Write calls are short transactions and return only when the change is on
 * stable storage.  A struct ykt_store is used by one thread at a time.
 */
#ifndef YKT_STORE_H
#define YKT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ykt_store;

enum store_record_state {
	STORE_INTENT = 0,   /* written before DEBIT; the card may or may not be debited */
	STORE_COMPLETE = 1, /* DEBIT answered with TAC and MAC2 */
	STORE_GREY = 2,	    /* DEBIT outcome unknown (card left); needs recovery */
	STORE_VOID = 3,	    /* added: no debit happened (DEBIT refused, or recovery proved it);
			     * kept for audit, not a purchase, frees card serial + INIT ATC */
};

enum store_upload_state {
	UPLOAD_PENDING = 0,
	UPLOAD_ACCEPTED = 1,
	UPLOAD_DUPLICATE = 2, /* counts as accepted */
	UPLOAD_REJECTED = 3,
};

enum store_mac2_status {
	MAC2_UNCHECKED = 0,
	MAC2_OK = 1,
	MAC2_FAILED = 2, /* the card was debited all the same: keep and flag */
};

/* Record flags (bit set); every flagged record is uploaded with its flags */
#define STORE_FLAG_MAC2_FAILED	  0x0001u
/* A grey record whose card came back within the window, could not prove the
 * debit (no 805A answer) and showed an ATC past the record's INIT ATC: only
 * the platform can settle it.  The card is not charged again for it. */
#define STORE_FLAG_GREY_UNPROVEN  0x0002u
/* the PSAM that computed MAC1 was gone (pulled out, not answering) before
 * it could verify MAC2: the card gave its TAC, the record stands, and only
 * the platform's TAC check vouches for it */
#define STORE_FLAG_MAC2_UNCHECKED 0x0004u
/* was grey once: torn, then recovered or voided (the platform hears of
 * a voided one too) */
#define STORE_FLAG_WAS_GREY	  0x0008u
/* How the fare rules priced the purchase (docs/fares.md), set at the
 * intent; bits 8-15; bits 0-7 are the store's, recovery's and the PSAM's */
#define STORE_FLAG_TRANSFER	  0x0100u /* a transfer discount applied */
#define STORE_FLAG_REPEAT	  0x0200u /* a repeat tap within the window, charged */
#define STORE_FLAG_UNFINISHED	  0x0400u /* charges an earlier trip left open (no exit / tap-off) */
#define STORE_FLAG_OVERSTAY	  0x0800u /* the metro ride-time surcharge */
#define STORE_FLAG_DEGRADED	  0x1000u /* a declared disruption changed the fare */
#define STORE_FLAG_FREE_RIDE	  0x2000u /* free ride of the day, or the daily cap reached */
#define STORE_FLAG_NO_ENTRY	  0x4000u /* metro exit without an entry, charged by rule */
#define STORE_FLAG_WRONG_STATION  0x8000u /* metro exit, entered where this table has no fare */

#define STORE_CARD_SERIAL_LEN 20 /* canonical card number: 20 hex digits */

/*
 * A purchase record: every field clearing needs (reference/field.md §1),
 * including all the TAC covers.  Text fields are NUL-terminated.
 */
struct ykt_purchase_record {
	int64_t record_no; /* rising device record number, assigned by the store */
	char device_id[33];
	int state;	  /* enum store_record_state */
	int upload_state; /* enum store_upload_state */
	int mac2_status;  /* enum store_mac2_status */
	uint32_t flags;

	/* card */
	char card_serial[STORE_CARD_SERIAL_LEN + 1]; /* app serial, file 0x15, 20 hex */
	char issuer_id[17];			     /* file 0x15 bytes 0-7, 16 hex */
	char card_city[5];			     /* file 0x17 city code, 4 BCD digits */
	uint8_t card_type;			     /* file 0x15 byte 28 */
	uint16_t init_atc;			     /* offline ATC from INITIALIZE */
	int64_t balance_before_fen;
	int64_t balance_after_fen; /* -1 while not known */
	uint32_t overdraft_limit_fen;
	uint8_t key_version, key_index, algorithm_id;

	/* transaction (what the TAC covers) */
	uint8_t trans_type; /* 0x06 simple purchase, 0x09 compound (CAPP) purchase */
	int64_t amount_fen; /* charged */
	int64_t nominal_fen;
	int64_t discount_fen;
	char psam_terminal_no[13]; /* 6 bytes BCD, 12 digits */
	uint32_t psam_serial;	   /* terminal transaction serial from 8070 */
	char txn_time[15];	   /* YYYYMMDDhhmmss, China Standard Time */
	int64_t txn_unix_s;

	/* results */
	bool has_tac;
	uint8_t tac[4];
	uint8_t mac2[4];

	/* where */
	uint8_t industry; /* 0x02 bus, 0x01 metro */
	char line[9], direction[9], vehicle[17], station[9], operator_code[9];

	/* the 0x1E record written by a compound purchase (exact bytes) */
	bool has_capp_1e;
	uint8_t capp_1e[48];
	/* the 0x1A record (2701 metro, 2702 bus) written with it: entry or
	 * boarding, exit or alighting (schema 4) */
	bool has_capp_1a;
	uint8_t capp_1a[128];

	int64_t created_ms; /* wall clock when the intent was written */
};

struct store_options {
	int busy_timeout_ms;	  /* default 50 when 0 */
	uint64_t min_free_bytes;  /* below this, store_check_can_record() fails */
	uint64_t warn_free_bytes; /* below this, store_health() warns; 0 = never */
	int64_t max_records;	  /* at or above this many rows, no tap is recorded; 0 = no cap */
	int64_t warn_records;	  /* at or above this many rows, a warning; 0 = never */
	/* Free bytes an unprivileged writer may still use in dir (where the
	 * database and its WAL live); NULL means statvfs().  Tests put a full
	 * disk here.  Returns 0 or a negative errno. */
	int (*free_space)(const char *dir, uint64_t *ret_bytes, void *userdata);
	void *free_space_data;
	/* Open an existing store only to read it: nothing is created, migrated
	 * or written (the operator commands that only look).  -ENOENT when the
	 * file is missing; YKT_E_STORE_SCHEMA when it is not at this binary's
	 * schema (errbuf says which way).  No quick_check: see
	 * store_check_integrity().  Write calls on such a handle fail. */
	bool read_only;
	/* Commits of this handle do not wait for the disk (synchronous=NORMAL
	 * rather than FULL), so it holds the write lock for microseconds, not
	 * for an fsync.  Only for a handle whose writes cost nothing if a
	 * power cut undoes them: the uplink's (the platform's answers are
	 * asked again and it de-duplicates; a purge is done again).  Never the
	 * reader loop's: an intent must be on disk before DEBIT. */
	bool lazy_commits;
};

/* Open (creating and migrating) the database at path. Runs PRAGMA
 * quick_check. Caller frees with store_close(). Errors: YKT_E_STORE,
 * YKT_E_STORE_SCHEMA (made by a newer binary), YKT_E_STORE_CORRUPT. On error,
 * if errbuf is not NULL a one-line reason is written there. */
int store_open(const char *path, const struct store_options *opts, struct ykt_store **ret_store,
	       char *errbuf, size_t errbuf_len);
void store_close(struct ykt_store *store);

/* Change a handle's commits to lazy (see store_options.lazy_commits) or
 * back to durable, for the writes that follow: the uplink's handle commits
 * durably while it installs a parameter package (the index of versions in
 * force must survive a power cut like a record).  -EINVAL for a read-only
 * handle. */
int store_set_lazy_commits(struct ykt_store *store, bool lazy);

/* Schema version this binary writes. */
int store_schema_version(void);

/* Schema version of the open file (PRAGMA user_version). */
int store_file_schema(struct ykt_store *store, int *ret_version);

/* PRAGMA quick_check now (store_open runs it at open; a read-only open does
 * not).  0, or YKT_E_STORE_CORRUPT with the verdict in errbuf. */
int store_check_integrity(struct ykt_store *store, char *errbuf, size_t errbuf_len);

/* What store_health() found. */
struct store_health {
	int err;	     /* 0 when a tap can be recorded; else why not (below) */
	bool warn;	     /* err is 0, but a warning threshold is crossed */
	uint64_t free_bytes; /* in the database's directory */
	int64_t records;     /* rows of purchases (void ones included) and QR codes */
	char reason[128];    /* one line for err or warn; empty when all is well */
};

/* Whether a tap can be recorded now, checked before any card is touched:
 *   - after a write failed (disk full, I/O error), one small probe write
 *     must succeed again (the failure is remembered until then);
 *   - free space at least min_free_bytes (statvfs, or the injected probe);
 *   - the database is writable and answers a real read;
 *   - fewer than max_records rows.
 * err is YKT_E_STORE_FULL (space or record cap), YKT_E_STORE (I/O, read-only,
 * busy), YKT_E_STORE_CORRUPT, or -ENOMEM.  Warnings: below warn_free_bytes,
 * at or above warn_records.  Cheap enough for every tap: the row count is
 * kept in the handle and counted again only when another process wrote.
 * Returns ret->err. */
int store_health(struct ykt_store *store, struct store_health *ret);

/* store_health() without the details: 0, or the error. */
int store_check_can_record(struct ykt_store *store);

/* Write rec as an intent record (state STORE_INTENT), durable on return.
 * Assigns rec->record_no. YKT_E_STORE_DUP when card serial + INIT ATC or
 * PSAM terminal number + PSAM serial is already stored. */
int store_intent_add(struct ykt_store *store, struct ykt_purchase_record *rec);

/* Correct the PSAM serial of an intent written with the serial MAC1 was
 * expected to return, once MAC1 returned another; before DEBIT, durable on
 * return. Only from STORE_INTENT (-EINVAL otherwise, -ENOENT);
 * YKT_E_STORE_DUP when another record holds that PSAM terminal number and
 * serial. */
int store_intent_set_psam_serial(struct ykt_store *store, int64_t record_no, uint32_t psam_serial);

/* Complete an intent with the card's TAC, MAC2 and the balance after.
 * Allowed from STORE_INTENT and STORE_GREY (recovery completes a grey
 * record); -EALREADY when already complete (nothing rewritten), -EINVAL
 * when void or for a balance outside 0..100000000 fen, -ENOENT. */
int store_purchase_complete(struct ykt_store *store, int64_t record_no, const uint8_t tac[4],
			    const uint8_t mac2[4], int64_t balance_after_fen);

/* Mark an intent grey: DEBIT was sent and no answer came back.  Only from
 * STORE_INTENT; -EALREADY when already grey, -EINVAL when complete or void,
 * -ENOENT. */
int store_purchase_grey(struct ykt_store *store, int64_t record_no);

/* Added (not in the first header): void an intent or a grey record the card
 * was not debited for: DEBIT refused with a status word, or recovery showed
 * the ATC did not move.  The card's next tap reuses the same INIT ATC, so a
 * void record no longer holds the card serial + INIT ATC key.  -ENOENT,
 * -EALREADY when already void, -EINVAL when complete (a debit happened).
 * Durable on return. */
int store_purchase_void(struct ykt_store *store, int64_t record_no);

/* Record the PSAM's MAC2 verdict; MAC2_FAILED also sets STORE_FLAG_MAC2_FAILED.
 * Only on a complete record (-EINVAL otherwise, and for MAC2_UNCHECKED);
 * the same verdict again is 0, a different one -EALREADY. */
int store_purchase_mac2(struct ykt_store *store, int64_t record_no, enum store_mac2_status status);

/* Set flag bits (STORE_FLAG_*) on a record in any state; bits already set
 * stay.  -ENOENT, -EINVAL for bits outside the 32-bit field. */
int store_purchase_flag(struct ykt_store *store, int64_t record_no, uint32_t flags);
/* The MAC2 check cannot happen (STORE_FLAG_MAC2_UNCHECKED): only on a
 * complete record without a verdict; -EALREADY when it has one, -EINVAL in
 * other states; flagging twice is 0. */
int store_purchase_mac2_unchecked(struct ykt_store *store, int64_t record_no);

/* -ENOENT when there is no such record. */
int store_purchase_get(struct ykt_store *store, int64_t record_no, struct ykt_purchase_record *ret);

/* Call cb for each record in record_no order; cb returning non-zero stops the
 * walk and that value is returned.  cb may call the other store functions
 * on the same handle, except another walk (-EBUSY). */
int store_purchase_foreach(struct ykt_store *store,
			   int (*cb)(const struct ykt_purchase_record *rec, void *userdata),
			   void *userdata);

/* The newest grey record of this card (canonical serial) whose transaction
 * time is at or after since_unix_s: the torn purchase to recover when the
 * same card comes back. An intent counts as grey here: at run time it is a
 * purchase whose grey mark could not be written. -ENOENT when there is none. */
int store_purchase_find_grey(struct ykt_store *store, const char *card_serial, int64_t since_unix_s,
			     struct ykt_purchase_record *ret);

/* The record of this card with this INIT ATC that is not void (at most one:
 * the store's unique key).  A card whose ATC still equals a grey record's
 * INIT ATC was never debited for it. -ENOENT when there is none. */
int store_purchase_find_atc(struct ykt_store *store, const char *card_serial, uint16_t init_atc,
			    struct ykt_purchase_record *ret);
/* The newest complete purchase of this card (canonical serial) whose
 * transaction time is at or after since_unix_s: the repeat-tap check of a
 * card that carries no history of its own (simple purchases write no 0x1E
 * record).  -ENOENT when there is none. */
int store_purchase_find_last(struct ykt_store *store, const char *card_serial, int64_t since_unix_s,
			     struct ykt_purchase_record *ret);

/* Latest transaction time stored, purchase or QR code (Unix seconds), 0 if
 * none. */
int store_last_txn_time(struct ykt_store *store, int64_t *ret_unix_s);

/* Purchases: total includes void records; pending_upload counts records
 * that are not void and not yet acknowledged by the platform.  Events are
 * counted apart. */
struct store_counts {
	int64_t total, intent, complete, grey, pending_upload;
	int64_t events, events_pending_upload;
	int64_t qr_charged, qr_refused, qr_pending_upload; /* QR code records */
};
int store_count(struct ykt_store *store, struct store_counts *ret);

/*
 * Event records: what happened at the device that clearing or maintenance
 * must know besides purchases (a PSAM swap with the old and new terminal
 * numbers, a card locked for the blacklist, ...).  They draw their record
 * number from the same device counter as purchases and are uploaded the
 * same way.  The body is a JSON object (at most 4096 bytes) whose fields
 * depend on the kind; docs/store.md lists the kinds.
 */
#define STORE_EVENT_KIND_MAX 24
#define STORE_EVENT_BODY_MAX 4096

struct ykt_event_record {
	int64_t record_no; /* assigned by the store */
	char device_id[33];
	char kind[STORE_EVENT_KIND_MAX + 1]; /* lower-case letters, digits, '-' */
	char event_time[15];		     /* YYYYMMDDhhmmss, China Standard Time */
	int64_t event_unix_s;
	char body[STORE_EVENT_BODY_MAX + 1]; /* a JSON object */
	int upload_state;		     /* enum store_upload_state */
	int64_t created_ms;
};

/* Write ev durably; assigns ev->record_no.  -EINVAL for a kind, time or
 * device id out of form or a body that is not a JSON object. */
int store_event_add(struct ykt_store *store, struct ykt_event_record *ev);
/* -ENOENT when there is no such event. */
int store_event_get(struct ykt_store *store, int64_t record_no, struct ykt_event_record *ret);
/* Every event in record_no order (kind NULL) or those of one kind; cb as
 * for store_purchase_foreach(). */
int store_event_foreach(struct ykt_store *store, const char *kind,
			int (*cb)(const struct ykt_event_record *ev, void *userdata),
			void *userdata);

/*
 * QR code records (T-Union QR, JT/T 1179; docs/qr.md "Records"): one per
 * code the validator decided on, charged (verdict "ok") or refused (the
 * verdict key, nothing charged).  The full code goes to clearing; the fields
 * beside it are what the validator read from it, for people and queries.
 * Record numbers come from the same device counter as purchases and events.
 */
#define STORE_QR_CODE_MAX    512
#define STORE_QR_VERDICT_MAX 24

struct ykt_qr_record {
	int64_t record_no; /* assigned by the store */
	char device_id[33];
	char verdict[STORE_QR_VERDICT_MAX + 1]; /* "ok": charged; else why refused */
	uint8_t code[STORE_QR_CODE_MAX];	/* the code as scanned */
	size_t code_len;
	uint8_t code_sha256[32]; /* the caller's SHA-256 of code */
	/* read from the code */
	uint8_t version, ca_index;
	char issuer_id[9];	   /* certificate issuer id, 8 hex */
	char user_account[21];	   /* 20 hex */
	char payment_account[33];  /* 32 hex */
	char institution[9];	   /* 8 hex */
	char platform[9];	   /* 8 hex */
	uint8_t account_type;	   /* 00/01 normal, 02 student, 03 senior, 04 test, 05 military */
	uint32_t single_limit_fen; /* 3 bytes in the code */
	int64_t generated_utc;	   /* Unix seconds */
	uint16_t validity_s;
	/* the fare */
	uint8_t card_type; /* the card type whose charge_percent applied */
	int64_t nominal_fen, amount_fen, discount_fen;
	char txn_time[15]; /* YYYYMMDDhhmmss, China Standard Time */
	int64_t txn_unix_s;
	/* where */
	uint8_t industry;
	char line[9], direction[9], vehicle[17], station[9], operator_code[9];
	int upload_state; /* enum store_upload_state */
	int64_t created_ms;
};

/* Write rec durably; assigns rec->record_no.  -EINVAL for a field out of
 * form (a refused code with an amount, a code of 0 or more than 512
 * bytes, ...); YKT_E_STORE_DUP when rec is charged ("ok") and a charged
 * record with the same code_sha256 is stored already. */
int store_qr_add(struct ykt_store *store, struct ykt_qr_record *rec);
/* -ENOENT when there is no such record. */
int store_qr_get(struct ykt_store *store, int64_t record_no, struct ykt_qr_record *ret);
/* Every QR record in record_no order (charged_since < 0), or the charged
 * ones with txn_unix_s >= charged_since (the scan guard at start); cb as
 * for store_purchase_foreach(). */
int store_qr_foreach(struct ykt_store *store, int64_t charged_since,
		     int (*cb)(const struct ykt_qr_record *rec, void *userdata), void *userdata);

/*
 * Uploading to the clearing platform (`ykt sync`, offline-store/upload.c).
 *
 * A record is uploadable while its upload_state is UPLOAD_PENDING and it is
 * a complete or grey purchase, a void purchase that was grey once (the
 * platform may hold its grey form and must hear that no debit happened), an
 * event, or a QR code record (charged or refused).  An intent (a tap in progress) is never
 * uploaded.  A grey record completed by recovery, or voided, becomes pending again even when its
 * grey form was acknowledged, and is sent again: the platform updates it.
 *
 * These calls are for the uplink process.  Its handle should have a busy
 * timeout of its own (it may wait; the reader loop must not): every write
 * here is one short transaction, so a tap waiting on it waits for a few
 * milliseconds at most.
 */
enum store_item_kind {
	STORE_ITEM_PURCHASE = 1,
	STORE_ITEM_EVENT = 2,
	STORE_ITEM_QR = 3,
};

struct store_upload_item {
	enum store_item_kind kind;
	int64_t record_no;
	const struct ykt_purchase_record *purchase; /* STORE_ITEM_PURCHASE, else NULL */
	const struct ykt_event_record *event;	    /* STORE_ITEM_EVENT, else NULL */
	const struct ykt_qr_record *qr;		    /* STORE_ITEM_QR, else NULL */
};

/* Call cb for each uploadable record with record_no > after_record_no, in
 * record_no order (purchases, events and QR records merged), at most
 * max_records.  The
 * item and what it points to live only for the call.  cb returns 0 to go on,
 * > 0 to stop (the walk then returns 0), < 0 to stop with that error.  cb
 * must not write to the store.  -EBUSY when called from inside cb. */
int store_upload_foreach(struct ykt_store *store, int64_t after_record_no, size_t max_records,
			 int (*cb)(const struct store_upload_item *item, void *userdata),
			 void *userdata);

/* The platform's answer for one record. */
struct store_upload_answer {
	enum store_item_kind kind;
	int64_t record_no;
	int sent_state;	    /* purchases: the state that was sent (enum store_record_state) */
	int verdict;	    /* UPLOAD_ACCEPTED, UPLOAD_DUPLICATE or UPLOAD_REJECTED */
	const char *reason; /* rejected: the platform's reason (cut to 200 bytes); or NULL */
	bool applied;	    /* out: the answer changed the record */
};

#define STORE_UPLOAD_REASON_MAX 200
/* Most answers store_upload_apply() takes at once: one short transaction
 * (a few microseconds of the write lock per answer). */
#define STORE_UPLOAD_APPLY_MAX	1000

/* Record n answers (n <= STORE_UPLOAD_APPLY_MAX) in one transaction (durable
 * on return unless the handle commits lazily).  An answer changes a record only while it is still
 * pending and, for a purchase, still in the state that was sent: a grey record completed while its
 * grey form was on the way stays pending and goes again.  Rejected records are quarantined with the
 * reason (never deleted, never picked up again by store_upload_foreach()).  ret_changed (may be
 * NULL) counts the records changed and each answer's applied says whether it changed its record
 * (both written on success).  -EINVAL for a bad verdict, kind or n. */
int store_upload_apply(struct ykt_store *store, struct store_upload_answer *answers, size_t n,
		       int64_t now_ms, size_t *ret_changed);

/* Delete at most max_rows (1..STORE_UPLOAD_PRUNE_MAX) records the platform
 * acknowledged (accepted or duplicate) before acked_before_ms, oldest first.
 * They are looked for outside any write transaction and deleted by number
 * in one short transaction.  Never a pending or rejected record, and never
 * the newest purchase (its time anchors the clock check).  *ret_deleted
 * says how many went; call again while it equals max_rows. */
#define STORE_UPLOAD_PRUNE_MAX 10000
int store_upload_prune(struct ykt_store *store, int64_t acked_before_ms, size_t max_rows,
		       size_t *ret_deleted);

/* What the uplink reports in its heartbeat and summary. */
struct store_upload_status {
	int64_t pending_purchases; /* uploadable purchases not acknowledged yet */
	int64_t pending_grey;	   /* of which grey */
	int64_t pending_events;
	int64_t pending_qr, rejected_qr, acked_qr;   /* QR code records */
	int64_t rejected_purchases, rejected_events; /* quarantined */
	int64_t acked_purchases, acked_events;	     /* accepted or duplicate, kept */
	int64_t intents;			     /* taps in progress (not uploadable) */
	int64_t oldest_pending_unix_s;		     /* transaction / event time; 0 none */
	int64_t last_txn_unix_s;		     /* newest purchase; 0 none */
	char psam_terminal_nos[4][13];		     /* newest first, as recorded */
	size_t n_psam;
	uint64_t free_bytes; /* for an unprivileged writer, in the store's directory */
};
int store_upload_status(struct ykt_store *store, struct store_upload_status *ret);

/* One quarantined (rejected) record, for the operator. */
struct store_quarantined {
	enum store_item_kind kind;
	int64_t record_no;
	int64_t upload_ms;
	char reason[STORE_UPLOAD_REASON_MAX + 1];
};
/* Every quarantined record in record_no order; cb as for
 * store_purchase_foreach() (no nested walk). */
int store_quarantine_foreach(struct ykt_store *store,
			     int (*cb)(const struct store_quarantined *q, void *userdata),
			     void *userdata);
/* An operator's decision to send rejected records again: record_no, or 0
 * for every one.  *ret_n (may be NULL) says how many became pending. */
int store_quarantine_release(struct ykt_store *store, int64_t record_no, size_t *ret_n);

#endif
