/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The powercut VFS does what the power-loss harness relies on. A child
 * process writes through it to a WAL database and dies; the parent opens the
 * file with the plain unix VFS (as the next boot would) and finds:
 *   - a commit synced before the death: always there;
 *   - a commit never synced (synchronous=OFF): gone after a power cut
 *     (PC_CACHE), there after a crash (PC_PASS, the kernel kept it);
 *   - a cut planned at the sync of a store operation (an INSERT INTO
 *     purchase is an intent): before the sync, gone; after it, there;
 *     torn (each unsynced write whole, lost or part garbage), either, and
 *     the database passes its integrity check;
 *   - every time: the -shm file filled with garbage does not matter.
 */
#include "check.h"
#include "powercut_vfs.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/ykt-powercut-XXXXXX";
static char db[64];

static void must(sqlite3 *h, const char *sql)
{
	if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(h));
		_exit(3);
	}
}

/* In the child: one synced row, then a second row as the plan says, then
 * death by SIGKILL (the plan's cut, or ours). */
static void child(enum pc_mode mode, const struct pc_plan *plan, bool sync_second, uint64_t seed)
{
	sqlite3 *h;

	if (powercut_vfs_register(mode, plan, -1, seed) != SQLITE_OK ||
	    sqlite3_open(db, &h) != SQLITE_OK)
		_exit(2);
	must(h, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		"CREATE TABLE IF NOT EXISTS purchase (n INTEGER PRIMARY KEY, pad BLOB);"
		"INSERT INTO purchase VALUES (1, zeroblob(3000))");
	if (!sync_second)
		must(h, "PRAGMA synchronous = OFF");
	must(h, "BEGIN IMMEDIATE; INSERT INTO purchase VALUES (2, zeroblob(9000)); COMMIT");
	raise(SIGKILL);
	_exit(4);
}

static void scribble_shm(void)
{
	char path[80], junk[32768];
	int fd;

	snprintf(path, sizeof(path), "%s-shm", db);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 13);
	CHECK(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk), "scribble -shm");
	close(fd);
}

/* Rows after a child's death: 1, 2, or -1 when the database is damaged. */
static int rows_after(enum pc_mode mode, struct pc_plan plan, bool sync_second, uint64_t seed)
{
	char path[80];
	sqlite3 *h;
	sqlite3_stmt *st;
	int status, rows = -1;
	pid_t pid;

	static const char *const suffixes[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffixes[i]);
		unlink(path);
	}
	pid = fork();
	if (pid == 0)
		child(mode, &plan, sync_second, seed);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %#x", status);
	scribble_shm();
	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0) {
		sqlite3_finalize(st);
		if (sqlite3_prepare_v2(h, "SELECT count(*) FROM purchase", -1, &st, NULL) ==
			SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			rows = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return rows;
}

int main(void)
{
	const struct pc_plan none = { .op = PC_OP_NONE };

	if (!mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/t.db", dir);

	CHECK_INT(rows_after(PC_CACHE, none, true, 1), 2);
	CHECK_INT(rows_after(PC_CACHE, none, false, 1), 1); /* power cut: unsynced commit lost */
	CHECK_INT(rows_after(PC_PASS, none, false, 1), 2);  /* crash: the kernel kept it */
	/* the second INSERT INTO purchase is the 2nd intent of the process */
	CHECK_INT(rows_after(PC_CACHE, (struct pc_plan){ PC_OP_INTENT, 2, PC_SYNC, PC_CUT_POWER },
			     true, 1),
		  1);
	CHECK_INT(rows_after(PC_CACHE, (struct pc_plan){ PC_OP_INTENT, 2, PC_SYNCED, PC_CUT_POWER },
			     true, 1),
		  2);
	CHECK_INT(rows_after(PC_PASS, (struct pc_plan){ PC_OP_INTENT, 2, PC_FIRST, PC_CUT_KILL },
			     true, 1),
		  1);
	/* crash after one page of three: no commit frame, nothing committed */
	CHECK_INT(
	    rows_after(PC_PASS, (struct pc_plan){ PC_OP_INTENT, 2, PC_MID, PC_CUT_KILL }, true, 1),
	    1);
	/* crash with every frame written but not synced: the kernel has them */
	CHECK_INT(
	    rows_after(PC_PASS, (struct pc_plan){ PC_OP_INTENT, 2, PC_SYNC, PC_CUT_KILL }, true, 1),
	    2);
	for (int i = 0; i < 20; i++) {
		int rows =
		    rows_after(PC_CACHE, (struct pc_plan){ PC_OP_INTENT, 2, PC_SYNC, PC_CUT_TORN },
			       true, (uint64_t)i + 1);

		CHECK(rows == 1 || rows == 2, "torn cut %d: %d rows (-1: damaged)", i, rows);
	}
	if (check_result() == 0) {
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
		return 0;
	}
	fprintf(stderr, "kept %s\n", dir);
	return 1;
}
