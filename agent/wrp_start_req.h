/*  wrp_start_req — a START request, checked.

    Turns a decoded START message into a wrp_start_req_t: every field
    PROTOCOL.md gives a START, its bounds, and the name policy of
    common/wrp_names (the pipeline name, each env.NAME). Pure: no I/O.       */

#ifndef WRP_START_REQ_H_INCLUDED
#define WRP_START_REQ_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "wrp_msg.h"
#include "wrp_proto.h"

//  A validated START request; strings are borrowed from the message.
typedef struct {
    const char *pipeline;    //  a pipeline name (wrp_names_check_pipeline)
    int64_t generation;      //  >= 0
    const void *config;      //  chimaera_config.yaml bytes
    size_t config_size;
    const void *hostfile;    //  runtime hostfile bytes, NULL when absent
    size_t hostfile_size;
    int port;                              //  the runtime's port
    int timeout_ms;                        //  bound on the start, 0: the agent's default
    const char *env_name[WRP_ENV_MAX];     //  forwarded names
    const char *env_value[WRP_ENV_MAX];    //  and values
    size_t env_count;                      //  forwarded variables
} wrp_start_req_t;

//  Check a START message and fill *ret_req (borrowing from msg). Returns 0,
//  or -1 with *ret_code (WRP_ERR_BAD_REQUEST: malformed, WRP_ERR_REFUSED:
//  policy) and a one-line reason in *ret_err (caller frees).
int wrp_start_req_parse (const wrp_msg_t *msg, wrp_start_req_t *ret_req,
                         const char **ret_code, char **ret_err);

void wrp_start_req_test (bool verbose);

#endif
