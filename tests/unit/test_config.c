/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * terminal/config.h: defaults, every key checked, one error line that names
 * the file, line, section and key, and paths resolved against the file's
 * directory.  Each case writes its file into a fresh mkdtemp() directory.
 */
#include "config.h"

#include "check.h"
#include "ykt_config.h"
#include "ykt_error.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[PATH_MAX - 64];

/* The smallest valid file: only the required keys. */
static const char *const base_lines[] = {
	"[device]",
	"id = T-UNIT-1",
	"acquirer_city = 1000",
	"acquirer_institution = 11011000FFFFFFFF",
	"[hardware]",
	"reader = sim:cards.tap",
	"sam = sim:psam.psam",
	"[store]",
	"path = ykt.db",
	"[purchase]",
	"fare_fen = 200",
	NULL,
};

/* The base file with "[section] key" set to value (NULL: removed; a new key
 * goes at the end of its section, a new section at the end).  Returns the
 * line number of the changed key, 0 if removed. */
static int make_config(char *out, size_t cap, const char *section, const char *key,
		       const char *value)
{
	char cur[64] = "";
	size_t used = 0;
	int line = 0, key_line = 0;
	bool done = !section;

#define EMIT(...)                                                                                  \
	do {                                                                                       \
		used += (size_t)snprintf(out + used, cap - used, __VA_ARGS__);                     \
		line++;                                                                            \
	} while (0)

	out[0] = '\0';
	for (int i = 0; base_lines[i]; i++) {
		const char *l = base_lines[i];

		if (l[0] == '[') {
			if (!done && strcmp(cur, section) == 0 && value) {
				EMIT("%s = %s\n", key, value);
				key_line = line;
				done = true;
			}
			snprintf(cur, sizeof(cur), "%.*s", (int)(strlen(l) - 2), l + 1);
		} else if (!done && strcmp(cur, section) == 0 &&
			   strncmp(l, key, strlen(key)) == 0 && l[strlen(key)] == ' ') {
			done = true;
			if (value) {
				EMIT("%s = %s\n", key, value);
				key_line = line;
			}
			continue;
		}
		EMIT("%s\n", l);
	}
	if (!done && strcmp(cur, section) == 0 && value) {
		EMIT("%s = %s\n", key, value);
		key_line = line;
	} else if (!done && value) {
		EMIT("[%s]\n", section);
		EMIT("%s = %s\n", key, value);
		key_line = line;
	}
#undef EMIT
	return key_line;
}

static int load_text(const char *text, struct ykt_config *cfg, char *err, size_t err_len,
		     char *path, size_t path_cap)
{
	check_write_file(tmp, "ykt.conf", text, path, path_cap);
	return ykt_config_load(path, cfg, err, err_len);
}

