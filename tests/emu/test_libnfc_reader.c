/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libnfc: reader on its own, through libnfc's pn532_uart driver and the
 * PN532 emulator, event by event:
 *   1. a Type A card: reported with its UID, answers SELECT;
 *   2. a Type B card: reported with its PUPI, answers SELECT;
 *   3. two cards at once: reported as two, and the reader refuses an APDU;
 *   4. the reader stops answering in the middle of a poll: one device error,
 *      and once it answers again the next card is reported;
 *   5. the reader is unplugged (its process killed) and another one appears
 *      at the same path: one device error, then its card.
 * After each tap the card's removal is reported, and an exchange after
 * ykt_reader_done() finds no card. Closing the reader while it polls
 * returns. Bad connstrings are refused at open.
 *
 * Usage: test-libnfc-reader DATADIR EMULATOR
 */
#include "check.h"
#include "emu_proc.h"
#include "loop.h"
#include "reader.h"
#include "sim.h"
#include "ykt_error.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define PPSE "00A404000E325041592E5359532E444446303100"

struct expect_card {
	const char *file;
	int n_cards;
	uint8_t uid[10];
	size_t uid_len;
};

struct t {
	const char *emu_path;
	char *data;
	char dir[256];
	struct emu_proc emu;
	struct ykt_reader *reader;
	struct expect_card cards[5];
	int present, removed, errors;
};

static void card_uid(const char *data, struct expect_card *e)
{
	char path[PATH_MAX], err[256] = "";
	struct sim_card *c = NULL;
	struct sim_card_info info;

	snprintf(path, sizeof(path), "%s/cards/%s", data, e->file);
	CHECK(sim_card_load(path, &c, err, sizeof(err)) == 0, "%s: %s", path, err);
	if (!c)
		return;
	sim_card_info(c, &info);
	memcpy(e->uid, info.uid, info.uid_len);
	e->uid_len = info.uid_len;
	sim_card_free(c);
}

static int start_emulator(struct t *t, const char *script_text, const char *extra)
{
	char script[PATH_MAX];
	const char *args[] = { "--script", script, extra ? "--stall" : NULL, extra, NULL };

	check_write_file(t->dir, "field.tap", script_text, script, sizeof(script));
	return emu_proc_start(&t->emu, t->emu_path, t->dir, args);
}

static void select_ppse(struct t *t, int n)
{
	uint8_t capdu[64], rapdu[258];
	size_t len = check_hex(PPSE, capdu, sizeof(capdu)), rlen = 0;
	int rc = ykt_reader_transceive(t->reader, capdu, len, rapdu, sizeof(rapdu), &rlen);

	CHECK(rc == 0 && rlen >= 2 && rapdu[rlen - 2] == 0x90 && rapdu[rlen - 1] == 0x00,
	      "card %d answers SELECT: rc %d, %zu bytes", n, rc, rlen);
}

static void on_present(struct t *t, const struct ykt_event *ev)
{
	const struct expect_card *e;
	uint8_t capdu[5] = { 0x00, 0xB0, 0x95, 0x00, 0x00 }, rapdu[258];
	size_t rlen;
	int n = ++t->present;

	if (n > 5) {
		CHECK(0, "card %d: the script has five", n);
		ykt_reader_done(t->reader);
		return;
	}
	e = &t->cards[n - 1];
	CHECK(ev->n_cards == e->n_cards, "card %d (%s): %d cards reported, expected %d", n, e->file,
	      ev->n_cards, e->n_cards);
	if (e->n_cards == 1) {
		CHECK(ev->uid_len == e->uid_len && memcmp(ev->uid, e->uid, e->uid_len) == 0,
		      "card %d (%s): UID", n, e->file);
		select_ppse(t, n);
	} else {
		CHECK(ykt_reader_transceive(t->reader, capdu, sizeof(capdu), rapdu, sizeof(rapdu),
					    &rlen) == YKT_E_MULTI_CARD,
		      "card %d: two cards, and the reader refuses to talk to either", n);
	}
	CHECK(t->errors == (n >= 5   ? 2
			    : n >= 4 ? 1
				     : 0),
	      "card %d after %d device errors", n, t->errors);
	ykt_reader_done(t->reader);
	CHECK(ykt_reader_transceive(t->reader, capdu, sizeof(capdu), rapdu, sizeof(rapdu), &rlen) ==
		  YKT_E_CARD_GONE,
	      "card %d: no exchange once the tap is done", n);
}

