/*  wrp_lifecycle — status, start, stop, kill and clean on every node of a
    plan at once, rendered as a table, JSON or Prometheus text.

    start goes in three steps: a STATUS to every agent (who answers, and
    where each keeps its state, so the config can name the pushed hostfile);
    a START to every agent that answered, with its config; the replies as
    they come (the agent answers once the runtime serves, failed or ran out
    of time). Then, as Jarvis does, the `sleep` parameter's wait and one
    more STATUS for the final view. Every other verb is one round.

    Exit codes (CONTRACT §6): 0 every node did it; 2 some node failed or did
    not answer. For status, 2 also when a runtime is in state failed.        */

#include "wrp_lifecycle.h"
#include "wrp_str.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wrp_client.h"
#include "wrp_log.h"
#include "wrp_msg.h"
#include "wrp_proto.h"
#include "wrp_render.h"
#include "wrp_render_fold.h"
#include "wrp_wanted.h"
#include "wrp_sha256.h"

#define S_EXIT_OK     0
#define S_EXIT_USAGE  1
#define S_EXIT_FAILED 2
#define S_EXIT_EXPECT 3    //  status --expect: some node is not as expected

//  Time on top of the agent-side timeout for the agent's own TIMEOUT reply
//  to reach us.
#define S_REPLY_MARGIN_MS 1000

//  What the controller knows about one node beyond the client's entry.
typedef struct {
    const char *result;    //  "ok" / "error" (NULL: not a lifecycle verb)
    char *error;           //  overrides the client's error when set
    char *note;            //  table detail when it went well
    char *removed;         //  clean: the agent's "removed" list
} s_row_t;

typedef struct {
    wrp_plan_t *plan;              //  what to do (borrowed)
    wrp_transport_t *transport;    //  our keys
    wrp_client_t *client;          //  one DEALER per agent
    s_row_t *rows;                 //  one per node
    size_t count;                  //  nodes
    const char *verb;              //  the command
} s_run_t;

//  The row failed: why, in one line.
#define s_row_error(row, ...)                                                            \
    do {                                                                                 \
        wrp_str_replace (&(row)->error, __VA_ARGS__);                                    \
        (row)->result = "error";                                                         \
    } while (0)

static void
s_row_note (s_row_t *row, const char *note)
{
    free (row->note);
    row->note = strdup (note);
}

static int
s_timeout (const wrp_plan_t *plan)
{
    return plan->timeout_ms > 0 ? plan->timeout_ms : 300000;
}

//  Print the view in the plan's format on stdout.
static void
s_render (s_run_t *run)
{
    wrp_render_node_t *nodes = calloc (run->count ? run->count : 1, sizeof *nodes);
    wrp_wanted_t *wanted = wrp_wanted_new (run->plan);
    if (!nodes || !wanted) {
        free (nodes);
        wrp_wanted_destroy (&wanted);
        return;
    }
    for (size_t i = 0; i < run->count; i++) {
        wrp_client_node_t *cn = wrp_client_node (run->client, i);
        s_row_t *row = &run->rows[i];
        nodes[i].host = cn->host;
        nodes[i].reachable = cn->reachable;
        nodes[i].unauthorized = cn->unauthorized;
        nodes[i].rtt_ms = cn->rtt_ms;
        nodes[i].status = cn->status;
        nodes[i].result = row->result;
        nodes[i].error = row->error ? row->error : cn->error;
        nodes[i].note = row->note;
        nodes[i].removed = row->removed;
        int stale = cn->reachable ? wrp_wanted_stale (wanted, cn->status) : -1;
        nodes[i].stale = stale > 0 ? 1 : stale == 0 ? -1 : 0;
    }
    wrp_wanted_destroy (&wanted);
    wrp_render_view_t view = {
        .pipeline = run->plan->pipeline,
        .generation = run->plan->generation,
        .command = run->verb,
        .nodes = nodes,
        .count = run->count,
        .color = run->plan->color,
        .no_header = run->plan->no_header,
        .quiet = run->plan->quiet,
    };
    char *text = NULL;
    if (run->plan->summary)
        text = wrp_render_fold (&view);
    else if (run->plan->format == WRP_FORMAT_JSON)
        text = wrp_render_json (&view);
    else if (run->plan->format == WRP_FORMAT_PROMETHEUS)
        text = wrp_render_prometheus (&view);
    else
        text = wrp_render_table (&view);
    if (text) {
        fputs (text, stdout);
        fflush (stdout);
    } else
        wrp_error ("out of memory rendering the result");
    free (text);
    free (nodes);
}

