/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Card and PSAM profiles and test key files: INI text through inih, each
 * key described once in a table (name, kind, where it goes), so a new
 * profile key is one line and every bad value gets a message that names
 * the file and the key ("adult.card: balance_fen: not a number").
 */
#include "sim_private.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "bytes.h"
#include "ykt_error.h"

enum field_kind {
	F_HEX,	  /* exactly size bytes of hex */
	F_UID,	  /* 4, 7 or 10 bytes of hex; length at aux */
	F_BCD,	  /* size bytes of hex that are all decimal digits */
	F_DATE,	  /* YYYYMMDD, a real date, stored as 4 BCD bytes */
	F_DEC,	  /* decimal number <= max, stored in size bytes; flag at aux */
	F_STATE,  /* active | blocked_temp | blocked_perm */
	F_STRING, /* text of fewer than size bytes */
};

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;
	size_t size;
	uint64_t max;
	size_t aux; /* F_UID: offset of the length; F_DEC: offset of a "given" bool, or 0 */
	bool required;
};

#define CARD_FIELD(k, kind, member, max, aux, req)                                                 \
	{                                                                                          \
		k, kind, offsetof(struct sim_card_profile, member),                                \
		    sizeof(((struct sim_card_profile *)0)->member), max, aux, req                  \
	}
#define PSAM_FIELD(k, kind, member, max, req)                                                      \
	{                                                                                          \
		k, kind, offsetof(struct sim_psam_profile, member),                                \
		    sizeof(((struct sim_psam_profile *)0)->member), max, 0, req                    \
	}

static const struct field card_fields[] = {
	CARD_FIELD("name", F_STRING, name, 0, 0, false),
	CARD_FIELD("uid", F_UID, uid, 0, offsetof(struct sim_card_profile, uid_len), true),
	CARD_FIELD("issuer_id", F_HEX, issuer_id, 0, 0, true),
	CARD_FIELD("app_type", F_HEX, app_type, 0, 0, false),
	CARD_FIELD("app_version", F_HEX, app_version, 0, 0, false),
	CARD_FIELD("app_serial", F_HEX, app_serial, 0, 0, true),
	CARD_FIELD("start_date", F_DATE, start_date, 0, 0, false),
	CARD_FIELD("expiry_date", F_DATE, expiry_date, 0, 0, false),
	CARD_FIELD("card_type", F_HEX, card_type, 0, 0, false),
	CARD_FIELD("deposit", F_HEX, deposit, 0, 0, false),
	CARD_FIELD("country", F_HEX, country, 0, 0, false),
	CARD_FIELD("province", F_HEX, province, 0, 0, false),
	CARD_FIELD("city", F_HEX, city, 0, 0, false),
	CARD_FIELD("interconnect", F_HEX, interconnect, 0, 0, false),
	CARD_FIELD("card_kind", F_HEX, card_kind, 0, 0, false),
	/* the INIT answer and the overdraft field carry 3-byte amounts */
	CARD_FIELD("balance_fen", F_DEC, balance_fen, 0xFFFFFF, 0, true),
	CARD_FIELD("overdraft_limit_fen", F_DEC, overdraft_limit_fen, 0xFFFFFF, 0, false),
	CARD_FIELD("offline_atc", F_DEC, offline_atc, 0xFFFF, 0, false),
	CARD_FIELD("key_index", F_HEX, key_index, 0, 0, false),
	CARD_FIELD("key_version", F_HEX, key_version, 0, 0, false),
	CARD_FIELD("algorithm_id", F_HEX, algorithm_id, 0, 0, false),
	CARD_FIELD("state", F_STATE, state, 0, 0, false),
	CARD_FIELD("capp", F_DEC, capp, 1, 0, false),
	CARD_FIELD("seed", F_DEC, seed, UINT64_MAX, offsetof(struct sim_card_profile, has_seed),
		   false),
	CARD_FIELD("keys", F_STRING, keys_path, 0, 0, true),
};

static const struct field psam_fields[] = {
	PSAM_FIELD("name", F_STRING, name, 0, false),
	PSAM_FIELD("serial", F_HEX, serial, 0, true),
	PSAM_FIELD("terminal_no", F_BCD, terminal_no, 0, true),
	PSAM_FIELD("key_index", F_HEX, key_index, 0, false),
	PSAM_FIELD("key_version", F_HEX, key_version, 0, false),
	PSAM_FIELD("algorithm_id", F_HEX, algorithm_id, 0, false),
	PSAM_FIELD("txn_serial", F_DEC, txn_serial, UINT32_MAX, false),
	PSAM_FIELD("keys", F_STRING, keys_path, 0, true),
};

