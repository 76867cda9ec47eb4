/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The 0x1A trip records of terminal/card.h: the real Guangzhou metro 2701
 * and Beijing bus 2702 samples of reference/jtt978.md §2.5 parsed field by
 * field, builder and parser round trips, and hostile records (every byte
 * random, wrong IDs and lengths): never a crash, and only the ID, length
 * byte and length are grounds for refusal.
 */
#include "card.h"

#include "check.h"
#include "ykt_error.h"

#include <string.h>

/* §2.5 sample 2701 (HCE, Guangzhou metro), header and state filled in */
static void sample_2701(uint8_t rec[128])
{
	memset(rec, 0, 128);
	check_hex("27 01 7D 01 01 00 0000000000000001 02", rec, 15);
	check_hex("5810 5810 12205810FFFFFFFF 1220581000000000", rec + 15, 20);
	check_hex("0100751309009025 1000000000000000", rec + 35, 16);
	check_hex("0000413101738008 0000413101329946", rec + 51, 16);
	check_hex("20191207113500 20191207115635", rec + 67, 14);
	check_hex("000000BE 1E 09 00000000 000004B5 0000011D", rec + 81, 18);
}

/* §2.5 sample 2702 (HCE, Beijing bus) */
static void sample_2702(uint8_t rec[128])
{
	memset(rec, 0, 128);
	check_hex("27 02 7D 01 01 00 0000000000000001 02", rec, 15);
	check_hex("1000 11011000FFFFFFFF 0001 0029 10 3030303332383435 0000001009007597"
		  " 20191129132545 0000012C AB",
		  rec + 15, 43);
	check_hex("1000 11011000FFFFFFFF 0001 0029 0D 3030303332383435 0000001009007598"
		  " 20191129133046 00000064 00C8",
		  rec + 58, 44);
}

static void real_samples(void)
{
	struct card_trip t;
	uint8_t rec[128];

	sample_2701(rec);
	CHECK_INT(card_parse_trip(rec, 128, CARD_REC1A_METRO, &t), 0);
	CHECK_INT(t.state, CARD_TRIP_OUT);
	CHECK_HEX(t.in.city, 2, "5810");
	CHECK_HEX(t.out.institution, 8, "1220581000000000");
	/* Guangzhou numbers its stations in its own 8-byte form */
	CHECK(!t.in.station_known && !t.out.station_known, "foreign station form");
	CHECK_HEX(t.in.terminal_no, 6, "413101738008");
	CHECK(t.in.has_time && t.out.has_time, "times");
	CHECK_HEX(t.out.datetime, 7, "20191207115635");
	CHECK_INT(t.in.line, 0x1E);
	CHECK_INT(t.out.line, 0x09);
	CHECK_INT(t.in_balance_fen, 0x4B5);
	CHECK_INT(t.amount_fen, 0x11D);
	CHECK_INT(card_parse_trip(rec, 128, CARD_REC1A_BUS, &t), YKT_E_CARD_FORMAT);

	sample_2702(rec);
	CHECK_INT(card_parse_trip(rec, 128, CARD_REC1A_BUS, &t), 0);
	CHECK_INT(t.in.line, 0x0029);
	CHECK_INT(t.in.operator_code, 1);
	CHECK_INT(t.in.station, 0x10);
	CHECK_INT(t.out.station, 0x0D);
	CHECK(memcmp(t.in.vehicle, "00032845", 8) == 0, "vehicle");
	CHECK_HEX(t.out.terminal_no, 6, "001009007598");
	CHECK_INT(t.marked_fen, 300);
	CHECK_INT(t.direction, 0xAB);
	CHECK_INT(t.amount_fen, 100);
	CHECK_INT(t.mileage, 200);
}

/* parse(build(x)) == x for what the validator writes, and build(parse(b))
 * == b for the samples, byte for byte. */
static void round_trips(void)
{
	struct card_trip t, u;
	uint8_t rec[128], again[128];

	sample_2702(rec);
	CHECK_INT(card_parse_trip(rec, 128, CARD_REC1A_BUS, &t), 0);
	card_build_trip(&t, again);
	CHECK(memcmp(rec, again, 128) == 0, "2702 sample rebuilt byte for byte");

	memset(&t, 0, sizeof(t));
	t.record = CARD_REC1A_METRO;
	t.flag = 1;
	t.state = CARD_TRIP_IN;
	check_hex("1000", t.in.city, 2);
	t.in.station = 0x0201;
	t.in.station_known = true;
	check_hex("20261121080000", t.in.datetime, 7);
	t.in.has_time = true;
	t.in.line = 0x01;
	t.in_balance_fen = 5000;
	card_build_trip(&t, rec);
	CHECK_HEX(rec, 4, "27017D01");
	CHECK_HEX(rec + 35, 8, "0000000000000201");
	CHECK_INT(card_parse_trip(rec, 128, CARD_REC1A_METRO, &u), 0);
	CHECK(u.in.station == 0x0201 && u.in.station_known && u.in.has_time &&
		  u.in_balance_fen == 5000 && u.state == CARD_TRIP_IN && !u.out.has_time,
	      "2701 round trip");
}

static void hostile(void)
{
	uint64_t seed = 0x2701;
	struct card_trip t;
	uint8_t rec[128] = { 0 };
	int refused = 0;

	CHECK_INT(card_parse_trip(rec, 127, CARD_REC1A_METRO, &t), YKT_E_CARD_FORMAT);
	sample_2701(rec);
	rec[2] = 0x7E;
	CHECK_INT(card_parse_trip(rec, 128, CARD_REC1A_METRO, &t), YKT_E_CARD_FORMAT);
	for (int i = 0; i < 20000; i++) {
		for (int j = 0; j < 128; j++)
			rec[j] = (uint8_t)check_rand(&seed);
		if (i % 2) {
			rec[0] = 0x27;
			rec[1] = (uint8_t)(1 + i % 4 / 2);
			rec[2] = 0x7D;
		}
		if (card_parse_trip(rec, 128, (uint8_t)(1 + i % 4 / 2), &t) < 0)
			refused++;
		else
			CHECK(t.state == rec[14] && t.record == rec[1], "parsed as read");
	}
	CHECK(refused >= 10000 && refused < 20000, "%d refused", refused);
}

int main(void)
{
	real_samples();
	round_trips();
	hostile();
	return check_result();
}