/* After the fourth card, the reader is pulled out and another one plugged
 * in at the same path; after the fifth, the test is over. */
static void on_removed(struct t *t, struct ykt_loop *loop)
{
	char text[PATH_MAX + 16];

	t->removed++;
	CHECK(t->removed == t->present, "removal %d after %d cards", t->removed, t->present);
	if (t->removed == 4) {
		emu_proc_kill(&t->emu);
		snprintf(text, sizeof(text), "tap %s/cards/adult.card\n", t->data);
		CHECK(start_emulator(t, text, NULL) == 0, "a second reader");
	}
	if (t->removed == 5)
		ykt_loop_quit(loop, 0);
}

static void on_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata)
{
	struct t *t = userdata;

	switch (ev->type) {
	case YKT_EV_CARD_PRESENT:
		on_present(t, ev);
		break;
	case YKT_EV_CARD_REMOVED:
		on_removed(t, loop);
		break;
	case YKT_EV_DEVICE_ERROR:
		t->errors++;
		CHECK(ev->err < 0, "a device error says why: %d", ev->err);
		if (t->errors == 1)
			kill(t->emu.pid, SIGUSR1); /* the stalled reader answers again */
		break;
	default:
		break;
	}
}

static void bad_connstrings(struct ykt_loop *loop)
{
	static const char *const bad[] = { "libnfc:pcsc:reader", "libnfc:pn532_uartx:/dev/tty",
					   "libnfc:/dev/ttyS1" };
	struct ykt_reader_env env = { .loop = loop };
	struct ykt_reader *r = NULL;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(ykt_reader_open(bad[i], &env, &r, err, sizeof(err)) == -EINVAL &&
			  strstr(err, "not a libnfc device"),
		      "%s refused: %s", bad[i], err);
	}
	CHECK(ykt_reader_open("libnfc:", &env, &r, err, sizeof(err)) == 0, "libnfc: alone opens");
	ykt_reader_free(r); /* never started: nothing to stop */
}

int main(int argc, char **argv)
{
	static struct t t = { .cards = {
				  { "adult.card", 1 },
				  { "dual-typeb.card", 1 },
				  { "student.card", 2 },
				  { "student.card", 1 },
				  { "adult.card", 1 },
			      } };
	struct ykt_reader_env env = { 0 };
	struct ykt_loop *loop = NULL;
	char text[4 * PATH_MAX], err[256] = "";

	if (argc != 3)
		return 2;
	t.data = realpath(argv[1], NULL); /* the scripts live elsewhere */
	if (!t.data)
		check_skip("no data directory");
	t.emu_path = argv[2];
	check_tmpdir(t.dir, sizeof(t.dir));
	for (size_t i = 0; i < 5; i++)
		card_uid(t.data, &t.cards[i]);
	snprintf(text, sizeof(text),
		 "tap %s/cards/adult.card\ntap %s/cards/dual-typeb.card\n"
		 "tap %s/cards/student.card+%s/cards/senior.card\ntap %s/cards/student.card\n",
		 t.data, t.data, t.data, t.data, t.data);
	CHECK(ykt_loop_new(on_event, &t, &loop) == 0, "loop");
	bad_connstrings(loop);
	CHECK(start_emulator(&t, text, "4:60000") == 0, "the emulator starts");
	env.loop = loop;
	CHECK(ykt_reader_open(t.emu.uri, &env, &t.reader, err, sizeof(err)) == 0, "open: %s", err);
	CHECK(t.reader && ykt_reader_start(t.reader) == 0, "the reader starts");
	if (!check_failures)
		CHECK(ykt_loop_run(loop) == 0, "the loop ran");
	ykt_reader_free(t.reader); /* aborts the poll in progress */
	emu_proc_stop(&t.emu);
	ykt_loop_free(loop);
	CHECK(t.present == 5 && t.removed == 5, "%d cards, %d removals", t.present, t.removed);
	CHECK(t.errors == 2, "%d device errors: one per outage", t.errors);
	if (!check_failures)
		check_rm_rf(t.dir);
	free(t.data);
	return check_result();
}