//  Results of a one-round command (and of START's collection): ok when the
//  agent said OK, else the client's or agent's error.
static void
s_collect (s_run_t *run, const bool *asked)
{
    for (size_t i = 0; i < run->count; i++) {
        if (asked && !asked[i])
            continue;
        wrp_client_node_t *cn = wrp_client_node (run->client, i);
        s_row_t *row = &run->rows[i];
        if (cn->reply && wrp_msg_cmd (cn->reply) == WRP_CMD_OK)
            row->result = "ok";
        else
            row->result = "error";
    }
}

static int
s_exit_code (s_run_t *run)
{
    for (size_t i = 0; i < run->count; i++) {
        wrp_client_node_t *cn = wrp_client_node (run->client, i);
        s_row_t *row = &run->rows[i];
        if (!cn->reachable)
            return S_EXIT_FAILED;
        if (row->result && strcmp (row->result, "ok"))
            return S_EXIT_FAILED;
        if (!row->result) {
            const char *state = cn->status ? wrp_msg_str (cn->status, WRP_F_STATE) : NULL;
            if (cn->error || (state && !strcmp (state, WRP_STATE_FAILED)))
                return S_EXIT_FAILED;
        }
    }
    return S_EXIT_OK;
}

//  status --expect STATE: 3 (as systemctl is-active) unless every node is
//  in STATE and, when a pipeline is known, runs the wanted config.
static int
s_expect (s_run_t *run)
{
    wrp_wanted_t *wanted = wrp_wanted_new (run->plan);
    size_t off = 0;
    for (size_t i = 0; wanted && i < run->count; i++) {
        const wrp_msg_t *status = wrp_client_node (run->client, i)->status;
        const char *state = status ? wrp_msg_str (status, WRP_F_STATE) : NULL;
        if (!state || strcmp (state, run->plan->expect) ||
            wrp_wanted_stale (wanted, status) > 0)
            off++;
    }
    wrp_wanted_destroy (&wanted);
    if (off)
        wrp_error ("%zu of %zu nodes are not %s%s", off, run->count, run->plan->expect,
                   run->plan->pipeline ? " with the wanted config" : "");
    return off ? S_EXIT_EXPECT : S_EXIT_OK;
}

//  --------------------------------------------------------------------------

static int
s_status (s_run_t *run)
{
    wrp_msg_t *status = wrp_msg_new (WRP_CMD_STATUS, NULL);
    if (!status)
        return S_EXIT_FAILED;
    int rc = wrp_client_call_all (run->client, status, s_timeout (run->plan));
    wrp_msg_destroy (&status);
    s_render (run);
    rc = rc < 0 ? S_EXIT_FAILED : s_exit_code (run);
    return rc == S_EXIT_OK && run->plan->expect ? s_expect (run) : rc;
}

//  A generated config for one agent state dir (the hostfile path in it is
//  the agent's own copy).
typedef struct {
    char *state_dir;                //  the agent's state dir
    char *config;                   //  the generated chimaera_config.yaml
    size_t size;                    //  its length
    char sha256[WRP_SHA256_HEX];    //  its hash, to compare with the running one
    wrp_msg_t *start;               //  the START carrying it, shared by its agents
} s_config_t;

