/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON payload schemas (docs/parameters.md): the documented examples
 * in tests/data/params parse into exactly the structs the fare rules read;
 * every fault a platform (or an attacker with a signing key) could put in
 * a payload is refused with the JSON path of the fault.
 *
 * Usage: test_params_json DATA_DIR   (tests/data)
 */
#include "params_json.h"

#include "check.h"
#include "params_pack.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *data_dir;

static void *parse_file(enum ykt_param_set set, const char *name, uint64_t *ret_n)
{
	char path[1024], why[256] = "";
	uint8_t *buf = NULL;
	size_t len = 0;
	void *obj = NULL;

	snprintf(path, sizeof(path), "%s/params/%s", data_dir, name);
	CHECK_INT(pack_read_file(path, 1 << 20, &buf, &len), 0);
	CHECK(params_json_parse(set, buf, len, &obj, ret_n, why, sizeof(why)) == 0, "%s: %s", name,
	      why);
	free(buf);
	return obj;
}

static void examples_fares(void)
{
	struct ykt_fare_table *t;
	uint64_t n = 0;

	t = parse_file(YKT_PARAM_FARE_TABLE, "fare-flat.json", &n);
	CHECK(t && t->type == YKT_FARE_FLAT && t->flat_fen == 200 && t->has_line &&
		  t->line == 0x0029 && n == 1,
	      "flat fare");
	params_json_free(YKT_PARAM_FARE_TABLE, t);

	t = parse_file(YKT_PARAM_FARE_TABLE, "fare-metro.json", &n);
	CHECK(t && t->type == YKT_FARE_METRO && t->n_stops == 3 && n == 3 && !t->has_line, "metro");
	if (t) {
		CHECK_INT(ykt_fare_stop_index(t, 0x0201), 2);
		CHECK_INT(ykt_fare_stop_index(t, 0x0999), -ENOENT);
		CHECK_INT(ykt_fare_between(t, 0, 2), 400);
		CHECK_INT(ykt_fare_between(t, 2, 1), 300);
		CHECK_INT(t->unfinished_fen, 900);
		CHECK_INT(t->max_trip_minutes, 240);
		CHECK_INT(t->overstay_fen, 300);
		CHECK(strcmp(t->stops[0].name, "西直门 Xizhimen") == 0, "station name");
		CHECK(t->no_entry == YKT_TRIP_REFUSE && t->no_exit == YKT_TRIP_CHARGE &&
			  t->wrong_station == YKT_TRIP_CHARGE,
		      "metro trip rules");
	}
	params_json_free(YKT_PARAM_FARE_TABLE, t);

	t = parse_file(YKT_PARAM_FARE_TABLE, "fare-bus-stops.json", &n);
	CHECK(t && t->type == YKT_FARE_BUS_STOPS && t->n_stops == 4 && t->line == 0x0029,
	      "bus stops");
	if (t) {
		CHECK_INT(ykt_fare_between(t, 0, 3), 300);
		CHECK_INT(ykt_fare_between(t, 3, 2), 100);
		CHECK_INT(t->unfinished_fen, 300);
		CHECK(t->has_unfinished_fen, "unfinished_fen given");
		CHECK(t->stops[1].name[0] == '\0', "a stop without a name");
		CHECK(t->stops[0].has_position && t->stops[0].lat_e6 == 39902700 &&
			  t->stops[0].lon_e6 == 116421500 && !t->stops[1].has_position,
		      "stop positions");
		CHECK_INT(t->max_trip_minutes, 120);
		CHECK_INT(t->stop_radius_m, 120);
		CHECK(t->no_entry == YKT_TRIP_REFUSE, "no trip rules on a bus line");
	}
	params_json_free(YKT_PARAM_FARE_TABLE, t);
}

