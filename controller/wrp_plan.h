/*  wrp_plan — everything a lifecycle verb needs, resolved from the command
    line, the current (or -p) pipeline, `pkg conf` overrides and the
    hostfile: the seam between the CLI (main.c) and the fan-out
    (wrp_lifecycle, wrp_monitor). Built by wrp_plan_new; owned by main.       */

#ifndef WRP_PLAN_H_INCLUDED
#define WRP_PLAN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wrp_params.h"
#include "wrp_transport.h"

typedef enum {
    WRP_FORMAT_TABLE = 0,
    WRP_FORMAT_JSON,
    WRP_FORMAT_PROMETHEUS,
} wrp_format_t;

typedef struct {
    char *name;                  //  host name or IPv4 address, as expanded
    int port;                    //  agent port (host:port, else --port, else 5560)
} wrp_plan_host_t;

typedef struct {
    char *pipeline;              //  pipeline name
    char *pipeline_file;         //  the YAML it came from (NULL for none)
    wrp_params_t *params;        //  resolved: default < pipeline < pkg conf
    wrp_plan_host_t *hosts;      //  agents to drive, in hostfile order
    size_t host_count;
    char *runtime_hostfile;      //  pushed to every node: one host per line, no ports
    uint64_t generation;         //  config generation from the controller state
    char **forward_env;          //  "NAME=value" for the runtime (no LD_PRELOAD)
    size_t forward_env_count;
    int timeout_ms;              //  --timeout, else the timeout parameter * 1000
    wrp_format_t format;         //  --format / --json
    bool color;                  //  colour output (stdout is a TTY, no NO_COLOR)
    wrp_security_t security;     //  --insecure, --key
    char *agent_key_file;        //  --agent-key (public cert of the agents)
    char *write_json;            //  monitor --write-json FILE (NULL: none)
    char *textfile_dir;          //  monitor --textfile DIR (NULL: none)
} wrp_plan_t;

void wrp_plan_destroy (wrp_plan_t **self_p);

#endif
