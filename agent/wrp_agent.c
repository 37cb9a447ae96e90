/*  wrp_agent — the agent's server loop. See wrp_agent.h.                   */

#include "wrp_agent.h"

#include "wrp_log.h"
#include "wrp_names.h"
#include "wrp_store.h"
#include "wrp_str.h"
#include "wrp_transport.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define S_DROP_LOG_WINDOW_MS 10000    //  rate limit of "dropped" log lines:
#define S_DROP_LOG_MAX       5        //  at most this many per window
#define S_BATCH              64       //  messages read per wake-up at most

//  A lifecycle command waiting for its reply.
typedef struct {
    wrp_cmd_t cmd;                  //  START, STOP, KILL
    char id[WRP_MSG_MAX_ID + 1];    //  its id
    zlist_t *waiters;               //  routing ids (zframe_t *) to answer
} s_pending_t;

struct _wrp_agent_t {
    const wrp_agent_config_t *config;    //  borrowed
    wrp_transport_t *transport;          //  keys, zauth
    zsock_t *router;                     //  the bound ROUTER
    wrp_store_t *store;                  //  state and command record
    wrp_supervisor_t *supervisor;        //  the runtime
    int sigfd;                           //  SIGTERM, SIGINT, SIGCHLD
    s_pending_t *pending;                //  command in progress, NULL none
    zlist_t *preempted;                  //  commands a KILL took over (s_pending_t *)
    bool terminated;                     //  SIGTERM/SIGINT seen
    int64_t watchdog_ms;                 //  watchdog ping period, 0 none
    int64_t next_watchdog;               //  next ping (mono ms)
    int64_t drop_window;                 //  start of the current log window (mono ms)
    int drop_logged;                     //  drop lines logged in the window
    int drop_suppressed;                 //  drop lines not logged in the window
    char last_status[160];               //  last STATUS= sent to systemd
};

// ---------------------------------------------------------------------------
//  The decision (pure)

static bool
s_lifecycle (wrp_cmd_t cmd)
{
    return cmd == WRP_CMD_START || cmd == WRP_CMD_STOP || cmd == WRP_CMD_KILL ||
           cmd == WRP_CMD_CLEAN;
}

//  An ERROR reply with code and text.
static void
s_decide_refuse (wrp_agent_decision_t *ret, const char *code, const char *text)
{
    ret->action = WRP_DECIDE_REPLY;
    ret->code = code;
    snprintf (ret->text, sizeof ret->text, "%s", text ? text : "out of memory");
}

//  The optional timeout_ms of a lifecycle command. Returns 0 or -1 (refused).
static int
s_decide_timeout (wrp_agent_decision_t *ret)
{
    if (!wrp_msg_has (ret->msg, WRP_F_TIMEOUT_MS))
        return 0;
    int64_t timeout = 0;
    if (wrp_msg_int (ret->msg, WRP_F_TIMEOUT_MS, &timeout) || timeout < 1 ||
        timeout > WRP_TIMEOUT_MS_MAX) {
        ret->code = WRP_ERR_BAD_REQUEST;
        snprintf (ret->text, sizeof ret->text,
                  "%s: field '" WRP_F_TIMEOUT_MS "' must be an integer 1..%d",
                  wrp_msg_cmd_name (ret->cmd), WRP_TIMEOUT_MS_MAX);
        return -1;
    }
    ret->timeout_ms = (int) timeout;
    return 0;
}

//  The fields of START or CLEAN. Returns 0 or -1 (refused).
static int
s_decide_fields (wrp_agent_decision_t *ret)
{
    char *err = NULL;
    const char *code = NULL;
    if (ret->cmd == WRP_CMD_START &&
        wrp_start_req_parse (ret->msg, &ret->start, &code, &err)) {
        s_decide_refuse (ret, code, err);
        free (err);
        return -1;
    }
    if (ret->cmd == WRP_CMD_CLEAN && wrp_msg_has (ret->msg, WRP_F_PIPELINE)) {
        const char *name = wrp_msg_str (ret->msg, WRP_F_PIPELINE);
        if (wrp_names_check_pipeline (name, &err)) {
            char text[sizeof ret->text];
            snprintf (text, sizeof text, "CLEAN: %s", err ? err : "bad pipeline name");
            s_decide_refuse (ret, WRP_ERR_REFUSED, text);
            free (err);
            return -1;
        }
    }
    return 0;
}

