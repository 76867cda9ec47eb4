/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scenario files: parsing, and the record layouts of the standard (scn.h). */
#include "scn.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- layouts, from reference/jtt978.md §2.5 (0x1A) and §2.6 (0x1E) ---- */

static const struct scn_field fields_2701[] = {
	{ "id", 0, 2, SCN_HEX },
	{ "state", 14, 1, SCN_HEX },
	{ "flag", 4, 1, SCN_HEX },
	{ "flow", 6, 8, SCN_HEX },
	{ "entry_city", 15, 2, SCN_HEX },
	{ "exit_city", 17, 2, SCN_HEX },
	{ "entry_institution", 19, 8, SCN_HEX },
	{ "exit_institution", 27, 8, SCN_HEX },
	{ "entry_station", 35, 8, SCN_STATION },
	{ "exit_station", 43, 8, SCN_STATION },
	{ "entry_device", 51, 8, SCN_HEX },
	{ "exit_device", 59, 8, SCN_HEX },
	{ "entry_time", 67, 7, SCN_TIME },
	{ "exit_time", 74, 7, SCN_TIME },
	{ "entry_line", 85, 1, SCN_HEX },
	{ "exit_line", 86, 1, SCN_HEX },
	{ "entry_amount", 87, 4, SCN_INT },
	{ "entry_balance", 91, 4, SCN_INT },
	{ "amount", 95, 4, SCN_INT },
};

static const struct scn_field fields_2702[] = {
	{ "id", 0, 2, SCN_HEX },
	{ "state", 14, 1, SCN_HEX },
	{ "flag", 4, 1, SCN_HEX },
	{ "flow", 6, 8, SCN_HEX },
	{ "board_city", 15, 2, SCN_HEX },
	{ "board_institution", 17, 8, SCN_HEX },
	{ "board_operator", 25, 2, SCN_HEX },
	{ "board_line", 27, 2, SCN_HEX },
	{ "board_stop", 29, 1, SCN_INT },
	{ "board_vehicle", 30, 8, SCN_ASCII },
	{ "board_device", 38, 8, SCN_HEX },
	{ "board_time", 46, 7, SCN_TIME },
	{ "marked", 53, 4, SCN_INT },
	{ "direction", 57, 1, SCN_HEX },
	{ "alight_city", 58, 2, SCN_HEX },
	{ "alight_institution", 60, 8, SCN_HEX },
	{ "alight_operator", 68, 2, SCN_HEX },
	{ "alight_line", 70, 2, SCN_HEX },
	{ "alight_stop", 72, 1, SCN_INT },
	{ "alight_vehicle", 73, 8, SCN_ASCII },
	{ "alight_device", 81, 8, SCN_HEX },
	{ "alight_time", 89, 7, SCN_TIME },
	{ "amount", 96, 4, SCN_INT },
	{ "mileage", 100, 2, SCN_INT },
};

static const struct scn_field fields_1e[] = {
	{ "type", 0, 1, SCN_HEX },	   { "terminal", 1, 8, SCN_HEX },
	{ "industry", 9, 1, SCN_HEX },	   { "line", 10, 2, SCN_HEX },
	{ "station", 12, 2, SCN_HEX },	   { "operator", 14, 2, SCN_HEX },
	{ "amount", 17, 4, SCN_INT },	   { "balance", 21, 4, SCN_INT },
	{ "time", 25, 7, SCN_TIME },	   { "city", 32, 2, SCN_HEX },
	{ "institution", 34, 8, SCN_HEX },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct scn_field *scn_fields(const char *what, size_t *ret_n, size_t *ret_len)
{
	if (strcmp(what, "2701") == 0) {
		*ret_n = N(fields_2701);
		*ret_len = 128;
		return fields_2701;
	}
	if (strcmp(what, "2702") == 0) {
		*ret_n = N(fields_2702);
		*ret_len = 128;
		return fields_2702;
	}
	if (strcmp(what, "1e") == 0) {
		*ret_n = N(fields_1e);
		*ret_len = 48;
		return fields_1e;
	}
	return NULL;
}

static void hex_text(const uint8_t *p, size_t n, char *buf, size_t cap)
{
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < cap; i++)
		snprintf(buf + 2 * i, 3, "%02X", p[i]);
	buf[2 * i] = '\0';
}

const char *scn_field_text(const struct scn_field *f, const uint8_t *rec, char *buf, size_t cap)
{
	const uint8_t *p = rec + f->off;
	unsigned long long v = 0;
	size_t n = 0;

	switch (f->kind) {
	case SCN_INT:
		for (size_t i = 0; i < f->len; i++)
			v = v << 8 | p[i];
		snprintf(buf, cap, "%llu", v);
		break;
	case SCN_STATION:
		for (size_t i = 0; i < 6; i++)
			if (p[i])
				n++;
		if (n)
			hex_text(p, 8, buf, cap); /* not in the station form: all of it */
		else
			hex_text(p + 6, 2, buf, cap);
		break;
	case SCN_ASCII:
		while (n < f->len && n + 1 < cap && p[n] >= 0x20 && p[n] < 0x7f) {
			buf[n] = (char)p[n];
			n++;
		}
		buf[n] = '\0';
		break;
	default:
		hex_text(p, f->len, buf, cap);
	}
	return buf;
}

