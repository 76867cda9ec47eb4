/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the simulator's card and PSAM profiles and key files
 * (drivers/sim/sim_profile.c over inih).  The first byte picks the kind of
 * file, the rest is the file, read through a memory file.  A profile that
 * names a key file names one that does not exist here: the parser must
 * still check every value before it gets there.
 */
#include "sim_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MUST(cond)                                                                                 \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim_card_profile card;
	static struct sim_psam_profile psam;
	static struct sim_keyset keys;
	char path[64], err[256] = "";
	int fd, r;

	if (size < 1)
		return 0;
	fd = memfd_create("profile", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	switch (data[0] % 3) {
	case 0:
		r = sim_card_profile_load(path, &card, err, sizeof(err));
		MUST(r < 0 || (card.aid_len == 8 || card.aid_len == 16));
		break;
	case 1:
		r = sim_psam_profile_load(path, &psam, err, sizeof(err));
		break;
	default:
		r = sim_keys_load(path, 0x01, &keys, err, sizeof(err));
		break;
	}
	MUST(r == 0 || !strchr(err, '\n'));
	close(fd);
	return 0;
}
