/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One logger for the whole validator: levels and categories, to stderr
 * (journald picks it up under systemd).  Card numbers and MACs are masked
 * by the callers through ykt_cardno_mask() unless ykt_log_unmasked() is set.
 */
#ifndef YKT_LOG_H
#define YKT_LOG_H

#include <stdbool.h>

enum ykt_log_level { YKT_LOG_ERR, YKT_LOG_WARN, YKT_LOG_INFO, YKT_LOG_DEBUG };

void ykt_log_set_level(enum ykt_log_level level);
enum ykt_log_level ykt_log_get_level(void);
/* Whether card numbers may appear unmasked (a debug trace asked for it). */
void ykt_log_set_unmasked(bool unmasked);
bool ykt_log_unmasked(void);

/* category: short fixed word ("tap", "psam", "store", "sim", ...). */
void ykt_log(enum ykt_log_level level, const char *category, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_err(cat, ...)   ykt_log(YKT_LOG_ERR, cat, __VA_ARGS__)
#define log_warn(cat, ...)  ykt_log(YKT_LOG_WARN, cat, __VA_ARGS__)
#define log_info(cat, ...)  ykt_log(YKT_LOG_INFO, cat, __VA_ARGS__)
#define log_debug(cat, ...) ykt_log(YKT_LOG_DEBUG, cat, __VA_ARGS__)

#endif
