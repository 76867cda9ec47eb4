/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "bytes.h"
#include "clock.h"
#include "display.h"
#include "gpio.h"
#include "reader.h"
#include "sam.h"
#include "scanner.h"
#include "stop.h"
#include "ykt_config.h"
#include "ykt_error.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum key_kind {
	K_STRING,
	K_HEX,
	K_BCD,
	K_HEX16,
	K_INT,
	K_ENUM,
	K_BOOL,
	K_TIME,
	K_READER,
	K_SAM,
	K_CLOCK,
	K_DISPLAY,
	K_GPIO,
	K_GPIO_LINE,
	K_STOPS,
	K_PATH,
	K_SCANNER,
};

struct config_key {
	const char *section, *name;
	enum key_kind kind;
	size_t offset, size; /* size: buffer size, byte count for K_HEX */
	int64_t min, max;
	const char *const *choices; /* K_ENUM: index is the value */
	bool required;
};

#define OFF(f) offsetof(struct ykt_config, f), sizeof(((struct ykt_config *)0)->f)

static const char *const mode_choices[] = { "simple", "compound", NULL };
static const char *const select_choices[] = { "ppse", "direct", NULL };
/* in the order of enum fare_gate and enum ykt_degraded */
static const char *const gate_choices[] = { "both", "entry", "exit", NULL };
static const char *const degraded_choices[] = { "none", "free-exit", "relaxed-time", NULL };