static void test_minimal_defaults(void)
{
	char text[2048], err[512] = "", path[PATH_MAX];
	struct ykt_config cfg;
	int r;

	make_config(text, sizeof(text), NULL, NULL, NULL);
	r = load_text(text, &cfg, err, sizeof(err), path, sizeof(path));
	CHECK(r == 0, "minimal config: %d %s", r, err);
	if (r)
		return;
	CHECK(strcmp(cfg.device_id, "T-UNIT-1") == 0, "id '%s'", cfg.device_id);
	CHECK_HEX(cfg.acquirer_city, 2, "1000");
	CHECK_HEX(cfg.acquirer_institution, 8, "11011000FFFFFFFF");
	CHECK_INT(cfg.fare_fen, 200);
	CHECK_INT(cfg.mode, PURCHASE_COMPOUND);
	CHECK_INT(cfg.select, SELECT_PPSE);
	CHECK_INT(cfg.min_free_bytes, 16 * 1024 * 1024);
	/* docs/configuration.md: warnings follow their limits when not given */
	CHECK_INT(cfg.warn_free_bytes, 64 * 1024 * 1024);
	CHECK_INT(cfg.max_records, 500000);
	CHECK_INT(cfg.warn_records, 400000);
	CHECK_INT(cfg.store_retry_s, 60);
	CHECK_INT(cfg.industry, 0x02);
	CHECK(strcmp(cfg.clock_uri, "system:") == 0, "clock '%s'", cfg.clock_uri);
	CHECK_INT(cfg.clock_floor_unix_s, 0);
	CHECK(!cfg.refuse_non_interconnect, "refuse_non_interconnect defaults off");
	CHECK(cfg.busy_timeout_ms >= 1 && cfg.busy_timeout_ms <= 1000, "busy_timeout_ms %d",
	      cfg.busy_timeout_ms);
	CHECK(cfg.max_fare_fen >= cfg.fare_fen, "max_fare_fen %lld", (long long)cfg.max_fare_fen);
	CHECK_INT(cfg.tunion_slot, 1);
	CHECK_INT(cfg.local_slot, 0);
	CHECK_INT(cfg.local_df, 0x1001);
	for (int t = 0; t < 256; t++)
		CHECK(cfg.charge_percent[t] == 100, "charge_percent[%02X] = %u", t,
		      cfg.charge_percent[t]);
	/* no display and no outputs unless configured */
	CHECK(strcmp(cfg.display_uri, "none") == 0, "display '%s'", cfg.display_uri);
	CHECK(strcmp(cfg.gpio_uri, "none") == 0, "gpio '%s'", cfg.gpio_uri);
	CHECK(!cfg.buzzer.chip[0] && !cfg.green_led.chip[0] && !cfg.red_led.chip[0] &&
		  !cfg.gate_relay.chip[0],
	      "outputs fitted by default");
	CHECK(!cfg.line_name[0], "line_name '%s'", cfg.line_name);
	CHECK_INT(cfg.display_hold_ms, 3000);
	CHECK_INT(cfg.display_low_balance_fen, 500);
}

