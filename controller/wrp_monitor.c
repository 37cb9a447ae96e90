/*  wrp_monitor — poll every agent, print each change. See wrp_monitor.h.    */

#include "wrp_monitor.h"
#include "wrp_str.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wrp_client.h"
#include "wrp_file.h"
#include "wrp_lifecycle.h"
#include "wrp_log.h"
#include "wrp_msg.h"
#include "wrp_render.h"

//  How often the connections are looked at: a closed one is reported
//  within this time.
#define S_LINK_CHECK_MS 50

//  What the monitor remembers of one node.
typedef struct {
    bool known;               //  we have had an answer or declared it down
    bool up;                  //  the agent answers
    wrp_msg_t *status;        //  its last status reply (owned)
    int64_t last_reply_ms;    //  monotonic ms of its last reply (0: never)
    int64_t sent_ms;          //  monotonic ms of the outstanding STATUS (0: none)
    double rtt_ms;            //  round trip of the last reply; < 0 unknown
    double last_seen;         //  wall clock of the last reply
    bool auth_reported;       //  a refused handshake was printed
} s_node_t;

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signo)
{
    (void) signo;
    s_stop = 1;
    zsys_interrupted = 1;
}

static void
s_iso_now (char *buf, size_t size)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r (&ts.tv_sec, &tm);
    char base[32];
    strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buf, size, "%s.%03dZ", base, (int) (ts.tv_nsec / 1000000) % 1000);
}

//  The runtime part of a status in a few words: "running (pid 1234)",
//  "failed: killed by SIGSEGV | ...", "stopped". Caller frees.
static char *
s_describe_runtime (const wrp_msg_t *status)
{
    const char *state = status ? wrp_msg_str (status, "state") : NULL;
    char buf[1024];
    if (!state)
        snprintf (buf, sizeof buf, "runtime state unknown");
    else if (!strcmp (state, "failed")) {
        char *how = wrp_render_failure (status);
        snprintf (buf, sizeof buf, "runtime failed%s%s", how ? ": " : "", how ? how : "");
        free (how);
    } else {
        int64_t pid;
        if (wrp_msg_int (status, "pid", &pid) == 0 && strcmp (state, "stopped"))
            snprintf (buf, sizeof buf, "runtime %s (pid %" PRId64 ")", state, pid);
        else
            snprintf (buf, sizeof buf, "runtime %s", state);
    }
    return strdup (buf);
}

//  What changed between two status replies of one node, as a line's text;
//  NULL when nothing worth a line changed. Caller frees.
static char *
s_describe_change (const wrp_msg_t *before, const wrp_msg_t *after)
{
    const char *s0 = before ? wrp_msg_str (before, "state") : NULL;
    const char *s1 = after ? wrp_msg_str (after, "state") : NULL;
    int64_t pid0 = -1, pid1 = -1, starts0 = -1, starts1 = -1;
    if (before)
        wrp_msg_int (before, "pid", &pid0);
    if (after)
        wrp_msg_int (after, "pid", &pid1);
    if (before)
        wrp_msg_int (before, "starts", &starts0);
    if (after)
        wrp_msg_int (after, "starts", &starts1);
    bool same_state = (s0 && s1 && !strcmp (s0, s1)) || (!s0 && !s1);
    if (same_state && pid0 == pid1 && starts0 == starts1)
        return NULL;
    if (same_state && s1 && !strcmp (s1, "running") && pid0 != pid1) {
        char buf[128];
        snprintf (buf, sizeof buf, "runtime restarted (pid %" PRId64 " -> %" PRId64 ")",
                  pid0, pid1);
        return strdup (buf);
    }
    if (same_state && s1 && !strcmp (s1, "failed") && starts0 != starts1)
        return s_describe_runtime (after);    //  failed again
    if (same_state)
        return NULL;
    return s_describe_runtime (after);
}

typedef struct {
    wrp_plan_t *plan;        //  borrowed
    wrp_client_t *client;    //  connections
    s_node_t *nodes;         //  one per host
    size_t count;            //  hosts
    int interval_ms;         //  poll period
} s_monitor_t;