void
wrp_agent_decide (const wrp_agent_view_t *view, wrp_msg_t *msg, wrp_agent_decision_t *ret)
{
    memset (ret, 0, sizeof *ret);
    ret->msg = msg;
    ret->cmd = wrp_msg_cmd (msg);
    snprintf (ret->id, sizeof ret->id, "%s", wrp_msg_id (msg));
    ret->action = WRP_DECIDE_REPLY;
    if (ret->cmd == WRP_CMD_STATUS)
        return;    //  an OK with the status fields
    if (ret->cmd == WRP_CMD_OK || ret->cmd == WRP_CMD_ERROR) {
        ret->action = WRP_DECIDE_DROP;
        return;
    }
    if (!s_lifecycle (ret->cmd)) {
        ret->code = WRP_ERR_BAD_REQUEST;
        snprintf (ret->text, sizeof ret->text, "%s is not a request",
                  wrp_msg_cmd_name (ret->cmd));
        return;
    }
    ret->recorded = view->lookup ? view->lookup (view->lookup_arg, ret->id) : NULL;
    if (ret->recorded) {
        ret->action = WRP_DECIDE_RECORDED;
        return;
    }
    if (view->pending_cmd != WRP_CMD_INVALID && view->pending_id &&
        !strcmp (view->pending_id, ret->id)) {
        ret->action = WRP_DECIDE_JOIN;
        return;
    }
    if (s_decide_timeout (ret) || s_decide_fields (ret))
        return;
    if (view->pending_cmd != WRP_CMD_INVALID && ret->cmd != WRP_CMD_KILL) {
        ret->code = WRP_ERR_BUSY;
        snprintf (ret->text, sizeof ret->text, "%s %s is in progress",
                  wrp_msg_cmd_name (view->pending_cmd),
                  view->pending_id ? view->pending_id : "");
        return;
    }
    ret->action = WRP_DECIDE_EXECUTE;
}

// ---------------------------------------------------------------------------
//  Loop helpers

//  The one place that talks to systemd; its return value does not matter
//  (no NOTIFY_SOCKET: not under systemd).
static void
s_notify (const char *format, ...)
{
    char text[256];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    (void) sd_notify (0, text);
}

static void
s_notify_status (wrp_agent_t *self)
{
    const wrp_store_state_t *rec = wrp_store_state (self->store);
    wrp_rt_state_t state = wrp_supervisor_state (self->supervisor);
    char status[160];
    if (state == WRP_RT_STOPPED)
        snprintf (status, sizeof status, "runtime stopped");
    else
        snprintf (status, sizeof status, "runtime %s%s%s",
                  wrp_supervisor_state_name (state),
                  rec->pipeline[0] ? ", pipeline " : "", rec->pipeline);
    if (strcmp (status, self->last_status)) {
        snprintf (self->last_status, sizeof self->last_status, "%s", status);
        s_notify ("STATUS=%s", status);
    }
}

static const wrp_msg_t *
s_lookup (void *arg, const char *id)
{
    return wrp_store_lookup ((wrp_store_t *) arg, id);
}

static void
s_pending_destroy (s_pending_t **pending_p)
{
    s_pending_t *pending = *pending_p;
    if (!pending)
        return;
    zframe_t *frame;
    while ((frame = (zframe_t *) zlist_pop (pending->waiters)))
        zframe_destroy (&frame);
    zlist_destroy (&pending->waiters);
    free (pending);
    *pending_p = NULL;
}

static s_pending_t *
s_pending_new (wrp_cmd_t cmd, const char *id)
{
    s_pending_t *pending = calloc (1, sizeof *pending);
    if (!pending)
        return NULL;
    pending->cmd = cmd;
    snprintf (pending->id, sizeof pending->id, "%s", id);
    pending->waiters = zlist_new ();
    if (!pending->waiters)
        s_pending_destroy (&pending);
    return pending;
}

static void
s_send (wrp_agent_t *self, const wrp_msg_t *reply, zframe_t *routing_id)
{
    if (wrp_msg_send (reply, self->router, routing_id))
        wrp_debug ("reply %s %s not delivered: %s",
                   wrp_msg_cmd_name (wrp_msg_cmd (reply)), wrp_msg_id (reply),
                   zmq_strerror (zmq_errno ()));
}

