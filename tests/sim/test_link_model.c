/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The link model (drivers/sim/link_model.c) against times computed by hand
 * from the formulas of docs/link-model.md.
 *
 * Units used in the hand computations:
 *   ISO 14443: fc = 13.56 MHz; 1 etu at 106 kbit/s = 128/fc = 9.439528 us;
 *              FDT minimum = 1172/fc = 86.430678 us.
 *   ISO 7816:  f = 3.5712 MHz; 1 etu at F/D = 93 = 26.041667 us (38 400 bit/s),
 *              at F/D = 372 = 104.166667 us (9600 bit/s).
 */
#include <errno.h>
#include <string.h>

#include "link_model.h"
#include "sim_test.h"
#include "ykt_error.h"

/* ns from carrier cycles, for expectations written in 1/fc */
#define FC_NS(cycles) ((cycles)*25000.0 / 339.0)

#define NEAR(got, want_ns, what)                                                                   \
	CHECK((double)(got) >= (want_ns)-1000.0 && (double)(got) <= (want_ns) + 1000.0,            \
	      "%s: %llu ns, expected %.0f ns (+-1 us)", what, (unsigned long long)(got),           \
	      (double)(want_ns))

static const char *select_ep = "00A4040008A00000063201010500";		     /* 14 bytes */
static const char *select_8011 = "00A40000028011";			     /* 7 bytes, case 3 */
static const char *get_response8 = "00C0000008";			     /* 5 bytes, case 2 */
static const char *debit = "805401000F 00000001 20261121073000 11223344 08"; /* 21 bytes */

static size_t apdu(const char *hex, uint8_t *buf)
{
	return check_hex(hex, buf, 300);
}

static struct link_timing cl(const struct link_contactless *l, const char *hex, size_t rlen)
{
	uint8_t c[300];
	size_t n = apdu(hex, c);
	struct link_timing t = { 0 };

	CHECK(link_contactless_exchange(l, c, n, rlen, &t) == 0, "exchange %s", hex);
	CHECK(t.total_ns == t.air_ns + t.gap_ns + t.processing_ns, "parts add up");
	return t;
}

static struct link_timing ct(const struct link_contact *l, const char *hex, size_t rlen)
{
	uint8_t c[300];
	size_t n = apdu(hex, c);
	struct link_timing t = { 0 };

	CHECK(link_contact_exchange(l, c, n, rlen, &t) == 0, "exchange %s", hex);
	CHECK(t.total_ns == t.air_ns + t.gap_ns + t.processing_ns, "parts add up");
	return t;
}

/* SELECT EP, 14 bytes, answered with 30 bytes of FCI + SW (32), default
 * link (Type A, 106 kbit/s, FSC = FSD = 256, no CID):
 *   reader waits FDT min                      1172/fc   =   86.431 us (gap)
 *   I-block PCB + 14 + CRC_A = 17 bytes: 2 + 9*17 = 155 etu = 1463.127 us
 *   card processing SELECT                               = 2000.000 us
 *   I-block PCB + 32 + CRC_A = 35 bytes: 2 + 9*35 = 317 etu = 2992.330 us
 *   air 4455.457, gap 86.431, processing 2000, total 6541.888 us; 2 frames */
static void select_ep_106(void)
{
	struct link_contactless l;
	struct link_timing t;

	link_contactless_default(&l);
	t = cl(&l, select_ep, 32);
	NEAR(t.air_ns, FC_NS(472.0 * 128), "SELECT EP air");
	NEAR(t.gap_ns, FC_NS(1172.0), "SELECT EP gap");
	CHECK(t.processing_ns == 2000000, "SELECT EP processing %llu",
	      (unsigned long long)t.processing_ns);
	NEAR(t.total_ns, 6541888.0, "SELECT EP total");
	CHECK(t.total_us == 6542, "total_us %u", t.total_us);
	CHECK(t.frames == 2, "frames %u", t.frames);
}

