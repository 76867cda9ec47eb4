/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated card field: tap script parsing, the card set, the tap
 * sequence with its faults, and the ledger file. See sim_field.h.
 */
#include "sim_field.h"

#include "bytes.h"
#include "clock.h"
#include "sim.h"
#include "ykt_error.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum sim_fault_kind {
	FAULT_NONE,
	FAULT_LEAVE_BEFORE,
	FAULT_LEAVE_AFTER,
	FAULT_MUTE,
	FAULT_SW,
	FAULT_GARBLE,
	FAULT_CORRUPT,
};

static const char *const fault_names[] = {
	[FAULT_NONE] = "none",
	[FAULT_LEAVE_BEFORE] = "leave-before",
	[FAULT_LEAVE_AFTER] = "leave-after",
	[FAULT_MUTE] = "mute",
	[FAULT_SW] = "sw",
	[FAULT_GARBLE] = "garble",
	[FAULT_CORRUPT] = "corrupt",
};

struct sim_fault {
	enum sim_fault_kind kind;
	int ins;     /* target INS, or -1 */
	int apdu_no; /* target exchange (1-based), or 0 */
	uint16_t sw;
};

struct sim_step {
	enum sim_field_step_kind kind;
	int card, card2; /* indexes into cards[]; card2 -1 unless two cards */
	struct sim_fault fault;
	int64_t ms;    /* wait: delta, clock: absolute */
	uint8_t *code; /* scan: the code's bytes (heap), code_len of them */
	size_t code_len;
	uint16_t stop_code;
	/* what happened when the tap was played, for the ledger */
	bool played, fault_fired;
	int exchanges;
};

struct sim_field {
	struct sim_card *cards[SIM_FIELD_MAX_CARDS];
	char *card_paths[SIM_FIELD_MAX_CARDS];
	size_t n_cards;
	struct sim_step *steps;
	size_t n_steps;
	size_t next;   /* the step sim_field_next() returns next */
	int taps;      /* tap steps returned so far */
	int scans;     /* scan steps returned so far */
	int last_tap;  /* step index of the open or last tap, -1 none */
	bool tap_open; /* between a tap step and sim_field_tap_end() */
	bool gone;     /* the open tap's card(s) left */
};

static void field_error(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void field_error(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* ---- the script ---- */

static int field_card_index(struct sim_field *f, const char *path, char *err, size_t err_len)
{
	char why[256] = "";
	int rc;

	for (size_t i = 0; i < f->n_cards; i++)
		if (strcmp(f->card_paths[i], path) == 0)
			return (int)i;
	if (f->n_cards == SIM_FIELD_MAX_CARDS) {
		field_error(err, err_len, "tap script: more than %d different cards",
			    SIM_FIELD_MAX_CARDS);
		return -E2BIG;
	}
	rc = sim_card_load(path, &f->cards[f->n_cards], why, sizeof(why));
	if (rc < 0) {
		field_error(err, err_len, "%s", why[0] ? why : ykt_strerror(rc));
		return rc;
	}
	f->card_paths[f->n_cards] = strdup(path);
	if (!f->card_paths[f->n_cards]) {
		sim_card_free(f->cards[f->n_cards]);
		return -ENOMEM;
	}
	return (int)f->n_cards++;
}

static int parse_duration_ms(const char *text, int64_t *ret_ms)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || v < 0 || v > INT_MAX)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		*ret_ms = v;
	else if (strcmp(end, "s") == 0)
		*ret_ms = v * 1000;
	else if (strcmp(end, "m") == 0)
		*ret_ms = v * 60000;
	else if (strcmp(end, "h") == 0)
		*ret_ms = v * 3600000;
	else
		return -EINVAL;
	return 0;
}

