/*  wrp_agent_config — the agent's configuration: defaults, the YAML file
    (default /etc/wrp/agentd.yaml), and command-line overrides.

    The file is one YAML mapping of scalar keys. Unknown keys, duplicates,
    wrong types and YAML syntax errors are refused with FILE:LINE. Flags
    are applied after the file through wrp_agent_config_set; the binaries
    (start_binary, stop_binary) and the runtime's environment (env, a
    mapping of NAME: value) can only come from the file.                      */

#ifndef WRP_AGENT_CONFIG_H_INCLUDED
#define WRP_AGENT_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define WRP_AGENT_CONFIG_DEFAULT  "/etc/wrp/agentd.yaml"
#define WRP_AGENT_CONFIG_MAX_FILE (1u << 20)    //  config file size limit

typedef struct {
    char *endpoint;           //  ZeroMQ endpoint the ROUTER binds (WRP_DEFAULT_ENDPOINT)
    char *state_dir;          //  records, pushed configs, logs (WRP_DEFAULT_STATE_DIR)
    char *shm_dir;            //  where chi_* segments live (/dev/shm)
    char *node_name;          //  name reported in every reply (hostname)
    char *key;                //  own certificate file (NULL: transport default)
    char *authorized_keys;    //  directory of controller public keys (NULL: default)
    bool insecure;            //  plain TCP, no CURVE
    char *log_level;          //  error | warning | info | debug
    char *start_binary;       //  name on PATH or absolute path
    char *stop_binary;        //  name on PATH or absolute path
    int start_timeout_ms;     //  default bound on START (readiness)
    int stop_timeout_ms;      //  bound on each escalation step of STOP/KILL
    char *runtime_address;    //  IPv4 address the readiness probe connects to
    char *user;               //  USER given to the runtime (agent's user)
    char **env;               //  file's env: "NAME=value"..., NULL-terminated;
                              //  NULL: the runtime inherits the agent's environment
    char *file;               //  the config file read (or looked for)
} wrp_agent_config_t;

//  A config holding the defaults. Caller owns.
wrp_agent_config_t *wrp_agent_config_new (void);

//  Destroy; accepts NULL, nulls the caller's pointer.
void wrp_agent_config_destroy (wrp_agent_config_t **self_p);

//  Read and apply the file at path. A missing file is fine when required
//  is false. Returns 0, or -1 and a message "FILE:LINE: ..." (caller frees);
//  on error self is unchanged.
int wrp_agent_config_load (wrp_agent_config_t *self, const char *path, bool required,
                           char **ret_err);

//  Apply YAML text (name is used in messages). Same contract as load.
int wrp_agent_config_parse (wrp_agent_config_t *self, const char *name, const void *data,
                            size_t size, char **ret_err);

//  Set one key from a string (as a flag would). from_file allows the keys
//  only a file may set. Returns 0, or -1 and a message (caller frees).
int wrp_agent_config_set (wrp_agent_config_t *self, const char *key, const char *value,
                          bool from_file, char **ret_err);

//  Fill what depends on the machine (node name, user). Returns 0 or -1 and
//  a message (caller frees).
int wrp_agent_config_finish (wrp_agent_config_t *self, char **ret_err);

void wrp_agent_config_test (bool verbose);

#endif
