/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scenario files (tests/scenarios/NAME.scn, docs/fares.md): one operator-
 * readable file per fare scenario, parsed here and run by
 * test_scenario_file.c against the validator with the simulated card field.
 *
 *   # comments
 *   === config ===          ykt.conf lines added to the runner's own
 *   === fare-table ===      JSON payloads installed as signed packages
 *   === card-rules ===      (version 1, in force from 2026-01-01)
 *   === device-settings ===
 *   === whitelist ===
 *   === blacklist ===       application serials, one per line
 *   === cards ===           NAME = PROFILE [key=value ...]   (tests/data/cards)
 *                           preset NAME 2701|2702|1e field=value ...
 *   === taps ===            the tap script (clock, wait, stop, tap NAME) with
 *                           the expectations of each tap indented below it
 *
 * The byte layouts here (2701, 2702, 0x1E) are written from
 * reference/jtt978.md §2.5-2.6 again, apart from terminal/card.c, so that a
 * scenario checks the validator against the standard, not against itself.
 */
#ifndef YKT_SCN_H
#define YKT_SCN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCN_MAX_TAPS	256
#define SCN_MAX_EXPECT	24
#define SCN_MAX_CARDS	16
#define SCN_MAX_PRESETS 16
#define SCN_LINE	512
#define SCN_SECTION_MAX 16384

struct scn_line {
	char text[SCN_LINE];
	int lineno;
};

struct scn_tap {
	int card, card2; /* indexes into cards, card2 -1 */
	struct scn_line expect[SCN_MAX_EXPECT];
	int n_expect;
	int lineno;
};

struct scn_card {
	char name[32];
	char base[256];	     /* profile in tests/data/cards */
	char overrides[256]; /* key=value ... */
	int field_index;     /* order of first appearance in the script, -1 unused */
};

struct scn_preset {
	int card;
	char what[8]; /* 2701, 2702, 1e */
	char fields[SCN_LINE];
	int lineno;
};

struct scn {
	const char *path;
	char config[SCN_SECTION_MAX];
	char fare_table[SCN_SECTION_MAX], card_rules[SCN_SECTION_MAX];
	char device_settings[SCN_SECTION_MAX], whitelist[SCN_SECTION_MAX];
	char blacklist[SCN_SECTION_MAX];
	char script[SCN_SECTION_MAX * 16]; /* the tap script, card names resolved */
	struct scn_card cards[SCN_MAX_CARDS];
	int n_cards, n_field_cards;
	struct scn_preset presets[SCN_MAX_PRESETS];
	int n_presets;
	struct scn_tap taps[SCN_MAX_TAPS];
	int n_taps;
};

/* Read and check a scenario; card_dir is where the generated profiles go
 * (the script names them there).  0, or -1 with the reason on stderr. */
int scn_load(const char *path, const char *card_dir, struct scn *ret);

/* ---- record layouts ---- */

enum scn_kind {
	SCN_HEX,     /* upper-case hex of the bytes */
	SCN_INT,     /* big-endian unsigned, decimal */
	SCN_STATION, /* 8 bytes: 00 x 6 ‖ a 4-hex-digit code */
	SCN_ASCII,   /* text, zero padded */
	SCN_TIME,    /* 7 BCD bytes; YYYY-MM-DDThh:mm:ss accepted too */
};

struct scn_field {
	const char *name;
	size_t off, len;
	enum scn_kind kind;
};

/* The fields of a 2701, 2702 or 1e record; NULL for another name. */
const struct scn_field *scn_fields(const char *what, size_t *ret_n, size_t *ret_len);

/* The text form of a field of rec (buf: at least 64 bytes). */
const char *scn_field_text(const struct scn_field *f, const uint8_t *rec, char *buf, size_t cap);
/* Write value (in the field's text form) into rec.  -1 when malformed. */
int scn_field_put(const struct scn_field *f, const char *value, uint8_t *rec);

/* Split "k=v k2=v2" into the next pair; returns false at the end. */
bool scn_next_pair(const char **cursor, char *key, size_t key_cap, char *value, size_t value_cap);

#endif
