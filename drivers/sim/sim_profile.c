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
	F_VARHEX, /* n bytes of hex, bit n of max set; length (size_t) at aux */
	F_UID,	  /* F_VARHEX, or "random" (length 0) */
	F_BCD,	  /* size bytes of hex that are all decimal digits */
	F_DATE,	  /* YYYYMMDD, a real date, stored as 4 BCD bytes */
	F_DEC,	  /* decimal number <= max, stored in size bytes; flag at aux */
	F_ENUM,	  /* one of names[], its index stored in size bytes; flag at aux */
	F_STRING, /* text of fewer than size bytes */
};

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;
	size_t size;
	uint64_t max;
	size_t aux; /* F_VARHEX, F_UID: offset of the length; F_DEC, F_ENUM: offset of a
		       "given" bool, or 0 */
	bool required;
	const char *const *names; /* F_ENUM: NULL-terminated */
};

#define CARD_MEMBER(member)                                                                        \
	offsetof(struct sim_card_profile, member), sizeof(((struct sim_card_profile *)0)->member)
#define CARD_FIELD(k, kind, member, max, aux, req)                                                 \
	{                                                                                          \
		k, kind, CARD_MEMBER(member), max, aux, req, NULL                                  \
	}
#define CARD_ENUM(k, member, names, aux)                                                           \
	{                                                                                          \
		k, F_ENUM, CARD_MEMBER(member), 0, aux, false, names                               \
	}
#define PSAM_FIELD(k, kind, member, max, req)                                                      \
	{                                                                                          \
		k, kind, offsetof(struct sim_psam_profile, member),                                \
		    sizeof(((struct sim_psam_profile *)0)->member), max, 0, req, NULL              \
	}
#define LEN_BIT(n) (UINT64_C(1) << (n))

static const char *const state_names[] = { "active", "blocked_temp", "blocked_perm", NULL };
/* in the order of enum sim_card_algorithm, enum sim_alg, enum sim_rf_type */
static const char *const algorithm_names[] = { "3des", "sm4", "dual", NULL };
static const char *const prefer_names[] = { "3des", "sm4", NULL };
static const char *const rf_type_names[] = { "A", "B", NULL };

