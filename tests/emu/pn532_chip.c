/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated PN532 (see pn532_chip.h). Command codes and answer layouts
 * follow the PN532 user manual (UM0701-02 §7); which commands matter, and
 * in what order libnfc 1.8.0 sends them, is in docs/drivers.md.
 */
#include "pn532_chip.h"

#include "sim.h"
#include "sim_field.h"
#include "ykt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* command codes (host to chip; the answer carries code + 1) */
enum {
	CMD_DIAGNOSE = 0x00,
	CMD_GET_FIRMWARE_VERSION = 0x02,
	CMD_GET_GENERAL_STATUS = 0x04,
	CMD_READ_REGISTER = 0x06,
	CMD_WRITE_REGISTER = 0x08,
	CMD_SET_PARAMETERS = 0x12,
	CMD_SAM_CONFIGURATION = 0x14,
	CMD_POWER_DOWN = 0x16,
	CMD_RF_CONFIGURATION = 0x32,
	CMD_IN_DATA_EXCHANGE = 0x40,
	CMD_IN_COMMUNICATE_THRU = 0x42,
	CMD_IN_DESELECT = 0x44,
	CMD_IN_LIST_PASSIVE_TARGET = 0x4A,
	CMD_IN_RELEASE = 0x52,
	CMD_IN_SELECT = 0x54,
	CMD_IN_AUTO_POLL = 0x60,
};

/* status byte of the In* commands */
enum {
	ST_OK = 0x00,
	ST_TIMEOUT = 0x01, /* the card did not answer */
	ST_MI = 0x40,	   /* more information: the answer continues */
	ST_CONTEXT = 0x27, /* command not acceptable in this context */
};

/* target types of InAutoPoll */
enum {
	PTT_GENERIC_106 = 0x00,
	PTT_ISO14443_4B = 0x03,
	PTT_MIFARE = 0x10,
	PTT_ISO14443_4A = 0x20,
	PTT_ISO14443_4B_TCL = 0x23,
};

#define RF_CFG_FIELD	  0x01
#define BRTY_ISO14443A	  0x00
#define BRTY_ISO14443B	  0x03
#define POLL_PERIOD_NS	  150000000LL /* InAutoPoll period unit */
#define INFINITE_POLL	  0xFF
#define PN532_DATA_IN_MAX 262 /* InDataExchange data the chip buffers */
#define RAPDU_MAX	  258 /* 256 data bytes and the status word */

/* what a Type A card says at activation: SAK 20 (ISO/IEC 14443-4), and an
 * ATS with FSCI 5, TA TB TC, FWI 8, CID supported (TL included) */
static const uint8_t sak_iso_dep = 0x20;
static const uint8_t ats[] = { 0x06, 0x75, 0x77, 0x81, 0x02, 0x80 };
/* a Type B card's ATQB after the PUPI: application data, protocol info
 * (106 kbit/s, frames up to 256 bytes, ISO 14443-4, FWI 8, CID supported),
 * then its one-byte ATTRIB answer */
static const uint8_t atqb_tail[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x81, 0x81 };
static const uint8_t attrib_res[] = { 0x01 };

enum tap_state { TAP_NONE, TAP_OPEN, TAP_ENDED };
enum field_ready { FIELD_CARDS, FIELD_EMPTY, FIELD_STALLED };

struct target {
	size_t slot; /* the card's slot in the sim_field tap */
	char type;   /* 'A' or 'B' */
};

struct out_buf {
	uint8_t *p;
	size_t cap, *len;
};

struct pn532_chip {
	struct sim_field *field;
	struct pn532_options opt;
	FILE *trace;
	struct pn532_rx rx;
	int64_t now_ns;
	struct out_buf out;

	/* registers (ReadRegister / WriteRegister), the RF field */
	uint8_t regs[0x10000];
	bool rf_on;

	/* an InAutoPoll waiting for a card; deadline < 0: for ever */
	bool pending;
	int64_t pending_until_ns;

	bool stalled, stall_done;
	int64_t stall_until_ns;

