/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A SQLite VFS for tests that stacks over the default one and makes writes
 * fail on demand, as a full disk (SQLITE_FULL) or a failing SD card
 * (SQLITE_IOERR on write and fsync) would, without a small file system or
 * root.  Installed as the default VFS, so the store uses it unchanged.
 */
#ifndef YKT_FAULT_VFS_H
#define YKT_FAULT_VFS_H

enum fault_vfs_mode {
	FAULT_VFS_OFF,	 /* pass everything through */
	FAULT_VFS_FULL,	 /* every write answers SQLITE_FULL (ENOSPC) */
	FAULT_VFS_IOERR, /* every write and sync answers SQLITE_IOERR (EIO) */
};

/* Register as SQLite's default VFS (once; later calls do nothing). 0 or a
 * SQLite error code. */
int fault_vfs_install(void);

/* Thread-safe; takes effect at the next write. */
void fault_vfs_set(enum fault_vfs_mode mode);

/* Writes and syncs refused since install. */
long fault_vfs_failures(void);

#endif
