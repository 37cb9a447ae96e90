/*  wrp_client — one fan-out ROUTER connected to every agent, one poll loop,
    one deadline. See wrp_client.h.                                           */

#include "wrp_client.h"
#include "wrp_str.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  How often the links of the waiting nodes are looked at (connect probes,
//  the monitor's records): at least every 20 ms, less often for many nodes.
#define S_WATCH_MIN_US  20000
#define S_WATCH_NODE_US 20

//  Connections are made a window at a time: at most S_WINDOW dialed and
//  not yet decided (handshake done or failed, connect refused), so that
//  every handshake finishes long before the agent's handshake timeout
//  however many agents there are and however slow the machine. A dial
//  without an outcome for S_WINDOW_US leaves the window (libzmq keeps
//  trying it) so that unreachable nodes never hold up the others.
#define S_WINDOW    512
#define S_WINDOW_US 2000000
#define S_ADMIT_US  2000    //  how often the window is looked at

//  Connections per libzmq I/O thread, at most (see wrp_client_new).
#define S_CONNS_PER_THREAD 2500

//  File descriptors: a connection costs one; this many are kept for the
//  rest of the process (the socket's mailbox, its monitor, the probes).
#define S_FDS_RESERVED 64

//  Requests this large (a START with a 10,000-host hostfile) go out a
//  window at a time too: at most S_SEND_WINDOW nodes have one on its way
//  (sent, and the agent not yet heard from since). libzmq encodes a
//  message per connection as it writes it (with CURVE, an encrypted copy
//  each), so sending one to 10,000 slow readers at once would hold 10,000
//  copies. A node heard from, decided, or silent for S_WINDOW_US leaves.
#define S_BIG_REQUEST 16384
#define S_SEND_WINDOW 128

//  How often a node busy with a deferred command is asked for its status
//  again (the reply tells what it is doing when the deadline passes).
#define S_REFRESH_US 2000000

//  A message received and not yet handed out by wrp_client_recv.
typedef struct {
    size_t index;      //  which node sent it
    wrp_msg_t *msg;    //  the message (owned)
} s_pending_t;

//  The controller's side of one agent.
typedef struct {
    char *key;                       //  the agent key file (NULL: none)
    struct sockaddr_storage addr;    //  the resolved address (connect probes)
    socklen_t addr_len;              //  0: not resolved
    int probe_fd;                    //  a connect probe in progress, -1 none
    unsigned retries_seen;           //  failed connects already looked into
    char rid[24];                    //  routing id of the connection ("": none)
    unsigned dials;                  //  connections made (numbers the ids)
    bool wanted;                     //  to be dialed when the window allows
    int64_t dialed_us;               //  when it was dialed
} s_peer_t;

typedef struct _s_call_t s_call_t;

struct _wrp_client_t {
    wrp_transport_t *transport;    //  keys and the socket monitor (borrowed)
    wrp_client_node_t *nodes;      //  one per host, in plan order
    s_peer_t *peers;               //  one per host
    size_t count;                  //  number of nodes
    zsock_t *sock;                 //  the fan-out ROUTER
    size_t next_dial;              //  first node not yet dialed
    size_t window[S_WINDOW];       //  nodes dialed, no outcome yet
    size_t window_count;
    int64_t next_admit;      //  next look at the window (mono us)
    s_call_t *call;          //  the call in progress (sends on dial)
    bool hangup;             //  close a connection once its node answered
    s_pending_t *pending;    //  received, not yet returned (FIFO)
    size_t pending_head;     //  first unread entry
    size_t pending_count;    //  entries after head
    size_t pending_alloc;    //  allocated entries
    char *progress;          //  progress label, NULL: off
    bool progress_shown;     //  a progress line is on the terminal
};

static void s_call_dialed (s_call_t *call, size_t i, bool ok);

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

//  Resolves the host once, for the connect probes and so that a name that
//  does not resolve is reported as such at once. Returns 0, or -1 with the
//  node's error.
static int
s_resolve (wrp_client_node_t *node, s_peer_t *peer)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *found = NULL;
    char port[16];
    snprintf (port, sizeof port, "%d", node->port);
    int rc = getaddrinfo (node->host, port, &hints, &found);
    if (rc != 0 || !found) {
        wrp_str_replace (&node->error, "unreachable: cannot resolve %s (%s)", node->host,
                         rc ? gai_strerror (rc) : "no address");
        if (found)
            freeaddrinfo (found);
        return -1;
    }
    memcpy (&peer->addr, found->ai_addr, found->ai_addrlen);
    peer->addr_len = found->ai_addrlen;
    freeaddrinfo (found);
    return 0;
}

//  The descriptors this process may still open for connections.
static long
s_fds_left (void)
{
    struct rlimit limit;
    return getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < LONG_MAX
               ? (long) limit.rlim_cur - S_FDS_RESERVED
               : LONG_MAX;
}