/* KIND:TARGET[:SW], e.g. leave-after:ins54, sw:apdu3:6581 */
static int parse_fault(const char *text, struct sim_fault *ret)
{
	struct sim_fault f = { .ins = -1 };
	unsigned v, sw;
	int n = 0;

	for (size_t k = FAULT_LEAVE_BEFORE; k <= FAULT_CORRUPT && !f.kind; k++) {
		size_t len = strlen(fault_names[k]);

		if (strncmp(text, fault_names[k], len) == 0 && text[len] == ':') {
			f.kind = (enum sim_fault_kind)k;
			text += len + 1;
		}
	}
	if (!f.kind)
		return -EINVAL;
	if (sscanf(text, "ins%2x%n", &v, &n) == 1 && n == 5)
		f.ins = (int)v;
	else if (sscanf(text, "apdu%u%n", &v, &n) == 1 && v >= 1 && v < 1000)
		f.apdu_no = (int)v;
	else
		return -EINVAL;
	text += n;
	if (f.kind == FAULT_SW) {
		if (sscanf(text, ":%4x%n", &sw, &n) != 1 || n != 5)
			return -EINVAL;
		f.sw = (uint16_t)sw;
		text += n;
	}
	if (*text)
		return -EINVAL;
	*ret = f;
	return 0;
}

/* Resolve a path in the script relative to the script's directory. */
static void script_path(const char *script, const char *name, char *out, size_t out_len)
{
	const char *slash = strrchr(script, '/');

	if (name[0] == '/' || !slash)
		snprintf(out, out_len, "%s", name);
	else
		snprintf(out, out_len, "%.*s/%s", (int)(slash - script), script, name);
}

static int parse_tap(struct sim_field *f, const char *script, char *args, struct sim_step *step,
		     char *err, size_t err_len)
{
	char *save = NULL, *name = strtok_r(args, " \t", &save), *opt, *second;
	char path[PATH_MAX];
	int idx;

	if (!name)
		return -EINVAL;
	step->kind = SIM_FIELD_TAP;
	step->card2 = -1;
	second = strchr(name, '+');
	if (second)
		*second++ = '\0';
	for (int k = 0; k < (second ? 2 : 1); k++) {
		script_path(script, k ? second : name, path, sizeof(path));
		idx = field_card_index(f, path, err, err_len);
		if (idx < 0)
			return idx;
		*(k ? &step->card2 : &step->card) = idx;
	}
	while ((opt = strtok_r(NULL, " \t", &save))) {
		if (strncmp(opt, "expect=", 7) == 0 || strncmp(opt, "debit=", 6) == 0)
			continue; /* for the scenario tests that read the script */
		if (step->fault.kind || parse_fault(opt, &step->fault) < 0)
			return -EINVAL; /* one fault per tap */
	}
	return 0;
}

/* A scan's argument: the code as hex, or a file holding its bytes. */
static int read_code_file(const char *path, struct sim_step *step, char *err, size_t err_len)
{
	uint8_t buf[SIM_FIELD_SCAN_MAX + 1];
	FILE *fp = fopen(path, "re");
	size_t n;

	if (!fp) {
		field_error(err, err_len, "code file %s: %s", path, strerror(errno));
		return -ENOENT;
	}
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	if (n > SIM_FIELD_SCAN_MAX) {
		field_error(err, err_len, "code file %s: more than %d bytes", path,
			    SIM_FIELD_SCAN_MAX);
		return -E2BIG;
	}
	step->code = malloc(n ? n : 1);
	if (!step->code)
		return -ENOMEM;
	memcpy(step->code, buf, n);
	step->code_len = n;
	return 0;
}

static bool all_hex(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n > 0 && n % 2 == 0 && s[n] == '\0';
}

/* scan HEX|FILE [expect=...]: a name that is all hex digits must be
 * written ./NAME to be read as a file. */
