/*  wrp_cli — wrp-controller's command line. See wrp_cli.h.                  */

#include "wrp_cli.h"
#include "wrp_commands.h"
#include "wrp_ctlconf.h"
#include "wrp_duration.h"
#include "wrp_index.h"
#include "wrp_log.h"
#include "wrp_proto.h"
#include "wrp_str.h"

#include <assert.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LIFECYCLE_HELP                                                                 \
    "Sends the command to the agent of every host at once and prints one row per "       \
    "host.\n"                                                                            \
    "The cluster: -H FILE|HOSTLIST for this command, else the pipeline's hostfile,\n"    \
    "else `hostfile set`, else localhost. -w/-x HOSTLIST act on some members only\n"     \
    "(pdsh/clush syntax: node[01-10],gpu[1-4]); the membership the runtimes are told\n"  \
    "stays the whole cluster. Agents listen on --port (default 5560) unless the\n"       \
    "hostfile says host:port. Exit 0 when every node did it, 2 when some node failed\n"  \
    "or did not answer (the others were carried out)."

#define S_FMT(f) (1u << (f))
#define S_ALL_FMTS                                                                       \
    (S_FMT (WRP_FORMAT_TABLE) | S_FMT (WRP_FORMAT_JSON) | S_FMT (WRP_FORMAT_PROMETHEUS))
#define S_TABLE_JSON (S_FMT (WRP_FORMAT_TABLE) | S_FMT (WRP_FORMAT_JSON))
#define S_TABLE      S_FMT (WRP_FORMAT_TABLE)
#define S_LIFE_OPTS                                                                      \
    (WRP_OPTS_PIPELINE | WRP_OPTS_HOSTS | WRP_OPTS_TARGET | WRP_OPTS_NET |               \
     WRP_OPTS_TABLE | WRP_OPTS_FORMAT)

//  Where and how to reach the agents: every verb accepts these (and one
//  that does not need them ignores them), so that one alias such as
//  `wrp-controller -H hosts --insecure` serves every verb.
#define S_TOLERATED (WRP_OPTS_PIPELINE | WRP_OPTS_HOSTS | WRP_OPTS_NET)

