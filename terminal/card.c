/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "card.h"

#include "bytes.h"
#include "tlv.h"
#include "ykt_error.h"

#include <errno.h>
#include <string.h>

const uint8_t tunion_ep_aid[TUNION_AID_LEN] = { 0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05 };
static const uint8_t ppse_name[] = "2PAY.SYS.DDF01";

/* File 0x15 offsets (reference/jtt978.md §2.1) */
enum {
	F15_ISSUER = 0,
	F15_APP_TYPE = 8,
	F15_APP_VERSION = 9,
	F15_SERIAL = 10,
	F15_START = 20,
	F15_EXPIRY = 24,
	F15_CARD_TYPE = 28,
	F15_DEPOSIT = 29,
};

/* File 0x17 offsets (§2.3); bytes 11..59 are RFU and not needed */
enum {
	F17_COUNTRY = 0,
	F17_PROVINCE = 4,
	F17_CITY = 6,
	F17_INTERCONNECT = 8,
	F17_KIND = 10,
	F17_USED = 11
};

/* INITIALIZE FOR (CAPP) PURCHASE answer (§3) */
enum {
	INIT_BALANCE = 0,
	INIT_ATC = 4,
	INIT_OVERDRAFT = 6,
	INIT_KEY_VERSION = 9,
	INIT_ALGORITHM = 10,
	INIT_RANDOM = 11,
	INIT_LEN = 15,
};

/* 0x18 record (§2.4) */
enum {
	R18_ATC = 0,
	R18_OVERDRAFT = 2,
	R18_AMOUNT = 5,
	R18_TYPE = 9,
	R18_TERMINAL = 10,
	R18_DATETIME = 16, /* date(4) ‖ time(3), BCD */
};

/* 0x1E record (§2.6) */
enum {
	R1E_TYPE = 0,
	R1E_TERMINAL = 1, /* 8 bytes: 00 00 ‖ PSAM terminal number */
	R1E_INDUSTRY = 9,
	R1E_LINE = 10,
	R1E_STATION = 12,
	R1E_OPERATOR = 14,
	R1E_AMOUNT = 17,
	R1E_BALANCE = 21,
	R1E_DATETIME = 25,
	R1E_CITY = 32,
	R1E_INSTITUTION = 34,
};

/* 0x1A header, common to 2701..2712 (§2.5) */
enum {
	R1A_ID = 0,
	R1A_LEN_BYTE = 2,
	R1A_VALID = 3,
	R1A_FLAG = 4,
	R1A_LOCK = 5,
	R1A_FLOW = 6,
	R1A_STATE = 14,
	R1A_BODY_LEN = 0x7D, /* the bytes after the length byte */
};

/* 2701 metro: entry and exit side by side */
enum {
	M_IN_CITY = 15,
	M_OUT_CITY = 17,
	M_IN_INST = 19,
	M_OUT_INST = 27,
	M_IN_STATION = 35, /* 8 bytes: 00 x 6 ‖ station code */
	M_OUT_STATION = 43,
	M_IN_DEVICE = 51, /* 8 bytes: 00 00 ‖ PSAM terminal number */
	M_OUT_DEVICE = 59,
	M_IN_TIME = 67,
	M_OUT_TIME = 74,
	M_IN_LINE = 85,
	M_OUT_LINE = 86,
	M_IN_AMOUNT = 87,
	M_IN_BALANCE = 91,
	M_OUT_AMOUNT = 95,
};

/* 2702 bus: one block per side, at these bases */
enum {
	B_IN = 15,
	B_OUT = 58,
	B_MARKED = 53,
	B_DIRECTION = 57,
	B_AMOUNT = 96,
	B_MILEAGE = 100,
};

/* offsets inside a 2702 side; the boarding side has no direction byte */
enum { BS_CITY = 0, BS_INST = 2, BS_OPERATOR = 10, BS_LINE = 12, BS_STOP = 14, BS_VEHICLE = 15 };
enum { BS_TERMINAL = 23, BS_TIME = 31 };

