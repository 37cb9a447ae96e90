/*  wrp_commands — the handlers of wrp-controller's verbs. See
    wrp_commands.h.                                                           */

#include "wrp_commands.h"
#include "wrp_json.h"
#include "wrp_cert.h"
#include "wrp_buf.h"
#include "wrp_hostfile.h"
#include "wrp_index.h"
#include "wrp_lifecycle.h"
#include "wrp_log.h"
#include "wrp_pipeline.h"
#include "wrp_state.h"
#include "wrp_str.h"
#include "wrp_transport.h"
#include "wrp_wanted.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SHOW_HOSTS 10    //  hosts listed by `ppl show` (table)

//  Print text to stdout and free it; exit code OK, or USAGE when it failed.
static int
s_print (wrp_buf_t *text)
{
    if (text->failed) {
        free (text->data);
        wrp_error ("out of memory");
        return WRP_EXIT_USAGE;
    }
    if (text->data)
        fwrite (text->data, 1, text->size, stdout);
    free (text->data);
    return fflush (stdout) == 0 ? WRP_EXIT_OK : WRP_EXIT_USAGE;
}

static const char *
s_verb_name (const wrp_cli_t *cli)
{
    return cli->verb->alias_of ? cli->verb->alias_of : cli->verb->name;
}

int
wrp_commands_ppl_load (wrp_cli_t *cli)
{
    char *err = NULL;
    char *found = wrp_index_find (cli->args[0], &err);
    if (!found) {
        wrp_error ("ppl load: %s", err);
        free (err);
        return WRP_EXIT_USAGE;
    }
    //  The state keeps an absolute path: later commands run from anywhere.
    char *file = realpath (found, NULL);
    free (found);
    if (!file) {
        wrp_error ("ppl load: %s: cannot resolve the path", cli->args[0]);
        return WRP_EXIT_USAGE;
    }
    wrp_pipeline_t *pipeline = wrp_pipeline_load (file, &err);
    if (!pipeline) {
        wrp_error ("ppl load: %s", err);
        free (err);
        free (file);
        return WRP_EXIT_USAGE;
    }
    //  A hostfile the pipeline names must be good now, not at start.
    const char *hostfile_path =
        wrp_params_str (wrp_pipeline_params (pipeline), "hostfile");
    wrp_state_t *state = wrp_state_new (cli->options.home, &err);
    char *cluster = NULL;    //  else the cluster of `hostfile set`
    if (state && !hostfile_path && wrp_state_cluster (state, &cluster, NULL) == 0)
        hostfile_path = cluster;
    size_t hosts = 1;
    if (hostfile_path) {
        wrp_hostfile_t *hostfile = wrp_hostfile_load (hostfile_path, &err);
        if (!hostfile) {
            wrp_error ("ppl load: pipeline %s: %s", file, err);
            free (err);
            free (cluster);
            wrp_state_destroy (&state);
            wrp_pipeline_destroy (&pipeline);
            free (file);
            return WRP_EXIT_USAGE;
        }
        hosts = wrp_hostfile_size (hostfile);
        wrp_hostfile_destroy (&hostfile);
    }
    free (cluster);
    uint64_t generation = 0;
    int rc = WRP_EXIT_OK;
    if (!state ||
        wrp_state_load (state, wrp_pipeline_name (pipeline), file, &generation, &err)) {
        wrp_error ("ppl load: %s", err);
        free (err);
        rc = WRP_EXIT_USAGE;
    } else
        printf ("loaded pipeline '%s' from %s (%zu host%s, generation %llu)\n",
                wrp_pipeline_name (pipeline), file, hosts, hosts == 1 ? "" : "s",
                (unsigned long long) generation);
    wrp_state_destroy (&state);
    wrp_pipeline_destroy (&pipeline);
    free (file);
    return rc;
}