//  Prepares node i: its endpoint, address and key. Returns true when it
//  can be dialed; else its error says why.
static bool
s_node_init (wrp_client_t *self, size_t i, const wrp_plan_host_t *host,
             const char *agent_key_file, long fds_left)
{
    wrp_client_node_t *node = &self->nodes[i];
    s_peer_t *peer = &self->peers[i];
    node->host = host->name;
    node->port = host->port;
    node->rtt_ms = -1;
    peer->probe_fd = -1;
    snprintf (node->endpoint, sizeof node->endpoint, "tcp://%s:%d", host->name,
              host->port);
    if (s_resolve (node, peer) != 0)
        return false;
    if ((long) i >= fds_left) {
        wrp_str_replace (&node->error,
                         "not contacted: %zu agents need about %zu file descriptors, "
                         "this process may open %ld (raise the hard limit: ulimit -Hn, "
                         "or LimitNOFILE=)",
                         self->count, self->count + S_FDS_RESERVED,
                         fds_left + S_FDS_RESERVED);
        return false;
    }
    char key_buf[PATH_MAX];
    const char *key =
        s_agent_key_for (agent_key_file, host->name, key_buf, sizeof key_buf);
    if (agent_key_file && !key) {
        wrp_str_replace (&node->error,
                         "cannot connect to %s: no agent key for this host (neither "
                         "HOST.key nor agent.key in the --agent-key directory)",
                         node->endpoint);
        return false;
    }
    if (key && !(peer->key = strdup (key))) {
        wrp_str_replace (&node->error, "cannot connect to %s: out of memory",
                         node->endpoint);
        return false;
    }
    return true;
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
    self->peers = calloc (count ? count : 1, sizeof *self->peers);
    //  A CURVE handshake per agent: one libzmq I/O thread per core does
    //  them in parallel. And at least one per S_CONNS_PER_THREAD
    //  connections: libzmq cancels a timer (a heartbeat's, a handshake's)
    //  by scanning every timer of its thread, so a thread with thousands
    //  of connections spends its time there. Effective only before the
    //  process's first socket.
    long threads = sysconf (_SC_NPROCESSORS_ONLN);
    if (threads < (long) (count / S_CONNS_PER_THREAD))
        threads = (long) (count / S_CONNS_PER_THREAD);
    if (threads > 1)
        zmq_ctx_set (zsys_init (), ZMQ_IO_THREADS, threads > 16 ? 16 : (int) threads);
    char *err = NULL;
    if (self->nodes && self->peers)
        self->sock = wrp_transport_fanout (transport, count, &err);
    if (!self->sock) {
        free (err);
        wrp_client_destroy (&self);
        return NULL;
    }
    //  Never block on a full queue (a node down for long): drop instead.
    zsock_set_sndtimeo (self->sock, 0);
    //  libzmq asserts when it runs out of descriptors: count them instead
    //  (the transport raised the limit as far as it may).
    long fds_left = s_fds_left ();
    for (size_t i = 0; i < count; i++)
        self->peers[i].wanted =
            s_node_init (self, i, &hosts[i], agent_key_file, fds_left);
    return self;
}

