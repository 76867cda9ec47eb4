/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Link model: air time, turnarounds and processing of APDU exchanges.
 * docs/link-model.md gives every formula and constant with its source.
 *
 * Air and gap times are counted in integer ticks of the link's clock
 * (carrier cycles 1/fc for ISO 14443, card clock cycles 1/f for ISO 7816)
 * and converted to nanoseconds once per exchange, so results are exact
 * integers and repeat on every machine.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "link_model.h"
#include "ykt_error.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define NS_PER_S       1000000000ull
#define FC_HZ	       13560000ull /* ISO 14443-2 carrier frequency */
#define LINK_CAPDU_MAX 65544u	   /* extended: 4 + 3 + 65535 + 2 */
#define LINK_RAPDU_MAX 65538u	   /* 65536 data + SW1 SW2 */

/* ISO 14443 (ticks = 1/fc) */
#define ETU106_FC     128u  /* one bit at 106 kbit/s = 128/fc */
#define FDT_MIN_FC    1172u /* FDT PICC,min and PCD minimum wait, 14443-3 6.2.1 */
#define A_FRAME_ETU   2u    /* Type A: start of communication + end of communication */
#define A_BYTE_ETU    9u    /* 8 data bits + odd parity */
#define A_SHORT_ETU   9u    /* REQA: start + 7 bits + end */
#define B_SOF_ETU     12u   /* Type B SOF: 10 etu low + 2 etu high (minimum) */
#define B_EOF_ETU     10u   /* Type B EOF: 10 etu low (minimum) */
#define B_BYTE_ETU    10u   /* start + 8 data + stop, EGT = 0 */
#define B_TR0_ETU     8u    /* card: TR0 min 64/fs = 1024/fc at 106 */
#define B_TR1_ETU     10u   /* card: TR1 min 80/fs = 1280/fc at 106, before SOF */
#define B_TR2_ETU     14u   /* reader: TR2 min 10 etu + 32/fs at 106 (assumed) */
#define DEP_HDR_BYTES 3u    /* PCB + CRC (2); + CID when used */
#define SFGT_UNIT_FC  4096u /* SFGT = 256 * 16 * 2^SFGI / fc; FWT likewise */

/* ISO 7816-3 (ticks = 1/f) */
#define CHAR_ETU	  12u /* 10 etu character + 2 etu guard (N = 0) */
#define T0_TURN_ETU	  4u  /* 16 etu between leading edges, opposite directions */
#define T1_TURN_ETU	  10u /* BGT 22 etu between leading edges */
#define T0_HDR_CHARS	  5u  /* CLA INS P1 P2 P3 */
#define T1_BLK_CHARS	  4u  /* NAD PCB LEN ... LRC */
#define CONTACT_CLOCK_MAX 20000000u
#define CONTACT_ETU_MAX	  2048u /* F/D with F <= 2048, D >= 1 */

/* The model's processing times (microseconds). A MODEL for a T-Union CPU
 * card and a transport PSAM at 3DES, not measurements: see the docs. */