static const struct config_key config_keys[] = {
	{ "device", "id", K_STRING, OFF(device_id), 1, 0, NULL, true },
	{ "device", "industry", K_INT, offsetof(struct ykt_config, industry), 1, 1, 0x12, NULL,
	  false },
	{ "device", "line", K_HEX16, OFF(line), 0, 0, NULL, false },
	{ "device", "station", K_HEX16, OFF(station), 0, 0, NULL, false },
	{ "device", "operator", K_HEX16, OFF(operator_code), 0, 0, NULL, false },
	{ "device", "direction", K_STRING, OFF(direction), 0, 0, NULL, false },
	{ "device", "vehicle", K_STRING, OFF(vehicle), 0, 0, NULL, false },
	{ "device", "gate", K_ENUM, OFF(gate), 0, 0, gate_choices, false },
	{ "device", "acquirer_city", K_BCD, OFF(acquirer_city), 0, 0, NULL, true },
	{ "device", "acquirer_institution", K_HEX, OFF(acquirer_institution), 0, 0, NULL, true },
	{ "hardware", "reader", K_READER, OFF(reader_uri), 0, 0, NULL, true },
	{ "hardware", "sam", K_SAM, OFF(sam_uri), 0, 0, NULL, true },
	{ "hardware", "sam2", K_SAM, OFF(sam2_uri), 0, 0, NULL, false },
	{ "hardware", "sam3", K_SAM, OFF(sam3_uri), 0, 0, NULL, false },
	{ "hardware", "sam4", K_SAM, OFF(sam4_uri), 0, 0, NULL, false },
	{ "hardware", "clock", K_CLOCK, OFF(clock_uri), 0, 0, NULL, false },
	{ "hardware", "scanner", K_SCANNER, OFF(scanner_uri), 0, 0, NULL, false },
	{ "psam", "tunion", K_INT, OFF(tunion_slot), 1, CONFIG_SAM_SLOTS, NULL, false },
	{ "psam", "local", K_INT, OFF(local_slot), 0, CONFIG_SAM_SLOTS, NULL, false },
	{ "psam", "local_df", K_HEX16, OFF(local_df), 0, 0, NULL, false },
	{ "hardware", "display", K_DISPLAY, OFF(display_uri), 0, 0, NULL, false },
	{ "hardware", "gpio", K_GPIO, OFF(gpio_uri), 0, 0, NULL, false },
	{ "hardware", "stops", K_STOPS, OFF(stops_uri), 0, 0, NULL, false },
	{ "outputs", "buzzer", K_GPIO_LINE, OFF(buzzer), 0, 0, NULL, false },
	{ "outputs", "green_led", K_GPIO_LINE, OFF(green_led), 0, 0, NULL, false },
	{ "outputs", "red_led", K_GPIO_LINE, OFF(red_led), 0, 0, NULL, false },
	{ "outputs", "gate_relay", K_GPIO_LINE, OFF(gate_relay), 0, 0, NULL, false },
	{ "display", "line_name", K_STRING, OFF(line_name), 0, 0, NULL, false },
	{ "display", "hold_ms", K_INT, OFF(display_hold_ms), 100, 60000, NULL, false },
	{ "display", "low_balance_fen", K_INT, OFF(display_low_balance_fen), 0, 100000, NULL,
	  false },
	{ "store", "path", K_PATH, OFF(store_path), 0, 0, NULL, true },
	{ "store", "state_dir", K_PATH, OFF(state_dir), 0, 0, NULL, false },
	{ "store", "min_free_bytes", K_INT, OFF(min_free_bytes), 0, INT64_MAX, NULL, false },
	{ "store", "warn_free_bytes", K_INT, OFF(warn_free_bytes), 0, INT64_MAX, NULL, false },
	{ "store", "max_records", K_INT, OFF(max_records), 0, INT64_MAX, NULL, false },
	{ "store", "warn_records", K_INT, OFF(warn_records), 0, INT64_MAX, NULL, false },
	{ "store", "retry_s", K_INT, OFF(store_retry_s), 1, 86400, NULL, false },
	{ "store", "busy_timeout_ms", K_INT, OFF(busy_timeout_ms), 1, 1000, NULL, false },
	{ "params", "dir", K_PATH, OFF(params_dir), 0, 0, NULL, false },
	{ "params", "public_key", K_PATH, OFF(params_public_key), 0, 0, NULL, false },
	{ "purchase", "mode", K_ENUM, OFF(mode), 0, 0, mode_choices, false },
	{ "purchase", "capp_fallback", K_BOOL, OFF(capp_fallback), 0, 0, NULL, false },
	{ "purchase", "select", K_ENUM, OFF(select), 0, 0, select_choices, false },
	{ "purchase", "fare_fen", K_INT, OFF(fare_fen), 0, 100000, NULL, true },
	{ "purchase", "max_fare_fen", K_INT, OFF(max_fare_fen), 0, 100000, NULL, false },
	{ "purchase", "max_balance_fen", K_INT, OFF(max_balance_fen), 0, 0xFFFFFF, NULL, false },
	{ "purchase", "refuse_non_interconnect", K_BOOL, OFF(refuse_non_interconnect), 0, 0, NULL,
	  false },
	{ "purchase", "local_city", K_BCD, OFF(local_city), 0, 0, NULL, false },
	{ "purchase", "clock_tolerance_s", K_INT, OFF(clock_tolerance_s), 0, 86400, NULL, false },
	{ "purchase", "grey_window_s", K_INT, OFF(grey_window_s), 0, 86400, NULL, false },
	{ "purchase", "clock_floor", K_TIME, OFF(clock_floor_unix_s), 0, 0, NULL, false },
	{ "qr", "bounce_s", K_INT, OFF(qr_bounce_s), 0, 60, NULL, false },
	{ "qr", "repeat_window_s", K_INT, OFF(qr_repeat_window_s), 0, 86400, NULL, false },
	{ "qr", "future_tolerance_s", K_INT, OFF(qr_future_tolerance_s), 0, 3600, NULL, false },
	{ "qr", "accept_test_accounts", K_BOOL, OFF(qr_accept_test_accounts), 0, 0, NULL, false },
	{ "uplink", "url", K_STRING, OFF(uplink.url), 0, 0, NULL, false },
	{ "uplink", "client_cert", K_PATH, OFF(uplink.client_cert), 0, 0, NULL, false },
	{ "uplink", "client_key", K_PATH, OFF(uplink.client_key), 0, 0, NULL, false },
	{ "uplink", "ca", K_PATH, OFF(uplink.ca), 0, 0, NULL, false },
	{ "uplink", "staging_dir", K_PATH, OFF(uplink.staging_dir), 0, 0, NULL, false },
	{ "uplink", "batch_records", K_INT, OFF(uplink.batch_records), 1, 5000, NULL, false },
	{ "uplink", "batch_bytes", K_INT, OFF(uplink.batch_bytes), 16384, 8388608, NULL, false },
	{ "uplink", "interval_s", K_INT, OFF(uplink.interval_s), 1, 86400, NULL, false },
	{ "uplink", "retention_days", K_INT, OFF(uplink.retention_days), 1, 3650, NULL, false },
	{ "uplink", "timeout_s", K_INT, OFF(uplink.timeout_s), 1, 600, NULL, false },
	{ "uplink", "connect_timeout_s", K_INT, OFF(uplink.connect_timeout_s), 1, 120, NULL,
	  false },
	{ "uplink", "attempts", K_INT, OFF(uplink.attempts), 1, 100, NULL, false },
	{ "uplink", "backoff_min_ms", K_INT, OFF(uplink.backoff_min_ms), 10, 600000, NULL, false },
	{ "uplink", "backoff_max_s", K_INT, OFF(uplink.backoff_max_s), 1, 86400, NULL, false },
	{ "uplink", "busy_timeout_ms", K_INT, OFF(uplink.busy_timeout_ms), 1, 60000, NULL, false },
	{ "purchase", "lock_blacklisted", K_BOOL, OFF(lock_blacklisted), 0, 0, NULL, false },
	{ "purchase", "lock_permanent", K_BOOL, OFF(lock_permanent), 0, 0, NULL, false },
	{ "purchase", "degraded", K_ENUM, OFF(degraded), 0, 0, degraded_choices, false },
};
#define N_CONFIG_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