/* Same at 848 kbit/s: etu = 16/fc, air = 472 etu = 556.932 us; the FDT
 * stays 1172/fc and the processing 2000 us, so 2643.363 us in all: the air
 * time is exactly 8 times shorter, the exchange only about 2.5 times. */
static void bitrate_scaling(void)
{
	struct link_contactless l;
	struct link_timing slow, fast, mid;

	link_contactless_default(&l);
	slow = cl(&l, select_ep, 32);
	l.bitrate_kbps = 424;
	mid = cl(&l, select_ep, 32);
	l.bitrate_kbps = 848;
	fast = cl(&l, select_ep, 32);
	NEAR(fast.total_ns, 2643363.0, "848 total");
	CHECK(fast.air_ns * 8 >= slow.air_ns - 8 && fast.air_ns * 8 <= slow.air_ns + 8,
	      "air x8: %llu vs %llu", (unsigned long long)fast.air_ns,
	      (unsigned long long)slow.air_ns);
	CHECK(fast.total_ns < mid.total_ns && mid.total_ns < slow.total_ns, "faster with bitrate");
	CHECK(fast.total_ns * 3 > slow.total_ns, "not 8x: processing and FDT do not scale");
	l.bitrate_kbps = 100;
	CHECK(link_contactless_exchange(&l, (const uint8_t *)"\0\xA4\4\0", 4, 2, &fast) == -EINVAL,
	      "100 kbit/s refused");
}

/* UPDATE CAPP DATA CACHE for 1A: 5 + 128 = 133 bytes. FSC 256: one block.
 * FSC 64: 61 INF bytes per block -> 61 + 61 + 11, two R(ACK) from the card:
 *   2 more reader frames: PCB + CRC_A and start/end, 2 * (27 + 2) etu = 58 etu
 *   2 R(ACK) frames of 3 bytes                         2 * 29 etu = 58 etu
 *   2 card FDT + 2 reader FDT                          4 * 1172/fc
 *   delta = 116 * 128 + 4688 = 19536/fc = 1440.708 us; 6 frames instead of 2 */
static void chaining(void)
{
	char hex[2 * 133 + 1] = "80DC00D080";
	struct link_contactless l;
	struct link_timing one, three, t;
	uint8_t c[300];

	for (int i = 0; i < 128; i++)
		strcat(hex, "27");
	link_contactless_default(&l);
	one = cl(&l, hex, 2);
	l.fsc = 64;
	three = cl(&l, hex, 2);
	CHECK(one.frames == 2 && three.frames == 6, "frames %u %u", one.frames, three.frames);
	NEAR(three.total_ns - one.total_ns, FC_NS(19536.0), "chaining cost");
	/* the boundary: 61 bytes fit one block, 62 need two */
	memset(c, 0, sizeof(c));
	c[1] = 0xDC;
	CHECK(link_contactless_exchange(&l, c, 61, 2, &t) == 0 && t.frames == 2, "61 in one");
	CHECK(link_contactless_exchange(&l, c, 62, 2, &t) == 0 && t.frames == 4, "62 in two");
	/* answers chain above FSD: SH's reader sends FSDI 0 (FSD 16, 13 INF bytes):
	 * 32 bytes -> 13 + 13 + 6, two R(ACK) from the reader */
	link_contactless_default(&l);
	l.fsd = 16;
	t = cl(&l, select_ep, 32);
	CHECK(t.frames == 6, "response chaining frames %u", t.frames);
	l.cid = true; /* 12 INF bytes per block: 12 + 12 + 8 */
	t = cl(&l, select_ep, 32);
	CHECK(t.frames == 6, "with CID frames %u", t.frames);
}

/* DEBIT (30 ms) with FWI 4: FWT = 4096 * 16 / fc = 4833.0 us; 30000 us needs
 * ceil(30000 / 4833.0) - 1 = 6 S(WTX) pairs, each a 4-byte card frame
 * (38 etu), 1172/fc, a 4-byte reader frame (38 etu):
 *   6 * (76 * 128 + 1172) = 65400/fc = 4823.009 us, 12 more frames. */