int
wrp_commands_ppl_list (wrp_cli_t *cli)
{
    size_t count = 0;
    char *err = NULL;
    const char *repo = cli->arg_count ? cli->args[0] : NULL;
    wrp_index_entry_t *list = wrp_index_list (repo, &count, &err);
    if (err) {
        wrp_error ("ppl index list: %s", err);
        free (err);
        return WRP_EXIT_USAGE;
    }
    wrp_buf_t text = {0};
    if (cli->options.format == WRP_FORMAT_JSON) {
        wrp_buf_printf (&text, "[");
        for (size_t i = 0; i < count; i++) {
            wrp_buf_printf (&text, "%s{\"name\":", i ? "," : "");
            wrp_json_string (&text, list[i].name);
            wrp_buf_printf (&text, ",\"file\":");
            wrp_json_string (&text, list[i].file);
            wrp_buf_printf (&text, ",\"shadowed\":%s}",
                            list[i].shadowed ? "true" : "false");
        }
        wrp_buf_printf (&text, "]\n");
    } else if (count == 0) {
        char **dirs = wrp_index_repo_dirs (repo, NULL);
        wrp_buf_printf (&text, "no pipelines on the index path:");
        for (char **d = dirs; d && *d; d++)
            wrp_buf_printf (&text, " %s", *d);
        wrp_buf_printf (&text, "\n");
        wrp_index_free_dirs (&dirs);
    } else {
        size_t width = 4;
        for (size_t i = 0; i < count; i++)
            if (strlen (list[i].name) > width)
                width = strlen (list[i].name);
        wrp_buf_printf (&text, "%-*s  %s\n", (int) width, "NAME", "FILE");
        for (size_t i = 0; i < count; i++)
            wrp_buf_printf (&text, "%-*s  %s%s\n", (int) width, list[i].name,
                            list[i].file, list[i].shadowed ? "  (shadowed)" : "");
    }
    wrp_index_free_list (&list, count);
    return s_print (&text);
}

//  -w/-x: keep the members the command acts on. The membership pushed
//  (plan->runtime_hostfile) stays the whole cluster. A -w host outside the
//  cluster is an error: it would be told a membership that lacks it.
static int
s_target (wrp_plan_t *plan, wrp_cli_t *cli, char **ret_err)
{
    if (!cli->target && !cli->exclude)
        return 0;
    wrp_hostfile_t *want = NULL, *drop = NULL;
    if ((cli->target && !(want = wrp_hostfile_from_arg (cli->target, "-w", ret_err))) ||
        (cli->exclude && !(drop = wrp_hostfile_from_arg (cli->exclude, "-x", ret_err)))) {
        wrp_hostfile_destroy (&want);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; want && i < wrp_hostfile_size (want) && !rc; i++) {
        bool member = false;
        for (size_t h = 0; h < plan->host_count && !member; h++)
            member = !strcmp (plan->hosts[h].name, wrp_hostfile_host (want, i));
        if (!member) {
            wrp_str_set (ret_err,
                         "-w: '%s' is not a member of the cluster (%s); the cluster is "
                         "`hostfile set FILE` or -H, -w picks members",
                         wrp_hostfile_host (want, i),
                         plan->hostfile ? plan->hostfile : "localhost");
            rc = -1;
        }
    }
    size_t kept = 0;
    for (size_t h = 0; h < plan->host_count && !rc; h++) {
        wrp_plan_host_t *host = &plan->hosts[h];
        if ((want && !wrp_hostfile_has (want, host->name, host->port)) ||
            (drop && wrp_hostfile_has (drop, host->name, host->port)))
            free (host->name);
        else
            plan->hosts[kept++] = *host;
    }
    if (!rc) {
        plan->host_count = kept;
        if (kept == 0) {
            wrp_str_set (ret_err, "-w/-x leave no host to act on");
            rc = -1;
        }
    }
    wrp_hostfile_destroy (&want);
    wrp_hostfile_destroy (&drop);
    return rc;
}

//  A plan for cli; prints the error and returns NULL when it cannot be made.
static wrp_plan_t *
s_plan (wrp_cli_t *cli, bool need_pipeline)
{
    wrp_plan_options_t options = cli->options;
    options.need_pipeline = need_pipeline;
    char *err = NULL;
    wrp_plan_t *plan = wrp_plan_new (&options, &err);
    if (plan && s_target (plan, cli, &err))
        wrp_plan_destroy (&plan);
    if (!plan) {
        wrp_error ("%s: %s", s_verb_name (cli), err);
        free (err);
        return NULL;
    }
    plan->expect = cli->expect;
    plan->summary = cli->summary;
    plan->quiet = cli->quiet;
    plan->no_header = cli->no_header;
    return plan;
}