static void examples_rules(void)
{
	struct ykt_card_rules *r;
	const struct ykt_card_rule *rule;
	uint64_t n = 0;

	r = parse_file(YKT_PARAM_CARD_RULES, "card-rules.json", &n);
	CHECK(r && n == 6, "card rules");
	if (!r)
		return;
	rule = ykt_card_rules_find(r, 0x02);
	CHECK(rule->listed && rule->charge_percent == 50 && rule->local_only && rule->accept &&
		  strcmp(rule->name, "student") == 0,
	      "student rule");
	rule = ykt_card_rules_find(r, 0x03);
	CHECK(rule->charge_percent == 0 && rule->repeat_window_s == 600, "senior rule");
	CHECK(!ykt_card_rules_find(r, 0x05)->accept, "staff cards refused");
	CHECK_INT(ykt_card_rules_find(r, 0x0A)->min_balance_fen, 500);
	CHECK(!r->interconnect_discounts, "no mutual recognition of discounts");
	rule = ykt_card_rules_find(r, 0x01);
	CHECK(rule->transfer_window_s == 5400 && rule->transfer_discount_fen == 100 &&
		  !rule->transfer_any_device && !rule->repeat_charge && !rule->has_overdraft_fen,
	      "the default's transfer, taken by a listed type");
	rule = ykt_card_rules_find(r, 0x04);
	CHECK(rule->free_rides_per_day == 2 && rule->daily_cap_fen == 0 && rule->repeat_charge &&
		  rule->has_overdraft_fen && rule->overdraft_fen == 0,
	      "disabled rule");
	CHECK_INT(ykt_card_rules_find(r, 0x0A)->daily_cap_fen, 1200);
	rule = ykt_card_rules_find(r, 0x77);
	CHECK(!rule->listed && rule->accept && rule->charge_percent == 100 &&
		  rule->card_type == 0x77,
	      "an unlisted type gets the default");
	params_json_free(YKT_PARAM_CARD_RULES, r);
}

static void examples_lists(void)
{
	struct ykt_whitelist *wl;
	struct ykt_device_settings *s;
	struct ykt_qr_root_keys *q;
	uint64_t n = 0;

	wl = parse_file(YKT_PARAM_WHITELIST, "whitelist.json", &n);
	CHECK(wl && wl->n == 4 && n == 4, "whitelist");
	/* sorted by city then issuer */
	CHECK(wl && wl->entries[0].city[0] == 0x10 && wl->entries[3].issuer_len == 8, "order");
	params_json_free(YKT_PARAM_WHITELIST, wl);

	s = parse_file(YKT_PARAM_DEVICE_SETTINGS, "device-settings.json", &n);
	CHECK(s && n == 8 && s->has_degraded && s->degraded == YKT_DEGRADED_NONE && s->has_line &&
		  s->line == 0x0031 && s->has_vehicle && strcmp(s->vehicle, "粤A12345") == 0 &&
		  s->grey_window_s == 900 && s->has_clock_tolerance_s &&
		  s->clock_tolerance_s == 120,
	      "device settings");
	params_json_free(YKT_PARAM_DEVICE_SETTINGS, s);

	q = parse_file(YKT_PARAM_QR_ROOT_KEYS, "qr-root-keys.json", &n);
	CHECK(q && q->n == 2 && n == 2 && q->keys[0].version == 0x80 && q->keys[0].index == 1 &&
		  q->keys[0].pubkey_len == 33 && q->keys[0].pubkey[0] == 0x02 &&
		  q->keys[0].expiry_unix_s == 1924963199 &&
		  strcmp(q->keys[0].name, "interconnect root 1") == 0 &&
		  q->keys[1].version == 0x81 && q->keys[1].pubkey_len == 65 && !q->keys[1].name[0],
	      "QR root keys");
	params_json_free(YKT_PARAM_QR_ROOT_KEYS, q);
}

struct bad {
	enum ykt_param_set set;
	const char *json;
	const char *why; /* a part of the reason */
};

#define WL  YKT_PARAM_WHITELIST
#define FT  YKT_PARAM_FARE_TABLE
#define CR  YKT_PARAM_CARD_RULES
#define DS  YKT_PARAM_DEVICE_SETTINGS
#define QR  YKT_PARAM_QR_ROOT_KEYS
#define G33 "\"0232C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7\""
#define ROW "[100,100],[100,100]"
#define TWO "[{\"code\":\"0001\"},{\"code\":\"0002\"}]"