static const wrp_verb_t s_verbs[] = {
    {"ppl load", "NAME|FILE", 1, 1, "make a pipeline the current one",
     "Reads and checks the pipeline (a file path, or NAME.yaml on the index path:\n"
     "$WRP_PIPELINE_PATH, then " WRP_DATADIR "/pipelines), makes it current, clears\n"
     "its `pkg conf` overrides and bumps its config generation.",
     wrp_commands_ppl_load, NULL, 0, S_TABLE},
    {"ppl index load", "REPO.NAME|NAME|FILE", 1, 1,
     "same as `ppl load` (Jarvis spelling)", NULL, wrp_commands_ppl_load, "ppl load", 0,
     S_TABLE},
    {"ppl index list", "[REPO]", 0, 1, "pipelines found on the index path",
     "Lists NAME and file of every *.yaml on $WRP_PIPELINE_PATH (colon-separated), "
     "then\nthe shipped pipelines. A name found earlier on the path shadows later ones.\n"
     "REPO (a directory's name, or jarvis_wrp_runtime for the shipped ones) narrows\n"
     "the list; `ppl index load REPO.NAME` loads one of them.",
     wrp_commands_ppl_list, NULL, WRP_OPTS_FORMAT, S_TABLE_JSON},
    {"ppl show", "", 0, 0, "current pipeline: hosts, every parameter and its source",
     "Shows the pipeline (current, or -p NAME|FILE), its hosts, the forwarded\n"
     "variables and every runtime parameter with its value and where it came from:\n"
     "default, pipeline (the YAML) or conf (`pkg conf`). --json prints one document.",
     wrp_commands_ppl_show, NULL, WRP_OPTS_PIPELINE | WRP_OPTS_HOSTS | WRP_OPTS_FORMAT,
     S_TABLE_JSON},
    {"pkg conf", "PKG KEY=VALUE...", 2, -1,
     "set runtime parameters of the current pipeline",
     "Checks every KEY=VALUE against the parameter table (`wrp-controller params`);\n"
     "when all are good, stores them as overrides of the pipeline's package PKG\n"
     "(its pkg_name, `runtime` in the shipped pipelines) and bumps the config\n"
     "generation. One bad pair changes nothing. Times take units (200ms, 30s).\n"
     "A relative hostfile is taken from the current directory.",
     wrp_commands_pkg_conf, NULL, WRP_OPTS_PIPELINE, S_TABLE},
    {"conf", "KEY=VALUE...", 1, -1, "same as `pkg conf PKG` for the runtime package",
     NULL, wrp_commands_conf, "pkg conf", WRP_OPTS_PIPELINE, S_TABLE},
    {"hostfile set", "FILE", 1, 1, "make FILE the cluster's hostfile (as in Jarvis)",
     "Checks FILE (a Jarvis hostfile), remembers it as the cluster's hostfile and,\n"
     "when a pipeline is loaded, sets its hostfile (a new config generation: nodes\n"
     "running the old membership show as stale). Every later command acts on it.",
     wrp_commands_hostfile_set, NULL, 0, S_TABLE},
    {"config", "", 0, 0, "print the chimaera_config.yaml that start would push",
     "Prints the generated runtime config for the current (or -p) pipeline with its\n"
     "overrides, as pushed to an agent with the default state "
     "dir " WRP_AGENT_STATE_DIR_DEFAULT ".",
     wrp_commands_config, NULL, WRP_OPTS_PIPELINE | WRP_OPTS_HOSTS, S_TABLE},
    {"params", "", 0, 0, "the table of runtime parameters (Markdown)",
     "Prints every runtime parameter: name, type, default, constraint and help.",
     wrp_commands_params, NULL, 0, S_TABLE},
    {"start", "", 0, 0, "push the config and start the runtime on every host",
     S_LIFECYCLE_HELP "\nReturns once every node is running, failed, or out of time\n"
                      "(--timeout, e.g. 2m; else the pipeline's timeout parameter).",
     wrp_commands_lifecycle, NULL, S_LIFE_OPTS, S_ALL_FMTS},
    {"stop", "", 0, 0, "stop the runtime on every host (returns when it is gone)",
     S_LIFECYCLE_HELP "\nThe agent splits --timeout in three: the stop binary, SIGTERM,\n"
                      "SIGKILL; below 1s it is refused.",
     wrp_commands_lifecycle, NULL, S_LIFE_OPTS, S_ALL_FMTS},
    {"kill", "", 0, 0, "SIGKILL the runtime on every host", S_LIFECYCLE_HELP,
     wrp_commands_lifecycle, NULL, S_LIFE_OPTS, S_ALL_FMTS},
    {"clean", "", 0, 0, "remove pushed config, logs and chi_* segments on every host",
     S_LIFECYCLE_HELP "\nRefused on a node whose runtime still runs.",
     wrp_commands_lifecycle, NULL, S_LIFE_OPTS, S_ALL_FMTS},
    {"status", "", 0, 0, "state of the runtime on every host",
     S_LIFECYCLE_HELP "\nA node whose runtime runs another config than start would push "
                      "now\n(pipeline, generation, parameters or membership) is marked "
                      "stale.\n--expect STATE exits 3 unless every node is in STATE "
                      "with the wanted\nconfig (as `systemctl is-active`). --summary "
                      "folds nodes by state into host\nlists (as sinfo).",
     wrp_commands_lifecycle, NULL, S_LIFE_OPTS | WRP_OPTS_EXPECT, S_ALL_FMTS},
    {"ppl start", "", 0, 0, "same as `start`", NULL, wrp_commands_lifecycle, "start",
     S_LIFE_OPTS, S_ALL_FMTS},
    {"ppl stop", "", 0, 0, "same as `stop`", NULL, wrp_commands_lifecycle, "stop",
     S_LIFE_OPTS, S_ALL_FMTS},
    {"ppl kill", "", 0, 0, "same as `kill`", NULL, wrp_commands_lifecycle, "kill",
     S_LIFE_OPTS, S_ALL_FMTS},
    {"ppl clean", "", 0, 0, "same as `clean`", NULL, wrp_commands_lifecycle, "clean",
     S_LIFE_OPTS, S_ALL_FMTS},
    {"ppl status", "", 0, 0, "same as `status`", NULL, wrp_commands_lifecycle, "status",
     S_LIFE_OPTS | WRP_OPTS_EXPECT, S_ALL_FMTS},
    {"monitor", "", 0, 0, "stay up, poll every agent, print each change of state",
     "Polls every agent every --interval (default: heartbeat_interval) and prints\n"
     "each change of state until interrupted. --write-json FILE keeps FILE updated\n"
     "with the status document; --textfile DIR writes DIR/wrp.prom for\n"
     "node_exporter. --listen ADDR:PORT (usually 127.0.0.1:9464) serves /metrics,\n"
     "/status.json, / (a status page) and /healthz from the last poll; with\n"
     "--tls-cert/--tls-key over HTTPS, with --http-auth FILE (user:password)\n"
     "behind basic authentication.",
     wrp_commands_monitor, NULL,
     WRP_OPTS_PIPELINE | WRP_OPTS_HOSTS | WRP_OPTS_TARGET | WRP_OPTS_NET |
         WRP_OPTS_MONITOR | WRP_OPTS_FORMAT,
     S_TABLE_JSON},
    {"keygen", "FILE", 1, 1, "make a CURVE key pair: FILE (public) and FILE_secret",
     "Writes a new key pair in czmq's zcert format: FILE (public, mode 0644: give it\n"
     "to the other side) and FILE_secret (mode 0600, readable by you only: keep it\n"
     "where the key's user reads it). Refuses to overwrite.",
     wrp_commands_keygen, NULL, 0, S_TABLE},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0},
};

//  Jarvis verbs with another name (or none) here.
static const char *const s_jarvis[][2] = {
    {"ppl run", "`wrp-controller start` (the runtime is a service: it stays up)"},
    {"ppl list", "`wrp-controller ppl index list`"},
    {"ppl create", "`wrp-controller ppl load FILE` with a pipeline YAML"},
    {"ppl append", "a pipeline YAML's pkgs list, then `ppl load FILE`"},
    {"ppl print", "`wrp-controller ppl show`"},
    {"ppl env", "the pipeline YAML's env list (PATH, LD_LIBRARY_PATH and CHI_REPO_PATH "
                "are always forwarded)"},
    {"ppl rm", "nothing: pipelines are files; `ppl load` another one"},
    {"ppl destroy", "`wrp-controller clean`"},
    {"pkg help", "`wrp-controller params`"},
    {"repo add", "WRP_PIPELINE_PATH=DIR (colon-separated), then `ppl index list`"},
    {"hostfile", "`wrp-controller hostfile set FILE`"},
    {"init", "nothing: state lives in $WRP_HOME (default ~/.wrp)"},
    {"rg build", "nothing: agents report their nodes"},
};