static const char *const state_names[] = { "active", "blocked_temp", "blocked_perm" };

/* What one ini_parse_file() run needs; the first error wins. */
struct parse_ctx {
	const struct field *fields;
	size_t n_fields;
	void *out;
	uint64_t seen;	  /* bit per field */
	const char *file; /* base name for messages */
	char *err;
	size_t err_len;
	bool failed;
};

static void set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int fail(struct parse_ctx *c, const char *key, const char *why)
{
	if (!c->failed)
		set_err(c->err, c->err_len, "%s: %s: %s", c->file, key, why);
	c->failed = true;
	return 0; /* tells inih this line failed */
}

/* Only decimal digits: strtoull alone would take signs and spaces. */
static bool all_digits(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (*v < '0' || *v > '9')
			return false;
	return true;
}

static void store_uint(void *dst, size_t size, uint64_t v)
{
	if (size == 1) {
		*(uint8_t *)dst = (uint8_t)v;
	} else if (size == 2) {
		*(uint16_t *)dst = (uint16_t)v;
	} else if (size == 4) {
		*(uint32_t *)dst = (uint32_t)v;
	} else {
		*(uint64_t *)dst = v;
	}
}

static int set_dec(struct parse_ctx *c, const struct field *f, const char *v)
{
	unsigned long long n;
	char why[64];

	if (!all_digits(v))
		return fail(c, f->key, "not a number");
	errno = 0;
	n = strtoull(v, NULL, 10);
	if (errno || n > f->max) {
		snprintf(why, sizeof(why), "out of range (0..%llu)", (unsigned long long)f->max);
		return fail(c, f->key, why);
	}
	store_uint((uint8_t *)c->out + f->off, f->size, n);
	if (f->aux)
		*(bool *)((uint8_t *)c->out + f->aux) = true;
	return 1;
}

static int set_hex(struct parse_ctx *c, const struct field *f, const char *v)
{
	char why[48];

	if (ykt_hex_decode(v, (uint8_t *)c->out + f->off, f->size) == 0)
		return 1;
	snprintf(why, sizeof(why), "not %zu byte%s of hex", f->size, f->size == 1 ? "" : "s");
	return fail(c, f->key, why);
}

static int set_uid(struct parse_ctx *c, const struct field *f, const char *v)
{
	int n = ykt_hex_decode_var(v, (uint8_t *)c->out + f->off, f->size);

	if (n != 4 && n != 7 && n != 10)
		return fail(c, f->key, "not 4, 7 or 10 bytes of hex");
	*(size_t *)((uint8_t *)c->out + f->aux) = (size_t)n;
	return 1;
}

static int set_bcd(struct parse_ctx *c, const struct field *f, const char *v)
{
	uint8_t *dst = (uint8_t *)c->out + f->off;
	char why[48];

	if (ykt_hex_decode(v, dst, f->size) == 0 && ykt_bcd_valid(dst, f->size))
		return 1;
	snprintf(why, sizeof(why), "not %zu decimal digits", 2 * f->size);
	return fail(c, f->key, why);
}

static int set_date(struct parse_ctx *c, const struct field *f, const char *v)
{
	uint8_t *dst = (uint8_t *)c->out + f->off;
	uint32_t ymd;

	if (strlen(v) != 8 || ykt_hex_decode(v, dst, 4) || ykt_bcd_date(dst, &ymd))
		return fail(c, f->key, "not a date YYYYMMDD");
	return 1;
}

static int set_state(struct parse_ctx *c, const struct field *f, const char *v)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (strcmp(v, state_names[i]) == 0) {
			store_uint((uint8_t *)c->out + f->off, f->size, i);
			return 1;
		}
	}
	return fail(c, f->key, "not one of active, blocked_temp, blocked_perm");
}

static int set_string(struct parse_ctx *c, const struct field *f, const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return fail(c, f->key, "empty");
	if (n >= f->size)
		return fail(c, f->key, "too long");
	memcpy((char *)c->out + f->off, v, n + 1);
	return 1;
}

static int set_field(struct parse_ctx *c, const struct field *f, const char *v)
{
	switch (f->kind) {
	case F_HEX:
		return set_hex(c, f, v);
	case F_UID:
		return set_uid(c, f, v);
	case F_BCD:
		return set_bcd(c, f, v);
	case F_DATE:
		return set_date(c, f, v);
	case F_DEC:
		return set_dec(c, f, v);
	case F_STATE:
		return set_state(c, f, v);
	case F_STRING:
		return set_string(c, f, v);
	}
	return fail(c, f->key, "unsupported field kind");
}