static void
s_show_json (wrp_plan_t *plan, wrp_buf_t *text)
{
    wrp_buf_printf (text, "{\"pipeline\":");
    wrp_json_string (text, plan->pipeline);
    wrp_buf_printf (text, ",\"file\":");
    wrp_json_string (text, plan->pipeline_file);
    wrp_buf_printf (text,
                    ",\"current\":%s,\"package\":", plan->current ? "true" : "false");
    wrp_json_string (text, plan->pkg_name);
    wrp_buf_printf (text, ",\"generation\":%llu,\"hostfile\":",
                    (unsigned long long) plan->generation);
    wrp_json_string (text, plan->hostfile);
    wrp_buf_printf (text, ",\"hosts\":[");
    for (size_t i = 0; i < plan->host_count; i++) {
        wrp_buf_printf (text, "%s{\"host\":", i ? "," : "");
        wrp_json_string (text, plan->hosts[i].name);
        wrp_buf_printf (text, ",\"port\":%d}", plan->hosts[i].port);
    }
    wrp_buf_printf (text, "],\"forward_env\":[");
    for (size_t i = 0; i < plan->forward_env_count; i++) {
        const char *entry = plan->forward_env[i];
        char *name = strndup (entry, strcspn (entry, "="));
        wrp_buf_printf (text, "%s", i ? "," : "");
        wrp_json_string (text, name);
        free (name);
    }
    wrp_buf_printf (text, "],\"params\":[");
    for (size_t i = 0; i < wrp_params_count (); i++) {
        const wrp_param_def_t *def = wrp_params_def (i);
        wrp_buf_printf (text,
                        "%s{\"name\":\"%s\",\"type\":\"%s\",\"value\":", i ? "," : "",
                        def->name, wrp_params_type_name (def->type));
        wrp_json_string (text, wrp_params_str (plan->params, def->name));
        if (def->type == WRP_PARAM_INT || def->type == WRP_PARAM_SIZE)
            wrp_buf_printf (text, ",\"number\":%lld",
                            (long long) wrp_params_int (plan->params, def->name));
        wrp_buf_printf (
            text, ",\"source\":\"%s\"}",
            wrp_params_source_name (wrp_params_source (plan->params, def->name)));
    }
    wrp_buf_printf (text, "]}\n");
}

static void
s_show_table (wrp_plan_t *plan, wrp_buf_t *text)
{
    wrp_buf_printf (text, "pipeline    %s%s\n", plan->pipeline,
                    plan->current ? " (current)" : "");
    wrp_buf_printf (text, "file        %s\n", plan->pipeline_file);
    wrp_buf_printf (text, "package     %s\n", plan->pkg_name);
    wrp_buf_printf (text, "generation  %llu\n", (unsigned long long) plan->generation);
    wrp_buf_printf (text, "hostfile    %s\n",
                    plan->hostfile ? plan->hostfile : "(none: localhost)");
    wrp_buf_printf (text, "hosts       %zu:", plan->host_count);
    for (size_t i = 0; i < plan->host_count && i < S_SHOW_HOSTS; i++)
        wrp_buf_printf (text, " %s:%d", plan->hosts[i].name, plan->hosts[i].port);
    if (plan->host_count > S_SHOW_HOSTS)
        wrp_buf_printf (text, " ... (%zu more)", plan->host_count - S_SHOW_HOSTS);
    wrp_buf_printf (text, "\nforwarded  ");
    for (size_t i = 0; i < plan->forward_env_count; i++)
        wrp_buf_printf (text, " %.*s", (int) strcspn (plan->forward_env[i], "="),
                        plan->forward_env[i]);
    if (!plan->forward_env_count)
        wrp_buf_printf (text, " (none)");
    wrp_buf_printf (text, "\n\n%-30s %-14s %-9s %s\n", "PARAMETER", "VALUE", "SOURCE",
                    "NOTE");
    for (size_t i = 0; i < wrp_params_count (); i++) {
        const wrp_param_def_t *def = wrp_params_def (i);
        const char *value = wrp_params_str (plan->params, def->name);
        const char *source =
            wrp_params_source_name (wrp_params_source (plan->params, def->name));
        char note[64] = "";
        if (def->type == WRP_PARAM_SIZE)
            snprintf (note, sizeof note, "%lld bytes",
                      (long long) wrp_params_int (plan->params, def->name));
        else if (def->unit && strcmp (def->unit, "bytes"))
            snprintf (note, sizeof note, "%s", def->unit);
        wrp_buf_printf (text, "%-30s %-14s %-9s %s\n", def->name, value ? value : "-",
                        source, note);
    }
}

