/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ykt params`: the parameter packages an operator installs and inspects.
 *
 *   ykt params [-c FILE]                 versions in force and pending, per set
 *   ykt params install PACKAGE [-c FILE] verify and install one package
 */
#ifndef YKT_PARAMS_CLI_H
#define YKT_PARAMS_CLI_H

/* argv[0] is "params".  Exit status: 0 done (installed, already installed,
 * listed), 1 refused or failed, 2 usage or configuration. */
int ykt_params_command(int argc, char **argv, const char *default_config);

#endif