static void waiting_time_extension(void)
{
	struct link_contactless l;
	struct link_timing base, wtx;

	link_contactless_default(&l);
	base = cl(&l, debit, 10);
	l.fwi = 4;
	wtx = cl(&l, debit, 10);
	CHECK(base.frames == 2 && wtx.frames == 14, "frames %u %u", base.frames, wtx.frames);
	NEAR(wtx.total_ns - base.total_ns, FC_NS(65400.0), "WTX cost");
	CHECK(wtx.processing_ns == 30000000, "processing unchanged");
}

/* Activation, default link (4-byte UID, 10-byte ATS, SFGI 0, 106 kbit/s):
 *   REQA 9 etu | ATQA 2 bytes 20 | ANTICOLL 2 bytes 20 | UID+BCC 5 bytes 47
 *   | SELECT 9 bytes 83 | SAK+CRC 3 bytes 29 | RATS 4 bytes 38 | ATS+CRC 12 bytes 110
 *   = 356 etu * 128 = 45568/fc, plus 7 FDT = 8204/fc: 53772/fc = 3965.487 us */
static void activation(void)
{
	struct link_contactless l;
	struct link_timing t, t7, tp, ts;

	link_contactless_default(&l);
	CHECK(link_contactless_activation(&l, &t) == 0, "activation");
	NEAR(t.total_ns, FC_NS(53772.0), "activation total");
	CHECK(t.frames == 8 && t.processing_ns == 0, "frames %u", t.frames);
	l.uid_len = 7;
	CHECK(link_contactless_activation(&l, &t7) == 0 && t7.frames == 12, "two cascade levels");
	/* one more level: (20 + 47 + 83 + 29) etu + 4 FDT = 27600/fc = 2035.398 us */
	NEAR(t7.total_ns - t.total_ns, FC_NS(179.0 * 128 + 4 * 1172), "cascade level 2");
	l.uid_len = 4;
	l.bitrate_kbps = 848; /* PPS at 106: 5 bytes (47 etu) + 3 bytes (29 etu) + 2 FDT */
	CHECK(link_contactless_activation(&l, &tp) == 0 && tp.frames == 10, "PPS");
	NEAR(tp.total_ns - t.total_ns, FC_NS(76.0 * 128 + 2 * 1172), "PPS cost");
	l.bitrate_kbps = 106;
	l.sfgi = 2; /* SFGT = 4096 * 4 / fc, of which the next exchange adds 1172/fc */
	CHECK(link_contactless_activation(&l, &ts) == 0, "SFGT");
	NEAR(ts.total_ns - t.total_ns, FC_NS(16384.0 - 1172), "SFGT cost");
	l.type = LINK_RF_TYPE_B;
	CHECK(link_contactless_activation(&l, &t) == -EOPNOTSUPP, "Type B activation");
	l.type = LINK_RF_TYPE_A;
	l.uid_len = 5;
	CHECK(link_contactless_activation(&l, &t) == -EINVAL, "UID length 5");
}

/* Type B at 106, SELECT EP: reader SOF 12 + 17 * 10 + EOF 10 = 192 etu;
 * card TR1 10 + SOF 12 + 35 * 10 + EOF 10 = 382 etu; reader TR2 14 etu.
 * air 574 etu = 5418.29 us, gap 132.15 us, total 7550.44 us. */
static void type_b(void)
{
	struct link_contactless l;
	struct link_timing t;

	link_contactless_default(&l);
	l.type = LINK_RF_TYPE_B;
	t = cl(&l, select_ep, 32);
	NEAR(t.air_ns, FC_NS(574.0 * 128), "Type B air");
	NEAR(t.total_ns, FC_NS(588.0 * 128) + 2000000.0, "Type B total");
}

/* PSAM SELECT 8011 (case 3, 2 data bytes) at 38 400 bit/s, etu 26.041667 us.
 * T=0: wait 4 | header 5 chars 60 | wait 4 | INS 12 | wait 4 | data 24 |
 *      processing 2000 us | SW 24  -> 132 etu = 3437.5 us + 2000 = 5437.5 us
 * T=1: wait 10 | block NAD PCB LEN + 7 + LRC = 11 chars 132 | processing |
 *      block 4 + 2 = 6 chars 72     -> 214 etu = 5572.917 us + 2000 = 7572.917 us */