static void test_every_key(void)
{
	static const char text[] = "; every key, in a different order than the docs\n"
				   "[purchase]\n"
				   "mode = simple\n"
				   "select = direct\n"
				   "fare_fen = 150\n"
				   "max_fare_fen = 500\n"
				   "max_balance_fen = 200000\n"
				   "refuse_non_interconnect = yes\n"
				   "local_city = 2900\n"
				   "clock_tolerance_s = 60\n"
				   "clock_floor = 2026-01-01T00:00:00\n"
				   "[device]\n"
				   "id = DEMO-BUS-0001            ; inline comment\n"
				   "industry = 1\n"
				   "line = 0029\n"
				   "station = 00A1\n"
				   "operator = 0001\n"
				   "direction = up\n"
				   "vehicle = 00032845\n"
				   "acquirer_city = 2900\n"
				   "acquirer_institution = 12002900FFFFFFFF\n"
				   "[hardware]\n"
				   "reader = sim:/abs/cards.tap\n"
				   "sam = sim:/abs/psam.psam\n"
				   "sam2 = sim:/abs/psam2.psam\n"
				   "sam4 = sim:/abs/local.psam\n"
				   "clock = sim:2026-11-21T07:30:00\n"
				   "display = fbfile:/run/ykt/panel,480x272,16\n"
				   "gpio = sim:\n"
				   "[outputs]\n"
				   "buzzer = gpiochip0:17\n"
				   "red_led = gpiochip0:23:active-low\n"
				   "gate_relay = /dev/gpiochip1:5\n"
				   "[display]\n"
				   "line_name = 29路 上行\n"
				   "hold_ms = 2500\n"
				   "low_balance_fen = 1000\n"
				   "[psam]\n"
				   "tunion = 2\n"
				   "local = 4\n"
				   "local_df = 1002\n"
				   "[store]\n"
				   "path = /var/lib/ykt/ykt.db\n"
				   "min_free_bytes = 1048576\n"
				   "busy_timeout_ms = 1000\n"
				   "max_records = 1000\n"
				   "retry_s = 5\n"
				   "[params]\n"
				   "dir = /var/lib/ykt/params\n"
				   "public_key = /etc/ykt/platform-sm2.pem\n"
				   "[charge_percent]\n"
				   "02 = 50\n"
				   "03 = 0\n"
				   "ff = 100\n";
	char err[512] = "", path[PATH_MAX];
	struct ykt_config cfg;
	int r = load_text(text, &cfg, err, sizeof(err), path, sizeof(path));

	CHECK(r == 0, "full config: %d %s", r, err);
	if (r)
		return;
	CHECK_INT(cfg.mode, PURCHASE_SIMPLE);
	CHECK_INT(cfg.select, SELECT_DIRECT);
	CHECK_INT(cfg.fare_fen, 150);
	CHECK_INT(cfg.max_fare_fen, 500);
	CHECK_INT(cfg.max_balance_fen, 200000);
	CHECK(cfg.refuse_non_interconnect, "refuse_non_interconnect");
	CHECK_HEX(cfg.local_city, 2, "2900");
	CHECK_INT(cfg.clock_tolerance_s, 60);
	CHECK_INT(cfg.clock_floor_unix_s, 1767196800);
	CHECK(strcmp(cfg.device_id, "DEMO-BUS-0001") == 0, "id '%s'", cfg.device_id);
	CHECK_INT(cfg.industry, 1);
	CHECK_INT(cfg.line, 0x0029);
	CHECK_INT(cfg.station, 0x00A1);
	CHECK_INT(cfg.operator_code, 0x0001);
	CHECK(strcmp(cfg.direction, "up") == 0, "direction '%s'", cfg.direction);
	CHECK(strcmp(cfg.vehicle, "00032845") == 0, "vehicle '%s'", cfg.vehicle);
	CHECK_HEX(cfg.acquirer_institution, 8, "12002900FFFFFFFF");
	CHECK(strcmp(cfg.reader_uri, "sim:/abs/cards.tap") == 0, "reader '%s'", cfg.reader_uri);
	CHECK(strcmp(cfg.sam_uri, "sim:/abs/psam.psam") == 0, "sam '%s'", cfg.sam_uri);
	CHECK(strcmp(cfg.clock_uri, "sim:2026-11-21T07:30:00") == 0, "clock '%s'", cfg.clock_uri);
	CHECK(strcmp(cfg.store_path, "/var/lib/ykt/ykt.db") == 0, "store '%s'", cfg.store_path);
	CHECK_INT(cfg.min_free_bytes, 1048576);
	CHECK_INT(cfg.warn_free_bytes, 4 * 1048576);
	CHECK_INT(cfg.max_records, 1000);
	CHECK_INT(cfg.warn_records, 800);
	CHECK_INT(cfg.store_retry_s, 5);
	CHECK_INT(cfg.busy_timeout_ms, 1000);
	CHECK(strcmp(cfg.params_dir, "/var/lib/ykt/params") == 0, "params dir '%s'",
	      cfg.params_dir);
	CHECK(strcmp(cfg.params_public_key, "/etc/ykt/platform-sm2.pem") == 0, "key '%s'",
	      cfg.params_public_key);
	CHECK_INT(cfg.charge_percent[0x02], 50);
	CHECK_INT(cfg.charge_percent[0x03], 0);
	CHECK_INT(cfg.charge_percent[0xFF], 100);
	CHECK_INT(cfg.charge_percent[0x01], 100);
	CHECK_INT(cfg.charge_percent[0x04], 100);
	CHECK_INT(cfg.tunion_slot, 2);
	CHECK_INT(cfg.local_slot, 4);
	CHECK_INT(cfg.local_df, 0x1002);
	CHECK(strcmp(ykt_config_sam_uri(&cfg, 2), "sim:/abs/psam2.psam") == 0, "sam2 '%s'",
	      cfg.sam2_uri);
	CHECK(strcmp(ykt_config_sam_uri(&cfg, 4), "sim:/abs/local.psam") == 0, "sam4 '%s'",
	      cfg.sam4_uri);
	CHECK(strcmp(ykt_config_sam_uri(&cfg, 3), "") == 0, "sam3 '%s'", cfg.sam3_uri);
	CHECK(strcmp(ykt_config_sam_uri(&cfg, 5), "") == 0, "slot 5 has no URI");
	CHECK(strcmp(cfg.display_uri, "fbfile:/run/ykt/panel,480x272,16") == 0, "display '%s'",
	      cfg.display_uri);
	CHECK(strcmp(cfg.gpio_uri, "sim:") == 0, "gpio '%s'", cfg.gpio_uri);
	CHECK(strcmp(cfg.buzzer.chip, "gpiochip0") == 0 && cfg.buzzer.offset == 17 &&
		  !cfg.buzzer.active_low,
	      "buzzer");
	CHECK(cfg.red_led.offset == 23 && cfg.red_led.active_low, "red_led");
	CHECK(strcmp(cfg.gate_relay.chip, "/dev/gpiochip1") == 0 && cfg.gate_relay.offset == 5,
	      "gate_relay");
	CHECK(!cfg.green_led.chip[0], "green_led not fitted");
	CHECK(strcmp(cfg.line_name, "29路 上行") == 0, "line_name '%s'", cfg.line_name);
	CHECK_INT(cfg.display_hold_ms, 2500);
	CHECK_INT(cfg.display_low_balance_fen, 1000);
}