static void
s_line (s_monitor_t *self, const char *host, const char *event, const char *text)
{
    char when[64];
    s_iso_now (when, sizeof when);
    if (self->plan->format == WRP_FORMAT_JSON) {
        //  One JSON object per line (JSON Lines).
        printf ("{\"time\":\"%s\",\"event\":\"%s\",\"host\":", when, event);
        //  Hosts and texts go through a tiny escaper.
        const char *parts[2] = {host, text};
        for (int p = 0; p < 2; p++) {
            if (!parts[p])
                fputs ("null", stdout);
            else {
                putchar ('"');
                for (const unsigned char *c = (const unsigned char *) parts[p]; *c; c++) {
                    if (*c == '"' || *c == '\\')
                        printf ("\\%c", *c);
                    else if (*c < 0x20)
                        printf ("\\u%04x", *c);
                    else
                        putchar (*c);
                }
                putchar ('"');
            }
            if (p == 0)
                fputs (",\"text\":", stdout);
        }
        puts ("}");
    } else {
        //  The text holds what agents sent: never raw on a terminal.
        char *shown = wrp_str_escape (text, false);
        if (host)
            printf ("%s %s %s\n", when, host, shown ? shown : "?");
        else
            printf ("%s %s\n", when, shown ? shown : "?");
        free (shown);
    }
    fflush (stdout);
}

//  The current view for the renderers.
static wrp_render_node_t *
s_view_nodes (s_monitor_t *self)
{
    wrp_render_node_t *nodes = calloc (self->count ? self->count : 1, sizeof *nodes);
    if (!nodes)
        return NULL;
    for (size_t i = 0; i < self->count; i++) {
        s_node_t *n = &self->nodes[i];
        nodes[i].host = wrp_client_node (self->client, i)->host;
        nodes[i].reachable = n->up;
        nodes[i].rtt_ms = n->rtt_ms;
        nodes[i].status = n->status;
        nodes[i].last_seen = n->last_seen;
        if (!n->up)
            nodes[i].error = n->last_reply_ms ? "agent not answering" : "no reply yet";
    }
    return nodes;
}

static void
s_write_files (s_monitor_t *self)
{
    wrp_plan_t *plan = self->plan;
    if (!plan->write_json && !plan->textfile_dir)
        return;
    wrp_render_node_t *nodes = s_view_nodes (self);
    if (!nodes)
        return;
    wrp_render_view_t view = {
        .pipeline = plan->pipeline,
        .generation = plan->generation,
        .command = "monitor",
        .nodes = nodes,
        .count = self->count,
        .updated_at = wrp_client_now (),
    };
    char *err = NULL;
    if (plan->write_json) {
        char *json = wrp_render_json (&view);
        if (json && wrp_file_write_atomic (plan->write_json, json, strlen (json), 0644,
                                           &err) != 0) {
            wrp_warning ("%s", err ? err : "cannot write the JSON file");
            free (err);
            err = NULL;
        }
        free (json);
    }
    if (plan->textfile_dir) {
        char path[4096];
        snprintf (path, sizeof path, "%s/wrp.prom", plan->textfile_dir);
        char *prom = wrp_render_prometheus (&view);
        if (prom && wrp_file_write_atomic (path, prom, strlen (prom), 0644, &err) != 0) {
            wrp_warning ("%s", err ? err : "cannot write the textfile");
            free (err);
        }
        free (prom);
    }
    free (nodes);
}

static void
s_initial_line (s_monitor_t *self)
{
    size_t up = 0, running = 0, failed = 0;
    char down_list[256] = "", failed_list[256] = "";
    size_t down_more = 0, failed_more = 0;
    for (size_t i = 0; i < self->count; i++) {
        s_node_t *n = &self->nodes[i];
        const char *host = wrp_client_node (self->client, i)->host;
        const char *state = n->up && n->status ? wrp_msg_str (n->status, "state") : NULL;
        if (n->up)
            up++;
        else if (strlen (down_list) + strlen (host) + 3 < 200)
            snprintf (down_list + strlen (down_list),
                      sizeof down_list - strlen (down_list), "%s%s",
                      *down_list ? ", " : "", host);
        else
            down_more++;
        if (state && !strcmp (state, "running"))
            running++;
        if (state && !strcmp (state, "failed")) {
            failed++;
            if (strlen (failed_list) + strlen (host) + 3 < 200)
                snprintf (failed_list + strlen (failed_list),
                          sizeof failed_list - strlen (failed_list), "%s%s",
                          *failed_list ? ", " : "", host);
            else
                failed_more++;
        }
    }
    char text[1024];
    int len =
        snprintf (text, sizeof text,
                  "monitoring %zu node%s every %.1f s: %zu up, %zu running, %zu failed",
                  self->count, self->count == 1 ? "" : "s", self->interval_ms / 1000.0,
                  up, running, failed);
    if (*down_list && len > 0 && (size_t) len < sizeof text)
        len += snprintf (text + len, sizeof text - (size_t) len, "; down: %s%s",
                         down_list, down_more ? ", ..." : "");
    if (*failed_list && len > 0 && (size_t) len < sizeof text)
        snprintf (text + len, sizeof text - (size_t) len, "; failed: %s%s", failed_list,
                  failed_more ? ", ..." : "");
    s_line (self, NULL, "initial", text);
}