static void t0_t1_select(void)
{
	struct link_contact l;
	struct link_timing t0, t1;

	link_contact_default(&l);
	t0 = ct(&l, select_8011, 2);
	NEAR(t0.total_ns, 5437500.0, "T=0 SELECT");
	CHECK(t0.frames == 2, "T=0 frames %u", t0.frames);
	l.protocol = 1;
	t1 = ct(&l, select_8011, 2);
	NEAR(t1.total_ns, 7572917.0, "T=1 SELECT");
	CHECK(t1.frames == 2, "T=1 frames %u", t1.frames);
}

/* MAC1 8070, 36 data bytes, 8 answer bytes + SW (10).
 * T=0 (case 4): 8070 TPDU: 4 + 60 + 4 + 12 + 4 + 432 + 12 ms + SW 61 08 24
 *               GET RESPONSE: 4 + 60 + 1 ms + INS 12 + 96 + SW 24
 *               = 736 etu = 19166.667 us + 13000 = 32166.667 us, 4 frames;
 *               the same as the two TPDUs passed one by one.
 * T=1, IFSC 32: blocks of 32 + 9: 10 + 432 + 10 + R 48 + 10 + 156 + 12 ms + 168
 *               = 834 etu = 21718.75 us + 12000 = 33718.75 us, 4 frames
 * T=1, IFSC 254: 10 + 540 + 12 ms + 168 = 718 etu = 18697.917 + 12000 = 30697.917 us */
static void case4(void)
{
	char mac1[2 * 41 + 1] = "8070000024";
	struct link_contact l;
	struct link_timing auto_gr, a, b, t1;

	for (int i = 0; i < 36; i++)
		strcat(mac1, "11");
	link_contact_default(&l);
	auto_gr = ct(&l, mac1, 10);
	NEAR(auto_gr.total_ns, 32166667.0, "T=0 8070 with GET RESPONSE");
	CHECK(auto_gr.frames == 4 && auto_gr.processing_ns == 13000000, "two TPDUs");
	a = ct(&l, mac1, 2); /* the caller follows 61 08 itself */
	b = ct(&l, get_response8, 10);
	CHECK(a.total_ns + b.total_ns == auto_gr.total_ns && a.frames + b.frames == 4,
	      "one by one: %llu + %llu vs %llu", (unsigned long long)a.total_ns,
	      (unsigned long long)b.total_ns, (unsigned long long)auto_gr.total_ns);
	l.protocol = 1;
	t1 = ct(&l, mac1, 10);
	NEAR(t1.total_ns, 33718750.0, "T=1 8070, IFSC 32");
	CHECK(t1.frames == 4, "T=1 chained frames %u", t1.frames);
	l.ifsc = 254;
	t1 = ct(&l, mac1, 10);
	NEAR(t1.total_ns, 30697917.0, "T=1 8070, IFSC 254");
	CHECK(t1.total_ns < auto_gr.total_ns, "T=1 needs no GET RESPONSE");
}

/* 9600 vs 38 400 bit/s: the same clock, F/D 372 vs 93, so every air and gap
 * time is exactly 4 times longer; processing is the same, so the whole
 * exchange is less than 4 times longer. SELECT 8011 at 9600: 132 etu =
 * 13750 us + 2000 = 15750 us. */