static int profile_handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;

	if (c->failed)
		return 0;
	if (section[0])
		return fail(c, name, "unexpected (profiles have no [sections])");
	for (size_t i = 0; i < c->n_fields; i++) {
		if (strcmp(name, c->fields[i].key) != 0)
			continue;
		/* inih reports indented continuation lines as a repeat too */
		if (c->seen & (UINT64_C(1) << i))
			return fail(c, name, "given twice");
		c->seen |= UINT64_C(1) << i;
		return set_field(c, &c->fields[i], value);
	}
	return fail(c, name, "unknown key");
}

/* Run inih over path with handler. Returns 0, -errno when the file cannot
 * be opened, YKT_E_CONFIG (message set) otherwise. */
static int parse_file(const char *path, ini_handler handler, struct parse_ctx *c)
{
	FILE *f = fopen(path, "re");
	int line, r;

	if (!f) {
		r = -errno;
		set_err(c->err, c->err_len, "%s: %s", c->file, strerror(errno));
		return r;
	}
	line = ini_parse_file(f, handler, c);
	fclose(f);
	if (line == 0 && !c->failed)
		return 0;
	if (!c->failed)
		set_err(c->err, c->err_len, "%s:%d: %s", c->file, line,
			line > 0 ? "not a key = value line" : "cannot be read");
	return line == -2 ? -ENOMEM : YKT_E_CONFIG;
}

static int check_required(struct parse_ctx *c)
{
	for (size_t i = 0; i < c->n_fields; i++) {
		if (c->fields[i].required && !(c->seen & (UINT64_C(1) << i))) {
			fail(c, c->fields[i].key, "missing");
			return YKT_E_CONFIG;
		}
	}
	return 0;
}

static int parse_profile(const char *path, const struct field *fields, size_t n_fields, void *out,
			 char *err, size_t err_len)
{
	struct parse_ctx c = {
		.fields = fields,
		.n_fields = n_fields,
		.out = out,
		.file = base_name(path),
		.err = err,
		.err_len = err_len,
	};
	int r = parse_file(path, profile_handler, &c);

	return r < 0 ? r : check_required(&c);
}

/* ---- key files ---- */

struct keys_ctx {
	struct parse_ctx base;
	uint8_t want;
	bool found;
	struct sim_keyset *out;
};

static const struct {
	const char *name;
	size_t off;
	size_t has_off;
} key_slots[] = {
	{ "mpk", offsetof(struct sim_keyset, mpk), offsetof(struct sim_keyset, has_mpk) },
	{ "mtk", offsetof(struct sim_keyset, mtk), offsetof(struct sim_keyset, has_mtk) },
	{ "mlk", offsetof(struct sim_keyset, mlk), offsetof(struct sim_keyset, has_mlk) },
	{ "mamk", offsetof(struct sim_keyset, mamk), offsetof(struct sim_keyset, has_mamk) },
};

/* "key.01" -> 0x01 */
static bool parse_key_section(const char *section, uint8_t *ret_index)
{
	return strncmp(section, "key.", 4) == 0 && strlen(section) == 6 &&
	       ykt_hex_decode(section + 4, ret_index, 1) == 0;
}

static int key_value(struct keys_ctx *k, const char *section, const char *name, const char *value,
		     uint8_t index)
{
	char what[80];
	uint8_t key[16];

	for (size_t i = 0; i < sizeof(key_slots) / sizeof(key_slots[0]); i++) {
		if (strcmp(name, key_slots[i].name) != 0)
			continue;
		snprintf(what, sizeof(what), "[%s] %s", section, name);
		if (ykt_hex_decode(value, key, sizeof(key)))
			return fail(&k->base, what, "not 16 bytes of hex");
		if (index == k->want) {
			k->found = true;
			memcpy((uint8_t *)k->out + key_slots[i].off, key, 16);
			*(bool *)((uint8_t *)k->out + key_slots[i].has_off) = true;
		}
		return 1;
	}
	snprintf(what, sizeof(what), "[%s] %s", section, name);
	return fail(&k->base, what, "unknown key");
}

static int keys_handler(void *user, const char *section, const char *name, const char *value)
{
	struct keys_ctx *k = user;
	char what[80];
	uint8_t index;

	if (k->base.failed)
		return 0;
	if (!parse_key_section(section, &index)) {
		snprintf(what, sizeof(what), "[%s]", section);
		return fail(&k->base, what, "not a [key.NN] section");
	}
	return key_value(k, section, name, value, index);
}