int
wrp_monitor_run (wrp_plan_t *plan)
{
    assert (plan);
    wrp_transport_t *transport = wrp_plan_transport (plan);
    if (!transport)
        return 1;
    s_monitor_t self = {.plan = plan, .count = plan->host_count};
    int64_t interval =
        plan->params ? wrp_params_int (plan->params, "heartbeat_interval") : 1000;
    self.interval_ms = interval < 10 ? 10 : interval > 3600000 ? 3600000 : (int) interval;
    self.client = wrp_client_new (transport, plan->hosts, plan->host_count,
                                  plan->security.insecure ? NULL : plan->agent_key_file);
    self.nodes = calloc (self.count ? self.count : 1, sizeof *self.nodes);
    if (!self.client || !self.nodes) {
        wrp_error ("out of memory");
        wrp_client_destroy (&self.client);
        free (self.nodes);
        wrp_transport_destroy (&transport);
        return 1;
    }
    for (size_t i = 0; i < self.count; i++)
        self.nodes[i].rtt_ms = -1;

    //  Our own handlers (after the sockets exist, so czmq's do not replace
    //  them): a flag, and zsys_interrupted so the poll returns.
    struct sigaction action, old_int, old_term;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, &old_int);
    sigaction (SIGTERM, &action, &old_term);
    s_stop = 0;

    int64_t start = zclock_mono ();
    //  An agent silent this long is down: 2.5 intervals, so a dead one
    //  shows within 3.
    int64_t down_after = self.interval_ms * 5 / 2;
    //  The initial view waits for everybody, or this long.
    int64_t initial_by = start + (down_after > 1000 ? down_after : 1000);
    bool initial_done = false;
    int64_t next_poll = start;
    uint64_t round = 0;
    char id_base[WRP_MSG_MAX_ID + 1];
    wrp_msg_new_id (id_base);
    id_base[16] = '\0';

    while (!s_stop) {
        int64_t now = zclock_mono ();
        if (now >= next_poll) {
            char id[WRP_MSG_MAX_ID + 1];
            snprintf (id, sizeof id, "mon-%.16s-%" PRIu64, id_base, round++);
            wrp_msg_t *status = wrp_msg_new (WRP_CMD_STATUS, id);
            for (size_t i = 0; status && i < self.count; i++) {
                s_node_t *n = &self.nodes[i];
                //  One STATUS outstanding per node, re-sent if it may be lost.
                if (n->sent_ms && now - n->sent_ms < down_after)
                    continue;
                if (wrp_client_send (self.client, i, status) == 0)
                    n->sent_ms = now;
            }
            wrp_msg_destroy (&status);
            //  Agents refusing our key never answer: say why, once.
            for (size_t i = 0; i < self.count; i++) {
                s_node_t *n = &self.nodes[i];
                char *reason = NULL;
                if (n->up || n->auth_reported ||
                    wrp_client_auth_failed (self.client, i, &reason) != 1)
                    continue;
                s_line (&self, wrp_client_node (self.client, i)->host, "denied",
                        reason ? reason : "not authorized");
                free (reason);
                n->auth_reported = true;
            }
            if (initial_done)
                s_write_files (&self);
            next_poll += self.interval_ms;
            if (next_poll <= now)
                next_poll = now + self.interval_ms;
        }
        //  Silent agents.
        int64_t wake = next_poll;
        if (initial_done) {
            for (size_t i = 0; i < self.count; i++) {
                s_node_t *n = &self.nodes[i];
                int64_t since = n->last_reply_ms ? n->last_reply_ms : start;
                //  A closed connection (socket monitor) is down at once.
                wrp_transport_link_t link;
                bool closed = n->up && wrp_client_link (self.client, i, &link) == 0 &&
                              link.handshakes > 0 && !link.up;
                if (n->up && (closed || now - since >= down_after)) {
                    n->up = false;
                    char text[128];
                    if (closed)
                        snprintf (text, sizeof text, "agent down: connection closed");
                    else
                        snprintf (text, sizeof text, "agent down: no reply for %.1f s",
                                  (double) (now - since) / 1000.0);
                    s_line (&self, wrp_client_node (self.client, i)->host, "down", text);
                } else if (n->up && since + down_after < wake)
                    wake = since + down_after;
            }
        } else {
            bool all = true;
            for (size_t i = 0; i < self.count; i++)
                if (!self.nodes[i].up)
                    all = false;
            if (all || now >= initial_by) {
                for (size_t i = 0; i < self.count; i++)
                    self.nodes[i].known = true;
                s_initial_line (&self);
                initial_done = true;
                s_write_files (&self);
                continue;
            }
            if (initial_by < wake)
                wake = initial_by;
        }
        if (initial_done && wake > now + S_LINK_CHECK_MS)
            wake = now + S_LINK_CHECK_MS;    //  look at the connections this often
        int wait_ms = (int) (wake - zclock_mono ());
        if (wait_ms < 0)
            wait_ms = 0;
        size_t index;
        wrp_msg_t *msg;
        if (wrp_client_recv (self.client, wait_ms, &index, &msg) != 0)
            continue;
        s_node_t *n = &self.nodes[index];
        const char *host = wrp_client_node (self.client, index)->host;
        int64_t got = zclock_mono ();
        if (n->sent_ms)
            n->rtt_ms = (double) (got - n->sent_ms);
        n->sent_ms = 0;
        n->last_reply_ms = got;
        n->last_seen = wrp_client_now ();
        if (wrp_msg_cmd (msg) != WRP_CMD_OK || !wrp_msg_has (msg, "state")) {
            //  An ERROR to a STATUS: say it once, keep the node as it was.
            const char *code = wrp_msg_str (msg, "code");
            const char *text = wrp_msg_str (msg, "text");
            char line[512];
            snprintf (line, sizeof line, "agent error: %s: %s", code ? code : "?",
                      text ? text : "");
            s_line (&self, host, "error", line);
            wrp_msg_destroy (&msg);
            continue;
        }
        if (!n->up && n->known) {
            n->up = true;
            char *what = s_describe_runtime (msg);
            char line[1200];
            snprintf (line, sizeof line, "agent up; %s", what ? what : "");
            free (what);
            s_line (&self, host, "up", line);
        } else if (n->up && initial_done) {
            char *change = s_describe_change (n->status, msg);
            if (change) {
                const char *state = wrp_msg_str (msg, "state");
                s_line (&self, host, state ? state : "change", change);
                free (change);
            }
        }
        n->up = true;
        n->auth_reported = false;
        wrp_msg_destroy (&n->status);
        n->status = msg;
    }

    sigaction (SIGINT, &old_int, NULL);
    sigaction (SIGTERM, &old_term, NULL);
    zsys_interrupted = 0;
    s_write_files (&self);
    for (size_t i = 0; i < self.count; i++)
        wrp_msg_destroy (&self.nodes[i].status);
    free (self.nodes);
    wrp_client_destroy (&self.client);
    wrp_transport_destroy (&transport);
    return 0;
}

