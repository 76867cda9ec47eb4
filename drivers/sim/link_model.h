/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Link model: how long one APDU exchange takes on real hardware.
 *
 * A pure computation (no sleeping, no I/O, no allocation, no global state):
 * the simulated reader and PSAM drivers use it to delay when asked for
 * real time, the benchmarks to compute the physical floor of a tap. It
 * covers ISO/IEC 14443 Type A (Type B as an option) with the ISO-DEP block
 * protocol, ISO/IEC 7816-3 T=0 and T=1, and a table of card and PSAM
 * processing times that is a MODEL, not a measurement. Every formula and
 * constant, with its source, is in docs/link-model.md.
 *
 * Times are integer nanoseconds, rounded once per component, so the same
 * inputs give the same numbers on every machine.
 */
#ifndef YKT_LINK_MODEL_H
#define YKT_LINK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Who processes the command: the contactless card or the contact PSAM. */
enum link_side {
	LINK_SIDE_CARD = 0,
	LINK_SIDE_PSAM = 1,
};

/* ---- processing-time table ---- */

#define LINK_PROC_MAX	   48	     /* entries a table holds */
#define LINK_PROC_ANY_P1   (-1)	     /* entry matches every P1 */
#define LINK_PROC_US_LIMIT 10000000u /* 10 s: larger values are clamped */

struct link_proc_entry {
	enum link_side side;
	uint8_t ins;
	int16_t p1; /* 0x00..0xFF, or LINK_PROC_ANY_P1 */
	uint32_t us;
};

/* A caller-editable table: entries are searched in order for (side, INS,
 * P1), then (side, INS, any P1); a command found in neither takes
 * default_us[side]. Plain data: copy it, put it on the stack, edit it. */
struct link_proc {
	size_t n;
	struct link_proc_entry entry[LINK_PROC_MAX];
	uint32_t default_us[2]; /* indexed by enum link_side */
};

/* Fill *ret with the built-in table (docs/link-model.md, "Processing"). */
void link_proc_default(struct link_proc *ret);

/* Set one entry, replacing an entry with the same key or appending one.
 * p1 is 0..255 or LINK_PROC_ANY_P1. Errors: -EINVAL (bad side or p1,
 * us > LINK_PROC_US_LIMIT), -ENOSPC (table full); *t unchanged on error. */
int link_proc_set(struct link_proc *t, enum link_side side, uint8_t ins, int p1, uint32_t us);

/* Apply overrides from key=value text (NUL-terminated), one per line,
 * '#' starts a comment, blanks ignored:
 *     card.54 = 30000        # side.INS (hex) = microseconds
 *     card.50.03 = 7000      # side.INS.P1
 *     psam.default = 5000
 * All or nothing: on error *t is unchanged and *ret_line (if not NULL)
 * gets the 1-based line at fault. Errors: YKT_E_PARSE, -ENOSPC. */
int link_proc_parse(struct link_proc *t, const char *text, unsigned *ret_line);

/* Processing time in microseconds of a command (INS, P1) on one side,
 * from t or, when t is NULL, from the built-in table. Never fails: an
 * unknown command gets the side's default, an out-of-range side the
 * card's, values above LINK_PROC_US_LIMIT are clamped to it. */
uint32_t link_processing_us(const struct link_proc *t, enum link_side side, uint8_t ins,
			    uint8_t p1);

/* ---- links ---- */

enum link_rf_type {
	LINK_RF_TYPE_A = 0,
	LINK_RF_TYPE_B = 1,
};

/* ISO/IEC 14443 reader-to-card link (ISO-DEP). */
struct link_contactless {
	enum link_rf_type type;
	unsigned bitrate_kbps; /* 106, 212, 424 or 848 (both directions) */
	unsigned fsc;	       /* card's frame size (ATS FSCI), bytes, 16..4096 */
	unsigned fsd;	       /* reader's frame size (RATS FSDI), bytes, 16..4096 */
	bool cid;	       /* a CID byte in every block */
	unsigned fwi;	       /* ATS FWI 0..14: FWT = 4096 * 2^FWI / fc; longer work uses S(WTX) */
	unsigned sfgi;	       /* ATS SFGI 0..14: SFGT = 4096 * 2^SFGI / fc after the ATS */
	unsigned uid_len;      /* 4, 7 or 10 (activation only) */
	unsigned ats_len;      /* ATS bytes including TL, excluding CRC, 1..254 (activation) */
	uint32_t reader_extra_us; /* added before every reader frame (firmware, host); 0 = floor */
	enum link_side side;	  /* whose processing times apply: LINK_SIDE_CARD */
	const struct link_proc *proc; /* NULL: built-in table; not owned, must outlive use */
};

/* ISO/IEC 7816-3 reader-to-PSAM link. */
struct link_contact {
	uint32_t clock_hz;	      /* card clock f */
	unsigned etu_clocks;	      /* F/D: 372 (9600 bit/s at 3.5712 MHz), 93 (38 400 bit/s) */
	unsigned extra_guard_etu;     /* N from TC1, 0..254, on the reader's characters */
	int protocol;		      /* 0: T=0, 1: T=1 */
	unsigned ifsc, ifsd;	      /* T=1 only: largest INF per block, 1..254 */
	uint32_t reader_extra_us;     /* added each time the reader starts sending; 0 = floor */
	enum link_side side;	      /* whose processing times apply: LINK_SIDE_PSAM */
	const struct link_proc *proc; /* NULL: built-in table; not owned, must outlive use */
};

