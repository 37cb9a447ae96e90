/*  wrp_state — the controller's state under $WRP_HOME (default ~/.wrp).

        current                      name and file of the current pipeline
        cluster                      the hostfile of `hostfile set`
        lock                         flock(2)ed by every read-modify-write
        pipelines/NAME/conf.yaml     `pkg conf` overrides and the config
                                     generation of pipeline NAME

    Every file is replaced atomically (temp file, fsync, rename); every
    read-modify-write holds HOME/lock, so two commands at once (two
    `pkg conf` in parallel) both land. A command
    that fails validation writes nothing. `ppl load` makes a pipeline
    current, clears its overrides and bumps its generation; every successful
    `pkg conf` bumps the generation too, so agents can tell configs apart.    */

#ifndef WRP_STATE_H_INCLUDED
#define WRP_STATE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wrp_params.h"

typedef struct _wrp_state_t wrp_state_t;

//  State rooted at home; NULL home means $WRP_HOME, else $HOME/.wrp. Does
//  not touch the disk. Returns NULL and *ret_err when no home can be found.
wrp_state_t *wrp_state_new (const char *home, char **ret_err);

void wrp_state_destroy (wrp_state_t **self_p);

//  The current pipeline. Returns 0 and sets *ret_name and *ret_file (caller
//  frees; file may be NULL), 1 when none is loaded, -1 and *ret_err when the
//  state file is unreadable or corrupt.
int wrp_state_current (wrp_state_t *self, char **ret_name, char **ret_file,
                       char **ret_err);

//  Make name (loaded from file) the current pipeline, clear its overrides
//  and bump its generation. Sets *ret_generation (when not NULL).
int wrp_state_load (wrp_state_t *self, const char *name, const char *file,
                    uint64_t *ret_generation, char **ret_err);

//  Read pipeline name's overrides into params (source conf; params may be
//  NULL) and its generation (0 when never loaded). A corrupt file is an
//  error naming it.
int wrp_state_conf_read (wrp_state_t *self, const char *name, wrp_params_t *params,
                         uint64_t *ret_generation, char **ret_err);

//  Validate count key=value pairs; when every one is good, merge them into
//  pipeline name's overrides, bump its generation and write. On any error
//  nothing is written. *ret_err names the first bad pair.
int wrp_state_conf_set (wrp_state_t *self, const char *name, const char *const *keys,
                        const char *const *values, size_t count, uint64_t *ret_generation,
                        char **ret_err);

//  The readers behind the two files: data (size bytes) is the text of the
//  file at path (named in errors). wrp_state_current and
//  wrp_state_conf_read read the file and call these; the fuzzer calls them
//  directly. Same results as those.
int wrp_state_parse_current (const char *data, size_t size, const char *path,
                             char **ret_name, char **ret_file, char **ret_err);
int wrp_state_parse_conf (const char *data, size_t size, const char *path,
                          wrp_params_t *params, uint64_t *ret_generation, char **ret_err);

//  The cluster's hostfile set by `hostfile set` (caller frees), *ret_path
//  NULL when none was set. -1 and *ret_err when the state file is corrupt.
int wrp_state_cluster (wrp_state_t *self, char **ret_path, char **ret_err);

//  Remember hostfile (an absolute path) as the cluster's hostfile.
int wrp_state_set_cluster (wrp_state_t *self, const char *hostfile, char **ret_err);

void wrp_state_test (bool verbose);

#endif