	/* the tap in front of the antenna */
	enum tap_state tap;
	int tap_no;
	size_t n_cards;
	struct target tg[2];
	size_t n_tg;   /* activated targets, Tg = index + 1 */
	bool reported; /* this tap's cards were given to the host */
	bool muted;    /* a card stayed silent: the next presence check finds it */
	int64_t clock_ms;

	/* InDataExchange chaining, both ways */
	uint8_t rest[RAPDU_MAX];
	size_t rest_len, rest_off;
	uint8_t chain[2 * PN532_FRAME_DATA_MAX];
	size_t chain_len;
};

/* ---- output ---- */

static void trace_bytes(struct pn532_chip *c, const char *dir, const uint8_t *p, size_t n)
{
	if (!c->trace)
		return;
	fprintf(c->trace, "pn532 %s", dir);
	for (size_t i = 0; i < n; i++)
		fprintf(c->trace, " %02X", p[i]);
	fputc('\n', c->trace);
}

static void emit(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	if (*c->out.len + n > c->out.cap)
		return; /* the caller's buffer holds an ACK and the longest frame */
	memcpy(c->out.p + *c->out.len, p, n);
	*c->out.len += n;
}

/* Answer command cmd with data: D5 (cmd+1) data. */
static void reply(struct pn532_chip *c, uint8_t cmd, const uint8_t *data, size_t len)
{
	uint8_t payload[PN532_FRAME_DATA_MAX], frame[PN532_FRAME_WIRE_MAX];
	size_t n;

	if (len + 1 >= PN532_FRAME_DATA_MAX)
		return;
	payload[0] = (uint8_t)(cmd + 1);
	if (len)
		memcpy(payload + 1, data, len);
	n = pn532_frame_build(payload, len + 1, frame, sizeof(frame));
	trace_bytes(c, "tx", payload, len + 1);
	emit(c, frame, n);
}

static void reply_status(struct pn532_chip *c, uint8_t cmd, uint8_t status)
{
	reply(c, cmd, &status, 1);
}

static void syntax_error(struct pn532_chip *c)
{
	trace_bytes(c, "tx error frame", NULL, 0);
	emit(c, pn532_error_frame, sizeof(pn532_error_frame));
}

static void notify(struct pn532_chip *c, const char *what, int n)
{
	if (!c->opt.notify)
		return;
	if (n > 0)
		fprintf(c->opt.notify, "%s %d\n", what, n);
	else
		fprintf(c->opt.notify, "%s\n", what);
	fflush(c->opt.notify);
}

/* ---- the clock file and the tap sequence ---- */

static void clock_write(struct pn532_chip *c)
{
	char tmp[PATH_MAX], text[32];
	int fd, n = snprintf(text, sizeof(text), "%lld\n", (long long)c->clock_ms);

	if (!c->opt.clock_path ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", c->opt.clock_path) >= (int)sizeof(tmp))
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, text, (size_t)n) == n && close(fd) == 0)
		rename(tmp, c->opt.clock_path);
	else
		close(fd);
}

/* Play clock steps up to the next tap (or the end). */
static void field_advance(struct pn532_chip *c)
{
	struct sim_field_step st;

	for (;;) {
		sim_field_next(c->field, &st);
		if (st.kind == SIM_FIELD_STOP)
			continue; /* the validator's stop source is not the chip's */
		if (st.kind == SIM_FIELD_CLOCK_SET || st.kind == SIM_FIELD_CLOCK_ADVANCE) {
			c->clock_ms = st.kind == SIM_FIELD_CLOCK_SET ? st.ms : c->clock_ms + st.ms;
			clock_write(c);
			continue;
		}
		if (st.kind == SIM_FIELD_SCAN)
			continue; /* a code for a QR scanner: the PN532 sees nothing */
		if (st.kind == SIM_FIELD_TAP) {
			c->tap = TAP_OPEN;
			c->tap_no = st.tap_no;
			c->n_cards = st.n_cards;
			c->reported = c->muted = false;
			notify(c, "tap", c->tap_no);
			return;
		}
		c->tap = TAP_ENDED;
		if (c->opt.ledger_path)
			sim_field_write_ledger(c->field, c->opt.ledger_path);
		notify(c, "end", 0);
		return;
	}
}

