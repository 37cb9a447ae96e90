/*  wrp_plan — everything a lifecycle verb needs. See wrp_plan.h.            */

#include "wrp_plan.h"
#include "wrp_chiconf.h"
#include "wrp_proto.h"
#include "wrp_str.h"
#include "wrp_file.h"
#include "wrp_hostfile.h"
#include "wrp_index.h"
#include "wrp_log.h"
#include "wrp_pipeline.h"
#include "wrp_sha256.h"
#include "wrp_state.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_ENV_VALUE_MAX (1024 * 1024)    //  longest forwarded value

void
wrp_plan_destroy (wrp_plan_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_plan_t *self = *self_p;
    free (self->pipeline);
    free (self->pipeline_file);
    wrp_params_destroy (&self->params);
    for (size_t i = 0; i < self->host_count; i++)
        free (self->hosts[i].name);
    free (self->hosts);
    free (self->runtime_hostfile);
    for (size_t i = 0; i < self->forward_env_count; i++)
        free (self->forward_env[i]);
    free (self->forward_env);
    free (self->agent_key_file);
    free (self->write_json);
    free (self->textfile_dir);
    free (self->listen);
    free (self->tls_cert);
    free (self->tls_key);
    free (self->http_auth);
    free (self->pkg_name);
    free (self->hostfile);
    free (self->key_file);
    free (self);
    *self_p = NULL;
}

//  Add NAME=value when NAME is set and not there yet. 0, or -1 on OOM.
static int
s_forward (wrp_plan_t *self, const char *name, size_t alloc)
{
    const char *value = getenv (name);
    if (!value)
        return 0;
    if (strlen (value) > S_ENV_VALUE_MAX) {
        wrp_warning ("not forwarding %s: its value is longer than %d bytes", name,
                     S_ENV_VALUE_MAX);
        return 0;
    }
    size_t len = strlen (name);
    for (size_t i = 0; i < self->forward_env_count; i++)
        if (!strncmp (self->forward_env[i], name, len) &&
            self->forward_env[i][len] == '=')
            return 0;
    assert (self->forward_env_count < alloc);
    char *entry = wrp_strf ("%s=%s", name, value);
    if (!entry)
        return -1;
    self->forward_env[self->forward_env_count++] = entry;
    return 0;
}

//  Load the pipeline named by options or the state; fills pipeline fields
//  and params. Returns 0 (possibly with no pipeline), -1 and *ret_err.
static int
s_resolve_pipeline (wrp_plan_t *self, const wrp_plan_options_t *options,
                    wrp_state_t *state, wrp_pipeline_t **ret_pipeline, char **ret_err)
{
    char *file = NULL;
    char *state_name = NULL;
    if (options->pipeline) {
        if (!(file = wrp_index_find (options->pipeline, ret_err)))
            return -1;
    } else {
        int rc = wrp_state_current (state, &state_name, &file, ret_err);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            if (options->need_pipeline) {
                *ret_err =
                    strdup ("no pipeline loaded: run `wrp-controller ppl load NAME|FILE` "
                            "(e.g. basic_runtime) or pass -p NAME|FILE");
                return -1;
            }
            return 0;
        }
        if (!file) {
            *ret_err =
                wrp_strf ("current pipeline '%s' has no file; run `wrp-controller ppl "
                          "load` again",
                          state_name);
            free (state_name);
            return -1;
        }
        self->current = true;
    }
    char *err = NULL;
    wrp_pipeline_t *pipeline = wrp_pipeline_load (file, &err);
    if (!pipeline) {
        if (state_name)
            *ret_err =
                wrp_strf ("current pipeline '%s': %s", state_name, err ? err : "?");
        else
            *ret_err = err, err = NULL;
        free (err);
        free (state_name);
        free (file);
        return -1;
    }
    if (state_name && strcmp (state_name, wrp_pipeline_name (pipeline)))
        wrp_warning (
            "%s now names the pipeline '%s' (loaded as '%s'); run `wrp-controller ppl "
            "load %s` to make it current",
            file, wrp_pipeline_name (pipeline), state_name, file);
    free (state_name);
    self->pipeline_file = file;
    if (!(self->pipeline = strdup (wrp_pipeline_name (pipeline))) ||
        !(self->pkg_name = strdup (wrp_pipeline_pkg_name (pipeline)))) {
        wrp_pipeline_destroy (&pipeline);
        *ret_err = strdup ("out of memory");
        return -1;
    }
    *ret_pipeline = pipeline;
    return 0;
}

wrp_transport_t *
wrp_plan_transport (const wrp_plan_t *self)
{
    char *err = NULL;
    wrp_transport_t *transport = wrp_transport_new (&self->security, false, &err);
    if (!transport) {
        wrp_error ("%s", err ? err : "cannot set up the transport");
        free (err);
        return NULL;
    }
    if (self->security.insecure)
        wrp_warning (
            "INSECURE: --insecure: commands go over plain TCP, unencrypted and "
            "unauthenticated; use it on loopback or a trusted test network only");
    return transport;
}

