/*  wrp_client — one DEALER per agent, one poll loop, one deadline.
    See wrp_client.h.                                                         */

#include "wrp_client.h"
#include "wrp_str.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  Up to this many agents every DEALER watches its handshake from the start
//  (a refused key is reported within milliseconds); beyond, memory wins.
#define S_EAGER_MONITORS 256

//  Silence of every node (after the first reply) after which the silent
//  ones are dialed again with their handshake watched.
#define S_REDIAL_US 1000000

//  A message received and not yet handed out by wrp_client_recv.
typedef struct {
    size_t index;      //  which node sent it
    wrp_msg_t *msg;    //  the message (owned)
} s_pending_t;

struct _wrp_client_t {
    wrp_transport_t *transport;    //  keys and socket monitors (borrowed)
    wrp_client_node_t *nodes;      //  one per host, in plan order
    zsock_t **socks;               //  one DEALER per node (NULL: not connected)
    size_t count;                  //  number of nodes
    zmq_pollitem_t *items;         //  poll set over the connected sockets
    size_t *item_node;             //  poll item -> node index
    size_t *item_of;               //  node index -> poll item
    char **keys;                   //  the agent key file of each node (NULL: none)
    bool *monitored;               //  the node's DEALER watches its handshakes
    size_t item_count;             //  number of poll items
    s_pending_t *pending;          //  received, not yet returned (FIFO)
    size_t pending_head;           //  first unread entry
    size_t pending_count;          //  entries after head
    size_t pending_alloc;          //  allocated entries
    char *progress;                //  progress label, NULL: off
    bool progress_shown;           //  a progress line is on the terminal
};

double
wrp_client_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int64_t
s_mono_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

//  The agent's public key for one host. --agent-key names one file shared by
//  every agent, or a directory of per-host keys: DIR/HOST.key, else the
//  cluster-wide DIR/agent.key. Returns the file into buf, or NULL.
static const char *
s_agent_key_for (const char *agent_key, const char *host, char *buf, size_t size)
{
    struct stat st;
    if (!agent_key || stat (agent_key, &st) || !S_ISDIR (st.st_mode))
        return agent_key;
    snprintf (buf, size, "%s/%s.key", agent_key, host);
    if (access (buf, R_OK) == 0)
        return buf;
    snprintf (buf, size, "%s/agent.key", agent_key);
    return access (buf, R_OK) == 0 ? buf : NULL;
}

wrp_client_t *
wrp_client_new (wrp_transport_t *transport, const wrp_plan_host_t *hosts, size_t count,
                const char *agent_key_file)
{
    assert (transport);
    assert (hosts || count == 0);
    wrp_client_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->transport = transport;
    self->count = count;
    self->nodes = calloc (count ? count : 1, sizeof *self->nodes);
    self->socks = calloc (count ? count : 1, sizeof *self->socks);
    self->items = calloc (count ? count : 1, sizeof *self->items);
    self->item_node = calloc (count ? count : 1, sizeof *self->item_node);
    self->item_of = calloc (count ? count : 1, sizeof *self->item_of);
    self->keys = calloc (count ? count : 1, sizeof *self->keys);
    self->monitored = calloc (count ? count : 1, sizeof *self->monitored);
    if (!self->nodes || !self->socks || !self->items || !self->item_node ||
        !self->item_of || !self->keys || !self->monitored) {
        wrp_client_destroy (&self);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        wrp_client_node_t *node = &self->nodes[i];
        node->host = hosts[i].name;
        node->port = hosts[i].port;
        node->rtt_ms = -1;
        snprintf (node->endpoint, sizeof node->endpoint, "tcp://%s:%d", hosts[i].name,
                  hosts[i].port);
        char *err = NULL;
        char key_buf[PATH_MAX];
        const char *key =
            s_agent_key_for (agent_key_file, hosts[i].name, key_buf, sizeof key_buf);
        if (agent_key_file && !key)
            err = strdup ("no agent key for this host (neither HOST.key nor agent.key "
                          "in the --agent-key directory)");
        if (key && !(self->keys[i] = strdup (key)))
            err = strdup ("out of memory");
        //  A handshake monitor per agent costs ~16 KiB: past a few hundred
        //  agents only those that stay silent get one (see s_redial).
        self->monitored[i] = count <= S_EAGER_MONITORS;
        zsock_t *sock = err ? NULL
                            : wrp_transport_connect (transport, node->endpoint, key,
                                                     self->monitored[i], &err);
        if (!sock) {
            char buf[512];
            snprintf (buf, sizeof buf, "cannot connect to %s: %s", node->endpoint,
                      err ? err : "unknown error");
            free (err);
            node->error = strdup (buf);
            continue;
        }
        //  Never block on a full queue (a node down for long): drop instead.
        zsock_set_sndtimeo (sock, 0);
        self->socks[i] = sock;
        node->connected = true;
        self->items[self->item_count].socket = zsock_resolve (sock);
        self->items[self->item_count].events = ZMQ_POLLIN;
        self->item_node[self->item_count] = i;
        self->item_of[i] = self->item_count;
        self->item_count++;
    }
    return self;
}

