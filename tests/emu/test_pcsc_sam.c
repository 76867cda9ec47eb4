/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pcsc: SAM slot against a real pcscd: simulated PSAMs in two vpcd
 * slots of a private pcscd (T=0 and T=1).
 *   - slots by name, by index (#1) and by name prefix;
 *   - PSAM start-up (61xx GET RESPONSE) and MAC1 through pcscd give what
 *     the same PSAM gives directly;
 *   - T=0: a 6Cxx answer is sent again with the right Le; T=1 passes it up;
 *   - insertion and removal reach the loop as YKT_EV_SAM_* events; an empty
 *     slot answers YKT_E_SAM_ABSENT; another PSAM pushed in is reset (the
 *     handle reconnects) and read;
 *   - pcscd killed and started again: the slot reports the PSAM gone and
 *     back, and works through a new context.
 *
 * Usage: test-pcsc-sam DATA_DIR    (exit 77 without root, pcscd or vpcd)
 */
#include "check.h"
#include "loop.h"
#include "pcsc.h"
#include "pcscd_private.h"
#include "psam.h"
#include "sam.h"
#include "sim.h"
#include "vpcd.h"
#include "vpcd_psam.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUARD_SECONDS  10 /* a hang guard, not a timing check */
#define INSERT_WAIT_MS 5000

/* SAM events seen so far, by type and slot */
static unsigned seen[YKT_EV_DEVICE_ERROR + 1][3];
static struct {
	enum ykt_event_type type;
	int source;
	unsigned count;
	int ticks;
	bool timed_out;
} want;
static struct ykt_loop *loop;

static void on_event(struct ykt_loop *l, const struct ykt_event *ev, void *userdata)
{
	if (ev->type > YKT_EV_DEVICE_ERROR || ev->source < 0 || ev->source > 2)
		return;
	seen[ev->type][ev->source]++;
	if (seen[want.type][want.source] >= want.count)
		ykt_loop_quit(l, 0);
}

static void on_tick(struct ykt_loop *l, void *userdata)
{
	if (++want.ticks < GUARD_SECONDS)
		return;
	want.timed_out = true;
	ykt_loop_quit(l, 0);
}

/* Run the loop until the slot has posted `count` events of this type. */
static bool wait_events(enum ykt_event_type type, int source, unsigned count)
{
	want.type = type;
	want.source = source;
	want.count = count;
	want.ticks = 0;
	if (seen[type][source] < count)
		ykt_loop_run(loop);
	CHECK(seen[type][source] >= count, "%u %s events from slot %d, expected %u",
	      seen[type][source], type == YKT_EV_SAM_INSERTED ? "insertion" : "removal", source,
	      count);
	return seen[type][source] >= count;
}

static void check_start(struct ykt_psam *psam, const char *terminal)
{
	char got[13];
	int r = psam_start(psam);

	CHECK(r == 0, "PSAM start-up: %s", ykt_strerror(r));
	if (r)
		return;
	check_to_hex(psam_terminal_no(psam), 6, got, sizeof(got));
	CHECK(strcmp(got, terminal) == 0, "terminal number %s, expected %s", got, terminal);
	CHECK_INT(psam_key_index(psam), 1);
}

/* MAC1 through pcscd equals MAC1 from the same profile's PSAM in process. */
static void check_mac1(struct ykt_psam *psam, const char *profile)
{
	struct psam_mac1_input in = {
		.random = { 1, 2, 3, 4 },
		.atc = 7,
		.amount_fen = 200,
		.trans_type = 0x09,
		.datetime = { 0x20, 0x26, 0x11, 0x21, 0x08, 0x00, 0x00 },
		.key_version = 1,
		.app_serial_low8 = { 0, 0, 0, 0, 0, 0, 0x12, 0x34 },
		.issuer_id = { 0x10, 0x00, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF },
	};
	uint8_t mac1[4], rapdu[300], cmd[5 + 36] = { 0x80, 0x70, 0x00, 0x00, 0x24 };
	uint8_t atr[64], sel[] = { 0x00, 0xA4, 0x00, 0x00, 0x02, 0x80, 0x11 };
	uint8_t get[] = { 0x00, 0xC0, 0x00, 0x00, 0x08 };
	struct sim_psam *ref;
	uint32_t serial = 0;
	size_t len;

	CHECK_INT(psam_mac1(psam, &in, &serial, mac1), 0);
	CHECK_INT(sim_psam_load(profile, &ref, NULL, 0), 0);
	sim_psam_reset(ref, atr, sizeof(atr), &len);
	sim_psam_transmit(ref, sel, sizeof(sel), rapdu, sizeof(rapdu), &len);
	memcpy(cmd + 5, in.random, 4);
	cmd[9] = 0;
	cmd[10] = 7;
	memcpy(cmd + 11, "\x00\x00\x00\xC8\x09", 5);
	memcpy(cmd + 16, in.datetime, 7);
	cmd[23] = 1;
	cmd[24] = 0;
	memcpy(cmd + 25, in.app_serial_low8, 8);
	memcpy(cmd + 33, in.issuer_id, 8);
	sim_psam_transmit(ref, cmd, sizeof(cmd), rapdu, sizeof(rapdu), &len);
	CHECK_HEX(rapdu, len, "6108");
	sim_psam_transmit(ref, get, sizeof(get), rapdu, sizeof(rapdu), &len);
	CHECK(len == 10 && rapdu[8] == 0x90, "reference PSAM answered 8070");
	CHECK(serial == (uint32_t)(rapdu[0] << 24 | rapdu[1] << 16 | rapdu[2] << 8 | rapdu[3]),
	      "PSAM serial %08X through pcscd", serial);
	CHECK(memcmp(mac1, rapdu + 4, 4) == 0, "MAC1 through pcscd differs from the PSAM's own");
	sim_psam_free(ref);
}

/* After 8070 (61 08), GET RESPONSE with Le 04: the PSAM says 6C08. */
static void wrong_le(struct ykt_sam *s, uint8_t *rapdu, size_t cap, size_t *len)
{
	uint8_t sel[] = { 0x00, 0xA4, 0x00, 0x00, 0x02, 0x80, 0x11 };
	uint8_t cmd[5 + 36] = { 0x80, 0x70, 0x00, 0x00, 0x24 };
	uint8_t get[] = { 0x00, 0xC0, 0x00, 0x00, 0x04 };

	cmd[5 + 10] = 0x09;					 /* type */
	memcpy(cmd + 5 + 11, "\x20\x26\x11\x21\x08\x00\x00", 7); /* date */
	cmd[5 + 18] = 1;					 /* key version */
	CHECK_INT(ykt_sam_transmit(s, sel, sizeof(sel), rapdu, cap, len), 0);
	CHECK_INT(ykt_sam_transmit(s, cmd, sizeof(cmd), rapdu, cap, len), 0);
	CHECK_HEX(rapdu, *len, "6108");
	CHECK_INT(ykt_sam_transmit(s, get, sizeof(get), rapdu, cap, len), 0);
}

static void check_spec_parse(void)
{
	struct pcsc_spec spec = { .share = PCSC_SHARE_EXCLUSIVE };
	char err[200];

	CHECK_INT(pcsc_spec_parse("#3,protocol=t1,share=shared", &spec, err, sizeof(err)), 0);
	CHECK(spec.index == 3 && spec.protocol == PCSC_PROTO_T1 && spec.share == PCSC_SHARE_SHARED,
	      "#3,protocol=t1,share=shared");
	CHECK_INT(pcsc_spec_parse("ACS ACR1252, Inc. 00 00", &spec, err, sizeof(err)), 0);
	CHECK(spec.index == -1 && strcmp(spec.name, "ACS ACR1252, Inc. 00 00") == 0,
	      "a comma without '=' is the name's: '%s'", spec.name);
	CHECK_INT(pcsc_spec_parse("Reader,protocol=t2", &spec, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "protocol=t2") != NULL, "message '%s'", err);
	CHECK_INT(pcsc_spec_parse("#x", &spec, err, sizeof(err)), -EINVAL);
	CHECK_INT(pcsc_spec_parse("#100", &spec, err, sizeof(err)), -EINVAL);
	CHECK_INT(pcsc_spec_parse("", &spec, err, sizeof(err)), -EINVAL);
	CHECK_INT(pcsc_spec_parse(",share=shared", &spec, err, sizeof(err)), -EINVAL);
}

struct bench {
	struct pcscd_private pcscd;
	struct vpcd_psam *a, *b; /* slots 00 00 (T=0) and 00 01 (T=1) */
	struct ykt_sam *s0, *s1;
	struct ykt_psam *p0, *p1;
	char psam1[512], psam2[512];
};

static int setup(struct bench *t, const char *tmp, const char *data)
{
	struct ykt_sam_env env0 = { .source = 1 }, env1 = { .source = 2 };
	char why[300], err[256];

	snprintf(t->psam1, sizeof(t->psam1), "%s/psam/psam.psam", data);
	snprintf(t->psam2, sizeof(t->psam2), "%s/psam/psam2.psam", data);
	if (pcscd_private_start(&t->pcscd, tmp, "YKT SAM", why, sizeof(why)) < 0) {
		fprintf(stderr, "%s\n", why);
		return -1;
	}
	CHECK_INT(ykt_loop_new(on_event, NULL, &loop), 0);
	CHECK_INT(ykt_loop_add_timer(loop, 1000, on_tick, NULL) >= 0, 1);
	CHECK_INT(vpcd_psam_new(t->pcscd.port, t->psam1, false, &t->a, err, sizeof(err)), 0);
	CHECK_INT(vpcd_psam_new(t->pcscd.port + 1, t->psam2, true, &t->b, err, sizeof(err)), 0);
	env0.loop = env1.loop = loop;
	/* the slots are empty when opened: the PSAMs arrive afterwards */
	CHECK_INT(ykt_sam_open("pcsc:YKT SAM 00 00", &env0, &t->s0, err, sizeof(err)), 0);
	CHECK_INT(ykt_sam_open("pcsc:#1", &env1, &t->s1, err, sizeof(err)), 0);
	if (check_failures)
		return -1;
	CHECK_INT(psam_new(t->s0, PSAM_DF_MOT, &t->p0), 0);
	CHECK_INT(psam_new(t->s1, PSAM_DF_MOT, &t->p1), 0);
	CHECK_INT(psam_start(t->p0), YKT_E_SAM_ABSENT);
	return 0;
}

static void insert(struct vpcd_psam *p, int source)
{
	CHECK_INT(vpcd_insert(vpcd_psam_vpcd(p), INSERT_WAIT_MS), 0);
	wait_events(YKT_EV_SAM_INSERTED, source, seen[YKT_EV_SAM_INSERTED][source] + 1);
}

static void check_protocols(struct bench *t)
{
	uint8_t atr[64], rapdu[300];
	size_t len = 0;
	uint32_t n;

	insert(t->a, 1);
	insert(t->b, 2);
	CHECK_INT(ykt_sam_presence(t->s0, &n), 1);
	CHECK_INT(n, 1);
	check_start(t->p0, "001122334455");
	check_mac1(t->p0, t->psam1);
	check_start(t->p1, "001122334456");
	CHECK_INT(ykt_sam_reset(t->s1, atr, sizeof(atr), &len), 0);
	CHECK(len > 3 && atr[0] == 0x3B && atr[2] == 0x01, "slot 2 offers T=1 only");
	/* T=0: the slot sends GET RESPONSE again with Le 08 */
	wrong_le(t->s0, rapdu, sizeof(rapdu), &len);
	CHECK(len == 10 && rapdu[8] == 0x90 && rapdu[9] == 0x00, "T=0 6Cxx not resent");
	/* T=1: no such rule, the answer passes up */
	wrong_le(t->s1, rapdu, sizeof(rapdu), &len);
	CHECK_HEX(rapdu, len, "6C08");
}

static void check_swap(struct bench *t)
{
	uint8_t cmd[] = { 0x00, 0xB0, 0x96, 0x00, 0x06 }, rapdu[300];
	char err[256];
	size_t len;
	uint32_t n;

	vpcd_remove(vpcd_psam_vpcd(t->a));
	wait_events(YKT_EV_SAM_REMOVED, 1, 1);
	CHECK_INT(ykt_sam_presence(t->s0, &n), 0);
	CHECK(!psam_present(t->p0), "a pulled PSAM is not present");
	CHECK_INT(ykt_sam_transmit(t->s0, cmd, sizeof(cmd), rapdu, sizeof(rapdu), &len),
		  YKT_E_SAM_ABSENT);
	CHECK_INT(vpcd_psam_swap(t->a, t->psam2, err, sizeof(err)), 0);
	insert(t->a, 1);
	CHECK_INT(ykt_sam_presence(t->s0, &n), 1);
	CHECK_INT(n, 2);
	check_start(t->p0, "001122334456");
}

static void check_pcscd_restart(struct bench *t)
{
	char why[300];
	uint32_t before, after;

	ykt_sam_presence(t->s0, &before);
	CHECK(pcscd_private_restart(&t->pcscd, why, sizeof(why)) == 0, "%s", why);
	/* both slots: gone with pcscd, back with it */
	wait_events(YKT_EV_SAM_REMOVED, 1, 2);
	wait_events(YKT_EV_SAM_INSERTED, 1, 3);
	wait_events(YKT_EV_SAM_REMOVED, 2, 1);
	wait_events(YKT_EV_SAM_INSERTED, 2, 2);
	CHECK_INT(ykt_sam_presence(t->s0, &after), 1);
	CHECK(after == before + 1, "insertions %u after a restart, %u before", after, before);
	CHECK(vpcd_connections(vpcd_psam_vpcd(t->a)) >= 3, "the PSAM reconnected to vpcd");
	check_start(t->p0, "001122334456");
	check_start(t->p1, "001122334456");
}

/* A prefix finds the first slot; protocol=t0 on a T=1-only PSAM fails. */
static void check_names(struct bench *t)
{
	struct ykt_sam_env env = { 0 };
	struct ykt_sam *s;
	uint8_t atr[64];
	size_t len;
	char err[256];

	ykt_sam_free(t->s0);
	ykt_sam_free(t->s1);
	t->s0 = t->s1 = NULL;
	CHECK_INT(ykt_sam_open("pcsc:YKT SAM", &env, &s, err, sizeof(err)), 0);
	CHECK_INT(ykt_sam_reset(s, atr, sizeof(atr), &len), 0);
	CHECK(len > 2 && atr[1] == 0x68, "the prefix found slot 00 00 (T=0 ATR)");
	ykt_sam_free(s);
	CHECK_INT(ykt_sam_open("pcsc:#1,protocol=t0", &env, &s, err, sizeof(err)), 0);
	CHECK(ykt_sam_reset(s, atr, sizeof(atr), &len) < 0, "T=0 forced on a T=1 PSAM");
	ykt_sam_free(s);
	CHECK_INT(ykt_sam_open("pcsc:No Such Reader", &env, &s, err, sizeof(err)), 0);
	CHECK_INT(ykt_sam_reset(s, atr, sizeof(atr), &len), YKT_E_SAM_ABSENT);
	ykt_sam_free(s);
}

int main(int argc, char **argv)
{
	static struct bench t;
	const char *why = pcscd_private_unavailable();
	char tmp[256];

	if (argc != 2)
		return 2;
	check_spec_parse();
	if (why)
		check_skip(why);
	check_tmpdir(tmp, sizeof(tmp));
	if (setup(&t, tmp, argv[1]) == 0) {
		check_protocols(&t);
		check_swap(&t);
		check_pcscd_restart(&t);
		check_names(&t);
	}
	CHECK(!want.timed_out, "an event never came");
	psam_free(t.p0);
	psam_free(t.p1);
	ykt_sam_free(t.s0);
	ykt_sam_free(t.s1);
	vpcd_psam_free(t.a);
	vpcd_psam_free(t.b);
	ykt_loop_free(loop);
	pcscd_private_stop(&t.pcscd);
	if (!check_failures)
		check_rm_rf(tmp);
	else
		fprintf(stderr, "files kept in %s\n", tmp);
	return check_result();
}