wrp_pipeline_t *
wrp_plan_pipeline (const wrp_plan_options_t *options, bool *ret_current, char **ret_err)
{
    assert (options && ret_err);
    *ret_err = NULL;
    wrp_plan_t scratch = {0};
    wrp_pipeline_t *pipeline = NULL;
    char *err = NULL;
    wrp_state_t *state = wrp_state_new (options->home, &err);
    if (state && s_resolve_pipeline (&scratch, options, state, &pipeline, &err) == 0) {
        if (ret_current)
            *ret_current = scratch.current;
    } else
        *ret_err = err ? err : strdup ("out of memory");
    free (scratch.pipeline);
    free (scratch.pipeline_file);
    free (scratch.pkg_name);
    wrp_state_destroy (&state);
    return pipeline;
}

static int
s_resolve_hosts (wrp_plan_t *self, const wrp_plan_options_t *options, wrp_state_t *state,
                 char **ret_err)
{
    const char *path =
        options->hostfile ? options->hostfile : wrp_params_str (self->params, "hostfile");
    char *cluster = NULL;
    if (!path && wrp_state_cluster (state, &cluster, ret_err))
        return -1;
    path = path ? path : cluster;
    wrp_hostfile_t *hostfile = NULL;
    if (path) {
        hostfile = options->hostfile ? wrp_hostfile_from_arg (path, "-H", ret_err)
                                     : wrp_hostfile_load (path, ret_err);
        if (hostfile && !(self->hostfile = strdup (path))) {
            wrp_hostfile_destroy (&hostfile);
            *ret_err = strdup ("out of memory");
        }
        free (cluster);
        if (!hostfile)
            return -1;
        if (!(self->runtime_hostfile = wrp_hostfile_runtime_text (hostfile))) {
            wrp_hostfile_destroy (&hostfile);
            *ret_err = strdup ("out of memory");
            return -1;
        }
    } else if (!(hostfile = wrp_hostfile_localhost ())) {
        *ret_err = strdup ("out of memory");
        return -1;
    }
    size_t count = wrp_hostfile_size (hostfile);
    self->hosts = calloc (count, sizeof *self->hosts);
    if (!self->hosts) {
        wrp_hostfile_destroy (&hostfile);
        *ret_err = strdup ("out of memory");
        return -1;
    }
    int port = options->agent_port ? options->agent_port : WRP_DEFAULT_PORT;
    for (size_t i = 0; i < count; i++) {
        if (!(self->hosts[i].name = strdup (wrp_hostfile_host (hostfile, i)))) {
            wrp_hostfile_destroy (&hostfile);
            *ret_err = strdup ("out of memory");
            return -1;
        }
        self->hosts[i].port =
            wrp_hostfile_port (hostfile, i) ? wrp_hostfile_port (hostfile, i) : port;
        self->host_count++;
    }
    wrp_hostfile_destroy (&hostfile);
    return 0;
}

//  The runtime's environment from ours: the variables always forwarded and
//  the pipeline's `env:`. Returns 0, or -1 when out of memory.
static int
s_resolve_env (wrp_plan_t *self, const wrp_pipeline_t *pipeline)
{
    const char *always[] = WRP_PLAN_FORWARD_ALWAYS;
    size_t always_count = sizeof always / sizeof always[0];
    size_t alloc = always_count + (pipeline ? wrp_pipeline_env_count (pipeline) : 0);
    self->forward_env = calloc (alloc, sizeof *self->forward_env);
    if (!self->forward_env)
        return -1;
    for (size_t i = 0; i < always_count; i++)
        if (s_forward (self, always[i], alloc))
            return -1;
    for (size_t i = 0; pipeline && i < wrp_pipeline_env_count (pipeline); i++)
        if (s_forward (self, wrp_pipeline_env (pipeline, i), alloc))
            return -1;
    return 0;
}

//  Timeout, output, keys and monitor outputs from the options. Returns 0,
//  or -1 when out of memory.
static int
s_resolve_options (wrp_plan_t *self, const wrp_plan_options_t *options)
{
    self->timeout_ms = options->timeout_ms
                           ? options->timeout_ms
                           : (int) wrp_params_int (self->params, "timeout") * 1000;
    self->format = options->format;
    self->interval_ms = options->interval_ms;
    self->color = isatty (STDOUT_FILENO) && !getenv ("NO_COLOR");
    self->security.insecure = options->insecure;
    if (!options->insecure) {
        self->key_file = wrp_file_expand_home (
            options->key_file ? options->key_file : WRP_CONTROLLER_KEY_DEFAULT);
        self->agent_key_file = wrp_file_expand_home (
            options->agent_key_file ? options->agent_key_file : WRP_AGENT_PUBKEY_DEFAULT);
        if (!self->key_file || !self->agent_key_file)
            return -1;
        self->security.key_file = self->key_file;
    }
    if ((options->write_json && !(self->write_json = strdup (options->write_json))) ||
        (options->textfile_dir &&
         !(self->textfile_dir = strdup (options->textfile_dir))) ||
        (options->listen && !(self->listen = strdup (options->listen))) ||
        (options->tls_cert && !(self->tls_cert = strdup (options->tls_cert))) ||
        (options->tls_key && !(self->tls_key = strdup (options->tls_key))) ||
        (options->http_auth && !(self->http_auth = strdup (options->http_auth))))
        return -1;
    return 0;
}

