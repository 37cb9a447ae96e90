/*  wrp_shm — the runtime's POSIX shared memory segments (chi_* entries in
    the shm dir, normally /dev/shm): list them and remove them.

    Entries are examined with fstatat (AT_SYMLINK_NOFOLLOW) relative to the
    directory opened O_DIRECTORY|O_NOFOLLOW: a symlink named chi_* is
    reported and removed as a link, its target is never touched; a
    directory named chi_* is reported and never removed. An agent that is
    not root sees only the entries it owns: another user's segments in the
    same directory are neither listed nor removed.                            */

#ifndef WRP_SHM_H_INCLUDED
#define WRP_SHM_H_INCLUDED

#include <stdbool.h>

#define WRP_SHM_MAX_ENTRIES 1024    //  entries listed or removed at most

//  List the chi_* entries of dir, sorted by name, one line each:
//  "name\tbytes" for a file, "name\t0\tsymlink" / "name\t0\tdirectory" for
//  the others. A name's bytes outside printable ASCII, and '\\', are shown
//  as "\\xNN" (no name can forge a line or a column). Returns 0 and the
//  text (caller frees; "" when none), or -1 and a message (caller frees).
int wrp_shm_list (const char *dir, char **ret_text, char **ret_err);

//  Remove every chi_* entry of dir owned by this process's user (the
//  runtime's) that is not a directory, going on past any that cannot be
//  removed. Returns 0, the removed entries "path\tbytes" and the entries
//  left "path\treason" (one a line, names escaped as listed; both caller
//  frees, "" when none), or -1 and a message (caller frees) when dir cannot
//  be read.
int wrp_shm_clean (const char *dir, char **ret_removed, char **ret_kept, char **ret_err);

void wrp_shm_test (bool verbose);

#endif