void
wrp_client_destroy (wrp_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_client_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        if (self->socks && self->socks[i]) {
            //  What is still queued (to nodes given up on) is of no use
            //  any more: never let it delay the exit, nor arrive late.
            zsock_set_linger (self->socks[i], 0);
            wrp_transport_close (self->transport, &self->socks[i]);
        }
        if (self->nodes) {
            wrp_msg_destroy (&self->nodes[i].reply);
            wrp_msg_destroy (&self->nodes[i].status);
            free (self->nodes[i].error);
        }
    }
    for (size_t p = 0; p < self->pending_count; p++)
        wrp_msg_destroy (&self->pending[self->pending_head + p].msg);
    free (self->pending);
    free (self->nodes);
    free (self->socks);
    free (self->items);
    free (self->item_node);
    free (self->item_of);
    for (size_t i = 0; self->keys && i < self->count; i++)
        free (self->keys[i]);
    free (self->keys);
    free (self->monitored);
    free (self->progress);
    free (self);
    *self_p = NULL;
}

size_t
wrp_client_size (wrp_client_t *self)
{
    assert (self);
    return self->count;
}

wrp_client_node_t *
wrp_client_node (wrp_client_t *self, size_t index)
{
    assert (self);
    assert (index < self->count);
    return &self->nodes[index];
}

void
wrp_client_set_progress (wrp_client_t *self, const char *label)
{
    assert (self);
    free (self->progress);
    self->progress = label ? strdup (label) : NULL;
}

int
wrp_client_send (wrp_client_t *self, size_t index, const wrp_msg_t *msg)
{
    assert (self);
    assert (index < self->count);
    if (!self->socks[index])
        return -1;
    return wrp_msg_send (msg, self->socks[index], NULL);
}

int
wrp_client_auth_failed (wrp_client_t *self, size_t index, char **ret_reason)
{
    assert (self);
    assert (index < self->count);
    if (!self->socks[index])
        return 0;
    return wrp_transport_auth_failed (self->transport, self->socks[index], ret_reason) ==
                   1
               ? 1
               : 0;
}

static int
s_pending_push (wrp_client_t *self, size_t index, wrp_msg_t *msg)
{
    if (self->pending_head + self->pending_count == self->pending_alloc) {
        if (self->pending_head > 0) {
            memmove (self->pending, self->pending + self->pending_head,
                     self->pending_count * sizeof *self->pending);
            self->pending_head = 0;
        } else {
            size_t alloc = self->pending_alloc ? self->pending_alloc * 2 : 64;
            s_pending_t *grown = realloc (self->pending, alloc * sizeof *grown);
            if (!grown)
                return -1;
            self->pending = grown;
            self->pending_alloc = alloc;
        }
    }
    self->pending[self->pending_head + self->pending_count].index = index;
    self->pending[self->pending_head + self->pending_count].msg = msg;
    self->pending_count++;
    return 0;
}