/* The host looks for cards. A tap whose cards it was given is over (the
 * passenger has gone); then come the next tap's cards, unless this is where
 * the chip stops answering for a while. */
static enum field_ready field_ready(struct pn532_chip *c)
{
	if (c->tap == TAP_OPEN && c->reported) {
		sim_field_tap_end(c->field);
		c->tap = TAP_NONE;
		c->n_tg = 0;
	}
	if (c->tap == TAP_NONE)
		field_advance(c);
	if (c->tap != TAP_OPEN)
		return FIELD_EMPTY;
	if (c->opt.stall_ms > 0 && !c->stall_done && c->tap_no == c->opt.stall_tap) {
		c->stall_done = c->stalled = true;
		c->stall_until_ns = c->now_ns + c->opt.stall_ms * 1000000;
		notify(c, "stall", c->tap_no);
		return FIELD_STALLED;
	}
	return FIELD_CARDS;
}

/* The validator is done with the tap: the passenger takes the cards away. */
static void passenger_leaves(struct pn532_chip *c)
{
	if (c->tap == TAP_OPEN && c->reported)
		sim_field_leave(c->field);
}

static bool card_info(struct pn532_chip *c, size_t slot, struct sim_card_info *ret)
{
	struct sim_card *card = sim_field_tap_card(c->field, slot);

	if (!card)
		return false;
	sim_card_info(card, ret);
	return true;
}

/* ---- targets ---- */

/* Tg ATQA SAK UIDlen UID ATS: the ATQA's top bits give the UID size */
static size_t target_a(const struct sim_card_info *info, uint8_t tg, uint8_t *out)
{
	size_t n = 0;

	out[n++] = tg;
	out[n++] = 0x00;
	out[n++] = info->uid_len == 4 ? 0x04 : info->uid_len == 7 ? 0x44 : 0x84;
	out[n++] = sak_iso_dep;
	out[n++] = (uint8_t)info->uid_len;
	memcpy(out + n, info->uid, info->uid_len);
	n += info->uid_len;
	memcpy(out + n, ats, sizeof(ats));
	return n + sizeof(ats);
}

/* Tg ATQB(50 PUPI app-data protocol-info) ATTRIB_RES-len ATTRIB_RES */
static size_t target_b(const struct sim_card_info *info, uint8_t tg, uint8_t *out)
{
	size_t n = 0;

	out[n++] = tg;
	out[n++] = 0x50;
	memcpy(out + n, info->uid, 4);
	n += 4;
	memcpy(out + n, atqb_tail, sizeof(atqb_tail));
	n += sizeof(atqb_tail);
	out[n++] = sizeof(attrib_res);
	memcpy(out + n, attrib_res, sizeof(attrib_res));
	return n + sizeof(attrib_res);
}

/* Activate the tap's cards of the wanted types (at most max), Tg from 1. */
static size_t activate(struct pn532_chip *c, bool want_a, bool want_b, size_t max)
{
	struct sim_card_info info;

	c->n_tg = 0;
	for (size_t slot = 0; slot < c->n_cards && c->n_tg < max; slot++) {
		if (!card_info(c, slot, &info))
			continue;
		if ((info.rf_type == 'B' && want_b) || (info.rf_type != 'B' && want_a))
			c->tg[c->n_tg++] = (struct target){ slot, info.rf_type == 'B' ? 'B' : 'A' };
	}
	if (c->n_tg)
		c->reported = true;
	return c->n_tg;
}

static size_t target_data(struct pn532_chip *c, size_t i, uint8_t *out)
{
	struct sim_card_info info;

	if (!card_info(c, c->tg[i].slot, &info))
		return 0;
	return c->tg[i].type == 'B' ? target_b(&info, (uint8_t)(i + 1), out)
				    : target_a(&info, (uint8_t)(i + 1), out);
}

/* ---- commands ---- */