static const struct bad bad[] = {
	/* not JSON, or not one object */
	{ WL, "", "not JSON" },
	{ WL, "{\"entries\": []", "not JSON" },
	{ WL, "[]", "not a JSON object" },
	{ WL, "{\"entries\": []} x", "not JSON" },
	{ WL, "{\"entries\": []}{}", "not JSON at byte 15" },
	{ WL, "{\"entries\": [], }", "not JSON" },
	{ WL, "{\"entries\": [[[[[[[[[[]]]]]]]]]]}", "not JSON" },
	{ WL, "{\"entries\": [{\"issuer\": \"01\", \"city\": \"1000\", \"name\": \"\xff\"}]}",
	  "not JSON" },
	{ WL, "{\"entries\": [], \"extra\": 1}", "unknown key \"extra\"" },
	/* whitelist */
	{ WL, "{}", "entries: missing" },
	{ WL, "{\"entries\": {}}", "entries: not an array" },
	{ WL, "{\"entries\": [{\"city\": \"1000\"}]}", "entries[0].issuer: missing" },
	{ WL, "{\"entries\": [{\"issuer\": \"0\", \"city\": \"1000\"}]}",
	  "entries[0].issuer: not 1 to 8 bytes" },
	{ WL, "{\"entries\": [{\"issuer\": \"010203040506070809\", \"city\": \"1000\"}]}",
	  "entries[0].issuer" },
	{ WL, "{\"entries\": [{\"issuer\": \"01\", \"city\": \"10A0\"}]}",
	  "entries[0].city: not 4 decimal digits" },
	{ WL, "{\"entries\": [{\"issuer\": \"01\", \"city\": 1000}]}",
	  "entries[0].city: not a string" },
	{ WL, "{\"entries\": [{\"issuer\": \"01\", \"city\": \"1000\", \"name\": \"a\\u0007\"}]}",
	  "control character" },
	{ WL,
	  "{\"entries\": [{\"issuer\": \"01\", \"city\": \"1000\"}, {\"issuer\": \"01\", "
	  "\"city\": \"1000\"}]}",
	  "listed twice" },
	{ WL, "{\"entries\": [{\"issuer\": \"01\", \"city\": \"1000\", \"x\": 1}]}",
	  "entries[0]: unknown key" },
	/* fare table */
	{ FT, "{\"fare_fen\": 200}", "type: missing" },
	{ FT, "{\"type\": \"zone\"}", "is not flat, metro or bus_stops" },
	{ FT, "{\"type\": \"flat\"}", "fare_fen: missing" },
	{ FT, "{\"type\": \"flat\", \"fare_fen\": 100001}", "fare_fen: not an integer from 0" },
	{ FT, "{\"type\": \"flat\", \"fare_fen\": -1}", "fare_fen: not an integer" },
	{ FT, "{\"type\": \"flat\", \"fare_fen\": 2.5}", "fare_fen: not an integer" },
	{ FT, "{\"type\": \"flat\", \"fare_fen\": \"200\"}", "fare_fen: not an integer" },
	{ FT, "{\"type\": \"flat\", \"fare_fen\": 99999999999999999999999}", "fare_fen" },
	{ FT, "{\"type\": \"flat\", \"fare_fen\": 200, \"stops\": []}", "unknown key \"stops\"" },
	{ FT, "{\"type\": \"flat\", \"fare_fen\": 200, \"line\": \"29\"}",
	  "line: not 2 to 2 bytes" },
	{ FT, "{\"type\": \"metro\", \"fares_fen\": [" ROW "]}", "stations: missing" },
	{ FT, "{\"type\": \"metro\", \"stations\": [{\"code\": \"0001\"}], \"fares_fen\": [[1]]}",
	  "stations: at least 2" },
	{ FT,
	  "{\"type\": \"metro\", \"stations\": [{\"code\":\"0001\"},{\"code\":\"0001\"}], "
	  "\"fares_fen\": [" ROW "]}",
	  "stations[1]: code 0001 listed twice" },
	{ FT, "{\"type\": \"metro\", \"stations\": " TWO ", \"fares_fen\": [[100,100]]}",
	  "fares_fen: 1 rows for 2 stations" },
	{ FT, "{\"type\": \"metro\", \"stations\": " TWO ", \"fares_fen\": [[100],[100,100]]}",
	  "fares_fen[0]: not an array of 2 fares" },
	{ FT, "{\"type\": \"metro\", \"stations\": " TWO ", \"fares_fen\": [[100,100],[100,-5]]}",
	  "fares_fen[1][1]: not a fare" },
	{ FT,
	  "{\"type\": \"metro\", \"stations\": " TWO ", \"fares_fen\": [" ROW "], "
	  "\"overstay_fen\": 300}",
	  "overstay_fen: given without max_trip_minutes" },
	{ FT,
	  "{\"type\": \"metro\", \"stations\": " TWO ", \"fares_fen\": [" ROW "], "
	  "\"max_trip_minutes\": 1441}",
	  "max_trip_minutes: not an integer" },
	{ FT,
	  "{\"type\": \"bus_stops\", \"stops\": " TWO ", \"fares_fen\": [" ROW "], "
	  "\"max_trip_minutes\": 60, \"overstay_fen\": 100}",
	  "unknown key \"overstay_fen\"" },
	{ FT,
	  "{\"type\": \"bus_stops\", \"stops\": " TWO ", \"fares_fen\": [" ROW "], "
	  "\"no_entry\": \"refuse\"}",
	  "unknown key \"no_entry\"" },
	{ FT,
	  "{\"type\": \"metro\", \"stations\": " TWO ", \"fares_fen\": [" ROW "], "
	  "\"no_entry\": \"ignore\"}",
	  "no_entry: \"ignore\" is only for no_exit" },
	{ FT,
	  "{\"type\": \"metro\", \"stations\": " TWO ", \"fares_fen\": [" ROW "], "
	  "\"wrong_station\": \"ignore\"}",
	  "wrong_station: \"ignore\" is only for no_exit" },
	{ FT,
	  "{\"type\": \"metro\", \"stations\": " TWO ", \"fares_fen\": [" ROW "], "
	  "\"no_exit\": \"maybe\"}",
	  "no_exit: \"maybe\" is not one of the known values" },
	{ FT,
	  "{\"type\": \"metro\", \"stations\": " TWO ", \"fares_fen\": [" ROW "], "
	  "\"stop_radius_m\": 100}",
	  "unknown key \"stop_radius_m\"" },
	{ FT,
	  "{\"type\": \"bus_stops\", \"stops\": " TWO ", \"fares_fen\": [" ROW "], "
	  "\"stop_radius_m\": 0}",
	  "stop_radius_m: not an integer" },
	{ FT,
	  "{\"type\": \"bus_stops\", \"stops\": [{\"code\": \"0001\", \"lat_e6\": 1}, "
	  "{\"code\": \"0002\"}], \"fares_fen\": [" ROW "]}",
	  "stops[0]: lat_e6 and lon_e6 go together" },
	{ FT,
	  "{\"type\": \"bus_stops\", \"stops\": [{\"code\": \"0001\", \"lat_e6\": 1, "
	  "\"lon_e6\": 180000001}, {\"code\": \"0002\"}], \"fares_fen\": [" ROW "]}",
	  "stops[0].lon_e6: not an integer" },
	{ FT, "{\"type\": \"bus_stops\", \"stations\": " TWO ", \"fares_fen\": [" ROW "]}",
	  "unknown key \"stations\"" },
	{ FT,
	  "{\"type\": \"bus_stops\", \"stops\": [{\"code\": \"0001\", \"zone\": 1}, "
	  "{\"code\": \"0002\"}], \"fares_fen\": [" ROW "]}",
	  "stops[0]: unknown key \"zone\"" },
	/* card-type rules */
	{ CR, "{}", "types: missing" },
	{ CR, "{\"types\": [{\"name\": \"adult\"}]}", "types[0].card_type: missing" },
	{ CR, "{\"types\": [{\"card_type\": \"1\"}]}", "types[0].card_type: not 1 to 1 bytes" },
	{ CR, "{\"types\": [{\"card_type\": \"0102\"}]}", "types[0].card_type" },
	{ CR, "{\"types\": [{\"card_type\": \"02\"}, {\"card_type\": \"02\"}]}",
	  "types[1]: card type 02 listed twice" },
	{ CR, "{\"types\": [{\"card_type\": \"02\", \"charge_percent\": 101}]}",
	  "types[0].charge_percent: not an integer from 0 to 100" },
	{ CR, "{\"types\": [{\"card_type\": \"02\", \"accept\": 1}]}",
	  "types[0].accept: not true or false" },
	{ CR, "{\"types\": [{\"card_type\": \"02\", \"repeat_window_s\": 86401}]}",
	  "repeat_window_s" },
	{ CR, "{\"types\": [{\"card_type\": \"02\", \"min_balance_fen\": -1}]}",
	  "min_balance_fen" },
	{ CR, "{\"types\": [], \"default\": {\"card_type\": \"01\"}}",
	  "default: unknown key \"card_type\"" },
	{ CR, "{\"types\": [], \"default\": {\"local_only\": true}}",
	  "default: unknown key \"local_only\"" },
	{ CR, "{\"types\": [], \"default\": []}", "default: not an object" },
	{ CR, "{\"types\": [{\"card_type\": \"02\", \"discount\": 50}]}",
	  "types[0]: unknown key \"discount\"" },
	{ CR, "{\"types\": [{\"card_type\": \"02\", \"repeat_action\": \"ask\"}]}",
	  "types[0].repeat_action: \"ask\" is not one of the known values" },
	{ CR, "{\"types\": [], \"default\": {\"transfer_from\": \"bus\"}}",
	  "default.transfer_from: \"bus\" is not one of" },
	{ CR, "{\"types\": [{\"card_type\": \"02\", \"free_rides_per_day\": 101}]}",
	  "types[0].free_rides_per_day: not an integer" },
	{ CR, "{\"types\": [{\"card_type\": \"02\", \"daily_cap_fen\": 100001}]}",
	  "types[0].daily_cap_fen: not an integer" },
	{ CR, "{\"types\": [{\"card_type\": \"02\", \"overdraft_fen\": -1}]}",
	  "types[0].overdraft_fen: not an integer" },
	{ CR, "{\"types\": [], \"interconnect_discounts\": \"yes\"}",
	  "interconnect_discounts: not true or false" },
	/* device settings */
	{ DS, "{\"line\": \"GGGG\"}", "line: not 2 to 2 bytes of hex" },
	{ DS, "{\"vehicle\": \"12345678901234567\"}", "vehicle: longer than 16 bytes" },
	{ DS, "{\"direction\": \"northbound\"}", "direction: longer than 8 bytes" },
	{ DS, "{\"grey_window_s\": -1}", "grey_window_s: not an integer" },
	{ DS, "{\"clock_tolerance_s\": true}", "clock_tolerance_s: not an integer" },
	{ DS, "{\"fare_fen\": 200}", "unknown key \"fare_fen\"" },
	/* QR root keys */
	{ QR, "{}", "keys: missing" },
	{ QR, "{\"keys\": [{\"index\": \"01\", \"public_key\": " G33 ", \"expiry_unix_s\": 1}]}",
	  "keys[0].version: missing" },
	{ QR,
	  "{\"keys\": [{\"version\": \"82\", \"index\": \"01\", \"public_key\": " G33
	  ", \"expiry_unix_s\": 1}]}",
	  "keys[0].version: 82 is not a QR code version" },
	{ QR,
	  "{\"keys\": [{\"version\": \"80\", \"index\": \"0102\", \"public_key\": " G33
	  ", \"expiry_unix_s\": 1}]}",
	  "keys[0].index" },
	/* the generator's x with the other parity is on the curve; x = 5 is not */
	{ QR,
	  "{\"keys\": [{\"version\": \"80\", \"index\": \"01\", \"public_key\": "
	  "\"020000000000000000000000000000000000000000000000000000000000000005\", "
	  "\"expiry_unix_s\": 1}]}",
	  "keys[0].public_key: not a point on the SM2 curve" },
	{ QR,
	  "{\"keys\": [{\"version\": \"80\", \"index\": \"01\", \"public_key\": "
	  "\"32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C732C4AE2C1F1981195F9904"
	  "466A39C9948FE30BBFF2660BE1715A4589334C74C7\", "
	  "\"expiry_unix_s\": 1}]}",
	  "keys[0].public_key: not a point" },
	{ QR, "{\"keys\": [{\"version\": \"80\", \"index\": \"01\", \"public_key\": " G33 "}]}",
	  "keys[0].expiry_unix_s: missing" },
	{ QR,
	  "{\"keys\": [{\"version\": \"80\", \"index\": \"01\", \"public_key\": " G33
	  ", \"expiry_unix_s\": 1}, {\"version\": \"80\", \"index\": \"01\", \"public_key\": " G33
	  ", \"expiry_unix_s\": 2}]}",
	  "keys[1]: a second key 80 01" },
	{ QR,
	  "{\"keys\": [{\"version\": \"80\", \"index\": \"01\", \"public_key\": " G33
	  ", \"expiry_unix_s\": 1, \"curve\": \"sm2\"}]}",
	  "keys[0]: unknown key \"curve\"" },
	{ DS, "{\"degraded\": \"free-exit\"}", "degraded: \"free-exit\" is not one of" },
};