void card_cmd_select_ppse(struct apdu *a)
{
	*a = (struct apdu){ 0x00, 0xA4, 0x04, 0x00, ppse_name, sizeof(ppse_name) - 1, 0 };
}

void card_cmd_select_aid(struct apdu *a, const uint8_t *aid, size_t aid_len)
{
	*a = (struct apdu){ 0x00, 0xA4, 0x04, 0x00, aid, aid_len, 0 };
}

void card_cmd_read_binary(struct apdu *a, uint8_t sfi, uint8_t le)
{
	*a = (struct apdu){ 0x00, 0xB0, (uint8_t)(0x80 | sfi), 0x00, NULL, 0, le };
}

void card_cmd_read_record(struct apdu *a, uint8_t sfi, uint8_t record, uint8_t le)
{
	*a = (struct apdu){ 0x00, 0xB2, record, (uint8_t)(sfi << 3 | 4), NULL, 0, le };
}

void card_cmd_init_purchase(struct apdu *a, uint8_t buf[11], uint8_t trans_type, uint8_t key_index,
			    uint32_t amount_fen, const uint8_t terminal_no[6])
{
	buf[0] = key_index;
	ykt_put_be32(buf + 1, amount_fen);
	memcpy(buf + 5, terminal_no, 6);
	/* P1 01 = purchase (type 06), 03 = CAPP purchase (type 09); P2 02 = EP */
	*a = (struct apdu){ 0x80, 0x50,	   trans_type == TRANS_CAPP ? 0x03 : 0x01, 0x02, buf,
			    11,	  INIT_LEN };
}

void card_cmd_update_capp_1e(struct apdu *a, const uint8_t rec[CARD_REC1E_LEN])
{
	/* P2 = SFI 1E << 3: the cyclic history file, P1 00 */
	*a = (struct apdu){ 0x80, 0xDC, 0x00, CARD_SFI_HISTORY << 3, rec, CARD_REC1E_LEN, -1 };
}

void card_cmd_debit(struct apdu *a, uint8_t buf[15], uint32_t terminal_serial,
		    const uint8_t datetime[7], const uint8_t mac1[4])
{
	ykt_put_be32(buf, terminal_serial);
	memcpy(buf + 4, datetime, 7);
	memcpy(buf + 11, mac1, 4);
	*a = (struct apdu){ 0x80, 0x54, 0x01, 0x00, buf, 15, 8 };
}

void card_cmd_get_trans_prove(struct apdu *a, uint8_t buf[2], uint8_t trans_type, uint16_t atc)
{
	ykt_put_be16(buf, atc);
	*a = (struct apdu){ 0x80, 0x5A, 0x00, trans_type, buf, 2, 8 };
}

void card_cmd_update_capp_1a(struct apdu *a, const uint8_t rec[CARD_REC1A_LEN])
{
	/* P2 = SFI 1A << 3; the record is named by the ID inside the data */
	*a = (struct apdu){ 0x80, 0xDC, 0x00, CARD_SFI_PROCESS << 3, rec, CARD_REC1A_LEN, -1 };
}

void card_cmd_get_challenge(struct apdu *a)
{
	*a = (struct apdu){ 0x00, 0x84, 0x00, 0x00, NULL, 0, 4 };
}

void card_cmd_app_block(struct apdu *a, bool permanent, const uint8_t mac[4])
{
	/* CLA 84: secure messaging (a MAC); P1 00 = DES MAC (TU) */
	*a = (struct apdu){ 0x84, 0x1E, 0x00, permanent ? 0x01 : 0x00, mac, 4, -1 };
}

static int ppse_entry_aid(const struct tlv *entry, uint8_t ret_aid[16], size_t *ret_aid_len)
{
	struct tlv aid;

	if (tlv_find(entry->value, entry->len, 0x4F, &aid) < 0)
		return -ENOENT;
	if (aid.len < TUNION_AID_LEN || aid.len > 16 ||
	    memcmp(aid.value, tunion_ep_aid, TUNION_AID_LEN) != 0)
		return -ENOENT;
	memcpy(ret_aid, aid.value, aid.len);
	*ret_aid_len = aid.len;
	return 0;
}

