/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated field on its own (sim_field.h): script errors, the step
 * sequence, each fault kind, two cards at once, the passenger taking the
 * card away, and the ledger file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_field.h"
#include "sim_test.h"
#include "ykt_error.h"

#define PPSE	"00A404000E325041592E5359532E444446303100"
#define SELECT	"00A4040008A00000063201010500"
#define READ_17 "00B0970000"
#define GET_BAL "805C000204"

static char tmp[256];
static char *data_dir;

/* A script in the temporary directory; card names resolve under data_dir. */
static struct sim_field *load_script(const char *name, const char *text, char *err, size_t n,
				     int *ret_rc)
{
	char path[512];
	struct sim_field *f = NULL;

	check_write_file(tmp, name, text, path, sizeof(path));
	*ret_rc = sim_field_load(path, &f, err, n);
	return f;
}

static struct sim_field *load_ok(const char *text)
{
	char err[512] = "";
	int rc;
	struct sim_field *f = load_script("ok.tap", text, err, sizeof(err), &rc);

	CHECK(rc == 0, "script loads: %s", err);
	return rc == 0 ? f : NULL;
}

static int xfer(struct sim_field *f, size_t slot, const char *hex, uint16_t *ret_sw,
		size_t *ret_len)
{
	uint8_t capdu[300], rapdu[300];
	size_t n = check_hex(hex, capdu, sizeof(capdu)), len = 0;
	int rc = sim_field_transceive(f, slot, capdu, n, rapdu, sizeof(rapdu), &len);

	if (rc == 0 && len >= 2)
		*ret_sw = (uint16_t)(rapdu[len - 2] << 8 | rapdu[len - 1]);
	if (ret_len)
		*ret_len = len;
	return rc;
}

static void errors(void)
{
	char err[512] = "", text[512];
	int rc;

	load_script("bad.tap", "clock 2026-11-21T07:30:00\nhop 3s\n", err, sizeof(err), &rc);
	CHECK(rc == -EINVAL && strstr(err, "bad.tap:2: cannot understand 'hop 3s'"), "%d %s", rc,
	      err);
	snprintf(text, sizeof(text), "tap %s/cards/adult.card mute:ins50 sw:ins54:6581\n",
		 data_dir);
	load_script("two-faults.tap", text, err, sizeof(err), &rc);
	CHECK(rc == -EINVAL && strstr(err, ":1: cannot understand"), "two faults: %s", err);
	load_script("nocard.tap", "wait 1s\ntap missing.card\n", err, sizeof(err), &rc);
	CHECK(rc < 0 && strstr(err, "nocard.tap:2: "), "a missing card names the line: %s", err);
	load_script("badwait.tap", "wait 3 s\n", err, sizeof(err), &rc);
	CHECK(rc == -EINVAL, "wait needs a unit: %d", rc);
	rc = sim_field_load("/nonexistent/x.tap", &(struct sim_field *){ NULL }, err, sizeof(err));
	CHECK(rc == -ENOENT && strstr(err, "/nonexistent/x.tap"), "%d %s", rc, err);
}

static void sequence(void)
{
	char text[1024];
	struct sim_field_step st;
	struct sim_field *f;
	uint16_t sw = 0;

	snprintf(text, sizeof(text),
		 "# a comment\nclock 2026-11-21T07:30:00\ntap %s/cards/adult.card expect=paid\n"
		 "wait 2m\ntap %s/cards/student.card+%s/cards/senior.card\n",
		 data_dir, data_dir, data_dir);
	f = load_ok(text);
	if (!f)
		return;
	CHECK(sim_field_moves_time(f), "clock and wait move time");
	CHECK(sim_field_gone(f) && !sim_field_tap_card(f, 0), "no tap open before the first step");
	sim_field_next(f, &st);
	CHECK(st.kind == SIM_FIELD_CLOCK_SET && st.ms == 1795217400000LL, "clock: %lld",
	      (long long)st.ms);
	sim_field_next(f, &st);
	CHECK(st.kind == SIM_FIELD_TAP && st.tap_no == 1 && st.n_cards == 1, "tap 1");
	CHECK(sim_field_tap_card(f, 0) == sim_field_card(f, 0) && !sim_field_tap_card(f, 1),
	      "adult in slot 0 only");
	CHECK(xfer(f, 0, PPSE, &sw, NULL) == 0 && sw == 0x9000, "PPSE answered");
	CHECK(xfer(f, 1, PPSE, &sw, NULL) == YKT_E_CARD_GONE, "no card in slot 1");
	CHECK_INT(sim_field_tap_exchanges(f), 1);
	sim_field_next(f, &st);
	CHECK(st.kind == SIM_FIELD_CLOCK_ADVANCE && st.ms == 120000, "wait 2m");
	CHECK(xfer(f, 0, PPSE, &sw, NULL) == YKT_E_CARD_GONE, "the tap ended with the next step");
	CHECK_INT(sim_field_tap_exchanges(f), 1);
	sim_field_next(f, &st);
	CHECK(st.kind == SIM_FIELD_TAP && st.tap_no == 2 && st.n_cards == 2, "two cards");
	CHECK(sim_field_tap_card(f, 0) == sim_field_card(f, 1) &&
		  sim_field_tap_card(f, 1) == sim_field_card(f, 2),
	      "student and senior");
	CHECK_INT(sim_field_tap_exchanges(f), 0);
	CHECK(xfer(f, 1, SELECT, &sw, NULL) == 0 && sw == 0x9000, "the second card answers");
	sim_field_leave(f);
	CHECK(sim_field_gone(f) && xfer(f, 0, PPSE, &sw, NULL) == YKT_E_CARD_GONE,
	      "the passenger took the cards away");
	sim_field_tap_end(f);
	sim_field_next(f, &st);
	CHECK(st.kind == SIM_FIELD_END, "end");
	sim_field_next(f, &st);
	CHECK(st.kind == SIM_FIELD_END, "and it stays over");
	sim_field_free(f);
}