enum {
    S_OPT_PORT = 256,
    S_OPT_TIMEOUT,
    S_OPT_FORMAT,
    S_OPT_JSON,
    S_OPT_KEY,
    S_OPT_AGENT_KEY,
    S_OPT_INSECURE,
    S_OPT_WRITE_JSON,
    S_OPT_TEXTFILE,
    S_OPT_INTERVAL,
    S_OPT_LISTEN,
    S_OPT_TLS_CERT,
    S_OPT_TLS_KEY,
    S_OPT_HTTP_AUTH,
    S_OPT_SUMMARY,
    S_OPT_NO_HEADER,
    S_OPT_EXPECT,
};

//  Every option: getopt's entry, its group (0: every verb) and its help.
typedef struct {
    const char *name;     //  long name
    int has_arg;          //  getopt's
    int id;               //  short letter or S_OPT_*
    unsigned group;       //  WRP_OPTS_* (0: global)
    const char *usage;    //  left column
    const char *help;     //  right column
} s_option_t;

static const s_option_t s_options[] = {
    {"hostfile", required_argument, 'H', WRP_OPTS_HOSTS, "-H, --hostfile FILE|LIST",
     "the cluster for this command: a hostfile, - (stdin) or a host list"},
    {"port", required_argument, S_OPT_PORT, WRP_OPTS_HOSTS, "    --port N",
     "agent port (default 5560; host:port in a hostfile wins)"},
    {"target", required_argument, 'w', WRP_OPTS_TARGET, "-w, --target HOSTLIST",
     "act on these members only (node[01-10],gpu1; ^FILE)"},
    {"exclude", required_argument, 'x', WRP_OPTS_TARGET, "-x, --exclude HOSTLIST",
     "act on every member but these"},
    {"pipeline", required_argument, 'p', WRP_OPTS_PIPELINE, "-p, --pipeline NAME|FILE",
     "act on that pipeline without loading it"},
    {"timeout", required_argument, S_OPT_TIMEOUT, WRP_OPTS_NET, "    --timeout DURATION",
     "bound on the command: 500ms, 30s, 2m (bare: ms; default: timeout param)"},
    {"key", required_argument, S_OPT_KEY, WRP_OPTS_NET, "    --key FILE",
     "this controller's key pair (default " WRP_CONTROLLER_KEY_DEFAULT ")"},
    {"agent-key", required_argument, S_OPT_AGENT_KEY, WRP_OPTS_NET,
     "    --agent-key FILE",
     "the agents' public key (default " WRP_AGENT_PUBKEY_DEFAULT ")"},
    {"insecure", no_argument, S_OPT_INSECURE, WRP_OPTS_NET, "    --insecure",
     "plain TCP, no CURVE (the agents must run --insecure too)"},
    {"format", required_argument, S_OPT_FORMAT, WRP_OPTS_FORMAT, "    --format FMT",
     "the formats this verb gives (table is the default)"},
    {"json", no_argument, S_OPT_JSON, WRP_OPTS_FORMAT, "    --json",
     "same as --format json"},
    {"summary", no_argument, S_OPT_SUMMARY, WRP_OPTS_TABLE, "    --summary",
     "one line per state with its nodes folded (node[001-998])"},
    {"quiet", no_argument, 'q', WRP_OPTS_TABLE, "-q, --quiet",
     "only the nodes that need the eye (failing, down, stale)"},
    {"no-header", no_argument, S_OPT_NO_HEADER, WRP_OPTS_TABLE, "    --no-header",
     "no header line"},
    {"expect", required_argument, S_OPT_EXPECT, WRP_OPTS_EXPECT, "    --expect STATE",
     "exit 3 unless every node is STATE (e.g. running) with the wanted config"},
    {"write-json", required_argument, S_OPT_WRITE_JSON, WRP_OPTS_MONITOR,
     "    --write-json FILE", "keep FILE updated with the status document"},
    {"textfile", required_argument, S_OPT_TEXTFILE, WRP_OPTS_MONITOR,
     "    --textfile DIR", "keep DIR/wrp.prom updated (node_exporter)"},
    {"interval", required_argument, S_OPT_INTERVAL, WRP_OPTS_MONITOR,
     "    --interval DURATION",
     "poll period: 500ms, 2s (bare: ms; default heartbeat_interval)"},
    {"listen", required_argument, S_OPT_LISTEN, WRP_OPTS_MONITOR,
     "    --listen ADDR:PORT",
     "serve /metrics, /status.json, / and /healthz (e.g. 127.0.0.1:9464)"},
    {"tls-cert", required_argument, S_OPT_TLS_CERT, WRP_OPTS_MONITOR,
     "    --tls-cert FILE", "--listen over HTTPS: PEM certificate (with --tls-key)"},
    {"tls-key", required_argument, S_OPT_TLS_KEY, WRP_OPTS_MONITOR, "    --tls-key FILE",
     "--listen over HTTPS: PEM key"},
    {"http-auth", required_argument, S_OPT_HTTP_AUTH, WRP_OPTS_MONITOR,
     "    --http-auth FILE", "--listen: basic authentication, FILE holds user:password"},
    {"verbose", no_argument, 'v', 0, "-v, --verbose", "more log output (twice: debug)"},
    {"help", no_argument, 'h', 0, "-h, --help",
     "this help; `wrp-controller VERB --help` for one verb"},
};
#define S_OPTIONS (sizeof s_options / sizeof s_options[0])