struct config_parse {
	struct ykt_config *cfg;
	char dir[PATH_MAX];
	bool seen[N_CONFIG_KEYS];
	char detail[200]; /* what the setter found wrong */
	char err[400];	  /* first error: "[section] key: detail" */
};

/* QR account types (field 8) to card types: normal and test accounts pay as
 * adults (01), students (02) and seniors (03) as those cards; military
 * accounts as adults unless the operator says otherwise (no card type is
 * theirs).  Types above 05 are refused before any fare applies. */
static void config_qr_account_defaults(struct ykt_config *c)
{
	static const uint8_t card_type[] = {
		[QR_ACCOUNT_NORMAL] = 0x01,  [QR_ACCOUNT_NORMAL_1] = 0x01,
		[QR_ACCOUNT_STUDENT] = 0x02, [QR_ACCOUNT_SENIOR] = 0x03,
		[QR_ACCOUNT_TEST] = 0x01,    [QR_ACCOUNT_MILITARY] = 0x01,
	};

	memset(c->qr_card_type, 0x01, sizeof(c->qr_card_type));
	memcpy(c->qr_card_type, card_type, sizeof(card_type));
}

static void config_defaults(struct ykt_config *c)
{
	memset(c, 0, sizeof(*c));
	c->industry = 0x02;
	snprintf(c->clock_uri, sizeof(c->clock_uri), "system:");
	c->tunion_slot = 1;
	c->local_df = 0x1001;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", YKT_DEFAULT_STATE_DIR);
	snprintf(c->display_uri, sizeof(c->display_uri), "none");
	snprintf(c->gpio_uri, sizeof(c->gpio_uri), "none");
	snprintf(c->stops_uri, sizeof(c->stops_uri), "none");
	c->lock_blacklisted = true;
	c->display_hold_ms = 3000;
	c->display_low_balance_fen = 500;
	c->min_free_bytes = 16u << 20;
	c->max_records = 500000;
	c->store_retry_s = 60;
	c->busy_timeout_ms = 50;
	c->mode = PURCHASE_COMPOUND;
	c->capp_fallback = true;
	c->select = SELECT_PPSE;
	c->max_fare_fen = 10000;
	c->max_balance_fen = 100000; /* 1000 yuan: the national EP cap */
	c->clock_tolerance_s = 300;
	c->grey_window_s = 600;
	memset(c->charge_percent, 100, sizeof(c->charge_percent));
	c->qr_bounce_s = 2;
	c->qr_repeat_window_s = 60;
	c->qr_future_tolerance_s = 20;
	config_qr_account_defaults(c);
	c->uplink = (struct ykt_uplink_config){
		.batch_records = 500,
		.batch_bytes = 1 << 20,
		.interval_s = 300,
		.retention_days = 30,
		.timeout_s = 60,
		.connect_timeout_s = 10,
		.attempts = 5,
		.backoff_min_ms = 1000,
		.backoff_max_s = 600,
		.busy_timeout_ms = 2000,
	};
}