//  Builds a reply: OK (code NULL) or ERROR code/text, plus the status.
static wrp_msg_t *
s_reply_new (wrp_agent_t *self, const char *id, const char *code, const char *text)
{
    wrp_msg_t *reply = wrp_msg_new (code ? WRP_CMD_ERROR : WRP_CMD_OK, id);
    if (!reply)
        return NULL;
    if (code) {
        wrp_msg_set_str (reply, WRP_F_CODE, code);
        char *valid = text ? wrp_str_utf8 (text, strlen (text)) : NULL;
        wrp_msg_set_str (reply, WRP_F_TEXT, valid ? valid : code);
        free (valid);
    }
    wrp_supervisor_status (self->supervisor, reply);
    return reply;
}

//  Keeps the reply to a lifecycle command, so a repeat is answered from
//  the record. BUSY is not kept: that id may be tried again later.
static void
s_record (wrp_agent_t *self, wrp_cmd_t cmd, const wrp_msg_t *reply, const char *code)
{
    if (!s_lifecycle (cmd) || (code && !strcmp (code, WRP_ERR_BUSY)))
        return;
    char *err = NULL;
    if (wrp_store_record (self->store, reply, &err)) {
        wrp_error ("cannot record command %s: %s", wrp_msg_id (reply), err ? err : "?");
        free (err);
    }
}

static void
s_answer_pending (wrp_agent_t *self, s_pending_t *pending, const char *code,
                  const char *text)
{
    wrp_msg_t *reply = s_reply_new (self, pending->id, code, text);
    if (!reply)
        return;
    s_record (self, pending->cmd, reply, code);
    for (zframe_t *who = (zframe_t *) zlist_first (pending->waiters); who;
         who = (zframe_t *) zlist_next (pending->waiters))
        s_send (self, reply, who);
    wrp_info ("%s %s: %s%s%s", wrp_msg_cmd_name (pending->cmd), pending->id,
              code ? code : "OK", text ? ": " : "", text ? text : "");
    wrp_msg_destroy (&reply);
}

//  The supervisor finished an operation, or the state changed by itself.
static void
s_on_result (void *arg, const wrp_supervisor_result_t *result)
{
    wrp_agent_t *self = (wrp_agent_t *) arg;
    if (result && self->pending) {
        const char *code = result->ok ? NULL : result->code;
        s_answer_pending (self, self->pending, code, result->ok ? NULL : result->text);
        s_pending_destroy (&self->pending);
        //  Commands a KILL took over end with it.
        s_pending_t *old;
        while ((old = (s_pending_t *) zlist_pop (self->preempted))) {
            if (old->cmd == WRP_CMD_START)
                s_answer_pending (self, old, WRP_ERR_FAILED,
                                  "start interrupted by a KILL command");
            else
                s_answer_pending (self, old, code, result->ok ? NULL : result->text);
            s_pending_destroy (&old);
        }
    }
    s_notify_status (self);
}

static void
s_log_drop (wrp_agent_t *self, const char *why)
{
    int64_t now = zclock_mono ();
    if (now - self->drop_window >= S_DROP_LOG_WINDOW_MS) {
        if (self->drop_suppressed > 0)
            wrp_warning ("%d more bad messages dropped (not logged)",
                         self->drop_suppressed);
        self->drop_window = now;
        self->drop_logged = 0;
        self->drop_suppressed = 0;
    }
    if (self->drop_logged < S_DROP_LOG_MAX) {
        wrp_warning ("dropped a message: %s", why);
        self->drop_logged++;
    } else
        self->drop_suppressed++;
}

static void
s_reply_now (wrp_agent_t *self, zframe_t *who, wrp_cmd_t cmd, const char *id,
             const char *code, const char *text, const char *const *extra)
{
    wrp_msg_t *reply = s_reply_new (self, id, code, text);
    if (!reply)
        return;
    for (; extra && extra[0]; extra += 2)
        wrp_msg_set_str (reply, extra[0], extra[1]);
    s_record (self, cmd, reply, code);
    s_send (self, reply, who);
    if (cmd != WRP_CMD_STATUS)
        wrp_info ("%s %s: %s%s%s", wrp_msg_cmd_name (cmd), id, code ? code : "OK",
                  text ? ": " : "", text ? text : "");
    wrp_msg_destroy (&reply);
}

