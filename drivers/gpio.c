/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "gpio.h"

#include "uri.h"
#include "ykt_config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct ykt_gpio_ops ykt_gpio_sim_ops;
#if YKT_WITH_GPIOD
extern const struct ykt_gpio_ops ykt_gpio_gpiod_ops;
#endif

static const void *const gpio_drivers[] = {
	&ykt_gpio_sim_ops,
#if YKT_WITH_GPIOD
	&ykt_gpio_gpiod_ops,
#endif
	NULL,
};
#define N_GPIO_DRIVERS (sizeof(gpio_drivers) / sizeof(gpio_drivers[0]) - 1)

struct gpio_line {
	bool requested;
	int value;
	char name[YKT_GPIO_NAME_MAX];
	struct ykt_gpio_line_spec spec;
};

struct ykt_gpio {
	const struct ykt_gpio_ops *ops;
	struct ykt_gpio_env env;
	struct gpio_line lines[YKT_GPIO_MAX_LINES];
	int n_lines;
	char *errbuf;
	size_t errbuf_len;
	_Alignas(max_align_t) unsigned char priv[];
};

int ykt_gpio_scheme_known(const char *uri)
{
	const char *args;

	return ykt_uri_lookup(uri, gpio_drivers, N_GPIO_DRIVERS, &args) >= 0;
}

const char *ykt_gpio_schemes(void)
{
	static char list[128];

	ykt_uri_schemes(gpio_drivers, N_GPIO_DRIVERS, list, sizeof(list));
	return list;
}

int ykt_gpio_open(const char *uri, const struct ykt_gpio_env *env, struct ykt_gpio **ret_gpio,
		  char *errbuf, size_t errbuf_len)
{
	const struct ykt_gpio_ops *ops;
	struct ykt_gpio *g;
	const char *args;
	int i = ykt_uri_lookup(uri, gpio_drivers, N_GPIO_DRIVERS, &args);

	if (i < 0) {
		if (errbuf)
			snprintf(errbuf, errbuf_len,
				 "unknown output driver in '%s' (this build has: %s)", uri,
				 ykt_gpio_schemes());
		return -ENOENT;
	}
	ops = gpio_drivers[i];
	g = calloc(1, sizeof(*g) + ops->priv_size);
	if (!g)
		return -ENOMEM;
	g->ops = ops;
	if (env)
		g->env = *env;
	g->errbuf = errbuf;
	g->errbuf_len = errbuf_len;
	i = ops->open(g, args);
	g->errbuf = NULL;
	if (i < 0) {
		free(g);
		return i;
	}
	*ret_gpio = g;
	return 0;
}

void ykt_gpio_free(struct ykt_gpio *g)
{
	if (!g)
		return;
	g->ops->close(g);
	free(g);
}

int ykt_gpio_request(struct ykt_gpio *g, const char *name, const struct ykt_gpio_line_spec *spec)
{
	struct gpio_line *l;
	int line = g->n_lines, r;

	if (!spec->chip[0])
		return -EINVAL;
	if (line >= YKT_GPIO_MAX_LINES)
		return -E2BIG;
	if (!g->ops->request)
		return -EOPNOTSUPP;
	l = &g->lines[line];
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->spec = *spec;
	r = g->ops->request(g, line, spec);
	if (r < 0)
		return r;
	l->requested = true;
	l->value = 0;
	g->n_lines++;
	return line;
}

int ykt_gpio_set(struct ykt_gpio *g, int line, int value)
{
	int r;

	if (line < 0 || line >= g->n_lines)
		return -EINVAL;
	if (!g->ops->set)
		return -EOPNOTSUPP;
	r = g->ops->set(g, line, value ? 1 : 0);
	if (r == 0)
		g->lines[line].value = value ? 1 : 0;
	return r;
}

int ykt_gpio_get(const struct ykt_gpio *g, int line)
{
	if (line < 0 || line >= g->n_lines)
		return -EINVAL;
	return g->lines[line].value;
}

const char *ykt_gpio_line_name(const struct ykt_gpio *g, int line)
{
	if (line < 0 || line >= g->n_lines)
		return "?";
	return g->lines[line].name;
}

int ykt_gpio_line_count(const struct ykt_gpio *g)
{
	return g->n_lines;
}

static int parse_level(const char *text, bool *ret_active_low)
{
	if (*text == '\0' || strcmp(text, ":active-high") == 0)
		*ret_active_low = false;
	else if (strcmp(text, ":active-low") == 0)
		*ret_active_low = true;
	else
		return -EINVAL;
	return 0;
}

int ykt_gpio_line_parse(const char *text, struct ykt_gpio_line_spec *ret_spec)
{
	struct ykt_gpio_line_spec spec = { 0 };
	size_t chip_len = strcspn(text, ":");
	unsigned long offset;
	char *end;

	if (chip_len == 0 || chip_len >= sizeof(spec.chip) || text[chip_len] != ':')
		return -EINVAL;
	memcpy(spec.chip, text, chip_len);
	text += chip_len + 1;
	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	offset = strtoul(text, &end, 10);
	if (errno || offset > 1023 || parse_level(end, &spec.active_low) < 0)
		return -EINVAL;
	spec.offset = (unsigned)offset;
	*ret_spec = spec;
	return 0;
}

void *ykt_gpio_priv(struct ykt_gpio *g)
{
	return g->priv;
}

const struct ykt_gpio_ops *ykt_gpio_ops_of(const struct ykt_gpio *g)
{
	return g->ops;
}

const struct ykt_gpio_env *ykt_gpio_env(const struct ykt_gpio *g)
{
	return &g->env;
}

void ykt_gpio_set_error(struct ykt_gpio *g, const char *fmt, ...)
{
	va_list ap;

	if (!g->errbuf)
		return;
	va_start(ap, fmt);
	vsnprintf(g->errbuf, g->errbuf_len, fmt, ap);
	va_end(ap);
}