void
wrp_client_destroy (wrp_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_client_t *self = *self_p;
    if (self->sock) {
        //  What is still queued (to nodes given up on) is of no use any
        //  more: never let it delay the exit, nor arrive late.
        zsock_set_linger (self->sock, 0);
        wrp_transport_close (self->transport, &self->sock);
    }
    for (size_t i = 0; self->peers && i < self->count; i++) {
        if (self->peers[i].probe_fd >= 0)
            close (self->peers[i].probe_fd);
        free (self->peers[i].key);
    }
    for (size_t i = 0; self->nodes && i < self->count; i++) {
        wrp_msg_destroy (&self->nodes[i].reply);
        wrp_msg_destroy (&self->nodes[i].status);
        free (self->nodes[i].error);
    }
    for (size_t p = 0; p < self->pending_count; p++)
        wrp_msg_destroy (&self->pending[self->pending_head + p].msg);
    free (self->pending);
    free (self->nodes);
    free (self->peers);
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

void
wrp_client_set_hangup (wrp_client_t *self, bool hangup)
{
    assert (self);
    self->hangup = hangup;
}

//  --------------------------------------------------------------------------
//  Connections: dialed a window at a time, closed on hangup.

//  Connects node i (a fresh routing id each time: libzmq frees an old one
//  asynchronously). Returns 0, or -1 with the node's error.
static int
s_dial (wrp_client_t *self, size_t i)
{
    s_peer_t *peer = &self->peers[i];
    wrp_client_node_t *node = &self->nodes[i];
    snprintf (peer->rid, sizeof peer->rid, "n%zx.%x", i, peer->dials++);
    char *err = NULL;
    if (wrp_transport_dial (self->transport, self->sock, node->endpoint, peer->rid,
                            peer->key, &err) != 0) {
        wrp_str_replace (&node->error, "cannot connect to %s: %s", node->endpoint,
                         err ? err : "unknown error");
        free (err);
        peer->rid[0] = '\0';
        peer->wanted = false;
        return -1;
    }
    node->connected = true;
    peer->retries_seen = 0;
    peer->dialed_us = s_mono_us ();
    return 0;
}

//  Closes node i's connection (it is dialed again when next asked).
static void
s_hangup (wrp_client_t *self, size_t i)
{
    s_peer_t *peer = &self->peers[i];
    if (!peer->rid[0])
        return;
    wrp_transport_hangup (self->transport, self->sock, self->nodes[i].endpoint);
    peer->rid[0] = '\0';
    self->nodes[i].connected = false;
}

//  A node hung up after an earlier call is dialed again at once (outside
//  the window: the first wave is over for it). Returns 0 when node i is
//  dialed now, -1 when it waits for the window or cannot be dialed.
static int
s_redial (wrp_client_t *self, size_t i)
{
    s_peer_t *peer = &self->peers[i];
    if (peer->rid[0])
        return 0;
    if (!peer->wanted || i >= self->next_dial)
        return -1;
    return s_dial (self, i);
}

//  Has node i's dial an outcome yet (up, refused, failed, or too slow)?
static bool
s_dial_settled (wrp_client_t *self, size_t i, int64_t now)
{
    s_peer_t *peer = &self->peers[i];
    if (!peer->rid[0] || now - peer->dialed_us >= S_WINDOW_US)
        return true;
    wrp_transport_link_t link;
    if (wrp_transport_peer_link (self->transport, self->sock, self->nodes[i].endpoint,
                                 &link) != 0)
        return true;
    return link.up || link.retries > 0 || link.drops > 0 ||
           wrp_transport_peer_auth_failed (self->transport, self->sock,
                                           self->nodes[i].endpoint, NULL) == 1;
}

//  Moves the window on: drops the dials that have an outcome, dials the
//  next wanted nodes. Cheap when there is nothing to do.
static void
s_admit (wrp_client_t *self)
{
    if (self->window_count == 0 && self->next_dial >= self->count)
        return;
    int64_t now = s_mono_us ();
    if (now < self->next_admit)
        return;
    self->next_admit = now + S_ADMIT_US;
    size_t kept = 0;
    for (size_t w = 0; w < self->window_count; w++) {
        size_t i = self->window[w];
        if (!s_dial_settled (self, i, now))
            self->window[kept++] = i;
    }
    self->window_count = kept;
    while (self->window_count < S_WINDOW && self->next_dial < self->count) {
        size_t i = self->next_dial++;
        if (!self->peers[i].wanted || self->peers[i].rid[0])
            continue;
        bool ok = s_dial (self, i) == 0;
        if (ok)
            self->window[self->window_count++] = i;
        if (self->call)
            s_call_dialed (self->call, i, ok);
    }
}

//  --------------------------------------------------------------------------
//  Messages

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

//  The node a routing id of ours names, or SIZE_MAX.
static size_t
s_node_of (wrp_client_t *self, zframe_t *rid)
{
    char text[24];
    size_t size = zframe_size (rid);
    if (size < 2 || size >= sizeof text)
        return SIZE_MAX;
    memcpy (text, zframe_data (rid), size);
    text[size] = '\0';
    char *end = NULL;
    unsigned long long index = strtoull (text + 1, &end, 16);
    if (text[0] != 'n' || end == text + 1 || *end != '.' || index >= self->count)
        return SIZE_MAX;
    return (size_t) index;
}

//  Read everything waiting on the socket into the pending queue.
static void
s_drain (wrp_client_t *self)
{
    while (zsock_events (self->sock) & ZMQ_POLLIN) {
        wrp_msg_t *msg = NULL;
        zframe_t *rid = NULL;
        char err[256] = "";
        if (wrp_msg_recv (self->sock, &msg, &rid, err, sizeof err) != 0) {
            zframe_destroy (&rid);
            if (err[0] == '\0')
                break;    //  interrupted
            continue;     //  malformed: dropped, read the next one
        }
        size_t index = s_node_of (self, rid);
        zframe_destroy (&rid);
        if (index == SIZE_MAX) {
            wrp_msg_destroy (&msg);
            continue;
        }
        self->nodes[index].last_seen = wrp_client_now ();
        if (s_pending_push (self, index, msg) != 0) {
            wrp_msg_destroy (&msg);
            break;
        }
    }
}

//  Queue msg to node i (dialed). Returns 0, or -1 (errno from libzmq).
static int
s_send_to (wrp_client_t *self, size_t i, const wrp_msg_t *msg)
{
    zframe_t *rid = zframe_new (self->peers[i].rid, strlen (self->peers[i].rid));
    int rc = rid ? wrp_msg_send (msg, self->sock, rid) : -1;
    zframe_destroy (&rid);
    return rc;
}

int
wrp_client_send (wrp_client_t *self, size_t index, const wrp_msg_t *msg)
{
    assert (self);
    assert (index < self->count);
    s_admit (self);
    if (s_redial (self, index) != 0)
        return -1;    //  not dialed yet, or cannot be
    int rc = s_send_to (self, index, msg);
    //  A send may consume the ZMQ_FD signal of a message that came in
    //  meanwhile: read what is there now, or the poll never tells.
    s_drain (self);
    return rc;
}

int
wrp_client_auth_failed (wrp_client_t *self, size_t index, char **ret_reason)
{
    assert (self);
    assert (index < self->count);
    if (!self->peers[index].rid[0])
        return 0;
    return wrp_transport_peer_auth_failed (self->transport, self->sock,
                                           self->nodes[index].endpoint, ret_reason) == 1
               ? 1
               : 0;
}

int
wrp_client_link (wrp_client_t *self, size_t index, wrp_transport_link_t *ret_link)
{
    assert (self);
    assert (index < self->count);
    memset (ret_link, 0, sizeof *ret_link);
    if (!self->peers[index].rid[0])
        return -1;
    return wrp_transport_peer_link (self->transport, self->sock,
                                    self->nodes[index].endpoint, ret_link);
}

int
wrp_client_recv (wrp_client_t *self, int timeout_ms, size_t *ret_index,
                 wrp_msg_t **ret_msg)
{
    assert (self);
    s_admit (self);
    s_drain (self);
    if (self->pending_count == 0 && !zsys_interrupted) {
        //  While dials wait for the window, wake to move it on.
        int admit_ms = S_ADMIT_US / 1000;
        if (self->window_count > 0 && timeout_ms > admit_ms)
            timeout_ms = admit_ms;
        zmq_pollitem_t item = {zsock_resolve (self->sock), 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, timeout_ms) > 0)
            s_drain (self);
    }
    if (self->pending_count == 0)
        return -1;
    s_pending_t *first = &self->pending[self->pending_head];
    *ret_index = first->index;
    *ret_msg = first->msg;
    self->pending_head++;
    self->pending_count--;
    if (self->pending_count == 0)
        self->pending_head = 0;
    return 0;
}