//  CLEAN is answered at once.
static void
s_execute_clean (wrp_agent_t *self, zframe_t *who, wrp_agent_decision_t *d)
{
    const char *code = NULL;
    char *removed = NULL, *kept = NULL, *err = NULL;
    const char *pipeline = wrp_msg_str (d->msg, WRP_F_PIPELINE);
    if (wrp_supervisor_clean (self->supervisor, pipeline, &removed, &kept, &code, &err) ==
        0) {
        const char *fields[] = {WRP_F_REMOVED, removed, *kept ? WRP_F_KEPT : NULL, kept,
                                NULL};
        s_reply_now (self, who, d->cmd, d->id, NULL, NULL, fields);
        if (*kept)
            wrp_warning ("CLEAN %s: left in the shm dir: %s", d->id, kept);
    } else
        s_reply_now (self, who, d->cmd, d->id, code, err, NULL);
    free (removed);
    free (kept);
    free (err);
}

static void
s_execute (wrp_agent_t *self, zframe_t *who, wrp_agent_decision_t *d)
{
    const char *code = NULL;
    char *text = NULL;
    int rc = 0;
    switch (d->cmd) {
    case WRP_CMD_START:
        rc = wrp_supervisor_start (self->supervisor, &d->start, &code, &text);
        if (rc == 1)
            s_reply_now (self, who, d->cmd, d->id, NULL, NULL,
                         (const char *const[]){WRP_F_NOOP, "1", NULL});
        else if (rc < 0)
            s_reply_now (self, who, d->cmd, d->id, code, text, NULL);
        break;
    case WRP_CMD_STOP:
        rc = wrp_supervisor_stop (self->supervisor, d->timeout_ms);
        if (rc == 1)
            s_reply_now (self, who, d->cmd, d->id, NULL, NULL, NULL);
        break;
    case WRP_CMD_KILL:
        if (self->pending) {
            wrp_info ("KILL %s preempts %s %s", d->id,
                      wrp_msg_cmd_name (self->pending->cmd), self->pending->id);
            zlist_append (self->preempted, self->pending);
            self->pending = NULL;
        }
        rc = wrp_supervisor_kill (self->supervisor, d->timeout_ms);
        if (rc == 1)
            s_reply_now (self, who, d->cmd, d->id, NULL, NULL, NULL);
        break;
    case WRP_CMD_CLEAN:
        s_execute_clean (self, who, d);
        rc = 1;
        break;
    default:
        rc = 1;
        break;
    }
    free (text);
    if (rc == 0) {
        //  Deferred: answered from s_on_result.
        self->pending = s_pending_new (d->cmd, d->id);
        if (self->pending)
            zlist_append (self->pending->waiters, zframe_dup (who));
        wrp_info ("%s %s: under way", wrp_msg_cmd_name (d->cmd), d->id);
    }
    s_notify_status (self);
}

static void
s_handle (wrp_agent_t *self, zframe_t *who, wrp_msg_t *msg)
{
    wrp_agent_view_t view = {
        .pending_cmd = self->pending ? self->pending->cmd : WRP_CMD_INVALID,
        .pending_id = self->pending ? self->pending->id : NULL,
        .lookup = s_lookup,
        .lookup_arg = self->store,
    };
    wrp_agent_decision_t d;
    wrp_agent_decide (&view, msg, &d);
    switch (d.action) {
    case WRP_DECIDE_REPLY:
        if (d.code && strcmp (d.code, WRP_ERR_BUSY))
            wrp_warning ("%s %s refused: %s: %s", wrp_msg_cmd_name (d.cmd), d.id, d.code,
                         d.text);
        s_reply_now (self, who, d.cmd, d.id, d.code, d.code ? d.text : NULL, NULL);
        break;
    case WRP_DECIDE_RECORDED:
        wrp_info ("%s %s: repeated; answered from the record", wrp_msg_cmd_name (d.cmd),
                  d.id);
        s_send (self, d.recorded, who);
        break;
    case WRP_DECIDE_JOIN:
        if (self->pending)
            zlist_append (self->pending->waiters, zframe_dup (who));
        break;
    case WRP_DECIDE_EXECUTE:
        s_execute (self, who, &d);
        break;
    case WRP_DECIDE_DROP: {
        char why[160];
        snprintf (why, sizeof why, "%s %s is a reply, not a request (not answered)",
                  wrp_msg_cmd_name (d.cmd), d.id);
        s_log_drop (self, why);
        break;
    }
    }
    wrp_msg_destroy (&d.msg);
}