static const char *const s_format_names[] = {"table", "json", "prometheus"};

static const char s_env_help[] =
    "Settings: " WRP_CTLCONF_SYSTEM ", then $XDG_CONFIG_HOME/wrp/controller.yaml\n"
    "(port, key, agent_key, insecure, pipeline, format, timeout); flags win.\n"
    "Environment: WRP_HOME (state, default ~/.wrp), WRP_PIPELINE_PATH (index path),\n"
    "NO_COLOR. Exit codes: 0 done, 1 bad input or usage (nothing sent), 2 some node\n"
    "failed or did not answer, 3 status --expect: some node is not as expected.\n";

//  The settings files, read once (kept for the process: cli borrows them).
static wrp_ctlconf_t *s_settings;

//  The options of the groups in mask (global ones always), one a line.
static void
s_options_usage (FILE *file, unsigned mask, bool all)
{
    fprintf (file, "Options:\n");
    for (size_t i = 0; i < S_OPTIONS; i++)
        if (all || !s_options[i].group || (s_options[i].group & mask))
            fprintf (file, "  %-26s %s\n", s_options[i].usage, s_options[i].help);
}

void
wrp_cli_usage (FILE *file)
{
    fprintf (file, "usage: wrp-controller [OPTIONS] VERB [OPERANDS]\n\nVerbs:\n");
    for (const wrp_verb_t *v = s_verbs; v->name; v++) {
        char left[64];
        snprintf (left, sizeof left, "%s %s", v->name, v->operands);
        fprintf (file, "  %-34s %s\n", left, v->summary);
    }
    fprintf (file, "\n");
    s_options_usage (file, ~0u, true);
    fprintf (file, "  %-26s %s\n", "    --version", "print the version and exit");
    fprintf (file, "%s", s_env_help);
}

static const wrp_verb_t *
s_verb_named (const char *name)
{
    for (const wrp_verb_t *v = s_verbs; v->name; v++)
        if (!strcmp (v->name, name))
            return v;
    return NULL;
}

static void
s_verb_usage (const wrp_verb_t *verb, FILE *file)
{
    fprintf (file, "usage: wrp-controller %s%s%s [OPTIONS]\n\n%s.\n", verb->name,
             *verb->operands ? " " : "", verb->operands, verb->summary);
    const wrp_verb_t *main_verb = verb->alias_of ? s_verb_named (verb->alias_of) : verb;
    if (main_verb && main_verb->help)
        fprintf (file, "\n%s\n", main_verb->help);
    fprintf (file, "\n");
    s_options_usage (file, verb->options, false);
    unsigned unused = S_TOLERATED & ~verb->options;
    if (unused)
        fprintf (file,
                 "(%s%s%sare accepted and unused here, so one alias serves every "
                 "verb.)\n",
                 unused & WRP_OPTS_HOSTS ? "-H, --port, " : "",
                 unused & WRP_OPTS_PIPELINE ? "-p, " : "",
                 unused & WRP_OPTS_NET ? "--timeout, the key options " : "");
    if (verb->options & WRP_OPTS_FORMAT) {
        fprintf (file, "Formats:");
        for (int f = 0; f < 3; f++)
            if (verb->formats & S_FMT (f))
                fprintf (file, " %s", s_format_names[f]);
        fprintf (file, "\n");
    }
    fprintf (file, "%s", s_env_help);
}

//  Strict positive decimal integer within [min, max].
static int
s_parse_number (const char *text, long min, long max, long *ret_value)
{
    if (!text || !*text || strlen (text) > 10)
        return -1;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    long value = strtol (text, NULL, 10);
    if (value < min || value > max)
        return -1;
    *ret_value = value;
    return 0;
}

//  A duration option (default unit ms) within [min_us, max_us], stored in
//  whole milliseconds. On error names the option (at, then name) and why.
static int
s_parse_ms (const char *value, int64_t min_us, int64_t max_us, const char *at,
            const char *name, const char *range, int *ret_ms, char **ret_err)
{
    int64_t us = 0;
    char *why = NULL;
    if (wrp_duration_parse (value, "ms", &us, &why) || us < min_us || us > max_us) {
        wrp_str_set (ret_err, "%s%s %s", at, name, why ? why : range);
        free (why);
        return -1;
    }
    *ret_ms = (int) (us / 1000);
    return 0;
}