static int hex_bytes(const char *text, uint8_t *out, size_t n)
{
	if (strlen(text) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (!isxdigit((unsigned char)text[2 * i]) ||
		    !isxdigit((unsigned char)text[2 * i + 1]) ||
		    sscanf(text + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* 2026-11-21T08:00:00 or 20261121080000 into 14 digits */
static int time_digits(const char *value, char out[15])
{
	size_t n = 0;

	for (const char *c = value; *c; c++) {
		if (*c == '-' || *c == 'T' || *c == ':')
			continue;
		if (!isdigit((unsigned char)*c) || n == 14)
			return -1;
		out[n++] = *c;
	}
	out[n] = '\0';
	return n == 14 ? 0 : -1;
}

int scn_field_put(const struct scn_field *f, const char *value, uint8_t *rec)
{
	uint8_t *p = rec + f->off;
	char digits[15], *end;
	unsigned long long v;

	switch (f->kind) {
	case SCN_INT:
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno || *end || !*value)
			return -1;
		for (size_t i = f->len; i-- > 0; v >>= 8)
			p[i] = (uint8_t)v;
		return 0;
	case SCN_STATION:
		memset(p, 0, 6);
		return strlen(value) == 16 ? hex_bytes(value, p, 8) : hex_bytes(value, p + 6, 2);
	case SCN_ASCII:
		if (strlen(value) > f->len)
			return -1;
		memset(p, 0, f->len);
		memcpy(p, value, strlen(value));
		return 0;
	case SCN_TIME:
		return time_digits(value, digits) < 0 ? -1 : hex_bytes(digits, p, 7);
	default:
		return hex_bytes(value, p, f->len);
	}
}

bool scn_next_pair(const char **cursor, char *key, size_t key_cap, char *value, size_t value_cap)
{
	const char *c = *cursor, *eq, *end;

	while (*c == ' ' || *c == '\t' || *c == ',')
		c++;
	if (!*c)
		return false;
	end = c + strcspn(c, " \t");
	eq = memchr(c, '=', (size_t)(end - c));
	snprintf(key, key_cap, "%.*s", (int)((eq ? eq : end) - c), c);
	if (eq)
		snprintf(value, value_cap, "%.*s", (int)(end - eq - 1), eq + 1);
	else
		value[0] = '\0';
	*cursor = end;
	return true;
}

/* ---- parsing ---- */

struct parse {
	struct scn *s;
	const char *card_dir;
	char section[32];
	int lineno;
	bool failed;
};

static void perr(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void perr(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", p->s->path, p->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	p->failed = true;
}

static void append(struct parse *p, char *buf, size_t cap, const char *line)
{
	size_t used = strlen(buf);

	if (used + strlen(line) + 2 >= cap) {
		perr(p, "section too long");
		return;
	}
	snprintf(buf + used, cap - used, "%s\n", line);
}

static int card_named(struct scn *s, const char *name)
{
	for (int i = 0; i < s->n_cards; i++)
		if (strcmp(s->cards[i].name, name) == 0)
			return i;
	return -1;
}

/* A card the taps name: its definition, or the demo profile of that name. */
static int card_use(struct parse *p, const char *name)
{
	struct scn *s = p->s;
	int i = card_named(s, name);

	if (i < 0) {
		if (s->n_cards == SCN_MAX_CARDS || strlen(name) >= sizeof(s->cards[0].name)) {
			perr(p, "too many cards, or a long name: %s", name);
			return -1;
		}
		i = s->n_cards++;
		snprintf(s->cards[i].name, sizeof(s->cards[i].name), "%s", name);
		snprintf(s->cards[i].base, sizeof(s->cards[i].base), "%s.card", name);
		s->cards[i].field_index = -1;
	}
	if (s->cards[i].field_index < 0)
		s->cards[i].field_index = s->n_field_cards++;
	return i;
}

static void card_line(struct parse *p, char *line)
{
	struct scn *s = p->s;
	char name[32], base[256], what[8];
	int n = 0;
	struct scn_preset *pr;

	if (sscanf(line, "preset %31s %7s %n", name, what, &n) == 2 && n > 0) {
		if (s->n_presets == SCN_MAX_PRESETS || card_named(s, name) < 0) {
			perr(p, "preset for an undefined card %s (define it first)", name);
			return;
		}
		pr = &s->presets[s->n_presets++];
		pr->card = card_named(s, name);
		snprintf(pr->what, sizeof(pr->what), "%s", what);
		snprintf(pr->fields, sizeof(pr->fields), "%s", line + n);
		pr->lineno = p->lineno;
		return;
	}
	if (sscanf(line, "%31s = %255s %n", name, base, &n) != 2 || card_named(s, name) >= 0 ||
	    s->n_cards == SCN_MAX_CARDS) {
		perr(p, "not NAME = PROFILE [key=value ...] (or the card is defined twice)");
		return;
	}
	struct scn_card *c = &s->cards[s->n_cards++];

	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->base, sizeof(c->base), "%s", base);
	snprintf(c->overrides, sizeof(c->overrides), "%s", line + n);
	c->field_index = -1;
}

/* "tap a+b [fault]": the script names the generated profiles */
static void tap_line(struct parse *p, char *args)
{
	struct scn *s = p->s;
	char names[128], rest[256] = "", out[SCN_LINE * 2];
	char *second;
	struct scn_tap *t;
	int a, b = -1;

	if (sscanf(args, "%127s %255[^\n]", names, rest) < 1 || s->n_taps == SCN_MAX_TAPS) {
		perr(p, "tap NAME[+NAME] [fault]");
		return;
	}
	second = strchr(names, '+');
	if (second)
		*second++ = '\0';
	a = card_use(p, names);
	if (second)
		b = card_use(p, second);
	if (a < 0 || (second && b < 0))
		return;
	t = &s->taps[s->n_taps++];
	t->card = a;
	t->card2 = b;
	t->lineno = p->lineno;
	if (second)
		snprintf(out, sizeof(out), "tap %s/%s.card+%s/%s.card %s", p->card_dir, names,
			 p->card_dir, second, rest);
	else
		snprintf(out, sizeof(out), "tap %s/%s.card %s", p->card_dir, names, rest);
	append(p, s->script, sizeof(s->script), out);
}

static void taps_line(struct parse *p, char *raw)
{
	struct scn *s = p->s;
	char *line = raw + strspn(raw, " \t");
	struct scn_tap *t;

	if (line != raw) { /* indented: an expectation of the last tap */
		if (!s->n_taps || s->taps[s->n_taps - 1].n_expect == SCN_MAX_EXPECT) {
			perr(p, "an expectation without a tap above it");
			return;
		}
		t = &s->taps[s->n_taps - 1];
		snprintf(t->expect[t->n_expect].text, SCN_LINE, "%s", line);
		t->expect[t->n_expect++].lineno = p->lineno;
		return;
	}
	if (strncmp(line, "tap ", 4) == 0)
		tap_line(p, line + 4);
	else
		append(p, s->script, sizeof(s->script), line);
}

static void section_line(struct parse *p, char *line)
{
	struct scn *s = p->s;
	char *text = line + strspn(line, " \t");

	if (*text == '#' || (!*text && strcmp(p->section, "config") != 0))
		return;
	if (!strcmp(p->section, "config"))
		append(p, s->config, sizeof(s->config), line);
	else if (!strcmp(p->section, "fare-table"))
		append(p, s->fare_table, sizeof(s->fare_table), line);
	else if (!strcmp(p->section, "card-rules"))
		append(p, s->card_rules, sizeof(s->card_rules), line);
	else if (!strcmp(p->section, "device-settings"))
		append(p, s->device_settings, sizeof(s->device_settings), line);
	else if (!strcmp(p->section, "whitelist"))
		append(p, s->whitelist, sizeof(s->whitelist), line);
	else if (!strcmp(p->section, "blacklist"))
		append(p, s->blacklist, sizeof(s->blacklist), text);
	else if (!strcmp(p->section, "cards"))
		card_line(p, text);
	else if (!strcmp(p->section, "taps"))
		taps_line(p, line);
	else if (*text)
		perr(p, "text outside a known section");
}

int scn_load(const char *path, const char *card_dir, struct scn *ret)
{
	struct parse p = { .s = ret, .card_dir = card_dir };
	char line[SCN_LINE];
	FILE *f = fopen(path, "re");

	memset(ret, 0, sizeof(*ret));
	ret->path = path;
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char name[32];

		p.lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			perr(&p, "line longer than %d characters", SCN_LINE - 2);
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (sscanf(line, "=== %31[a-z-] ===", name) == 1) {
			snprintf(p.section, sizeof(p.section), "%s", name);
			continue;
		}
		if (!p.section[0] && (line[0] == '#' || !line[0]))
			continue;
		section_line(&p, line);
	}
	fclose(f);
	for (int i = 0; i < ret->n_taps; i++) {
		p.lineno = ret->taps[i].lineno;
		if (ret->taps[i].n_expect == 0 ||
		    strncmp(ret->taps[i].expect[0].text, "outcome ", 8))
			perr(&p, "each tap starts its expectations with 'outcome KEY'");
	}
	if (!ret->n_taps) {
		p.lineno = 0;
		perr(&p, "no taps");
	}
	return p.failed ? -1 : 0;
}
