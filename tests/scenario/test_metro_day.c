/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A metro day: passengers ride a network of stations from 06:00 until late,
 * entering and leaving through two-way gates.  The test draws the trips
 * (fixed seed), prices each one itself from its own station matrix and
 * card-type percentages (the overstay surcharge included), and writes them
 * as a scenario file: one gate that moves from station to station (stop
 * steps), each tap with the outcome and the charge computed here.  The
 * scenario runner (scn_run.c) plays it against the validator and checks
 * every tap, every TAC, every 2701 and 0x1E record against the store; then
 * the day's total charged, as the store and as the cards' own ledgers say,
 * must equal the total computed here from the matrix.
 *
 * Usage: test-metro-day DATA_DIR KEYFILE [PASSENGERS]
 */
#include "check.h"
#include "scn_run.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_STATIONS     10
#define MAX_PASSENGERS 24
#define TRIPS_MAX      6
#define MAX_TRIP_MIN   120
#define OVERSTAY_FEN   300
#define DAY_START_S    (6 * 3600)
#define DAY_END_S      (23 * 3600)

/* Stations on two lines crossing at station 4; the fare grows with the
 * number of stops ridden, as zone fares do. */
static int fare_matrix[N_STATIONS][N_STATIONS];

static int stops_between(int a, int b)
{
	/* line 1: stations 0..5, line 2: 6..9 meeting line 1 at station 4 */
	int la = a <= 5 ? 1 : 2, lb = b <= 5 ? 1 : 2;
	int pa = la == 1 ? a : (a - 6 < 2 ? a - 6 : a - 5),
	    pb = lb == 1 ? b : (b - 6 < 2 ? b - 6 : b - 5);

	if (la == lb)
		return abs(pa - pb);
	/* change at station 4, which is position 4 on line 1 and 2 on line 2 */
	return abs((la == 1 ? pa : pb) - 4) + abs((la == 1 ? pb : pa) - 2);
}

static void make_matrix(void)
{
	for (int i = 0; i < N_STATIONS; i++)
		for (int j = 0; j < N_STATIONS; j++)
			fare_matrix[i][j] = 300 + 100 * ((stops_between(i, j) + 1) / 3);
}

static uint16_t station_code(int i)
{
	return (uint16_t)(i <= 5 ? 0x0101 + i : 0x0201 + (i - 6));
}

struct event {
	int at_s; /* seconds since midnight */
	int card, station;
	bool exit;
	int64_t fare; /* exits: what the card must pay */
};

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static int draw(int n)
{
	return (int)(check_rand(&rng) % (uint64_t)n);
}

static int by_time(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->at_s != y->at_s)
		return x->at_s - y->at_s;
	return x->card - y->card;
}

/* What the test expects a trip to cost: the matrix fare at the card type's
 * percent, rounded to the fen, plus the undiscounted overstay surcharge. */
static int64_t trip_fare(int from, int to, int minutes, int percent)
{
	int64_t fen = (fare_matrix[from][to] * (int64_t)percent + 50) / 100;

	return fen + (minutes > MAX_TRIP_MIN ? OVERSTAY_FEN : 0);
}

static int make_trips(int passengers, struct event *ev, int64_t *total)
{
	int n = 0;

	*total = 0;
	for (int c = 0; c < passengers; c++) {
		int t = DAY_START_S + draw(3 * 3600), percent = c % 4 == 3 ? 50 : 100;
		int trips = 2 + draw(TRIPS_MAX - 1);

		for (int k = 0; k < trips; k++) {
			int from = draw(N_STATIONS), to = draw(N_STATIONS);
			/* one ride in ten overstays */
			int minutes = draw(10) == 0 ? 125 + draw(60) : 6 + draw(100);
			bool last_open = c % 7 == 6 && k == trips - 1; /* still inside at night */

			if (t + minutes * 60 > DAY_END_S)
				break;
			ev[n++] = (struct event){ t, c, from, false, 0 };
			if (!last_open) {
				int64_t fare = trip_fare(from, to, minutes, percent);

				ev[n++] = (struct event){ t + minutes * 60, c, to, true, fare };
				*total += fare;
			}
			t += minutes * 60 + 600 + draw(4 * 3600);
		}
	}
	qsort(ev, (size_t)n, sizeof(ev[0]), by_time);
	return n;
}

