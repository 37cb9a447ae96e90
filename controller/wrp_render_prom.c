/*  wrp_render_prom — the per-node results as Prometheus metrics (text
    exposition format 0.0.4). See wrp_render_prom.h.                          */

#include "wrp_render_prom.h"
#include "wrp_buf.h"
#include "wrp_str.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A Prometheus label value: backslash, double quote and line feed escaped;
//  invalid UTF-8 replaced.
static void
s_prom_label (wrp_buf_t *b, const char *text)
{
    size_t len = strlen (text);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char) text[i];
        if (c == '\\')
            wrp_buf_str (b, "\\\\");
        else if (c == '"')
            wrp_buf_str (b, "\\\"");
        else if (c == '\n')
            wrp_buf_str (b, "\\n");
        else {
            size_t n = wrp_str_utf8_len (text + i, len - i);
            if (n == 0) {
                wrp_buf_str (b, "\xEF\xBF\xBD");
                i++;
                continue;
            }
            wrp_buf_add (b, text + i, n);
            i += n;
            continue;
        }
        i++;
    }
}

static const char *s_states[] = {WRP_STATE_STOPPED, WRP_STATE_STARTING, WRP_STATE_RUNNING,
                                 WRP_STATE_STOPPING, WRP_STATE_FAILED};