int sim_keys_load(const char *path, uint8_t key_index, struct sim_keyset *ret, char *err,
		  size_t err_len)
{
	struct sim_keyset set = { .index = key_index };
	struct keys_ctx k = {
		.base = { .file = base_name(path), .err = err, .err_len = err_len },
		.want = key_index,
		.out = &set,
	};
	int r = parse_file(path, keys_handler, &k.base);

	if (r < 0)
		return r;
	if (!k.found) {
		set_err(err, err_len, "%s: no [key.%02X] section", k.base.file, key_index);
		return YKT_E_CONFIG;
	}
	*ret = set;
	return 0;
}

/* keys = is relative to the profile's own directory. */
static int resolve_keys_path(const char *profile, const char *keys, char *out, size_t cap)
{
	const char *slash = strrchr(profile, '/');
	int n;

	if (keys[0] == '/' || !slash)
		n = snprintf(out, cap, "%s", keys);
	else
		n = snprintf(out, cap, "%.*s/%s", (int)(slash - profile), profile, keys);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Load the profile's key set; a key-file problem is reported under the
 * profile's "keys" entry so the user sees where it came from. */
static int load_profile_keys(const char *profile, const char *keys_path, uint8_t key_index,
			     struct sim_keyset *ret, char *err, size_t err_len)
{
	char path[SIM_PATH_MAX * 2], why[256] = "";
	int r;

	r = resolve_keys_path(profile, keys_path, path, sizeof(path));
	if (r == 0)
		r = sim_keys_load(path, key_index, ret, why, sizeof(why));
	if (r < 0)
		set_err(err, err_len, "%s: keys: %s", base_name(profile),
			why[0] ? why : "path too long");
	return r;
}

static void name_from_path(const char *path, char *name, size_t cap)
{
	const char *base = base_name(path);
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);

	if (n >= cap)
		n = cap - 1;
	memcpy(name, base, n);
	name[n] = '\0';
}

static void card_defaults(struct sim_card_profile *p)
{
	static const uint8_t country[4] = { 0x00, 0x00, 0x01, 0x56 };

	*p = (struct sim_card_profile){
		.app_type = 0x02,
		.app_version = 0x01,
		.start_date = { 0x20, 0x20, 0x01, 0x01 },
		.expiry_date = { 0x20, 0x99, 0x12, 0x31 },
		.card_type = 0x01,
		.interconnect = { 0x00, 0x01 },
		.card_kind = 0x01,
		.key_index = 0x01,
		.key_version = 0x01,
		.algorithm_id = 0x00,
		.state = SIM_CARD_ACTIVE,
		.capp = 1,
	};
	memcpy(p->country, country, sizeof(country));
}

int sim_card_profile_load(const char *path, struct sim_card_profile *ret, char *err, size_t err_len)
{
	struct sim_card_profile p;
	int r;

	card_defaults(&p);
	r = parse_profile(path, card_fields, sizeof(card_fields) / sizeof(card_fields[0]), &p, err,
			  err_len);
	if (r == 0)
		r = load_profile_keys(path, p.keys_path, p.key_index, &p.keys, err, err_len);
	if (r == 0 && (!p.keys.has_mpk || !p.keys.has_mtk)) {
		set_err(err, err_len, "%s: keys: [key.%02X] lacks mpk or mtk", base_name(path),
			p.key_index);
		r = YKT_E_CONFIG;
	}
	if (r == 0 && !p.name[0])
		name_from_path(path, p.name, sizeof(p.name));
	if (r == 0)
		*ret = p;
	return r;
}

int sim_psam_profile_load(const char *path, struct sim_psam_profile *ret, char *err, size_t err_len)
{
	struct sim_psam_profile p = { .key_index = 0x01, .key_version = 0x01 };
	int r;

	r = parse_profile(path, psam_fields, sizeof(psam_fields) / sizeof(psam_fields[0]), &p, err,
			  err_len);
	if (r == 0)
		r = load_profile_keys(path, p.keys_path, p.key_index, &p.keys, err, err_len);
	if (r == 0 && !p.keys.has_mpk) {
		set_err(err, err_len, "%s: keys: [key.%02X] lacks mpk", base_name(path),
			p.key_index);
		r = YKT_E_CONFIG;
	}
	if (r == 0 && !p.name[0])
		name_from_path(path, p.name, sizeof(p.name));
	if (r == 0)
		*ret = p;
	return r;
}
