/*  wrp-agentd — the wrp node agent: supervises the IOWarp (Chimaera) runtime
    on this node and answers the controller's lifecycle commands.

    wrp-agentd [-c FILE] [--endpoint EP] [--state-dir DIR] [--shm-dir DIR]
               [--node-name NAME] [--key FILE] [--authorized-keys DIR]
               [--insecure] [--check-config] [-v] [-h] [--version]

    Runs in the foreground (systemd Type=notify), logs to stderr.             */

#include "wrp_agent.h"
#include "wrp_agent_config.h"
#include "wrp_log.h"
#include "wrp_proto.h"
#include "wrp_str.h"
#include "wrp_version.h"

#include <getopt.h>
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
             "      --endpoint EP        ZeroMQ endpoint to bind "
             "(default " WRP_DEFAULT_ENDPOINT ")\n"
             "      --state-dir DIR      records, pushed configs, runtime logs "
             "(default " WRP_DEFAULT_STATE_DIR ")\n"
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
    {"endpoint", "endpoint"}, {"state-dir", "state_dir"},
    {"shm-dir", "shm_dir"},   {"node-name", "node_name"},
    {"key", "key"},           {"authorized-keys", "authorized_keys"},
};
#define S_FLAGS     (sizeof s_flags / sizeof s_flags[0])
#define S_OPT_CHECK 256    //  --check-config
#define S_OPT_INSEC 257    //  --insecure
#define S_OPT_VERS  259    //  --version
#define S_OPT_FLAG  260    //  S_OPT_FLAG + i: s_flags[i]

//  What the command line asks for.
typedef struct {
    const char *config_file;          //  -c FILE, NULL: the default
    bool check, verbose, insecure;    //  --check-config, -v, --insecure
    const char *values[S_FLAGS];      //  value of each s_flags entry, NULL when not given
} s_args_t;

//  Parses argv. Returns 0, 1 (bad usage, said on stderr) or 2 (help or version given).
static int
s_parse_args (int argc, char **argv, s_args_t *args)
{
    struct option options[S_FLAGS + 7] = {
        {"config", required_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"check-config", no_argument, NULL, S_OPT_CHECK},
        {"insecure", no_argument, NULL, S_OPT_INSEC},
        {"version", no_argument, NULL, S_OPT_VERS},
    };
    for (size_t f = 0; f < S_FLAGS; f++)
        options[6 + f] = (struct option){s_flags[f].flag, required_argument, NULL,
                                         S_OPT_FLAG + (int) f};
    opterr = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, ":c:vh", options, NULL)) != -1) {
        if (opt == 'c')
            args->config_file = optarg;
        else if (opt == 'v')
            args->verbose = true;
        else if (opt == 'h') {
            s_usage (stdout);
            return 2;
        } else if (opt == S_OPT_VERS) {
            printf ("wrp-agentd %s\n", WRP_VERSION);
            return 2;
        } else if (opt == S_OPT_CHECK)
            args->check = true;
        else if (opt == S_OPT_INSEC)
            args->insecure = true;
        else if (opt >= S_OPT_FLAG)
            args->values[opt - S_OPT_FLAG] = optarg;
        else {
            fprintf (stderr,
                     opt == ':' ? "wrp-agentd: option '%s' needs a value\n"
                                : "wrp-agentd: unknown option '%s' (see --help)\n",
                     argv[optind - 1]);
            return 1;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "wrp-agentd: unexpected argument '%s' (see --help)\n",
                 argv[optind]);
        return 1;
    }
    return 0;
}

//  Loads the config file and applies the flags. Returns the config, or
//  NULL and *ret_err (caller frees).
static wrp_agent_config_t *
s_load_config (const s_args_t *args, char **ret_err)
{
    wrp_agent_config_t *config = wrp_agent_config_new ();
    if (!config) {
        *ret_err = wrp_strf ("out of memory");
        return NULL;
    }
    const char *file = args->config_file ? args->config_file : WRP_AGENT_CONFIG_DEFAULT;
    int rc = wrp_agent_config_load (config, file, args->config_file != NULL, ret_err);
    for (size_t f = 0; rc == 0 && f < S_FLAGS; f++) {
        char *err = NULL;
        if (args->values[f] &&
            wrp_agent_config_set (config, s_flags[f].key, args->values[f], false, &err)) {
            *ret_err = wrp_strf ("--%s: %s", s_flags[f].flag, err ? err : "bad value");
            free (err);
            rc = -1;
        }
    }
    if (rc == 0 && args->insecure)
        config->insecure = true;
    if (rc == 0)
        rc = wrp_agent_config_finish (config, ret_err);
    if (rc)
        wrp_agent_config_destroy (&config);
    return config;
}

int
main (int argc, char **argv)
{
    wrp_log_init ("wrp-agentd", WRP_LOG_INFO);
    wrp_log_timestamps (true);
    s_args_t args = {0};
    int rc = s_parse_args (argc, argv, &args);
    if (rc)
        return rc == 2 ? 0 : 1;
    char *err = NULL;
    wrp_agent_config_t *config = s_load_config (&args, &err);
    if (!config) {
        fprintf (stderr, "wrp-agentd: %s\n", err ? err : "out of memory");
        free (err);
        return 1;
    }
    if (args.check) {
        printf ("wrp-agentd: %s: config is valid\n",
                args.config_file ? args.config_file : WRP_AGENT_CONFIG_DEFAULT);
        wrp_agent_config_destroy (&config);
        return 0;
    }
    wrp_log_level_t level = WRP_LOG_INFO;
    wrp_log_level_parse (config->log_level, &level);
    wrp_log_set_level (args.verbose ? WRP_LOG_DEBUG : level);

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