//  The START request for one config: the same message (and id) goes to every
//  agent that shares the state dir, so a thousand nodes cost one copy.
static wrp_msg_t *
s_start_request (const wrp_plan_t *plan, const char *id, const s_config_t *config,
                 int timeout)
{
    wrp_msg_t *start = wrp_msg_new (WRP_CMD_START, id);
    if (!start)
        return NULL;
    int set = 0;
    set |= wrp_msg_set_str (start, WRP_F_PIPELINE, plan->pipeline);
    set |= wrp_msg_set_int (start, WRP_F_GENERATION, (int64_t) plan->generation);
    set |= wrp_msg_set (start, WRP_F_CONFIG, config->config, config->size);
    if (plan->runtime_hostfile)
        set |= wrp_msg_set_str (start, WRP_F_HOSTFILE, plan->runtime_hostfile);
    set |= wrp_msg_set_int (start, WRP_F_PORT, wrp_params_int (plan->params, "port"));
    set |= wrp_msg_set_int (start, WRP_F_TIMEOUT_MS, timeout);
    for (size_t e = 0; e < plan->forward_env_count; e++) {
        const char *eq = strchr (plan->forward_env[e], '=');
        if (!eq || eq == plan->forward_env[e])
            continue;
        char key[WRP_MSG_MAX_KEY + 1];
        snprintf (key, sizeof key, WRP_F_ENV_PREFIX "%.*s",
                  (int) (eq - plan->forward_env[e]), plan->forward_env[e]);
        set |= wrp_msg_set_str (start, key, eq + 1);
    }
    if (set != 0)
        wrp_msg_destroy (&start);
    return start;
}

//  One `start`: the configs per state dir and the START each node gets.
typedef struct {
    s_run_t *run;
    wrp_plan_t *plan;
    int timeout;                    //  agent-side bound of the START, ms
    char id[WRP_MSG_MAX_ID + 1];    //  one id for every node
    wrp_msg_t **requests;           //  node -> its START (borrowed from configs)
    bool *asked;                    //  node -> a START was sent
    s_config_t *configs;            //  one per distinct state dir
    size_t config_count;
    size_t *config_of;    //  node -> its config
    size_t ok;            //  nodes where it went well
} s_start_t;

static void
s_start_free (s_start_t *self)
{
    for (size_t c = 0; c < self->config_count; c++) {
        free (self->configs[c].state_dir);
        free (self->configs[c].config);
        wrp_msg_destroy (&self->configs[c].start);
    }
    free (self->requests);
    free (self->asked);
    free (self->configs);
    free (self->config_of);
}

static int
s_start_alloc (s_start_t *self, s_run_t *run)
{
    size_t n = run->count ? run->count : 1;
    *self = (s_start_t){.run = run, .plan = run->plan, .timeout = s_timeout (run->plan)};
    self->requests = calloc (n, sizeof *self->requests);
    self->asked = calloc (n, sizeof *self->asked);
    self->configs = calloc (n, sizeof *self->configs);
    self->config_of = calloc (n, sizeof *self->config_of);
    wrp_msg_new_id (self->id);
    return self->requests && self->asked && self->configs && self->config_of ? 0 : -1;
}

//  1. Who answers, and where each agent keeps its state. Returns the
//  client's result (< 0: nobody could be asked).
static int
s_start_ask_status (s_start_t *self)
{
    wrp_msg_t *status = wrp_msg_new (WRP_CMD_STATUS, NULL);
    if (!status)
        return -1;
    wrp_client_set_progress (self->run->client, "start (asking every agent)");
    int answered = wrp_client_call_all (self->run->client, status, self->timeout);
    wrp_msg_destroy (&status);
    return answered;
}

//  The config (and its START) for agents keeping their state in state_dir,
//  made on first use. Returns its index, or -1 (row says why).
static int
s_start_config (s_start_t *self, s_row_t *row, const char *state_dir)
{
    size_t c;
    for (c = 0; c < self->config_count; c++)
        if (!strcmp (self->configs[c].state_dir, state_dir))
            return (int) c;
    char *err = NULL;
    size_t size = 0;
    char *config = wrp_plan_config (self->plan, state_dir, &size, &err);
    if (!config) {
        s_row_error (row, "cannot generate the config: %s", err ? err : "unknown error");
        free (err);
        return -1;
    }
    s_config_t *made = &self->configs[self->config_count++];
    made->state_dir = strdup (state_dir);
    made->config = config;
    made->size = size;
    wrp_sha256_hex (config, size, made->sha256);
    made->start = s_start_request (self->plan, self->id, made, self->timeout);
    return (int) c;
}