static void refusals(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char why[256] = "";
		void *obj = NULL;
		uint64_t n = 0;
		int r = params_json_parse(bad[i].set, (const uint8_t *)bad[i].json,
					  strlen(bad[i].json), &obj, &n, why, sizeof(why));

		CHECK(r == YKT_E_PARAM_FORMAT && strstr(why, bad[i].why) && obj == NULL,
		      "case %zu (%s): %d '%s', expected '%s'", i, bad[i].json, r, why, bad[i].why);
		params_json_free(bad[i].set, obj);
	}
}

/* A 1024-station matrix (the limit) parses; 1025 stations do not. */
static void matrix_limits(void)
{
	for (size_t n = 1024; n <= 1025; n++) {
		size_t cap = n * n * 4 + n * 32 + 256, len = 0;
		char *json = malloc(cap), why[256] = "";
		void *obj = NULL;
		uint64_t count = 0;
		int r;

		len +=
		    (size_t)snprintf(json + len, cap - len, "{\"type\":\"metro\",\"stations\":[");
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(json + len, cap - len, "%s{\"code\":\"%04zX\"}",
						i ? "," : "", i);
		len += (size_t)snprintf(json + len, cap - len, "],\"fares_fen\":[");
		for (size_t i = 0; i < n; i++) {
			len += (size_t)snprintf(json + len, cap - len, "%s[", i ? "," : "");
			for (size_t j = 0; j < n; j++)
				len += (size_t)snprintf(json + len, cap - len, "%s%zu",
							j ? "," : "", (i + j) % 10);
			len += (size_t)snprintf(json + len, cap - len, "]");
		}
		len += (size_t)snprintf(json + len, cap - len, "]}");
		r = params_json_parse(YKT_PARAM_FARE_TABLE, (const uint8_t *)json, len, &obj,
				      &count, why, sizeof(why));
		if (n == 1024) {
			CHECK(r == 0 && count == 1024, "1024 stations: %s", why);
			if (obj)
				CHECK_INT(ykt_fare_between(obj, 1023, 1000), (1023 + 1000) % 10);
		} else {
			CHECK(r == YKT_E_PARAM_FORMAT && strstr(why, "more than 1024"), "%s", why);
		}
		params_json_free(YKT_PARAM_FARE_TABLE, obj);
		free(json);
	}
}