//  Read everything waiting on one node's socket into the pending queue.
static void
s_drain (wrp_client_t *self, size_t index)
{
    zsock_t *sock = self->socks[index];
    while (zsock_events (sock) & ZMQ_POLLIN) {
        wrp_msg_t *msg = NULL;
        char err[256] = "";
        if (wrp_msg_recv (sock, &msg, NULL, err, sizeof err) != 0) {
            if (err[0] == '\0')
                break;    //  interrupted
            continue;     //  malformed: dropped, read the next one
        }
        self->nodes[index].last_seen = wrp_client_now ();
        if (s_pending_push (self, index, msg) != 0) {
            wrp_msg_destroy (&msg);
            break;
        }
    }
}

int
wrp_client_recv (wrp_client_t *self, int timeout_ms, size_t *ret_index,
                 wrp_msg_t **ret_msg)
{
    assert (self);
    if (self->pending_count == 0) {
        if (self->item_count == 0 || zsys_interrupted)
            return -1;
        int rc = zmq_poll (self->items, (int) self->item_count, timeout_ms);
        if (rc <= 0)
            return -1;
        for (size_t k = 0; k < self->item_count; k++)
            if (self->items[k].revents & ZMQ_POLLIN)
                s_drain (self, self->item_node[k]);
        if (self->pending_count == 0)
            return -1;
    }
    s_pending_t *first = &self->pending[self->pending_head];
    *ret_index = first->index;
    *ret_msg = first->msg;
    self->pending_head++;
    self->pending_count--;
    if (self->pending_count == 0)
        self->pending_head = 0;
    return 0;
}

//  The one-line error of an ERROR reply: "CODE: text".
static void
s_error_from_reply (wrp_client_node_t *node, const wrp_msg_t *reply)
{
    const char *code = wrp_msg_str (reply, "code");
    const char *text = wrp_msg_str (reply, "text");
    if (code && !strcmp (code, "REFUSED"))
        wrp_str_replace (&node->error, "refused: %s", text ? text : "(no reason given)");
    else
        wrp_str_replace (&node->error, "%s: %s", code ? code : "ERROR",
                         text ? text : "(no text)");
}

static void
s_progress (wrp_client_t *self, size_t done, size_t total, int64_t elapsed_us)
{
    if (!self->progress || !isatty (STDERR_FILENO))
        return;
    fprintf (stderr, "\r%s: %zu of %zu nodes answered, %.1f s\033[K", self->progress,
             done, total, (double) elapsed_us / 1e6);
    fflush (stderr);
    self->progress_shown = true;
}

static void
s_progress_clear (wrp_client_t *self)
{
    if (self->progress_shown) {
        fprintf (stderr, "\r\033[K");
        fflush (stderr);
        self->progress_shown = false;
    }
}

//  Queue request to node i, with a STATUS probe beside a deferred command
//  (the probe tells alive from stuck). Returns 0, or -1 with the node's error.
static int
s_send (wrp_client_t *self, size_t i, const wrp_msg_t *request)
{
    if (wrp_msg_send (request, self->socks[i], NULL) != 0) {
        wrp_str_replace (&self->nodes[i].error,
                         "unreachable: cannot queue the request (%s)",
                         zmq_strerror (zmq_errno ()));
        return -1;
    }
    if (wrp_msg_cmd (request) != WRP_CMD_STATUS) {
        char probe_id[WRP_MSG_MAX_ID + 1];
        snprintf (probe_id, sizeof probe_id, "%.60s.p", wrp_msg_id (request));
        wrp_msg_t *probe = wrp_msg_new (WRP_CMD_STATUS, probe_id);
        if (probe) {
            wrp_msg_send (probe, self->socks[i], NULL);
            wrp_msg_destroy (&probe);
        }
    }
    return 0;
}