struct bad_case {
	const char *section, *key, *value; /* value NULL: key removed */
	const char *want[3];		   /* substrings the message must hold */
	bool no_line;			   /* a check across keys, after parsing */
};

/* value NULL removes the key; then the substrings the message must hold */
#define BAD(section, key, value, ...)                                                              \
	{                                                                                          \
		section, key, value, { __VA_ARGS__ }, false                                        \
	}

static const struct bad_case bad_cases[] = {
	BAD("hardware", "reader", "foo:bar", "[hardware] reader", "unknown driver"),
	BAD("hardware", "reader", "bar", "[hardware] reader", "unknown driver"),
	BAD("hardware", "sam", "foo:bar", "[hardware] sam", "unknown driver"),
	BAD("hardware", "clock", "ntp:pool", "[hardware] clock"),
	BAD("hardware", "clock", "sim:2026-13-01T00:00:00", "[hardware] clock"),
	BAD("hardware", "clock", "file:", "[hardware] clock"),
	BAD("hardware", "clock", "system:now", "[hardware] clock"),
	BAD("device", "id", NULL, "[device] id: missing"),
	BAD("device", "acquirer_city", NULL, "[device] acquirer_city: missing"),
	BAD("hardware", "reader", NULL, "[hardware] reader: missing"),
	BAD("store", "path", NULL, "[store] path: missing"),
	BAD("purchase", "fare_fen", NULL, "[purchase] fare_fen: missing"),
	BAD("device", "id", "", "[device] id"),
	BAD("device", "id", "123456789012345678901234567890123", "[device] id"),
	BAD("purchase", "fare_fen", "2x0", "[purchase] fare_fen", "2x0"),
	BAD("purchase", "fare_fen", "", "[purchase] fare_fen"),
	BAD("purchase", "fare_fen", "-1", "[purchase] fare_fen"),
	BAD("purchase", "fare_fen", "99999999999999999999", "[purchase] fare_fen"),
	{ "purchase", "fare_fen", "20000", { "[purchase] fare_fen", "max_fare_fen" }, true },
	BAD("device", "colour", "red", "[device] colour", "unknown key"),
	BAD("lighting", "colour", "red", "[lighting] colour", "unknown key"),
	BAD("device", "acquirer_institution", "1234", "[device] acquirer_institution", "1234"),
	BAD("device", "acquirer_institution", "11011000FFFFFFFFFF",
	    "[device] acquirer_institution"),
	BAD("device", "acquirer_institution", "11011000FFFFFFFG", "[device] acquirer_institution"),
	BAD("device", "acquirer_city", "100", "[device] acquirer_city"),
	/* docs/configuration.md: city codes are 2 bytes BCD */
	BAD("device", "acquirer_city", "10A0", "[device] acquirer_city"),
	BAD("purchase", "local_city", "29F0", "[purchase] local_city"),
	BAD("device", "direction", "123456789", "[device] direction"),
	BAD("device", "vehicle", "12345678901234567", "[device] vehicle"),
	BAD("purchase", "max_balance_fen", "16777216", "[purchase] max_balance_fen"),
	BAD("device", "line", "29", "[device] line"),
	BAD("device", "industry", "0", "[device] industry"),
	BAD("device", "industry", "19", "[device] industry"),
	BAD("store", "busy_timeout_ms", "0", "[store] busy_timeout_ms"),
	BAD("store", "busy_timeout_ms", "1001", "[store] busy_timeout_ms"),
	BAD("store", "min_free_bytes", "-1", "[store] min_free_bytes"),
	BAD("store", "max_records", "-1", "[store] max_records"),
	BAD("store", "retry_s", "0", "[store] retry_s"),
	{ "store",
	  "warn_free_bytes",
	  "1048576",
	  { "[store] warn_free_bytes", "min_free_bytes" },
	  true },
	{ "store", "warn_records", "500001", { "[store] warn_records", "max_records" }, true },
	BAD("purchase", "mode", "fast", "[purchase] mode", "fast"),
	BAD("purchase", "mode", "Compound", "[purchase] mode"),
	BAD("purchase", "select", "aid", "[purchase] select"),
	BAD("purchase", "refuse_non_interconnect", "maybe", "[purchase] refuse_non_interconnect"),
	BAD("purchase", "clock_floor", "2026-02-30T00:00:00", "[purchase] clock_floor"),
	BAD("purchase", "clock_tolerance_s", "86401", "[purchase] clock_tolerance_s"),
	/* docs/parameters.md: packages are only installed with the platform key */
	{ "params", "dir", "params", { "[params] public_key: missing" }, true },
	BAD("charge_percent", "ZZ", "50", "[charge_percent] ZZ"),
	BAD("charge_percent", "0102", "50", "[charge_percent] 0102"),
	BAD("charge_percent", "02", "101", "[charge_percent] 02", "101"),
	BAD("charge_percent", "02", "-1", "[charge_percent] 02"),
	BAD("charge_percent", "02", "half", "[charge_percent] 02"),
	BAD("hardware", "sam2", "foo:bar", "[hardware] sam2", "unknown driver"),
	BAD("psam", "tunion", "0", "[psam] tunion"),
	BAD("psam", "tunion", "5", "[psam] tunion"),
	BAD("psam", "local", "5", "[psam] local"),
	BAD("psam", "local_df", "10010", "[psam] local_df"),
	/* across keys: each family's slot must exist, and be its own */
	{ "psam", "tunion", "2", { "[psam] tunion", "slot 2", "no sam URI" }, true },
	{ "psam", "local", "3", { "[psam] local", "slot 3", "no sam URI" }, true },
	{ "psam", "local", "1", { "[psam] local", "T-Union slot" }, true },
	BAD("hardware", "display", "vga:0", "[hardware] display", "unknown display"),
	BAD("hardware", "display", "png", "[hardware] display", "unknown display"),
	BAD("hardware", "gpio", "gpiochip0", "[hardware] gpio", "unknown output driver"),
	BAD("outputs", "buzzer", "gpiochip0", "[outputs] buzzer", "CHIP:OFFSET"),
	BAD("outputs", "gate_relay", "gpiochip0:5:open-drain", "[outputs] gate_relay"),
	BAD("outputs", "horn", "gpiochip0:5", "[outputs] horn", "unknown key"),
	BAD("display", "hold_ms", "50", "[display] hold_ms"),
	BAD("display", "line_name",
	    "1234567890123456789012345678901234567890123456789012345678901234",
	    "[display] line_name"),
};

