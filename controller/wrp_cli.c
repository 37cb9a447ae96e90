/*  wrp_cli — wrp-controller's command line. See wrp_cli.h.                  */

#include "wrp_cli.h"
#include "wrp_str.h"
#include "wrp_commands.h"
#include "wrp_index.h"
#include "wrp_log.h"

#include <assert.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LIFECYCLE_HELP                                                                 \
    "Sends the command to the agent of every host at once and prints one row per "       \
    "host.\n"                                                                            \
    "Hosts: -H FILE, else the pipeline's hostfile, else localhost. Agents listen on\n"   \
    "--port (default 5560) unless the hostfile says host:port. Exit 0 when every node\n" \
    "did it, 2 when some node failed or did not answer (the others were carried out)."

static const wrp_verb_t s_verbs[] = {
    {"ppl load", "NAME|FILE", 1, 1, "make a pipeline the current one",
     "Reads and checks the pipeline (a file path, or NAME.yaml on the index path:\n"
     "$WRP_PIPELINE_PATH, then " WRP_DATADIR "/pipelines), makes it current, clears\n"
     "its `pkg conf` overrides and bumps its config generation.",
     wrp_commands_ppl_load, NULL},
    {"ppl index load", "NAME|FILE", 1, 1, "same as `ppl load` (Jarvis spelling)", NULL,
     wrp_commands_ppl_load, "ppl load"},
    {"ppl index list", "", 0, 0, "pipelines found on the index path",
     "Lists NAME and file of every *.yaml on $WRP_PIPELINE_PATH (colon-separated), "
     "then\n" WRP_DATADIR
     "/pipelines. A name found earlier on the path shadows later ones.",
     wrp_commands_ppl_list, NULL},
    {"ppl show", "", 0, 0, "current pipeline: hosts, every parameter and its source",
     "Shows the pipeline (current, or -p NAME|FILE), its hosts, the forwarded\n"
     "variables and every runtime parameter with its value and where it came from:\n"
     "default, pipeline (the YAML) or conf (`pkg conf`). --json prints one document.",
     wrp_commands_ppl_show, NULL},
    {"pkg conf", "PKG KEY=VALUE...", 2, -1,
     "set runtime parameters of the current pipeline",
     "Checks every KEY=VALUE against the parameter table (`wrp-controller params`);\n"
     "when all are good, stores them as overrides of the pipeline's package PKG\n"
     "(its pkg_name, `runtime` in the shipped pipelines) and bumps the config\n"
     "generation. One bad pair changes nothing. A relative hostfile is taken from\n"
     "the current directory.",
     wrp_commands_pkg_conf, NULL},
    {"conf", "KEY=VALUE...", 1, -1, "same as `pkg conf PKG` for the runtime package",
     NULL, wrp_commands_conf, "pkg conf"},
    {"config", "", 0, 0, "print the chimaera_config.yaml that start would push",
     "Prints the generated runtime config for the current (or -p) pipeline with its\n"
     "overrides, as pushed to an agent with the default state "
     "dir " WRP_AGENT_STATE_DIR_DEFAULT ".",
     wrp_commands_config, NULL},
    {"params", "", 0, 0, "the table of runtime parameters (Markdown)",
     "Prints every runtime parameter: name, type, default, constraint and help.",
     wrp_commands_params, NULL},
    {"start", "", 0, 0, "push the config and start the runtime on every host",
     S_LIFECYCLE_HELP "\nReturns once every node is running, failed, or out of time\n"
                      "(--timeout MS, else the pipeline's timeout parameter).",
     wrp_commands_lifecycle, NULL},
    {"stop", "", 0, 0, "stop the runtime on every host (returns when it is gone)",
     S_LIFECYCLE_HELP, wrp_commands_lifecycle, NULL},
    {"kill", "", 0, 0, "SIGKILL the runtime on every host", S_LIFECYCLE_HELP,
     wrp_commands_lifecycle, NULL},
    {"clean", "", 0, 0, "remove pushed config, logs and chi_* segments on every host",
     S_LIFECYCLE_HELP "\nRefused on a node whose runtime still runs.",
     wrp_commands_lifecycle, NULL},
    {"status", "", 0, 0, "state of the runtime on every host",
     S_LIFECYCLE_HELP "\n--json / --format prometheus for machines.",
     wrp_commands_lifecycle, NULL},
    {"ppl start", "", 0, 0, "same as `start`", NULL, wrp_commands_lifecycle, "start"},
    {"ppl stop", "", 0, 0, "same as `stop`", NULL, wrp_commands_lifecycle, "stop"},
    {"ppl kill", "", 0, 0, "same as `kill`", NULL, wrp_commands_lifecycle, "kill"},
    {"ppl clean", "", 0, 0, "same as `clean`", NULL, wrp_commands_lifecycle, "clean"},
    {"ppl status", "", 0, 0, "same as `status`", NULL, wrp_commands_lifecycle, "status"},
    {"monitor", "", 0, 0, "stay up, poll every agent, print each change of state",
     "Polls every agent every --interval (default: heartbeat_interval) and prints\n"
     "each change of state until interrupted. --write-json FILE keeps FILE updated\n"
     "with the status document; --textfile DIR writes DIR/wrp.prom for\n"
     "node_exporter. --listen ADDR:PORT (usually 127.0.0.1:9464) serves /metrics,\n"
     "/status.json, / (a status page) and /healthz from the last poll; with\n"
     "--tls-cert/--tls-key over HTTPS, with --http-auth FILE (user:password)\n"
     "behind basic authentication.",
     wrp_commands_monitor, NULL},
    {"keygen", "FILE", 1, 1, "make a CURVE key pair: FILE (public) and FILE_secret",
     "Writes a new key pair in czmq's zcert format: FILE (public, give it to the\n"
     "other side) and FILE_secret (mode 0600). Refuses to overwrite.",
     wrp_commands_keygen, NULL},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

static const char s_options_help[] =
    "Options:\n"
    "  -H, --hostfile FILE     hosts to act on (default: the pipeline's hostfile, else "
    "localhost)\n"
    "  -p, --pipeline NAME|FILE  act on that pipeline without loading it\n"
    "      --port N            agent port (default 5560; host:port in a hostfile wins)\n"
    "      --timeout MS        bound on the command (default: the timeout parameter)\n"
    "      --format FMT        table (default), json or prometheus\n"
    "      --json              same as --format json\n"
    "      --key FILE          this controller's key pair "
    "(default " WRP_CONTROLLER_KEY_DEFAULT ")\n"
    "      --agent-key FILE    the agents' public key (default " WRP_AGENT_PUBKEY_DEFAULT
    ")\n"
    "      --insecure          plain TCP, no CURVE (the agents must run --insecure too)\n"
    "      --write-json FILE   monitor: keep FILE updated with the status document\n"
    "      --textfile DIR      monitor: keep DIR/wrp.prom updated (node_exporter)\n"
    "      --interval DURATION monitor: poll period (500ms, 2s; bare number: ms)\n"
    "      --listen ADDR:PORT  monitor: serve /metrics, /status.json, /, /healthz\n"
    "      --tls-cert FILE, --tls-key FILE, --http-auth FILE  monitor: HTTPS, auth\n"
    "  -v, --verbose           more log output (twice: debug)\n"
    "  -h, --help              this help; `wrp-controller VERB --help` for one verb\n"
    "      --version           print the version and exit\n"
    "Environment: WRP_HOME (state, default ~/.wrp), WRP_PIPELINE_PATH (index path),\n"
    "NO_COLOR. Exit codes: 0 done, 1 bad input or usage (nothing sent), 2 some node\n"
    "failed or did not answer.\n";

const wrp_verb_t *
wrp_cli_verbs (void)
{
    return s_verbs;
}

void
wrp_cli_usage (FILE *file)
{
    fprintf (file, "usage: wrp-controller [OPTIONS] VERB [OPERANDS]\n\nVerbs:\n");
    for (const wrp_verb_t *v = s_verbs; v->name; v++) {
        char left[64];
        snprintf (left, sizeof left, "%s %s", v->name, v->operands);
        fprintf (file, "  %-32s %s\n", left, v->summary);
    }
    fprintf (file, "\n%s", s_options_help);
}

static void
s_verb_usage (const wrp_verb_t *verb, FILE *file)
{
    fprintf (file, "usage: wrp-controller %s%s%s [OPTIONS]\n\n%s.\n", verb->name,
             *verb->operands ? " " : "", verb->operands, verb->summary);
    const wrp_verb_t *main_verb = verb;
    if (verb->alias_of)
        for (const wrp_verb_t *v = s_verbs; v->name; v++)
            if (!strcmp (v->name, verb->alias_of))
                main_verb = v;
    if (main_verb->help)
        fprintf (file, "\n%s\n", main_verb->help);
    fprintf (file, "\n%s", s_options_help);
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

//  A duration: a number with ms, s, m or h; a bare number is ms.
static int
s_parse_duration_ms (const char *text, long *ret_ms)
{
    static const struct {
        const char *unit;
        long ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1}};
    size_t digits = strspn (text, "0123456789");
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        if (strcmp (text + digits, units[u].unit) || digits == 0 || digits > 9)
            continue;
        *ret_ms = strtol (text, NULL, 10) * units[u].ms;
        return 0;
    }
    return -1;
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

int
wrp_cli_parse (int argc, char **argv, wrp_cli_t *cli, char **ret_err)
{
    assert (cli && ret_err);
    enum {
        OPT_PORT = 256,
        OPT_TIMEOUT,
        OPT_FORMAT,
        OPT_JSON,
        OPT_KEY,
        OPT_AGENT_KEY,
        OPT_INSECURE,
        OPT_WRITE_JSON,
        OPT_TEXTFILE,
        OPT_INTERVAL,
        OPT_LISTEN,
        OPT_TLS_CERT,
        OPT_TLS_KEY,
        OPT_HTTP_AUTH,
    };
    static const struct option long_options[] = {
        {"hostfile", required_argument, NULL, 'H'},
        {"pipeline", required_argument, NULL, 'p'},
        {"port", required_argument, NULL, OPT_PORT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"json", no_argument, NULL, OPT_JSON},
        {"key", required_argument, NULL, OPT_KEY},
        {"agent-key", required_argument, NULL, OPT_AGENT_KEY},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"write-json", required_argument, NULL, OPT_WRITE_JSON},
        {"textfile", required_argument, NULL, OPT_TEXTFILE},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"http-auth", required_argument, NULL, OPT_HTTP_AUTH},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset (cli, 0, sizeof *cli);
    const char *format = NULL;
    bool json = false;
    optind = 0;    //  full re-initialisation (GNU), for the self-test
    opterr = 0;
    int c;
    while ((c = getopt_long (argc, argv, ":H:p:vh", long_options, NULL)) != -1) {
        long number = 0;
        switch (c) {
        case 'H':
            if (!*optarg) {
                *ret_err = strdup ("-H/--hostfile needs a file");
                return -1;
            }
            cli->options.hostfile = optarg;
            break;
        case 'p':
            if (!*optarg) {
                *ret_err = strdup ("-p/--pipeline needs a NAME or FILE");
                return -1;
            }
            cli->options.pipeline = optarg;
            cli->pipeline_flag_given = true;
            break;
        case OPT_PORT:
            if (s_parse_number (optarg, 1, 65535, &number)) {
                *ret_err =
                    wrp_strf ("--port '%.32s': expected a port number 1..65535", optarg);
                return -1;
            }
            cli->options.agent_port = (int) number;
            break;
        case OPT_TIMEOUT:
            if (s_parse_number (optarg, 1, 2147483647L, &number)) {
                *ret_err = wrp_strf ("--timeout '%.32s': expected milliseconds, "
                                     "1..2147483647",
                                     optarg);
                return -1;
            }
            cli->options.timeout_ms = (int) number;
            break;
        case OPT_FORMAT:
            format = optarg;
            if (!strcmp (optarg, "table"))
                cli->options.format = WRP_FORMAT_TABLE;
            else if (!strcmp (optarg, "json"))
                cli->options.format = WRP_FORMAT_JSON;
            else if (!strcmp (optarg, "prometheus"))
                cli->options.format = WRP_FORMAT_PROMETHEUS;
            else {
                *ret_err = wrp_strf (
                    "--format '%.32s': expected table, json or prometheus", optarg);
                return -1;
            }
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_KEY:
            cli->options.key_file = optarg;
            break;
        case OPT_AGENT_KEY:
            cli->options.agent_key_file = optarg;
            break;
        case OPT_INSECURE:
            cli->options.insecure = true;
            break;
        case OPT_WRITE_JSON:
            cli->options.write_json = optarg;
            break;
        case OPT_TEXTFILE:
            cli->options.textfile_dir = optarg;
            break;
        case OPT_INTERVAL:
            if (s_parse_duration_ms (optarg, &number) || number < 10 ||
                number > 3600000) {
                *ret_err = wrp_strf ("--interval '%.32s': expected a duration from 10ms "
                                     "to 1h (500ms, 2s; a bare number is ms)",
                                     optarg);
                return -1;
            }
            cli->options.interval_ms = (int) number;
            break;
        case OPT_LISTEN:
            cli->options.listen = optarg;
            break;
        case OPT_TLS_CERT:
            cli->options.tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            cli->options.tls_key = optarg;
            break;
        case OPT_HTTP_AUTH:
            cli->options.http_auth = optarg;
            break;
        case 'v':
            cli->verbose++;
            break;
        case 'h':
            cli->help = true;
            break;
        case ':':
            *ret_err = wrp_strf ("option '%s' needs a value", argv[optind - 1]);
            return -1;
        default:
            if (optopt)
                *ret_err = wrp_strf ("unknown option '-%c'", optopt);
            else
                *ret_err = wrp_strf ("unknown option '%s'", argv[optind - 1]);
            return -1;
        }
    }
    if (json) {
        if (format && cli->options.format != WRP_FORMAT_JSON) {
            *ret_err = wrp_strf ("--json and --format %s contradict each other", format);
            return -1;
        }
        cli->options.format = WRP_FORMAT_JSON;
    }
    char **words = argv + optind;
    size_t count = (size_t) (argc - optind);
    if (count == 0) {
        if (cli->help)
            return 0;
        *ret_err = strdup ("no verb given (start, stop, status, ppl load NAME, ...)");
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
        //  Name the longest known prefix: "ppl lod" -> unknown ppl verb.
        bool group = false;
        for (const wrp_verb_t *v = s_verbs; v->name; v++)
            if (!strncmp (v->name, words[0], strlen (words[0])) &&
                v->name[strlen (words[0])] == ' ')
                group = true;
        if (group && count > 1)
            *ret_err = wrp_strf (
                "unknown verb '%.64s %.64s' (`wrp-controller --help` lists them)",
                words[0], words[1]);
        else if (group)
            *ret_err = wrp_strf (
                "'%.64s' needs a verb (`wrp-controller --help` lists them)", words[0]);
        else
            *ret_err = wrp_strf (
                "unknown verb '%.64s' (`wrp-controller --help` lists them)", words[0]);
        return -1;
    }
    cli->verb = verb;
    cli->args = words + used;
    cli->arg_count = count - used;
    if (cli->help)
        return 0;
    if ((int) cli->arg_count < verb->min_args) {
        *ret_err = wrp_strf ("`%s` needs %s (see `wrp-controller %s --help`)", verb->name,
                             verb->operands, verb->name);
        return -1;
    }
    if (verb->max_args >= 0 && (int) cli->arg_count > verb->max_args) {
        *ret_err =
            wrp_strf ("`%s`: unexpected '%.64s'%s", verb->name, cli->args[verb->max_args],
                      verb->max_args ? "" : " (it takes no operands)");
        return -1;
    }
    const wrp_plan_options_t *o = &cli->options;
    if ((o->write_json || o->textfile_dir || o->listen || o->interval_ms || o->tls_cert ||
         o->tls_key || o->http_auth) &&
        verb->run != wrp_commands_monitor) {
        *ret_err = strdup ("--write-json, --textfile, --interval, --listen, --tls-cert, "
                           "--tls-key and --http-auth are options of `monitor`");
        return -1;
    }
    if ((o->tls_cert || o->tls_key || o->http_auth) && !o->listen) {
        *ret_err = strdup ("--tls-cert, --tls-key and --http-auth go with --listen");
        return -1;
    }
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
    assert (s_parse ("-H hosts --port 6000 start --timeout 500 --json", &cli, &err,
                     storage, argv) == 0);
    assert (!strcmp (cli.options.hostfile, "hosts") && cli.options.agent_port == 6000);
    assert (cli.options.timeout_ms == 500 && cli.options.format == WRP_FORMAT_JSON);
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
        {"--timeout 0 start", "--timeout '0'"},
        {"--format yaml status", "--format 'yaml'"},
        {"--json --format table status", "contradict"},
        {"--bogus start", "unknown option '--bogus'"},
        {"-Z start", "unknown option '-Z'"},
        {"start -H", "needs a value"},
        {"status --write-json x", "options of `monitor`"},
        {"status --listen :9464", "options of `monitor`"},
        {"monitor --interval 5", "--interval '5'"},
        {"monitor --interval 2x", "--interval '2x'"},
        {"monitor --interval 2h", "--interval '2h'"},
        {"monitor --http-auth f", "go with --listen"},
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