//  A node silent while the others have stopped answering: dial it again,
//  this time watching the handshake, so that a refused key or a security
//  mismatch is reported as such instead of as silence, and send the request
//  again (the agent answers a repeated id once). libzmq does not retry a
//  refused handshake, hence a new socket. Returns 0, or -1 with the error.
static int
s_redial (wrp_client_t *self, size_t i, const wrp_msg_t *request)
{
    self->monitored[i] = true;
    char *err = NULL;
    zsock_t *sock = wrp_transport_connect (self->transport, self->nodes[i].endpoint,
                                           self->keys[i], true, &err);
    if (!sock) {
        wrp_str_replace (&self->nodes[i].error, "cannot connect to %s: %s",
                         self->nodes[i].endpoint, err ? err : "unknown error");
        free (err);
        return -1;
    }
    zsock_set_sndtimeo (sock, 0);
    zsock_set_linger (self->socks[i], 0);
    wrp_transport_close (self->transport, &self->socks[i]);
    self->socks[i] = sock;
    self->items[self->item_of[i]].socket = zsock_resolve (sock);
    return s_send (self, i, request);
}

int
wrp_client_call (wrp_client_t *self, wrp_msg_t **requests, int timeout_ms,
                 int liveness_ms)
{
    assert (self);
    assert (requests);
    if (liveness_ms <= 0 || liveness_ms > timeout_ms)
        liveness_ms = timeout_ms;

    //  Per-node bookkeeping for this call.
    bool *asked = calloc (self->count ? self->count : 1, sizeof (bool));
    bool *done = calloc (self->count ? self->count : 1, sizeof (bool));
    int64_t *sent_us = calloc (self->count ? self->count : 1, sizeof (int64_t));
    if (!asked || !done || !sent_us) {
        free (asked);
        free (done);
        free (sent_us);
        return -1;
    }
    //  Replies still queued from an earlier call are of no use now.
    size_t stale_index;
    wrp_msg_t *stale;
    while (self->pending_count > 0 &&
           wrp_client_recv (self, 0, &stale_index, &stale) == 0)
        wrp_msg_destroy (&stale);

    size_t waiting = 0, total = 0;
    for (size_t i = 0; i < self->count; i++) {
        if (!requests[i])
            continue;
        wrp_client_node_t *node = &self->nodes[i];
        total++;
        asked[i] = true;
        if (!node->connected) {
            done[i] = true;    //  its error says why
            continue;
        }
        node->reachable = false;
        node->answered = false;
        node->timed_out = false;
        node->unauthorized = false;
        node->rtt_ms = -1;
        wrp_msg_destroy (&node->reply);
        free (node->error);
        node->error = NULL;
    }
    //  Send everything first, then listen: nobody waits for anybody.
    for (size_t i = 0; i < self->count; i++) {
        if (!asked[i] || done[i])
            continue;
        sent_us[i] = s_mono_us ();
        if (s_send (self, i, requests[i]) != 0) {
            done[i] = true;
            continue;
        }
        waiting++;
    }

    int64_t start = s_mono_us ();
    int64_t deadline = start + (int64_t) timeout_ms * 1000;
    int64_t live_deadline = start + (int64_t) liveness_ms * 1000;
    int64_t next_progress = start + 1000000;
    int64_t next_auth_check = start + 20000;
    //  Last sign of life of any node. Before the first one, connects and
    //  handshakes to every node take their time (~1 ms per node on a loaded
    //  2-core machine), so the first silence allowed is longer.
    int64_t first_wait_us = (int64_t) self->count * 1000;
    if (first_wait_us < 750000)
        first_wait_us = 750000;
    int64_t last_reply = start + first_wait_us;
    bool redialed = false;    //  silent nodes were dialed again (once a call)
    bool interrupted = false;
    int answered = 0;
    while (waiting > 0) {
        int64_t now = s_mono_us ();
        //  Give up on silent nodes once the liveness window has passed.
        if (now >= live_deadline) {
            for (size_t i = 0; i < self->count; i++) {
                if (asked[i] && !done[i] && !self->nodes[i].reachable) {
                    wrp_str_replace (&self->nodes[i].error,
                                     "unreachable: no reply within %.1f s",
                                     liveness_ms / 1000.0);
                    done[i] = true;
                    waiting--;
                }
            }
            live_deadline = INT64_MAX;
            if (waiting == 0)
                break;
        }
        if (now >= deadline)
            break;
        if (now >= next_progress) {
            s_progress (self, total - waiting, total, now - start);
            next_progress = now + 200000;
        }
        //  Silent nodes, once nobody has answered for a while, are dialed
        //  again with their handshake watched.
        if (!redialed && now - last_reply >= S_REDIAL_US) {
            for (size_t i = 0; i < self->count; i++) {
                if (!asked[i] || done[i] || self->nodes[i].reachable ||
                    self->monitored[i])
                    continue;
                if (s_redial (self, i, requests[i]) != 0) {
                    done[i] = true;
                    waiting--;
                }
            }
            redialed = true;
        }
        //  A refused handshake shows in the socket's monitor, not as a
        //  message: look at the silent, watched nodes every 100 ms.
        for (size_t i = 0; now >= next_auth_check && i < self->count; i++) {
            if (!asked[i] || done[i] || self->nodes[i].reachable || !self->monitored[i])
                continue;
            char *reason = NULL;
            if (wrp_transport_auth_failed (self->transport, self->socks[i], &reason) ==
                1) {
                self->nodes[i].unauthorized = true;
                wrp_str_replace (&self->nodes[i].error, "%s",
                                 reason ? reason : "not authorized");
                free (reason);
                done[i] = true;
                waiting--;
            }
        }
        if (now >= next_auth_check)
            next_auth_check = now + 100000;
        if (waiting == 0)
            break;
        int64_t wake = deadline < live_deadline ? deadline : live_deadline;
        if (!redialed && wake > last_reply + S_REDIAL_US)
            wake = last_reply + S_REDIAL_US;
        if (wake > next_auth_check)
            wake = next_auth_check;
        if (self->progress && wake > next_progress)
            wake = next_progress;
        int wait_ms = (int) ((wake - now + 999) / 1000);
        size_t index;
        wrp_msg_t *msg;
        if (wrp_client_recv (self, wait_ms, &index, &msg) != 0) {
            if (zsys_interrupted) {
                interrupted = true;
                break;
            }
            continue;
        }
        wrp_client_node_t *node = &self->nodes[index];
        if (!asked[index] || done[index]) {
            wrp_msg_destroy (&msg);
            continue;
        }
        const char *req_id = wrp_msg_id (requests[index]);
        const char *id = wrp_msg_id (msg);
        bool is_reply = !strcmp (id, req_id);
        bool is_probe = !is_reply && !strncmp (id, req_id, strlen (req_id)) &&
                        !strcmp (id + strlen (req_id), ".p");
        if (!is_reply && !is_probe) {
            wrp_msg_destroy (&msg);    //  a leftover of something older
            continue;
        }
        last_reply = s_mono_us ();
        if (!node->reachable) {
            node->reachable = true;
            node->rtt_ms = (double) (s_mono_us () - sent_us[index]) / 1000.0;
            //  Silence counts from the last sign of life of any node, not from
            //  the send: a controller or network busy with a thousand CURVE
            //  handshakes is slow, and its nodes are not down.
            if (live_deadline != INT64_MAX)
                live_deadline = s_mono_us () + (int64_t) liveness_ms * 1000;
        }
        wrp_cmd_t cmd = wrp_msg_cmd (msg);
        if (wrp_msg_has (msg, "state") || wrp_msg_has (msg, "node")) {
            wrp_msg_destroy (&node->status);
            node->status = wrp_msg_dup (msg);
        }
        if (is_probe) {
            wrp_msg_destroy (&msg);
            continue;
        }
        node->answered = true;
        if (cmd == WRP_CMD_ERROR)
            s_error_from_reply (node, msg);
        else if (cmd != WRP_CMD_OK)
            wrp_str_replace (&node->error, "protocol error: unexpected %s reply",
                             wrp_msg_cmd_name (cmd));
        wrp_msg_destroy (&node->reply);
        node->reply = msg;
        done[index] = true;
        waiting--;
        answered++;
    }
    s_progress_clear (self);
    for (size_t i = 0; i < self->count; i++) {
        if (!asked[i] || done[i])
            continue;
        wrp_client_node_t *node = &self->nodes[i];
        if (interrupted)
            wrp_str_replace (&node->error, "interrupted before the node answered");
        else if (node->reachable) {
            node->timed_out = true;
            wrp_str_replace (
                &node->error,
                "timed out: the agent answers, but %s did not finish within %.1f s",
                wrp_msg_cmd_name (wrp_msg_cmd (requests[i])), timeout_ms / 1000.0);
        } else
            wrp_str_replace (&node->error, "unreachable: no reply within %.1f s",
                             timeout_ms / 1000.0);
    }
    free (asked);
    free (done);
    free (sent_us);
    return interrupted ? -1 : answered;
}

