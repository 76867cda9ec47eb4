/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The screen model: everything one screen shows, as a plain struct with no
 * pointers, so the tap can copy it into the render mailbox and return at
 * once. The terminal fills it (terminal/screens.c); ui/render.c draws it;
 * the text display prints ui_screen_describe().
 *
 * Money is in fen, times are Unix seconds shown in China Standard Time.
 * Strings are UTF-8, cut to their buffers by whoever fills them.
 */
#ifndef YKT_SCREEN_H
#define YKT_SCREEN_H

#include "outcome.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UI_TEXT_MAX	 96
#define UI_DRIVER_ROWS	 6
#define UI_PSAM_SLOTS	 4
#define UI_VERSION_MAX	 32
#define UI_TERMINAL_MAX	 13 /* 6 bytes BCD as 12 digits */
#define UI_DRIVER_ID_MAX 17

enum ui_screen_kind {
	UI_SCREEN_IDLE,		  /* 请刷卡: line, fare, time, status */
	UI_SCREEN_PAID,		  /* amount, balance, card type, discount or transfer */
	UI_SCREEN_REFUSED,	  /* every outcome but paid, in Chinese and English */
	UI_SCREEN_OUT_OF_SERVICE, /* 暂停服务 and why */
	UI_SCREEN_DRIVER,	  /* sign-on state and shift totals */
	UI_SCREEN_MAINTENANCE,	  /* PSAM slots, store, clock, versions */
	UI_SCREEN_KIND_COUNT
};

/* The status icons' states. */
enum ui_status { UI_STATUS_UNKNOWN, UI_STATUS_OK, UI_STATUS_WARN, UI_STATUS_FAULT };

struct ui_status_bar {
	char line[UI_TEXT_MAX]; /* "29路 上行" */
	int64_t now_s;		/* Unix seconds; shown as CST hh:mm */
	enum ui_status psam, network, upload, params;
	int64_t backlog; /* records awaiting upload; -1 unknown */
};

struct ui_idle {
	int64_t fare_fen; /* -1: no flat fare to show */
};

struct ui_paid {
	int64_t amount_fen;  /* charged */
	int64_t nominal_fen; /* the fare before discounts */
	int64_t balance_fen; /* after the purchase; -1 unknown */
	uint8_t card_type;   /* file 0x15 byte 28 */
	bool transfer;	     /* the discount is a transfer discount */
	bool recovered;	     /* an earlier torn purchase, now proven */
	bool low_balance;    /* remind the passenger to top up */
};

struct ui_refused {
	enum tap_outcome outcome;
	int64_t balance_fen; /* shown for insufficient balance; -1 unknown */
	int64_t fare_fen;    /* what was asked; -1 unknown */
};

enum ui_oos_reason {
	UI_OOS_PSAM,	    /* no working PSAM */
	UI_OOS_STORE_FULL,  /* no room to record */
	UI_OOS_STORE,	    /* the store failed */
	UI_OOS_CLOCK,	    /* the clock cannot be trusted */
	UI_OOS_READER,	    /* the reader is gone */
	UI_OOS_MAINTENANCE, /* a crew took it out (PSAM swap) */
	UI_OOS_OTHER,
	UI_OOS_REASON_COUNT
};

struct ui_out_of_service {
	enum ui_oos_reason reason;
	char detail[UI_TEXT_MAX]; /* one technical line for the crew, may be empty */
};

struct ui_driver_row {
	uint8_t card_type;
	int64_t taps, amount_fen;
};

struct ui_driver {
	char driver_id[UI_DRIVER_ID_MAX]; /* empty: nobody signed on */
	bool signed_on;
	int64_t since_s; /* sign-on time */
	int n_rows;
	struct ui_driver_row rows[UI_DRIVER_ROWS]; /* shift totals by card type */
	int64_t total_taps, total_fen;
};

struct ui_psam_slot {
	bool present;
	enum ui_status state;
	char terminal_no[UI_TERMINAL_MAX];
};

struct ui_maintenance {
	char device_id[33];
	int n_slots;
	struct ui_psam_slot slots[UI_PSAM_SLOTS];
	int64_t records, backlog; /* -1 unknown */
	int64_t free_bytes;	  /* -1 unknown */
	bool clock_ok;
	char app_version[UI_VERSION_MAX];
	char params_version[UI_VERSION_MAX];
};

struct ui_screen {
	enum ui_screen_kind kind;
	struct ui_status_bar bar;
	union {
		struct ui_idle idle;
		struct ui_paid paid;
		struct ui_refused refused;
		struct ui_out_of_service oos;
		struct ui_driver driver;
		struct ui_maintenance maint;
	} u;
};

/* Chinese and English of one thing, static storage. */
struct ui_text {
	const char *zh, *en;
};

/* 普通卡 / Standard, 学生卡 / Student, 老年卡 / Senior, ... by file 0x15 card type */
struct ui_text ui_card_type_text(uint8_t card_type);
/* true for types that ride at a concession (they get their own beep) */
bool ui_card_type_concession(uint8_t card_type);
/* what to do next after a refusal (请充值 / Please top up); NULL zh when none */
struct ui_text ui_outcome_hint(enum tap_outcome outcome);
/* true when the passenger should simply tap again (amber, not red) */
bool ui_outcome_tap_again(enum tap_outcome outcome);
struct ui_text ui_oos_reason_text(enum ui_oos_reason reason);
/* An error code of ykt_tap_ready() as a reason. */
enum ui_oos_reason ui_oos_reason_from_error(int err);
struct ui_text ui_status_label(int which); /* 0 PSAM, 1 network, 2 upload, 3 params */

/* "12.50" for 1250 fen (a leading '-' when negative) into buf. */
void ui_format_yuan(int64_t fen, char *buf, size_t cap);
/* "07:30" / "2026-11-21 07:30:00" in China Standard Time. */
void ui_format_hhmm(int64_t unix_s, char *buf, size_t cap);
void ui_format_datetime(int64_t unix_s, char *buf, size_t cap);

/* Copy src into dst (cap bytes), cut at a UTF-8 character boundary. */
void ui_copy_text(char *dst, size_t cap, const char *src);

/* One line of text for the text display and logs: the kind, the message in
 * Chinese and English, and the numbers, e.g.
 * "paid | 交易成功 / Paid | 学生卡 / Student | ¥1.00 | 余额 ¥23.50". Always
 * terminated; cut to cap. */
void ui_screen_describe(const struct ui_screen *s, char *buf, size_t cap);

/* A fixed set of example screens (every kind, every refusal, long texts)
 * for the screen tests, docs/screens/ and `ykt selftest`. Returns false
 * past the end. name: a short file-name-safe word ("paid-student"). */
bool ui_screen_sample(size_t index, struct ui_screen *ret, const char **ret_name);

#endif