static int parse_scan(const char *script, char *args, struct sim_step *step, char *err,
		      size_t err_len)
{
	char *save = NULL, *arg = strtok_r(args, " \t", &save), *opt;
	uint8_t buf[SIM_FIELD_SCAN_MAX];
	char path[PATH_MAX];
	int n;

	if (!arg)
		return -EINVAL;
	step->kind = SIM_FIELD_SCAN;
	while ((opt = strtok_r(NULL, " \t", &save)))
		if (strncmp(opt, "expect=", 7) != 0)
			return -EINVAL; /* for the scenario tests that read the script */
	if (!all_hex(arg)) {
		script_path(script, arg, path, sizeof(path));
		return read_code_file(path, step, err, err_len);
	}
	n = ykt_hex_decode_var(arg, buf, sizeof(buf));
	if (n < 0) {
		field_error(err, err_len, "scan: more than %d bytes", SIM_FIELD_SCAN_MAX);
		return -E2BIG;
	}
	step->code = malloc((size_t)n);
	if (!step->code)
		return -ENOMEM;
	memcpy(step->code, buf, (size_t)n);
	step->code_len = (size_t)n;
	return 0;
}

/* stop CODE: 4 hex digits, as the fare table's stop codes */
static int parse_stop(const char *args, struct sim_step *step)
{
	uint8_t code[2];

	if (strlen(args) != 4 || ykt_hex_decode(args, code, 2) < 0)
		return -EINVAL;
	step->kind = SIM_FIELD_STOP;
	step->stop_code = (uint16_t)(code[0] << 8 | code[1]);
	return 0;
}

/* 1: a step was parsed, 0: a blank or comment line, < 0: an error (-EINVAL
 * for a line that makes no sense, with err left for the caller to fill). */
static int parse_line(struct sim_field *f, const char *script, char *line, struct sim_step *step,
		      char *err, size_t err_len)
{
	char *args;
	int64_t s;
	int rc;

	line[strcspn(line, "#\r\n")] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line)
		return 0;
	args = line + strcspn(line, " \t");
	if (*args)
		*args++ = '\0';
	while (*args == ' ' || *args == '\t')
		args++;
	if (strcmp(line, "tap") != 0 && strcmp(line, "scan") != 0)
		args[strcspn(args, " \t")] = '\0'; /* one argument only */
	if (strcmp(line, "tap") == 0) {
		rc = parse_tap(f, script, args, step, err, err_len);
		return rc < 0 ? rc : 1;
	}
	if (strcmp(line, "scan") == 0) {
		rc = parse_scan(script, args, step, err, err_len);
		return rc < 0 ? rc : 1;
	}
	if (strcmp(line, "wait") == 0) {
		step->kind = SIM_FIELD_CLOCK_ADVANCE;
		return parse_duration_ms(args, &step->ms) < 0 ? -EINVAL : 1;
	}
	if (strcmp(line, "idle") == 0 && !*args) {
		step->kind = SIM_FIELD_IDLE;
		return 1;
	}
	if (strcmp(line, "stop") == 0)
		return parse_stop(args, step) < 0 ? -EINVAL : 1;
	if (strcmp(line, "clock") == 0 && ykt_parse_cst_iso(args, &s) == 0) {
		step->kind = SIM_FIELD_CLOCK_SET;
		step->ms = s * 1000;
		return 1;
	}
	return -EINVAL;
}

/* Room for one more step: the array doubles up to SIM_FIELD_MAX_STEPS. */
static int field_grow(struct sim_field *f, size_t *cap)
{
	struct sim_step *more;
	size_t n = *cap ? *cap * 2 : 64;

	if (f->n_steps < *cap)
		return 0;
	if (*cap == SIM_FIELD_MAX_STEPS)
		return -E2BIG;
	if (n > SIM_FIELD_MAX_STEPS)
		n = SIM_FIELD_MAX_STEPS;
	more = realloc(f->steps, n * sizeof(*more));
	if (!more)
		return -ENOMEM;
	memset(more + *cap, 0, (n - *cap) * sizeof(*more));
	f->steps = more;
	*cap = n;
	return 0;
}