int
wrp_client_call_all (wrp_client_t *self, const wrp_msg_t *request, int timeout_ms,
                     int liveness_ms)
{
    assert (self);
    wrp_msg_t **requests = calloc (self->count ? self->count : 1, sizeof *requests);
    if (!requests)
        return -1;
    for (size_t i = 0; i < self->count; i++)
        requests[i] = (wrp_msg_t *) request;
    int rc = wrp_client_call (self, requests, timeout_ms, liveness_ms);
    free (requests);
    return rc;
}

//  --------------------------------------------------------------------------
//  Self test: two fake agents in an actor (one answers everything, one
//  answers STATUS but never START) and one port where nobody listens.

static void
s_fake_agents (zsock_t *pipe, void *args)
{
    zsock_t **routers = (zsock_t **) args;
    zpoller_t *poller = zpoller_new (pipe, routers[0], routers[1], NULL);
    zsock_signal (pipe, 0);
    while (true) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, -1);
        if (!which || which == pipe)
            break;
        wrp_msg_t *msg = NULL;
        zframe_t *rid = NULL;
        if (wrp_msg_recv (which, &msg, &rid, NULL, 0) != 0)
            continue;
        bool slow = which == routers[1];
        if (slow && wrp_msg_cmd (msg) != WRP_CMD_STATUS) {
            wrp_msg_destroy (&msg);
            zframe_destroy (&rid);
            continue;
        }
        wrp_msg_t *reply = wrp_msg_new (WRP_CMD_OK, wrp_msg_id (msg));
        wrp_msg_set_str (reply, "node", slow ? "slow" : "good");
        wrp_msg_set_str (reply, "state", "stopped");
        wrp_msg_send (reply, which, rid);
        wrp_msg_destroy (&reply);
        wrp_msg_destroy (&msg);
        zframe_destroy (&rid);
    }
    zpoller_destroy (&poller);
}

