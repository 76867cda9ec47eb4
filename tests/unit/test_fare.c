/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * terminal/fare.c on its own, for what the scenario files (tests/scenarios)
 * cannot reach through a simulated card: rounding, the balance rule's
 * arithmetic, what each mode plans to read, and hostile trip records (a
 * stop number beyond the table, a marked amount beyond any fare, times in
 * the future): judged by the rules, never used as an index or trusted.
 */
#include "fare.h"

#include "bytes.h"
#include "check.h"
#include "store.h"
#include "ykt_error.h"

#include <string.h>

static uint8_t percent[256];

static const struct ykt_fare_stop stops[4] = {
	{ .code = 1 }, { .code = 2 }, { .code = 3 }, { .code = 4 }
};
static uint32_t bus_fares[16] = { 100, 100, 200, 300, 100, 100, 100, 200,
				  200, 100, 100, 100, 300, 200, 100, 100 };

static struct ykt_fare_table bus_table(void)
{
	return (struct ykt_fare_table){ .type = YKT_FARE_BUS_STOPS,
					.n_stops = 4,
					.stops = (struct ykt_fare_stop *)stops,
					.fares_fen = bus_fares,
					.unfinished_fen = 300,
					.stop_radius_m = 150 };
}

static struct fare_place place_at(int64_t now_s, uint16_t station)
{
	struct fare_place p = { .now_s = now_s, .industry = 0x02, .line = 0x0029 };
	struct ykt_cst t;

	ykt_cst_from_unix(now_s, &t);
	ykt_cst_to_bcd7(&t, p.datetime);
	p.has_station = true;
	p.station = station;
	memcpy(p.vehicle, "00032845", 8);
	check_hex("1000", p.city, 2);
	p.direction_up = true;
	return p;
}

static void rounding(void)
{
	CHECK_INT(fare_percent(200, 50), 100);
	CHECK_INT(fare_percent(150, 33), 50); /* 49.5 -> 50: halves up */
	CHECK_INT(fare_percent(149, 33), 49); /* 49.17 */
	CHECK_INT(fare_percent(1, 50), 1);    /* 0.5 -> 1 */
	CHECK_INT(fare_percent(100000, 100), 100000);
	CHECK_INT(fare_percent(999, 0), 0);
}

static void balance_rule(void)
{
	struct fare_decision d = { .amount_fen = 200 };

	/* INITIALIZE's balance includes the usable overdraft: purse = 600 - 500 */
	CHECK(fare_balance_ok(&d, 600, 500), "into the card's own overdraft");
	CHECK(!fare_balance_ok(&d, 150, 0), "short without an overdraft");
	CHECK(fare_balance_ok(&d, 200, 0), "exactly the fare");
	d.overdraft_capped = true;
	d.overdraft_fen = 50;
	CHECK(!fare_balance_ok(&d, 600, 500), "-100 below a 50 cap");
	CHECK(fare_balance_ok(&d, 650, 500), "-50 at the cap");
	d.floor_fen = 500; /* a minimum balance replaces any overdraft */
	CHECK(!fare_balance_ok(&d, 1000, 500), "purse 500 - 200 < 500");
	CHECK(fare_balance_ok(&d, 1200, 500), "purse 700 - 200 = 500");
	d = (struct fare_decision){ .amount_fen = 0, .keep_fen = 300 };
	CHECK(!fare_balance_ok(&d, 299, 0), "an entry must keep the lowest fare");
	CHECK(fare_balance_ok(&d, 300, 0), "and may keep exactly that");
}

static void plans(void)
{
	struct ykt_fare_table bus = bus_table();
	struct fare_setup setup = { .config_fare_fen = 200,
				    .config_percent = percent,
				    .max_fare_fen = 10000 };
	static struct ykt_card_rules rules;
	struct fare_plan p;

	fare_plan(&setup, 0x01, true, &p);
	CHECK(p.mode == FARE_MODE_FLAT && !p.trip_record && !p.hist_min && !p.store_last &&
		  !p.needs_capp && p.rule.charge_percent == 100,
	      "flat without rules reads nothing");
	for (int i = 0; i < 256; i++)
		rules.by_type[i] = (struct ykt_card_rule){ .card_type = (uint8_t)i,
							   .accept = true,
							   .charge_percent = 100 };
	rules.by_type[1].repeat_window_s = 300;
	rules.by_type[2].transfer_window_s = 3600;
	rules.by_type[2].transfer_discount_fen = 100;
	rules.by_type[3].daily_cap_fen = 500;
	setup.rules = &rules;
	fare_plan(&setup, 0x01, true, &p);
	CHECK(p.hist_min == 1 && p.store_last && !p.hist_today, "repeat: the newest record");
	setup.table = &bus;
	fare_plan(&setup, 0x02, true, &p);
	CHECK(p.mode == FARE_MODE_BUS_SEGMENT && p.trip_record == CARD_REC1A_BUS &&
		  p.hist_min == 2 && p.needs_capp,
	      "bus transfer: the trip and the ride before it");
	fare_plan(&setup, 0x03, true, &p);
	CHECK(p.hist_today && p.hist_min == 0, "daily cap: today's records");
}