static int field_parse(struct sim_field *f, const char *script, FILE *fp, char *err, size_t err_len)
{
	/* a scan line carries up to 512 bytes of hex */
	char line[2 * SIM_FIELD_SCAN_MAX + 512], copy[sizeof(line)];
	int lineno = 0, rc = 0;
	size_t cap = 0;

	while (rc >= 0 && fgets(line, sizeof(line), fp)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(fp)) {
			field_error(err, err_len, "%s:%d: line longer than %zu characters", script,
				    lineno, sizeof(line) - 2);
			return -EINVAL;
		}
		memcpy(copy, line, sizeof(line));
		rc = field_grow(f, &cap);
		if (rc == -E2BIG) {
			field_error(err, err_len, "%s: more than %d steps", script,
				    SIM_FIELD_MAX_STEPS);
			return rc;
		}
		if (rc < 0)
			return rc;
		rc = parse_line(f, script, line, &f->steps[f->n_steps], err, err_len);
		if (rc == -EINVAL) {
			copy[strcspn(copy, "\r\n")] = '\0';
			field_error(err, err_len, "%s:%d: cannot understand '%s'", script, lineno,
				    copy);
		} else if (rc < 0 && err && err_len) {
			/* a card that did not load has said why */
			snprintf(copy, sizeof(copy), "%s", err);
			field_error(err, err_len, "%s:%d: %s", script, lineno, copy);
		}
		if (rc > 0)
			f->n_steps++;
	}
	return rc < 0 ? rc : 0;
}

int sim_field_load(const char *script, struct sim_field **ret_field, char *err, size_t err_len)
{
	struct sim_field *f = calloc(1, sizeof(*f));
	FILE *fp;
	int rc;

	if (!f)
		return -ENOMEM;
	f->last_tap = -1;
	fp = fopen(script, "re");
	if (!fp) {
		rc = -errno;
		field_error(err, err_len, "tap script %s: %s", script, strerror(errno));
		sim_field_free(f);
		return rc;
	}
	rc = field_parse(f, script, fp, err, err_len);
	fclose(fp);
	if (rc < 0) {
		sim_field_free(f);
		return rc;
	}
	*ret_field = f;
	return 0;
}

void sim_field_free(struct sim_field *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_cards; i++) {
		sim_card_free(f->cards[i]);
		free(f->card_paths[i]);
	}
	for (size_t i = 0; i < f->n_steps; i++)
		free(f->steps[i].code);
	free(f->steps);
	free(f);
}

bool sim_field_moves_time(const struct sim_field *f)
{
	for (size_t i = 0; i < f->n_steps; i++)
		if (f->steps[i].kind == SIM_FIELD_CLOCK_SET ||
		    f->steps[i].kind == SIM_FIELD_CLOCK_ADVANCE)
			return true;
	return false;
}

bool sim_field_scans(const struct sim_field *f)
{
	for (size_t i = 0; i < f->n_steps; i++)
		if (f->steps[i].kind == SIM_FIELD_SCAN)
			return true;
	return false;
}

bool sim_field_moves_stop(const struct sim_field *f)
{
	for (size_t i = 0; i < f->n_steps; i++)
		if (f->steps[i].kind == SIM_FIELD_STOP)
			return true;
	return false;
}

/* ---- the tap sequence ---- */

static struct sim_step *open_tap(struct sim_field *f)
{
	return f->tap_open ? &f->steps[f->last_tap] : NULL;
}

static void field_start_tap(struct sim_field *f, size_t index, struct sim_field_step *ret)
{
	struct sim_step *step = &f->steps[index];

	sim_card_reset(f->cards[step->card]);
	if (step->card2 >= 0)
		sim_card_reset(f->cards[step->card2]);
	step->played = true;
	step->exchanges = 0;
	step->fault_fired = false;
	f->last_tap = (int)index;
	f->tap_open = true;
	f->gone = false;
	ret->tap_no = ++f->taps;
	ret->n_cards = step->card2 >= 0 ? 2 : 1;
}

void sim_field_next(struct sim_field *f, struct sim_field_step *ret_step)
{
	const struct sim_step *step;

	sim_field_tap_end(f);
	memset(ret_step, 0, sizeof(*ret_step));
	if (f->next >= f->n_steps) {
		ret_step->kind = SIM_FIELD_END;
		return;
	}
	step = &f->steps[f->next];
	ret_step->kind = step->kind;
	ret_step->ms = step->ms;
	ret_step->stop_code = step->stop_code;
	if (step->kind == SIM_FIELD_TAP)
		field_start_tap(f, f->next, ret_step);
	if (step->kind == SIM_FIELD_SCAN) {
		ret_step->code = step->code;
		ret_step->code_len = step->code_len;
		ret_step->scan_no = ++f->scans;
	}
	f->next++;
}