//  2. One START per reachable agent; one config per distinct state dir.
static void
s_start_prepare (s_start_t *self)
{
    for (size_t i = 0; i < self->run->count; i++) {
        wrp_client_node_t *cn = wrp_client_node (self->run->client, i);
        s_row_t *row = &self->run->rows[i];
        if (!cn->reachable || !cn->reply) {
            row->result = "error";
            continue;
        }
        const char *state_dir = wrp_msg_str (cn->reply, WRP_F_STATE_DIR);
        if (!state_dir || state_dir[0] != '/') {
            s_row_error (row,
                         "the agent did not report its state dir; is it wrp-agentd %d?",
                         WRP_PROTO_VERSION);
            continue;
        }
        int c = s_start_config (self, row, state_dir);
        if (c < 0)
            continue;
        if (!self->configs[c].start) {
            s_row_error (row, "the START message breaks the protocol's limits "
                              "(config, hostfile or environment too large)");
            continue;
        }
        self->config_of[i] = (size_t) c;
        self->requests[i] = self->configs[c].start;
        self->asked[i] = true;
    }
}

//  3. What one node's reply means: started, or already running the same
//  config (fine), or another one (stop first).
static void
s_start_check_reply (s_start_t *self, size_t i)
{
    wrp_client_node_t *cn = wrp_client_node (self->run->client, i);
    s_row_t *row = &self->run->rows[i];
    const wrp_plan_t *plan = self->plan;
    int64_t noop = 0, gen = -1;
    wrp_msg_int (cn->reply, WRP_F_NOOP, &noop);
    if (!noop) {
        s_row_note (row, "started");
        return;
    }
    bool known_gen = wrp_msg_int (cn->reply, WRP_F_GENERATION, &gen) == 0;
    const char *sha = wrp_msg_str (cn->reply, WRP_F_SHA256);
    const char *pipeline = wrp_msg_str (cn->reply, WRP_F_PIPELINE);
    if (pipeline && strcmp (pipeline, plan->pipeline))
        s_row_error (row, "running pipeline '%s', not '%s': stop first", pipeline,
                     plan->pipeline);
    else if (known_gen && (uint64_t) gen != plan->generation)
        s_row_error (row, "running generation %lld, pushed %llu: stop first",
                     (long long) gen, (unsigned long long) plan->generation);
    else if (sha && strcmp (sha, self->configs[self->config_of[i]].sha256))
        s_row_error (row, "running a different config of generation %llu: stop first",
                     (unsigned long long) plan->generation);
    else
        s_row_note (row, "already running (nothing started)");
}

//  4. Jarvis's `sleep`, then the final state of what was started.
static void
s_start_sleep_and_check (s_start_t *self, int64_t sleep_s)
{
    s_run_t *run = self->run;
    wrp_info ("waiting %lld s (the pipeline's sleep parameter)", (long long) sleep_s);
    int64_t until = zclock_mono () + sleep_s * 1000;
    while (!zsys_interrupted && zclock_mono () < until) {
        int64_t left = until - zclock_mono ();
        zclock_sleep ((int) (left < 100 ? left : 100));
    }
    wrp_msg_t **again = calloc (run->count ? run->count : 1, sizeof *again);
    wrp_msg_t *probe = wrp_msg_new (WRP_CMD_STATUS, NULL);
    if (again && probe) {
        for (size_t i = 0; i < run->count; i++)
            if (self->asked[i] && !strcmp (run->rows[i].result, "ok"))
                again[i] = probe;
        wrp_client_set_progress (run->client, "start (final status)");
        wrp_client_set_hangup (run->client, true);    //  the last call
        wrp_client_call (run->client, again, self->timeout);
        for (size_t i = 0; i < run->count; i++) {
            if (!again[i])
                continue;
            wrp_client_node_t *cn = wrp_client_node (run->client, i);
            const char *state = cn->reply ? wrp_msg_str (cn->reply, WRP_F_STATE) : NULL;
            if (!cn->reply)
                s_row_error (&run->rows[i], "no answer after the sleep: %s",
                             cn->error ? cn->error : "unknown");
            else if (!state || strcmp (state, WRP_STATE_RUNNING))
                s_row_error (&run->rows[i], "the runtime is %s %lld s after it started",
                             state ? state : "in an unknown state", (long long) sleep_s);
        }
    }
    free (again);
    wrp_msg_destroy (&probe);
}