static const struct link_proc_entry builtin_entries[] = {
	{ LINK_SIDE_CARD, 0xA4, LINK_PROC_ANY_P1, 2000 },  /* SELECT */
	{ LINK_SIDE_CARD, 0xB0, LINK_PROC_ANY_P1, 2000 },  /* READ BINARY */
	{ LINK_SIDE_CARD, 0xB2, LINK_PROC_ANY_P1, 2000 },  /* READ RECORD */
	{ LINK_SIDE_CARD, 0x5C, LINK_PROC_ANY_P1, 2000 },  /* GET BALANCE */
	{ LINK_SIDE_CARD, 0x84, LINK_PROC_ANY_P1, 2000 },  /* GET CHALLENGE */
	{ LINK_SIDE_CARD, 0xC0, LINK_PROC_ANY_P1, 1000 },  /* GET RESPONSE */
	{ LINK_SIDE_CARD, 0x50, LINK_PROC_ANY_P1, 6000 },  /* INITIALIZE (purchase, CAPP, load) */
	{ LINK_SIDE_CARD, 0xDC, LINK_PROC_ANY_P1, 8000 },  /* UPDATE CAPP DATA CACHE */
	{ LINK_SIDE_CARD, 0x54, LINK_PROC_ANY_P1, 30000 }, /* DEBIT: EEPROM commit */
	{ LINK_SIDE_CARD, 0x52, LINK_PROC_ANY_P1, 30000 }, /* CREDIT FOR LOAD: EEPROM commit */
	{ LINK_SIDE_CARD, 0x5A, LINK_PROC_ANY_P1, 5000 },  /* GET TRANSACTION PROVE */
	{ LINK_SIDE_CARD, 0x1E, LINK_PROC_ANY_P1, 20000 }, /* APPLICATION BLOCK: MAC + write */
	{ LINK_SIDE_PSAM, 0xA4, LINK_PROC_ANY_P1, 2000 },  /* SELECT */
	{ LINK_SIDE_PSAM, 0xB0, LINK_PROC_ANY_P1, 2000 },  /* READ BINARY */
	{ LINK_SIDE_PSAM, 0x84, LINK_PROC_ANY_P1, 2000 },  /* GET CHALLENGE */
	{ LINK_SIDE_PSAM, 0xC0, LINK_PROC_ANY_P1, 1000 },  /* GET RESPONSE */
	{ LINK_SIDE_PSAM, 0x70, LINK_PROC_ANY_P1,
	  12000 },					  /* MAC1: 2-level diversify, session key */
	{ LINK_SIDE_PSAM, 0x72, LINK_PROC_ANY_P1, 5000 }, /* MAC2 verify */
	{ LINK_SIDE_PSAM, 0x1A, LINK_PROC_ANY_P1, 6000 }, /* INIT SAM FOR DESCRYPT: diversify */
	{ LINK_SIDE_PSAM, 0xFA, LINK_PROC_ANY_P1, 4000 }, /* CIPHER DATA / MAC */
};

#define DEFAULT_CARD_US 5000u
#define DEFAULT_PSAM_US 5000u

static const uint32_t builtin_default_us[2] = { DEFAULT_CARD_US, DEFAULT_PSAM_US };

/* ---- processing table ---- */

static uint32_t clamp_us(uint32_t us)
{
	return us > LINK_PROC_US_LIMIT ? LINK_PROC_US_LIMIT : us;
}

static uint32_t lookup(const struct link_proc_entry *e, size_t n, const uint32_t *default_us,
		       enum link_side side, uint8_t ins, uint8_t p1)
{
	const struct link_proc_entry *any = NULL;

	for (size_t i = 0; i < n; i++) {
		if (e[i].side != side || e[i].ins != ins)
			continue;
		if (e[i].p1 == p1)
			return clamp_us(e[i].us);
		if (e[i].p1 == LINK_PROC_ANY_P1 && !any)
			any = &e[i];
	}
	return clamp_us(any ? any->us : default_us[side]);
}

uint32_t link_processing_us(const struct link_proc *t, enum link_side side, uint8_t ins, uint8_t p1)
{
	if (side != LINK_SIDE_CARD && side != LINK_SIDE_PSAM)
		side = LINK_SIDE_CARD;
	if (!t)
		return lookup(builtin_entries, ARRAY_SIZE(builtin_entries), builtin_default_us,
			      side, ins, p1);
	return lookup(t->entry, t->n > LINK_PROC_MAX ? LINK_PROC_MAX : t->n, t->default_us, side,
		      ins, p1);
}

void link_proc_default(struct link_proc *ret)
{
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->entry, builtin_entries, sizeof(builtin_entries));
	ret->n = ARRAY_SIZE(builtin_entries);
	memcpy(ret->default_us, builtin_default_us, sizeof(builtin_default_us));
}

int link_proc_set(struct link_proc *t, enum link_side side, uint8_t ins, int p1, uint32_t us)
{
	size_t n;

	if (!t || (side != LINK_SIDE_CARD && side != LINK_SIDE_PSAM) ||
	    (p1 != LINK_PROC_ANY_P1 && (p1 < 0 || p1 > 0xFF)) || us > LINK_PROC_US_LIMIT)
		return -EINVAL;
	n = t->n > LINK_PROC_MAX ? LINK_PROC_MAX : t->n;
	for (size_t i = 0; i < n; i++) {
		if (t->entry[i].side == side && t->entry[i].ins == ins && t->entry[i].p1 == p1) {
			t->entry[i].us = us;
			return 0;
		}
	}
	if (n == LINK_PROC_MAX)
		return -ENOSPC;
	t->entry[n] = (struct link_proc_entry){ side, ins, (int16_t)p1, us };
	t->n = n + 1;
	return 0;
}

