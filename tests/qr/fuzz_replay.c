/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs a libFuzzer target without libFuzzer, so that every build (and the
 * ASan+UBSan one) exercises it: each corpus file as it is, then a fixed
 * number of mutations of it (bytes flipped, cut, repeated, spliced) from a
 * fixed seed.  Usage: fuzz-replay CORPUS_FILE... (a target aborts on a
 * broken property; this program then dies with it).
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MUTATIONS 300
#define INPUT_MAX 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t mutate(const uint8_t *in, size_t n, uint8_t *out, uint64_t *rng)
{
	size_t len = n, at = n ? check_rand(rng) % n : 0;

	memcpy(out, in, n);
	switch (check_rand(rng) % 5) {
	case 0: /* flip a few bytes */
		for (int k = 0; k < 3 && n; k++)
			out[check_rand(rng) % n] ^= (uint8_t)(1u << (check_rand(rng) % 8));
		break;
	case 1: /* cut */
		len = at;
		break;
	case 2: /* the input twice, back to back */
		if (2 * n <= INPUT_MAX) {
			memcpy(out + n, in, n);
			len = 2 * n;
		}
		break;
	case 3: /* a run of noise inserted */
		if (n + 16 <= INPUT_MAX) {
			memmove(out + at + 16, out + at, n - at);
			for (int k = 0; k < 16; k++)
				out[at + k] = (uint8_t)check_rand(rng);
			len = n + 16;
		}
		break;
	default: /* one byte set to an edge value */
		if (n)
			out[at] = (uint8_t[]){ 0x00, 0x24, 0x40, 0x80, 0xff }[check_rand(rng) % 5];
		break;
	}
	return len;
}

int main(int argc, char **argv)
{
	static uint8_t in[INPUT_MAX], out[INPUT_MAX];
	uint64_t rng = 0x5eed0f0a11ULL;
	unsigned runs = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t n;

		CHECK(f != NULL, "corpus file %s", argv[i]);
		if (!f)
			continue;
		n = fread(in, 1, sizeof(in), f);
		fclose(f);
		LLVMFuzzerTestOneInput(in, n);
		for (int m = 0; m < MUTATIONS; m++) {
			size_t len = mutate(in, n, out, &rng);

			LLVMFuzzerTestOneInput(out, len);
		}
		runs += 1 + MUTATIONS;
	}
	printf("%u inputs\n", runs);
	return check_result();
}