static int set_int(const struct config_key *k, void *field, const char *value, char *err, size_t n)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno || end == value || *end || v < k->min || v > k->max) {
		snprintf(err, n, "'%s' is not a number from %lld to %lld", value, (long long)k->min,
			 (long long)k->max);
		return -EINVAL;
	}
	if (k->size == 1)
		*(uint8_t *)field = (uint8_t)v;
	else if (k->size == sizeof(int))
		*(int *)field = (int)v;
	else
		*(int64_t *)field = v;
	return 0;
}

static int set_enum(const struct config_key *k, void *field, const char *value, char *err, size_t n)
{
	size_t used;

	for (int i = 0; k->choices[i]; i++) {
		if (strcmp(value, k->choices[i]) == 0) {
			*(int *)field = i;
			return 0;
		}
	}
	used = (size_t)snprintf(err, n, "'%s' is not one of: %s", value, k->choices[0]);
	for (int i = 1; k->choices[i] && used < n; i++)
		used += (size_t)snprintf(err + used, n - used, ", %s", k->choices[i]);
	return -EINVAL;
}

static int set_bool(void *field, const char *value, char *err, size_t n)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
		*(bool *)field = true;
	else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0)
		*(bool *)field = false;
	else {
		snprintf(err, n, "'%s' is not yes or no", value);
		return -EINVAL;
	}
	return 0;
}

/* sim:relative/file → sim:<config dir>/relative/file, so that a config works
 * from any working directory */
