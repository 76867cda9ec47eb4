/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The validator the power-loss harness kills: the reader loop of `ykt run`
 * (terminal/validator.c, unchanged) with the powercut VFS as SQLite's
 * default, so that its store writes through the power-loss model and can
 * be cut at a planned write point. The cards and the PSAM are in the
 * harness, behind the remote: drivers the configuration names.
 *
 * Usage: powerloss-validator CONFIG pass|cache PLAN REPORT SEED
 *   PLAN    none, or OP:NTH:POINT:CUT (powercut_vfs.h), e.g. intent:3:sync:power
 *   REPORT  file the cut line is appended to
 * Exits 0 when the field's script is over, 1 on a start-up failure; a cut
 * ends it by SIGKILL.
 */
#include "config.h"
#include "log.h"
#include "powercut_vfs.h"
#include "validator.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_plan(const char *text, struct pc_plan *ret)
{
	char op[32], point[16], cut[16];
	int nth, o, p, c;

	*ret = (struct pc_plan){ .op = PC_OP_NONE };
	if (strcmp(text, "none") == 0)
		return 0;
	if (sscanf(text, "%31[a-z0-9-]:%d:%15[a-z]:%15[a-z]", op, &nth, point, cut) != 4 || nth < 1)
		return -1;
	o = pc_parse_name(pc_op_names, PC_OP__COUNT, op);
	p = pc_parse_name(pc_point_names, PC_POINT__COUNT, point);
	c = pc_parse_name(pc_cut_names, PC_CUT__COUNT, cut);
	if (o <= PC_OP_NONE || o >= PC_OP_OTHER || p < 0 || c < 0)
		return -1;
	*ret = (struct pc_plan){ .op = o, .nth = nth, .point = p, .cut = c };
	return 0;
}

int main(int argc, char **argv)
{
	struct ykt_config cfg;
	struct ykt_validator *v;
	struct pc_plan plan;
	char err[512];
	int report, r;

	if (argc != 6 || (strcmp(argv[2], "pass") && strcmp(argv[2], "cache")) ||
	    parse_plan(argv[3], &plan) < 0) {
		fprintf(stderr, "usage: powerloss-validator CONFIG pass|cache PLAN REPORT SEED\n");
		return 2;
	}
	report = open(argv[4], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (report < 0 || powercut_vfs_register(strcmp(argv[2], "cache") == 0 ? PC_CACHE : PC_PASS,
						&plan, report, strtoull(argv[5], NULL, 10)) != 0) {
		perror("powerloss-validator: powercut VFS");
		return 1;
	}
	ykt_log_set_level(YKT_LOG_WARN);
	if (ykt_config_load(argv[1], &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "powerloss-validator: %s\n", err);
		return 1;
	}
	r = ykt_validator_new(&cfg, &v, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "powerloss-validator: %s\n", err);
		return 1;
	}
	r = ykt_validator_run(v, NULL, NULL);
	ykt_validator_free(v);
	return r < 0 ? 1 : 0;
}