struct sim_card *sim_field_tap_card(struct sim_field *f, size_t slot)
{
	const struct sim_step *tap = open_tap(f);
	int idx;

	if (!tap || slot > 1)
		return NULL;
	idx = slot ? tap->card2 : tap->card;
	return idx >= 0 ? f->cards[idx] : NULL;
}

void sim_field_leave(struct sim_field *f)
{
	f->gone = true;
}

bool sim_field_gone(const struct sim_field *f)
{
	return !f->tap_open || f->gone;
}

void sim_field_tap_end(struct sim_field *f)
{
	f->tap_open = false;
	f->gone = true;
}

int sim_field_tap_exchanges(const struct sim_field *f)
{
	return f->last_tap >= 0 ? f->steps[f->last_tap].exchanges : 0;
}

struct sim_card *sim_field_card(struct sim_field *f, size_t index)
{
	return index < f->n_cards ? f->cards[index] : NULL;
}

/* ---- exchanges and faults ---- */

static bool fault_hits(const struct sim_fault *fault, uint8_t ins, int exchange_no)
{
	if (fault->kind == FAULT_NONE)
		return false;
	return fault->ins >= 0 ? fault->ins == ins : fault->apdu_no == exchange_no;
}

/* A garbled answer: the data arrives cut in half, the status word intact. */
static void garble(uint8_t *rapdu, size_t *len)
{
	size_t data = *len - 2, keep = data / 2;

	rapdu[keep] = rapdu[data];
	rapdu[keep + 1] = rapdu[data + 1];
	*len = keep + 2;
}

static int field_exchange(struct sim_field *f, struct sim_card *card, const struct sim_fault *fault,
			  bool fire, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
			  size_t rapdu_cap, size_t *ret_rapdu_len)
{
	enum sim_fault_kind kind = fire ? fault->kind : FAULT_NONE;
	int rc;

	switch (kind) {
	case FAULT_LEAVE_BEFORE:
		f->gone = true;
		return YKT_E_CARD_GONE;
	case FAULT_MUTE:
		return -ETIMEDOUT; /* the reader's frame waiting time ran out */
	case FAULT_SW:
		if (rapdu_cap < 2)
			return -ENOBUFS;
		ykt_put_be16(rapdu, fault->sw);
		*ret_rapdu_len = 2;
		return 0;
	default:
		break;
	}
	rc = sim_card_transmit(card, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len);
	if (rc == 0 && kind == FAULT_LEAVE_AFTER) {
		f->gone = true;
		return YKT_E_CARD_GONE; /* applied, but the answer never arrives */
	}
	if (rc == 0 && kind == FAULT_GARBLE && *ret_rapdu_len > 2)
		garble(rapdu, ret_rapdu_len);
	if (rc == 0 && kind == FAULT_CORRUPT && *ret_rapdu_len > 2)
		rapdu[*ret_rapdu_len - 3] ^= 0x01; /* the last data byte */
	return rc;
}

int sim_field_transceive(struct sim_field *f, size_t slot, const uint8_t *capdu, size_t capdu_len,
			 uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct sim_card *card = sim_field_tap_card(f, slot);
	struct sim_step *tap = open_tap(f);
	uint8_t ins = capdu_len > 1 ? capdu[1] : 0;
	bool fire = false;

	if (!card || f->gone)
		return YKT_E_CARD_GONE;
	tap->exchanges++;
	if (!tap->fault_fired && fault_hits(&tap->fault, ins, tap->exchanges)) {
		tap->fault_fired = true;
		fire = true;
	}
	return field_exchange(f, card, &tap->fault, fire, capdu, capdu_len, rapdu, rapdu_cap,
			      ret_rapdu_len);
}

/* ---- the ledger ---- */

