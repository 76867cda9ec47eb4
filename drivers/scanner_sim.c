/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim: scanner — the codes of the sim: reader's tap script.
 *
 *   sim:    (no arguments)
 *
 * Each `scan` step of the script comes here from the reader's field thread
 * (ykt_reader_sim_attach_scanner) as one scan; the field waits until the
 * validator is done with it (ykt_scanner_done), so that cards and codes
 * are served in the script's order and a run is deterministic.  Only a
 * sim: reader can feed it.
 */
#include "scanner.h"

#include "reader.h"
#include "reader_sim.h"

#include <errno.h>

struct sim_scanner {
	struct ykt_reader *reader;
};

static void sim_scan(const uint8_t *code, size_t len, void *userdata)
{
	struct ykt_scanner *s = userdata;
	struct sim_scanner *p = ykt_scanner_priv(s);

	/* a scan the queue cannot take is over at once: the field goes on */
	if (ykt_scanner_deliver(s, code, len) < 0)
		ykt_reader_sim_scan_done(p->reader);
}

static int sim_open(struct ykt_scanner *s, const char *args)
{
	struct sim_scanner *p = ykt_scanner_priv(s);
	struct ykt_reader *reader = ykt_scanner_env(s)->reader;

	if (args[0]) {
		ykt_scanner_set_error(s, "sim: scanner takes no arguments (its codes are the "
					 "scan steps of the sim: reader's tap script)");
		return -EINVAL;
	}
	if (!reader || ykt_reader_sim_attach_scanner(reader, sim_scan, s) < 0) {
		ykt_scanner_set_error(s, "sim: scanner needs a sim: reader (its tap script "
					 "holds the codes)");
		return -EINVAL;
	}
	p->reader = reader;
	return 0;
}

/* The reader may be gone already (it is freed first): nothing to undo. */
static void sim_close(struct ykt_scanner *s)
{
}

static int sim_start(struct ykt_scanner *s)
{
	return 0; /* the reader's field thread drives the scans */
}

static int sim_done(struct ykt_scanner *s)
{
	struct sim_scanner *p = ykt_scanner_priv(s);

	return ykt_reader_sim_scan_done(p->reader);
}

const struct ykt_scanner_ops ykt_scanner_sim_ops = {
	.scheme = "sim",
	.priv_size = sizeof(struct sim_scanner),
	.open = sim_open,
	.close = sim_close,
	.start = sim_start,
	.done = sim_done,
};