/* One tap with one fault; returns the field positioned in that tap. */
static struct sim_field *fault_tap(const char *fault)
{
	char text[512];
	struct sim_field_step st;
	struct sim_field *f;

	snprintf(text, sizeof(text), "tap %s/cards/adult.card %s\n", data_dir, fault);
	f = load_ok(text);
	if (f)
		sim_field_next(f, &st);
	return f;
}

static void faults(void)
{
	struct sim_field *f;
	uint16_t sw = 0;
	size_t n = 0, full = 0;

	if ((f = fault_tap("leave-before:apdu2"))) {
		CHECK(xfer(f, 0, PPSE, &sw, NULL) == 0, "apdu 1 answered");
		CHECK(xfer(f, 0, SELECT, &sw, NULL) == YKT_E_CARD_GONE && sim_field_gone(f),
		      "leave-before: gone at apdu 2");
		CHECK(xfer(f, 0, SELECT, &sw, NULL) == YKT_E_CARD_GONE, "and stays gone");
		CHECK_INT(sim_field_tap_exchanges(f), 2);
		sim_field_free(f);
	}
	if ((f = fault_tap("mute:insA4"))) {
		CHECK(xfer(f, 0, PPSE, &sw, NULL) == -ETIMEDOUT && !sim_field_gone(f),
		      "mute: no answer, the card stays");
		CHECK(xfer(f, 0, SELECT, &sw, NULL) == 0 && sw == 0x9000, "the fault fires once");
		sim_field_free(f);
	}
	if ((f = fault_tap("sw:apdu1:6A82"))) {
		CHECK(xfer(f, 0, SELECT, &sw, &n) == 0 && sw == 0x6A82 && n == 2, "sw: %04X", sw);
		sim_field_free(f);
	}
	if ((f = fault_tap("garble:insB0"))) {
		CHECK(xfer(f, 0, SELECT, &sw, NULL) == 0, "select");
		CHECK(xfer(f, 0, READ_17, &sw, &n) == 0 && sw == 0x9000, "garbled read");
		CHECK(xfer(f, 0, READ_17, &sw, &full) == 0 && n == (full - 2) / 2 + 2,
		      "garble: %zu bytes of %zu", n, full);
		sim_field_free(f);
	}
	if ((f = fault_tap("leave-after:ins5C"))) {
		CHECK(xfer(f, 0, SELECT, &sw, NULL) == 0, "select");
		CHECK(xfer(f, 0, GET_BAL, &sw, NULL) == YKT_E_CARD_GONE && sim_field_gone(f),
		      "leave-after: applied, no answer");
		sim_field_free(f);
	}
}

static bool file_has(const char *path, const char *line)
{
	char buf[512];
	FILE *fp = fopen(path, "re");
	bool found = false;

	while (fp && !found && fgets(buf, sizeof(buf), fp))
		found = strncmp(buf, line, strlen(line)) == 0;
	if (fp)
		fclose(fp);
	return found;
}

static void ledger(void)
{
	char text[512], path[600];
	struct sim_field_step st;
	struct sim_field *f;
	uint16_t sw = 0;

	snprintf(text, sizeof(text),
		 "tap %s/cards/adult.card\ntap %s/cards/adult.card sw:apdu9:6581\n", data_dir,
		 data_dir);
	f = load_ok(text);
	if (!f)
		return;
	sim_field_next(f, &st);
	xfer(f, 0, SELECT, &sw, NULL);
	xfer(f, 0, GET_BAL, &sw, NULL);
	sim_field_next(f, &st);
	snprintf(path, sizeof(path), "%s/ledger", tmp);
	CHECK(sim_field_write_ledger(f, path) == 0, "ledger written");
	CHECK(file_has(path, "tap 1 cards=adult apdus=2 fault=none fired=no"), "tap 1 line");
	CHECK(file_has(path, "tap 2 cards=adult apdus=0 fault=sw fired=no"), "tap 2 line");
	CHECK(file_has(path, "card serial=10001000000000012345 name=adult "), "card line");
	CHECK(sim_field_write_ledger(f, "/nonexistent/dir/ledger") == -ENOENT, "bad path");
	sim_field_free(f);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	/* scripts name cards by absolute path: they live elsewhere */
	data_dir = realpath(argv[1], NULL);
	if (!data_dir)
		check_skip("no data directory");
	check_tmpdir(tmp, sizeof(tmp));
	errors();
	sequence();
	faults();
	ledger();
	check_rm_rf(tmp);
	free(data_dir);
	return check_result();
}