int card_parse_ppse(const uint8_t *fci, size_t len, uint8_t ret_aid[16], size_t *ret_aid_len)
{
	struct tlv t6f, ta5, tdir, entry;
	size_t pos = 0;
	int r;

	if (tlv_find(fci, len, 0x6F, &t6f) < 0 || tlv_find(t6f.value, t6f.len, 0xA5, &ta5) < 0 ||
	    tlv_find(ta5.value, ta5.len, 0xBF0C, &tdir) < 0)
		return YKT_E_CARD_FORMAT;
	while ((r = tlv_next(tdir.value, tdir.len, &pos, &entry)) == 0)
		if (entry.tag == 0x61 && ppse_entry_aid(&entry, ret_aid, ret_aid_len) == 0)
			return 0;
	return r == -ENODATA ? -ENOENT : YKT_E_CARD_FORMAT;
}

int card_parse_fci(const uint8_t *fci, size_t len, uint8_t ret_file15[CARD_FILE15_LEN],
		   bool *ret_has_file15)
{
	struct tlv t6f, ta5, t15;

	if (tlv_find(fci, len, 0x6F, &t6f) < 0)
		return YKT_E_CARD_FORMAT;
	/* no proprietary template or no 9F0C: the caller reads file 0x15 */
	if (tlv_find(t6f.value, t6f.len, 0xA5, &ta5) < 0 ||
	    tlv_find(ta5.value, ta5.len, 0x9F0C, &t15) < 0) {
		*ret_has_file15 = false;
		return 0;
	}
	if (t15.len != CARD_FILE15_LEN)
		return YKT_E_CARD_FORMAT;
	memcpy(ret_file15, t15.value, CARD_FILE15_LEN);
	*ret_has_file15 = true;
	return 0;
}

int card_parse_file15(const uint8_t *raw, size_t len, struct card_file15 *ret)
{
	struct card_file15 f;

	if (len != CARD_FILE15_LEN)
		return YKT_E_CARD_FORMAT;
	memcpy(f.issuer_id, raw + F15_ISSUER, 8);
	f.app_type = raw[F15_APP_TYPE];
	f.app_version = raw[F15_APP_VERSION];
	memcpy(f.app_serial, raw + F15_SERIAL, 10);
	if (ykt_bcd_date(raw + F15_START, &f.start_date) < 0 ||
	    ykt_bcd_date(raw + F15_EXPIRY, &f.expiry_date) < 0)
		return YKT_E_CARD_FORMAT;
	f.card_type = raw[F15_CARD_TYPE];
	f.deposit = raw[F15_DEPOSIT];
	*ret = f;
	return 0;
}

int card_parse_file17(const uint8_t *raw, size_t len, struct card_file17 *ret)
{
	struct card_file17 f;

	/* some issuers return only the used part; the rest is RFU */
	if (len < F17_USED || len > CARD_FILE17_LEN)
		return YKT_E_CARD_FORMAT;
	if (!ykt_bcd_valid(raw + F17_PROVINCE, 2) || !ykt_bcd_valid(raw + F17_CITY, 2))
		return YKT_E_CARD_FORMAT;
	memcpy(f.country, raw + F17_COUNTRY, 4);
	memcpy(f.province, raw + F17_PROVINCE, 2);
	memcpy(f.city, raw + F17_CITY, 2);
	f.interconnect = ykt_be16(raw + F17_INTERCONNECT);
	f.card_kind = raw[F17_KIND];
	*ret = f;
	return 0;
}

