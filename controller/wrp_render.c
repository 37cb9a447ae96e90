/*  wrp_render — the view of per-node results and what its three renderers
    share (wrp_render_table, wrp_render_json, wrp_render_prom): the
    summary, reading the status fields, human forms. See wrp_render.h.       */

#include "wrp_render.h"
#include "wrp_buf.h"
#include "wrp_output.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --------------------------------------------------------------------------
//  Reading the status fields.

const char *
wrp_render_state (const wrp_render_node_t *node)
{
    if (!node->status)
        return NULL;
    return wrp_msg_str (node->status, WRP_F_STATE);
}

bool
wrp_render_int (const wrp_msg_t *msg, const char *key, int64_t *ret_value)
{
    return msg && wrp_msg_int (msg, key, ret_value) == 0;
}

//  The signal as a number; the agent sends a number, a name is accepted.
bool
wrp_render_signo (const wrp_msg_t *msg, int64_t *ret_signo)
{
    if (!msg)
        return false;
    if (wrp_msg_int (msg, WRP_F_SIGNAL, ret_signo) == 0)
        return true;
    const char *name = wrp_msg_str (msg, WRP_F_SIGNAL);
    if (!name)
        return false;
    if (!strncmp (name, "SIG", 3))
        name += 3;
    for (int signo = 1; signo < SIGRTMIN; signo++) {
        const char *abbrev = sigabbrev_np (signo);
        if (abbrev && !strcmp (name, abbrev)) {
            *ret_signo = signo;
            return true;
        }
    }
    return false;
}

void
wrp_render_bytes (uint64_t bytes, char *buf, size_t size)
{
    static const char units[] = "KMGTPE";
    if (bytes < 1024) {
        snprintf (buf, size, "%" PRIu64, bytes);
        return;
    }
    double value = (double) bytes;
    int unit = -1;
    while (value >= 1024 && unit < 5) {
        value /= 1024;
        unit++;
    }
    if (value < 10 && fabs (value - round (value)) > 0.05)
        snprintf (buf, size, "%.1f%c", value, units[unit]);
    else
        snprintf (buf, size, "%.0f%c", value, units[unit]);
}

