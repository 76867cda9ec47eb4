/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The T-Union (JT/T 978) card command set: a builder per command and a
 * parser per answer, with the file layouts of reference/jtt978.md §2 as
 * offset tables.  Parsers check every length and BCD field; all card bytes
 * are hostile.
 */
#ifndef YKT_CARD_H
#define YKT_CARD_H

#include "apdu.h"

#include <stdbool.h>
#include <stdint.h>

#define TUNION_AID_LEN 8
extern const uint8_t tunion_ep_aid[TUNION_AID_LEN]; /* A000000632010105 */

#define CARD_SFI_PUBLIC	 0x15 /* public application basic info, 30 bytes */
#define CARD_SFI_HOLDER	 0x16 /* never read by the validator (privacy) */
#define CARD_SFI_MANAGE	 0x17 /* management info, 60 bytes */
#define CARD_SFI_LOG	 0x18 /* 10 x 23 bytes */
#define CARD_SFI_PROCESS 0x1A
#define CARD_SFI_HISTORY 0x1E /* 30 x 48 bytes */

#define CARD_FILE15_LEN 30
#define CARD_FILE17_LEN 60
#define CARD_REC18_LEN	23
#define CARD_REC1A_LEN	128
#define CARD_REC1E_LEN	48

/* 0x1A records by number (READ RECORD P1) and ID (reference/jtt978.md §2.5) */
#define CARD_REC1A_METRO 1 /* 2701: metro / rail entry and exit */
#define CARD_REC1A_BUS	 2 /* 2702: bus / trolleybus boarding and alighting */

/* 0x1E record types (§2.6) the validator writes */
#define REC1E_EP_ENTRY	0x03 /* EP entry / boarding */
#define REC1E_EP_EXIT	0x04 /* EP exit / alighting */
#define REC1E_EP_SINGLE 0x06 /* EP single purchase (flat fare) */

/* Transaction types (8050 P1 / TAC type byte) */
#define TRANS_PURCHASE 0x06
#define TRANS_CAPP     0x09

struct card_file15 {
	uint8_t issuer_id[8];	/* level-1 diversification factor */
	uint8_t app_type;	/* 02 */
	uint8_t app_version;	/* 00 initial, 01 enabled */
	uint8_t app_serial[10]; /* card number; last 8 = level-2 factor */
	uint32_t start_date;	/* YYYYMMDD */
	uint32_t expiry_date;
	uint8_t card_type; /* issuer-defined FCI byte 28 */
	uint8_t deposit;   /* byte 29 */
};

struct card_file17 {
	uint8_t country[4];
	uint8_t province[2]; /* BCD */
	uint8_t city[2];     /* BCD */
	uint16_t interconnect;
	uint8_t card_kind;
};

struct card_init_resp {
	uint32_t balance_fen;
	uint16_t atc;
	uint32_t overdraft_limit_fen;
	uint8_t key_version;
	uint8_t algorithm_id;
	uint8_t random[4];
};

/* A 0x1E record (reference/jtt978.md §2.6) */
struct card_rec1e {
	uint8_t type; /* 06 EP single purchase, 03/04 EP entry/exit */
	uint8_t terminal_no[6];
	uint8_t industry;
	uint16_t line, station, operator_code;
	uint32_t amount_fen, balance_fen;
	uint8_t datetime[7];
	uint8_t acquirer_city[2];
	uint8_t acquirer_institution[8];
};

/* The state of a trip in a 0x1A record (byte 14) */
enum card_trip_state {
	CARD_TRIP_NONE = 0x00, /* initial: never used */
	CARD_TRIP_IN = 0x01,   /* entered / boarded, no exit yet */
	CARD_TRIP_OUT = 0x02,  /* exited / alighted */
};

/* One end of a trip: where and when the card went in or out. */
struct card_trip_end {
	uint8_t city[2];	/* BCD */
	uint8_t institution[8]; /* acquirer institution */
	uint16_t station;	/* metro: station code; bus: stop number on the line (1..255) */
	bool station_known;	/* false: a station field this validator did not write */
	uint8_t terminal_no[6]; /* PSAM terminal number */
	uint8_t datetime[7];	/* YYYYMMDDhhmmss BCD */
	bool has_time;		/* datetime is a real date and time */
	uint16_t line;		/* metro: one byte on the card */
	uint16_t operator_code; /* bus */
	uint8_t vehicle[8];	/* bus, ASCII */
};

/*
 * A 0x1A public-transport process record, 2701 (metro) or 2702 (bus), as
 * the offset tables of reference/jtt978.md §2.5 lay it out.  Parsing is
 * strict on what the validator relies on (ID, length, state, the BCD times
 * of the ends the state says exist) and keeps the rest as read.
 */
struct card_trip {
	uint8_t record;	 /* CARD_REC1A_METRO or CARD_REC1A_BUS */
	uint8_t flag;	 /* byte 4: 1 = segment / compound charging */
	uint8_t locked;	 /* byte 5 */
	uint8_t flow[8]; /* BCD transaction flow number */
	uint8_t state;	 /* enum card_trip_state */
	struct card_trip_end in, out;
	uint32_t in_amount_fen, in_balance_fen; /* 2701: at entry */
	uint32_t amount_fen;			/* the trip's fare, written at the exit */
	uint32_t marked_fen;			/* 2702: 标注金额, charged when no tap-off */
	uint8_t direction;			/* 2702: AB up, BA down */
	uint16_t mileage;			/* 2702 */
};