/* Random damage to a good payload: refused or parsed, never a crash (the
 * ASan run checks the "never"). */
static void mutations(void)
{
	static const char good[] =
	    "{\"type\":\"metro\",\"stations\":[{\"code\":\"0101\",\"name\":\"A\"},"
	    "{\"code\":\"0102\"}],\"fares_fen\":[[300,300],[300,400]],\"unfinished_fen\":900}";
	uint64_t seed = 77;
	char buf[sizeof(good)];

	for (int i = 0; i < 5000; i++) {
		size_t len = sizeof(good) - 1;
		char why[256];
		void *obj = NULL;
		uint64_t n = 0;
		int r;

		memcpy(buf, good, sizeof(good));
		for (int k = 0; k < 1 + i % 4; k++)
			buf[check_rand(&seed) % len] = (char)check_rand(&seed);
		if (i % 5 == 0)
			len = check_rand(&seed) % len;
		r = params_json_parse(YKT_PARAM_FARE_TABLE, (const uint8_t *)buf, len, &obj, &n,
				      why, sizeof(why));
		CHECK(r == 0 || r == YKT_E_PARAM_FORMAT, "mutation %d: %d", i, r);
		CHECK((r == 0) == (obj != NULL), "mutation %d: object only on success", i);
		params_json_free(YKT_PARAM_FARE_TABLE, obj);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	data_dir = argv[1];
	examples_fares();
	examples_rules();
	examples_lists();
	refusals();
	matrix_limits();
	mutations();
	return check_result();
}