//  --------------------------------------------------------------------------
//  One call: what is known about each node asked, and the small steps that
//  learn more (send, watch the link, accept a message, expire).

typedef struct {
    const wrp_msg_t *request;    //  what the node was asked (NULL: not asked)
    bool sent;                   //  queued on its connection
    bool big;                    //  the request goes through the send window
    bool in_window;              //  sent, big, the agent not heard from since
    bool done;                   //  answered, or decided
    int64_t sent_us;             //  when the request was first queued
    unsigned drops;              //  link drops already answered with a resend
    bool lost;                   //  the connection was lost during the call
    int64_t heard_us;            //  the agent's last message (its loop is alive)
} s_ask_t;

struct _s_call_t {
    wrp_client_t *client;     //  the connections
    s_ask_t *asks;            //  one per node
    size_t waiting;           //  nodes still undecided
    size_t total;             //  nodes asked
    int answered;             //  nodes that answered the command
    int timeout_ms;           //  the user's deadline
    int64_t start;            //  when the requests went out (mono us)
    int64_t next_watch;       //  next look at the links
    int64_t next_refresh;     //  next STATUS to busy nodes
    int64_t next_progress;    //  next progress line
    size_t sending;           //  nodes in the send window
    size_t next_send;         //  big requests are sent in node order from here
};

//  Queue a STATUS whose id is the request's id + ".p": its reply shows the
//  agent's loop is alive and what the node is doing.
static void
s_send_probe (wrp_client_t *self, size_t i, const wrp_msg_t *request)
{
    char probe_id[WRP_MSG_MAX_ID + 1];
    snprintf (probe_id, sizeof probe_id, "%.60s.p", wrp_msg_id (request));
    wrp_msg_t *probe = wrp_msg_new (WRP_CMD_STATUS, probe_id);
    if (probe) {
        s_send_to (self, i, probe);
        wrp_msg_destroy (&probe);
    }
}

//  Queue request to node i, with a STATUS probe beside a deferred command.
//  Returns 0, or -1 with the node's error.
static int
s_send (wrp_client_t *self, size_t i, const wrp_msg_t *request)
{
    if (s_send_to (self, i, request) != 0) {
        wrp_str_replace (&self->nodes[i].error,
                         "unreachable: cannot queue the request (%s)",
                         zmq_strerror (zmq_errno ()));
        return -1;
    }
    if (wrp_msg_cmd (request) != WRP_CMD_STATUS)
        s_send_probe (self, i, request);
    return 0;
}

//  The size of a request's values (what decides whether it is big).
static size_t
s_request_size (const wrp_msg_t *request)
{
    size_t total = 0;
    for (size_t f = 0; f < wrp_msg_field_count (request); f++) {
        size_t size = 0;
        wrp_msg_field_value (request, f, &size);
        total += size;
    }
    return total;
}

//  Node i no longer counts in the send window.
static void
s_call_unwindow (s_call_t *call, size_t i)
{
    if (call->asks[i].in_window) {
        call->asks[i].in_window = false;
        call->sending--;
    }
}

//  The node is decided without a reply: error is why.
static void
s_call_decide (s_call_t *call, size_t i)
{
    call->asks[i].done = true;
    call->waiting--;
    s_call_unwindow (call, i);
}

//  Queue node i's request (dialed, not sent yet).
static void
s_call_send (s_call_t *call, size_t i)
{
    s_ask_t *ask = &call->asks[i];
    ask->sent = true;
    ask->sent_us = s_mono_us ();
    if (ask->big) {
        ask->in_window = true;
        call->sending++;
    }
    if (s_send (call->client, i, ask->request) != 0)
        s_call_decide (call, i);
}