static void hex(const uint8_t *p, size_t n, char *out, size_t cap)
{
	if (ykt_hex_encode(p, n, out, cap) < 0)
		snprintf(out, cap, "?");
}

static void ledger_taps(const struct sim_field *f, FILE *out)
{
	struct sim_card_info a, b;
	int no = 0;

	for (size_t i = 0; i < f->n_steps; i++) {
		const struct sim_step *s = &f->steps[i];

		if (s->kind != SIM_FIELD_TAP)
			continue;
		no++;
		if (!s->played)
			continue;
		sim_card_info(f->cards[s->card], &a);
		if (s->card2 >= 0)
			sim_card_info(f->cards[s->card2], &b);
		fprintf(out, "tap %d cards=%s%s%s apdus=%d fault=%s fired=%s\n", no, a.name,
			s->card2 >= 0 ? "+" : "", s->card2 >= 0 ? b.name : "", s->exchanges,
			fault_names[s->fault.kind], s->fault_fired ? "yes" : "no");
	}
}

static void ledger_debit(FILE *out, const char *serial, const struct sim_debit *d)
{
	char terminal[13], dt[15], tac[9], mac2[9];

	hex(d->terminal_no, 6, terminal, sizeof(terminal));
	hex(d->datetime, 7, dt, sizeof(dt));
	hex(d->tac, 4, tac, sizeof(tac));
	hex(d->mac2, 4, mac2, sizeof(mac2));
	fprintf(out,
		"debit serial=%s atc=%u amount=%u type=%02X terminal=%s psam_serial=%08X "
		"time=%s tac=%s mac2=%s balance_after=%u\n",
		serial, d->atc, d->amount_fen, d->trans_type, terminal, d->terminal_serial, dt, tac,
		mac2, d->balance_after_fen);
}

/* A 0x1A record that holds more than its bare header (27 xx 7D). */
static void ledger_1a(FILE *out, const char *serial, const uint8_t *rec)
{
	char text[257];
	bool used = false;

	for (size_t i = 3; i < 128 && !used; i++)
		used = rec[i] != 0;
	if (!used)
		return;
	hex(rec, 128, text, sizeof(text));
	fprintf(out, "1a serial=%s id=%02X%02X record=%s\n", serial, rec[0], rec[1], text);
}

static void ledger_card(const struct sim_card *card, FILE *out)
{
	struct sim_card_info info;
	char serial[21], rec[97];

	sim_card_info(card, &info);
	hex(info.file15 + 10, 10, serial, sizeof(serial));
	fprintf(out,
		"card serial=%s name=%s balance=%u initial_balance=%u atc=%u initial_atc=%u "
		"debits=%zu rec1e=%zu\n",
		serial, info.name, info.balance_fen, info.initial_balance_fen, info.offline_atc,
		info.initial_atc, info.n_debits, info.n_1e);
	for (size_t i = 0; i < info.n_debits; i++)
		ledger_debit(out, serial, &info.debits[i]);
	for (size_t i = 0; i < info.n_1e; i++) {
		hex(info.rec1e[i], 48, rec, sizeof(rec));
		fprintf(out, "1e serial=%s index=%zu record=%s\n", serial, i + 1, rec);
	}
	for (size_t i = 0; i < 18; i++)
		ledger_1a(out, serial, info.rec1a[i]);
	if (info.app_state)
		fprintf(out, "blocked serial=%s state=%s blocks=%zu\n", serial,
			info.app_state == 2 ? "permanent" : "temporary", info.n_blocks);
}

int sim_field_write_ledger(const struct sim_field *f, const char *path)
{
	char tmp[PATH_MAX];
	FILE *out;
	int rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	out = fopen(tmp, "we");
	if (!out)
		return -errno;
	fprintf(out, "# ledger of the simulated card field\n");
	ledger_taps(f, out);
	for (size_t i = 0; i < f->n_cards; i++)
		ledger_card(f->cards[i], out);
	if (fflush(out) != 0 || ferror(out))
		rc = -EIO;
	if (fclose(out) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}