//  Find the verb whose words start the positional arguments (longest wins).
static const wrp_verb_t *
s_match_verb (char **words, size_t count, size_t *ret_used)
{
    const wrp_verb_t *best = NULL;
    size_t best_used = 0;
    for (const wrp_verb_t *v = s_verbs; v->name; v++) {
        size_t used = 0;
        const char *p = v->name;
        bool match = true;
        while (*p && match) {
            size_t len = strcspn (p, " ");
            if (used >= count || strlen (words[used]) != len ||
                strncmp (words[used], p, len))
                match = false;
            else {
                used++;
                p += len;
                if (*p == ' ')
                    p++;
            }
        }
        if (match && used > best_used) {
            best = v;
            best_used = used;
        }
    }
    *ret_used = best_used;
    return best;
}

//  Set one option from a flag or a setting (where: "FILE:LINE" for a
//  setting, NULL for a flag). Returns 0, or -1 and *ret_err.
static int
s_set_option (wrp_cli_t *cli, int id, const char *value, const char *where,
              char **ret_err)
{
    char at[320] = "";
    if (where)
        snprintf (at, sizeof at, "%.300s: ", where);
    long number = 0;
    switch (id) {
    case 'H':
    case 'p':
    case 'w':
    case 'x':
    case S_OPT_EXPECT:
        if (!*value) {
            wrp_str_set (ret_err, "%s-%c needs a value", at,
                         id == S_OPT_EXPECT ? '-' : id);
            return -1;
        }
        if (id == 'H')
            cli->options.hostfile = value;
        else if (id == 'p') {
            cli->options.pipeline = value;
            cli->pipeline_flag_given = !where;
        } else if (id == 'w')
            cli->target = value;
        else if (id == 'x')
            cli->exclude = value;
        else {
            static const char *states[] = {WRP_STATE_RUNNING, WRP_STATE_STOPPED,
                                           WRP_STATE_FAILED, WRP_STATE_STARTING,
                                           WRP_STATE_STOPPING};
            bool known = false;
            for (size_t i = 0; i < 5; i++)
                known |= !strcmp (states[i], value);
            if (!known) {
                wrp_str_set (ret_err,
                             "--expect '%.32s': expected running, stopped, failed, "
                             "starting or stopping",
                             value);
                return -1;
            }
            cli->expect = value;
        }
        return 0;
    case S_OPT_PORT:
        if (s_parse_number (value, 1, 65535, &number)) {
            wrp_str_set (ret_err, "%s--port '%.32s': expected a port number 1..65535", at,
                         value);
            return -1;
        }
        cli->options.agent_port = (int) number;
        return 0;
    case S_OPT_TIMEOUT:
        return s_parse_ms (value, 1000, 2147483647LL * 1000, at, "--timeout",
                           "must be 1ms..24d (e.g. 500ms, 30s, 2m)",
                           &cli->options.timeout_ms, ret_err);
    case S_OPT_FORMAT:
    case S_OPT_JSON:
        for (int f = 0; f < 3; f++)
            if (!strcmp (value, s_format_names[f])) {
                if (cli->given & WRP_OPTS_FORMAT && !where &&
                    cli->options.format != (wrp_format_t) f) {
                    const char *other = f == WRP_FORMAT_JSON
                                            ? s_format_names[cli->options.format]
                                            : value;
                    wrp_str_set (ret_err, "--json and --format %s contradict each other",
                                 other);
                    return -1;
                }
                cli->options.format = (wrp_format_t) f;
                return 0;
            }
        wrp_str_set (ret_err, "%s--format '%.32s': expected table, json or prometheus",
                     at, value);
        return -1;
    case S_OPT_KEY:
        cli->options.key_file = value;
        return 0;
    case S_OPT_AGENT_KEY:
        cli->options.agent_key_file = value;
        return 0;
    case S_OPT_INSECURE:
        if (strcmp (value, "true") && strcmp (value, "false")) {
            wrp_str_set (ret_err, "%sinsecure: expected true or false", at);
            return -1;
        }
        cli->options.insecure = !strcmp (value, "true");
        return 0;
    case S_OPT_WRITE_JSON:
        cli->options.write_json = value;
        return 0;
    case S_OPT_TEXTFILE:
        cli->options.textfile_dir = value;
        return 0;
    case S_OPT_INTERVAL:
        return s_parse_ms (value, 10000, 3600LL * 1000000, at, "--interval",
                           "must be 10ms..1h (e.g. 500ms, 2s)", &cli->options.interval_ms,
                           ret_err);
    case S_OPT_LISTEN:
        cli->options.listen = value;
        return 0;
    case S_OPT_TLS_CERT:
        cli->options.tls_cert = value;
        return 0;
    case S_OPT_TLS_KEY:
        cli->options.tls_key = value;
        return 0;
    case S_OPT_HTTP_AUTH:
        cli->options.http_auth = value;
        return 0;
    case S_OPT_SUMMARY:
        cli->summary = true;
        return 0;
    case 'q':
        cli->quiet = true;
        return 0;
    case S_OPT_NO_HEADER:
        cli->no_header = true;
        return 0;
    case 'v':
        cli->verbose++;
        return 0;
    case 'h':
        cli->help = true;
        return 0;
    }
    wrp_str_set (ret_err, "unknown option");
    return -1;
}

static const s_option_t *
s_option_of (int id)
{
    for (size_t i = 0; i < S_OPTIONS; i++)
        if (s_options[i].id == id)
            return &s_options[i];
    return NULL;
}