//  Sends the big requests the send window has room for, in node order (the
//  order the nodes are dialed in).
static void
s_call_feed (s_call_t *call)
{
    wrp_client_t *self = call->client;
    while (call->next_send < self->count && call->sending < S_SEND_WINDOW) {
        size_t i = call->next_send;
        s_ask_t *ask = &call->asks[i];
        if (ask->request && ask->big && !ask->done && !ask->sent) {
            if (!self->peers[i].rid[0])
                break;    //  waits for the dial window
            s_call_send (call, i);
        }
        call->next_send++;
    }
}

//  Node i was just dialed: send it what it is asked (a big request when
//  the send window has room). Not ok: it could not be, and its error says
//  why.
static void
s_call_dialed (s_call_t *call, size_t i, bool ok)
{
    s_ask_t *ask = &call->asks[i];
    if (!ask->request || ask->done || ask->sent)
        return;
    if (!ok)
        s_call_decide (call, i);
    else if (ask->big)
        s_call_feed (call);
    else
        s_call_send (call, i);
}

//  An errno of a connect that says something about the node (refused, no
//  route, timed out), or 0 for our own trouble (no ports, no memory...).
static int
s_evidence (int error)
{
    return error == ECONNREFUSED || error == EHOSTUNREACH || error == ENETUNREACH ||
                   error == EHOSTDOWN || error == ETIMEDOUT
               ? error
               : 0;
}

