/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ykt config check FILE`: exit 0 on a good file; exit 1 and exactly one
 * line on stderr, naming the key, on a bad one.  argv[1] is the ykt binary.
 */
#include "check.h"
#include "ykt_config.h"

#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char tmp[PATH_MAX - 64];
static const char *ykt;

static const char good[] = "[device]\nid = CLI-1\nacquirer_city = 1000\n"
			   "acquirer_institution = 11011000FFFFFFFF\n"
			   "[hardware]\nreader = sim:cards.tap\nsam = sim:psam.psam\n"
			   "[store]\npath = ykt.db\n[purchase]\nfare_fen = 200\n";

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

/* Run ykt config check on text; returns the exit status (-1 if it did not
 * exit normally) with stdout and stderr in out and err. */
static int run_check(const char *text, char *out, char *err, size_t cap)
{
	char conf[PATH_MAX], out_path[PATH_MAX], err_path[PATH_MAX];
	char *argv[] = { (char *)ykt, "config", "check", conf, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	if (text)
		check_write_file(tmp, "ykt.conf", text, conf, sizeof(conf));
	else
		snprintf(conf, sizeof(conf), "%s/missing.conf", tmp);
	snprintf(out_path, sizeof(out_path), "%s/stdout", tmp);
	snprintf(err_path, sizeof(err_path), "%s/stderr", tmp);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (posix_spawn(&pid, ykt, &fa, NULL, argv, environ) != 0) {
		perror(ykt);
		abort();
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0)
		abort();
	slurp(out_path, out, cap);
	slurp(err_path, err, cap);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* exactly one line, ending in a newline */
static bool one_line(const char *s)
{
	size_t n = strlen(s);

	return n > 1 && s[n - 1] == '\n' && !memchr(s, '\n', n - 1);
}

static void expect_bad(const char *text, const char *want)
{
	char out[4096], err[4096];
	int status = run_check(text, out, err, sizeof(err));

	CHECK(status == 1, "exit %d for '%s' (stderr: %s)", status, want, err);
	CHECK(one_line(err), "stderr is not one line: '%s'", err);
	CHECK(strstr(err, want) != NULL, "stderr '%s' lacks '%s'", err, want);
	CHECK(out[0] == '\0', "stdout '%s'", out);
}

/* A production build (no simulator) refuses every sim: URI. */
static void test_without_sim(void)
{
	expect_bad(good, "[hardware] reader");
	expect_bad(good, "unknown driver");
	expect_bad(NULL, "missing.conf");
}

static void test_with_sim(void)
{
	char out[4096], err[4096], text[2048];
	int status = run_check(good, out, err, sizeof(out));

	CHECK(status == 0, "good config: exit %d, stderr '%s'", status, err);
	CHECK(strstr(out, "OK") != NULL, "stdout '%s'", out);
	CHECK(err[0] == '\0', "stderr '%s'", err);

	snprintf(text, sizeof(text), "%s", good);
	memcpy(strstr(text, "sim:cards.tap"), "foo:bar      ", 13);
	expect_bad(text, "[hardware] reader");
	expect_bad(text, "unknown driver");
	snprintf(text, sizeof(text), "[device]\n%s", strstr(good, "acquirer_city"));
	expect_bad(text, "[device] id: missing");
	snprintf(text, sizeof(text), "%s", good);
	memcpy(strstr(text, "fare_fen = 200"), "fare_fen = 2x0", 14);
	expect_bad(text, "[purchase] fare_fen");
	snprintf(text, sizeof(text), "%s[charge_percent]\n02 = 101\n", good);
	expect_bad(text, "[charge_percent] 02");
	expect_bad(NULL, "missing.conf");

	status = run_check(good, out, err, sizeof(out));
	CHECK(status == 0, "good config again: exit %d", status);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		check_skip("usage: test_config_cli PATH-TO-YKT");
	ykt = argv[1];
	check_tmpdir(tmp, sizeof(tmp));
	if (YKT_WITH_SIM)
		test_with_sim();
	else
		test_without_sim();
	check_rm_rf(tmp);
	return check_result();
}