/* Builders fill *a; data buffers passed in must outlive the APDU. */
void card_cmd_select_ppse(struct apdu *a);
void card_cmd_select_aid(struct apdu *a, const uint8_t *aid, size_t aid_len);
void card_cmd_read_binary(struct apdu *a, uint8_t sfi, uint8_t le);
void card_cmd_read_record(struct apdu *a, uint8_t sfi, uint8_t record, uint8_t le);
void card_cmd_init_purchase(struct apdu *a, uint8_t buf[11], uint8_t trans_type, uint8_t key_index,
			    uint32_t amount_fen, const uint8_t terminal_no[6]);
void card_cmd_update_capp_1e(struct apdu *a, const uint8_t rec[CARD_REC1E_LEN]);
void card_cmd_debit(struct apdu *a, uint8_t buf[15], uint32_t terminal_serial,
		    const uint8_t datetime[7], const uint8_t mac1[4]);
void card_cmd_get_trans_prove(struct apdu *a, uint8_t buf[2], uint8_t trans_type, uint16_t atc);
/* UPDATE CAPP DATA CACHE of a 0x1A record (128 bytes with its header):
 * P1 00, P2 D0 (jtt978.md §3, TU's form). */
void card_cmd_update_capp_1a(struct apdu *a, const uint8_t rec[CARD_REC1A_LEN]);
/* GET CHALLENGE, 4 bytes */
void card_cmd_get_challenge(struct apdu *a);
/* APPLICATION BLOCK 841E 00 P2 04 + MAC: P2 00 temporary, 01 permanent */
void card_cmd_app_block(struct apdu *a, bool permanent, const uint8_t mac[4]);

/* Parsers: 0, or YKT_E_CARD_FORMAT (or -ENOENT where said). */
/* The first PPSE directory entry whose AID starts with the T-Union EP AID;
 * phones and wearables extend it to 16 bytes. -ENOENT if none. */
int card_parse_ppse(const uint8_t *fci, size_t len, uint8_t ret_aid[16], size_t *ret_aid_len);
/* The EP FCI; *ret_has_file15 tells whether it carried 9F0C (file 0x15). */
int card_parse_fci(const uint8_t *fci, size_t len, uint8_t ret_file15[CARD_FILE15_LEN],
		   bool *ret_has_file15);
int card_parse_file15(const uint8_t *raw, size_t len, struct card_file15 *ret);
int card_parse_file17(const uint8_t *raw, size_t len, struct card_file17 *ret);
int card_parse_init(const uint8_t *raw, size_t len, struct card_init_resp *ret);
/* DEBIT answers TAC then MAC2 */
int card_parse_debit(const uint8_t *raw, size_t len, uint8_t ret_tac[4], uint8_t ret_mac2[4]);
/* GET TRANSACTION PROVE answers MAC2 then TAC */
int card_parse_prove(const uint8_t *raw, size_t len, uint8_t ret_mac2[4], uint8_t ret_tac[4]);

/* A 0x18 record, the transaction detail the card's COS keeps (§2.4) */
struct card_rec18 {
	uint16_t atc; /* the ATC that transaction used */
	uint32_t overdraft_limit_fen;
	uint32_t amount_fen;
	uint8_t type; /* 02 load, 06 purchase, 09 CAPP purchase */
	uint8_t terminal_no[6];
	uint8_t datetime[7]; /* BCD date ‖ time */
};

/* The common header of a 0x1A record 27xx (§2.5); the body is per industry */
struct card_rec1a_header {
	uint8_t id_low; /* 27xx: xx, 01..12 */
	uint8_t app_valid;
	uint8_t interconnect_kind;
	uint8_t locked;
	uint8_t serial[8]; /* BCD */
	uint8_t state;	   /* 00 initial, 01 entered/boarded, 02 exited/alighted */
};

/* An empty (all-zero) 0x18 record is -ENOENT. */
int card_parse_rec18(const uint8_t *raw, size_t len, struct card_rec18 *ret);
int card_parse_rec1a_header(const uint8_t *raw, size_t len, struct card_rec1a_header *ret);

void card_build_rec1e(const struct card_rec1e *rec, uint8_t out[CARD_REC1E_LEN]);
int card_parse_rec1e(const uint8_t *raw, size_t len, struct card_rec1e *ret);

/* 2701 / 2702 records: the builder writes the whole 128 bytes (header,
 * ID 27xx, length 7D, valid flag 01); the parser refuses a record of
 * another length, ID or length byte (YKT_E_CARD_FORMAT) and keeps the rest
 * as read: a time that is not a real date-time has has_time false, a
 * station field not in this validator's form has station_known false, and
 * judging them is the fare rules' business. */
void card_build_trip(const struct card_trip *trip, uint8_t out[CARD_REC1A_LEN]);
int card_parse_trip(const uint8_t *raw, size_t len, uint8_t record, struct card_trip *ret);

#endif
