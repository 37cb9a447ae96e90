/*  wrp_gate — bounds a plain-TCP listener per message. See wrp_gate.h.     */

#include "wrp_gate.h"
#include "wrp_str.h"

#include <arpa/inet.h>
#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define S_BUF      (64u << 10)    //  relay buffer per direction
#define S_GREETING 64             //  ZMTP 3 greeting

//  One peer: its TCP connection (fd[0]) and ours to the ROUTER (fd[1]).
typedef struct {
    int fd[2];
    uint8_t *buf[2];    //  bytes read from fd[i], not yet written to the other
    size_t len[2], off[2];
    bool eof[2];             //  fd[i] has closed (what it sent is still relayed)
    wrp_gate_scan_t scan;    //  the framing of what the peer sent
    char peer[INET6_ADDRSTRLEN + 8];
} s_conn_t;

struct _wrp_gate_t {
    zactor_t *actor;
    int listener;                //  TCP listening socket
    zsock_t *notices;            //  PAIR: drop events
    struct sockaddr_un inner;    //  the ROUTER's abstract socket
    socklen_t inner_len;
    char *endpoint;      //  tcp://HOST:PORT as bound
    s_conn_t **conns;    //  WRP_GATE_MAX_PEERS slots
    size_t count;
    uint64_t pending;    //  bytes of unfinished messages, all peers
};

static void
s_conn_close (wrp_gate_t *self, size_t index)
{
    s_conn_t *conn = self->conns[index];
    self->pending -= conn->scan.bytes;
    for (int i = 0; i < 2; i++) {
        if (conn->fd[i] >= 0)
            close (conn->fd[i]);
        free (conn->buf[i]);
    }
    free (conn);
    self->conns[index] = self->conns[--self->count];
}