int card_parse_init(const uint8_t *raw, size_t len, struct card_init_resp *ret)
{
	if (len != INIT_LEN)
		return YKT_E_CARD_FORMAT;
	ret->balance_fen = ykt_be32(raw + INIT_BALANCE);
	ret->atc = ykt_be16(raw + INIT_ATC);
	ret->overdraft_limit_fen = ykt_be24(raw + INIT_OVERDRAFT);
	ret->key_version = raw[INIT_KEY_VERSION];
	ret->algorithm_id = raw[INIT_ALGORITHM];
	memcpy(ret->random, raw + INIT_RANDOM, 4);
	return 0;
}

int card_parse_debit(const uint8_t *raw, size_t len, uint8_t ret_tac[4], uint8_t ret_mac2[4])
{
	if (len != 8)
		return YKT_E_CARD_FORMAT;
	memcpy(ret_tac, raw, 4);
	memcpy(ret_mac2, raw + 4, 4);
	return 0;
}

int card_parse_prove(const uint8_t *raw, size_t len, uint8_t ret_mac2[4], uint8_t ret_tac[4])
{
	if (len != 8)
		return YKT_E_CARD_FORMAT;
	memcpy(ret_mac2, raw, 4);
	memcpy(ret_tac, raw + 4, 4);
	return 0;
}

int card_parse_rec18(const uint8_t *raw, size_t len, struct card_rec18 *ret)
{
	static const uint8_t blank[CARD_REC18_LEN];
	struct card_rec18 r;
	struct ykt_cst t;

	if (len != CARD_REC18_LEN)
		return YKT_E_CARD_FORMAT;
	if (memcmp(raw, blank, CARD_REC18_LEN) == 0)
		return -ENOENT;
	r.atc = ykt_be16(raw + R18_ATC);
	r.overdraft_limit_fen = ykt_be24(raw + R18_OVERDRAFT);
	r.amount_fen = ykt_be32(raw + R18_AMOUNT);
	r.type = raw[R18_TYPE];
	memcpy(r.terminal_no, raw + R18_TERMINAL, 6);
	memcpy(r.datetime, raw + R18_DATETIME, 7);
	if (ykt_cst_from_bcd7(r.datetime, &t) < 0)
		return YKT_E_CARD_FORMAT;
	*ret = r;
	return 0;
}

int card_parse_rec1a_header(const uint8_t *raw, size_t len, struct card_rec1a_header *ret)
{
	struct card_rec1a_header h;

	if (len != CARD_REC1A_LEN || raw[R1A_ID] != 0x27 || raw[R1A_ID + 1] < 0x01 ||
	    raw[R1A_ID + 1] > 0x12 || raw[R1A_LEN_BYTE] != CARD_REC1A_LEN - 3 ||
	    !ykt_bcd_valid(raw + R1A_FLOW, 8))
		return YKT_E_CARD_FORMAT;
	h.id_low = raw[R1A_ID + 1];
	h.app_valid = raw[R1A_VALID];
	h.interconnect_kind = raw[R1A_FLAG];
	h.locked = raw[R1A_LOCK];
	memcpy(h.serial, raw + R1A_FLOW, 8);
	h.state = raw[R1A_STATE];
	*ret = h;
	return 0;
}

void card_build_rec1e(const struct card_rec1e *rec, uint8_t out[CARD_REC1E_LEN])
{
	memset(out, 0, CARD_REC1E_LEN);
	out[R1E_TYPE] = rec->type;
	memcpy(out + R1E_TERMINAL + 2, rec->terminal_no, 6);
	out[R1E_INDUSTRY] = rec->industry;
	ykt_put_be16(out + R1E_LINE, rec->line);
	ykt_put_be16(out + R1E_STATION, rec->station);
	ykt_put_be16(out + R1E_OPERATOR, rec->operator_code);
	ykt_put_be32(out + R1E_AMOUNT, rec->amount_fen);
	ykt_put_be32(out + R1E_BALANCE, rec->balance_fen);
	memcpy(out + R1E_DATETIME, rec->datetime, 7);
	memcpy(out + R1E_CITY, rec->acquirer_city, 2);
	memcpy(out + R1E_INSTITUTION, rec->acquirer_institution, 8);
}