//  Reads one request through the codec's bounded reader and handles it; a
//  malformed one is logged and, when it can be answered, gets the codec's
//  reject. Returns -1 when there was nothing to read.
static int
s_receive (wrp_agent_t *self)
{
    wrp_msg_t *msg = NULL, *reject = NULL;
    zframe_t *who = NULL;
    char err[256] = "";
    int rc = wrp_msg_recv_request (self->router, &msg, &who, &reject, err, sizeof err);
    if (rc == 0)
        s_handle (self, who, msg);
    else if (*err) {
        s_log_drop (self, err);
        if (reject)
            s_send (self, reject, who);
    }
    wrp_msg_destroy (&reject);
    zframe_destroy (&who);
    return rc == 0 || *err ? 0 : -1;
}

static void
s_read_signals (wrp_agent_t *self)
{
    struct signalfd_siginfo info;
    while (read (self->sigfd, &info, sizeof info) == (ssize_t) sizeof info) {
        if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
            if (!self->terminated)
                wrp_info ("signal %d: exiting; the runtime keeps running",
                          (int) info.ssi_signo);
            self->terminated = true;
        }
    }
}

// ---------------------------------------------------------------------------
//  Life

//  Before any thread exists (libzmq's I/O threads inherit the mask): these
//  signals are only ever read from the signalfd.
static void
s_block_signals (sigset_t *ret_mask)
{
    zsys_handler_set (NULL);
    sigemptyset (ret_mask);
    sigaddset (ret_mask, SIGTERM);
    sigaddset (ret_mask, SIGINT);
    sigaddset (ret_mask, SIGCHLD);
    sigprocmask (SIG_BLOCK, ret_mask, NULL);
    signal (SIGPIPE, SIG_IGN);
}

//  The store, the supervisor over it, and the runtime it may take back.
static int
s_open_state (wrp_agent_t *self, char **ret_err)
{
    char *warning = NULL;
    self->store = wrp_store_new (self->config->state_dir, &warning, ret_err);
    if (!self->store)
        return -1;
    if (warning) {
        wrp_warning ("%s", warning);
        free (warning);
    }
    self->supervisor = wrp_supervisor_new (self->config, self->store, s_on_result, self);
    if (!self->supervisor) {
        *ret_err = wrp_strf ("out of memory");
        return -1;
    }
    bool warn = false;
    char *note = wrp_supervisor_adopt (self->supervisor, &warn);
    if (note && warn)
        wrp_warning ("%s", note);
    else if (note)
        wrp_info ("%s", note);
    free (note);
    return 0;
}

//  Keys, the ZAP handler and the bound ROUTER.
static int
s_open_transport (wrp_agent_t *self, char **ret_err)
{
    const wrp_agent_config_t *config = self->config;
    wrp_security_t security = {
        .insecure = config->insecure,
        .key_file = config->key ? config->key : WRP_AGENT_KEY_DEFAULT,
        .authorized_dir = config->authorized_keys ? config->authorized_keys
                                                  : WRP_AUTHORIZED_KEYS_DEFAULT,
    };
    self->transport = wrp_transport_new (&security, true, ret_err);
    if (!self->transport)
        return -1;
    if (config->insecure)
        wrp_warning (
            "INSECURE: --insecure given: commands are not encrypted and anyone who can "
            "reach %s can start, stop and kill the runtime",
            config->endpoint);
    self->router = wrp_transport_listen (self->transport, config->endpoint, ret_err);
    return self->router ? 0 : -1;
}

//  Half the systemd watchdog period, or 0 when there is no watchdog.
static int64_t
s_watchdog_ms (void)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled (0, &usec) <= 0 || usec == 0)
        return 0;
    int64_t ms = (int64_t) (usec / 2000);
    return ms < 1 ? 1 : ms;
}

wrp_agent_t *
wrp_agent_new (const wrp_agent_config_t *config, char **ret_err)
{
    sigset_t mask;
    s_block_signals (&mask);
    wrp_agent_t *self = calloc (1, sizeof *self);
    if (!self) {
        *ret_err = wrp_strf ("out of memory");
        return NULL;
    }
    self->config = config;
    self->preempted = zlist_new ();
    self->sigfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (self->sigfd < 0 || !self->preempted) {
        *ret_err = wrp_strf ("signalfd: %s", strerror (errno));
        wrp_agent_destroy (&self);
        return NULL;
    }
    if (s_open_state (self, ret_err) || s_open_transport (self, ret_err)) {
        wrp_agent_destroy (&self);
        return NULL;
    }
    self->watchdog_ms = s_watchdog_ms ();
    return self;
}