static void cmd_diagnose(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	if (n >= 1 && p[0] == 0x00) {
		reply(c, CMD_DIAGNOSE, p, n); /* communication test: the exact echo */
		return;
	}
	if (n >= 1 && p[0] == 0x06) { /* card presence */
		reply_status(c, CMD_DIAGNOSE,
			     c->n_tg && !sim_field_gone(c->field) ? ST_OK : ST_TIMEOUT);
		return;
	}
	reply_status(c, CMD_DIAGNOSE, ST_OK);
}

static void cmd_firmware(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	/* IC PN532, firmware 1.6, ISO 14443 A and B and ISO 18092 */
	static const uint8_t version[] = { 0x32, 0x01, 0x06, 0x07 };

	reply(c, CMD_GET_FIRMWARE_VERSION, version, sizeof(version));
}

static void cmd_general_status(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	uint8_t st[3 + 2 * 4 + 1] = { 0x00, 0x00, (uint8_t)c->n_tg };
	size_t len = 3;

	for (size_t i = 0; i < c->n_tg; i++) {
		st[len++] = (uint8_t)(i + 1);
		st[len++] = 0x00; /* 106 kbit/s both ways */
		st[len++] = 0x00;
		st[len++] = c->tg[i].type == 'B' ? 0x03 : 0x00;
	}
	st[len++] = 0x00; /* SAM status */
	reply(c, CMD_GET_GENERAL_STATUS, st, len);
}

static void cmd_read_register(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	uint8_t values[PN532_FRAME_DATA_MAX / 2];

	if (n == 0 || n % 2 || n / 2 > sizeof(values)) {
		syntax_error(c);
		return;
	}
	for (size_t i = 0; i < n / 2; i++)
		values[i] = c->regs[p[2 * i] << 8 | p[2 * i + 1]];
	reply(c, CMD_READ_REGISTER, values, n / 2); /* PN532: no status byte */
}

static void cmd_write_register(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	if (n == 0 || n % 3) {
		syntax_error(c);
		return;
	}
	for (size_t i = 0; i < n; i += 3)
		c->regs[p[i] << 8 | p[i + 1]] = p[i + 2];
	reply(c, CMD_WRITE_REGISTER, NULL, 0);
}

static void cmd_plain(struct pn532_chip *c, uint8_t cmd)
{
	reply(c, cmd, NULL, 0);
}

static void cmd_set_parameters(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	cmd_plain(c, CMD_SET_PARAMETERS);
}

static void cmd_sam_configuration(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	cmd_plain(c, CMD_SAM_CONFIGURATION);
}

static void cmd_power_down(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	reply_status(c, CMD_POWER_DOWN, ST_OK);
}

static void cmd_rf_configuration(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	if (n < 2) {
		syntax_error(c);
		return;
	}
	if (p[0] == RF_CFG_FIELD) {
		c->rf_on = p[1] & 0x01;
		if (!c->rf_on)
			c->n_tg = 0; /* the cards lose power: nothing stays activated */
	}
	cmd_plain(c, CMD_RF_CONFIGURATION);
}

/* Send an R-APDU, in chunks with MI set when it is longer than one answer. */
static void exchange_answer(struct pn532_chip *c, const uint8_t *data, size_t len)
{
	uint8_t buf[1 + PN532_DATA_IN_MAX];
	size_t chunk =
	    c->opt.chunk && c->opt.chunk < PN532_DATA_IN_MAX ? c->opt.chunk : PN532_DATA_IN_MAX;
	size_t first = len < chunk ? len : chunk;

	buf[0] = first < len ? ST_MI : ST_OK;
	memcpy(buf + 1, data, first);
	c->rest_len = c->rest_off = 0;
	if (first < len && len <= sizeof(c->rest)) {
		memcpy(c->rest, data, len);
		c->rest_len = len;
		c->rest_off = first;
	}
	reply(c, CMD_IN_DATA_EXCHANGE, buf, first + 1);
}