static void
s_drop_event (wrp_gate_t *self, s_conn_t *conn, const char *why)
{
    uint8_t head[6];
    uint16_t event = ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    uint32_t value = WRP_GATE_DROPPED;
    memcpy (head, &event, 2);
    memcpy (head + 2, &value, 4);
    char text[256];
    snprintf (text, sizeof text, "%s on %s: %s", conn->peer, self->endpoint, why);
    void *handle = zsock_resolve (self->notices);
    if (zmq_send (handle, head, 6, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 6)
        zmq_send (handle, text, strlen (text), ZMQ_DONTWAIT);
}

//  ---------------------------------------------------------------------------
//  The scanner: ZMTP 3 framing, one byte at a time (pure; fuzzed).

enum { S_AT_GREETING, S_AT_FLAGS, S_AT_SIZE, S_AT_BODY };

void
wrp_gate_scan_init (wrp_gate_scan_t *self)
{
    memset (self, 0, sizeof *self);
    self->at = S_AT_GREETING;
    self->need = S_GREETING;
}

int
wrp_gate_scan (wrp_gate_scan_t *self, const uint8_t *data, size_t size, uint64_t *pending,
               const char **ret_why)
{
    for (size_t i = 0; i < size;) {
        switch (self->at) {
        case S_AT_GREETING: {
            size_t seen = S_GREETING - self->need;
            //  0xFF ... 0x7F, then the major version: ZMTP 3 or later only.
            if ((seen == 0 && data[i] != 0xff) || (seen == 9 && data[i] != 0x7f) ||
                (seen == 10 && data[i] < 3)) {
                *ret_why = "not a ZMTP 3 greeting";
                return -1;
            }
            i++;
            if (--self->need == 0)
                self->at = S_AT_FLAGS;
            break;
        }
        case S_AT_FLAGS:
            self->flags = data[i++];
            self->size = 0;
            self->need = self->flags & 0x02 ? 8 : 1;
            self->at = S_AT_SIZE;
            break;
        case S_AT_SIZE:
            self->size = self->size << 8 | data[i++];
            if (--self->need)
                break;
            if (!(self->flags & 0x04)) {
                //  A message frame (not a command): counted before its
                //  body is relayed.
                if (self->frames + 1 > WRP_GATE_MAX_FRAMES ||
                    self->size > WRP_GATE_MAX_BYTES - self->bytes) {
                    *ret_why = "a message exceeds the limits (frames or bytes)";
                    return -1;
                }
                if (pending && self->size > WRP_GATE_MAX_PENDING - *pending) {
                    *ret_why = "a message exceeds the limits (unfinished messages "
                               "of all peers)";
                    return -1;
                }
                self->frames++;
                self->bytes += self->size;
                if (pending)
                    *pending += self->size;
            }
            self->need = self->size;
            self->at = S_AT_BODY;
            //  An empty body ends the frame at once.
            __attribute__ ((fallthrough));
        case S_AT_BODY: {
            size_t take = size - i < self->need ? size - i : self->need;
            i += take;
            self->need -= take;
            if (self->need == 0) {
                if (!(self->flags & 0x04) && !(self->flags & 0x01)) {
                    if (pending)
                        *pending -= self->bytes;
                    self->frames = 0;
                    self->bytes = 0;
                }
                self->at = S_AT_FLAGS;
            }
            break;
        }
        }
    }
    return 0;
}

//  ---------------------------------------------------------------------------
//  The relay

static void
s_accept (wrp_gate_t *self)
{
    struct sockaddr_storage addr;
    socklen_t addr_len = sizeof addr;
    int fd = accept4 (self->listener, (struct sockaddr *) &addr, &addr_len,
                      SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (self->count >= WRP_GATE_MAX_PEERS) {
        close (fd);
        return;
    }
    int inner = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    s_conn_t *conn = calloc (1, sizeof *conn);
    if (conn) {
        conn->buf[0] = malloc (S_BUF);
        conn->buf[1] = malloc (S_BUF);
    }
    //  A unix connect to a listening socket completes at once (or EAGAIN
    //  when its backlog is full: then this peer is turned away).
    if (inner < 0 || !conn || !conn->buf[0] || !conn->buf[1] ||
        connect (inner, (struct sockaddr *) &self->inner, self->inner_len)) {
        close (fd);
        if (inner >= 0)
            close (inner);
        if (conn) {
            free (conn->buf[0]);
            free (conn->buf[1]);
        }
        free (conn);
        return;
    }
    int on = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    conn->fd[0] = fd;
    conn->fd[1] = inner;
    wrp_gate_scan_init (&conn->scan);
    char host[INET6_ADDRSTRLEN] = "?";
    getnameinfo ((struct sockaddr *) &addr, addr_len, host, sizeof host, NULL, 0,
                 NI_NUMERICHOST);
    snprintf (conn->peer, sizeof conn->peer, "%s", host);
    self->conns[self->count++] = conn;
}

//  Moves bytes from conn->fd[from] to the other side. Returns 0, or -1 when
//  the connection is over (closed, failed or dropped).
static int
s_relay (wrp_gate_t *self, s_conn_t *conn, int from, bool readable, bool writable)
{
    int to = 1 - from;
    if (writable && conn->len[from] > conn->off[from]) {
        ssize_t n = send (conn->fd[to], conn->buf[from] + conn->off[from],
                          conn->len[from] - conn->off[from], MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (n > 0)
            conn->off[from] += (size_t) n;
        if (conn->off[from] == conn->len[from])
            conn->off[from] = conn->len[from] = 0;
    }
    if (readable && conn->len[from] == 0 && !conn->eof[from]) {
        ssize_t n = recv (conn->fd[from], conn->buf[from], S_BUF, 0);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        conn->eof[from] = n == 0;
        if (n > 0) {
            const char *why = NULL;
            if (from == 0 && wrp_gate_scan (&conn->scan, conn->buf[0], (size_t) n,
                                            &self->pending, &why)) {
                s_drop_event (self, conn, why);
                return -1;
            }
            conn->len[from] = (size_t) n;
        }
    }
    //  A side that closed ends the connection once what it sent is passed on
    //  (a last ZMTP ERROR, say).
    return conn->eof[from] && conn->len[from] == 0 ? -1 : 0;
}

static void
s_actor (zsock_t *pipe, void *args)
{
    wrp_gate_t *self = args;
    zmq_pollitem_t *items = calloc (2 + 2 * WRP_GATE_MAX_PEERS, sizeof *items);
    zsock_signal (pipe, items ? 0 : 1);
    while (items) {
        items[0] = (zmq_pollitem_t){.socket = zsock_resolve (pipe), .events = ZMQ_POLLIN};
        items[1] = (zmq_pollitem_t){.fd = self->listener, .events = ZMQ_POLLIN};
        for (size_t c = 0; c < self->count; c++)
            for (int i = 0; i < 2; i++) {
                s_conn_t *conn = self->conns[c];
                short events = conn->len[i] || conn->eof[i] ? 0 : ZMQ_POLLIN;
                if (conn->len[1 - i])
                    events |= ZMQ_POLLOUT;
                items[2 + 2 * c + (size_t) i] =
                    (zmq_pollitem_t){.fd = conn->fd[i], .events = events};
            }
        if (zmq_poll (items, (int) (2 + 2 * self->count), -1) < 0 &&
            zmq_errno () != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        }
        //  Backwards: closing a connection moves the last one into its slot.
        for (size_t c = self->count; c-- > 0;) {
            zmq_pollitem_t *item = &items[2 + 2 * c];
            //  An error or hang-up without data to read ends it at once.
            bool failed =
                ((item[0].revents & ZMQ_POLLERR) && !(item[0].revents & ZMQ_POLLIN)) ||
                ((item[1].revents & ZMQ_POLLERR) && !(item[1].revents & ZMQ_POLLIN));
            if (failed ||
                s_relay (self, self->conns[c], 0, item[0].revents & ZMQ_POLLIN,
                         item[1].revents & ZMQ_POLLOUT) ||
                s_relay (self, self->conns[c], 1, item[1].revents & ZMQ_POLLIN,
                         item[0].revents & ZMQ_POLLOUT))
                s_conn_close (self, c);
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_accept (self);
    }
    free (items);
    while (self->count)
        s_conn_close (self, self->count - 1);
}

//  Binds a TCP listener for "tcp://HOST:PORT". Returns the fd, or -1.
static int
s_listen (const char *endpoint, char **ret_bound, char **ret_err)
{
    if (strncmp (endpoint, "tcp://", 6)) {
        wrp_str_set (ret_err, "cannot listen on %s: only tcp:// endpoints", endpoint);
        return -1;
    }
    char host[256];
    snprintf (host, sizeof host, "%s", endpoint + 6);
    char *colon = strrchr (host, ':');
    if (!colon) {
        wrp_str_set (ret_err, "cannot listen on %s: no port", endpoint);
        return -1;
    }
    *colon = 0;
    const char *port = streq (colon + 1, "*") ? "0" : colon + 1;
    char *name = host;
    if (*name == '[' && name[strlen (name) - 1] == ']') {
        name[strlen (name) - 1] = 0;
        name++;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo (streq (name, "*") ? NULL : name, port, &hints, &res);
    if (rc) {
        wrp_str_set (ret_err, "cannot listen on %s: %s", endpoint, gai_strerror (rc));
        return -1;
    }
    int fd = socket (res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
        bind (fd, res->ai_addr, res->ai_addrlen) || listen (fd, 4096)) {
        wrp_str_set (ret_err, "cannot listen on %s: %s", endpoint, strerror (errno));
        if (fd >= 0)
            close (fd);
        freeaddrinfo (res);
        return -1;
    }
    freeaddrinfo (res);
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    char bound_host[INET6_ADDRSTRLEN] = "*", bound_port[16] = "0";
    if (getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
        getnameinfo ((struct sockaddr *) &addr, len, bound_host, sizeof bound_host,
                     bound_port, sizeof bound_port, NI_NUMERICHOST | NI_NUMERICSERV);
    *ret_bound = wrp_strf ("tcp://%s%s%s:%s", strchr (bound_host, ':') ? "[" : "",
                           bound_host, strchr (bound_host, ':') ? "]" : "", bound_port);
    return fd;
}

wrp_gate_t *
wrp_gate_new (const char *endpoint, const char *inner, const char *notices,
              char **ret_err)
{
    assert (endpoint && inner && notices);
    if (strncmp (inner, "ipc://@", 7) ||
        strlen (inner + 6) >= sizeof ((struct sockaddr_un){0}).sun_path) {
        wrp_str_set (ret_err, "gate: inner endpoint %s is not ipc://@NAME", inner);
        return NULL;
    }
    wrp_gate_t *self = calloc (1, sizeof *self);
    if (!self) {
        wrp_str_set (ret_err, "out of memory");
        return NULL;
    }
    self->inner.sun_family = AF_UNIX;
    size_t name = strlen (inner + 7);
    memcpy (self->inner.sun_path + 1, inner + 7, name);    //  sun_path[0] = 0: abstract
    self->inner_len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + name);
    self->listener = s_listen (endpoint, &self->endpoint, ret_err);
    self->conns = calloc (WRP_GATE_MAX_PEERS, sizeof *self->conns);
    self->notices = zsock_new (ZMQ_PAIR);
    if (self->listener < 0 || !self->endpoint || !self->conns || !self->notices ||
        zsock_bind (self->notices, "%s", notices)) {
        if (self->listener >= 0)
            wrp_str_set (ret_err, "gate: cannot start: %s", zmq_strerror (zmq_errno ()));
        wrp_gate_destroy (&self);
        return NULL;
    }
    zsock_set_sndhwm (self->notices, 100);
    self->actor = zactor_new (s_actor, self);
    if (!self->actor) {
        wrp_str_set (ret_err, "gate: cannot start its thread");
        wrp_gate_destroy (&self);
    }
    return self;
}

void
wrp_gate_destroy (wrp_gate_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_gate_t *self = *self_p;
    zactor_destroy (&self->actor);
    if (self->listener >= 0)
        close (self->listener);
    zsock_destroy (&self->notices);
    free (self->conns);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

const char *
wrp_gate_endpoint (wrp_gate_t *self)
{
    assert (self);
    return self->endpoint;
}

//  ---------------------------------------------------------------------------
//  Self-test: relays a message; drops a peer sending frames with MORE past
//  the bound, and reports it.

#define S_TEST_DEADLINE_MS 30000

void
wrp_gate_test (bool verbose)
{
    (void) verbose;
    char inner[64], notices[64];
    snprintf (inner, sizeof inner, "ipc://@wrp-gate-test-%d", getpid ());
    snprintf (notices, sizeof notices, "inproc://wrp-gate-test-%d", getpid ());
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert (router && zsock_bind (router, "%s", inner) == 0);
    char *err = NULL;
    assert (!wrp_gate_new ("udp://1.2.3.4:5", inner, notices, &err));
    zstr_free (&err);
    wrp_gate_t *gate = wrp_gate_new ("tcp://127.0.0.1:*", inner, notices, &err);
    assert (gate);
    assert (!strncmp (wrp_gate_endpoint (gate), "tcp://127.0.0.1:", 16));
    char connect_to[80];
    snprintf (connect_to, sizeof connect_to, ">%s", notices);
    zsock_t *events = zsock_new_pair (connect_to);
    assert (events);

    //  A message goes through, both ways.
    zsock_t *dealer = zsock_new_dealer (wrp_gate_endpoint (gate));
    assert (dealer);
    //  Deadlines, not waits: generous for a loaded machine under sanitizers
    //  (one run missed 5 s there).
    zsock_set_rcvtimeo (router, S_TEST_DEADLINE_MS);
    zsock_set_rcvtimeo (dealer, S_TEST_DEADLINE_MS);
    zstr_sendx (dealer, "hello", "world", NULL);
    zmsg_t *msg = zmsg_recv (router);
    assert (msg && zmsg_size (msg) == 3);
    zmsg_send (&msg, router);
    char *a = NULL, *b = NULL;
    assert (zstr_recvx (dealer, &a, &b, NULL) == 2 && streq (a, "hello"));
    zstr_free (&a);
    zstr_free (&b);

    //  Frames with MORE, never a last one (libzmq would not send them before
    //  the last: raw ZMTP), dropped at the frame bound.
    int port = atoi (strrchr (wrp_gate_endpoint (gate), ':') + 1);
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert (fd >= 0 && connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0);
    uint8_t greeting[S_GREETING] = {0xff, [9] = 0x7f, 3, 0, 'N', 'U', 'L', 'L'};
    const uint8_t ready[] = {0x04, 28,  5,   'R', 'E', 'A', 'D', 'Y', 11,  'S',
                             'o',  'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e',
                             0,    0,   0,   6,   'D', 'E', 'A', 'L', 'E', 'R'};
    //  The handshake in turn, as a libzmq peer does it: greeting, READY.
    uint8_t answer[S_GREETING + sizeof ready];
    assert (send (fd, greeting, sizeof greeting, MSG_NOSIGNAL) == sizeof greeting);
    assert (recv (fd, answer, S_GREETING, MSG_WAITALL) == S_GREETING);
    assert (send (fd, ready, sizeof ready, MSG_NOSIGNAL) == sizeof ready);
    assert (recv (fd, answer, 2, MSG_WAITALL) == 2 && answer[0] == 0x04);
    ssize_t body = answer[1];
    assert (recv (fd, answer, (size_t) body, MSG_WAITALL) == body);
    const uint8_t empty_more[2] = {0x01, 0};
    for (int sent = 0; sent < WRP_GATE_MAX_FRAMES + 10; sent++)
        if (send (fd, empty_more, 2, MSG_NOSIGNAL) != 2)
            break;
    zsock_set_rcvtimeo (events, S_TEST_DEADLINE_MS);
    zmsg_t *event = zmsg_recv (events);
    assert (event && zmsg_size (event) == 2);
    uint32_t value;
    memcpy (&value, zframe_data (zmsg_first (event)) + 2, 4);
    assert (value == WRP_GATE_DROPPED);
    char *text = zframe_strdup (zmsg_next (event));
    assert (strstr (text, "127.0.0.1 on tcp://127.0.0.1:") && strstr (text, "exceeds"));
    zstr_free (&text);
    zmsg_destroy (&event);
    close (fd);
    zsock_destroy (&dealer);
    zsock_destroy (&events);
    wrp_gate_destroy (&gate);
    wrp_gate_destroy (&gate);
    zsock_destroy (&router);
}
