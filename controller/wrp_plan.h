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
#include "wrp_pipeline.h"
#include "wrp_transport.h"

typedef enum {
    WRP_FORMAT_TABLE = 0,
    WRP_FORMAT_JSON,
    WRP_FORMAT_PROMETHEUS,
} wrp_format_t;

typedef struct {
    char *name;    //  host name or IPv4 address, as expanded
    int port;      //  agent port (host:port, else --port, else WRP_DEFAULT_PORT)
} wrp_plan_host_t;

typedef struct {
    char *pipeline;            //  pipeline name (NULL: none loaded; only
                               //  stop, kill, clean, status, monitor allow it)
    char *pipeline_file;       //  the YAML it came from (NULL for none)
    wrp_params_t *params;      //  resolved: default < pipeline < pkg conf
    wrp_plan_host_t *hosts;    //  agents to drive, in hostfile order
    size_t host_count;
    char *runtime_hostfile;    //  pushed to every node: one host per line, no ports
    uint64_t generation;       //  config generation from the controller state
    char **forward_env;        //  "NAME=value" for the runtime (no LD_PRELOAD)
    size_t forward_env_count;
    int timeout_ms;             //  --timeout, else the timeout parameter * 1000
    wrp_format_t format;        //  --format / --json
    bool color;                 //  colour output (stdout is a TTY, no NO_COLOR)
    wrp_security_t security;    //  --insecure, --key
    char *agent_key_file;       //  --agent-key (public cert of the agents)
    char *write_json;           //  monitor --write-json FILE (NULL: none)
    char *textfile_dir;         //  monitor --textfile DIR (NULL: none)
    char *listen;               //  monitor --listen ADDR:PORT (NULL: no HTTP)
    char *tls_cert;             //  monitor --tls-cert FILE (NULL: plain HTTP)
    char *tls_key;              //  monitor --tls-key FILE
    char *http_auth;            //  monitor --http-auth FILE (NULL: none)
    int interval_ms;            //  monitor --interval (0: heartbeat_interval)
    char *pkg_name;             //  the pipeline's runtime package name
    char *hostfile;             //  the hostfile used (NULL: none, localhost)
    char *key_file;             //  storage behind security.key_file
    bool current;               //  the pipeline is the current (loaded) one
    //  Set by the CLI after wrp_plan_new (borrowed from argv):
    const char *expect;    //  status --expect STATE: exit 3 unless every node is
                           //  in STATE and none is stale (NULL: no such check)
    bool summary;          //  --summary: per-state folded host lists
    bool quiet;            //  -q: only the nodes needing the eye
    bool no_header;        //  --no-header
} wrp_plan_t;

//  What the command line asks for; zero means "not given".
typedef struct {
    const char *pipeline;          //  -p NAME|FILE (NULL: the current pipeline)
    bool need_pipeline;            //  error when there is no pipeline (start, config)
    const char *hostfile;          //  -H FILE|HOSTLIST|- (the cluster, for one command)
    int agent_port;                //  --port (0: WRP_DEFAULT_PORT)
    int timeout_ms;                //  --timeout (0: the timeout parameter)
    wrp_format_t format;           //  --format / --json
    const char *key_file;          //  --key (NULL: WRP_CONTROLLER_KEY_DEFAULT)
    const char *agent_key_file;    //  --agent-key (NULL: WRP_AGENT_PUBKEY_DEFAULT)
    bool insecure;                 //  --insecure
    const char *write_json;        //  monitor --write-json FILE
    const char *textfile_dir;      //  monitor --textfile DIR
    const char *listen;            //  monitor --listen ADDR:PORT
    const char *tls_cert;          //  monitor --tls-cert FILE
    const char *tls_key;           //  monitor --tls-key FILE
    const char *http_auth;         //  monitor --http-auth FILE
    int interval_ms;               //  monitor --interval
    const char *home;              //  state dir (NULL: $WRP_HOME, else ~/.wrp)
} wrp_plan_options_t;

//  Resolve everything a verb needs: the pipeline (-p, else the current one)
//  re-read and re-checked from its file, its `pkg conf` overrides and
//  generation, the hostfile (-H, else the hostfile parameter, else the
//  cluster's hostfile of `hostfile set`, else localhost) expanded, the variables to
//  forward, security and output options. Writes nothing. Returns NULL and *ret_err
//  (caller frees) naming what is wrong (file:line where there is one).
wrp_plan_t *wrp_plan_new (const wrp_plan_options_t *options, char **ret_err);

//  Just the pipeline of options (-p, else the current one), re-read from
//  its file; *ret_current tells whether it is the current one. Returns NULL
//  with *ret_err NULL when none is loaded and options->need_pipeline is
//  false; NULL and *ret_err on an error. Caller destroys.
wrp_pipeline_t *wrp_plan_pipeline (const wrp_plan_options_t *options, bool *ret_current,
                                   char **ret_err);

//  Destroy a plan; NULL-safe, nulls the caller's pointer.
void wrp_plan_destroy (wrp_plan_t **self_p);

//  The controller's end of the control channel for this plan (keys loaded;
//  a loud warning when --insecure). Logs why and returns NULL on failure.
wrp_transport_t *wrp_plan_transport (const wrp_plan_t *self);

//  The chimaera_config.yaml for the nodes whose agent keeps its files in
//  state_dir (the pushed hostfile and the runtime log are named by their
//  place in it, proto/wrp_proto.h). With hosts known it ends in a comment
//  naming the cluster's membership (host count, SHA-256 of the expanded
//  hostfile), so that the membership is part of the config's hash.
//  Returns the text (caller frees) and *ret_size, or NULL and *ret_err.
char *wrp_plan_config (const wrp_plan_t *self, const char *state_dir, size_t *ret_size,
                       char **ret_err);

//  The variables forwarded to the runtime from the controller's environment
//  whatever the pipeline says (when set).
#define WRP_PLAN_FORWARD_ALWAYS                                                          \
    {                                                                                    \
        "PATH", "LD_LIBRARY_PATH", "CHI_REPO_PATH"                                       \
    }

void wrp_plan_test (bool verbose);

#endif