static void write_tables(FILE *f)
{
	fprintf(f, "=== fare-table ===\n{\n  \"type\": \"metro\",\n  \"stations\": [\n");
	for (int i = 0; i < N_STATIONS; i++)
		fprintf(f, "    { \"code\": \"%04X\" }%s\n", station_code(i),
			i + 1 < N_STATIONS ? "," : "");
	fprintf(f, "  ],\n  \"fares_fen\": [\n");
	for (int i = 0; i < N_STATIONS; i++) {
		fprintf(f, "    [");
		for (int j = 0; j < N_STATIONS; j++)
			fprintf(f, "%d%s", fare_matrix[i][j], j + 1 < N_STATIONS ? ", " : "");
		fprintf(f, "]%s\n", i + 1 < N_STATIONS ? "," : "");
	}
	fprintf(f, "  ],\n  \"max_trip_minutes\": %d,\n  \"overstay_fen\": %d\n}\n\n", MAX_TRIP_MIN,
		OVERSTAY_FEN);
	fprintf(f, "=== card-rules ===\n{ \"types\": [ { \"card_type\": \"02\", "
		   "\"charge_percent\": 50 } ] }\n\n");
}

static void write_scenario(const char *path, int passengers, const struct event *ev, int n)
{
	FILE *f = fopen(path, "we");

	if (!f) {
		CHECK(0, "cannot write %s", path);
		return;
	}
	fprintf(f, "# A metro day, drawn by test_metro_day.c\n\n=== config ===\n[device]\n"
		   "industry = 1\nline = 0001\ngate = both\n[hardware]\nstops = sim:\n\n");
	write_tables(f);
	fprintf(f, "=== cards ===\n");
	for (int c = 0; c < passengers; c++)
		fprintf(f,
			"p%02d = adult.card app_serial=100010000000990%05d uid=04AB%04X "
			"balance_fen=60000 card_type=%s\n",
			c, c, c, c % 4 == 3 ? "02" : "01");
	fprintf(f, "\n=== taps ===\n");
	for (int i = 0; i < n; i++) {
		fprintf(f, "clock 2026-11-21T%02d:%02d:%02d\nstop %04X\ntap p%02d\n",
			ev[i].at_s / 3600, ev[i].at_s / 60 % 60, ev[i].at_s % 60,
			station_code(ev[i].station), ev[i].card);
		fprintf(f, "  outcome paid\n  charged %lld\n", (long long)ev[i].fare);
		fprintf(f, "  card 2701 state=%s\n", ev[i].exit ? "02" : "01");
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	static struct event ev[MAX_PASSENGERS * TRIPS_MAX * 2];
	int passengers = argc > 3 ? atoi(argv[3]) : 16, n, exits = 0;
	char dir[256], path[300];
	struct scn_result res;
	int64_t total;

	if (argc < 3 || passengers < 1 || passengers > MAX_PASSENGERS)
		return 2;
	make_matrix();
	n = make_trips(passengers, ev, &total);
	for (int i = 0; i < n; i++)
		exits += ev[i].exit;
	check_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/metro-day.scn", dir);
	write_scenario(path, passengers, ev, n);
	printf("metro day: %d passengers, %d taps, %d exits, %lld fen computed from the matrix\n",
	       passengers, n, exits, (long long)total);
	CHECK(scn_run(path, argv[1], argv[2], &res) == 0, "the day ran as computed");
	printf("metro day: %d taps, %d paid, %lld fen stored, %lld fen off the cards\n", res.taps,
	       res.paid, (long long)res.stored_fen, (long long)res.charged_fen);
	CHECK_INT(res.taps, n);
	CHECK_INT(res.paid, n);
	CHECK_INT(res.stored_fen, total);
	CHECK_INT(res.charged_fen, total);
	CHECK(exits > 50 && total > 0, "a day worth the name: %d exits", exits);
	if (check_failures == 0)
		check_rm_rf(dir);
	return check_result();
}
