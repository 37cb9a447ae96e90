/*  wrp_file — whole-file reads with a size limit, and atomic writes
    (temp file in the same directory, fsync, rename, fsync of the
    directory) for every file that must never be seen half-written.           */

#ifndef WRP_FILE_H_INCLUDED
#define WRP_FILE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

//  Read the regular file at path, at most max bytes. Returns 0 and sets
//  *ret_data (NUL-terminated, caller frees) and *ret_size, or -1 and
//  *ret_err (caller frees): "PATH: cannot open: No such file or directory",
//  "PATH: larger than N bytes", ...; errno then tells why (ENOENT: the
//  file does not exist).
int wrp_file_read (const char *path, size_t max, char **ret_data, size_t *ret_size,
                   char **ret_err);

//  Options of wrp_file_read_at.
#define WRP_FILE_NOFOLLOW 1    //  a symbolic link is refused, not followed
#define WRP_FILE_TRUSTED  2    //  wrp_file_check_trusted must pass

//  As wrp_file_read, path relative to the directory dirfd (AT_FDCWD: the
//  working directory), with flags. Every read opens with O_NONBLOCK (a FIFO
//  never blocks: it is "not a regular file") and is bounded by max.
int wrp_file_read_at (int dirfd, const char *path, size_t max, int flags, char **ret_data,
                      size_t *ret_size, char **ret_err);

//  ssh-style trust in a file that decides who may do what (keys, config):
//  owned by root or by this process's effective user, and not writable by
//  group or others. Returns 0, or -1 and a message naming path and how to
//  fix it (caller frees).
int wrp_file_check_trusted (const struct stat *st, const char *path, char **ret_err);

//  Replace path with data atomically, the new file having mode. On error
//  the old file (if any) is untouched and no temp file is left.
int wrp_file_write_atomic (const char *path, const void *data, size_t size, mode_t mode,
                           char **ret_err);

//  The same for name in the directory dirfd (a temp file created there
//  O_EXCL|O_NOFOLLOW, renamed over name: a symbolic link at name is
//  replaced, its target never written).
int wrp_file_write_atomic_at (int dirfd, const char *name, const void *data, size_t size,
                              mode_t mode, char **ret_err);

//  Create dir and its missing parents with mode (like mkdir -p).
int wrp_file_mkdirs (const char *dir, mode_t mode, char **ret_err);

//  A copy of path with a leading "~/" replaced by $HOME (when HOME is set
//  and not empty); any other path copied as it is. NULL when out of memory.
char *wrp_file_expand_home (const char *path);

void wrp_file_test (bool verbose);

#endif