int card_parse_rec1e(const uint8_t *raw, size_t len, struct card_rec1e *ret)
{
	struct card_rec1e r;
	struct ykt_cst t;

	if (len != CARD_REC1E_LEN)
		return YKT_E_CARD_FORMAT;
	r.type = raw[R1E_TYPE];
	memcpy(r.terminal_no, raw + R1E_TERMINAL + 2, 6);
	r.industry = raw[R1E_INDUSTRY];
	r.line = ykt_be16(raw + R1E_LINE);
	r.station = ykt_be16(raw + R1E_STATION);
	r.operator_code = ykt_be16(raw + R1E_OPERATOR);
	r.amount_fen = ykt_be32(raw + R1E_AMOUNT);
	r.balance_fen = ykt_be32(raw + R1E_BALANCE);
	memcpy(r.datetime, raw + R1E_DATETIME, 7);
	memcpy(r.acquirer_city, raw + R1E_CITY, 2);
	memcpy(r.acquirer_institution, raw + R1E_INSTITUTION, 8);
	/* an initial (type 00) record is all zeros; anything else must be a time */
	if (r.type != 0 && ykt_cst_from_bcd7(r.datetime, &t) < 0)
		return YKT_E_CARD_FORMAT;
	*ret = r;
	return 0;
}

/* ---- 0x1A trip records ---- */

static void get_time(const uint8_t *raw, struct card_trip_end *e)
{
	struct ykt_cst t;

	memcpy(e->datetime, raw, 7);
	e->has_time = ykt_cst_from_bcd7(raw, &t) == 0;
}

static void build_metro(const struct card_trip *trip, uint8_t *out)
{
	const struct card_trip_end *in = &trip->in, *o = &trip->out;

	memcpy(out + M_IN_CITY, in->city, 2);
	memcpy(out + M_OUT_CITY, o->city, 2);
	memcpy(out + M_IN_INST, in->institution, 8);
	memcpy(out + M_OUT_INST, o->institution, 8);
	ykt_put_be16(out + M_IN_STATION + 6, in->station);
	ykt_put_be16(out + M_OUT_STATION + 6, o->station);
	memcpy(out + M_IN_DEVICE + 2, in->terminal_no, 6);
	memcpy(out + M_OUT_DEVICE + 2, o->terminal_no, 6);
	memcpy(out + M_IN_TIME, in->datetime, 7);
	memcpy(out + M_OUT_TIME, o->datetime, 7);
	out[M_IN_LINE] = (uint8_t)in->line;
	out[M_OUT_LINE] = (uint8_t)o->line;
	ykt_put_be32(out + M_IN_AMOUNT, trip->in_amount_fen);
	ykt_put_be32(out + M_IN_BALANCE, trip->in_balance_fen);
	ykt_put_be32(out + M_OUT_AMOUNT, trip->amount_fen);
}

static void build_bus_side(const struct card_trip_end *e, uint8_t *side)
{
	memcpy(side + BS_CITY, e->city, 2);
	memcpy(side + BS_INST, e->institution, 8);
	ykt_put_be16(side + BS_OPERATOR, e->operator_code);
	ykt_put_be16(side + BS_LINE, e->line);
	side[BS_STOP] = (uint8_t)e->station;
	memcpy(side + BS_VEHICLE, e->vehicle, 8);
	memcpy(side + BS_TERMINAL + 2, e->terminal_no, 6);
	memcpy(side + BS_TIME, e->datetime, 7);
}

static void build_bus(const struct card_trip *trip, uint8_t *out)
{
	build_bus_side(&trip->in, out + B_IN);
	ykt_put_be32(out + B_MARKED, trip->marked_fen);
	out[B_DIRECTION] = trip->direction;
	build_bus_side(&trip->out, out + B_OUT);
	ykt_put_be32(out + B_AMOUNT, trip->amount_fen);
	ykt_put_be16(out + B_MILEAGE, trip->mileage);
}