static void baud_ratio(void)
{
	struct link_contact l;
	struct link_timing fast, slow;

	link_contact_default(&l);
	fast = ct(&l, select_8011, 2);
	l.etu_clocks = 372;
	slow = ct(&l, select_8011, 2);
	NEAR(slow.total_ns, 15750000.0, "9600 SELECT");
	CHECK(slow.air_ns + slow.gap_ns >= 4 * (fast.air_ns + fast.gap_ns) - 4 &&
		  slow.air_ns + slow.gap_ns <= 4 * (fast.air_ns + fast.gap_ns) + 4,
	      "transfer x4: %llu vs %llu", (unsigned long long)(slow.air_ns + slow.gap_ns),
	      (unsigned long long)(fast.air_ns + fast.gap_ns));
	CHECK(slow.processing_ns == fast.processing_ns, "processing independent of baud");
	CHECK(slow.total_ns < 4 * fast.total_ns, "whole exchange less than x4");
	l.extra_guard_etu = 2; /* 5 + 2 reader characters, 2 etu more each */
	fast = ct(&l, select_8011, 2);
	NEAR(fast.total_ns - slow.total_ns, 14.0 * 104166.667, "extra guard time");
}

static void contact_errors(void)
{
	struct link_contact l;
	struct link_timing t;
	uint8_t c[300] = { 0x00, 0xA4, 0x00, 0x00, 0x02, 0x80, 0x11 };

	link_contact_default(&l);
	CHECK(link_contact_exchange(&l, c, 6, 2, &t) == -EINVAL, "Lc 2 with 1 byte");
	CHECK(link_contact_exchange(&l, c, 3, 2, &t) == -EINVAL, "3 bytes");
	CHECK(link_contact_exchange(&l, c, 7, 259, &t) == -EINVAL, "answer too long");
	CHECK(link_contact_exchange(&l, c, 7, 1, &t) == -EINVAL, "no SW");
	c[4] = 0;
	CHECK(link_contact_exchange(&l, c, 7, 2, &t) == -EINVAL, "extended length");
	c[4] = 2;
	CHECK(link_contact_exchange(&l, c, 8, 2, &t) == 0, "with Le");
	CHECK(link_contact_exchange(&l, c, 4, 2, &t) == 0 && t.frames == 2, "case 1");
	l.protocol = 2;
	CHECK(link_contact_exchange(&l, c, 7, 2, &t) == -EINVAL, "T=2");
	l.protocol = 1;
	l.ifsc = 0;
	CHECK(link_contact_exchange(&l, c, 7, 2, &t) == -EINVAL, "IFSC 0");
	CHECK(link_contact_exchange(NULL, c, 7, 2, &t) == -EINVAL, "NULL link");
}

static void contactless_errors(void)
{
	struct link_contactless l;
	struct link_timing t;
	uint8_t c[8] = { 0x00, 0xA4, 0x04, 0x00 };

	link_contactless_default(&l);
	CHECK(link_contactless_exchange(&l, c, 3, 2, &t) == -EINVAL, "3 bytes");
	CHECK(link_contactless_exchange(&l, c, 4, 1, &t) == -EINVAL, "no SW");
	CHECK(link_contactless_exchange(&l, NULL, 4, 2, &t) == -EINVAL, "NULL APDU");
	CHECK(link_contactless_exchange(&l, c, 4, 2, NULL) == -EINVAL, "NULL result");
	l.fsc = 8;
	CHECK(link_contactless_exchange(&l, c, 4, 2, &t) == -EINVAL, "FSC 8");
	l.fsc = 256;
	l.fwi = 15;
	CHECK(link_contactless_exchange(&l, c, 4, 2, &t) == -EINVAL, "FWI 15");
}