int
wrp_commands_ppl_show (wrp_cli_t *cli)
{
    wrp_plan_t *plan = s_plan (cli, true);
    if (!plan)
        return WRP_EXIT_USAGE;
    wrp_buf_t text = {0};
    if (cli->options.format == WRP_FORMAT_JSON)
        s_show_json (plan, &text);
    else
        s_show_table (plan, &text);
    wrp_plan_destroy (&plan);
    return s_print (&text);
}

//  Store KEY=VALUE pairs (args) as overrides of the pipeline's package pkg
//  (NULL: the runtime package, whatever its name).
static int
s_conf (wrp_cli_t *cli, const char *verb, const char *pkg, char **args, size_t count)
{
    wrp_plan_options_t options = cli->options;
    options.need_pipeline = true;
    char *err = NULL;
    wrp_pipeline_t *pipeline = wrp_plan_pipeline (&options, NULL, &err);
    if (!pipeline) {
        wrp_error ("%s: %s", verb, err ? err : "no pipeline");
        free (err);
        return WRP_EXIT_USAGE;
    }
    int rc = WRP_EXIT_USAGE;
    const char **keys = calloc (count, sizeof *keys);
    const char **values = calloc (count, sizeof *values);
    char **owned = calloc (count * 2, sizeof *owned);
    wrp_state_t *state = NULL;
    if (!keys || !values || !owned) {
        wrp_error ("out of memory");
        goto out;
    }
    if (pkg && strcmp (pkg, wrp_pipeline_pkg_name (pipeline))) {
        wrp_error ("%s: pipeline '%s' has no package '%s' (its runtime package is '%s')",
                   verb, wrp_pipeline_name (pipeline), pkg,
                   wrp_pipeline_pkg_name (pipeline));
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        const char *eq = strchr (args[i], '=');
        if (!eq || eq == args[i]) {
            wrp_error ("%s: '%s' is not KEY=VALUE", verb, args[i]);
            goto out;
        }
        owned[2 * i] = strndup (args[i], (size_t) (eq - args[i]));
        if (!owned[2 * i]) {
            wrp_error ("out of memory");
            goto out;
        }
        keys[i] = owned[2 * i];
        values[i] = eq + 1;
        if (wrp_params_check (keys[i], values[i], NULL, &err)) {
            wrp_error ("%s: %s", verb, err);
            free (err);
            goto out;
        }
        if (!strcmp (keys[i], "hostfile")) {
            //  Stored absolute, and checked now rather than at start.
            if (values[i][0] != '/') {
                char cwd[PATH_MAX];
                if (!getcwd (cwd, sizeof cwd) ||
                    asprintf (&owned[2 * i + 1], "%s/%s", cwd, values[i]) < 0) {
                    owned[2 * i + 1] = NULL;
                    wrp_error ("%s: cannot resolve hostfile '%s'", verb, values[i]);
                    goto out;
                }
                values[i] = owned[2 * i + 1];
            }
            wrp_hostfile_t *hostfile = wrp_hostfile_load (values[i], &err);
            if (!hostfile) {
                wrp_error ("%s: %s", verb, err);
                free (err);
                goto out;
            }
            wrp_hostfile_destroy (&hostfile);
        }
    }
    uint64_t generation = 0;
    if (!(state = wrp_state_new (cli->options.home, &err)) ||
        wrp_state_conf_set (state, wrp_pipeline_name (pipeline), keys, values, count,
                            &generation, &err)) {
        wrp_error ("%s: %s", verb, err);
        free (err);
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        char *canonical = NULL;
        wrp_params_check (keys[i], values[i], &canonical, NULL);
        printf ("%s: %s=%s\n", wrp_pipeline_pkg_name (pipeline), keys[i],
                canonical ? canonical : values[i]);
        free (canonical);
    }
    printf ("pipeline '%s': generation %llu\n", wrp_pipeline_name (pipeline),
            (unsigned long long) generation);
    rc = WRP_EXIT_OK;
out:
    wrp_state_destroy (&state);
    if (owned)
        for (size_t i = 0; i < count * 2; i++)
            free (owned[i]);
    free (owned);
    free (keys);
    free (values);
    wrp_pipeline_destroy (&pipeline);
    return rc;
}

