/*  wrp_hostfile — Jarvis-compatible hostfiles (CONTRACT §4).

    One entry per line; blank lines and `#` comments (whole line or the end
    of one) are ignored. Brackets expand as in Jarvis: `node[01-10]`,
    `n[1,3,7-9]`, `rack[a-c]-n[1-2]` (several brackets, numeric ranges,
    single-letter ranges, comma lists). A numeric range is zero-padded to the
    width of its wider bound when either bound has a leading zero
    (`n[01-10]` -> n01..n10, `n[1-10]` -> n1..n10). An entry may carry the
    agent port (`host:port`) or be an IPv4 address. Duplicates (same host and
    port) are removed, first occurrence kept. More than 100000 expanded
    entries is an error. Every error names the file (or buffer name) and
    line.                                                                     */

#ifndef WRP_HOSTFILE_H_INCLUDED
#define WRP_HOSTFILE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define WRP_HOSTFILE_MAX_HOSTS 100000
#define WRP_HOSTFILE_MAX_BYTES (16 * 1024 * 1024)

typedef struct _wrp_hostfile_t wrp_hostfile_t;

//  Read and expand the hostfile at path. Returns NULL and sets *ret_err
//  (caller frees) to "PATH:LINE: what" or "PATH: why it cannot be read".
wrp_hostfile_t *wrp_hostfile_load (const char *path, char **ret_err);

//  Expand a hostfile held in memory (size bytes, need not be NUL-terminated);
//  name is used in messages in place of a path.
wrp_hostfile_t *wrp_hostfile_parse (const char *data, size_t size, const char *name,
                                    char **ret_err);

//  The implicit hostfile: one host, "localhost". NULL only on OOM.
wrp_hostfile_t *wrp_hostfile_localhost (void);

void wrp_hostfile_destroy (wrp_hostfile_t **self_p);

//  Number of hosts after expansion and de-duplication.
size_t wrp_hostfile_size (const wrp_hostfile_t *self);

//  Host name or IPv4 address of entry index (borrowed).
const char *wrp_hostfile_host (const wrp_hostfile_t *self, size_t index);

//  Agent port of entry index, or 0 when the entry named none.
int wrp_hostfile_port (const wrp_hostfile_t *self, size_t index);

//  The runtime's hostfile: each distinct host once, one per line, no ports,
//  in order. Caller frees; NULL on OOM.
char *wrp_hostfile_runtime_text (const wrp_hostfile_t *self);

//  A pdsh/clush host list: items separated by commas outside brackets,
//  each as one hostfile line ("node[01-10],gpu[1-4]", "a,b:6000").
//  name (e.g. "-w") starts every message.
wrp_hostfile_t *wrp_hostfile_from_list (const char *list, const char *name,
                                        char **ret_err);

//  The hosts an option names: "-" a hostfile on stdin; "^FILE" (pdsh), an
//  existing file or anything with a '/' a hostfile; otherwise a host list.
//  For -H (option "-H") a host list must hold a ',' or a bracket, so a
//  mistyped file name is an error, not a host; for -w/-x any word is one.
wrp_hostfile_t *wrp_hostfile_from_arg (const char *arg, const char *option,
                                       char **ret_err);

//  True when host is one of self's entries (port 0 matches any port).
bool wrp_hostfile_has (const wrp_hostfile_t *self, const char *host, int port);

//  Fold names into one host list as Slurm's sinfo does: names that differ
//  only in a trailing number share brackets ("node[001-003,007],gpu1").
//  Groups keep their first appearance's order; numbers are sorted within a
//  group. Expanding the result gives the same set of names. Caller frees;
//  NULL on OOM.
char *wrp_hostfile_fold (const char *const *names, size_t count);

void wrp_hostfile_test (bool verbose);

#endif