static const struct field card_fields[] = {
	CARD_FIELD("name", F_STRING, name, 0, 0, false),
	CARD_FIELD("uid", F_UID, uid, LEN_BIT(4) | LEN_BIT(7) | LEN_BIT(10),
		   offsetof(struct sim_card_profile, uid_len), true),
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
	CARD_ENUM("algorithm", algorithm, algorithm_names, 0),
	CARD_ENUM("prefer", prefer, prefer_names, offsetof(struct sim_card_profile, has_prefer)),
	CARD_FIELD("aid", F_VARHEX, aid, LEN_BIT(8) | LEN_BIT(16),
		   offsetof(struct sim_card_profile, aid_len), false),
	CARD_FIELD("select_prefix", F_DEC, select_prefix, 1, 0, false),
	CARD_ENUM("rf_type", rf_type, rf_type_names, 0),
	CARD_ENUM("state", state, state_names, 0),
	CARD_FIELD("capp", F_DEC, capp, 1, 0, false),
	CARD_FIELD("fci_file15", F_DEC, fci_file15, 1, 0, false),
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

/* "4, 7 or 10" from a LEN_BIT mask */
static void lengths_text(uint64_t mask, char *buf, size_t cap)
{
	size_t len = 0;
	int last = 63;

	buf[0] = '\0';
	while (last > 0 && !(mask & LEN_BIT(last)))
		last--;
	for (int n = 1; n <= last && len < cap; n++) {
		const char *sep = n == last ? " or " : ", ";

		if (!(mask & LEN_BIT(n)))
			continue;
		len += (size_t)snprintf(buf + len, cap - len, "%s%d", buf[0] ? sep : "", n);
	}
}

static int set_varhex(struct parse_ctx *c, const struct field *f, const char *v)
{
	int n = ykt_hex_decode_var(v, (uint8_t *)c->out + f->off, f->size);
	char lens[32], why[64];

	if (n > 0 && n < 64 && (f->max & LEN_BIT(n))) {
		*(size_t *)((uint8_t *)c->out + f->aux) = (size_t)n;
		return 1;
	}
	lengths_text(f->max, lens, sizeof(lens));
	snprintf(why, sizeof(why), "not %s bytes of hex%s", lens,
		 f->kind == F_UID ? ", or random" : "");
	return fail(c, f->key, why);
}

static int set_uid(struct parse_ctx *c, const struct field *f, const char *v)
{
	if (strcmp(v, "random") != 0)
		return set_varhex(c, f, v);
	*(size_t *)((uint8_t *)c->out + f->aux) = 0;
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

static int set_enum(struct parse_ctx *c, const struct field *f, const char *v)
{
	char why[128] = "not one of ";
	size_t len = strlen(why);

	for (size_t i = 0; f->names[i]; i++) {
		if (strcmp(v, f->names[i]) == 0) {
			store_uint((uint8_t *)c->out + f->off, f->size, i);
			if (f->aux)
				*(bool *)((uint8_t *)c->out + f->aux) = true;
			return 1;
		}
	}
	for (size_t i = 0; f->names[i] && len < sizeof(why); i++)
		len += (size_t)snprintf(why + len, sizeof(why) - len, "%s%s", i ? ", " : "",
					f->names[i]);
	return fail(c, f->key, why);
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
	case F_VARHEX:
		return set_varhex(c, f, v);
	case F_UID:
		return set_uid(c, f, v);
	case F_BCD:
		return set_bcd(c, f, v);
	case F_DATE:
		return set_date(c, f, v);
	case F_DEC:
		return set_dec(c, f, v);
	case F_ENUM:
		return set_enum(c, f, v);
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
	struct parse_ctx base; /* base.out: the [sm4] choices */
	uint8_t want;
	bool found;
	uint32_t sm4_seen; /* bit per sm4_fields[] entry */
	struct sim_keyset *out;
};

#define KEY_SLOT(name, k)                                                                          \
	{                                                                                          \
		name, offsetof(struct sim_keyset, k), offsetof(struct sim_keyset, has_##k)         \
	}

static const struct {
	const char *name;
	size_t off;
	size_t has_off;
} key_slots[] = {
	KEY_SLOT("mpk", mpk),	      KEY_SLOT("mtk", mtk),	      KEY_SLOT("mlk", mlk),
	KEY_SLOT("mamk", mamk),	      KEY_SLOT("mpk_sm4", mpk_sm4),   KEY_SLOT("mtk_sm4", mtk_sm4),
	KEY_SLOT("mlk_sm4", mlk_sm4), KEY_SLOT("mamk_sm4", mamk_sm4),
};

/* [sm4]: the unconfirmed SM4 choices (docs/sm4.md), in the order of the
 * enums in pboc_crypto.h */
static const char *const sk_input_names[] = { "pad80", "zero", "repeat", NULL };
static const char *const mac_output_names[] = { "left4", "xor-halves-left4", NULL };
static const char *const tac_key_names[] = { "full", "xor-halves", "left-half", NULL };

#define SM4_FIELD(k, kind, member, names)                                                          \
	{                                                                                          \
		k, kind, offsetof(struct pboc_sm4_profile, member),                                \
		    sizeof(((struct pboc_sm4_profile *)0)->member), 0, 0, false, names             \
	}

static const struct field sm4_fields[] = {
	SM4_FIELD("algorithm_id", F_HEX, algorithm_id, NULL),
	SM4_FIELD("session_key_input", F_ENUM, session_key_input, sk_input_names),
	SM4_FIELD("mac_output", F_ENUM, mac_output, mac_output_names),
	SM4_FIELD("tac_key", F_ENUM, tac_key, tac_key_names),
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

	snprintf(what, sizeof(what), "[%s] %s", section, name);
	for (size_t i = 0; i < sizeof(key_slots) / sizeof(key_slots[0]); i++) {
		if (strcmp(name, key_slots[i].name) != 0)
			continue;
		if (ykt_hex_decode(value, key, sizeof(key)))
			return fail(&k->base, what, "not 16 bytes of hex");
		if (index == k->want) {
			k->found = true;
			memcpy((uint8_t *)k->out + key_slots[i].off, key, 16);
			*(bool *)((uint8_t *)k->out + key_slots[i].has_off) = true;
		}
		return 1;
	}
	return fail(&k->base, what, "unknown key");
}

/* The [sm4] entries go through the profile field parser, named "[sm4] x". */
static int sm4_value(struct keys_ctx *k, const char *name, const char *value)
{
	char what[80];

	snprintf(what, sizeof(what), "[sm4] %s", name);
	for (size_t i = 0; i < sizeof(sm4_fields) / sizeof(sm4_fields[0]); i++) {
		struct field f = sm4_fields[i];

		if (strcmp(name, f.key) != 0)
			continue;
		if (k->sm4_seen & (UINT32_C(1) << i))
			return fail(&k->base, what, "given twice");
		k->sm4_seen |= UINT32_C(1) << i;
		f.key = what;
		return set_field(&k->base, &f, value);
	}
	return fail(&k->base, what, "unknown key");
}

static int keys_handler(void *user, const char *section, const char *name, const char *value)
{
	struct keys_ctx *k = user;
	char what[80];
	uint8_t index;

	if (k->base.failed)
		return 0;
	if (strcmp(section, "sm4") == 0)
		return sm4_value(k, name, value);
	if (!parse_key_section(section, &index)) {
		snprintf(what, sizeof(what), "[%s]", section);
		return fail(&k->base, what, "not a [key.NN] or [sm4] section");
	}
	return key_value(k, section, name, value, index);
}

int sim_keys_load(const char *path, uint8_t key_index, struct sim_keyset *ret, char *err,
		  size_t err_len)
{
	struct sim_keyset set = { .index = key_index };
	struct keys_ctx k = {
		.base = { .file = base_name(path),
			  .err = err,
			  .err_len = err_len,
			  .out = &set.sm4 },
		.want = key_index,
		.out = &set,
	};
	int r;

	pboc_sm4_profile_default(&set.sm4);
	r = parse_file(path, keys_handler, &k.base);
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
	static const uint8_t ep_aid[8] = { 0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05 };

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
		.algorithm = SIM_CARD_ALG_3DES,
		.prefer = SIM_ALG_SM4,
		.aid_len = sizeof(ep_aid),
		.rf_type = SIM_RF_A,
		.state = SIM_CARD_ACTIVE,
		.capp = 1,
		.fci_file15 = 1,
	};
	memcpy(p->country, country, sizeof(country));
	memcpy(p->aid, ep_aid, sizeof(ep_aid));
}

/* The key sets the profile's algorithm needs are in the key file. */
static int card_keys_check(const char *path, const struct sim_card_profile *p, char *err,
			   size_t err_len)
{
	const struct sim_keyset *k = &p->keys;

	if (p->algorithm != SIM_CARD_ALG_SM4 && (!k->has_mpk || !k->has_mtk)) {
		set_err(err, err_len, "%s: keys: [key.%02X] lacks mpk or mtk", base_name(path),
			p->key_index);
		return YKT_E_CONFIG;
	}
	if (p->algorithm != SIM_CARD_ALG_3DES && (!k->has_mpk_sm4 || !k->has_mtk_sm4)) {
		set_err(err, err_len, "%s: keys: [key.%02X] lacks mpk_sm4 or mtk_sm4",
			base_name(path), p->key_index);
		return YKT_E_CONFIG;
	}
	return 0;
}

/* Rules between keys that the field table cannot express. */
static int card_check(const char *path, const struct sim_card_profile *p, char *err, size_t err_len)
{
	if (p->has_prefer && p->algorithm != SIM_CARD_ALG_DUAL) {
		set_err(err, err_len, "%s: prefer: only with algorithm = dual", base_name(path));
		return YKT_E_CONFIG;
	}
	if (p->rf_type == SIM_RF_B && p->uid_len != 0 && p->uid_len != 4) {
		set_err(err, err_len, "%s: uid: a Type B PUPI is 4 bytes", base_name(path));
		return YKT_E_CONFIG;
	}
	return card_keys_check(path, p, err, err_len);
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
	if (r == 0)
		r = card_check(path, &p, err, err_len);
	if (r == 0 && !p.name[0])
		name_from_path(path, p.name, sizeof(p.name));
	if (r == 0)
		*ret = p;
	return r;
}

/* A PSAM needs a purchase key of at least one algorithm, and the two
 * algorithm ids must tell its key sets apart. */
static int psam_check(const char *path, const struct sim_psam_profile *p, char *err, size_t err_len)
{
	const struct sim_keyset *k = &p->keys;

	if (!k->has_mpk && !k->has_mpk_sm4) {
		set_err(err, err_len, "%s: keys: [key.%02X] lacks mpk and mpk_sm4", base_name(path),
			p->key_index);
		return YKT_E_CONFIG;
	}
	if (k->has_mpk && k->has_mpk_sm4 && p->algorithm_id == k->sm4.algorithm_id) {
		set_err(err, err_len, "%s: algorithm_id: same as the key file's [sm4] algorithm_id",
			base_name(path));
		return YKT_E_CONFIG;
	}
	return 0;
}

int sim_psam_profile_load(const char *path, struct sim_psam_profile *ret, char *err, size_t err_len)
{
	struct sim_psam_profile p = { .key_index = 0x01, .key_version = 0x01 };
	int r;

	r = parse_profile(path, psam_fields, sizeof(psam_fields) / sizeof(psam_fields[0]), &p, err,
			  err_len);
	if (r == 0)
		r = load_profile_keys(path, p.keys_path, p.key_index, &p.keys, err, err_len);
	if (r == 0)
		r = psam_check(path, &p, err, err_len);
	if (r == 0 && !p.name[0])
		name_from_path(path, p.name, sizeof(p.name));
	if (r == 0)
		*ret = p;
	return r;
}