//  Step 1: every flag, wherever it stands. Leaves the operands at
//  argv[optind..].
static int
s_parse_options (int argc, char **argv, wrp_cli_t *cli, char **ret_err)
{
    struct option long_options[S_OPTIONS + 1];
    memset (long_options, 0, sizeof long_options);
    for (size_t i = 0; i < S_OPTIONS; i++)
        long_options[i] = (struct option){s_options[i].name, s_options[i].has_arg, NULL,
                                          s_options[i].id};
    optind = 0;    //  full re-initialisation (GNU), for the self-test
    opterr = 0;
    int c;
    while ((c = getopt_long (argc, argv, ":H:p:w:x:qvh", long_options, NULL)) != -1) {
        if (c == ':') {
            wrp_str_set (ret_err, "option '%s' needs a value", argv[optind - 1]);
            return -1;
        }
        const s_option_t *option = s_option_of (c);
        if (!option) {
            if (optopt)
                wrp_str_set (ret_err, "unknown option '-%c'", optopt);
            else
                wrp_str_set (ret_err, "unknown option '%s'", argv[optind - 1]);
            return -1;
        }
        if (s_set_option (cli, c,
                          c == S_OPT_JSON       ? "json"
                          : c == S_OPT_INSECURE ? "true"
                          : optarg              ? optarg
                                                : "",
                          NULL, ret_err))
            return -1;
        cli->given |= option->group;
        cli->given_options |= 1ul << (option - s_options);
    }
    return 0;
}

//  An unknown verb: the nearest verb, or what Jarvis's verb is here.
static void
s_unknown_verb (char **words, size_t count, char **ret_err)
{
    char typed[160];
    snprintf (typed, sizeof typed, "%.64s%s%.64s", words[0], count > 1 ? " " : "",
              count > 1 ? words[1] : "");
    for (size_t i = 0; i < sizeof s_jarvis / sizeof s_jarvis[0]; i++) {
        const char *j = s_jarvis[i][0];
        if (!strcmp (j, typed) || !strcmp (j, words[0])) {
            wrp_str_set (ret_err, "'%s' is Jarvis's; here it is %s", j, s_jarvis[i][1]);
            return;
        }
    }
    //  Did you mean: the verb nearest to one or two words.
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;
    for (const wrp_verb_t *v = s_verbs; v->name; v++) {
        size_t words_in = strchr (v->name, ' ') ? 2 : 1;
        char candidate[160];
        snprintf (candidate, sizeof candidate, "%.64s%s%.64s", words[0],
                  words_in == 2 && count > 1 ? " " : "",
                  words_in == 2 && count > 1 ? words[1] : "");
        size_t distance = wrp_str_distance (candidate, v->name);
        if (distance < best_distance) {
            best_distance = distance;
            best = v->name;
        }
    }
    bool group = false;
    for (const wrp_verb_t *v = s_verbs; v->name; v++)
        if (!strncmp (v->name, words[0], strlen (words[0])) &&
            v->name[strlen (words[0])] == ' ')
            group = true;
    const char *shown = group && count > 1 ? typed : words[0];
    if (best && best_distance <= (strlen (shown) < 6 ? 1u : 2u))
        wrp_str_set (ret_err, "unknown verb '%s' (did you mean `%s`?)", shown, best);
    else if (group && count == 1)
        wrp_str_set (ret_err, "'%s' needs a verb (`wrp-controller --help` lists them)",
                     words[0]);
    else
        wrp_str_set (ret_err, "unknown verb '%s' (`wrp-controller --help` lists them)",
                     shown);
}

//  Step 2: the verb and its operands.
static int
s_find_verb (char **words, size_t count, wrp_cli_t *cli, char **ret_err)
{
    if (count == 0) {
        if (cli->help)
            return 0;
        wrp_str_set (ret_err, "no verb given (start, stop, status, ppl load NAME, ...)");
        return -1;
    }
    //  `help VERB...` is `VERB --help`.
    if (!strcmp (words[0], "help")) {
        cli->help = true;
        words++;
        count--;
        if (count == 0)
            return 0;
    }
    size_t used = 0;
    const wrp_verb_t *verb = s_match_verb (words, count, &used);
    if (!verb) {
        s_unknown_verb (words, count, ret_err);
        return -1;
    }
    cli->verb = verb;
    cli->args = words + used;
    cli->arg_count = count - used;
    return 0;
}

//  Step 3: operands, options and format fit the verb.
static int
s_check_verb (wrp_cli_t *cli, char **ret_err)
{
    const wrp_verb_t *verb = cli->verb;
    if ((int) cli->arg_count < verb->min_args) {
        wrp_str_set (ret_err, "`%s` needs %s (see `wrp-controller %s --help`)",
                     verb->name, verb->operands, verb->name);
        return -1;
    }
    if (verb->max_args >= 0 && (int) cli->arg_count > verb->max_args) {
        wrp_str_set (ret_err, "`%s`: unexpected '%.64s'%s", verb->name,
                     cli->args[verb->max_args],
                     verb->max_args ? "" : " (it takes no operands)");
        return -1;
    }
    if (cli->given & WRP_OPTS_FORMAT && !(verb->formats & S_FMT (cli->options.format))) {
        wrp_str_set (ret_err, "`%s` cannot print %s%s", verb->name,
                     s_format_names[cli->options.format],
                     verb->formats == S_TABLE_JSON ? " (table or json)"
                                                   : " (it has one form of output)");
        return -1;
    }
    unsigned foreign = cli->given & ~verb->options & ~WRP_OPTS_FORMAT & ~S_TOLERATED;
    for (size_t i = 0; foreign && i < S_OPTIONS; i++)
        if (s_options[i].group & foreign && cli->given_options & (1ul << i)) {
            wrp_str_set (
                ret_err,
                "`%s` takes no %s (`wrp-controller %s --help` lists its options)",
                verb->name, s_options[i].usage + 4 * (s_options[i].usage[0] == ' '),
                verb->name);
            return -1;
        }
    const wrp_plan_options_t *o = &cli->options;
    if ((o->tls_cert || o->tls_key || o->http_auth) && !o->listen) {
        wrp_str_set (ret_err, "--tls-cert, --tls-key and --http-auth go with --listen");
        return -1;
    }
    if (cli->summary && cli->options.format != WRP_FORMAT_TABLE) {
        wrp_str_set (ret_err, "--summary is a table; it has no %s form",
                     s_format_names[cli->options.format]);
        return -1;
    }
    return 0;
}