wrp_plan_t *
wrp_plan_new (const wrp_plan_options_t *options, char **ret_err)
{
    assert (options && ret_err);
    char *err = NULL;
    wrp_pipeline_t *pipeline = NULL;
    wrp_state_t *state = NULL;
    wrp_plan_t *self = calloc (1, sizeof *self);
    if (!self) {
        *ret_err = strdup ("out of memory");
        return NULL;
    }
    if (!(state = wrp_state_new (options->home, &err)))
        goto fail;
    if (s_resolve_pipeline (self, options, state, &pipeline, &err)) {
        //  A broken current pipeline must not stop an operator who names
        //  the hosts from stopping or inspecting the runtime.
        if (options->need_pipeline || options->pipeline || !options->hostfile)
            goto fail;
        wrp_warning ("%s; going on without a pipeline (hosts from -H)", err);
        free (err);
        err = NULL;
        free (self->pipeline);
        free (self->pipeline_file);
        free (self->pkg_name);
        self->pipeline = self->pipeline_file = self->pkg_name = NULL;
        self->current = false;
    }
    self->params =
        pipeline ? wrp_params_dup (wrp_pipeline_params (pipeline)) : wrp_params_new ();
    if (!self->params) {
        err = strdup ("out of memory");
        goto fail;
    }
    if (self->pipeline && wrp_state_conf_read (state, self->pipeline, self->params,
                                               &self->generation, &err))
        goto fail;
    if (s_resolve_hosts (self, options, state, &err))
        goto fail;

    if (s_resolve_env (self, pipeline) || s_resolve_options (self, options)) {
        err = strdup ("out of memory");
        goto fail;
    }
    wrp_pipeline_destroy (&pipeline);
    wrp_state_destroy (&state);
    return self;
fail:
    wrp_pipeline_destroy (&pipeline);
    wrp_state_destroy (&state);
    wrp_plan_destroy (&self);
    *ret_err = err ? err : strdup ("out of memory");
    return NULL;
}

static void
s_write_file (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    assert (file);
    assert (fputs (text, file) >= 0);
    assert (fclose (file) == 0);
}

char *
wrp_plan_config (const wrp_plan_t *self, const char *state_dir, size_t *ret_size,
                 char **ret_err)
{
    char *hostfile = wrp_strf (WRP_LAYOUT_PIPELINE_FILE_FMT, state_dir, self->pipeline,
                               WRP_LAYOUT_HOSTFILE);
    char *log = wrp_strf (WRP_LAYOUT_PIPELINE_FILE_FMT, state_dir, self->pipeline,
                          WRP_LAYOUT_RUNTIME_LOG);
    char *config = NULL;
    if (!hostfile || !log)
        *ret_err = strdup ("out of memory");
    else
        config =
            wrp_chiconf_generate (self->params, self->runtime_hostfile ? hostfile : NULL,
                                  log, ret_size, ret_err);
    free (hostfile);
    free (log);
    if (config && self->runtime_hostfile) {
        //  The membership, so that a node told another one runs another hash.
        char sha[WRP_SHA256_HEX];
        wrp_sha256_hex (self->runtime_hostfile, strlen (self->runtime_hostfile), sha);
        size_t hosts = 0;
        for (const char *p = self->runtime_hostfile; *p; p++)
            hosts += *p == '\n';
        char *full = wrp_strf ("%s# cluster: %zu host%s, hostfile sha256 %s\n", config,
                               hosts, hosts == 1 ? "" : "s", sha);
        free (config);
        if (!(config = full))
            *ret_err = strdup ("out of memory");
        *ret_size = config ? strlen (config) : 0;
    }
    return config;
}

