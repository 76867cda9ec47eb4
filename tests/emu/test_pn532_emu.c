/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PN532 emulator through libnfc's own API, the way other libnfc
 * programs (nfc-list, nfc-poll) use a reader, beyond what the libnfc:
 * driver needs:
 *   - select by InListPassiveTarget, Type A (UID, SAK 20, ATS) and Type B
 *     (BrTy 03: PUPI, protocol info), and no Type A card while a Type B one
 *     is in the field;
 *   - an APDU, then a presence check: the validator is done, the passenger
 *     takes the card away (libnfc reports the target released);
 *   - InAutoPoll finding two cards of different types at once;
 *   - an endless InAutoPoll (PollNr FF) with nothing left to find, aborted
 *     from another thread by nfc_abort_command (the host's ACK);
 *   - the clock file following the script's clock steps.
 *
 * Usage: test-pn532-emu DATADIR EMULATOR
 */
#include "check.h"
#include "emu_proc.h"

#include "clock.h"

#include <limits.h>
#include <nfc/nfc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const nfc_modulation type_a = { .nmt = NMT_ISO14443A, .nbr = NBR_106 };
static const nfc_modulation type_b = { .nmt = NMT_ISO14443B, .nbr = NBR_106 };
static const uint8_t ppse[] = { 0x00, 0xA4, 0x04, 0x00, 0x0E, '2', 'P', 'A', 'Y', '.',
				'S',  'Y',  'S',  '.',	'D',  'D', 'F', '0', '1', 0x00 };

static char dir[256];

static int64_t clock_file(void)
{
	char path[300], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/clock", dir);
	f = fopen(path, "re");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	return atoll(buf);
}

static void exchange(nfc_device *dev, const char *what)
{
	uint8_t rapdu[300];
	int n = nfc_initiator_transceive_bytes(dev, ppse, sizeof(ppse), rapdu, sizeof(rapdu), 1000);

	CHECK(n >= 2 && rapdu[n - 2] == 0x90 && rapdu[n - 1] == 0x00, "%s: SELECT PPSE -> %d", what,
	      n);
}

static void select_a(nfc_device *dev)
{
	nfc_target t;

	CHECK(nfc_initiator_select_passive_target(dev, type_a, NULL, 0, &t) == 1, "Type A found");
	CHECK(t.nti.nai.btSak == 0x20 && t.nti.nai.szUidLen == 4 &&
		  memcmp(t.nti.nai.abtUid, "\x04\xA1\xB2\xC3", 4) == 0 && t.nti.nai.szAtsLen == 5 &&
		  t.nti.nai.abtAts[0] == 0x75,
	      "Type A: SAK %02X, UID of %zu bytes, ATS of %zu", t.nti.nai.btSak, t.nti.nai.szUidLen,
	      t.nti.nai.szAtsLen);
	CHECK_INT(clock_file(), 1795217400000LL);
	exchange(dev, "Type A");
	CHECK_INT(nfc_initiator_target_is_present(dev, NULL), NFC_ETGRELEASED);
}

static void select_b(nfc_device *dev)
{
	nfc_target t;

	CHECK_INT(nfc_initiator_select_passive_target(dev, type_a, NULL, 0, &t), 0);
	CHECK(nfc_initiator_select_passive_target(dev, type_b, (const uint8_t *)"\x00", 1, &t) == 1,
	      "Type B found");
	CHECK(memcmp(t.nti.nbi.abtPupi, "\x5A\x3C\x9E\x01", 4) == 0 &&
		  t.nti.nbi.abtProtocolInfo[1] == 0x81,
	      "Type B: PUPI and protocol info");
	CHECK_INT(clock_file(), 1795217400000LL + 90000);
	exchange(dev, "Type B");
	CHECK(nfc_initiator_deselect_target(dev) >= 0, "deselect"); /* done: the card leaves */
}

static void two_cards(nfc_device *dev)
{
	const nfc_modulation both[] = { type_a, type_b };
	nfc_target t;

	CHECK_INT(nfc_initiator_poll_target(dev, both, 2, 1, 1, &t), 2);
	CHECK_INT(nfc_initiator_target_is_present(dev, NULL), NFC_ETGRELEASED);
}

struct aborter {
	nfc_device *dev;
	pthread_mutex_t lock;
	bool done;
};

/* An abort reaches only a command already waiting: repeat it until the
 * poll has returned. */
static void *abort_poll(void *userdata)
{
	struct aborter *a = userdata;
	bool done = false;

	while (!done) {
		ykt_sleep_ns(100000000);
		pthread_mutex_lock(&a->lock);
		done = a->done;
		if (!done)
			nfc_abort_command(a->dev);
		pthread_mutex_unlock(&a->lock);
	}
	return NULL;
}

static void endless_poll(nfc_device *dev, struct emu_proc *emu)
{
	const nfc_modulation both[] = { type_a, type_b };
	struct aborter a = { .dev = dev, .lock = PTHREAD_MUTEX_INITIALIZER };
	char line[64];
	pthread_t th;
	nfc_target t;
	int rc;

	CHECK(pthread_create(&th, NULL, abort_poll, &a) == 0, "thread");
	rc = nfc_initiator_poll_target(dev, both, 2, 0xFF, 1, &t);
	pthread_mutex_lock(&a.lock);
	a.done = true;
	pthread_mutex_unlock(&a.lock);
	pthread_join(th, NULL);
	CHECK_INT(rc, NFC_EOPABORTED);
	CHECK(emu_proc_wait(emu, "end", line, sizeof(line)) == 0, "the script is over");
	CHECK(nfc_device_set_property_bool(dev, NP_ACTIVATE_FIELD, true) == 0,
	      "the chip answers after the abort");
}

int main(int argc, char **argv)
{
	char data[PATH_MAX], script[PATH_MAX], text[5 * PATH_MAX];
	const char *args[] = { "--script", script, "--clock-file", NULL, NULL };
	char clock_path[300];
	nfc_connstring conn;
	nfc_context *ctx = NULL;
	nfc_device *dev = NULL;
	struct emu_proc emu;

	if (argc != 3 || !realpath(argv[1], data))
		return 2;
	check_tmpdir(dir, sizeof(dir));
	snprintf(text, sizeof(text),
		 "clock 2026-11-21T07:30:00\ntap %s/cards/adult.card\nwait 90s\n"
		 "tap %s/cards/dual-typeb.card\ntap %s/cards/adult.card+%s/cards/dual-typeb.card\n",
		 data, data, data, data);
	check_write_file(dir, "field.tap", text, script, sizeof(script));
	snprintf(clock_path, sizeof(clock_path), "%s/clock", dir);
	args[3] = clock_path;
	CHECK(emu_proc_start(&emu, argv[2], dir, args) == 0, "the emulator starts");
	nfc_init(&ctx);
	snprintf(conn, sizeof(conn), "%s", emu.uri + strlen("libnfc:"));
	if (ctx)
		dev = nfc_open(ctx, conn);
	CHECK(dev && nfc_initiator_init(dev) == 0, "libnfc opens %s", conn);
	if (dev) {
		select_a(dev);
		select_b(dev);
		two_cards(dev);
		endless_poll(dev, &emu);
		nfc_close(dev);
	}
	if (ctx)
		nfc_exit(ctx);
	CHECK(emu_proc_stop(&emu) == 0, "the emulator exits cleanly");
	if (!check_failures)
		check_rm_rf(dir);
	return check_result();
}
