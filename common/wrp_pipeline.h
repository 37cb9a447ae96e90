/*  wrp_pipeline — a Jarvis-style pipeline YAML (CONTRACT §5).

        name: iowarp_basic_runtime        # default: the file's stem
        hostfile: hosts                   # optional; relative to the file
        env: [CUDA_VISIBLE_DEVICES]       # optional: extra variables to forward
        pkgs:
          - pkg_type: jarvis_wrp_runtime.wrp_runtime   # or wrp_runtime
            pkg_name: runtime                          # default "runtime"
            low_latency_workers: 8                     # any parameter of §2

    Every value is checked against the parameter table on load; every error
    is "FILE:LINE: what", naming the key.                                     */

#ifndef WRP_PIPELINE_H_INCLUDED
#define WRP_PIPELINE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "wrp_params.h"

#define WRP_PIPELINE_MAX_BYTES (1024 * 1024)    //  largest pipeline file
#define WRP_PIPELINE_MAX_ENV   64               //  most `env` names

typedef struct _wrp_pipeline_t wrp_pipeline_t;

//  Read the pipeline at path. A relative hostfile is resolved against the
//  file's directory. Returns NULL and *ret_err (caller frees) on any error.
wrp_pipeline_t *wrp_pipeline_load (const char *path, char **ret_err);

//  Parse a pipeline held in memory (size bytes); name stands for the file in
//  messages and gives the default pipeline name (its stem). A relative
//  hostfile stays as written.
wrp_pipeline_t *wrp_pipeline_parse (const char *data, size_t size, const char *name,
                                    char **ret_err);

void wrp_pipeline_destroy (wrp_pipeline_t **self_p);

//  The pipeline's name (`name:`, else the file's stem).
const char *wrp_pipeline_name (const wrp_pipeline_t *self);

//  The runtime package's pkg_name.
const char *wrp_pipeline_pkg_name (const wrp_pipeline_t *self);

//  Parameters: defaults, overridden by the pipeline's values (source
//  pipeline); the top-level or package `hostfile` lands in "hostfile".
//  Borrowed.
const wrp_params_t *wrp_pipeline_params (const wrp_pipeline_t *self);

//  Extra variable names to forward to the runtime (`env:`), in order.
size_t wrp_pipeline_env_count (const wrp_pipeline_t *self);
const char *wrp_pipeline_env (const wrp_pipeline_t *self, size_t index);

void wrp_pipeline_test (bool verbose);

#endif