static bool one_line(const char *s)
{
	return s[0] && !strchr(s, '\n') && !strchr(s, '\r');
}

static void test_bad_values(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char text[2048], err[512] = "", path[PATH_MAX], where[PATH_MAX + 16];
		struct ykt_config cfg;
		int line = make_config(text, sizeof(text), c->section, c->key, c->value);
		int r = load_text(text, &cfg, err, sizeof(err), path, sizeof(path));

		if (r != YKT_E_CONFIG) {
			CHECK(0, "[%s] %s = %s: %d, not refused (%s)", c->section, c->key,
			      c->value ? c->value : "(removed)", r, err);
			continue;
		}
		CHECK(one_line(err), "[%s] %s: message '%s' is not one line", c->section, c->key,
		      err);
		for (int w = 0; w < 3 && c->want[w]; w++)
			CHECK(strstr(err, c->want[w]) != NULL, "message '%s' lacks '%s'", err,
			      c->want[w]);
		/* the file, and the line when the bad value is on one */
		if (line && !c->no_line)
			snprintf(where, sizeof(where), "%s:%d: ", path, line);
		else
			snprintf(where, sizeof(where), "%s", path);
		CHECK(strncmp(err, where, strlen(where)) == 0, "message '%s' does not start '%s'",
		      err, where);
	}
}