void card_build_trip(const struct card_trip *trip, uint8_t out[CARD_REC1A_LEN])
{
	memset(out, 0, CARD_REC1A_LEN);
	out[R1A_ID] = 0x27;
	out[R1A_ID + 1] = trip->record;
	out[R1A_LEN_BYTE] = R1A_BODY_LEN;
	out[R1A_VALID] = 0x01;
	out[R1A_FLAG] = trip->flag;
	out[R1A_LOCK] = trip->locked;
	memcpy(out + R1A_FLOW, trip->flow, 8);
	out[R1A_STATE] = trip->state;
	if (trip->record == CARD_REC1A_BUS)
		build_bus(trip, out);
	else
		build_metro(trip, out);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void parse_metro_station(const uint8_t *raw, struct card_trip_end *e)
{
	/* this validator writes 00 x 6 ‖ code; other cities write their own
	 * station numbering, which this table cannot name */
	e->station_known = all_zero(raw, 6);
	e->station = ykt_be16(raw + 6);
}

static void parse_metro(const uint8_t *raw, struct card_trip *t)
{
	memcpy(t->in.city, raw + M_IN_CITY, 2);
	memcpy(t->out.city, raw + M_OUT_CITY, 2);
	memcpy(t->in.institution, raw + M_IN_INST, 8);
	memcpy(t->out.institution, raw + M_OUT_INST, 8);
	parse_metro_station(raw + M_IN_STATION, &t->in);
	parse_metro_station(raw + M_OUT_STATION, &t->out);
	memcpy(t->in.terminal_no, raw + M_IN_DEVICE + 2, 6);
	memcpy(t->out.terminal_no, raw + M_OUT_DEVICE + 2, 6);
	get_time(raw + M_IN_TIME, &t->in);
	get_time(raw + M_OUT_TIME, &t->out);
	t->in.line = raw[M_IN_LINE];
	t->out.line = raw[M_OUT_LINE];
	t->in_amount_fen = ykt_be32(raw + M_IN_AMOUNT);
	t->in_balance_fen = ykt_be32(raw + M_IN_BALANCE);
	t->amount_fen = ykt_be32(raw + M_OUT_AMOUNT);
}

static void parse_bus_side(const uint8_t *side, struct card_trip_end *e)
{
	memcpy(e->city, side + BS_CITY, 2);
	memcpy(e->institution, side + BS_INST, 8);
	e->operator_code = ykt_be16(side + BS_OPERATOR);
	e->line = ykt_be16(side + BS_LINE);
	e->station = side[BS_STOP];
	e->station_known = side[BS_STOP] != 0; /* stops are numbered from 1 */
	memcpy(e->vehicle, side + BS_VEHICLE, 8);
	memcpy(e->terminal_no, side + BS_TERMINAL + 2, 6);
	get_time(side + BS_TIME, e);
}

static void parse_bus(const uint8_t *raw, struct card_trip *t)
{
	parse_bus_side(raw + B_IN, &t->in);
	t->marked_fen = ykt_be32(raw + B_MARKED);
	t->direction = raw[B_DIRECTION];
	parse_bus_side(raw + B_OUT, &t->out);
	t->amount_fen = ykt_be32(raw + B_AMOUNT);
	t->mileage = ykt_be16(raw + B_MILEAGE);
}

int card_parse_trip(const uint8_t *raw, size_t len, uint8_t record, struct card_trip *ret)
{
	struct card_trip t;

	if (len != CARD_REC1A_LEN || raw[R1A_ID] != 0x27 || raw[R1A_ID + 1] != record ||
	    raw[R1A_LEN_BYTE] != R1A_BODY_LEN)
		return YKT_E_CARD_FORMAT;
	memset(&t, 0, sizeof(t));
	t.record = record;
	t.flag = raw[R1A_FLAG];
	t.locked = raw[R1A_LOCK];
	memcpy(t.flow, raw + R1A_FLOW, 8);
	t.state = raw[R1A_STATE];
	if (record == CARD_REC1A_BUS)
		parse_bus(raw, &t);
	else
		parse_metro(raw, &t);
	*ret = t;
	return 0;
}