/* ---- key=value overrides ---- */

static int hex2(const char *s, uint8_t *ret)
{
	unsigned v = 0;

	for (int i = 0; i < 2; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isxdigit(c))
			return -1;
		v = v * 16 + (unsigned)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	*ret = (uint8_t)v;
	return 0;
}

/* "card.default" -> p1 = -2; "card.54" -> p1 = ANY; "card.50.03" -> p1 = 3. */
static int parse_key(const char *k, enum link_side *ret_side, uint8_t *ret_ins, int *ret_p1)
{
	uint8_t ins = 0, p1 = 0;

	if (strncmp(k, "card.", 5) == 0)
		*ret_side = LINK_SIDE_CARD;
	else if (strncmp(k, "psam.", 5) == 0)
		*ret_side = LINK_SIDE_PSAM;
	else
		return -1;
	k += 5;
	if (strcmp(k, "default") == 0) {
		*ret_p1 = -2;
		return 0;
	}
	if (hex2(k, &ins) < 0 ||
	    (k[2] != '\0' && (k[2] != '.' || hex2(k + 3, &p1) < 0 || k[5] != '\0')))
		return -1;
	*ret_ins = ins;
	*ret_p1 = k[2] == '\0' ? LINK_PROC_ANY_P1 : p1;
	return 0;
}

static int parse_us(const char *v, uint32_t *ret)
{
	uint64_t us = 0;

	if (*v == '\0')
		return -1;
	for (; *v; v++) {
		if (!isdigit((unsigned char)*v))
			return -1;
		us = us * 10 + (uint64_t)(*v - '0');
		if (us > LINK_PROC_US_LIMIT)
			return -1;
	}
	*ret = (uint32_t)us;
	return 0;
}

/* Trim blanks at both ends in place; returns the new start. */
static char *trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int parse_line(struct link_proc *t, const char *line, size_t len)
{
	char buf[128], *eq, *key;
	enum link_side side = LINK_SIDE_CARD;
	uint8_t ins = 0;
	int p1 = 0;
	uint32_t us = 0;

	if (len >= sizeof(buf))
		return YKT_E_PARSE;
	memcpy(buf, line, len);
	buf[len] = '\0';
	buf[strcspn(buf, "#")] = '\0';
	key = trim(buf);
	if (*key == '\0')
		return 0;
	eq = strchr(key, '=');
	if (!eq)
		return YKT_E_PARSE;
	*eq = '\0';
	if (parse_key(trim(key), &side, &ins, &p1) < 0 || parse_us(trim(eq + 1), &us) < 0)
		return YKT_E_PARSE;
	if (p1 == -2) {
		t->default_us[side] = us;
		return 0;
	}
	return link_proc_set(t, side, ins, p1, us);
}

int link_proc_parse(struct link_proc *t, const char *text, unsigned *err_line)
{
	struct link_proc work;
	unsigned line = 0;

	if (!t || !text)
		return -EINVAL;
	work = *t;
	while (*text) {
		size_t len = strcspn(text, "\n");
		int r;

		line++;
		r = parse_line(&work, text, len);
		if (r < 0) {
			if (err_line)
				*err_line = line;
			return r == -EINVAL ? YKT_E_PARSE : r;
		}
		text += len + (text[len] == '\n');
	}
	*t = work;
	return 0;
}

/* ---- common accounting ---- */

struct acc {
	uint64_t air;	  /* ticks */
	uint64_t gap;	  /* ticks */
	uint64_t gap_ns;  /* reader_extra_us */
	uint64_t proc_ns; /* table times */
	unsigned frames;
};

static uint64_t ticks_ns(uint64_t ticks, uint64_t hz)
{
	return (ticks * NS_PER_S + hz / 2) / hz;
}