static void test_first_error_wins(void)
{
	char err[512] = "", path[PATH_MAX];
	struct ykt_config cfg;
	int r = load_text("[device]\nid = X\nindustry = 99\n[purchase]\nmode = fast\n", &cfg, err,
			  sizeof(err), path, sizeof(path));

	CHECK_INT(r, YKT_E_CONFIG);
	CHECK(strstr(err, "[device] industry") && !strstr(err, "mode"), "message '%s'", err);
	CHECK(strstr(err, ":3: ") != NULL, "line 3 in '%s'", err);

	r = load_text("[device]\nthis is not ini\n", &cfg, err, sizeof(err), path, sizeof(path));
	CHECK_INT(r, YKT_E_CONFIG);
	CHECK(one_line(err) && strstr(err, ":2: "), "message '%s'", err);
}

static void test_small_errbuf(void)
{
	char text[2048], path[PATH_MAX];
	struct ykt_config cfg;
	char *err = malloc(24);
	int r;

	make_config(text, sizeof(text), "hardware", "reader", "foo:bar");
	r = load_text(text, &cfg, err, 24, path, sizeof(path));
	CHECK_INT(r, YKT_E_CONFIG);
	CHECK(strlen(err) == 23, "truncated message '%s'", err);
	free(err);
}

static void test_missing_file(void)
{
	char path[PATH_MAX], err[512] = "";
	struct ykt_config cfg;
	int r;

	snprintf(path, sizeof(path), "%s/does-not-exist.conf", tmp);
	r = ykt_config_load(path, &cfg, err, sizeof(err));
	CHECK_INT(r, -ENOENT);
	CHECK(one_line(err) && strstr(err, "does-not-exist.conf"), "message '%s'", err);

	r = ykt_config_load(tmp, &cfg, err, sizeof(err)); /* a directory */
	CHECK(r < 0, "a directory as config: %d", r);
	CHECK(one_line(err), "message '%s'", err);
}

/* Values up to CONFIG_URI_MAX - 1 characters fit the struct; a long one
 * either loads whole or is refused naming its key, never cut short. */