int
wrp_commands_pkg_conf (wrp_cli_t *cli)
{
    return s_conf (cli, "pkg conf", cli->args[0], cli->args + 1, cli->arg_count - 1);
}

int
wrp_commands_conf (wrp_cli_t *cli)
{
    return s_conf (cli, "conf", NULL, cli->args, cli->arg_count);
}

//  Is path already pipeline's hostfile (with its overrides)? Sets
//  *ret_generation to its generation.
static bool
s_same_hostfile (wrp_state_t *state, wrp_pipeline_t *pipeline, const char *path,
                 uint64_t *ret_generation)
{
    wrp_params_t *params = wrp_params_dup (wrp_pipeline_params (pipeline));
    bool same = false;
    if (params && wrp_state_conf_read (state, wrp_pipeline_name (pipeline), params,
                                       ret_generation, NULL) == 0) {
        const char *now = wrp_params_str (params, "hostfile");
        same = now && !strcmp (now, path);
    }
    wrp_params_destroy (&params);
    return same;
}

int
wrp_commands_hostfile_set (wrp_cli_t *cli)
{
    char *err = NULL;
    char *path = realpath (cli->args[0], NULL);
    if (!path) {
        wrp_error ("hostfile set: %s: %s", cli->args[0], strerror (errno));
        return WRP_EXIT_USAGE;
    }
    wrp_hostfile_t *hostfile = wrp_hostfile_load (path, &err);
    size_t hosts = hostfile ? wrp_hostfile_size (hostfile) : 0;
    wrp_hostfile_destroy (&hostfile);
    wrp_state_t *state = NULL;
    int rc = WRP_EXIT_USAGE;
    if (!err) {
        //  The current pipeline's hostfile too (a new generation).
        wrp_plan_options_t options = cli->options;
        options.pipeline = NULL;
        wrp_pipeline_t *pipeline = wrp_plan_pipeline (&options, NULL, &err);
        const char *keys[] = {"hostfile"};
        const char *values[] = {path};
        uint64_t generation = 0;
        if (!err && (state = wrp_state_new (cli->options.home, &err)) && pipeline &&
            s_same_hostfile (state, pipeline, path, &generation))
            wrp_pipeline_destroy (
                &pipeline);    //  the same membership: no new generation
        if (!err && state &&
            (!pipeline || wrp_state_conf_set (state, wrp_pipeline_name (pipeline), keys,
                                              values, 1, &generation, &err) == 0) &&
            wrp_state_set_cluster (state, path, &err) == 0) {
            printf ("cluster: %s (%zu host%s)\n", path, hosts, hosts == 1 ? "" : "s");
            if (pipeline)
                printf ("pipeline '%s': generation %llu\n", wrp_pipeline_name (pipeline),
                        (unsigned long long) generation);
            rc = WRP_EXIT_OK;
        }
        wrp_pipeline_destroy (&pipeline);
    }
    if (rc) {
        wrp_error ("hostfile set: %s", err ? err : "out of memory");
        free (err);
    }
    wrp_state_destroy (&state);
    free (path);
    return rc;
}

int
wrp_commands_config (wrp_cli_t *cli)
{
    wrp_plan_t *plan = s_plan (cli, true);
    if (!plan)
        return WRP_EXIT_USAGE;
    char *err = NULL;
    size_t size = 0;
    char *config = wrp_plan_config (plan, WRP_DEFAULT_STATE_DIR, &size, &err);
    wrp_plan_destroy (&plan);
    if (!config) {
        wrp_error ("config: %s", err);
        free (err);
        return WRP_EXIT_USAGE;
    }
    wrp_buf_t text = {.data = config, .size = size, .alloc = size + 1};
    return s_print (&text);
}

