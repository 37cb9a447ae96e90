/*  wrp_chiconf — the runtime's chimaera_config.yaml (CONTRACT §3).

    Generated from a resolved parameter set, written with libyaml's emitter,
    deterministic (same inputs, same bytes). It carries both layouts: the
    seed's (workers, network, performance) and the current runtime's
    (memory, networking, logging, runtime), which ignores the sections it
    does not know. Integers are plain untagged YAML ints (sizes in bytes);
    strings a YAML 1.1 reader could take for something else are quoted.       */

#ifndef WRP_CHICONF_H_INCLUDED
#define WRP_CHICONF_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "wrp_params.h"

//  Generate the config text for params. hostfile_path is the runtime's
//  hostfile on the node (networking.hostfile; NULL: omitted, the runtime
//  then binds 127.0.0.1 as node 0). log_file is logging.file (NULL:
//  omitted; the runtime ignores the logging section anyway and the agent
//  captures its output). Returns the text (NUL-terminated, caller frees)
//  and its length in *ret_size (when not NULL), or NULL and *ret_err.
char *wrp_chiconf_generate (const wrp_params_t *params, const char *hostfile_path,
                            const char *log_file, size_t *ret_size, char **ret_err);

void wrp_chiconf_test (bool verbose);

#endif