static void table_lookups(void)
{
	struct link_proc t;

	CHECK(link_processing_us(NULL, LINK_SIDE_CARD, 0xA4, 0x04) == 2000, "card SELECT");
	CHECK(link_processing_us(NULL, LINK_SIDE_CARD, 0xB0, 0x95) == 2000, "READ BINARY");
	CHECK(link_processing_us(NULL, LINK_SIDE_CARD, 0xB2, 0x01) == 2000, "READ RECORD");
	CHECK(link_processing_us(NULL, LINK_SIDE_CARD, 0x5C, 0x00) == 2000, "GET BALANCE");
	CHECK(link_processing_us(NULL, LINK_SIDE_CARD, 0x50, 0x03) == 6000, "INITIALIZE");
	CHECK(link_processing_us(NULL, LINK_SIDE_CARD, 0xDC, 0x00) == 8000, "80DC");
	CHECK(link_processing_us(NULL, LINK_SIDE_CARD, 0x54, 0x01) == 30000, "DEBIT");
	CHECK(link_processing_us(NULL, LINK_SIDE_CARD, 0x5A, 0x00) == 5000, "805A");
	CHECK(link_processing_us(NULL, LINK_SIDE_PSAM, 0xA4, 0x00) == 2000, "PSAM SELECT");
	CHECK(link_processing_us(NULL, LINK_SIDE_PSAM, 0x70, 0x00) == 12000, "8070");
	CHECK(link_processing_us(NULL, LINK_SIDE_PSAM, 0x72, 0x00) == 5000, "8072");
	CHECK(link_processing_us(NULL, LINK_SIDE_PSAM, 0xC0, 0x00) == 1000, "GET RESPONSE");
	/* unknown INS: the side's default, 5 ms */
	CHECK(link_processing_us(NULL, LINK_SIDE_CARD, 0xE2, 0x00) == 5000, "card default");
	CHECK(link_processing_us(NULL, LINK_SIDE_PSAM, 0x54, 0x00) == 5000, "PSAM default");
	link_proc_default(&t);
	for (unsigned ins = 0; ins < 256; ins++)
		CHECK(link_processing_us(&t, LINK_SIDE_PSAM, (uint8_t)ins, 0) ==
			  link_processing_us(NULL, LINK_SIDE_PSAM, (uint8_t)ins, 0),
		      "copy equals built-in for %02X", ins);
	CHECK(link_proc_set(&t, LINK_SIDE_CARD, 0x50, 0x03, 7000) == 0, "set P1 03");
	CHECK(link_processing_us(&t, LINK_SIDE_CARD, 0x50, 0x03) == 7000, "P1-specific");
	CHECK(link_processing_us(&t, LINK_SIDE_CARD, 0x50, 0x01) == 6000, "other P1");
	CHECK(link_proc_set(&t, LINK_SIDE_CARD, 0x54, LINK_PROC_ANY_P1, 40000) == 0, "replace");
	CHECK(link_processing_us(&t, LINK_SIDE_CARD, 0x54, 0x01) == 40000, "replaced");
	CHECK(link_proc_set(&t, LINK_SIDE_CARD, 0x54, 0x100, 1) == -EINVAL, "P1 256");
	CHECK(link_proc_set(&t, LINK_SIDE_CARD, 0x54, 0, LINK_PROC_US_LIMIT + 1) == -EINVAL,
	      "above limit");
	t.entry[0].us = UINT32_MAX; /* edited by hand: clamped */
	CHECK(link_processing_us(&t, t.entry[0].side, t.entry[0].ins, 0) == LINK_PROC_US_LIMIT,
	      "clamped");
	for (int p1 = 0; p1 < 256; p1++)
		if (link_proc_set(&t, LINK_SIDE_PSAM, 0x99, p1, 1) < 0)
			break;
	CHECK(t.n == LINK_PROC_MAX, "filled to %zu", t.n);
	CHECK(link_proc_set(&t, LINK_SIDE_PSAM, 0x98, 0, 1) == -ENOSPC, "full");
}