/* A 2702 whose boarding stop is beyond the table (another line's
 * numbering): not an index; taken as a trip left open elsewhere. */
static void hostile_trips(void)
{
	struct ykt_fare_table bus = bus_table();
	struct fare_setup setup = { .table = &bus,
				    .config_fare_fen = 200,
				    .config_percent = percent,
				    .max_fare_fen = 1000 };
	int64_t now = 1795217400; /* 2026-11-21T07:30:00 CST */
	struct fare_place place = place_at(now, 0x0002);
	struct fare_card card = {
		.card_type = 1, .local = true, .has_trip = true, .last_here_s = -1
	};
	struct fare_decision d;

	card.trip.record = CARD_REC1A_BUS;
	card.trip.state = CARD_TRIP_IN;
	card.trip.in.line = 0x0029;
	memcpy(card.trip.in.vehicle, "00032845", 8);
	memcpy(card.trip.in.city, place.city, 2);
	ykt_cst_to_bcd7(&(struct ykt_cst){ 2026, 11, 21, 7, 0, 0 }, card.trip.in.datetime);
	card.trip.in.has_time = true;
	card.trip.in.station = 200;
	card.trip.in.station_known = true;
	card.trip.marked_fen = 0xFFFFFFFF; /* and a marked amount no fare has */
	fare_decide(&setup, &place, &card, &d);
	CHECK(!d.refused && d.action == FARE_BOARD && (d.flags & STORE_FLAG_UNFINISHED),
	      "stop 200 of 4: a trip left open");
	CHECK_INT(d.amount_fen, 1000); /* cut to max_fare_fen */
	CHECK_INT(d.trip.in.station, 2);

	/* boarded "in the future" (a card from a validator with a wrong
	 * clock): not this trip either */
	card.trip.in.station = 1;
	card.trip.marked_fen = 300;
	ykt_cst_to_bcd7(&(struct ykt_cst){ 2026, 11, 21, 9, 0, 0 }, card.trip.in.datetime);
	fare_decide(&setup, &place, &card, &d);
	CHECK(d.action == FARE_BOARD && d.amount_fen == 300, "future boarding: %d %lld %s",
	      d.action, (long long)d.amount_fen, d.why);

	/* the same trip, properly: alighting at stop 2 from stop 1 */
	ykt_cst_to_bcd7(&(struct ykt_cst){ 2026, 11, 21, 7, 10, 0 }, card.trip.in.datetime);
	fare_decide(&setup, &place, &card, &d);
	CHECK(d.action == FARE_ALIGHT && d.amount_fen == 100 && d.trip.out.station == 2,
	      "tap-off 1 -> 2");

	/* no current stop: out of service, nothing decided */
	place.has_station = false;
	fare_decide(&setup, &place, &card, &d);
	CHECK(d.refused && d.outcome == TAP_OUT_OF_SERVICE && d.err == YKT_E_CONFIG, "no stop");
}

static void max_fare(void)
{
	struct fare_setup setup = { .config_fare_fen = 20000,
				    .config_percent = percent,
				    .max_fare_fen = 10000 };
	struct fare_place place = place_at(1795217400, 0);
	struct fare_card card = { .card_type = 1, .local = true, .last_here_s = -1 };
	struct fare_decision d;

	fare_decide(&setup, &place, &card, &d);
	CHECK(d.refused && d.outcome == TAP_OUT_OF_SERVICE && d.err == YKT_E_LIMIT,
	      "a fare above max_fare_fen is never charged");
}

int main(void)
{
	memset(percent, 100, sizeof(percent));
	rounding();
	balance_rule();
	plans();
	hostile_trips();
	max_fare();
	return check_result();
}