void
wrp_plan_test (bool verbose)
{
    (void) verbose;
    char dir[] = "/tmp/wrp-plan-test.XXXXXX";
    assert (mkdtemp (dir));
    char home[128], pipe_path[160], hosts[160], cmd[200];
    snprintf (home, sizeof home, "%s/home", dir);
    snprintf (pipe_path, sizeof pipe_path, "%s/demo.yaml", dir);
    snprintf (hosts, sizeof hosts, "%s/hosts", dir);
    s_write_file (hosts, "node[1-2]\n10.0.0.9:6000\n");
    s_write_file (
        pipe_path,
        "hostfile: hosts\nenv: [WRP_PLAN_TEST_VAR]\n"
        "pkgs:\n- pkg_type: wrp_runtime\n  timeout: 7\n  low_latency_workers: 3\n");
    setenv ("WRP_PLAN_TEST_VAR", "x=y", 1);

    //  Nothing loaded: start needs a pipeline, status does not.
    wrp_plan_options_t options = {.home = home, .need_pipeline = true, .insecure = true};
    char *err = NULL;
    wrp_plan_t *plan = wrp_plan_new (&options, &err);
    assert (!plan && strstr (err, "no pipeline loaded"));
    free (err);
    options.need_pipeline = false;
    plan = wrp_plan_new (&options, &err);
    assert (plan && !plan->pipeline && plan->host_count == 1);
    assert (!strcmp (plan->hosts[0].name, "localhost") &&
            plan->hosts[0].port == WRP_DEFAULT_PORT);
    assert (!plan->runtime_hostfile && plan->timeout_ms == 300000);
    wrp_plan_destroy (&plan);

    //  -p FILE, with pkg conf overrides in the state.
    wrp_state_t *state = wrp_state_new (home, NULL);
    assert (state);
    const char *keys[] = {"low_latency_workers"};
    const char *values[] = {"9"};
    assert (wrp_state_conf_set (state, "demo", keys, values, 1, NULL, NULL) == 0);
    wrp_state_destroy (&state);
    options.pipeline = pipe_path;
    options.agent_port = 7000;
    plan = wrp_plan_new (&options, &err);
    assert (plan);
    assert (!strcmp (plan->pipeline, "demo") && !strcmp (plan->pipeline_file, pipe_path));
    assert (!plan->current && plan->generation == 1);
    assert (wrp_params_int (plan->params, "low_latency_workers") == 9);
    assert (wrp_params_source (plan->params, "low_latency_workers") == WRP_SOURCE_CONF);
    assert (wrp_params_source (plan->params, "timeout") == WRP_SOURCE_PIPELINE);
    assert (plan->timeout_ms == 7000);
    assert (plan->host_count == 3);
    assert (!strcmp (plan->hosts[1].name, "node2") && plan->hosts[1].port == 7000);
    assert (!strcmp (plan->hosts[2].name, "10.0.0.9") && plan->hosts[2].port == 6000);
    assert (!strcmp (plan->runtime_hostfile, "node1\nnode2\n10.0.0.9\n"));
    assert (!strcmp (plan->hostfile, hosts));
    bool found = false;
    for (size_t i = 0; i < plan->forward_env_count; i++)
        if (!strcmp (plan->forward_env[i], "WRP_PLAN_TEST_VAR=x=y"))
            found = true;
    assert (found);
    wrp_plan_destroy (&plan);

    //  -H wins over the pipeline's hostfile; secure defaults expand ~.
    options.hostfile = "/nonexistent/hosts";
    plan = wrp_plan_new (&options, &err);
    assert (!plan && strstr (err, "/nonexistent/hosts: cannot open"));
    free (err);
    options.hostfile = NULL;
    options.insecure = false;
    options.timeout_ms = 1500;
    plan = wrp_plan_new (&options, &err);
    assert (plan && plan->timeout_ms == 1500 && plan->security.key_file &&
            plan->security.key_file[0] != '~' && plan->agent_key_file);
    wrp_plan_destroy (&plan);
    wrp_plan_destroy (&plan);

    //  A current pipeline that no longer loads: start refuses, status with
    //  -H goes on without it.
    state = wrp_state_new (home, NULL);
    assert (state && wrp_state_load (state, "demo", pipe_path, NULL, NULL) == 0);
    wrp_state_destroy (&state);
    s_write_file (pipe_path, "pkgs: [\n");
    options = (wrp_plan_options_t){
        .home = home, .need_pipeline = true, .insecure = true, .hostfile = hosts};
    plan = wrp_plan_new (&options, &err);
    assert (!plan && strstr (err, "current pipeline 'demo'") &&
            strstr (err, "YAML syntax"));
    free (err);
    options.need_pipeline = false;
    wrp_log_set_level (WRP_LOG_ERROR);
    plan = wrp_plan_new (&options, &err);
    wrp_log_set_level (WRP_LOG_WARNING);
    assert (plan && !plan->pipeline && plan->host_count == 3);
    wrp_plan_destroy (&plan);
    options.hostfile = NULL;
    plan = wrp_plan_new (&options, &err);
    assert (!plan && strstr (err, "YAML syntax"));
    free (err);

    unsetenv ("WRP_PLAN_TEST_VAR");
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert (system (cmd) == 0);
}
