/*  wrp_ctlconf — wrp-controller's settings files: /etc/wrp/controller.yaml,
    then $XDG_CONFIG_HOME/wrp/controller.yaml (default ~/.config/wrp/...);
    a later file wins, and a flag wins over both.

        port: 5560                      # --port
        key: ~/.config/wrp/controller.key   # --key
        agent_key: /etc/wrp/agent.key   # --agent-key
        insecure: false                 # --insecure
        pipeline: basic_runtime         # -p
        format: table                   # --format
        timeout: 30s                    # --timeout

    A setting is the long option it stands for; its value is checked as the
    flag's would be, and a bad one is an error naming FILE:LINE.            */

#ifndef WRP_CTLCONF_H_INCLUDED
#define WRP_CTLCONF_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define WRP_CTLCONF_SYSTEM "/etc/wrp/controller.yaml"

//  One setting: the long option, its value and where it was read.
typedef struct {
    const char *option;    //  "port", "agent-key", ...
    char *value;           //  its text ("true"/"false" for insecure)
    char *where;           //  "FILE:LINE"
} wrp_ctlconf_entry_t;

typedef struct _wrp_ctlconf_t wrp_ctlconf_t;

//  Read the settings files (missing files are fine). system is the system
//  file (NULL: WRP_CTLCONF_SYSTEM). Returns NULL and *ret_err naming
//  FILE:LINE on a bad file.
wrp_ctlconf_t *wrp_ctlconf_load (const char *system, char **ret_err);

void wrp_ctlconf_destroy (wrp_ctlconf_t **self_p);

//  The setting for a long option, the last file's; NULL when unset.
const wrp_ctlconf_entry_t *wrp_ctlconf_get (const wrp_ctlconf_t *self,
                                            const char *option);

void wrp_ctlconf_test (bool verbose);

#endif
