/*  wrp_render_json — the per-node results as JSON (CONTRACT §6). See
    wrp_render_json.h. Every string goes through wrp_json_string.             */

#include "wrp_render_json.h"
#include "wrp_buf.h"
#include "wrp_json.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
s_json_number_or_null (wrp_buf_t *b, const wrp_msg_t *msg, const char *key)
{
    int64_t v;
    if (wrp_render_int (msg, key, &v))
        wrp_buf_printf (b, "%" PRId64, v);
    else
        wrp_buf_str (b, "null");
}

static void
s_iso_time (double t, char *buf, size_t size)
{
    time_t secs = (time_t) t;
    struct tm tm;
    gmtime_r (&secs, &tm);
    int ms = (int) ((t - (double) secs) * 1000);
    snprintf (buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
              ms < 0     ? 0
              : ms > 999 ? 999
                         : ms);
}

//  A "name\tbytes" list as [{"K1": name, "K2": bytes}, ...].
static void
s_json_pairs (wrp_buf_t *b, const char *list, const char *k1, const char *k2)
{
    wrp_buf_str (b, "[");
    bool first = true;
    for (const char *line = list; line && *line;) {
        const char *end = strchr (line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen (line);
        const char *tab = memchr (line, '\t', len);
        if (tab) {
            char *name = strndup (line, (size_t) (tab - line));
            uint64_t bytes = strtoull (tab + 1, NULL, 10);
            wrp_buf_printf (b, "%s{\"%s\":", first ? "" : ",", k1);
            wrp_json_string (b, name ? name : "");
            wrp_buf_printf (b, ",\"%s\":%" PRIu64 "}", k2, bytes);
            free (name);
            first = false;
        }
        line = end ? end + 1 : NULL;
    }
    wrp_buf_str (b, "]");
}

//  "runtime": the runtime's state and how it ran, or null.
static void
s_json_runtime (wrp_buf_t *b, const wrp_msg_t *st, const char *state)
{
    if (!state) {
        wrp_buf_str (b, ",\"runtime\":null");
        return;
    }
    int64_t v;
    wrp_buf_str (b, ",\"runtime\":{\"state\":");
    wrp_json_string (b, state);
    wrp_buf_str (b, ",\"pid\":");
    s_json_number_or_null (b, st, WRP_F_PID);
    wrp_buf_str (b, ",\"uptime_s\":");
    if (wrp_render_int (st, WRP_F_UPTIME_MS, &v))
        wrp_buf_printf (b, "%.3f", (double) v / 1000.0);
    else
        wrp_buf_str (b, "null");
    wrp_buf_str (b, ",\"exit_code\":");
    s_json_number_or_null (b, st, WRP_F_EXIT_CODE);
    wrp_buf_str (b, ",\"signal\":");
    if (wrp_render_signo (st, &v))
        wrp_buf_printf (b, "%" PRId64, v);
    else
        wrp_buf_str (b, "null");
    wrp_buf_printf (b, ",\"starts\":%" PRId64 "}",
                    wrp_render_int (st, WRP_F_STARTS, &v) ? v : 0);
}

//  "config": the pipeline, generation and hash the runtime was started
//  with, or null.
static void
s_json_config (wrp_buf_t *b, const wrp_msg_t *st, int stale)
{
    if (!st || !(wrp_msg_has (st, WRP_F_GENERATION) || wrp_msg_has (st, WRP_F_SHA256))) {
        wrp_buf_str (b, ",\"config\":null");
        return;
    }
    wrp_buf_str (b, ",\"config\":{\"pipeline\":");
    wrp_json_string (b, wrp_msg_str (st, WRP_F_PIPELINE));
    wrp_buf_str (b, ",\"generation\":");
    s_json_number_or_null (b, st, WRP_F_GENERATION);
    wrp_buf_str (b, ",\"sha256\":");
    wrp_json_string (b, wrp_msg_str (st, WRP_F_SHA256));
    wrp_buf_str (b, stale > 0   ? ",\"stale\":true}"
                    : stale < 0 ? ",\"stale\":false}"
                                : ",\"stale\":null}");
}

//  "error": what went wrong with the command or the node; for a failed
//  runtime, how it ended.
static void
s_json_error (wrp_buf_t *b, const wrp_render_node_t *node, const wrp_msg_t *st,
              const char *state)
{
    wrp_buf_str (b, ",\"error\":");
    if (node->error) {
        wrp_json_string (b, node->error);
        return;
    }
    char *failure =
        (state && !strcmp (state, WRP_STATE_FAILED)) ? wrp_render_failure (st) : NULL;
    wrp_json_string (b, failure);
    free (failure);
}

//  "output": the runtime's last lines, one string each.
static void
s_json_output (wrp_buf_t *b, const wrp_msg_t *st)
{
    const char *output = st ? wrp_msg_str (st, WRP_F_OUTPUT) : NULL;
    wrp_buf_str (b, ",\"output\":[");
    bool first = true;
    for (const char *line = output; line && *line;) {
        const char *end = strchr (line, '\n');
        char *one = end ? strndup (line, (size_t) (end - line)) : strdup (line);
        wrp_buf_str (b, first ? "" : ",");
        wrp_json_string (b, one ? one : "");
        free (one);
        first = false;
        line = end ? end + 1 : NULL;
    }
    wrp_buf_str (b, "]");
}

//  A wall-clock time as an ISO 8601 string, or null when unknown (0).
static void
s_json_time (wrp_buf_t *b, double t)
{
    if (t <= 0) {
        wrp_buf_str (b, "null");
        return;
    }
    char iso[80];
    s_iso_time (t, iso, sizeof iso);
    wrp_json_string (b, iso);
}

static void
s_json_node (wrp_buf_t *b, const wrp_render_view_t *view, const wrp_render_node_t *node)
{
    const wrp_msg_t *st = node->reachable ? node->status : NULL;
    const char *state = st ? wrp_msg_str (st, WRP_F_STATE) : NULL;
    wrp_buf_str (b, "{\"host\":");
    wrp_json_string (b, node->host);
    wrp_buf_printf (b,
                    ",\"reachable\":%s,\"rtt_ms\":", node->reachable ? "true" : "false");
    if (node->reachable && node->rtt_ms >= 0)
        wrp_buf_printf (b, "%.3f", node->rtt_ms);
    else
        wrp_buf_str (b, "null");
    wrp_buf_str (b, ",\"agent_version\":");
    wrp_json_string (b, st ? wrp_msg_str (st, WRP_F_AGENT_VERSION) : NULL);
    s_json_runtime (b, st, state);
    s_json_config (b, st, node->stale);
    wrp_buf_str (b, ",\"shm\":");
    s_json_pairs (b, st ? wrp_msg_str (st, WRP_F_SHM) : NULL, "name", "bytes");
    s_json_error (b, node, st, state);
    s_json_output (b, st);
    if (node->result) {
        wrp_buf_str (b, ",\"result\":");
        wrp_json_string (b, node->result);
    }
    if (node->removed) {
        wrp_buf_str (b, ",\"removed\":");
        s_json_pairs (b, node->removed, "path", "bytes");
    }
    if (view->updated_at > 0) {
        wrp_buf_str (b, ",\"last_seen\":");
        s_json_time (b, node->last_seen);
    }
    wrp_buf_str (b, "}");
}

char *
wrp_render_json (const wrp_render_view_t *view)
{
    assert (view);
    wrp_buf_t b = {0};
    wrp_render_summary_t sum;
    wrp_render_summarize (view, &sum);
    wrp_buf_str (&b, "{\"pipeline\":");
    wrp_json_string (&b, view->pipeline);
    wrp_buf_printf (&b, ",\"generation\":%" PRIu64 ",\"command\":", view->generation);
    wrp_json_string (&b, view->command ? view->command : "status");
    if (view->updated_at > 0) {
        wrp_buf_str (&b, ",\"updated_at\":");
        s_json_time (&b, view->updated_at);
    }
    wrp_buf_printf (&b,
                    ",\"summary\":{\"total\":%zu,\"reachable\":%zu,\"running\":%zu,"
                    "\"failed\":%zu,\"stale\":%zu},\"nodes\":[",
                    sum.total, sum.reachable, sum.running, sum.failed, sum.stale);
    for (size_t i = 0; i < view->count; i++) {
        wrp_buf_str (&b, i ? "," : "");
        s_json_node (&b, view, &view->nodes[i]);
    }
    wrp_buf_str (&b, "]}\n");
    return wrp_buf_finish (&b, NULL);
}
