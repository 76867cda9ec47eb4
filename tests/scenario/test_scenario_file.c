/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One fare scenario file (tests/scenarios/NAME.scn), run and checked tap by
 * tap (scn_run.c; the format is in scn.h and docs/fares.md).
 *
 * Usage: test-scenario-file SCENARIO DATA_DIR KEYFILE
 */
#include "check.h"
#include "scn_run.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	struct scn_result res;

	if (argc != 4)
		return 2;
	scn_run(argv[1], argv[2], argv[3], &res);
	printf("%d taps, %d paid, %lld fen stored\n", res.taps, res.paid,
	       (long long)res.stored_fen);
	return check_result();
}