int
wrp_commands_params (wrp_cli_t *cli)
{
    (void) cli;
    wrp_buf_t text = {0};
    wrp_buf_printf (
        &text, "| name | type | default | constraint | help |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < wrp_params_count (); i++) {
        const wrp_param_def_t *def = wrp_params_def (i);
        char *constraint = wrp_params_constraint (def);
        char type[32];
        if (def->unit && strcmp (def->unit, "bytes"))
            snprintf (type, sizeof type, "%s (%s)", wrp_params_type_name (def->type),
                      def->unit);
        else
            snprintf (type, sizeof type, "%s", wrp_params_type_name (def->type));
        wrp_buf_printf (&text, "| %s | %s | %s | %s | %s |\n", def->name, type,
                        def->default_value ? def->default_value : "(none)",
                        constraint ? constraint : "?", def->help);
        free (constraint);
    }
    return s_print (&text);
}

int
wrp_commands_keygen (wrp_cli_t *cli)
{
    char *err = NULL;
    if (wrp_cert_keygen (cli->args[0], &err)) {
        wrp_error ("keygen: %s", err ? err : "failed");
        free (err);
        return WRP_EXIT_USAGE;
    }
    //  Whatever the umask: the public half is for the other side to read.
    char *expanded = cli->args[0][0] == '~' && getenv ("HOME")
                         ? wrp_strf ("%s%s", getenv ("HOME"), cli->args[0] + 1)
                         : strdup (cli->args[0]);
    if (!expanded || chmod (expanded, 0644))
        wrp_warning ("keygen: cannot make %s world-readable", cli->args[0]);
    free (expanded);
    printf (
        "wrote %s (public, mode 0644) and %s_secret (secret, mode 0600)\n"
        "The secret stays with the side that owns the key, readable only by the user\n"
        "that runs it: an agent's in /etc/wrp (root); a controller's under your home\n"
        "(--key, default " WRP_CONTROLLER_KEY_DEFAULT "). Hand out only the public "
        "file.\n",
        cli->args[0], cli->args[0]);
    return WRP_EXIT_OK;
}

//  The agents' public key must be readable here: a local problem is one
//  error before any node is contacted, not one per node.
static int
s_check_keys (const wrp_plan_t *plan, const char *verb)
{
    if (plan->security.insecure || !plan->agent_key_file)
        return 0;
    struct stat st;
    const char *file = plan->agent_key_file;
    char *err = NULL;
    if (stat (file, &st) == 0 && S_ISDIR (st.st_mode)) {
        if (access (file, R_OK | X_OK) == 0)
            return 0;
        err = wrp_strf ("%s: cannot read the agent key directory: %s", file,
                        strerror (errno));
    } else {
        char key[64];
        if (wrp_cert_read_public_key (file, key, &err) == 0)
            return 0;
    }
    wrp_error ("%s: %s (the agents' public key: --agent-key FILE|DIR, or agent_key in "
               "the settings file; copy the agent's public key where you can read it)",
               verb, err ? err : "cannot read the agent key");
    free (err);
    return -1;
}

int
wrp_commands_lifecycle (wrp_cli_t *cli)
{
    const char *verb = s_verb_name (cli);
    wrp_plan_t *plan = s_plan (cli, !strcmp (verb, "start"));
    if (!plan)
        return WRP_EXIT_USAGE;
    if (s_check_keys (plan, verb)) {
        wrp_plan_destroy (&plan);
        return WRP_EXIT_USAGE;
    }
    int rc = wrp_lifecycle_run (plan, verb);
    wrp_plan_destroy (&plan);
    return rc;
}

int
wrp_commands_monitor (wrp_cli_t *cli)
{
    wrp_plan_t *plan = s_plan (cli, false);
    if (!plan)
        return WRP_EXIT_USAGE;
    if (s_check_keys (plan, "monitor")) {
        wrp_plan_destroy (&plan);
        return WRP_EXIT_USAGE;
    }
    int rc = wrp_monitor_run (plan);
    wrp_plan_destroy (&plan);
    return rc;
}

void
wrp_commands_test (bool verbose)
{
    (void) verbose;
    wrp_buf_t text = {0};
    for (int i = 0; i < 1000; i++)
        wrp_buf_printf (&text, "%d,", i);
    assert (!text.failed && text.size > 1000 && text.data[text.size] == 0);
    free (text.data);
}