static void exchange_more(struct pn532_chip *c)
{
	const uint8_t *data = c->rest + c->rest_off;
	size_t len = c->rest_len - c->rest_off;
	uint8_t buf[1 + PN532_DATA_IN_MAX];
	size_t chunk =
	    c->opt.chunk && c->opt.chunk < PN532_DATA_IN_MAX ? c->opt.chunk : PN532_DATA_IN_MAX;
	size_t n = len < chunk ? len : chunk;

	buf[0] = n < len ? ST_MI : ST_OK;
	memcpy(buf + 1, data, n);
	c->rest_off += n;
	if (c->rest_off == c->rest_len)
		c->rest_len = c->rest_off = 0;
	reply(c, CMD_IN_DATA_EXCHANGE, buf, n + 1);
}

/* One APDU to the card, with the field's faults: a card that left or stays
 * silent gives the chip's time-out status. */
static void exchange_apdu(struct pn532_chip *c, const struct target *t, const uint8_t *apdu,
			  size_t len)
{
	uint8_t rapdu[RAPDU_MAX];
	size_t rlen = 0;
	int rc = sim_field_transceive(c->field, t->slot, apdu, len, rapdu, sizeof(rapdu), &rlen);

	c->muted = rc == -ETIMEDOUT;
	if (rc == 0)
		exchange_answer(c, rapdu, rlen);
	else
		reply_status(c, CMD_IN_DATA_EXCHANGE, ST_TIMEOUT);
}

static void cmd_data_exchange(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	size_t tg = n ? p[0] & 0x3F : 0;

	if (n == 0) {
		syntax_error(c);
		return;
	}
	if (n == 1 && c->rest_len) {
		exchange_more(c);
		return;
	}
	c->rest_len = c->rest_off = 0;
	if (tg == 0 || tg > c->n_tg) {
		reply_status(c, CMD_IN_DATA_EXCHANGE, ST_CONTEXT);
		return;
	}
	if (c->chain_len + n - 1 > sizeof(c->chain)) {
		c->chain_len = 0;
		reply_status(c, CMD_IN_DATA_EXCHANGE, ST_CONTEXT);
		return;
	}
	memcpy(c->chain + c->chain_len, p + 1, n - 1);
	c->chain_len += n - 1;
	if (p[0] & ST_MI) { /* the host chains a long command: more follows */
		reply_status(c, CMD_IN_DATA_EXCHANGE, ST_OK);
		return;
	}
	exchange_apdu(c, &c->tg[tg - 1], c->chain, c->chain_len);
	c->chain_len = 0;
}

/* Raw frames reach the card as they are. The only one a T-Union card here
 * answers is an ISO-DEP R(NAK), libnfc's presence check: after a silent
 * exchange it finds the card; otherwise it means the validator is done, and
 * the passenger takes the card away. */
static void cmd_communicate_thru(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	bool r_nak = n >= 1 && (p[0] & 0xF6) == 0xB2, cid = n >= 2 && (p[0] & 0x08);
	uint8_t ack[3] = { ST_OK, 0xA2, cid ? p[1] : 0 };

	if (!r_nak || !c->n_tg || sim_field_gone(c->field)) {
		reply_status(c, CMD_IN_COMMUNICATE_THRU, ST_TIMEOUT);
		return;
	}
	if (c->muted) {
		c->muted = false;
		ack[1] |= (uint8_t)(p[0] & 0x09); /* R(ACK), same CID flag and block */
		reply(c, CMD_IN_COMMUNICATE_THRU, ack, cid ? 3 : 2);
		return;
	}
	passenger_leaves(c);
	reply_status(c, CMD_IN_COMMUNICATE_THRU, ST_TIMEOUT);
}

static void cmd_release(struct pn532_chip *c, uint8_t cmd, const uint8_t *p, size_t n)
{
	if (n < 1) {
		syntax_error(c);
		return;
	}
	if (c->n_tg && (p[0] == 0 || p[0] <= c->n_tg))
		passenger_leaves(c);
	c->n_tg = 0;
	c->rest_len = c->rest_off = c->chain_len = 0;
	reply_status(c, cmd, ST_OK);
}

static void cmd_deselect(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	cmd_release(c, CMD_IN_DESELECT, p, n);
}

static void cmd_in_release(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	cmd_release(c, CMD_IN_RELEASE, p, n);
}