void
wrp_agent_destroy (wrp_agent_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_agent_t *self = *self_p;
    s_pending_destroy (&self->pending);
    if (self->preempted) {
        s_pending_t *old;
        while ((old = (s_pending_t *) zlist_pop (self->preempted)))
            s_pending_destroy (&old);
        zlist_destroy (&self->preempted);
    }
    zsock_destroy (&self->router);
    wrp_transport_destroy (&self->transport);
    wrp_supervisor_destroy (&self->supervisor);
    wrp_store_destroy (&self->store);
    if (self->sigfd >= 0)
        close (self->sigfd);
    free (self);
    *self_p = NULL;
}

//  Log what the transport refused (unknown controller keys, plain-TCP peers);
//  the transport already rate-limits them.
static void
s_log_notices (wrp_agent_t *self)
{
    char *line;
    while ((line = wrp_transport_notice (self->transport))) {
        wrp_warning ("%s", line);
        free (line);
    }
}

//  How long the poll may sleep (ms, -1 forever): until the supervisor's
//  next deadline or the next watchdog ping.
static long
s_poll_timeout (wrp_agent_t *self)
{
    int64_t now = zclock_mono ();
    int64_t deadline = wrp_supervisor_deadline (self->supervisor);
    if (self->watchdog_ms && (deadline < 0 || self->next_watchdog < deadline))
        deadline = self->next_watchdog;
    return deadline < 0 ? -1 : (deadline > now ? (long) (deadline - now) : 0);
}

//  Pings the systemd watchdog when due (or now, when first).
static void
s_watchdog (wrp_agent_t *self, bool first)
{
    if (!self->watchdog_ms || (!first && zclock_mono () < self->next_watchdog))
        return;
    s_notify ("WATCHDOG=1");
    self->next_watchdog = zclock_mono () + self->watchdog_ms;
}