static int
s_start (s_run_t *run)
{
    if (!run->plan->pipeline || !run->plan->params) {
        wrp_error (
            "start needs a pipeline: wrp-controller ppl load NAME|FILE, or -p NAME|FILE");
        return S_EXIT_USAGE;
    }
    s_start_t self;
    if (s_start_alloc (&self, run)) {
        s_start_free (&self);
        return S_EXIT_FAILED;
    }
    if (s_start_ask_status (&self) < 0) {
        s_collect (run, NULL);
        s_render (run);
        s_start_free (&self);
        return S_EXIT_FAILED;
    }
    s_start_prepare (&self);
    wrp_client_set_progress (run->client, "start");
    //  Without a sleep, START is the last call.
    int64_t sleep_s = wrp_params_int (run->plan->params, "sleep");
    wrp_client_set_hangup (run->client, sleep_s <= 0);
    int started =
        wrp_client_call (run->client, self.requests, self.timeout + S_REPLY_MARGIN_MS);
    s_collect (run, self.asked);
    for (size_t i = 0; i < run->count; i++)
        if (self.asked[i] && !strcmp (run->rows[i].result, "ok")) {
            s_start_check_reply (&self, i);
            self.ok += !strcmp (run->rows[i].result, "ok");
        }
    if (started >= 0 && self.ok > 0 && sleep_s > 0 && !zsys_interrupted)
        s_start_sleep_and_check (&self, sleep_s);
    s_render (run);
    s_start_free (&self);
    return s_exit_code (run);
}

//  stop, kill, clean: one request to everybody.
static int
s_one_round (s_run_t *run, wrp_cmd_t cmd)
{
    wrp_plan_t *plan = run->plan;
    int timeout = s_timeout (plan);
    wrp_msg_t *request = wrp_msg_new (cmd, NULL);
    if (!request)
        return S_EXIT_FAILED;
    wrp_msg_set_int (request, WRP_F_TIMEOUT_MS, timeout);
    if (cmd == WRP_CMD_CLEAN && plan->pipeline)
        wrp_msg_set_str (request, WRP_F_PIPELINE, plan->pipeline);
    int rc = wrp_client_call_all (run->client, request, timeout + S_REPLY_MARGIN_MS);
    wrp_msg_destroy (&request);
    s_collect (run, NULL);
    for (size_t i = 0; i < run->count; i++) {
        wrp_client_node_t *cn = wrp_client_node (run->client, i);
        s_row_t *row = &run->rows[i];
        if (strcmp (row->result, "ok"))
            continue;
        if (cmd == WRP_CMD_STOP)
            s_row_note (row, "stopped");
        else if (cmd == WRP_CMD_KILL)
            s_row_note (row, "killed");
        else if (cmd == WRP_CMD_CLEAN) {
            const char *removed = wrp_msg_str (cn->reply, WRP_F_REMOVED);
            size_t entries = 0;
            uint64_t bytes = 0;
            for (const char *line = removed; line && *line;) {
                const char *end = strchr (line, '\n');
                const char *tab = strchr (line, '\t');
                if (tab && (!end || tab < end))
                    bytes += strtoull (tab + 1, NULL, 10);
                entries++;
                line = end ? end + 1 : NULL;
            }
            row->removed = strdup (removed ? removed : "");
            char human[32], note[512];
            wrp_render_bytes (bytes, human, sizeof human);
            int len;
            if (entries)
                len = snprintf (note, sizeof note, "removed %zu entr%s (%s)", entries,
                                entries == 1 ? "y" : "ies", human);
            else
                len = snprintf (note, sizeof note, "nothing to remove");
            //  Entries the agent left (another user's, or not removable).
            const char *kept = wrp_msg_str (cn->reply, WRP_F_KEPT);
            size_t left = 0;
            for (const char *k = kept; k && *k;
                 k = strchr (k, '\n') ? strchr (k, '\n') + 1 : "")
                left++;
            if (left && len > 0 && (size_t) len < sizeof note)
                snprintf (note + len, sizeof note - (size_t) len, "; left %zu: %.*s%s",
                          left, (int) strcspn (kept, "\n"), kept,
                          left > 1 ? ", ..." : "");
            for (char *p = note; *p; p++)
                if (*p == '\t')
                    *p = ' ';
            s_row_note (row, note);
        }
    }
    s_render (run);
    return rc < 0 ? S_EXIT_FAILED : s_exit_code (run);
}

