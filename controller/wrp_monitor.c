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

#include "wrp_buf.h"
#include "wrp_client.h"
#include "wrp_file.h"
#include "wrp_http.h"
#include "wrp_json.h"
#include "wrp_lifecycle.h"
#include "wrp_log.h"
#include "wrp_msg.h"
#include "wrp_render.h"
#include "wrp_render_html.h"

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
    double changed_at;        //  wall clock of the last change we reported (0: none)
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
    const char *state = status ? wrp_msg_str (status, WRP_F_STATE) : NULL;
    char buf[1024];
    if (!state)
        snprintf (buf, sizeof buf, "runtime state unknown");
    else if (!strcmp (state, WRP_STATE_FAILED)) {
        char *how = wrp_render_failure (status);
        snprintf (buf, sizeof buf, "runtime failed%s%s", how ? ": " : "", how ? how : "");
        free (how);
    } else {
        int64_t pid;
        if (wrp_msg_int (status, WRP_F_PID, &pid) == 0 &&
            strcmp (state, WRP_STATE_STOPPED))
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
    const char *s0 = before ? wrp_msg_str (before, WRP_F_STATE) : NULL;
    const char *s1 = after ? wrp_msg_str (after, WRP_F_STATE) : NULL;
    int64_t pid0 = -1, pid1 = -1, starts0 = -1, starts1 = -1;
    if (before)
        wrp_msg_int (before, WRP_F_PID, &pid0);
    if (after)
        wrp_msg_int (after, WRP_F_PID, &pid1);
    if (before)
        wrp_msg_int (before, WRP_F_STARTS, &starts0);
    if (after)
        wrp_msg_int (after, WRP_F_STARTS, &starts1);
    bool same_state = (s0 && s1 && !strcmp (s0, s1)) || (!s0 && !s1);
    if (same_state && pid0 == pid1 && starts0 == starts1)
        return NULL;
    if (same_state && s1 && !strcmp (s1, WRP_STATE_RUNNING) && pid0 != pid1) {
        char buf[128];
        snprintf (buf, sizeof buf, "runtime restarted (pid %" PRId64 " -> %" PRId64 ")",
                  pid0, pid1);
        return strdup (buf);
    }
    if (same_state && s1 && !strcmp (s1, WRP_STATE_FAILED) && starts0 != starts1)
        return s_describe_runtime (after);    //  failed again
    if (same_state)
        return NULL;
    return s_describe_runtime (after);
}

typedef struct {
    wrp_plan_t *plan;              //  borrowed
    wrp_transport_t *transport;    //  the control channel
    wrp_client_t *client;          //  connections
    wrp_http_t *http;              //  --listen (NULL: none)
    s_node_t *nodes;               //  one per host
    size_t count;                  //  hosts
    int interval_ms;               //  poll period
    int64_t down_after;            //  an agent silent this long (ms) is down
    int64_t start;                 //  monotonic ms at start
    int64_t initial_by;            //  the initial view waits for everybody, or this long
    bool initial_done;             //  the initial line is printed
    int64_t next_poll;             //  monotonic ms of the next poll
    char id_base[WRP_MSG_MAX_ID + 1];    //  request ids: mon-BASE-ROUND
    int64_t poll_sent;                   //  monotonic ms of the last poll
    int64_t round_max;                   //  slowest reply to the last poll, ms
    wrp_render_monitor_t counters;       //  for /metrics
    bool dirty;                          //  a change not published yet
    int64_t published;                   //  monotonic ms of the last publish
} s_monitor_t;

//  Changes reach the HTTP documents at most this often (ms); polls always.
#define S_PUBLISH_GAP 50