//  --------------------------------------------------------------------------

void
wrp_monitor_test (bool verbose)
{
    wrp_msg_t *running = wrp_msg_new (WRP_CMD_OK, "x");
    wrp_msg_set_str (running, "state", "running");
    wrp_msg_set_int (running, "pid", 100);
    wrp_msg_set_int (running, "starts", 1);
    wrp_msg_t *same = wrp_msg_dup (running);
    wrp_msg_set_int (same, "uptime_ms", 5000);
    wrp_msg_t *restarted = wrp_msg_dup (running);
    wrp_msg_set_int (restarted, "pid", 200);
    wrp_msg_set_int (restarted, "starts", 2);
    wrp_msg_t *failed = wrp_msg_new (WRP_CMD_OK, "x");
    wrp_msg_set_str (failed, "state", "failed");
    wrp_msg_set_int (failed, "signal", 11);
    wrp_msg_set_int (failed, "starts", 1);

    assert (s_describe_change (running, same) == NULL);
    char *text = s_describe_change (running, restarted);
    assert (text && strstr (text, "restarted (pid 100 -> 200)"));
    free (text);
    text = s_describe_change (running, failed);
    if (verbose)
        printf ("%s\n", text);
    assert (text && strstr (text, "runtime failed: killed by SIGSEGV"));
    free (text);
    text = s_describe_change (NULL, running);
    assert (text && !strcmp (text, "runtime running (pid 100)"));
    free (text);

    wrp_msg_destroy (&running);
    wrp_msg_destroy (&same);
    wrp_msg_destroy (&restarted);
    wrp_msg_destroy (&failed);
}
