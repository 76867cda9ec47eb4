/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * APDU plumbing shared by the simulated card and PSAM.  Every C-APDU is
 * treated as hostile: lengths are checked before any byte is looked at.
 */
#include "sim_private.h"

#include <string.h>

uint16_t sim_apdu_parse(const uint8_t *capdu, size_t len, struct sim_apdu *ret)
{
	struct sim_apdu a = { 0 };

	if (!capdu || len < 4)
		return SW_WRONG_LENGTH;
	a.cla = capdu[0];
	a.ins = capdu[1];
	a.p1 = capdu[2];
	a.p2 = capdu[3];
	if (len == 5) { /* case 2: Le only */
		a.has_le = true;
		a.le = capdu[4] ? capdu[4] : 256;
	} else if (len > 5) {
		a.lc = capdu[4];
		/* Lc 00 would start an extended-length APDU: not supported */
		if (a.lc == 0 || (len != 5 + a.lc && len != 6 + a.lc))
			return SW_WRONG_LENGTH;
		a.data = capdu + 5;
		if (len == 6 + a.lc) {
			a.has_le = true;
			a.le = capdu[len - 1] ? capdu[len - 1] : 256;
		}
	}
	*ret = a;
	return 0;
}

bool sim_apdu_le_ok(const struct sim_apdu *a, size_t want)
{
	return !a->has_le || a->le == 256 || a->le == want;
}

void sim_rbuf_put(struct sim_rbuf *r, const void *p, size_t n)
{
	if (n > r->cap - r->len)
		n = r->cap - r->len;
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

void sim_rbuf_byte(struct sim_rbuf *r, uint8_t b)
{
	sim_rbuf_put(r, &b, 1);
}

uint16_t sim_read_slice(const uint8_t *file, size_t file_len, size_t offset, size_t le,
			struct sim_rbuf *r)
{
	size_t avail;

	if (offset >= file_len)
		return SW_WRONG_OFFSET;
	avail = file_len - offset;
	if (le == 256)
		le = avail; /* Le 00: everything from the offset on */
	if (le > avail)
		return (uint16_t)(SW_WRONG_LE | avail);
	sim_rbuf_put(r, file + offset, le);
	return SW_OK;
}

void sim_finish(struct sim_rbuf *r, uint16_t sw, size_t *ret_len)
{
	uint8_t sw1 = (uint8_t)(sw >> 8);

	if (sw != SW_OK && sw1 != 0x61 && sw1 != 0x62 && sw1 != 0x63)
		r->len = 0;
	if (r->len > r->cap - 2)
		r->len = r->cap - 2;
	r->buf[r->len++] = sw1;
	r->buf[r->len++] = (uint8_t)sw;
	*ret_len = r->len;
}

void sim_prng_seed(struct sim_prng *p, const uint8_t *seed, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= seed[i];
		h *= 0x100000001b3ULL;
	}
	p->state = h;
}

static uint64_t splitmix64(struct sim_prng *p)
{
	uint64_t z = (p->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void sim_prng_fill(struct sim_prng *p, uint8_t *out, size_t n)
{
	while (n > 0) {
		uint64_t v = splitmix64(p);

		for (int i = 0; i < 8 && n > 0; i++, n--) {
			*out++ = (uint8_t)v;
			v >>= 8;
		}
	}
}