static void cmd_select(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	if (n < 1) {
		syntax_error(c);
		return;
	}
	reply_status(c, CMD_IN_SELECT, p[0] >= 1 && p[0] <= c->n_tg ? ST_OK : ST_CONTEXT);
}

static void list_answer(struct pn532_chip *c, uint8_t cmd, bool auto_poll, const uint8_t *types,
			size_t n_types)
{
	uint8_t buf[PN532_FRAME_DATA_MAX] = { (uint8_t)c->n_tg };
	size_t len = 1;

	for (size_t i = 0; i < c->n_tg; i++) {
		if (auto_poll) {
			bool tcl = c->tg[i].type == 'A'
				       ? memchr(types, PTT_ISO14443_4A, n_types)
				       : memchr(types, PTT_ISO14443_4B_TCL, n_types);
			size_t dl;

			buf[len++] = c->tg[i].type == 'A'
					 ? (tcl ? PTT_ISO14443_4A : PTT_MIFARE)
					 : (tcl ? PTT_ISO14443_4B_TCL : PTT_ISO14443_4B);
			dl = target_data(c, i, buf + len + 1);
			buf[len++] = (uint8_t)dl;
			len += dl;
		} else {
			len += target_data(c, i, buf + len);
		}
	}
	reply(c, cmd, buf, len);
}

static void cmd_list_passive(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	enum field_ready ready;

	if (n < 2 || p[0] < 1 || p[0] > 2) {
		syntax_error(c);
		return;
	}
	ready = field_ready(c);
	if (ready == FIELD_STALLED)
		return;
	c->n_tg = 0;
	if (ready == FIELD_CARDS)
		activate(c, p[1] == BRTY_ISO14443A, p[1] == BRTY_ISO14443B, p[0]);
	list_answer(c, CMD_IN_LIST_PASSIVE_TARGET, false, NULL, 0);
}

static bool poll_wants(const uint8_t *types, size_t n, bool b)
{
	for (size_t i = 0; i < n; i++) {
		if (!b && (types[i] == PTT_ISO14443_4A || types[i] == PTT_MIFARE ||
			   types[i] == PTT_GENERIC_106))
			return true;
		if (b && (types[i] == PTT_ISO14443_4B || types[i] == PTT_ISO14443_4B_TCL))
			return true;
	}
	return false;
}

/* InAutoPoll PollNr Period Type1..TypeN: polls until a card answers, at
 * most PollNr rounds (FF: for ever) of Period x 150 ms per type. */
static void cmd_auto_poll(struct pn532_chip *c, const uint8_t *p, size_t n)
{
	enum field_ready ready;
	int64_t rounds;

	if (n < 3 || n > 17 || p[1] == 0) {
		syntax_error(c);
		return;
	}
	ready = field_ready(c);
	if (ready == FIELD_STALLED)
		return;
	c->n_tg = 0;
	if (ready == FIELD_CARDS &&
	    activate(c, poll_wants(p + 2, n - 2, false), poll_wants(p + 2, n - 2, true), 2)) {
		list_answer(c, CMD_IN_AUTO_POLL, true, p + 2, n - 2);
		return;
	}
	rounds = p[0] == INFINITE_POLL ? -1 : p[0];
	c->pending = true;
	c->pending_until_ns =
	    rounds < 0 ? -1 : c->now_ns + rounds * p[1] * POLL_PERIOD_NS * (int64_t)(n - 2);
}