static void test_long_values(void)
{
	static const struct {
		size_t len;
		int semicolon_at; /* a ';' inside the path, or -1 */
	} cases[] = { { 150, -1 }, { 190, -1 }, { 250, -1 }, { 400, -1 }, { 203, 192 } };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char value[CONFIG_URI_MAX], text[4096], err[512] = "", path[PATH_MAX];
		struct ykt_config cfg;
		int r;

		memset(value, 'a', cases[i].len);
		value[0] = '/';
		value[cases[i].len] = '\0';
		if (cases[i].semicolon_at >= 0)
			value[cases[i].semicolon_at] = ';';
		make_config(text, sizeof(text), "store", "path", value);
		r = load_text(text, &cfg, err, sizeof(err), path, sizeof(path));
		if (r == 0)
			CHECK(strcmp(cfg.store_path, value) == 0,
			      "%zu-character path loaded as %zu characters", cases[i].len,
			      strlen(cfg.store_path));
		else
			CHECK(one_line(err) && strstr(err, "[store] path") != NULL,
			      "%zu-character path refused with '%s'", cases[i].len, err);
	}
}

/* realpath of what a sim: or plain path points at, from the current
 * directory */
static bool same_file(const char *got, const char *want)
{
	char a[PATH_MAX], b[PATH_MAX];

	return realpath(got, a) && realpath(want, b) && strcmp(a, b) == 0;
}

/* clock = file:PATH (simulator builds, test-only): relative to the file */
static void test_file_clock(void)
{
	static const char text[] =
	    "[device]\nid = T\nacquirer_city = 1000\n"
	    "acquirer_institution = 11011000FFFFFFFF\n"
	    "[hardware]\nreader = sim:/abs/cards.tap\nsam = sim:/abs/p.psam\n"
	    "clock = file:run/clock\n"
	    "[store]\npath = /x/ykt.db\n[purchase]\nfare_fen = 200\n";
	char path[PATH_MAX], want[PATH_MAX + 16], err[512] = "";
	struct ykt_config cfg;
	int r = load_text(text, &cfg, err, sizeof(err), path, sizeof(path));

	if (!YKT_WITH_SIM) {
		CHECK(r == YKT_E_CONFIG && strstr(err, "[hardware] clock"), "%d %s", r, err);
		return;
	}
	CHECK(r == 0, "%d %s", r, err);
	snprintf(want, sizeof(want), "file:%s/run/clock", tmp);
	CHECK(r || strcmp(cfg.clock_uri, want) == 0, "clock '%s', expected '%s'", cfg.clock_uri,
	      want);
}