//  Start, or look at, a plain TCP connect to the node, to learn why libzmq's
//  connects fail. Returns 0 while unknown (or it connects), else the errno
//  (see s_evidence).
static int
s_connect_probe (s_peer_t *peer)
{
    if (peer->probe_fd < 0) {
        int fd =
            socket (peer->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return 0;
        if (connect (fd, (struct sockaddr *) &peer->addr, peer->addr_len) == 0) {
            close (fd);
            return 0;
        }
        if (errno != EINPROGRESS) {
            int error = errno;
            close (fd);
            return s_evidence (error);
        }
        peer->probe_fd = fd;
    }
    struct pollfd pfd = {.fd = peer->probe_fd, .events = POLLOUT};
    if (poll (&pfd, 1, 0) <= 0)
        return 0;    //  still connecting
    int error = 0;
    socklen_t len = sizeof error;
    getsockopt (peer->probe_fd, SOL_SOCKET, SO_ERROR, &error, &len);
    close (peer->probe_fd);
    peer->probe_fd = -1;
    return s_evidence (error);
}

//  Node i is down: our own connect to it failed with error.
static void
s_probe_verdict (s_call_t *call, size_t i, int error, const wrp_transport_link_t *link)
{
    wrp_client_node_t *node = &call->client->nodes[i];
    const char *lost =
        call->asks[i].lost || (link && link->drops > 0) ? "connection lost, then " : "";
    if (error == ECONNREFUSED)
        wrp_str_replace (&node->error,
                         "unreachable: %sconnection refused: is wrp-agentd running on "
                         "%s:%d?",
                         lost, node->host, node->port);
    else if (error == EHOSTUNREACH || error == ENETUNREACH || error == EHOSTDOWN)
        wrp_str_replace (&node->error, "unreachable: %sno route to %s:%d (%s)", lost,
                         node->host, node->port, strerror (error));
    else
        wrp_str_replace (&node->error, "unreachable: %stimed out connecting to %s:%d",
                         lost, node->host, node->port);
    s_call_decide (call, i);
}

//  Step: what node i's connection shows. Down only on evidence: the
//  handshake refused, the connection refused or without a route. A
//  connection re-made after a loss gets the request again (same id: the
//  agent answers from its record, or when the command ends).
static void
s_call_watch (s_call_t *call, size_t i)
{
    wrp_client_t *self = call->client;
    wrp_client_node_t *node = &self->nodes[i];
    s_peer_t *peer = &self->peers[i];
    s_ask_t *ask = &call->asks[i];
    if (!ask->sent)
        return;    //  waits for the window
    char *reason = NULL;
    if (wrp_transport_peer_auth_failed (self->transport, self->sock, node->endpoint,
                                        &reason) == 1) {
        node->unauthorized = true;
        wrp_str_replace (&node->error, "%s", reason ? reason : "not authorized");
        free (reason);
        s_call_decide (call, i);
        return;
    }
    wrp_transport_link_t link = {0};
    wrp_transport_peer_link (self->transport, self->sock, node->endpoint, &link);
    if (link.drops > ask->drops) {
        ask->lost = true;
        if (link.up) {
            ask->drops = link.drops;
            s_send (self, i, ask->request);
        }
    }
    if (link.tcp || (link.retries == peer->retries_seen && peer->probe_fd < 0))
        return;
    //  libzmq's connect failed: learn why with a connect of our own.
    peer->retries_seen = link.retries;
    int error = s_connect_probe (peer);
    if (error != 0)
        s_probe_verdict (call, i, error, &link);
}

//  The one-line error of an ERROR reply: "CODE: text".
static void
s_error_from_reply (wrp_client_node_t *node, const wrp_msg_t *reply)
{
    const char *code = wrp_msg_str (reply, WRP_F_CODE);
    const char *text = wrp_msg_str (reply, WRP_F_TEXT);
    if (code && !strcmp (code, WRP_ERR_REFUSED))
        wrp_str_replace (&node->error, "refused: %s", text ? text : "(no reason given)");
    else
        wrp_str_replace (&node->error, "%s: %s", code ? code : "ERROR",
                         text ? text : "(no text)");
}

//  Step: a message from node index. The reply to the command decides the
//  node; a probe's reply shows the agent alive and what it is doing.
static void
s_call_accept (s_call_t *call, size_t index, wrp_msg_t *msg)
{
    wrp_client_node_t *node = &call->client->nodes[index];
    s_ask_t *ask = &call->asks[index];
    if (!ask->request || ask->done) {
        wrp_msg_destroy (&msg);
        return;
    }
    const char *req_id = wrp_msg_id (ask->request);
    const char *id = wrp_msg_id (msg);
    size_t req_len = strlen (req_id);
    bool is_reply = !strcmp (id, req_id);
    bool is_probe =
        !is_reply && !strncmp (id, req_id, req_len) && !strcmp (id + req_len, ".p");
    if (!is_reply && !is_probe) {
        wrp_msg_destroy (&msg);    //  a leftover of something older
        return;
    }
    ask->heard_us = s_mono_us ();
    if (ask->in_window) {
        s_call_unwindow (call, index);    //  the agent has read the request
        s_call_feed (call);
    }
    if (!node->reachable) {
        node->reachable = true;
        node->rtt_ms = (double) (s_mono_us () - ask->sent_us) / 1000.0;
    }
    if (wrp_msg_has (msg, WRP_F_STATE) || wrp_msg_has (msg, WRP_F_NODE)) {
        wrp_msg_destroy (&node->status);
        node->status = wrp_msg_dup (msg);
    }
    if (is_probe) {
        wrp_msg_destroy (&msg);
        return;
    }
    wrp_cmd_t cmd = wrp_msg_cmd (msg);
    node->answered = true;
    if (cmd == WRP_CMD_ERROR)
        s_error_from_reply (node, msg);
    else if (cmd != WRP_CMD_OK)
        wrp_str_replace (&node->error, "protocol error: unexpected %s reply",
                         wrp_msg_cmd_name (cmd));
    wrp_msg_destroy (&node->reply);
    node->reply = msg;
    s_call_decide (call, index);
    call->answered++;
    if (call->client->hangup)
        s_hangup (call->client, index);
}

//  Step: the deadline passed without a reply from node i: say what the
//  evidence shows.
static void
s_call_expire (s_call_t *call, size_t i)
{
    wrp_client_t *self = call->client;
    wrp_client_node_t *node = &self->nodes[i];
    s_ask_t *ask = &call->asks[i];
    const char *verb = wrp_msg_cmd_name (wrp_msg_cmd (ask->request));
    double secs = call->timeout_ms / 1000.0;
    wrp_transport_link_t link = {0};
    wrp_transport_peer_link (self->transport, self->sock, node->endpoint, &link);
    double silent = (double) (s_mono_us () - ask->heard_us) / 1e6;
    if (node->reachable && silent * 1e6 < S_REFRESH_US * 3 / 2) {
        node->timed_out = true;
        wrp_str_replace (
            &node->error,
            "timed out: the agent answers, but %s did not finish within %.1f s", verb,
            secs);
    } else if (node->reachable)
        //  Its STATUS probes went unanswered for a while: the loop is stuck.
        wrp_str_replace (&node->error,
                         "connected, but the agent stopped answering %.1f s ago (stopped "
                         "or hung?): no reply to %s within %.1f s",
                         silent, verb, secs);
    else if (!ask->sent && self->peers[i].rid[0])
        wrp_str_replace (&node->error,
                         "not asked within %.1f s: the controller was still sending "
                         "%s to the other nodes",
                         secs, verb);
    else if (!ask->sent)
        wrp_str_replace (&node->error,
                         "not contacted within %.1f s: the controller was still "
                         "connecting to the other nodes",
                         secs);
    else if (link.up)
        wrp_str_replace (&node->error,
                         "connected, heartbeats answered, no reply to %s within %.1f s",
                         verb, secs);
    else if (link.tcp)
        wrp_str_replace (&node->error,
                         "connected, but the agent does not complete the handshake "
                         "(stopped or hung?): no reply to %s within %.1f s",
                         verb, secs);
    else if (ask->lost || link.drops > 0)
        wrp_str_replace (&node->error,
                         "unreachable: connection lost (closed, or heartbeats not "
                         "answered) and not re-made: no reply to %s within %.1f s",
                         verb, secs);
    else
        wrp_str_replace (&node->error,
                         "unreachable: timed out connecting to %s:%d within %.1f s (no "
                         "route, or packets dropped?)",
                         node->host, node->port, secs);
    s_call_decide (call, i);
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

//  Step: reset the entries of the nodes asked and queue every request to
//  the nodes dialed (the others get theirs when the window dials them).
static void
s_call_begin (s_call_t *call, wrp_msg_t **requests)
{
    wrp_client_t *self = call->client;
    //  Replies still queued from an earlier call are of no use now.
    for (size_t p = 0; p < self->pending_count; p++)
        wrp_msg_destroy (&self->pending[self->pending_head + p].msg);
    self->pending_head = self->pending_count = 0;
    const wrp_msg_t *last = NULL;
    bool last_big = false;
    for (size_t i = 0; i < self->count; i++) {
        if (!requests[i])
            continue;
        wrp_client_node_t *node = &self->nodes[i];
        s_peer_t *peer = &self->peers[i];
        s_ask_t *ask = &call->asks[i];
        ask->request = requests[i];
        call->total++;
        //  Many nodes share a request: its size is looked at once.
        if (requests[i] != last) {
            last = requests[i];
            last_big = s_request_size (last) >= S_BIG_REQUEST;
        }
        ask->big = last_big;
        if (!peer->wanted) {
            ask->done = true;    //  its error says why
            continue;
        }
        node->reachable = false;
        node->answered = false;
        node->timed_out = false;
        node->unauthorized = false;
        node->rtt_ms = -1;
        wrp_msg_destroy (&node->reply);
        zstr_free (&node->error);
        call->waiting++;
        if (s_redial (self, i) != 0 && !peer->wanted) {
            s_call_decide (call, i);    //  its error says why
            continue;
        }
        wrp_transport_link_t link;
        if (peer->rid[0] && wrp_transport_peer_link (self->transport, self->sock,
                                                     node->endpoint, &link) == 0)
            ask->drops = link.drops;
        //  Send everything first, then listen: nobody waits for anybody.
        if (peer->rid[0] && !ask->big)
            s_call_send (call, i);
    }
    s_call_feed (call);    //  the big ones, once every node's entry is set
}

//  Step, on a timer: watch every waiting node's link; ask busy nodes how
//  they are doing.
static void
s_call_tick (s_call_t *call, int64_t now)
{
    wrp_client_t *self = call->client;
    s_admit (self);
    if (now >= call->next_watch) {
        s_drain (self);    //  a missed ZMQ_FD signal costs at most this wait
        for (size_t i = 0; i < self->count; i++) {
            s_ask_t *ask = &call->asks[i];
            if (ask->in_window && now - ask->sent_us >= S_WINDOW_US)
                s_call_unwindow (call, i);    //  a slow reader holds up nobody
            if (ask->request && !ask->done)
                s_call_watch (call, i);
        }
        s_call_feed (call);
        int64_t every = S_WATCH_NODE_US * (int64_t) self->count;
        call->next_watch = now + (every > S_WATCH_MIN_US ? every : S_WATCH_MIN_US);
    }
    if (now >= call->next_refresh) {
        for (size_t i = 0; i < self->count; i++) {
            s_ask_t *ask = &call->asks[i];
            if (ask->request && !ask->done && self->nodes[i].reachable &&
                wrp_msg_cmd (ask->request) != WRP_CMD_STATUS)
                s_send_probe (self, i, ask->request);
        }
        call->next_refresh = now + S_REFRESH_US;
    }
    if (now >= call->next_progress) {
        s_progress (self, call->total - call->waiting, call->total, now - call->start);
        call->next_progress = now + 200000;
    }
}

int
wrp_client_call (wrp_client_t *self, wrp_msg_t **requests, int timeout_ms)
{
    assert (self);
    assert (requests);
    s_call_t call = {.client = self, .timeout_ms = timeout_ms};
    call.asks = calloc (self->count ? self->count : 1, sizeof *call.asks);
    if (!call.asks)
        return -1;
    self->call = &call;
    call.start = s_mono_us ();
    s_call_begin (&call, requests);
    int64_t deadline = call.start + (int64_t) timeout_ms * 1000;
    call.next_watch = call.start + S_WATCH_MIN_US;
    call.next_refresh = call.start + S_REFRESH_US;
    call.next_progress = call.start + 1000000;
    bool interrupted = false;
    while (call.waiting > 0) {
        int64_t now = s_mono_us ();
        if (now >= deadline)
            break;
        s_call_tick (&call, now);
        if (call.waiting == 0)
            break;
        int64_t wake = deadline;
        if (wake > call.next_watch)
            wake = call.next_watch;
        if (self->progress && wake > call.next_progress)
            wake = call.next_progress;
        size_t index;
        wrp_msg_t *msg;
        if (wrp_client_recv (self, (int) ((wake - now + 999) / 1000), &index, &msg) == 0)
            s_call_accept (&call, index, msg);
        else if (zsys_interrupted) {
            interrupted = true;
            break;
        }
    }
    s_progress_clear (self);
    for (size_t i = 0; i < self->count; i++) {
        if (!call.asks[i].request || call.asks[i].done)
            continue;
        if (interrupted) {
            wrp_str_replace (&self->nodes[i].error,
                             "interrupted before the node answered");
            s_call_decide (&call, i);
        } else
            s_call_expire (&call, i);
    }
    self->call = NULL;
    free (call.asks);
    return interrupted ? -1 : call.answered;
}

int
wrp_client_call_all (wrp_client_t *self, const wrp_msg_t *request, int timeout_ms)
{
    assert (self);
    wrp_msg_t **requests = calloc (self->count ? self->count : 1, sizeof *requests);
    if (!requests)
        return -1;
    for (size_t i = 0; i < self->count; i++)
        requests[i] = (wrp_msg_t *) request;
    int rc = wrp_client_call (self, requests, timeout_ms);
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
        wrp_msg_set_str (reply, WRP_F_NODE, slow ? "slow" : "good");
        wrp_msg_set_str (reply, WRP_F_STATE, WRP_STATE_STOPPED);
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

    //  STATUS: the good and the slow agent answer; the third is refused at
    //  once (evidence), not after the deadline.
    wrp_msg_t *status = wrp_msg_new (WRP_CMD_STATUS, NULL);
    int64_t t0 = s_mono_us ();
    int rc = wrp_client_call_all (client, status, 3000);
    int64_t took = (s_mono_us () - t0) / 1000;
    if (verbose)
        printf ("status: %d answered in %lld ms\n", rc, (long long) took);
    assert (rc == 2);
    assert (took < 2500);
    assert (wrp_client_node (client, 0)->answered);
    assert (wrp_client_node (client, 0)->rtt_ms >= 0);
    assert (wrp_client_node (client, 1)->answered);
    assert (!wrp_client_node (client, 2)->reachable);
    assert (strstr (wrp_client_node (client, 2)->error, "connection refused"));
    assert (!strcmp (wrp_msg_str (wrp_client_node (client, 0)->reply, "node"), "good"));
    wrp_msg_destroy (&status);

    //  START: the good one answers, the slow one only answers the probe:
    //  busy, waited for until the deadline, then timed out.
    wrp_msg_t *start = wrp_msg_new (WRP_CMD_START, NULL);
    t0 = s_mono_us ();
    rc = wrp_client_call_all (client, start, 800);
    took = (s_mono_us () - t0) / 1000;
    if (verbose)
        printf ("start: %d answered in %lld ms\n", rc, (long long) took);
    assert (rc == 1);
    assert (took >= 790);
    assert (wrp_client_node (client, 0)->answered);
    assert (wrp_client_node (client, 1)->reachable);
    assert (wrp_client_node (client, 1)->timed_out);
    assert (strstr (wrp_client_node (client, 1)->error, "timed out"));
    assert (!wrp_client_node (client, 2)->reachable);
    assert (!wrp_client_node (client, 2)->timed_out);
    assert (strstr (wrp_client_node (client, 2)->error, "connection refused"));
    wrp_msg_destroy (&start);

    //  A big START (a 20 KiB hostfile) goes through the send window, and
    //  the same is seen.
    start = wrp_msg_new (WRP_CMD_START, NULL);
    char *hostfile = malloc (20000);
    memset (hostfile, 'h', 19999);
    hostfile[19999] = '\0';
    wrp_msg_set_str (start, WRP_F_HOSTFILE, hostfile);
    free (hostfile);
    rc = wrp_client_call_all (client, start, 800);
    assert (rc == 1);
    assert (wrp_client_node (client, 0)->answered);
    assert (wrp_client_node (client, 1)->timed_out);
    wrp_msg_destroy (&start);

    //  Hang up: an answered node's connection is closed at once, and the
    //  node is dialed again (a new routing id) when asked again.
    wrp_client_set_hangup (client, true);
    status = wrp_msg_new (WRP_CMD_STATUS, NULL);
    for (int round = 0; round < 2; round++) {
        rc = wrp_client_call_all (client, status, 3000);
        assert (rc == 2);
        assert (wrp_client_node (client, 0)->answered);
        assert (!wrp_client_node (client, 0)->connected);
        wrp_transport_link_t link;
        assert (wrp_client_link (client, 0, &link) == -1);
    }
    wrp_msg_destroy (&status);
    wrp_client_set_hangup (client, false);

    //  A ROUTER that never answers: connected, so only the deadline decides.
    zsock_t *mute = wrp_transport_listen (server, "tcp://127.0.0.1:*", &err);
    assert (mute);
    char *mute_ep = wrp_transport_endpoint (server, mute);
    wrp_plan_host_t mute_host = {"127.0.0.1", atoi (strrchr (mute_ep, ':') + 1)};
    zstr_free (&mute_ep);
    wrp_client_t *hung = wrp_client_new (transport, &mute_host, 1, NULL);
    assert (hung);
    status = wrp_msg_new (WRP_CMD_STATUS, NULL);
    t0 = s_mono_us ();
    rc = wrp_client_call_all (hung, status, 700);
    took = (s_mono_us () - t0) / 1000;
    assert (rc == 0);
    assert (took >= 690);
    if (verbose)
        printf ("hung: %s\n", wrp_client_node (hung, 0)->error);
    assert (strstr (wrp_client_node (hung, 0)->error,
                    "connected, heartbeats answered, no reply to STATUS within 0.7 s"));
    wrp_msg_destroy (&status);
    wrp_client_destroy (&hung);
    zsock_destroy (&mute);

    //  A name that does not resolve is said at once.
    wrp_plan_host_t nowhere = {"no-such-host.invalid", 5560};
    wrp_client_t *lost = wrp_client_new (transport, &nowhere, 1, NULL);
    assert (lost);
    assert (!wrp_client_node (lost, 0)->connected);
    assert (
        strstr (wrp_client_node (lost, 0)->error, "cannot resolve no-such-host.invalid"));
    wrp_client_destroy (&lost);

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