/* Defaults (docs/link-model.md): Type A, 106 kbit/s, FSC = FSD = 256, no
 * CID, FWI 8, SFGI 0, 4-byte UID, 10-byte ATS, built-in table. */
void link_contactless_default(struct link_contactless *ret);
/* Defaults: production PSAM, T=0 at 38 400 bit/s (f = 3.5712 MHz,
 * F/D = 93), N = 0, IFSC = IFSD = 32, built-in table. */
void link_contact_default(struct link_contact *ret);

/* One exchange's time, split so that total_ns = air + gap + processing. */
struct link_timing {
	uint64_t air_ns;	/* frames / characters on the wire, both directions */
	uint64_t gap_ns;	/* minimum turnarounds and guard times, reader_extra_us */
	uint64_t processing_ns; /* card / PSAM processing (the table) */
	uint64_t total_ns;
	uint32_t total_us; /* total_ns rounded to the nearest microsecond, saturated */
	unsigned frames;   /* frames (14443), blocks (T=1) or 2 per TPDU (T=0), both ways */
};

/* Time of one APDU over ISO 14443-4: capdu (clen >= 4 bytes, as the reader
 * sends it) and an answer of rlen_incl_sw bytes (data + SW1 SW2, >= 2).
 * Starts with the reader's minimum wait after the card's previous frame,
 * ends with the card's last frame. Chains above FSC / FSD with an R(ACK)
 * per chained block; adds S(WTX) pairs when processing exceeds FWT.
 * Errors: -EINVAL (NULL, bad link settings, lengths out of range). */
int link_contactless_exchange(const struct link_contactless *l, const uint8_t *capdu, size_t clen,
			      size_t rlen_incl_sw, struct link_timing *ret);

/* Time of ISO 14443-3 Type A activation at 106 kbit/s: REQA, ATQA, the
 * anticollision and SELECT of each cascade level (uid_len), RATS, ATS,
 * SFGT and, when bitrate_kbps != 106, PPS. Field power-up and polling are
 * not included. Errors: -EINVAL, -EOPNOTSUPP (Type B). */
int link_contactless_activation(const struct link_contactless *l, struct link_timing *ret);

/* Time of one APDU over ISO 7816-3 (short APDUs only: clen 4..261, answer
 * data up to 256 bytes). T=0: one TPDU with procedure byte; a case-4 APDU
 * (command data and rlen_incl_sw > 2) includes the 61xx answer and the
 * GET RESPONSE TPDU. A caller that sends GET RESPONSE itself passes each
 * TPDU with its own answer length (2 for the 61xx) and gets the same sum.
 * T=1: I-blocks chained above IFSC / IFSD. Errors: -EINVAL. */
int link_contact_exchange(const struct link_contact *l, const uint8_t *capdu, size_t clen,
			  size_t rlen_incl_sw, struct link_timing *ret);

/* ---- sequences (the benchmarks' floor of a tap) ---- */

enum link_step_kind {
	LINK_STEP_ACTIVATE = 0, /* contactless activation; capdu unused */
	LINK_STEP_CARD = 1,	/* one APDU over the contactless link */
	LINK_STEP_PSAM = 2,	/* one APDU over the contact link */
};

struct link_step {
	enum link_step_kind kind;
	const uint8_t *capdu;
	size_t clen;
	size_t rlen_incl_sw;
};

/* Sum of the steps, one after the other (no overlap between the two
 * links): each field of *ret is the sum of the steps' fields. card or
 * psam may be NULL when no step uses it. Errors: those of the steps,
 * -EINVAL for a step kind without its link. */
int link_sequence(const struct link_contactless *card, const struct link_contact *psam,
		  const struct link_step *steps, size_t n, struct link_timing *ret);

/* The mandatory exchanges of one purchase, split by what may overlap. The
 * card's commands run one after the other; the PSAM's MAC1 needs
 * INITIALIZE's answer and DEBIT needs MAC1, but the card commands between
 * INITIALIZE and DEBIT that need nothing from MAC1 (UPDATE CAPP DATA CACHE)
 * can run on the card link while the PSAM works on its own link. */
struct link_purchase_flow {
	const struct link_step *card_before; /* SELECT .. INITIALIZE, in order */
	size_t n_before;
	const struct link_step *psam; /* 8070 (+ GET RESPONSE under T=0) */
	size_t n_psam;
	const struct link_step *card_beside; /* 80DC ...: beside the PSAM's work */
	size_t n_beside;
	const struct link_step *card_after; /* DEBIT */
	size_t n_after;
};

/* A purchase's floor and its parts; total_ns = before + max(psam, beside)
 * + after, hidden_ns = min(psam, beside): the time the overlap saves. */
struct link_floor {
	struct link_timing before, psam, beside, after;
	uint64_t total_ns, hidden_ns;
};

/* The physical floor of a purchase: the least time from the card's
 * activation (when the reader reports the card; activation itself is not
 * in it) to DEBIT's answer (when the passenger can be told), for these
 * exchanges on these links with this processing table. No schedule can
 * beat it: the card link carries one command at a time, MAC1 cannot start
 * before INITIALIZE's answer nor DEBIT before MAC1's, and all else (MAC2
 * verification after DEBIT, the store, software) is outside it or can be
 * overlapped. Errors: as link_sequence(), -EINVAL for NULL. */
int link_purchase_floor(const struct link_contactless *card, const struct link_contact *psam,
			const struct link_purchase_flow *flow, struct link_floor *ret);

#endif