static void
s_prom_head (wrp_buf_t *b, const char *name, const char *type, const char *help)
{
    wrp_buf_printf (b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_prom_host (wrp_buf_t *b, const char *name, const char *host)
{
    wrp_buf_printf (b, "%s{host=\"", name);
    s_prom_label (b, host);
    wrp_buf_str (b, "\"");
}

//  One gauge or counter per node from an integer status field, divided by
//  scale (1: as it is, printed as an integer).
static void
s_prom_field (wrp_buf_t *b, const wrp_render_view_t *view, const char *name,
              const char *type, const char *help, const char *key, double scale)
{
    s_prom_head (b, name, type, help);
    for (size_t i = 0; i < view->count; i++) {
        const wrp_render_node_t *node = &view->nodes[i];
        int64_t v;
        if (!wrp_render_int (node->reachable ? node->status : NULL, key, &v))
            continue;
        s_prom_host (b, name, node->host);
        if (scale == 1)
            wrp_buf_printf (b, "} %" PRId64 "\n", v);
        else
            wrp_buf_printf (b, "} %.3f\n", (double) v / scale);
    }
}

static void
s_prom_agents (wrp_buf_t *b, const wrp_render_view_t *view)
{
    s_prom_head (b, "wrp_agent_up", "gauge",
                 "1 when the node's wrp-agentd answered, else 0.");
    for (size_t i = 0; i < view->count; i++) {
        s_prom_host (b, "wrp_agent_up", view->nodes[i].host);
        wrp_buf_printf (b, "} %d\n", view->nodes[i].reachable ? 1 : 0);
    }
    s_prom_head (b, "wrp_agent_rtt_seconds", "gauge",
                 "Round trip of the agent's reply, seconds.");
    for (size_t i = 0; i < view->count; i++)
        if (view->nodes[i].reachable && view->nodes[i].rtt_ms >= 0) {
            s_prom_host (b, "wrp_agent_rtt_seconds", view->nodes[i].host);
            wrp_buf_printf (b, "} %.6f\n", view->nodes[i].rtt_ms / 1000.0);
        }
}

static void
s_prom_states (wrp_buf_t *b, const wrp_render_view_t *view)
{
    s_prom_head (b, "wrp_runtime_up", "gauge",
                 "1 when the runtime is running (serving), else 0; absent when the agent "
                 "did not answer.");
    for (size_t i = 0; i < view->count; i++) {
        const char *state =
            view->nodes[i].reachable ? wrp_render_state (&view->nodes[i]) : NULL;
        if (!state)
            continue;
        s_prom_host (b, "wrp_runtime_up", view->nodes[i].host);
        wrp_buf_printf (b, "} %d\n", !strcmp (state, WRP_STATE_RUNNING));
    }
    s_prom_head (b, "wrp_runtime_state", "gauge",
                 "The runtime's state: 1 for the current one, 0 for the others.");
    for (size_t i = 0; i < view->count; i++) {
        const char *state =
            view->nodes[i].reachable ? wrp_render_state (&view->nodes[i]) : NULL;
        for (size_t s = 0; state && s < sizeof s_states / sizeof s_states[0]; s++) {
            s_prom_host (b, "wrp_runtime_state", view->nodes[i].host);
            wrp_buf_printf (b, ",state=\"%s\"} %d\n", s_states[s],
                            !strcmp (state, s_states[s]));
        }
    }
}

static void
s_prom_shm (wrp_buf_t *b, const wrp_render_view_t *view)
{
    s_prom_head (b, "wrp_shm_bytes", "gauge",
                 "Size of each chi_* shared memory segment on the node, bytes.");
    for (size_t i = 0; i < view->count; i++) {
        const wrp_render_node_t *node = &view->nodes[i];
        const char *shm = node->reachable && node->status
                              ? wrp_msg_str (node->status, WRP_F_SHM)
                              : NULL;
        for (const char *line = shm; line && *line;) {
            const char *end = strchr (line, '\n');
            size_t len = end ? (size_t) (end - line) : strlen (line);
            const char *tab = memchr (line, '\t', len);
            if (tab) {
                char *name = strndup (line, (size_t) (tab - line));
                s_prom_host (b, "wrp_shm_bytes", node->host);
                wrp_buf_str (b, ",name=\"");
                s_prom_label (b, name ? name : "");
                wrp_buf_printf (b, "\"} %" PRIu64 "\n",
                                (uint64_t) strtoull (tab + 1, NULL, 10));
                free (name);
            }
            line = end ? end + 1 : NULL;
        }
    }
}

//  Per node: how a failed runtime ended and when monitor saw the state
//  change; the generation the controller wants.
static void
s_prom_more (wrp_buf_t *b, const wrp_render_view_t *view)
{
    s_prom_head (b, "wrp_runtime_signal", "gauge",
                 "Signal number that killed the failed runtime.");
    for (size_t i = 0; i < view->count; i++) {
        int64_t v;
        if (wrp_render_signo (view->nodes[i].reachable ? view->nodes[i].status : NULL,
                              &v)) {
            s_prom_host (b, "wrp_runtime_signal", view->nodes[i].host);
            wrp_buf_printf (b, "} %" PRId64 "\n", v);
        }
    }
    s_prom_head (b, "wrp_config_generation_wanted", "gauge",
                 "Generation of the config the controller would push now.");
    wrp_buf_printf (b, "wrp_config_generation_wanted %" PRIu64 "\n", view->generation);
    if (view->updated_at <= 0)
        return;
    s_prom_head (
        b, "wrp_runtime_state_change_timestamp_seconds", "gauge",
        "When monitor saw the node's agent or runtime state change (Unix time).");
    for (size_t i = 0; i < view->count; i++)
        if (view->nodes[i].changed_at > 0) {
            s_prom_host (b, "wrp_runtime_state_change_timestamp_seconds",
                         view->nodes[i].host);
            wrp_buf_printf (b, "} %.3f\n", view->nodes[i].changed_at);
        }
}

//  monitor's own series.
static void
s_prom_monitor (wrp_buf_t *b, const wrp_render_view_t *view)
{
    const wrp_render_monitor_t *m = view->monitor;
    static const char *const states[] = {"down",
                                         "unknown",
                                         WRP_STATE_STOPPED,
                                         WRP_STATE_STARTING,
                                         WRP_STATE_RUNNING,
                                         WRP_STATE_STOPPING,
                                         WRP_STATE_FAILED};
    size_t counts[sizeof states / sizeof states[0]] = {0};
    for (size_t i = 0; i < view->count; i++) {
        const char *state =
            view->nodes[i].reachable ? wrp_render_state (&view->nodes[i]) : "down";
        size_t s = 1;
        for (size_t k = 0; state && k < sizeof states / sizeof states[0]; k++)
            if (!strcmp (state, states[k]))
                s = k;
        counts[s]++;
    }
    s_prom_head (b, "wrp_monitor_nodes", "gauge",
                 "Nodes by state (down: the agent does not answer).");
    for (size_t k = 0; k < sizeof states / sizeof states[0]; k++)
        wrp_buf_printf (b, "wrp_monitor_nodes{state=\"%s\"} %zu\n", states[k], counts[k]);
    s_prom_head (b, "wrp_monitor_interval_seconds", "gauge", "The poll period.");
    wrp_buf_printf (b, "wrp_monitor_interval_seconds %.3f\n", m->interval_s);
    s_prom_head (b, "wrp_monitor_poll_duration_seconds", "gauge",
                 "The last poll, from sending to the last reply.");
    wrp_buf_printf (b, "wrp_monitor_poll_duration_seconds %.6f\n", m->poll_duration_s);
    s_prom_head (b, "wrp_monitor_polls_total", "counter", "Polls sent.");
    wrp_buf_printf (b, "wrp_monitor_polls_total %" PRIu64 "\n", m->polls);
    s_prom_head (b, "wrp_monitor_errors_total", "counter",
                 "Agents found down, ERROR replies and refused keys.");
    wrp_buf_printf (b, "wrp_monitor_errors_total %" PRIu64 "\n", m->errors);
}

char *
wrp_render_prometheus (const wrp_render_view_t *view)
{
    assert (view);
    wrp_buf_t b = {0};
    s_prom_agents (&b, view);
    s_prom_states (&b, view);
    s_prom_field (&b, view, "wrp_runtime_uptime_seconds", "gauge",
                  "Seconds since the runtime was started.", WRP_F_UPTIME_MS, 1000.0);
    s_prom_field (&b, view, "wrp_runtime_starts_total", "counter",
                  "Runtimes this node's agent has started.", WRP_F_STARTS, 1);
    s_prom_field (&b, view, "wrp_config_generation", "gauge",
                  "Generation of the config the node's runtime was started with.",
                  WRP_F_GENERATION, 1);
    s_prom_head (&b, "wrp_config_stale", "gauge",
                 "1 when the node's runtime runs another config than start would push.");
    for (size_t i = 0; i < view->count; i++)
        if (view->nodes[i].reachable && view->nodes[i].stale) {
            s_prom_host (&b, "wrp_config_stale", view->nodes[i].host);
            wrp_buf_printf (&b, "} %d\n", view->nodes[i].stale > 0);
        }
    s_prom_shm (&b, view);
    s_prom_field (&b, view, "wrp_runtime_pid", "gauge", "Process id of the runtime.",
                  WRP_F_PID, 1);
    s_prom_field (&b, view, "wrp_runtime_exit_code", "gauge",
                  "Exit status of the failed runtime.", WRP_F_EXIT_CODE, 1);
    s_prom_more (&b, view);
    if (view->updated_at > 0) {
        s_prom_head (&b, "wrp_last_poll_timestamp_seconds", "gauge",
                     "When wrp-controller monitor last polled the agents (Unix time).");
        wrp_buf_printf (&b, "wrp_last_poll_timestamp_seconds %.3f\n", view->updated_at);
    }
    if (view->monitor)
        s_prom_monitor (&b, view);
    return wrp_buf_finish (&b, NULL);
}