void
wrp_client_test (bool verbose)
{
    wrp_security_t security = {.insecure = true};
    char *err = NULL;
    wrp_transport_t *server = wrp_transport_new (&security, true, &err);
    assert (server);
    wrp_transport_t *transport = wrp_transport_new (&security, false, &err);
    assert (transport);
    zsock_t *routers[2];
    int ports[3];
    for (int r = 0; r < 2; r++) {
        routers[r] = wrp_transport_listen (server, "tcp://127.0.0.1:*", &err);
        assert (routers[r]);
        char *ep = wrp_transport_endpoint (server, routers[r]);
        ports[r] = atoi (strrchr (ep, ':') + 1);
        zstr_free (&ep);
    }
    //  A port nobody listens on: bind, note it, close.
    zsock_t *probe = zsock_new (ZMQ_ROUTER);
    ports[2] = zsock_bind (probe, "tcp://127.0.0.1:*[60000-]");
    assert (ports[2] > 0);
    zsock_destroy (&probe);

    zactor_t *agents = zactor_new (s_fake_agents, routers);
    wrp_plan_host_t hosts[3] = {
        {"127.0.0.1", ports[0]},
        {"127.0.0.1", ports[1]},
        {"127.0.0.1", ports[2]},
    };
    wrp_client_t *client = wrp_client_new (transport, hosts, 3, NULL);
    assert (client);
    assert (wrp_client_size (client) == 3);

    //  STATUS: the good and the slow agent answer; the third is unreachable.
    wrp_msg_t *status = wrp_msg_new (WRP_CMD_STATUS, NULL);
    int64_t t0 = s_mono_us ();
    int rc = wrp_client_call_all (client, status, 600, 5000);
    int64_t took = (s_mono_us () - t0) / 1000;
    if (verbose)
        printf ("status: %d answered in %lld ms\n", rc, (long long) took);
    assert (rc == 2);
    assert (took < 1000);
    assert (wrp_client_node (client, 0)->answered);
    assert (wrp_client_node (client, 0)->rtt_ms >= 0);
    assert (wrp_client_node (client, 1)->answered);
    assert (!wrp_client_node (client, 2)->reachable);
    assert (strstr (wrp_client_node (client, 2)->error, "unreachable"));
    assert (!strcmp (wrp_msg_str (wrp_client_node (client, 0)->reply, "node"), "good"));
    wrp_msg_destroy (&status);

    //  START: the good one answers, the slow one only answers the probe
    //  (timed out), the dead one is given up after the liveness window.
    wrp_msg_t *start = wrp_msg_new (WRP_CMD_START, NULL);
    t0 = s_mono_us ();
    rc = wrp_client_call_all (client, start, 800, 300);
    took = (s_mono_us () - t0) / 1000;
    if (verbose)
        printf ("start: %d answered in %lld ms\n", rc, (long long) took);
    assert (rc == 1);
    assert (took >= 700 && took < 1300);
    assert (wrp_client_node (client, 0)->answered);
    assert (wrp_client_node (client, 1)->reachable);
    assert (wrp_client_node (client, 1)->timed_out);
    assert (strstr (wrp_client_node (client, 1)->error, "timed out"));
    assert (!wrp_client_node (client, 2)->reachable);
    assert (!wrp_client_node (client, 2)->timed_out);
    wrp_msg_destroy (&start);

    //  Low level: send, receive.
    wrp_msg_t *ping = wrp_msg_new (WRP_CMD_STATUS, "ping-1");
    assert (wrp_client_send (client, 0, ping) == 0);
    size_t index = 99;
    wrp_msg_t *got = NULL;
    rc = -1;
    for (int tries = 0; tries < 20 && rc != 0; tries++)
        rc = wrp_client_recv (client, 100, &index, &got);
    assert (rc == 0);
    assert (index == 0);
    assert (!strcmp (wrp_msg_id (got), "ping-1"));
    assert (wrp_client_node (client, 0)->last_seen > 0);
    wrp_msg_destroy (&got);
    wrp_msg_destroy (&ping);

    wrp_client_destroy (&client);
    wrp_client_destroy (&client);
    zactor_destroy (&agents);
    zsock_destroy (&routers[0]);
    zsock_destroy (&routers[1]);
    wrp_transport_destroy (&transport);
    wrp_transport_destroy (&server);
}