//  Step 4: the settings files' values for the options the verb takes and
//  the command line did not give.
static int
s_apply_settings (wrp_cli_t *cli, char **ret_err)
{
    if (!s_settings && !(s_settings = wrp_ctlconf_load (NULL, ret_err)))
        return -1;
    const wrp_verb_t *verb = cli->verb;
    for (size_t i = 0; i < S_OPTIONS; i++) {
        const wrp_ctlconf_entry_t *e = wrp_ctlconf_get (s_settings, s_options[i].name);
        if (!e || !(verb->options & s_options[i].group) ||
            (cli->given_options & (1ul << i)))
            continue;
        //  --json given: no format from the settings.
        if (s_options[i].id == S_OPT_FORMAT && cli->given & WRP_OPTS_FORMAT)
            continue;
        if (s_options[i].id == S_OPT_FORMAT && !(verb->formats & ~S_TABLE))
            continue;    //  a verb with one form keeps it
        if (s_set_option (cli, s_options[i].id, e->value, e->where, ret_err))
            return -1;
        if (s_options[i].id == S_OPT_FORMAT &&
            !(verb->formats & S_FMT (cli->options.format)))
            cli->options.format = WRP_FORMAT_TABLE;
    }
    return 0;
}

//  Step 5: a timeout too short to do the job is refused.
static int
s_check_timeout (wrp_cli_t *cli, char **ret_err)
{
    int ms = cli->options.timeout_ms;
    if (!(cli->verb->options & WRP_OPTS_NET))
        return 0;
    const char *name = cli->verb->alias_of ? cli->verb->alias_of : cli->verb->name;
    int least = !strcmp (name, "stop") || !strcmp (name, "start") ? 1000 : 100;
    if (ms == 0 || ms >= least)
        return 0;
    wrp_str_set (ret_err,
                 "--timeout %dms is too short for %s (at least %s%s; a bare number is "
                 "milliseconds: write 30s for seconds)",
                 ms, name, least == 1000 ? "1s" : "100ms",
                 least == 1000 && !strcmp (name, "stop")
                     ? ": the agent splits it between the stop binary, SIGTERM and "
                       "SIGKILL"
                     : "");
    return -1;
}

int
wrp_cli_parse (int argc, char **argv, wrp_cli_t *cli, char **ret_err)
{
    assert (cli && ret_err);
    memset (cli, 0, sizeof *cli);
    if (s_parse_options (argc, argv, cli, ret_err) ||
        s_find_verb (argv + optind, (size_t) (argc - optind), cli, ret_err))
        return -1;
    if (cli->help || !cli->verb)
        return 0;
    if (s_check_verb (cli, ret_err) || s_apply_settings (cli, ret_err) ||
        s_check_timeout (cli, ret_err))
        return -1;
    return 0;
}

int
wrp_cli_run (wrp_cli_t *cli)
{
    assert (cli);
    if (cli->verbose)
        wrp_log_set_level (cli->verbose > 1 ? WRP_LOG_DEBUG : WRP_LOG_INFO);
    if (cli->help) {
        if (cli->verb)
            s_verb_usage (cli->verb, stdout);
        else
            wrp_cli_usage (stdout);
        return WRP_EXIT_OK;
    }
    assert (cli->verb);
    return cli->verb->run (cli);
}