static void test_relative_paths(void)
{
	static const char text[] = "[device]\nid = T\nacquirer_city = 1000\n"
				   "acquirer_institution = 11011000FFFFFFFF\n"
				   "[hardware]\nreader = sim:cards.tap\nsam = sim:../psam/p.psam\n"
				   "clock = sim:2026-11-21T07:30:00\n"
				   "display = png:data,480x272\ngpio = sim:data/outputs.log\n"
				   "[store]\npath = data/ykt.db\n[purchase]\nfare_fen = 200\n";
	char sub[PATH_MAX], dir[PATH_MAX], path[PATH_MAX], err[512] = "", cwd[PATH_MAX];
	char want_reader[PATH_MAX], want_sam[PATH_MAX], want_store[PATH_MAX];
	char want_log[PATH_MAX], want_data[PATH_MAX];
	const char *loads[] = { path, "sub/ykt.conf", "ykt.conf", "./ykt.conf" };
	const char *cds[] = { "/", tmp, sub, sub };
	struct ykt_config cfg;
	int r;

	snprintf(sub, sizeof(sub), "%s/sub", tmp);
	snprintf(dir, sizeof(dir), "%s/psam", tmp);
	mkdir(sub, 0700);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/sub/data", tmp);
	mkdir(dir, 0700);
	check_write_file(sub, "cards.tap", "\n", want_reader, sizeof(want_reader));
	check_write_file(tmp, "psam/p.psam", "\n", want_sam, sizeof(want_sam));
	check_write_file(sub, "data/ykt.db", "", want_store, sizeof(want_store));
	check_write_file(sub, "data/outputs.log", "", want_log, sizeof(want_log));
	snprintf(want_data, sizeof(want_data), "%s/sub/data", tmp);
	check_write_file(sub, "ykt.conf", text, path, sizeof(path));

	/* loaded by absolute path: absolute results */
	r = ykt_config_load(path, &cfg, err, sizeof(err));
	CHECK(r == 0, "%d %s", r, err);
	if (r)
		return;
	CHECK(strncmp(cfg.reader_uri, "sim:/", 5) == 0, "reader '%s'", cfg.reader_uri);
	CHECK(strncmp(cfg.sam_uri, "sim:/", 5) == 0, "sam '%s'", cfg.sam_uri);
	CHECK(cfg.store_path[0] == '/', "store '%s'", cfg.store_path);
	CHECK(strcmp(cfg.clock_uri, "sim:2026-11-21T07:30:00") == 0, "clock '%s'", cfg.clock_uri);

	/* from any working directory and however the file was named, the
	 * paths lead to the files next to the config */
	if (!getcwd(cwd, sizeof(cwd)))
		abort();
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		if (chdir(cds[i]) < 0)
			abort();
		r = ykt_config_load(loads[i], &cfg, err, sizeof(err));
		CHECK(r == 0, "%s from %s: %d %s", loads[i], cds[i], r, err);
		if (r == 0) {
			CHECK(strncmp(cfg.reader_uri, "sim:", 4) == 0 &&
				  same_file(cfg.reader_uri + 4, want_reader),
			      "%s from %s: reader '%s'", loads[i], cds[i], cfg.reader_uri);
			CHECK(strncmp(cfg.sam_uri, "sim:", 4) == 0 &&
				  same_file(cfg.sam_uri + 4, want_sam),
			      "%s from %s: sam '%s'", loads[i], cds[i], cfg.sam_uri);
			CHECK(same_file(cfg.store_path, want_store), "%s from %s: store '%s'",
			      loads[i], cds[i], cfg.store_path);
			CHECK(strncmp(cfg.display_uri, "png:", 4) == 0 &&
				  strstr(cfg.display_uri, "data,480x272") &&
				  same_file(strtok(cfg.display_uri + 4, ","), want_data),
			      "%s from %s: display '%s'", loads[i], cds[i], cfg.display_uri);
			CHECK(strncmp(cfg.gpio_uri, "sim:", 4) == 0 &&
				  same_file(cfg.gpio_uri + 4, want_log),
			      "%s from %s: gpio '%s'", loads[i], cds[i], cfg.gpio_uri);
		}
		if (chdir("/") < 0)
			abort();
	}
	if (chdir(cwd) < 0)
		abort();
}

/* A production build has no sim: driver: the base file is refused for it. */
static void test_without_sim(void)
{
	char text[2048], err[512] = "", path[PATH_MAX];
	struct ykt_config cfg;
	int r;

	make_config(text, sizeof(text), NULL, NULL, NULL);
	r = load_text(text, &cfg, err, sizeof(err), path, sizeof(path));
	CHECK_INT(r, YKT_E_CONFIG);
	CHECK(one_line(err) && strstr(err, "[hardware] reader") && strstr(err, "unknown driver"),
	      "message '%s'", err);
}

int main(void)
{
	check_tmpdir(tmp, sizeof(tmp));
	if (!YKT_WITH_SIM) {
		/* everything else needs a reader and a SAM this build can name */
		test_without_sim();
		test_missing_file();
		check_rm_rf(tmp);
		return check_result();
	}
	test_minimal_defaults();
	test_every_key();
	test_bad_values();
	test_first_error_wins();
	test_small_errbuf();
	test_missing_file();
	test_long_values();
	test_relative_paths();
	test_file_clock();
	check_rm_rf(tmp);
	return check_result();
}