static void
s_line (s_monitor_t *self, const char *host, const char *event, const char *text)
{
    char when[64];
    s_iso_now (when, sizeof when);
    if (self->plan->format == WRP_FORMAT_JSON) {
        //  One JSON object per line (JSON Lines).
        wrp_buf_t b = {0};
        wrp_buf_printf (&b, "{\"time\":\"%s\",\"event\":\"%s\",\"host\":", when, event);
        wrp_json_string (&b, host);
        wrp_buf_str (&b, ",\"text\":");
        wrp_json_string (&b, text);
        wrp_buf_str (&b, "}");
        char *line = wrp_buf_finish (&b, NULL);
        if (line)
            puts (line);
        free (line);
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

//  A change on node index: its line, its time, a publish soon.
static void
s_event (s_monitor_t *self, size_t index, const char *event, const char *text)
{
    s_line (self, wrp_client_node (self->client, index)->host, event, text);
    self->nodes[index].changed_at = wrp_client_now ();
    self->dirty = true;
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
        nodes[i].changed_at = n->changed_at;
        if (!n->up)
            nodes[i].error = n->last_reply_ms ? "agent not answering" : "no reply yet";
    }
    return nodes;
}

//  Write the file into place; a warning when it cannot be.
static void
s_write_file (const char *path, char *text)
{
    char *err = NULL;
    if (text && wrp_file_write_atomic (path, text, strlen (text), 0644, &err) != 0) {
        wrp_warning ("%s", err ? err : "cannot write a view file");
        free (err);
    }
}

//  The view to the files and the HTTP server. polled: after a poll (for
//  /healthz), else after a change.
static void
s_publish (s_monitor_t *self, bool polled)
{
    wrp_plan_t *plan = self->plan;
    self->dirty = false;
    self->published = zclock_mono ();
    if (!plan->write_json && !plan->textfile_dir && !self->http)
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
        .monitor = &self->counters,
    };
    char *json = wrp_render_json (&view);
    char *prom = wrp_render_prometheus (&view);
    if (plan->write_json)
        s_write_file (plan->write_json, json);
    if (plan->textfile_dir) {
        char path[4096];
        snprintf (path, sizeof path, "%s/wrp.prom", plan->textfile_dir);
        s_write_file (path, prom);
    }
    if (self->http) {
        char *html = wrp_render_html (&view, self->interval_ms, WRP_HTTP_AGE_MARK);
        wrp_http_publish (self->http, prom, json, html, view.updated_at,
                          polled ? self->poll_sent : 0);
    } else {
        free (json);
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
        const char *state =
            n->up && n->status ? wrp_msg_str (n->status, WRP_F_STATE) : NULL;
        if (n->up)
            up++;
        else if (strlen (down_list) + strlen (host) + 3 < 200)
            snprintf (down_list + strlen (down_list),
                      sizeof down_list - strlen (down_list), "%s%s",
                      *down_list ? ", " : "", host);
        else
            down_more++;
        if (state && !strcmp (state, WRP_STATE_RUNNING))
            running++;
        if (state && !strcmp (state, WRP_STATE_FAILED)) {
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
                  "monitoring %zu node%s every %.3g s: %zu up, %zu running, %zu failed",
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

//  Send STATUS to every agent without one outstanding; say once why an
//  agent refuses our key; then publish the view.
static void
s_poll (s_monitor_t *self, int64_t now)
{
    char id[WRP_MSG_MAX_ID + 1];
    snprintf (id, sizeof id, "mon-%.16s-%" PRIu64, self->id_base, self->counters.polls++);
    wrp_msg_t *status = wrp_msg_new (WRP_CMD_STATUS, id);
    for (size_t i = 0; status && i < self->count; i++) {
        s_node_t *n = &self->nodes[i];
        //  One STATUS outstanding per node, re-sent if it may be lost.
        if (n->sent_ms && now - n->sent_ms < self->down_after)
            continue;
        if (wrp_client_send (self->client, i, status) == 0)
            n->sent_ms = now;
    }
    wrp_msg_destroy (&status);
    for (size_t i = 0; i < self->count; i++) {
        s_node_t *n = &self->nodes[i];
        char *reason = NULL;
        if (n->up || n->auth_reported ||
            wrp_client_auth_failed (self->client, i, &reason) != 1)
            continue;
        s_event (self, i, "denied", reason ? reason : "not authorized");
        free (reason);
        n->auth_reported = true;
        self->counters.errors++;
    }
    self->counters.poll_duration_s = (double) self->round_max / 1000.0;
    self->round_max = 0;
    self->poll_sent = now;
    if (self->initial_done)
        s_publish (self, true);
    self->next_poll += self->interval_ms;
    if (self->next_poll <= now)
        self->next_poll = now + self->interval_ms;
}

//  Agents silent for down_after are down. Lowers *wake to the next time
//  one may be.
static void
s_check_silent (s_monitor_t *self, int64_t now, int64_t *wake)
{
    for (size_t i = 0; i < self->count; i++) {
        s_node_t *n = &self->nodes[i];
        int64_t since = n->last_reply_ms ? n->last_reply_ms : self->start;
        //  A closed connection (socket monitor) is down at once.
        wrp_transport_link_t link;
        bool closed = n->up && wrp_client_link (self->client, i, &link) == 0 &&
                      link.handshakes > 0 && !link.up;
        if (n->up && (closed || now - since >= self->down_after)) {
            n->up = false;
            char text[128];
            if (closed)
                snprintf (text, sizeof text, "agent down: connection closed");
            else
                snprintf (text, sizeof text, "agent down: no reply for %.1f s",
                          (double) (now - since) / 1000.0);
            s_event (self, i, "down", text);
            self->counters.errors++;
        } else if (n->up && since + self->down_after < *wake)
            *wake = since + self->down_after;
    }
}

//  The initial view, once every agent answered or initial_by passed.
//  Returns true when it was printed now.
static bool
s_check_initial (s_monitor_t *self, int64_t now, int64_t *wake)
{
    bool all = true;
    for (size_t i = 0; i < self->count; i++)
        if (!self->nodes[i].up)
            all = false;
    if (!all && now < self->initial_by) {
        if (self->initial_by < *wake)
            *wake = self->initial_by;
        return false;
    }
    for (size_t i = 0; i < self->count; i++)
        self->nodes[i].known = true;
    s_initial_line (self);
    self->initial_done = true;
    s_publish (self, true);
    return true;
}

//  A reply from node index: keep it, print what changed.
static void
s_on_reply (s_monitor_t *self, size_t index, wrp_msg_t *msg)
{
    s_node_t *n = &self->nodes[index];
    int64_t got = zclock_mono ();
    if (n->sent_ms) {
        n->rtt_ms = (double) (got - n->sent_ms);
        if (n->sent_ms >= self->poll_sent && got - self->poll_sent > self->round_max)
            self->round_max = got - self->poll_sent;
    }
    n->sent_ms = 0;
    n->last_reply_ms = got;
    n->last_seen = wrp_client_now ();
    if (wrp_msg_cmd (msg) != WRP_CMD_OK || !wrp_msg_has (msg, WRP_F_STATE)) {
        //  An ERROR to a STATUS: say it once, keep the node as it was.
        const char *code = wrp_msg_str (msg, WRP_F_CODE);
        const char *text = wrp_msg_str (msg, WRP_F_TEXT);
        char line[512];
        snprintf (line, sizeof line, "agent error: %s: %s", code ? code : "?",
                  text ? text : "");
        s_line (self, wrp_client_node (self->client, index)->host, "error", line);
        self->counters.errors++;
        wrp_msg_destroy (&msg);
        return;
    }
    if (!n->up && n->known) {
        n->up = true;
        char *what = s_describe_runtime (msg);
        char line[1200];
        snprintf (line, sizeof line, "agent up; %s", what ? what : "");
        free (what);
        s_event (self, index, "up", line);
    } else if (n->up && self->initial_done) {
        char *change = s_describe_change (n->status, msg);
        if (change) {
            const char *state = wrp_msg_str (msg, WRP_F_STATE);
            s_event (self, index, state ? state : "change", change);
            free (change);
        }
    }
    n->up = true;
    n->auth_reported = false;
    wrp_msg_destroy (&n->status);
    n->status = msg;
}

//  A dead agent seen at once: when the client tells that node index's TCP
//  connection closed, call this instead of waiting down_after.
//  (Hook for the client's connection events; see wrp_client.h.)
//
//  static void s_on_disconnect (s_monitor_t *self, size_t index);

static void
s_monitor_fini (s_monitor_t *self)
{
    for (size_t i = 0; self->nodes && i < self->count; i++)
        wrp_msg_destroy (&self->nodes[i].status);
    free (self->nodes);
    wrp_http_destroy (&self->http);
    wrp_client_destroy (&self->client);
    wrp_transport_destroy (&self->transport);
}

static int
s_monitor_init (s_monitor_t *self, wrp_plan_t *plan)
{
    *self = (s_monitor_t){.plan = plan, .count = plan->host_count};
    int64_t interval = plan->interval_ms ? plan->interval_ms
                       : plan->params
                           ? wrp_params_int (plan->params, "heartbeat_interval")
                           : 1000;
    self->interval_ms = interval < 10        ? 10
                        : interval > 3600000 ? 3600000
                                             : (int) interval;
    self->counters.interval_s = self->interval_ms / 1000.0;
    if (plan->listen) {
        wrp_http_config_t config = {.listen = plan->listen,
                                    .tls_cert = plan->tls_cert,
                                    .tls_key = plan->tls_key,
                                    .auth_file = plan->http_auth,
                                    .interval_ms = self->interval_ms};
        char *err = NULL;
        self->http = wrp_http_new (&config, &err);
        if (!self->http) {
            wrp_error ("%s", err ? err : "out of memory");
            free (err);
            return -1;
        }
    }
    self->transport = wrp_plan_transport (plan);
    if (!self->transport)
        return -1;
    self->client = wrp_client_new (self->transport, plan->hosts, plan->host_count,
                                   plan->security.insecure ? NULL : plan->agent_key_file);
    self->nodes = calloc (self->count ? self->count : 1, sizeof *self->nodes);
    if (!self->client || !self->nodes) {
        wrp_error ("out of memory");
        return -1;
    }
    for (size_t i = 0; i < self->count; i++)
        self->nodes[i].rtt_ms = -1;
    self->start = zclock_mono ();
    //  2.5 intervals, so a dead one shows within 3.
    self->down_after = self->interval_ms * 5 / 2;
    self->initial_by = self->start + (self->down_after > 1000 ? self->down_after : 1000);
    self->next_poll = self->start;
    wrp_msg_new_id (self->id_base);
    self->id_base[16] = '\0';
    return 0;
}

int
wrp_monitor_run (wrp_plan_t *plan)
{
    assert (plan);
    s_monitor_t self;
    if (s_monitor_init (&self, plan)) {
        s_monitor_fini (&self);
        return 1;
    }
    //  Our own handlers (after the sockets exist, so czmq's do not replace
    //  them): a flag, and zsys_interrupted so the poll returns.
    struct sigaction action, old_int, old_term;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, &old_int);
    sigaction (SIGTERM, &action, &old_term);
    s_stop = 0;

    while (!s_stop) {
        int64_t now = zclock_mono ();
        if (now >= self.next_poll)
            s_poll (&self, now);
        int64_t wake = self.next_poll;
        if (self.initial_done)
            s_check_silent (&self, now, &wake);
        else if (s_check_initial (&self, now, &wake))
            continue;
        if (self.initial_done && wake > now + S_LINK_CHECK_MS)
            wake = now + S_LINK_CHECK_MS;    //  look at the connections this often
        if (self.dirty && self.initial_done) {
            if (now - self.published >= S_PUBLISH_GAP)
                s_publish (&self, false);
            else if (self.published + S_PUBLISH_GAP < wake)
                wake = self.published + S_PUBLISH_GAP;
        }
        int wait_ms = (int) (wake - zclock_mono ());
        size_t index;
        wrp_msg_t *msg;
        if (wrp_client_recv (self.client, wait_ms < 0 ? 0 : wait_ms, &index, &msg) == 0)
            s_on_reply (&self, index, msg);
    }

    sigaction (SIGINT, &old_int, NULL);
    sigaction (SIGTERM, &old_term, NULL);
    zsys_interrupted = 0;
    s_publish (&self, false);
    s_monitor_fini (&self);
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