static void set_total(struct link_timing *t)
{
	uint64_t us;

	t->total_ns = t->air_ns + t->gap_ns + t->processing_ns;
	us = (t->total_ns + 500) / 1000;
	t->total_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void finish(const struct acc *a, uint64_t hz, struct link_timing *ret)
{
	struct link_timing t = { 0 };

	t.air_ns = ticks_ns(a->air, hz);
	t.gap_ns = ticks_ns(a->gap, hz) + a->gap_ns;
	t.processing_ns = a->proc_ns;
	t.frames = a->frames;
	set_total(&t);
	*ret = t;
}

/* The responder's turnaround: the larger of its minimum and its
 * processing time; the processing counts as processing, the minimum as a
 * gap. */
static void turn_proc(struct acc *a, uint64_t min_ticks, uint64_t hz, uint32_t proc_us)
{
	uint64_t ns = (uint64_t)proc_us * 1000;

	if (ns * hz >= min_ticks * NS_PER_S)
		a->proc_ns += ns;
	else
		a->gap += min_ticks;
}

/* ---- ISO 14443 ---- */

static bool cl_valid(const struct link_contactless *l)
{
	if (!l || (l->type != LINK_RF_TYPE_A && l->type != LINK_RF_TYPE_B))
		return false;
	if (l->bitrate_kbps != 106 && l->bitrate_kbps != 212 && l->bitrate_kbps != 424 &&
	    l->bitrate_kbps != 848)
		return false;
	return l->fsc >= 16 && l->fsc <= 4096 && l->fsd >= 16 && l->fsd <= 4096 && l->fwi <= 14 &&
	       l->sfgi <= 14 && l->reader_extra_us <= LINK_PROC_US_LIMIT &&
	       (l->side == LINK_SIDE_CARD || l->side == LINK_SIDE_PSAM);
}

static uint64_t cl_etu(const struct link_contactless *l)
{
	return ETU106_FC / (l->bitrate_kbps / 106);
}

static size_t cl_hdr(const struct link_contactless *l)
{
	return DEP_HDR_BYTES + (l->cid ? 1 : 0);
}

static uint64_t cl_frame(const struct link_contactless *l, size_t bytes, bool from_card)
{
	if (l->type == LINK_RF_TYPE_A)
		return (A_FRAME_ETU + A_BYTE_ETU * (uint64_t)bytes) * cl_etu(l);
	return (B_SOF_ETU + B_BYTE_ETU * (uint64_t)bytes + B_EOF_ETU +
		(from_card ? B_TR1_ETU : 0)) *
	       cl_etu(l);
}

static uint64_t cl_card_min(const struct link_contactless *l)
{
	return l->type == LINK_RF_TYPE_A ? FDT_MIN_FC : B_TR0_ETU * cl_etu(l);
}

static uint64_t cl_reader_min(const struct link_contactless *l)
{
	return l->type == LINK_RF_TYPE_A ? FDT_MIN_FC : B_TR2_ETU * cl_etu(l);
}

static void cl_reader_frame(const struct link_contactless *l, struct acc *a, size_t bytes)
{
	a->gap += cl_reader_min(l);
	a->gap_ns += (uint64_t)l->reader_extra_us * 1000;
	a->air += cl_frame(l, bytes, false);
	a->frames++;
}

static void cl_card_frame(const struct link_contactless *l, struct acc *a, size_t bytes)
{
	a->gap += cl_card_min(l);
	a->air += cl_frame(l, bytes, true);
	a->frames++;
}

/* Work longer than FWT: the card sends S(WTX) (WTXM = 1) each FWT and the
 * reader answers; the pairs add to the processing time. */
static void cl_wtx(const struct link_contactless *l, struct acc *a, uint32_t proc_us)
{
	uint64_t work = (uint64_t)proc_us * 1000 * FC_HZ;
	uint64_t fwt = ((uint64_t)SFGT_UNIT_FC << l->fwi) * NS_PER_S;
	uint64_t n;
	size_t s = cl_hdr(l) + 1;

	if (work <= fwt)
		return;
	n = (work - 1) / fwt;
	a->air += n * (cl_frame(l, s, true) + cl_frame(l, s, false));
	a->gap += n * cl_reader_min(l);
	a->gap_ns += n * l->reader_extra_us * 1000;
	a->frames += (unsigned)(2 * n);
}

static void cl_command(const struct link_contactless *l, struct acc *a, size_t clen)
{
	size_t hdr = cl_hdr(l), chunk = l->fsc - hdr;

	for (; clen > chunk; clen -= chunk) {
		cl_reader_frame(l, a, chunk + hdr);
		cl_card_frame(l, a, hdr); /* R(ACK) */
	}
	cl_reader_frame(l, a, clen + hdr);
}

static void cl_response(const struct link_contactless *l, struct acc *a, size_t rlen,
			uint32_t proc_us)
{
	size_t hdr = cl_hdr(l), chunk = l->fsd - hdr;
	size_t n = rlen < chunk ? rlen : chunk;

	turn_proc(a, cl_card_min(l), FC_HZ, proc_us);
	cl_wtx(l, a, proc_us);
	a->air += cl_frame(l, n + hdr, true);
	a->frames++;
	for (rlen -= n; rlen > 0; rlen -= n) {
		n = rlen < chunk ? rlen : chunk;
		cl_reader_frame(l, a, hdr); /* R(ACK) */
		cl_card_frame(l, a, n + hdr);
	}
}

int link_contactless_exchange(const struct link_contactless *l, const uint8_t *capdu, size_t clen,
			      size_t rlen_incl_sw, struct link_timing *ret)
{
	struct acc a = { 0 };

	if (!cl_valid(l) || !capdu || !ret || clen < 4 || clen > LINK_CAPDU_MAX ||
	    rlen_incl_sw < 2 || rlen_incl_sw > LINK_RAPDU_MAX)
		return -EINVAL;
	cl_command(l, &a, clen);
	cl_response(l, &a, rlen_incl_sw, link_processing_us(l->proc, l->side, capdu[1], capdu[2]));
	finish(&a, FC_HZ, ret);
	return 0;
}

int link_contactless_activation(const struct link_contactless *l, struct link_timing *ret)
{
	struct link_contactless l106;
	struct acc a = { 0 };
	unsigned levels;
	uint64_t sfgt;

	if (!cl_valid(l) || !ret || (l->uid_len != 4 && l->uid_len != 7 && l->uid_len != 10) ||
	    l->ats_len < 1 || l->ats_len > 254)
		return -EINVAL;
	if (l->type != LINK_RF_TYPE_A)
		return -EOPNOTSUPP;
	l106 = *l;
	l106.bitrate_kbps = 106;	  /* activation always runs at fc/128 */
	a.air += A_SHORT_ETU * ETU106_FC; /* REQA */
	a.frames++;
	cl_card_frame(&l106, &a, 2); /* ATQA */
	levels = l->uid_len == 4 ? 1 : l->uid_len == 7 ? 2 : 3;
	for (unsigned i = 0; i < levels; i++) {
		cl_reader_frame(&l106, &a, 2); /* ANTICOLLISION: SEL NVB=20 */
		cl_card_frame(&l106, &a, 5);   /* UID CLn (4) + BCC */
		cl_reader_frame(&l106, &a, 9); /* SELECT: SEL 70 UID BCC CRC_A */
		cl_card_frame(&l106, &a, 3);   /* SAK + CRC_A */
	}
	cl_reader_frame(&l106, &a, 4);		   /* RATS: E0 param CRC_A */
	cl_card_frame(&l106, &a, l->ats_len + 2u); /* ATS + CRC_A */
	/* The reader's next frame waits SFGT, of which it adds FDT_MIN_FC itself. */
	sfgt = l->sfgi ? (uint64_t)SFGT_UNIT_FC << l->sfgi : 0;
	if (sfgt > FDT_MIN_FC)
		a.gap += sfgt - FDT_MIN_FC;
	if (l->bitrate_kbps != 106) {
		cl_reader_frame(&l106, &a, 5); /* PPSS PPS0 PPS1 CRC_A */
		cl_card_frame(&l106, &a, 3);   /* PPSS CRC_A */
	}
	finish(&a, FC_HZ, ret);
	return 0;
}

/* ---- ISO 7816-3 ---- */

static bool ct_valid(const struct link_contact *l)
{
	if (!l || l->clock_hz == 0 || l->clock_hz > CONTACT_CLOCK_MAX || l->etu_clocks == 0 ||
	    l->etu_clocks > CONTACT_ETU_MAX || l->extra_guard_etu > 254 ||
	    l->reader_extra_us > LINK_PROC_US_LIMIT ||
	    (l->side != LINK_SIDE_CARD && l->side != LINK_SIDE_PSAM))
		return false;
	if (l->protocol == 0)
		return true;
	return l->protocol == 1 && l->ifsc >= 1 && l->ifsc <= 254 && l->ifsd >= 1 && l->ifsd <= 254;
}

static uint64_t ct_turn(const struct link_contact *l)
{
	return (l->protocol == 0 ? T0_TURN_ETU : T1_TURN_ETU) * (uint64_t)l->etu_clocks;
}

/* The reader starts sending n characters after its minimum wait. */
static void ct_reader(const struct link_contact *l, struct acc *a, size_t n)
{
	a->gap += ct_turn(l);
	a->gap_ns += (uint64_t)l->reader_extra_us * 1000;
	a->air += (CHAR_ETU + l->extra_guard_etu) * (uint64_t)n * l->etu_clocks;
}

/* The card answers n characters after its minimum wait, or after proc_us
 * when has_proc. */
static void ct_card(const struct link_contact *l, struct acc *a, size_t n, bool has_proc,
		    uint32_t proc_us)
{
	if (has_proc)
		turn_proc(a, ct_turn(l), l->clock_hz, proc_us);
	else
		a->gap += ct_turn(l);
	a->air += CHAR_ETU * (uint64_t)n * l->etu_clocks;
}

/* One T=0 TPDU: header, procedure byte, data one way, SW1 SW2. nc command
 * data bytes or nr answer data bytes (never both in one TPDU). */
static void t0_tpdu(const struct link_contact *l, struct acc *a, uint8_t ins, uint8_t p1, size_t nc,
		    size_t nr)
{
	uint32_t proc = link_processing_us(l->proc, l->side, ins, p1);

	ct_reader(l, a, T0_HDR_CHARS);
	if (nc > 0) {
		ct_card(l, a, 1, false, 0); /* INS: send the data */
		ct_reader(l, a, nc);
		ct_card(l, a, 2, true, proc);
	} else {
		ct_card(l, a, nr > 0 ? 1 + nr + 2 : 2, true, proc); /* [INS data] SW1 SW2 */
	}
	a->frames += 2;
}

/* Command data length of a short APDU, or -1 if it is not one. */
static long short_apdu_nc(const uint8_t *capdu, size_t clen)
{
	if (clen == 4 || clen == 5)
		return 0;
	if (clen > 5 && capdu[4] != 0 && (clen == 5u + capdu[4] || clen == 6u + capdu[4]))
		return capdu[4];
	return -1;
}

static void t0_exchange(const struct link_contact *l, struct acc *a, const uint8_t *capdu,
			size_t nc, size_t rlen)
{
	if (nc > 0 && rlen > 2) { /* case 4: 61xx, then GET RESPONSE */
		t0_tpdu(l, a, capdu[1], capdu[2], nc, 0);
		t0_tpdu(l, a, 0xC0, 0x00, 0, rlen - 2);
	} else {
		t0_tpdu(l, a, capdu[1], capdu[2], nc, rlen - 2);
	}
}

static void t1_exchange(const struct link_contact *l, struct acc *a, const uint8_t *capdu,
			size_t clen, size_t rlen)
{
	uint32_t proc = link_processing_us(l->proc, l->side, capdu[1], capdu[2]);
	size_t n;

	for (; clen > l->ifsc; clen -= l->ifsc) {
		ct_reader(l, a, T1_BLK_CHARS + l->ifsc);
		ct_card(l, a, T1_BLK_CHARS, false, 0); /* R-block */
		a->frames += 2;
	}
	ct_reader(l, a, T1_BLK_CHARS + clen);
	n = rlen < l->ifsd ? rlen : l->ifsd;
	ct_card(l, a, T1_BLK_CHARS + n, true, proc);
	a->frames += 2;
	for (rlen -= n; rlen > 0; rlen -= n) {
		n = rlen < l->ifsd ? rlen : l->ifsd;
		ct_reader(l, a, T1_BLK_CHARS); /* R-block */
		ct_card(l, a, T1_BLK_CHARS + n, false, 0);
		a->frames += 2;
	}
}

int link_contact_exchange(const struct link_contact *l, const uint8_t *capdu, size_t clen,
			  size_t rlen_incl_sw, struct link_timing *ret)
{
	struct acc a = { 0 };
	long nc;

	if (!ct_valid(l) || !capdu || !ret || rlen_incl_sw < 2 || rlen_incl_sw > 258)
		return -EINVAL;
	nc = short_apdu_nc(capdu, clen);
	if (nc < 0)
		return -EINVAL;
	if (l->protocol == 0)
		t0_exchange(l, &a, capdu, (size_t)nc, rlen_incl_sw);
	else
		t1_exchange(l, &a, capdu, clen, rlen_incl_sw);
	finish(&a, l->clock_hz, ret);
	return 0;
}

/* ---- defaults and sequences ---- */

void link_contactless_default(struct link_contactless *ret)
{
	*ret = (struct link_contactless){
		.type = LINK_RF_TYPE_A,
		.bitrate_kbps = 106,
		.fsc = 256,
		.fsd = 256,
		.fwi = 8,
		.uid_len = 4,
		.ats_len = 10,
		.side = LINK_SIDE_CARD,
	};
}

void link_contact_default(struct link_contact *ret)
{
	*ret = (struct link_contact){
		.clock_hz = 3571200,
		.etu_clocks = 93,
		.protocol = 0,
		.ifsc = 32,
		.ifsd = 32,
		.side = LINK_SIDE_PSAM,
	};
}

static int step_timing(const struct link_contactless *card, const struct link_contact *psam,
		       const struct link_step *s, struct link_timing *ret)
{
	switch (s->kind) {
	case LINK_STEP_ACTIVATE:
		return card ? link_contactless_activation(card, ret) : -EINVAL;
	case LINK_STEP_CARD:
		return card ? link_contactless_exchange(card, s->capdu, s->clen, s->rlen_incl_sw,
							ret)
			    : -EINVAL;
	case LINK_STEP_PSAM:
		return psam ? link_contact_exchange(psam, s->capdu, s->clen, s->rlen_incl_sw, ret)
			    : -EINVAL;
	}
	return -EINVAL;
}

int link_sequence(const struct link_contactless *card, const struct link_contact *psam,
		  const struct link_step *steps, size_t n, struct link_timing *ret)
{
	struct link_timing sum = { 0 };

	if (!ret || (n > 0 && !steps))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct link_timing t;
		int r = step_timing(card, psam, &steps[i], &t);

		if (r < 0)
			return r;
		sum.air_ns += t.air_ns;
		sum.gap_ns += t.gap_ns;
		sum.processing_ns += t.processing_ns;
		sum.frames += t.frames;
	}
	set_total(&sum);
	*ret = sum;
	return 0;
}

int link_purchase_floor(const struct link_contactless *card, const struct link_contact *psam,
			const struct link_purchase_flow *flow, struct link_floor *ret)
{
	struct link_floor f = { 0 };
	int r;

	if (!flow || !ret)
		return -EINVAL;
	r = link_sequence(card, psam, flow->card_before, flow->n_before, &f.before);
	if (r == 0)
		r = link_sequence(card, psam, flow->psam, flow->n_psam, &f.psam);
	if (r == 0)
		r = link_sequence(card, psam, flow->card_beside, flow->n_beside, &f.beside);
	if (r == 0)
		r = link_sequence(card, psam, flow->card_after, flow->n_after, &f.after);
	if (r < 0)
		return r;
	if (f.psam.total_ns >= f.beside.total_ns) {
		f.total_ns = f.psam.total_ns;
		f.hidden_ns = f.beside.total_ns;
	} else {
		f.total_ns = f.beside.total_ns;
		f.hidden_ns = f.psam.total_ns;
	}
	f.total_ns += f.before.total_ns + f.after.total_ns;
	*ret = f;
	return 0;
}