int
wrp_agent_run (wrp_agent_t *self)
{
    wrp_info ("serving on %s as node %s (state %s, shm %s)", self->config->endpoint,
              self->config->node_name, self->config->state_dir, self->config->shm_dir);
    s_notify ("READY=1");
    s_notify_status (self);
    s_watchdog (self, true);
    while (!self->terminated) {
        //  The supervisor's pidfd comes last: it exists only while a runtime does.
        zsock_t *notices = wrp_transport_notices (self->transport);
        zmq_pollitem_t items[4] = {
            {zsock_resolve (self->router), 0, ZMQ_POLLIN, 0},
            {NULL, self->sigfd, ZMQ_POLLIN, 0},
            {notices ? zsock_resolve (notices) : NULL, -1, notices ? ZMQ_POLLIN : 0, 0},
            {NULL, wrp_supervisor_fd (self->supervisor), ZMQ_POLLIN, 0},
        };
        int count = items[3].fd >= 0 ? 4 : 3;
        int rc = zmq_poll (items, count, s_poll_timeout (self));
        if (rc < 0 && zmq_errno () != EINTR) {
            wrp_error ("poll: %s", zmq_strerror (zmq_errno ()));
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_read_signals (self);
        if (items[2].revents & ZMQ_POLLIN)
            s_log_notices (self);
        //  Exits, probes, escalation steps; also after SIGCHLD (stop binary).
        wrp_supervisor_wake (self->supervisor);
        for (int i = 0; i < S_BATCH && (zsock_events (self->router) & ZMQ_POLLIN); i++)
            if (s_receive (self))
                break;
        s_watchdog (self, false);
    }
    s_notify ("STOPPING=1");
    wrp_info ("stopped serving");
    return 0;
}

// ---------------------------------------------------------------------------

static const wrp_msg_t *s_test_recorded = NULL;

static const wrp_msg_t *
s_test_lookup (void *arg, const char *id)
{
    (void) arg;
    return s_test_recorded && !strcmp (id, wrp_msg_id (s_test_recorded)) ? s_test_recorded
                                                                         : NULL;
}

//  Decides on a copy of msg; the caller destroys d->msg.
static void
s_test_decide (const wrp_agent_view_t *view, wrp_msg_t *msg, wrp_agent_decision_t *d)
{
    wrp_msg_t *copy = wrp_msg_dup (msg);
    assert (copy);
    wrp_agent_decide (view, copy, d);
}

//  The code of the decision's ERROR reply, or "" for EXECUTE and OK.
static void
s_test_expect (const wrp_agent_view_t *view, wrp_msg_t *msg, wrp_decide_action_t action,
               const char *code)
{
    wrp_agent_decision_t d;
    s_test_decide (view, msg, &d);
    assert (d.action == action);
    assert (code ? (d.code && !strcmp (d.code, code)) : !d.code);
    wrp_msg_destroy (&d.msg);
}

void
wrp_agent_test (bool verbose)
{
    (void) verbose;
    wrp_agent_view_t view = {.lookup = s_test_lookup};
    wrp_agent_decision_t d;

    wrp_msg_t *msg = wrp_msg_new (WRP_CMD_STATUS, "s1");
    s_test_decide (&view, msg, &d);
    assert (d.action == WRP_DECIDE_REPLY && !d.code && !strcmp (d.id, "s1"));
    wrp_msg_destroy (&d.msg);
    wrp_msg_destroy (&msg);

    msg = wrp_msg_new (WRP_CMD_START, "a1");
    wrp_msg_set_str (msg, WRP_F_PIPELINE, "basic");
    wrp_msg_set_str (msg, WRP_F_CONFIG, "x: 1\n");
    wrp_msg_set_int (msg, WRP_F_PORT, 7000);
    s_test_decide (&view, msg, &d);
    assert (d.action == WRP_DECIDE_EXECUTE && d.start.port == 7000);
    wrp_msg_destroy (&d.msg);

    //  Busy with another command; the same id joins it; KILL preempts.
    view.pending_cmd = WRP_CMD_STOP;
    view.pending_id = "b7";
    s_test_expect (&view, msg, WRP_DECIDE_REPLY, WRP_ERR_BUSY);
    wrp_msg_t *again = wrp_msg_new (WRP_CMD_STOP, "b7");
    s_test_expect (&view, again, WRP_DECIDE_JOIN, NULL);
    wrp_msg_destroy (&again);
    wrp_msg_t *kill_msg = wrp_msg_new (WRP_CMD_KILL, "k1");
    s_test_expect (&view, kill_msg, WRP_DECIDE_EXECUTE, NULL);
    wrp_msg_destroy (&kill_msg);
    view.pending_cmd = WRP_CMD_INVALID;

    //  A recorded id is answered from the record.
    wrp_msg_t *recorded = wrp_msg_new (WRP_CMD_OK, "a1");
    s_test_recorded = recorded;
    s_test_decide (&view, msg, &d);
    assert (d.action == WRP_DECIDE_RECORDED && d.recorded == recorded);
    wrp_msg_destroy (&d.msg);
    s_test_recorded = NULL;
    wrp_msg_destroy (&recorded);

    //  Policy (the shared one: GCONV_PATH too) and malformed fields.
    wrp_msg_t *bad = wrp_msg_dup (msg);
    wrp_msg_set_str (bad, "env.GCONV_PATH", "/tmp/x");
    s_test_expect (&view, bad, WRP_DECIDE_REPLY, WRP_ERR_REFUSED);
    wrp_msg_destroy (&bad);
    wrp_msg_set_str (msg, "env.LD_PRELOAD", "/tmp/evil.so");
    s_test_expect (&view, msg, WRP_DECIDE_REPLY, WRP_ERR_REFUSED);
    wrp_msg_destroy (&msg);
    msg = wrp_msg_new (WRP_CMD_STOP, "t1");
    wrp_msg_set_str (msg, WRP_F_TIMEOUT_MS, "soon");
    s_test_expect (&view, msg, WRP_DECIDE_REPLY, WRP_ERR_BAD_REQUEST);
    wrp_msg_destroy (&msg);
    msg = wrp_msg_new (WRP_CMD_CLEAN, "c1");
    wrp_msg_set_str (msg, WRP_F_PIPELINE, "..");
    s_test_expect (&view, msg, WRP_DECIDE_REPLY, WRP_ERR_REFUSED);
    wrp_msg_destroy (&msg);
    msg = wrp_msg_new (WRP_CMD_OK, "o1");
    s_test_expect (&view, msg, WRP_DECIDE_DROP, NULL);
    wrp_msg_destroy (&msg);
    msg = wrp_msg_new (WRP_CMD_ERROR, "e1");
    s_test_expect (&view, msg, WRP_DECIDE_DROP, NULL);
    wrp_msg_destroy (&msg);
}