static void table_overrides(void)
{
	static const char *bad[] = {
		"card.5 = 1",	 "card.54 = ",	"card.54 = 1x",	      "card.54",
		"card.54.1 = 1", "disk.54 = 1", "card.54 = 10000001", "card.54.0101 = 1"
	};
	struct link_proc t, before;
	unsigned line = 0;
	struct link_contactless l;
	struct link_timing a, b;

	link_proc_default(&t);
	CHECK(link_proc_parse(&t,
			      "# SM4 PSAM, slower card\n"
			      "psam.70 = 20000\n"
			      "\n"
			      "  card.50.03=7000   # CAPP init\n"
			      "card.default = 4000\n"
			      "PSAM.72 = 1\n",
			      &line) == YKT_E_PARSE &&
		  line == 6,
	      "upper-case side refused at line 6 (got %u)", line);
	CHECK(link_processing_us(&t, LINK_SIDE_PSAM, 0x70, 0) == 12000, "all or nothing");
	CHECK(link_proc_parse(&t, "psam.70 = 20000\n  card.50.03=7000 # x\ncard.default = 4000",
			      &line) == 0,
	      "parse");
	CHECK(link_processing_us(&t, LINK_SIDE_PSAM, 0x70, 0) == 20000, "psam.70");
	CHECK(link_processing_us(&t, LINK_SIDE_CARD, 0x50, 3) == 7000, "card.50.03");
	CHECK(link_processing_us(&t, LINK_SIDE_CARD, 0xE2, 0) == 4000, "card.default");
	before = t;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		line = 0;
		CHECK(link_proc_parse(&t, bad[i], &line) == YKT_E_PARSE && line == 1, "bad: %s",
		      bad[i]);
	}
	CHECK(memcmp(&before, &t, sizeof(t)) == 0, "unchanged by bad input");
	link_contactless_default(&l);
	a = cl(&l, debit, 10);
	CHECK(link_proc_parse(&t, "card.54 = 45000", NULL) == 0, "debit override");
	l.proc = &t;
	b = cl(&l, debit, 10);
	CHECK(b.total_ns - a.total_ns == 15000000, "the link uses the caller's table");
}

/* A tap's floor: activation, then the purchase steps of docs/purchase.md. */
static void sequence_and_determinism(void)
{
	uint8_t sel[32], mac1[64], gr[8], dbt[32];
	size_t nsel = apdu(select_ep, sel), ndbt = apdu(debit, dbt);
	size_t ngr = apdu(get_response8, gr), nmac1 = apdu("8070000024", mac1) + 36;
	struct link_step steps[] = {
		{ LINK_STEP_ACTIVATE, NULL, 0, 0 }, { LINK_STEP_CARD, sel, nsel, 32 },
		{ LINK_STEP_PSAM, mac1, nmac1, 2 }, { LINK_STEP_PSAM, gr, ngr, 10 },
		{ LINK_STEP_CARD, dbt, ndbt, 10 },
	};
	struct link_contactless l;
	struct link_contact p;
	struct link_timing seq, again, one;
	uint64_t sum = 0;

	memset(mac1 + 5, 0x11, 36);
	link_contactless_default(&l);
	link_contact_default(&p);
	CHECK(link_sequence(&l, &p, steps, 5, &seq) == 0, "sequence");
	for (size_t i = 0; i < 5; i++) {
		CHECK(link_sequence(&l, &p, &steps[i], 1, &one) == 0, "step %zu", i);
		sum += one.total_ns;
	}
	CHECK(seq.total_ns == sum, "sum of steps");
	CHECK(seq.total_ns == seq.air_ns + seq.gap_ns + seq.processing_ns, "parts");
	CHECK(seq.processing_ns == (2000 + 12000 + 1000 + 30000) * 1000ull, "processing");
	memset(&again, 0xA5, sizeof(again));
	CHECK(link_sequence(&l, &p, steps, 5, &again) == 0, "again");
	CHECK(memcmp(&seq, &again, sizeof(seq)) == 0, "deterministic");
	CHECK(link_sequence(&l, NULL, steps, 5, &seq) == -EINVAL, "PSAM step without link");
	CHECK(link_sequence(NULL, &p, steps, 1, &seq) == -EINVAL, "activation without link");
	CHECK(link_sequence(&l, &p, NULL, 0, &seq) == 0 && seq.total_ns == 0, "empty");
}

/* ns within 0.1 us of a value computed by hand to one decimal */
static bool near_us(uint64_t ns, double us)
{
	double d = (double)ns / 1000.0 - us;

	return d < 0.1 && d > -0.1;
}