void
wrp_render_duration (double seconds, char *buf, size_t size)
{
    if (seconds < 0)
        seconds = 0;
    uint64_t s = (uint64_t) seconds;
    if (s < 60)
        snprintf (buf, size, "%" PRIu64 "s", s);
    else if (s < 3600)
        snprintf (buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    else if (s < 86400)
        snprintf (buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
    else
        snprintf (buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
}

void
wrp_render_signal (int64_t signo, char *buf, size_t size)
{
    const char *abbrev =
        signo > 0 && signo < SIGRTMIN ? sigabbrev_np ((int) signo) : NULL;
    if (abbrev)
        snprintf (buf, size, "SIG%s", abbrev);
    else
        snprintf (buf, size, "signal %" PRId64, signo);
}

char *
wrp_render_failure (const wrp_msg_t *status)
{
    if (!status)
        return NULL;
    //  How it ended, in our words (unless the agent's text already says it
    //  in the same words), then the agent's text, then the runtime's most
    //  telling output line when one looks like an error.
    char how[96] = "";
    int64_t code, signo;
    if (wrp_render_signo (status, &signo)) {
        char name[32];
        wrp_render_signal (signo, name, sizeof name);
        snprintf (how, sizeof how, "killed by %s", name);
    } else if (wrp_render_int (status, WRP_F_EXIT_CODE, &code))
        snprintf (how, sizeof how, "exited with code %" PRId64, code);
    wrp_buf_t b = {0};
    const char *error = wrp_msg_str (status, WRP_F_ERROR);
    if (*how && !(error && strstr (error, how)))
        wrp_buf_str (&b, how);
    if (error && *error)
        wrp_buf_printf (&b, "%s%s", b.size ? ": " : "", error);
    char line[512];
    if (wrp_output_reason (wrp_msg_str (status, WRP_F_OUTPUT), false, line,
                           sizeof line) &&
        !(error && strstr (error, line)))
        wrp_buf_printf (&b, "%s%s", b.size ? " | " : "", line);
    if (b.size == 0) {
        free (b.data);
        return NULL;
    }
    return wrp_buf_finish (&b, NULL);
}

bool
wrp_render_node_failing (const wrp_render_node_t *node)
{
    if (!node->reachable || node->error)
        return true;
    if (node->result && strcmp (node->result, "ok"))
        return true;
    const char *state = wrp_render_state (node);
    return state && !strcmp (state, WRP_STATE_FAILED);
}

void
wrp_render_summarize (const wrp_render_view_t *view, wrp_render_summary_t *ret_summary)
{
    wrp_render_summary_t sum = {.total = view->count};
    for (size_t i = 0; i < view->count; i++) {
        const wrp_render_node_t *node = &view->nodes[i];
        const char *state = node->reachable ? wrp_render_state (node) : NULL;
        if (node->reachable)
            sum.reachable++;
        if (state && !strcmp (state, WRP_STATE_RUNNING))
            sum.running++;
        if (state && !strcmp (state, WRP_STATE_FAILED))
            sum.failed++;
        if (!node->reachable || (node->result && strcmp (node->result, "ok")) ||
            (!node->result && node->error))
            sum.errors++;
        if (node->reachable && node->stale > 0)
            sum.stale++;
    }
    *ret_summary = sum;
}

void
wrp_render_summary_line (const wrp_render_view_t *view, wrp_buf_t *b)
{
    wrp_render_summary_t sum;
    wrp_render_summarize (view, &sum);
    wrp_buf_printf (b, "%zu node%s: %zu reachable, %zu running", sum.total,
                    sum.total == 1 ? "" : "s", sum.reachable, sum.running);
    if (sum.failed)
        wrp_buf_printf (b, ", %zu failed", sum.failed);
    if (sum.stale)
        wrp_buf_printf (b, ", %zu stale (not the config start would push)", sum.stale);
    if (view->command && strcmp (view->command, "status")) {
        if (sum.errors)
            wrp_buf_printf (b, "; %s did not succeed on %zu of %zu", view->command,
                            sum.errors, sum.total);
        else
            wrp_buf_printf (b, "; %s done on all", view->command);
    } else if (sum.total > sum.reachable)
        wrp_buf_printf (b, "; %zu not answering", sum.total - sum.reachable);
    wrp_buf_str (b, "\n");
}

//  --------------------------------------------------------------------------
//  Self test: the view helpers, and the three renderers over one sample view

void
wrp_render_test (bool verbose)
{
    char buf[64];
    wrp_render_bytes (1073741824, buf, sizeof buf);
    assert (!strcmp (buf, "1G"));
    wrp_render_bytes (1073741824 + 536870912, buf, sizeof buf);
    assert (!strcmp (buf, "1.5G"));
    wrp_render_bytes (1000, buf, sizeof buf);
    assert (!strcmp (buf, "1000"));
    wrp_render_duration (184, buf, sizeof buf);
    assert (!strcmp (buf, "3m04s"));
    wrp_render_duration (7500, buf, sizeof buf);
    assert (!strcmp (buf, "2h05m"));
    wrp_render_signal (11, buf, sizeof buf);
    assert (!strcmp (buf, "SIGSEGV"));
    wrp_render_signal (99, buf, sizeof buf);
    assert (!strcmp (buf, "signal 99"));
    wrp_msg_t *killed = wrp_msg_new (WRP_CMD_OK, "k");
    int64_t signo = 0;
    wrp_msg_set_str (killed, WRP_F_SIGNAL, "SIGTERM");
    assert (wrp_render_signo (killed, &signo) && signo == SIGTERM);
    wrp_msg_set_str (killed, WRP_F_SIGNAL, "KILL");
    assert (wrp_render_signo (killed, &signo) && signo == SIGKILL);
    wrp_msg_set_str (killed, WRP_F_SIGNAL, "SIGNOPE");
    assert (!wrp_render_signo (killed, &signo));
    wrp_msg_destroy (&killed);

    wrp_msg_t *running = wrp_msg_new (WRP_CMD_OK, "a1");
    wrp_msg_set_str (running, WRP_F_STATE, WRP_STATE_RUNNING);
    wrp_msg_set_int (running, WRP_F_PID, 4242);
    wrp_msg_set_int (running, WRP_F_UPTIME_MS, 12500);
    wrp_msg_set_int (running, WRP_F_STARTS, 1);
    wrp_msg_set_int (running, WRP_F_GENERATION, 3);
    wrp_msg_set_str (running, WRP_F_SHA256, "ab12");
    wrp_msg_set_str (running, WRP_F_SHM,
                     "chi_main_segment_root\t1073758208\nchi_x\t16\n");
    wrp_msg_t *failed = wrp_msg_new (WRP_CMD_OK, "a1");
    wrp_msg_set_str (failed, WRP_F_STATE, WRP_STATE_FAILED);
    wrp_msg_set_int (failed, WRP_F_EXIT_CODE, 1);
    wrp_msg_set_str (failed, WRP_F_ERROR, "the runtime exited with code 1");
    wrp_msg_set_str (failed, WRP_F_OUTPUT,
                     "starting\nFATAL: cannot parse \"port\"\nbye\n");

    wrp_render_node_t nodes[3] = {
        {.host = "node01", .reachable = true, .rtt_ms = 0.42, .status = running},
        {.host = "node\"02\\", .reachable = true, .rtt_ms = 0.5, .status = failed},
        {.host = "node03",
         .reachable = false,
         .rtt_ms = -1,
         .error = "unreachable: no reply within 5.0 s"},
    };
    wrp_render_view_t view = {
        .pipeline = "basic",
        .generation = 3,
        .command = "status",
        .nodes = nodes,
        .count = 3,
    };
    wrp_render_summary_t sum;
    wrp_render_summarize (&view, &sum);
    assert (sum.total == 3 && sum.reachable == 2 && sum.running == 1 && sum.failed == 1);

    char *failure = wrp_render_failure (failed);
    assert (failure);
    assert (strstr (failure, "code 1"));
    assert (strstr (failure, "FATAL: cannot parse"));
    free (failure);

    char *table = wrp_render_table (&view);
    assert (table);
    if (verbose)
        printf ("\n%s", table);
    //  Failing nodes first, the healthy one last; a summary at the end.
    char *first_failing = strstr (table, "node\"02");
    char *healthy = strstr (table, "node01");
    assert (first_failing && healthy && first_failing < healthy);
    assert (strstr (table, "3 nodes: 2 reachable, 1 running, 1 failed"));
    assert (strstr (table, "FATAL: cannot parse"));
    assert (!strstr (table, "\033["));
    free (table);
    view.color = true;
    table = wrp_render_table (&view);
    assert (strstr (table, "\033[32mrunning\033[0m"));
    free (table);
    view.color = false;

    char *json = wrp_render_json (&view);
    assert (json);
    if (verbose)
        printf ("%s", json);
    assert (strstr (json, "\"summary\":{\"total\":3,\"reachable\":2,\"running\":1"));
    assert (strstr (json, "\"host\":\"node\\\"02\\\\\""));
    assert (strstr (
        json, "\"shm\":[{\"name\":\"chi_main_segment_root\",\"bytes\":1073758208}"));
    assert (strstr (json, "\"runtime\":null"));
    assert (strstr (json, "\"exit_code\":1"));
    free (json);

    char *prom = wrp_render_prometheus (&view);
    assert (prom);
    if (verbose)
        printf ("%s", prom);
    assert (strstr (prom, "wrp_agent_up{host=\"node01\"} 1\n"));
    assert (strstr (prom, "wrp_agent_up{host=\"node03\"} 0\n"));
    assert (strstr (prom, "wrp_agent_up{host=\"node\\\"02\\\\\"} 1\n"));
    assert (strstr (prom, "wrp_runtime_state{host=\"node01\",state=\"running\"} 1\n"));
    assert (strstr (prom, "wrp_runtime_state{host=\"node01\",state=\"failed\"} 0\n"));
    assert (strstr (prom, "wrp_shm_bytes{host=\"node01\",name=\"chi_x\"} 16\n"));
    assert (strstr (prom, "# TYPE wrp_runtime_starts_total counter\n"));
    assert (!strstr (prom, "wrp_last_poll_timestamp_seconds"));
    free (prom);
    view.updated_at = 1700000000.5;
    prom = wrp_render_prometheus (&view);
    assert (strstr (prom, "wrp_last_poll_timestamp_seconds 1700000000.500\n"));
    assert (strstr (prom, "wrp_runtime_pid{host=\"node01\"} 4242\n"));
    assert (strstr (prom, "wrp_runtime_exit_code{host=\"node\\\"02\\\\\"} 1\n"));
    assert (strstr (prom, "wrp_config_generation_wanted 3\n"));
    assert (!strstr (prom, "wrp_monitor_nodes"));
    free (prom);
    wrp_render_monitor_t counters = {.interval_s = 1, .polls = 7, .errors = 2};
    view.monitor = &counters;
    prom = wrp_render_prometheus (&view);
    assert (strstr (prom, "wrp_monitor_nodes{state=\"down\"} 1\n"));
    assert (strstr (prom, "wrp_monitor_nodes{state=\"failed\"} 1\n"));
    assert (strstr (prom, "wrp_monitor_polls_total 7\n"));
    free (prom);

    wrp_msg_destroy (&running);
    wrp_msg_destroy (&failed);
}
