/*  wrp_file — whole-file reads with a size limit, and atomic writes
    (temp file in the same directory, fsync, rename, fsync of the
    directory) for every file that must never be seen half-written.           */

#ifndef WRP_FILE_H_INCLUDED
#define WRP_FILE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

//  Read the regular file at path, at most max bytes. Returns 0 and sets
//  *ret_data (NUL-terminated, caller frees) and *ret_size, or -1 and
//  *ret_err (caller frees): "PATH: cannot open: No such file or directory",
//  "PATH: larger than N bytes", ...; errno then tells why (ENOENT: the
//  file does not exist).
int wrp_file_read (const char *path, size_t max, char **ret_data, size_t *ret_size,
                   char **ret_err);

//  Replace path with data atomically, the new file having mode. On error
//  the old file (if any) is untouched and no temp file is left.
int wrp_file_write_atomic (const char *path, const void *data, size_t size, mode_t mode,
                           char **ret_err);

//  Create dir and its missing parents with mode (like mkdir -p).
int wrp_file_mkdirs (const char *dir, mode_t mode, char **ret_err);

//  A copy of path with a leading "~/" replaced by $HOME (when HOME is set
//  and not empty); any other path copied as it is. NULL when out of memory.
char *wrp_file_expand_home (const char *path);

void wrp_file_test (bool verbose);

#endif
