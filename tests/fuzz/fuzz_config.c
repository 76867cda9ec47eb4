/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the validator's configuration file (terminal/config.c
 * over inih).  The input is the file; it reaches ykt_config_load() through
 * a memory file (/proc/self/fd/N), as an operator's file would.  Whatever
 * the bytes, loading returns 0 or an error with a one-line message, and a
 * loaded configuration keeps the limits the rest of the validator trusts.
 */
#include "config.h"

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

static int memory_file(const uint8_t *data, size_t size, char *path, size_t cap)
{
	int fd = memfd_create("ykt.conf", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ykt_config cfg;
	char path[64], err[512];
	int fd = memory_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	err[0] = '\0';
	if (ykt_config_load(path, &cfg, err, sizeof(err)) == 0) {
		MUST(cfg.fare_fen >= 0 && cfg.fare_fen <= cfg.max_fare_fen);
		MUST(cfg.device_id[0] && memchr(cfg.device_id, 0, sizeof(cfg.device_id)));
		MUST(cfg.busy_timeout_ms >= 1 && cfg.busy_timeout_ms <= 1000);
		MUST(!cfg.max_records || cfg.warn_records <= cfg.max_records);
		MUST(memchr(cfg.store_path, 0, sizeof(cfg.store_path)));
	} else {
		MUST(err[0] && !strchr(err, '\n'));
	}
	close(fd);
	return 0;
}
