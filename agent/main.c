/*  wrp-agentd — the wrp node agent: supervises the IOWarp (Chimaera) runtime
    on this node and answers the controller's lifecycle commands.

    wrp-agentd [-c FILE] [--endpoint EP] [--state-dir DIR] [--shm-dir DIR]
               [--node-name NAME] [--key FILE] [--authorized-keys DIR]
               [--insecure] [--check-config] [-v] [-h] [--version]

    Runs in the foreground (systemd Type=notify), logs to stderr.             */

#include "wrp_agent.h"
#include "wrp_agent_config.h"
#include "wrp_log.h"
#include "wrp_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: wrp-agentd [options]\n"
             "  -c, --config FILE        agent config (default " WRP_AGENT_CONFIG_DEFAULT
             ")\n"
             "      --endpoint EP        ZeroMQ endpoint to bind (default tcp://*:5560)\n"
             "      --state-dir DIR      records, pushed configs, runtime logs (default "
             "/var/lib/wrp)\n"
             "      --shm-dir DIR        where the runtime's chi_* segments live "
             "(default /dev/shm)\n"
             "      --node-name NAME     name reported to the controller (default: host "
             "name)\n"
             "      --key FILE           agent certificate: FILE and FILE_secret\n"
             "      --authorized-keys DIR  controller public keys accepted\n"
             "      --insecure           plain TCP, no CURVE (loopback tests only)\n"
             "      --check-config       validate the config and exit (0 good, 1 bad)\n"
             "  -v, --verbose            debug logging\n"
             "  -h, --help               this help\n"
             "      --version            print the version and exit\n");
}

//  Flags that take a value, and the config key each one sets.
static const struct {
    const char *flag;    //  long option
    const char *key;     //  config key
} s_flags[] = {
    {"--endpoint", "endpoint"}, {"--state-dir", "state_dir"},
    {"--shm-dir", "shm_dir"},   {"--node-name", "node_name"},
    {"--key", "key"},           {"--authorized-keys", "authorized_keys"},
};

int
main (int argc, char **argv)
{
    wrp_log_init ("wrp-agentd", WRP_LOG_INFO);
    wrp_log_timestamps (true);
    const char *config_file = NULL;
    bool check = false, verbose = false, insecure = false;
    const char *values[sizeof s_flags / sizeof s_flags[0]] = {NULL};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp (arg, "-h") || !strcmp (arg, "--help")) {
            s_usage (stdout);
            return 0;
        }
        if (!strcmp (arg, "--version")) {
            printf ("wrp-agentd %s\n", WRP_VERSION);
            return 0;
        }
        if (!strcmp (arg, "-v") || !strcmp (arg, "--verbose")) {
            verbose = true;
            continue;
        }
        if (!strcmp (arg, "--insecure")) {
            insecure = true;
            continue;
        }
        if (!strcmp (arg, "--check-config")) {
            check = true;
            continue;
        }
        //  --flag=value and --flag value.
        const char *eq = strchr (arg, '=');
        size_t name_len = eq ? (size_t) (eq - arg) : strlen (arg);
        bool is_config = (name_len == 2 && !strncmp (arg, "-c", 2)) ||
                         (name_len == 8 && !strncmp (arg, "--config", 8));
        size_t which = sizeof s_flags / sizeof s_flags[0];
        for (size_t f = 0; f < sizeof s_flags / sizeof s_flags[0]; f++)
            if (strlen (s_flags[f].flag) == name_len &&
                !strncmp (arg, s_flags[f].flag, name_len))
                which = f;
        if (!is_config && which == sizeof s_flags / sizeof s_flags[0]) {
            fprintf (stderr, "wrp-agentd: unknown option '%s' (see --help)\n", arg);
            return 1;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) {
            fprintf (stderr, "wrp-agentd: option '%s' needs a value\n", arg);
            return 1;
        }
        if (is_config)
            config_file = value;
        else
            values[which] = value;
    }

    wrp_agent_config_t *config = wrp_agent_config_new ();
    char *err = NULL;
    int rc = config ? 0 : -1;
    if (rc == 0)
        rc = wrp_agent_config_load (config,
                                    config_file ? config_file : WRP_AGENT_CONFIG_DEFAULT,
                                    config_file != NULL, &err);
    for (size_t f = 0; rc == 0 && f < sizeof s_flags / sizeof s_flags[0]; f++)
        if (values[f] &&
            wrp_agent_config_set (config, s_flags[f].key, values[f], false, &err)) {
            char *full = NULL;
            if (asprintf (&full, "%s: %s", s_flags[f].flag, err) < 0)
                full = NULL;
            free (err);
            err = full;
            rc = -1;
        }
    if (rc == 0 && insecure)
        config->insecure = true;
    if (rc == 0)
        rc = wrp_agent_config_finish (config, &err);
    if (rc) {
        fprintf (stderr, "wrp-agentd: %s\n", err ? err : "out of memory");
        free (err);
        wrp_agent_config_destroy (&config);
        return 1;
    }
    if (check) {
        printf ("wrp-agentd: %s: config is valid\n",
                config_file ? config_file : WRP_AGENT_CONFIG_DEFAULT);
        wrp_agent_config_destroy (&config);
        return 0;
    }
    wrp_log_level_t level = WRP_LOG_INFO;
    wrp_log_level_parse (config->log_level, &level);
    wrp_log_set_level (verbose ? WRP_LOG_DEBUG : level);

    wrp_agent_t *agent = wrp_agent_new (config, &err);
    if (!agent) {
        wrp_error ("%s", err ? err : "cannot start");
        free (err);
        wrp_agent_config_destroy (&config);
        return 1;
    }
    rc = wrp_agent_run (agent);
    wrp_agent_destroy (&agent);
    wrp_agent_config_destroy (&config);
    return rc;
}