//  Parse a command line given as one string; returns the parse result.
static int
s_parse (const char *line, wrp_cli_t *cli, char **ret_err, char *storage, char **argv)
{
    strcpy (storage, line);
    int argc = 0;
    argv[argc++] = "wrp-controller";
    for (char *tok = strtok (storage, " "); tok; tok = strtok (NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    return wrp_cli_parse (argc, argv, cli, ret_err);
}

void
wrp_cli_test (bool verbose)
{
    char storage[256];
    char *argv[32];
    wrp_cli_t cli;
    char *err = NULL;

    assert (s_parse ("start", &cli, &err, storage, argv) == 0);
    assert (!strcmp (cli.verb->name, "start") && cli.arg_count == 0);
    assert (s_parse ("-H hosts --port 6000 start --timeout 1500 --json", &cli, &err,
                     storage, argv) == 0);
    assert (!strcmp (cli.options.hostfile, "hosts") && cli.options.agent_port == 6000);
    assert (cli.options.timeout_ms == 1500 && cli.options.format == WRP_FORMAT_JSON);
    assert (s_parse ("stop --timeout 30s -w n[1-2] -x n2", &cli, &err, storage, argv) ==
            0);
    assert (cli.options.timeout_ms == 30000 && !strcmp (cli.target, "n[1-2]"));
    assert (!strcmp (cli.exclude, "n2"));
    assert (s_parse ("status --timeout 100ms --expect running --summary -q --no-header",
                     &cli, &err, storage, argv) == 0);
    assert (cli.options.timeout_ms == 100 && !strcmp (cli.expect, "running"));
    assert (cli.summary && cli.quiet && cli.no_header);
    assert (s_parse ("ppl index list jarvis_wrp_runtime", &cli, &err, storage, argv) ==
            0);
    assert (s_parse ("hostfile set hosts", &cli, &err, storage, argv) == 0);
    assert (cli.verb->run == wrp_commands_hostfile_set);
    assert (s_parse ("ppl load basic_runtime", &cli, &err, storage, argv) == 0);
    assert (!strcmp (cli.verb->name, "ppl load") && cli.arg_count == 1);
    assert (!strcmp (cli.args[0], "basic_runtime"));
    assert (s_parse ("ppl status --format prometheus", &cli, &err, storage, argv) == 0);
    assert (!strcmp (cli.verb->alias_of, "status"));
    assert (cli.options.format == WRP_FORMAT_PROMETHEUS);
    assert (s_parse ("pkg conf runtime a=1 b=2", &cli, &err, storage, argv) == 0);
    assert (cli.arg_count == 3);
    assert (s_parse ("start --help", &cli, &err, storage, argv) == 0 && cli.help);
    assert (s_parse ("help ppl show", &cli, &err, storage, argv) == 0 && cli.help);
    assert (!strcmp (cli.verb->name, "ppl show"));
    assert (s_parse ("--help", &cli, &err, storage, argv) == 0 && cli.help && !cli.verb);
    assert (s_parse ("monitor --write-json x --textfile d", &cli, &err, storage, argv) ==
            0);
    assert (s_parse ("monitor --interval 2s --listen :0", &cli, &err, storage, argv) ==
            0);
    assert (cli.options.interval_ms == 2000 && !strcmp (cli.options.listen, ":0"));
    assert (s_parse ("monitor --interval 250", &cli, &err, storage, argv) == 0);
    assert (cli.options.interval_ms == 250);

    const char *bad[][2] = {
        {"", "no verb"},
        {"launch", "unknown verb 'launch'"},
        {"ppl lod x", "unknown verb 'ppl lod'"},
        {"ppl", "'ppl' needs a verb"},
        {"ppl load", "needs NAME|FILE"},
        {"ppl load a b", "unexpected 'b'"},
        {"start now", "takes no operands"},
        {"pkg conf runtime", "needs PKG KEY=VALUE"},
        {"--port 0 start", "--port '0'"},
        {"--port 65536 start", "--port"},
        {"--port x start", "--port 'x'"},
        {"--timeout -5 start", "--timeout"},
        {"--timeout 0 start", "--timeout"},
        {"--timeout 30 stop", "too short for stop"},
        {"--timeout 2x status", "unknown unit 'x'"},
        {"--timeout 50ms status", "too short for status"},
        {"stauts", "did you mean `status`?"},
        {"ppl laod x", "did you mean `ppl load`?"},
        {"ppl run", "Jarvis's; here it is `wrp-controller start`"},
        {"ppl list", "`wrp-controller ppl index list`"},
        {"params --json", "`params` cannot print json"},
        {"monitor --format prometheus",
         "`monitor` cannot print prometheus (table or json)"},
        {"stop --expect running", "`stop` takes no --expect"},
        {"pkg conf runtime a=1 -w x", "`pkg conf` takes no -w, --target"},
        {"keygen k -q", "`keygen` takes no -q"},
        {"status --summary --json", "--summary is a table"},
        {"status --listen :9464", "`status` takes no --listen"},
        {"monitor --interval 5", "--interval"},
        {"monitor --interval 2x", "unknown unit 'x'"},
        {"monitor --interval 2h", "--interval"},
        {"monitor --http-auth f", "go with --listen"},
        {"status --expect up", "--expect 'up'"},
        {"--format yaml status", "--format 'yaml'"},
        {"--json --format table status", "contradict"},
        {"--bogus start", "unknown option '--bogus'"},
        {"-Z start", "unknown option '-Z'"},
        {"start -H", "needs a value"},
        {"status --write-json x", "`status` takes no --write-json"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = NULL;
        int rc = s_parse (bad[i][0], &cli, &err, storage, argv);
        if (verbose)
            printf ("   '%s' -> %s\n", bad[i][0], err ? err : "(ok)");
        assert (rc == -1 && err && strstr (err, bad[i][1]));
        free (err);
    }
    //  Every verb has a summary and a handler; aliases point at real verbs.
    for (const wrp_verb_t *v = s_verbs; v->name; v++) {
        assert (v->summary && v->run && v->operands);
        if (v->alias_of) {
            bool found = false;
            for (const wrp_verb_t *w = s_verbs; w->name; w++)
                if (!strcmp (w->name, v->alias_of))
                    found = true;
            assert (found);
        } else
            assert (v->help);
    }
}