/* The floor of docs/link-model.md's compound purchase: SELECT EP, READ
 * BINARY 17, INITIALIZE CAPP, then MAC1 (8070 + GET RESPONSE, 32 166.7 us)
 * beside 80DC 1E (13 306.5 us), then DEBIT: by hand 8326.0 + 8326.0 +
 * 9522.4 + 32 166.7 + 33 267.6 (each rounded to 0.1 us; unrounded the sum
 * is 91 608.56 us), 80DC hidden. */
static void purchase_floor(void)
{
	uint8_t sel[32], rb[8], init[24], mac1[64], gr[8], dc[64], dbt[32];
	size_t nsel = apdu(select_ep, sel), nrb = apdu("00B097003C", rb);
	size_t ninit = apdu("805003020B 01 000000C8 001122334455 0F", init);
	size_t nmac1 = apdu("8070000024", mac1) + 36, ngr = apdu(get_response8, gr);
	size_t ndc = apdu("80DC00F030", dc) + 48, ndbt = apdu(debit, dbt);
	struct link_step before[] = { { LINK_STEP_CARD, sel, nsel, 53 },
				      { LINK_STEP_CARD, rb, nrb, 62 },
				      { LINK_STEP_CARD, init, ninit, 17 } };
	struct link_step psam[] = { { LINK_STEP_PSAM, mac1, nmac1, 2 },
				    { LINK_STEP_PSAM, gr, ngr, 10 } };
	struct link_step beside[] = { { LINK_STEP_CARD, dc, ndc, 2 } };
	struct link_step after[] = { { LINK_STEP_CARD, dbt, ndbt, 10 } };
	struct link_purchase_flow flow = { before, 3, psam, 2, beside, 1, after, 1 };
	struct link_contactless l;
	struct link_contact p;
	struct link_floor f;
	struct link_proc slow;

	memset(mac1 + 5, 0x11, 36);
	memset(dc + 5, 0x22, 48);
	link_contactless_default(&l);
	link_contact_default(&p);
	CHECK(link_purchase_floor(&l, &p, &flow, &f) == 0, "floor");
	CHECK(near_us(f.before.total_ns, 26174.4), "before %llu",
	      (unsigned long long)f.before.total_ns);
	CHECK(near_us(f.psam.total_ns, 32166.7), "psam %llu", (unsigned long long)f.psam.total_ns);
	CHECK(near_us(f.beside.total_ns, 13306.5), "beside");
	CHECK(near_us(f.after.total_ns, 33267.6), "after");
	CHECK(f.total_ns == f.before.total_ns + f.psam.total_ns + f.after.total_ns, "sum");
	CHECK(near_us(f.total_ns, 91608.6), "total %llu", (unsigned long long)f.total_ns);
	CHECK(f.hidden_ns == f.beside.total_ns, "80DC hidden under MAC1");
	/* a card slow enough at 80DC that the PSAM waits for it instead */
	link_proc_default(&slow);
	CHECK(link_proc_set(&slow, LINK_SIDE_CARD, 0xDC, LINK_PROC_ANY_P1, 40000) == 0, "set");
	l.proc = &slow;
	CHECK(link_purchase_floor(&l, &p, &flow, &f) == 0, "slow 80DC");
	CHECK(f.total_ns == f.before.total_ns + f.beside.total_ns + f.after.total_ns &&
		  f.hidden_ns == f.psam.total_ns,
	      "the longer side counts");
	CHECK(link_purchase_floor(&l, &p, NULL, &f) == -EINVAL, "no flow");
	CHECK(link_purchase_floor(&l, NULL, &flow, &f) == -EINVAL, "PSAM steps without link");
}

int main(void)
{
	select_ep_106();
	bitrate_scaling();
	chaining();
	waiting_time_extension();
	activation();
	type_b();
	t0_t1_select();
	case4();
	baud_ratio();
	contact_errors();
	contactless_errors();
	table_lookups();
	table_overrides();
	sequence_and_determinism();
	purchase_floor();
	if (check_failures) {
		fprintf(stderr, "%d check(s) failed\n", check_failures);
		return 1;
	}
	printf("link model: all checks passed\n");
	return 0;
}