static int set_path(const struct config_parse *p, char *field, size_t size, const char *value,
		    const char *prefix, char *err, size_t n)
{
	const char *rest = value + strlen(prefix);
	int w;

	if (rest[0] == '/' || rest[0] == '\0' || !p->dir[0])
		w = snprintf(field, size, "%s", value);
	else
		w = snprintf(field, size, "%s%s/%s", prefix, p->dir, rest);
	if (w < 0 || (size_t)w >= size) {
		snprintf(err, n, "too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The clock is checked by opening it: system:, sim:TIME, and in simulator
 * builds file:PATH (test-only, relative to the configuration's directory). */
static int set_clock(const struct config_parse *p, const struct config_key *k, char *field,
		     const char *value, char *err, size_t n)
{
	bool file = strncmp(value, "file:", 5) == 0;
	struct ykt_clock *c;
	int r = set_path(p, field, k->size, value, file ? "file:" : value, err, n);

	if (r == 0 && ykt_clock_new(field, &c) == 0) {
		ykt_clock_free(c);
		return 0;
	}
	snprintf(err, n, "'%s' is neither system: nor sim:YYYY-MM-DDThh:mm:ss%s", value,
		 YKT_WITH_SIM ? " nor file:PATH" : "");
	return -EINVAL;
}

static int set_string(const struct config_key *k, char *field, const char *value, char *err,
		      size_t n);

static int set_uri(const struct config_parse *p, const struct config_key *k, char *field,
		   const char *value, char *err, size_t n)
{
	if (k->kind == K_READER && !ykt_reader_scheme_known(value)) {
		snprintf(err, n, "unknown driver in '%s' (this build has: %s)", value,
			 ykt_reader_schemes());
		return -EINVAL;
	}
	if (k->kind == K_SAM && !ykt_sam_scheme_known(value)) {
		snprintf(err, n, "unknown driver in '%s' (this build has: %s)", value,
			 ykt_sam_schemes());
		return -EINVAL;
	}
	if (k->kind == K_SCANNER && !ykt_scanner_scheme_known(value)) {
		snprintf(err, n, "unknown driver in '%s' (this build has: %s)", value,
			 ykt_scanner_schemes());
		return -EINVAL;
	}
	if (k->kind == K_DISPLAY && !ykt_display_scheme_known(value)) {
		snprintf(err, n, "unknown display in '%s' (this build has: %s)", value,
			 ykt_display_schemes());
		return -EINVAL;
	}
	if (k->kind == K_GPIO && strcmp(value, "none") != 0 && !ykt_gpio_scheme_known(value)) {
		snprintf(err, n, "unknown output driver in '%s' (this build has: none, %s)", value,
			 ykt_gpio_schemes());
		return -EINVAL;
	}
	if (k->kind == K_STOPS) {
		/* device nodes (keys:, nmea:) are absolute; sim: names no file */
		if (strcmp(value, "none") != 0 && !ykt_stop_scheme_known(value)) {
			snprintf(err, n, "unknown stop source in '%s' (this build has: none, %s)",
				 value, ykt_stop_schemes());
			return -EINVAL;
		}
		return set_string(k, field, value, err, n);
	}
	if (k->kind == K_DISPLAY || k->kind == K_GPIO) {
		/* png:shots → png:<config dir>/shots, like sim: files */
		char prefix[16];

		snprintf(prefix, sizeof(prefix), "%.*s", (int)strcspn(value, ":") + 1, value);
		return set_path(p, field, k->size, value, strchr(value, ':') ? prefix : value, err,
				n);
	}
	if (k->kind == K_CLOCK)
		return set_clock(p, k, field, value, err, n);
	return set_path(p, field, k->size, value, strncmp(value, "sim:", 4) == 0 ? "sim:" : value,
			err, n);
}

static int set_hex(const struct config_key *k, void *field, const char *value, char *err, size_t n)
{
	uint8_t buf[16];

	if (k->size > sizeof(buf) || ykt_hex_decode(value, buf, k->size) < 0) {
		snprintf(err, n, "'%s' is not %zu bytes of hex", value, k->size);
		return -EINVAL;
	}
	memcpy(field, buf, k->size);
	return 0;
}

static int set_hex16(void *field, const char *value, char *err, size_t n)
{
	uint8_t buf[2];

	if (ykt_hex_decode(value, buf, 2) < 0) {
		snprintf(err, n, "'%s' is not 4 hex digits", value);
		return -EINVAL;
	}
	*(uint16_t *)field = ykt_be16(buf);
	return 0;
}

static int set_string(const struct config_key *k, char *field, const char *value, char *err,
		      size_t n)
{
	size_t len = strlen(value);

	if (len >= k->size || (k->min > 0 && len == 0)) {
		snprintf(err, n, "must be %s%zu characters at most", k->min ? "1 to " : "",
			 k->size - 1);
		return -EINVAL;
	}
	memcpy(field, value, len + 1);
	return 0;
}

static int set_value(struct config_parse *p, const struct config_key *k, const char *value)
{
	void *field = (char *)p->cfg + k->offset;
	char *err = p->detail;
	size_t n = sizeof(p->detail);

	switch (k->kind) {
	case K_STRING:
		return set_string(k, field, value, err, n);
	case K_HEX:
		return set_hex(k, field, value, err, n);
	case K_BCD:
		if (set_hex(k, field, value, err, n) == 0 && ykt_bcd_valid(field, k->size))
			return 0;
		snprintf(err, n, "'%s' is not %zu decimal digits", value, 2 * k->size);
		return -EINVAL;
	case K_HEX16:
		return set_hex16(field, value, err, n);
	case K_INT:
		return set_int(k, field, value, err, n);
	case K_ENUM:
		return set_enum(k, field, value, err, n);
	case K_BOOL:
		return set_bool(field, value, err, n);
	case K_PATH:
		return set_path(p, field, k->size, value, "", err, n);
	case K_GPIO_LINE:
		if (ykt_gpio_line_parse(value, field) == 0)
			return 0;
		snprintf(err, n, "'%s' is not CHIP:OFFSET[:active-low]", value);
		return -EINVAL;
	case K_TIME:
		if (ykt_parse_cst_iso(value, (int64_t *)field) == 0)
			return 0;
		snprintf(err, n, "'%s' is not YYYY-MM-DDThh:mm:ss", value);
		return -EINVAL;
	default:
		return set_uri(p, k, field, value, err, n);
	}
}

/* [charge_percent] 02 = 50: card type (hex) pays 50 % of the fare */
static int set_charge_percent(struct config_parse *p, const char *name, const char *value)
{
	static const struct config_key pct = { .kind = K_INT, .size = 1, .min = 0, .max = 100 };
	uint8_t type;

	if (ykt_hex_decode(name, &type, 1) < 0) {
		snprintf(p->detail, sizeof(p->detail), "card type '%s' is not one hex byte", name);
		return -EINVAL;
	}
	return set_int(&pct, &p->cfg->charge_percent[type], value, p->detail, sizeof(p->detail));
}

/* [qr_account_types] 02 = 02: QR account type (hex) pays as that card type */
static int set_qr_account_type(struct config_parse *p, const char *name, const char *value)
{
	uint8_t account, card;

	if (ykt_hex_decode(name, &account, 1) < 0) {
		snprintf(p->detail, sizeof(p->detail), "account type '%s' is not one hex byte",
			 name);
		return -EINVAL;
	}
	if (ykt_hex_decode(value, &card, 1) < 0) {
		snprintf(p->detail, sizeof(p->detail), "card type '%s' is not one hex byte", value);
		return -EINVAL;
	}
	p->cfg->qr_card_type[account] = card;
	return 0;
}

/* The hex digits of a key file (white space between them allowed), at most
 * cap bytes of key. */
static int read_key_file(const struct config_parse *p, const char *name, uint8_t *out, size_t cap)
{
	char path[PATH_MAX], text[512], digits[sizeof(text)];
	size_t n = 0, len;
	FILE *f;

	int w = name[0] == '/' || !p->dir[0] ? snprintf(path, sizeof(path), "%s", name)
					     : snprintf(path, sizeof(path), "%s/%s", p->dir, name);

	if (w < 0 || (size_t)w >= sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')
			continue;
		digits[n++] = text[i];
	}
	digits[n] = '\0';
	return len == sizeof(text) - 1 ? -E2BIG : ykt_hex_decode_var(digits, out, cap);
}

/* A root key's point: 33 bytes compressed, 65 uncompressed, or the 64
 * bytes x || y of a root key file (the 04 is put in front). */
static int qr_root_point(const struct config_parse *p, const char *key, struct qr_root_key *k)
{
	uint8_t buf[QR_ROOT_PUBKEY_MAX + 1];
	bool hex = strspn(key, "0123456789abcdefABCDEF") == strlen(key);
	int n = hex ? ykt_hex_decode_var(key, buf, sizeof(buf))
		    : read_key_file(p, key, buf, sizeof(buf));

	if (n == 64) {
		memmove(buf + 1, buf, 64);
		buf[0] = 0x04;
		n = 65;
	}
	if (n == -ENOENT || n == -EACCES)
		return n;
	if (n != 33 && n != 65)
		return -EINVAL;
	memcpy(k->pubkey, buf, (size_t)n);
	k->pubkey_len = (uint8_t)n;
	return 0;
}

/* [qr] root_key = VERSION INDEX EXPIRY KEY, e.g.
 * root_key = 80 01 2030-12-31T23:59:59 keys/qr-root-80-01.hex */
static int set_qr_root(struct config_parse *p, const char *value)
{
	struct ykt_config *c = p->cfg;
	char ver[8], idx[8], expiry[32], key[200];
	struct qr_root_key k = { 0 };
	int n = 0, r;

	if (sscanf(value, "%7s %7s %31s %199s %n", ver, idx, expiry, key, &n) != 4 || value[n]) {
		snprintf(p->detail, sizeof(p->detail), "expected VERSION INDEX EXPIRY KEY");
		return -EINVAL;
	}
	if (ykt_hex_decode(ver, &k.version, 1) < 0 ||
	    (k.version != QR_VERSION_INTERCONNECT && k.version != QR_VERSION_LOCAL)) {
		snprintf(p->detail, sizeof(p->detail), "version '%s' is not 80 or 81", ver);
		return -EINVAL;
	}
	if (ykt_hex_decode(idx, &k.index, 1) < 0) {
		snprintf(p->detail, sizeof(p->detail), "index '%s' is not one hex byte", idx);
		return -EINVAL;
	}
	if (ykt_parse_cst_iso(expiry, &k.expiry_utc) < 0) {
		snprintf(p->detail, sizeof(p->detail), "expiry '%s' is not YYYY-MM-DDThh:mm:ss",
			 expiry);
		return -EINVAL;
	}
	r = qr_root_point(p, key, &k);
	if (r < 0 || qr_root_key_check(&k) < 0) {
		snprintf(p->detail, sizeof(p->detail), "key '%.60s': %s", key,
			 r == -EINVAL || r == 0
			     ? "not an SM2 public key (33, 64 or 65 bytes of hex)"
			     : strerror(-r));
		return -EINVAL;
	}
	for (size_t i = 0; i < c->n_qr_roots; i++) {
		if (c->qr_roots[i].version == k.version && c->qr_roots[i].index == k.index) {
			snprintf(p->detail, sizeof(p->detail), "a second key %02X %02X", k.version,
				 k.index);
			return -EINVAL;
		}
	}
	if (c->n_qr_roots == CONFIG_QR_ROOTS_MAX) {
		snprintf(p->detail, sizeof(p->detail), "more than %d root keys",
			 CONFIG_QR_ROOTS_MAX);
		return -EINVAL;
	}
	c->qr_roots[c->n_qr_roots++] = k;
	return 0;
}

static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_parse *p = user;
	int r = -ENOENT;

	if (p->err[0])
		return 1; /* report the first error only */
	if (strcmp(section, "charge_percent") == 0)
		r = set_charge_percent(p, name, value);
	else if (strcmp(section, "qr_account_types") == 0)
		r = set_qr_account_type(p, name, value);
	else if (strcmp(section, "qr") == 0 && strcmp(name, "root_key") == 0)
		r = set_qr_root(p, value);
	for (size_t i = 0; r == -ENOENT && i < N_CONFIG_KEYS; i++) {
		if (strcmp(config_keys[i].section, section) || strcmp(config_keys[i].name, name))
			continue;
		p->seen[i] = true;
		r = set_value(p, &config_keys[i], value);
	}
	if (r == -ENOENT)
		snprintf(p->detail, sizeof(p->detail), "unknown key");
	if (r < 0) {
		snprintf(p->err, sizeof(p->err), "[%.40s] %.40s: %s", section, name, p->detail);
		return 0;
	}
	return 1;
}

static bool config_seen(const struct config_parse *p, const char *section, const char *name)
{
	for (size_t i = 0; i < N_CONFIG_KEYS; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return p->seen[i];
	return false;
}

/* Warning thresholds not given follow their limits: four times the free
 * space floor, 80 % of the record cap. */
static void config_store_warnings(struct config_parse *p)
{
	struct ykt_config *c = p->cfg;

	if (!config_seen(p, "store", "warn_free_bytes"))
		c->warn_free_bytes =
		    c->min_free_bytes > UINT64_MAX / 4 ? c->min_free_bytes : c->min_free_bytes * 4;
	if (!config_seen(p, "store", "warn_records"))
		c->warn_records = c->max_records / 5 * 4 + c->max_records % 5 * 4 / 5;
}

/* Debian's libinih reads lines of at most 199 characters and would parse the
 * rest of a longer one as a line of its own (or a comment, silently cutting
 * the value): refuse such a file first, naming the key. */
#define CONFIG_MAX_LINE 199

static int config_check_lines(const char *path, char *errbuf, size_t errbuf_len)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, r = 0;
	char section[64] = "";

	if (!f)
		return 0; /* ini_parse reports it */
	while (r == 0 && (len = getline(&line, &cap, f)) >= 0) {
		const char *key = line + strspn(line, " \t");

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (key[0] == '[')
			snprintf(section, sizeof(section), "%.*s", (int)strcspn(key + 1, "]"),
				 key + 1);
		if (len <= CONFIG_MAX_LINE)
			continue;
		snprintf(errbuf, errbuf_len, "%s:%d: [%s] %.*s: line longer than %d characters",
			 path, lineno, section, (int)strcspn(key, " \t=:"), key, CONFIG_MAX_LINE);
		r = YKT_E_CONFIG;
	}
	free(line);
	fclose(f);
	return r;
}

const char *ykt_config_sam_uri(const struct ykt_config *cfg, int n)
{
	const char *const uris[CONFIG_SAM_SLOTS] = { cfg->sam_uri, cfg->sam2_uri, cfg->sam3_uri,
						     cfg->sam4_uri };

	return n >= 1 && n <= CONFIG_SAM_SLOTS ? uris[n - 1] : "";
}

/* Each card family's slot must be configured, and no two share one. */
static int config_check_slots(const char *path, const struct ykt_config *c, char *errbuf,
			      size_t errbuf_len)
{
	const char *why = NULL, *key = NULL;

	if (!ykt_config_sam_uri(c, c->tunion_slot)[0]) {
		key = "tunion";
		why = "names a slot with no sam URI in [hardware]";
	} else if (c->local_slot && !ykt_config_sam_uri(c, c->local_slot)[0]) {
		key = "local";
		why = "names a slot with no sam URI in [hardware]";
	} else if (c->local_slot == c->tunion_slot) {
		key = "local";
		why = "is the T-Union slot too; each family needs its own PSAM";
	}
	if (!why)
		return 0;
	snprintf(errbuf, errbuf_len, "%s: [psam] %s: slot %d %s", path, key,
		 strcmp(key, "tunion") == 0 ? c->tunion_slot : c->local_slot, why);
	return YKT_E_CONFIG;
}

int ykt_config_load(const char *path, struct ykt_config *ret, char *errbuf, size_t errbuf_len)
{
	struct config_parse p = { .cfg = ret };
	const char *slash = strrchr(path, '/');
	int line;

	config_defaults(ret);
	if (slash)
		snprintf(p.dir, sizeof(p.dir), "%.*s", slash == path ? 1 : (int)(slash - path),
			 path);
	if (config_check_lines(path, errbuf, errbuf_len) < 0)
		return YKT_E_CONFIG;
	line = ini_parse(path, config_handler, &p);
	if (line == -1) {
		int err = errno ? errno : EIO;

		snprintf(errbuf, errbuf_len, "%s: %s", path, strerror(err));
		return -err;
	}
	if (line != 0) {
		snprintf(errbuf, errbuf_len, "%s:%d: %s", path, line,
			 p.err[0] ? p.err : "not an INI line (expected key = value or [section])");
		return YKT_E_CONFIG;
	}
	for (size_t i = 0; i < N_CONFIG_KEYS; i++) {
		if (config_keys[i].required && !p.seen[i]) {
			snprintf(errbuf, errbuf_len, "%s: [%s] %s: missing", path,
				 config_keys[i].section, config_keys[i].name);
			return YKT_E_CONFIG;
		}
	}
	if (config_check_slots(path, ret, errbuf, errbuf_len) < 0)
		return YKT_E_CONFIG;
	/* records and keys never travel in clear text */
	if (ret->uplink.url[0] && strncmp(ret->uplink.url, "https://", 8) != 0) {
		snprintf(errbuf, errbuf_len, "%s: [uplink] url: '%s' is not an https:// URL", path,
			 ret->uplink.url);
		return YKT_E_CONFIG;
	}
	if (ret->params_dir[0] && !ret->params_public_key[0]) {
		snprintf(errbuf, errbuf_len, "%s: [params] public_key: missing (needed with dir)",
			 path);
		return YKT_E_CONFIG;
	}
	config_store_warnings(&p);
	if (ret->warn_free_bytes && ret->warn_free_bytes < ret->min_free_bytes) {
		snprintf(errbuf, errbuf_len,
			 "%s: [store] warn_free_bytes: %llu is below min_free_bytes %llu", path,
			 (unsigned long long)ret->warn_free_bytes,
			 (unsigned long long)ret->min_free_bytes);
		return YKT_E_CONFIG;
	}
	if (ret->max_records && ret->warn_records > ret->max_records) {
		snprintf(errbuf, errbuf_len,
			 "%s: [store] warn_records: %lld is above max_records %lld", path,
			 (long long)ret->warn_records, (long long)ret->max_records);
		return YKT_E_CONFIG;
	}
	if (ret->fare_fen > ret->max_fare_fen) {
		snprintf(errbuf, errbuf_len,
			 "%s: [purchase] fare_fen: %lld is above max_fare_fen %lld", path,
			 (long long)ret->fare_fen, (long long)ret->max_fare_fen);
		return YKT_E_CONFIG;
	}
	return 0;
}