int
wrp_lifecycle_run (wrp_plan_t *plan, const char *verb)
{
    assert (plan);
    assert (verb);
    wrp_cmd_t cmd = WRP_CMD_INVALID;
    if (!strcmp (verb, "status"))
        cmd = WRP_CMD_STATUS;
    else if (!strcmp (verb, "start"))
        cmd = WRP_CMD_START;
    else if (!strcmp (verb, "stop"))
        cmd = WRP_CMD_STOP;
    else if (!strcmp (verb, "kill"))
        cmd = WRP_CMD_KILL;
    else if (!strcmp (verb, "clean"))
        cmd = WRP_CMD_CLEAN;
    else {
        wrp_error ("unknown command '%s' (start, stop, kill, clean, status)", verb);
        return S_EXIT_USAGE;
    }
    wrp_transport_t *transport = wrp_plan_transport (plan);
    if (!transport)
        return S_EXIT_USAGE;
    s_run_t run = {
        .plan = plan, .transport = transport, .verb = verb, .count = plan->host_count};
    int64_t t0 = zclock_usecs ();
    run.client = wrp_client_new (transport, plan->hosts, plan->host_count,
                                 plan->security.insecure ? NULL : plan->agent_key_file);
    wrp_debug ("%s: %zu connections set up in %.1f ms", verb, plan->host_count,
               (double) (zclock_usecs () - t0) / 1000.0);
    run.rows = calloc (plan->host_count ? plan->host_count : 1, sizeof *run.rows);
    int rc = S_EXIT_FAILED;
    if (!run.client || !run.rows)
        wrp_error ("out of memory");
    else {
        wrp_client_set_progress (run.client, verb);
        //  One call only: a node's connection closes once it answered.
        wrp_client_set_hangup (run.client, cmd != WRP_CMD_START);
        switch (cmd) {
        case WRP_CMD_STATUS:
            rc = s_status (&run);
            break;
        case WRP_CMD_START:
            rc = s_start (&run);
            break;
        default:
            rc = s_one_round (&run, cmd);
            break;
        }
    }
    wrp_debug ("%s: done in %.1f ms", verb, (double) (zclock_usecs () - t0) / 1000.0);
    for (size_t i = 0; run.rows && i < run.count; i++) {
        free (run.rows[i].error);
        free (run.rows[i].note);
        free (run.rows[i].removed);
    }
    free (run.rows);
    t0 = zclock_usecs ();
    wrp_client_destroy (&run.client);
    wrp_transport_destroy (&transport);
    wrp_debug ("%s: connections closed in %.1f ms", verb,
               (double) (zclock_usecs () - t0) / 1000.0);
    return rc;
}