static const struct command {
	uint8_t code;
	void (*run)(struct pn532_chip *c, const uint8_t *p, size_t n);
} commands[] = {
	{ CMD_DIAGNOSE, cmd_diagnose },
	{ CMD_GET_FIRMWARE_VERSION, cmd_firmware },
	{ CMD_GET_GENERAL_STATUS, cmd_general_status },
	{ CMD_READ_REGISTER, cmd_read_register },
	{ CMD_WRITE_REGISTER, cmd_write_register },
	{ CMD_SET_PARAMETERS, cmd_set_parameters },
	{ CMD_SAM_CONFIGURATION, cmd_sam_configuration },
	{ CMD_POWER_DOWN, cmd_power_down },
	{ CMD_RF_CONFIGURATION, cmd_rf_configuration },
	{ CMD_IN_DATA_EXCHANGE, cmd_data_exchange },
	{ CMD_IN_COMMUNICATE_THRU, cmd_communicate_thru },
	{ CMD_IN_DESELECT, cmd_deselect },
	{ CMD_IN_LIST_PASSIVE_TARGET, cmd_list_passive },
	{ CMD_IN_RELEASE, cmd_in_release },
	{ CMD_IN_SELECT, cmd_select },
	{ CMD_IN_AUTO_POLL, cmd_auto_poll },
};

static void on_frame(struct pn532_chip *c, const uint8_t *d, size_t n)
{
	trace_bytes(c, "rx", d, n);
	c->pending = false; /* a new command ends one that was waiting */
	emit(c, pn532_ack_frame, sizeof(pn532_ack_frame));
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].code == d[0]) {
			commands[i].run(c, d + 1, n - 1);
			return;
		}
	}
	syntax_error(c);
}

static void set_out(struct pn532_chip *c, uint8_t *out, size_t out_cap, size_t *out_len)
{
	c->out = (struct out_buf){ out, out_cap, out_len };
}

void pn532_chip_input(struct pn532_chip *c, const uint8_t *in, size_t len, int64_t now_ns,
		      uint8_t *out, size_t out_cap, size_t *out_len)
{
	const uint8_t *data;
	size_t n;

	c->now_ns = now_ns;
	set_out(c, out, out_cap, out_len);
	for (size_t i = 0; i < len && !c->stalled; i++) {
		switch (pn532_rx_byte(&c->rx, in[i], &data, &n)) {
		case PN532_RX_FRAME:
			on_frame(c, data, n);
			break;
		case PN532_RX_ACK: /* the host aborts the command in progress */
			trace_bytes(c, "rx ACK (abort)", NULL, 0);
			c->pending = false;
			break;
		default: /* a NACK asks for the last answer again; libnfc sends none */
			break;
		}
	}
}

/* A power cycle: what the chip held is gone; the tap in front stays. */
static void chip_power_on(struct pn532_chip *c)
{
	memset(c->regs, 0, sizeof(c->regs));
	pn532_rx_reset(&c->rx);
	c->rf_on = c->pending = c->stalled = false;
	c->n_tg = 0;
	c->rest_len = c->rest_off = c->chain_len = 0;
}

void pn532_chip_tick(struct pn532_chip *c, int64_t now_ns, uint8_t *out, size_t out_cap,
		     size_t *out_len)
{
	static const uint8_t none[] = { 0x00 };

	c->now_ns = now_ns;
	set_out(c, out, out_cap, out_len);
	if (c->stalled && now_ns >= c->stall_until_ns)
		chip_power_on(c);
	if (c->pending && c->pending_until_ns >= 0 && now_ns >= c->pending_until_ns) {
		c->pending = false;
		reply(c, CMD_IN_AUTO_POLL, none, sizeof(none));
	}
}

void pn532_chip_resume(struct pn532_chip *c)
{
	if (c->stalled)
		chip_power_on(c);
}

int64_t pn532_chip_next_deadline(const struct pn532_chip *c)
{
	if (c->stalled)
		return c->stall_until_ns;
	return c->pending ? c->pending_until_ns : -1;
}

bool pn532_chip_ended(const struct pn532_chip *c)
{
	return c->tap == TAP_ENDED;
}

void pn532_chip_trace(struct pn532_chip *c, FILE *trace)
{
	c->trace = trace;
}

int pn532_chip_new(struct sim_field *field, const struct pn532_options *opts,
		   struct pn532_chip **ret_chip)
{
	struct pn532_chip *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->field = field;
	c->opt = *opts;
	c->clock_ms = opts->clock_start_ms;
	chip_power_on(c);
	clock_write(c);
	*ret_chip = c;
	return 0;
}

void pn532_chip_free(struct pn532_chip *c)
{
	free(c);
}
