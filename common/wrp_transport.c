/*  wrp_transport — the sockets of the control channel. See wrp_transport.h.

    Security. The agent's ROUTER is a CURVE server in ZAP domain "wrp"; the
    ZAP handler (wrp_zap) answers each handshake. The controller learns
    about refusals from the ZMTP handshake events that libzmq (>= 4.3) emits
    on the client socket: a socket monitor per DEALER sees
    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH with the ZAP status code (400), and
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL for a mechanism mismatch.           */

#include "wrp_transport.h"
#include "wrp_cert.h"
#include "wrp_zap.h"
#include "wrp_msg.h"
#include "wrp_file.h"
#include "wrp_gate.h"
#include "wrp_str.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

//  Socket options (why each one is set: see the s_set_common comments).
#define S_MAX_SOCKETS      65536
#define S_BACKLOG          4096
#define S_MAXMSGSIZE       ((int64_t) WRP_MSG_MAX_TOTAL + 65536)
#define S_LINGER_MS        200
#define S_RECONNECT_MS     100
#define S_RECONNECT_MAX_MS 5000
#define S_HEARTBEAT_IVL    2000
#define S_HEARTBEAT_TTL    10000
#define S_HEARTBEAT_TMO    6000
#define S_HEARTBEAT_MAX    30000    //  the controller's interval, at most
#define S_PEERS_PER_IVL    1000     //  a controller's interval grows past this
#define S_AGENT_PING_TMO   30000    //  the agent's patience with a busy controller
#define S_TCP_MAXRT_MS     15000
#define S_HANDSHAKE_MS     10000
//  A handshake cut off this soon after the connect is the agent refusing it
//  (a wrong key, or CURVE against plain); later, a busy agent timing it out.
#define S_MISMATCH_MS 1000

//  ZMQ_ZAP_ENFORCE_DOMAIN is draft API in libzmq 4.3 (Debian's build has no
//  drafts); the option number is stable, so set it and ignore EINVAL.
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

//  What the monitor events of one connected endpoint have shown.
typedef enum { S_HS_NONE, S_HS_OK, S_HS_FAILED } s_hs_state_t;

typedef struct {
    char *endpoint;               //  what the socket connects to
    char *agent_key_file;         //  the agent key it was given (may be NULL)
    s_hs_state_t state;           //  last handshake outcome
    char *reason;                 //  why it failed (S_HS_FAILED)
    int dropped;                  //  plain handshakes cut off in a row
    int64_t connected_ms;         //  when the last TCP connection was made
    wrp_transport_link_t link;    //  what the connection did so far
} s_peer_t;

//  A client socket's monitor: the pair its events arrive on, filed by the
//  endpoint each event names (a DEALER has one, a fan-out ROUTER many).
typedef struct {
    zsock_t *pair;          //  receives the socket's monitor events
    zhashx_t *peers;        //  endpoint -> s_peer_t
    char routing_id[40];    //  the socket's own routing id ("ctl-" random)
} s_monitor_t;

//  An insecure TCP listener and the gate in front of it.
typedef struct _s_gated_t {
    zsock_t *sock;       //  the ROUTER (owned by the caller)
    wrp_gate_t *gate;    //  owned
    struct _s_gated_t *next;
} s_gated_t;

struct _wrp_transport_t {
    bool server;                             //  agent side (ROUTER, ZAP handler)
    bool insecure;                           //  plain TCP
    zcert_t *cert;                           //  own certificate (NULL when insecure)
    char *key_file;                          //  its file (expanded)
    char *authorized_dir;                    //  server: directory of client certificates
    wrp_zap_t *zap;                          //  server: ZAP handler and notice source
    zhashx_t *monitors;                      //  client: zsock_t * -> s_monitor_t *
    char *dial_key_file;                     //  client: the agent key file read last
    char dial_key[WRP_CERT_KEY_TEXT + 1];    //  and its key (Z85)
    s_gated_t *gated;                        //  server, insecure: listeners behind a gate
    unsigned sequence;                       //  numbers the gates' endpoints
};

//  ---------------------------------------------------------------------------
//  Small helpers

//  The ZeroMQ context allows 1023 sockets and a process 1024 fds by default;
//  a controller needs a DEALER, a monitor pair and a connection per agent.
//  zsys_set_max_sockets asserts once a socket exists, so set the context
//  option directly: libzmq reads it when the first socket is made.
static void
s_raise_limits (void)
{
    zmq_ctx_set (zsys_init (), ZMQ_MAX_SOCKETS, S_MAX_SOCKETS);
    //  Up to 2^20 descriptors (a controller at 10,000 agents needs ~30,000):
    //  the hard limit too when we may (root), else the soft one up to it.
    struct rlimit limit, want = {1 << 20, 1 << 20};
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_max < want.rlim_max &&
        setrlimit (RLIMIT_NOFILE, &want) == 0)
        return;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max > (1 << 20) ? (1 << 20) : limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
    }
}

//  ---------------------------------------------------------------------------
//  Client monitors

static void
s_peer_destroy (s_peer_t **self_p)
{
    if (*self_p) {
        s_peer_t *self = *self_p;
        free (self->endpoint);
        free (self->agent_key_file);
        free (self->reason);
        free (self);
        *self_p = NULL;
    }
}

static void
s_monitor_destroy (s_monitor_t **self_p)
{
    if (*self_p) {
        s_monitor_t *self = *self_p;
        zsock_destroy (&self->pair);
        zhashx_destroy (&self->peers);
        free (self);
        *self_p = NULL;
    }
}

static size_t
s_pointer_hash (const void *key)
{
    uintptr_t value = (uintptr_t) key;
    return (size_t) (value ^ (value >> 17));
}

static int
s_pointer_compare (const void *a, const void *b)
{
    return a < b ? -1 : a > b;
}

//  ---------------------------------------------------------------------------
//  Load the keys (and for a server start the ZAP handler).

wrp_transport_t *
wrp_transport_new (const wrp_security_t *security, bool server, char **ret_err)
{
    assert (security);
    if (!security->insecure && (!security->key_file || !*security->key_file)) {
        if (server)
            return wrp_str_null (
                ret_err,
                "no CURVE key: make the agent's key pair with 'wrp-controller keygen "
                "%s' and start with --key %s, put each controller's public key file "
                "(made with 'wrp-controller keygen %s') into %s/; or run with "
                "--insecure (plain TCP, no authentication)",
                WRP_AGENT_KEY_DEFAULT, WRP_AGENT_KEY_DEFAULT, WRP_CONTROLLER_KEY_DEFAULT,
                WRP_AUTHORIZED_KEYS_DEFAULT);
        return wrp_str_null (
            ret_err,
            "no CURVE key: make one with 'wrp-controller keygen %s' and pass it with "
            "--key, or run with --insecure (plain TCP, no authentication)",
            WRP_CONTROLLER_KEY_DEFAULT);
    }
    s_raise_limits ();
    wrp_transport_t *self = calloc (1, sizeof *self);
    if (!self)
        return wrp_str_null (ret_err, "out of memory");
    self->server = server;
    self->insecure = security->insecure;
    self->monitors = zhashx_new ();
    zhashx_set_key_hasher (self->monitors, s_pointer_hash);
    zhashx_set_key_comparator (self->monitors, s_pointer_compare);
    zhashx_set_key_duplicator (self->monitors, NULL);
    zhashx_set_key_destructor (self->monitors, NULL);
    zhashx_set_destructor (self->monitors, (zhashx_destructor_fn *) s_monitor_destroy);
    if (!self->insecure) {
        self->key_file = wrp_file_expand_home (security->key_file);
        self->cert = self->key_file ? wrp_cert_load (self->key_file, ret_err) : NULL;
        if (!self->cert) {
            wrp_transport_destroy (&self);
            return NULL;
        }
    }
    if (!server)
        return self;

    if (!self->insecure &&
        !(self->authorized_dir =
              strdup (security->authorized_dir ? security->authorized_dir
                                               : WRP_AUTHORIZED_KEYS_DEFAULT))) {
        wrp_str_null (ret_err, "out of memory");
        wrp_transport_destroy (&self);
        return NULL;
    }
    self->zap = wrp_zap_new (self->authorized_dir, ret_err);
    if (!self->zap) {
        wrp_transport_destroy (&self);
        return NULL;
    }
    return self;
}

//  ---------------------------------------------------------------------------
//  Destroy; accepts NULL, nulls the pointer.

void
wrp_transport_destroy (wrp_transport_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_transport_t *self = *self_p;
    zhashx_destroy (&self->monitors);
    while (self->gated) {
        s_gated_t *next = self->gated->next;
        wrp_gate_destroy (&self->gated->gate);
        free (self->gated);
        self->gated = next;
    }
    wrp_zap_destroy (&self->zap);
    zcert_destroy (&self->cert);
    free (self->key_file);
    free (self->authorized_dir);
    free (self->dial_key_file);
    free (self);
    *self_p = NULL;
}

const char *
wrp_transport_public_key (wrp_transport_t *self)
{
    assert (self);
    return self->cert ? zcert_public_txt (self->cert) : NULL;
}

//  ZMTP heartbeats: a node that vanishes without a FIN/RST (power off,
//  cable) is noticed in seconds; the controller then reconnects and the
//  agent frees the peer. TTL tells the peer to drop us likewise. A
//  controller holding many connections pings each less often (2 s per
//  1000, at most 30 s): its I/O threads answer and time every one, and on
//  a starved machine tight deadlines only drop connections and make them
//  handshake again. The agent gives a controller 30 s to answer its pings,
//  and asks the same of it, for the same reason (it has one connection a
//  controller; a dead agent is the controller's business to notice, with
//  its own pings).
static void
s_set_heartbeat (zsock_t *sock, bool server, size_t peers)
{
    int ivl = S_HEARTBEAT_IVL;
    if (!server && peers > S_PEERS_PER_IVL)
        ivl = peers / S_PEERS_PER_IVL * S_HEARTBEAT_IVL > S_HEARTBEAT_MAX
                  ? S_HEARTBEAT_MAX
                  : (int) (peers / S_PEERS_PER_IVL) * S_HEARTBEAT_IVL;
    zsock_set_heartbeat_ivl (sock, ivl);
    zsock_set_heartbeat_ttl (sock, server ? S_AGENT_PING_TMO
                                          : S_HEARTBEAT_TTL / S_HEARTBEAT_IVL * ivl);
    zsock_set_heartbeat_timeout (sock, server ? S_AGENT_PING_TMO
                                              : S_HEARTBEAT_TMO / S_HEARTBEAT_IVL * ivl);
}

//  Options both ends set, and why.
static void
s_set_common (zsock_t *sock)
{
    //  A frame larger than this drops the connection before it is buffered.
    //  libzmq checks each frame; the codec checks the whole message
    //  (WRP_MSG_MAX_TOTAL), so a slightly oversized request still gets a
    //  BAD_REQUEST answer instead of a silent disconnect.
    zsock_set_maxmsgsize (sock, (int) S_MAXMSGSIZE);
    //  On close, give queued replies a moment, but never hang an exit.
    zsock_set_linger (sock, S_LINGER_MS);
    //  TCP_USER_TIMEOUT: unacknowledged data (and on Linux a connect) gives
    //  up after this, not after the kernel's ~15 minutes of retransmits.
    zsock_set_tcp_maxrt (sock, S_TCP_MAXRT_MS);
    //  A peer that connects and never finishes the handshake (a port scan,
    //  a stuck client) is dropped after this.
    zsock_set_handshake_ivl (sock, S_HANDSHAKE_MS);
}

//  ---------------------------------------------------------------------------
//  Agent side: a ROUTER bound to endpoint.

//  Plain TCP: libzmq would buffer a message of any number of frames until
//  its last one, so the ROUTER listens on an abstract unix socket only this
//  process may connect to (ZMQ_IPC_FILTER_PID) and a wrp_gate, which bounds
//  each message as it arrives, takes the TCP connections.
static zsock_t *
s_listen_gated (wrp_transport_t *self, zsock_t *sock, const char *endpoint,
                char **ret_err)
{
    char inner[80], notices[80];
    ++self->sequence;
    snprintf (inner, sizeof inner, "ipc://@wrp-agent-%d-%u-%08x", getpid (),
              self->sequence, randombytes_random ());
    snprintf (notices, sizeof notices, "inproc://wrp-gate-%p-%u", (void *) self,
              self->sequence);
    int pid = getpid ();
    wrp_gate_t *gate = NULL;
    if (zmq_setsockopt (zsock_resolve (sock), ZMQ_IPC_FILTER_PID, &pid, sizeof pid) ||
        zsock_bind (sock, "%s", inner) == -1) {
        wrp_str_set (ret_err, "cannot listen on %s: %s", inner,
                     zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
        return NULL;
    }
    gate = wrp_gate_new (endpoint, inner, notices, ret_err);
    s_gated_t *gated = gate ? calloc (1, sizeof *gated) : NULL;
    if (!gated || wrp_zap_watch_endpoint (self->zap, notices)) {
        if (gate)
            wrp_str_set (ret_err, "cannot listen on %s: out of memory", endpoint);
        free (gated);
        wrp_gate_destroy (&gate);
        zsock_destroy (&sock);
        return NULL;
    }
    *gated = (s_gated_t){.sock = sock, .gate = gate, .next = self->gated};
    self->gated = gated;
    return sock;
}

zsock_t *
wrp_transport_listen (wrp_transport_t *self, const char *endpoint, char **ret_err)
{
    assert (self);
    if (!self->server)
        return wrp_str_null (ret_err, "listen: not a server transport");
    if (!endpoint || !*endpoint)
        return wrp_str_null (ret_err, "listen: empty endpoint");
    zsock_t *sock = zsock_new (ZMQ_ROUTER);
    if (!sock)
        return wrp_str_null (ret_err, "cannot create a socket: %s",
                             zmq_strerror (zmq_errno ()));
    s_set_common (sock);
    s_set_heartbeat (sock, true, 1);
    //  Many controllers' DEALERs (or one controller's fan-out restarting)
    //  connect at once; the kernel caps this at net.core.somaxconn.
    zsock_set_backlog (sock, S_BACKLOG);
    //  A reply to a controller that has gone fails with EHOSTUNREACH (the
    //  agent logs it) instead of vanishing silently.
    zsock_set_router_mandatory (sock, 1);
    //  The controller's DEALERs carry a fixed routing id: after a reconnect
    //  the new connection takes the id over, so a deferred reply (START
    //  answers when the runtime is up) still reaches the controller.
    zsock_set_router_handover (sock, 1);
    if (!self->insecure) {
        zcert_apply (self->cert, sock);
        zsock_set_curve_server (sock, 1);
        zsock_set_zap_domain (sock, WRP_ZAP_DOMAIN);
        //  Fail closed if no ZAP handler answered (draft option in 4.3:
        //  ignored where not built; then our handler's lifetime covers it).
        int on = 1;
        zmq_setsockopt (zsock_resolve (sock), ZMQ_ZAP_ENFORCE_DOMAIN, &on, sizeof on);
    }
    //  Watch failed handshakes for the notices. Set up before bind so that
    //  no connection is missed.
    wrp_zap_watch (self->zap, sock);
    if (self->insecure && !strncmp (endpoint, "tcp://", 6))
        return s_listen_gated (self, sock, endpoint, ret_err);
    if (zsock_bind (sock, "%s", endpoint) == -1) {
        int error = zmq_errno ();
        zsock_destroy (&sock);
        return wrp_str_null (ret_err, "cannot listen on %s: %s", endpoint,
                             zmq_strerror (error));
    }
    return sock;
}

char *
wrp_transport_endpoint (wrp_transport_t *self, zsock_t *sock)
{
    assert (self && sock);
    for (s_gated_t *gated = self->gated; gated; gated = gated->next)
        if (gated->sock == sock)
            return strdup (wrp_gate_endpoint (gated->gate));
    return zsock_last_endpoint (sock);
}

zsock_t *
wrp_transport_notices (wrp_transport_t *self)
{
    assert (self);
    return self->zap ? wrp_zap_notices (self->zap) : NULL;
}

char *
wrp_transport_notice (wrp_transport_t *self)
{
    assert (self);
    return self->zap ? wrp_zap_notice (self->zap) : NULL;
}

//  ---------------------------------------------------------------------------
//  Controller side: a DEALER connected to endpoint.

//  A client socket of the given type with the options of every controller
//  socket, its own certificate, and a socket monitor filed under it.
static zsock_t *
s_client_socket (wrp_transport_t *self, int type, const char *what, size_t peers,
                 char **ret_err)
{
    zsock_t *sock = zsock_new (type);
    if (!sock)
        return wrp_str_null (ret_err, "cannot create a socket for %s: %s", what,
                             zmq_strerror (zmq_errno ()));
    s_set_common (sock);
    s_set_heartbeat (sock, false, peers);
    //  Reconnect after 100 ms, doubling up to 5 s: an agent that restarts
    //  is found again quickly, one that is down costs little (libzmq adds
    //  its own jitter to each retry).
    zsock_set_reconnect_ivl (sock, S_RECONNECT_MS);
    zsock_set_reconnect_ivl_max (sock, S_RECONNECT_MAX_MS);
    //  ZMQ_IMMEDIATE stays off on purpose: the fan-out connects and sends
    //  at once, and the request must wait in the pipe for the connection
    //  (with IMMEDIATE a non-blocking send fails until the handshake is
    //  done). Queued requests survive a reconnect, which is what a deferred
    //  command wants; the monitor keeps one STATUS outstanding per agent, so
    //  nothing piles up while an agent is down.
    if (!self->insecure)
        zcert_apply (self->cert, sock);
    //  The monitor, before any connect so that the first handshake is seen.
    //  Numbered for the whole process: libzmq unbinds a closed monitor's
    //  endpoint some time later, and a new transport may get the address
    //  of a destroyed one, so a per-transport number could be taken.
    static unsigned sequence;
    char name[80];
    snprintf (name, sizeof name, "inproc://wrp-monitor-%u",
              __atomic_add_fetch (&sequence, 1, __ATOMIC_RELAXED));
    s_monitor_t *monitor = calloc (1, sizeof *monitor);
    if (monitor && (monitor->peers = zhashx_new ()))
        zhashx_set_destructor (monitor->peers, (zhashx_destructor_fn *) s_peer_destroy);
    if (!monitor || !monitor->peers ||
        zmq_socket_monitor (zsock_resolve (sock), name,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_CONNECTED |
                                ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_DISCONNECTED |
                                ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0 ||
        !(monitor->pair = zsock_new (ZMQ_PAIR))) {
        int error = zmq_errno ();
        s_monitor_destroy (&monitor);
        zsock_destroy (&sock);
        return wrp_str_null (ret_err, "cannot monitor the socket for %s: %s", what,
                             zmq_strerror (error));
    }
    //  Thousands of connections make a burst of events: never drop one
    //  (a receive HWM of 0 on the connecting side makes the pipe unbounded).
    zsock_set_rcvhwm (monitor->pair, 0);
    zsock_set_linger (monitor->pair, 0);
    if (zsock_connect (monitor->pair, "%s", name) != 0) {
        int error = zmq_errno ();
        s_monitor_destroy (&monitor);
        zsock_destroy (&sock);
        return wrp_str_null (ret_err, "cannot monitor the socket for %s: %s", what,
                             zmq_strerror (error));
    }
    //  A fixed, unguessable routing id: see ROUTER_HANDOVER above.
    char random_id[33];
    wrp_msg_new_id (random_id);
    snprintf (monitor->routing_id, sizeof monitor->routing_id, "ctl-%s", random_id);
    zmq_setsockopt (zsock_resolve (sock), ZMQ_ROUTING_ID, monitor->routing_id,
                    strlen (monitor->routing_id));
    //  A stale record under a recycled pointer (socket freed with
    //  zsock_destroy) is replaced.
    zhashx_update (self->monitors, sock, monitor);
    return sock;
}

//  The agent's public key from agent_key_file into self->dial_key (the last
//  file read is kept: a fan-out to thousands of agents reads it once).
static int
s_dial_key (wrp_transport_t *self, const char *agent_key_file, const char *endpoint,
            char **ret_err)
{
    if (!agent_key_file || !*agent_key_file)
        return wrp_str_fail (ret_err,
                             "no agent public key for %s: pass --agent-key FILE (the "
                             "agent's FILE, without _secret)",
                             endpoint);
    if (self->dial_key_file && streq (self->dial_key_file, agent_key_file))
        return 0;
    zstr_free (&self->dial_key_file);
    char *file = wrp_file_expand_home (agent_key_file);
    int rc = file ? wrp_cert_read_public_key (file, self->dial_key, ret_err) : -1;
    free (file);
    if (rc == 0 && !(self->dial_key_file = strdup (agent_key_file)))
        rc = wrp_str_fail (ret_err, "out of memory");
    return rc;
}

//  Connect sock to endpoint with the agent's key and a monitor record.
static int
s_dial (wrp_transport_t *self, zsock_t *sock, const char *endpoint,
        const char *agent_key_file, char **ret_err)
{
    s_monitor_t *monitor = zhashx_lookup (self->monitors, sock);
    assert (monitor);
    if (!self->insecure) {
        if (s_dial_key (self, agent_key_file, endpoint, ret_err))
            return -1;
        zsock_set_curve_serverkey (sock, self->dial_key);
    }
    s_peer_t *peer = calloc (1, sizeof *peer);
    if (!peer || !(peer->endpoint = strdup (endpoint)) ||
        (agent_key_file && !(peer->agent_key_file = strdup (agent_key_file)))) {
        s_peer_destroy (&peer);
        return wrp_str_fail (ret_err, "out of memory");
    }
    zhashx_update (monitor->peers, endpoint, peer);
    if (zsock_connect (sock, "%s", endpoint) != 0) {
        int error = zmq_errno ();
        zhashx_delete (monitor->peers, endpoint);
        return wrp_str_fail (ret_err, "cannot connect to %s: %s", endpoint,
                             zmq_strerror (error));
    }
    return 0;
}

zsock_t *
wrp_transport_connect (wrp_transport_t *self, const char *endpoint,
                       const char *agent_key_file, char **ret_err)
{
    assert (self);
    if (!endpoint || !*endpoint)
        return wrp_str_null (ret_err, "connect: empty endpoint");
    zsock_t *sock = s_client_socket (self, ZMQ_DEALER, endpoint, 1, ret_err);
    if (sock && s_dial (self, sock, endpoint, agent_key_file, ret_err))
        wrp_transport_close (self, &sock);
    return sock;
}

zsock_t *
wrp_transport_fanout (wrp_transport_t *self, size_t peers, char **ret_err)
{
    assert (self);
    zsock_t *sock = s_client_socket (self, ZMQ_ROUTER, "the agents", peers, ret_err);
    //  A send to a routing id without a connection fails (EHOSTUNREACH)
    //  instead of vanishing.
    if (sock)
        zsock_set_router_mandatory (sock, 1);
    return sock;
}

int
wrp_transport_dial (wrp_transport_t *self, zsock_t *fanout, const char *endpoint,
                    const char *routing_id, const char *agent_key_file, char **ret_err)
{
    assert (self);
    assert (fanout);
    if (!endpoint || !*endpoint || !routing_id || !*routing_id)
        return wrp_str_fail (ret_err, "dial: empty endpoint or routing id");
    s_monitor_t *monitor = zhashx_lookup (self->monitors, fanout);
    assert (monitor);
    //  Our id as the agent sees it is per connection too (libzmq takes it
    //  at connect time): one process serving many endpoints on one ROUTER
    //  (a test bed) must not see every connection under one id.
    char own_id[80];
    snprintf (own_id, sizeof own_id, "%s.%s", monitor->routing_id, routing_id);
    zmq_setsockopt (zsock_resolve (fanout), ZMQ_ROUTING_ID, own_id, strlen (own_id));
    zmq_setsockopt (zsock_resolve (fanout), ZMQ_CONNECT_ROUTING_ID, routing_id,
                    strlen (routing_id));
    return s_dial (self, fanout, endpoint, agent_key_file, ret_err);
}

void
wrp_transport_hangup (wrp_transport_t *self, zsock_t *fanout, const char *endpoint)
{
    assert (self);
    assert (fanout);
    s_monitor_t *monitor = zhashx_lookup (self->monitors, fanout);
    if (monitor && zhashx_lookup (monitor->peers, endpoint)) {
        zmq_disconnect (zsock_resolve (fanout), endpoint);
        zhashx_delete (monitor->peers, endpoint);
    }
}

void
wrp_transport_close (wrp_transport_t *self, zsock_t **sock_p)
{
    assert (self);
    if (!sock_p || !*sock_p)
        return;
    zhashx_delete (self->monitors, *sock_p);
    zsock_destroy (sock_p);
}

zsock_t *
wrp_transport_monitor (wrp_transport_t *self, zsock_t *sock)
{
    assert (self);
    s_monitor_t *monitor = sock ? zhashx_lookup (self->monitors, sock) : NULL;
    return monitor ? monitor->pair : NULL;
}

//  Sets the failure reason of a peer from an event.
static void
s_peer_fail (wrp_transport_t *self, s_peer_t *peer, uint16_t event, uint32_t value)
{
    char *reason = NULL;
    const char *key_file = self->key_file ? self->key_file : "?";
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 400)
        wrp_str_null (
            &reason,
            "not authorized: the agent at %s refused this controller's key '%s' "
            "(%s); add that public key file to the agent's authorized keys directory",
            peer->endpoint, wrp_transport_public_key (self), key_file);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        wrp_str_null (
            &reason,
            "not authorized: the agent at %s refused the handshake (ZAP status %u)",
            peer->endpoint, value);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
             value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        wrp_str_null (
            &reason,
            self->insecure
                ? "security mismatch: the agent at %s requires CURVE, this controller "
                  "runs --insecure"
                : "security mismatch: the agent at %s runs --insecure (plain TCP), this "
                  "controller requires CURVE",
            peer->endpoint);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        wrp_str_null (&reason,
                      "handshake with the agent at %s failed (protocol error 0x%08x)",
                      peer->endpoint, value);
    else if (zclock_mono () - peer->connected_ms >= S_MISMATCH_MS)
        return;    //  cut off late: a busy agent timing the handshake out
    else if (!self->insecure)
        wrp_str_null (
            &reason,
            "CURVE handshake failed: the agent at %s dropped the connection (is "
            "--agent-key %s the public key of that agent?)",
            peer->endpoint, peer->agent_key_file ? peer->agent_key_file : "?");
    else if (++peer->dropped >= 2)
        //  A CURVE agent that reads our NULL greeting first closes before we
        //  read its own, so the mismatch often shows only as a cut-off
        //  handshake; a plain agent never cuts one off twice.
        wrp_str_null (
            &reason,
            "security mismatch: the agent at %s closes every plain (--insecure) "
            "handshake; it probably requires CURVE",
            peer->endpoint);
    else
        return;    //  one plain connection lost mid-handshake: not yet a failure
    free (peer->reason);
    peer->reason = reason;
    peer->state = reason ? S_HS_FAILED : S_HS_NONE;
}

//  Files one event into the record of the endpoint it names.
static void
s_peer_event (wrp_transport_t *self, s_peer_t *peer, uint16_t event, uint32_t value)
{
    wrp_transport_link_t *link = &peer->link;
    if (event == ZMQ_EVENT_CONNECTED) {
        link->tcp = true;
        peer->connected_ms = zclock_mono ();
    } else if (event == ZMQ_EVENT_CONNECT_RETRIED)
        link->retries++;
    else if (event == ZMQ_EVENT_DISCONNECTED) {
        if (link->up)
            link->drops++;
        link->tcp = link->up = false;
    } else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        link->up = true;
        link->handshakes++;
    }
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        peer->state = S_HS_OK;
        peer->dropped = 0;
        zstr_free (&peer->reason);
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL &&
               peer->state == S_HS_FAILED)
        ;    //  a refused client is then dropped: keep the better reason
    else if (event &
             (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
              ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
        s_peer_fail (self, peer, event, value);
}

//  Reads every event waiting on a client socket's monitor into its records,
//  then returns the record of endpoint (NULL: the socket's only one), or
//  NULL when there is none.
static s_peer_t *
s_peer_lookup (wrp_transport_t *self, zsock_t *sock, const char *endpoint)
{
    s_monitor_t *monitor = sock ? zhashx_lookup (self->monitors, sock) : NULL;
    if (!monitor)
        return NULL;
    uint16_t event;
    uint32_t value;
    char name[256];
    while (wrp_zap_event_read (monitor->pair, &event, &value, name, sizeof name) == 0) {
        s_peer_t *peer = zhashx_lookup (monitor->peers, name);
        if (peer)
            s_peer_event (self, peer, event, value);
    }
    return endpoint ? zhashx_lookup (monitor->peers, endpoint)
                    : zhashx_first (monitor->peers);
}

int
wrp_transport_peer_link (wrp_transport_t *self, zsock_t *sock, const char *endpoint,
                         wrp_transport_link_t *ret_link)
{
    assert (self);
    assert (ret_link);
    s_peer_t *peer = s_peer_lookup (self, sock, endpoint);
    if (!peer)
        return -1;
    *ret_link = peer->link;
    return 0;
}

int
wrp_transport_peer_auth_failed (wrp_transport_t *self, zsock_t *sock,
                                const char *endpoint, char **ret_reason)
{
    assert (self);
    s_peer_t *peer = s_peer_lookup (self, sock, endpoint);
    if (!peer)
        return -1;
    if (peer->state != S_HS_FAILED)
        return 0;
    if (ret_reason)
        *ret_reason = strdup (peer->reason);
    return 1;
}

int
wrp_transport_link (wrp_transport_t *self, zsock_t *sock, wrp_transport_link_t *ret_link)
{
    return wrp_transport_peer_link (self, sock, NULL, ret_link);
}

int
wrp_transport_auth_failed (wrp_transport_t *self, zsock_t *sock, char **ret_reason)
{
    return wrp_transport_peer_auth_failed (self, sock, NULL, ret_reason);
}

//  ---------------------------------------------------------------------------
//  Self-test

//  Sends a STATUS from client to server and an OK back. Returns true when
//  the round trip completed within timeout_ms.
static bool
s_round_trip (zsock_t *server, zsock_t *client, int timeout_ms)
{
    wrp_msg_t *request = wrp_msg_new (WRP_CMD_STATUS, NULL);
    bool ok = wrp_msg_send (request, client, NULL) == 0;
    zpoller_t *poller = zpoller_new (server, NULL);
    ok = ok && zpoller_wait (poller, timeout_ms) == server;
    zpoller_destroy (&poller);
    wrp_msg_t *got = NULL;
    zframe_t *peer = NULL;
    char err[256];
    ok = ok && wrp_msg_recv (server, &got, &peer, err, sizeof err) == 0;
    if (ok) {
        wrp_msg_t *reply = wrp_msg_new (WRP_CMD_OK, wrp_msg_id (got));
        ok = wrp_msg_send (reply, server, peer) == 0;
        wrp_msg_destroy (&reply);
    }
    wrp_msg_destroy (&got);
    zframe_destroy (&peer);
    poller = zpoller_new (client, NULL);
    ok = ok && zpoller_wait (poller, timeout_ms) == client;
    zpoller_destroy (&poller);
    ok = ok && wrp_msg_recv (client, &got, NULL, err, sizeof err) == 0 &&
         wrp_msg_cmd (got) == WRP_CMD_OK &&
         streq (wrp_msg_id (got), wrp_msg_id (request));
    wrp_msg_destroy (&got);
    wrp_msg_destroy (&request);
    return ok;
}

//  Waits up to timeout_ms for the client side to see a handshake failure.
static int
s_wait_failed (wrp_transport_t *client, zsock_t *sock, int timeout_ms, char **ret_reason)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        int rc = wrp_transport_auth_failed (client, sock, ret_reason);
        if (rc)
            return rc;
        zpoller_t *poller = zpoller_new (wrp_transport_monitor (client, sock), NULL);
        zpoller_wait (poller, 50);
        zpoller_destroy (&poller);
    }
    return 0;
}

//  Waits up to timeout_ms for a server notice holding needle.
static char *
s_wait_notice (wrp_transport_t *server, const char *needle, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        char *notice = wrp_transport_notice (server);
        if (notice && strstr (notice, needle))
            return notice;
        free (notice);
        if (!notice) {
            zpoller_t *poller = zpoller_new (wrp_transport_notices (server), NULL);
            zpoller_wait (poller, 50);
            zpoller_destroy (&poller);
        }
    }
    return NULL;
}

//  A DEALER that must connect (says why when it does not).
static zsock_t *
s_connect (wrp_transport_t *client, const char *endpoint, const char *agent_key)
{
    char *err = NULL;
    zsock_t *sock = wrp_transport_connect (client, endpoint, agent_key, &err);
    if (!sock)
        fprintf (stderr, "connect %s: %s\n", endpoint, err ? err : "?");
    assert (sock);
    return sock;
}

static int
s_free_port (void)
{
    //  A plain socket: closing it frees the port at once, where libzmq
    //  unbinds in its I/O thread some time after zsock_destroy returns.
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert (fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert (bind (fd, (struct sockaddr *) &sa, sizeof sa) == 0);
    assert (getsockname (fd, (struct sockaddr *) &sa, &len) == 0);
    close (fd);
    return ntohs (sa.sin_port);
}

void
wrp_transport_test (bool verbose)
{
    if (verbose)
        printf (" * wrp_transport:\n");
    char dir[] = "/tmp/wrp_transport_test.XXXXXX";
    assert (mkdtemp (dir));
    char agent_key[200], ctl_key[200], other_key[200], authorized[200], path[1024];
    snprintf (agent_key, sizeof agent_key, "%s/keys/agent.key", dir);
    snprintf (ctl_key, sizeof ctl_key, "%s/ctl/controller.key", dir);
    snprintf (other_key, sizeof other_key, "%s/other.key", dir);
    snprintf (authorized, sizeof authorized, "%s/authorized_keys", dir);
    char *err = NULL;

    assert (wrp_cert_keygen (agent_key, &err) == 0);
    assert (wrp_cert_keygen (ctl_key, &err) == 0);
    assert (wrp_cert_keygen (other_key, &err) == 0);
    char public_key[WRP_CERT_KEY_TEXT + 1];

    //  Missing keys: the message says how to make them
    wrp_security_t security = {.insecure = false};
    assert (wrp_transport_new (&security, true, &err) == NULL);
    if (verbose)
        printf ("    %s\n", err);
    assert (strstr (err, "wrp-controller keygen") && strstr (err, "--insecure"));
    zstr_free (&err);
    security.key_file = "/nonexistent/agent.key";
    assert (wrp_transport_new (&security, true, &err) == NULL);
    assert (strstr (err, "/nonexistent/agent.key") && strstr (err, "keygen"));
    zstr_free (&err);
    //  A readable secret is refused, like ssh does
    snprintf (path, sizeof path, "%s_secret", other_key);
    chmod (path, 0644);
    security.key_file = other_key;
    assert (wrp_transport_new (&security, false, &err) == NULL);
    if (verbose)
        printf ("    %s\n", err);
    assert (strstr (err, "chmod 600"));
    zstr_free (&err);
    chmod (path, 0600);
    //  Not a certificate
    assert (wrp_cert_read_public_key ("/etc/hostname", public_key, &err) == -1);
    zstr_free (&err);
    //  No authorized keys directory
    security.key_file = agent_key;
    security.authorized_dir = authorized;
    assert (wrp_transport_new (&security, true, &err) == NULL);
    assert (strstr (err, authorized));
    zstr_free (&err);
    assert (mkdir (authorized, 0700) == 0);
    snprintf (path, sizeof path, "cp %s %s/ctl.pub", ctl_key, authorized);
    assert (system (path) == 0);
    //  The same key twice does not upset the key ring (zcertstore asserts)
    snprintf (path, sizeof path, "cp %s %s/ctl-copy.pub", ctl_key, authorized);
    assert (system (path) == 0);

    //  CURVE: an authorized controller gets through
    wrp_transport_t *server = wrp_transport_new (&security, true, &err);
    assert (server && wrp_transport_public_key (server) &&
            wrp_transport_notices (server));
    int port = s_free_port ();
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    zsock_t *router = wrp_transport_listen (server, endpoint, &err);
    assert (router);
    //  A second listener on the same port fails with a message
    assert (wrp_transport_listen (server, endpoint, &err) == NULL &&
            strstr (err, endpoint));
    zstr_free (&err);

    wrp_security_t ctl = {.key_file = ctl_key};
    wrp_transport_t *client = wrp_transport_new (&ctl, false, &err);
    assert (client && wrp_transport_notices (client) == NULL);
    assert (wrp_transport_connect (client, endpoint, NULL, &err) ==
            NULL);    //  no agent key
    assert (strstr (err, "--agent-key"));
    zstr_free (&err);
    zsock_t *dealer = s_connect (client, endpoint, agent_key);
    assert (dealer);
    assert (s_round_trip (router, dealer, 5000));
    assert (wrp_transport_auth_failed (client, dealer, &err) == 0);
    assert (wrp_transport_auth_failed (client, router, &err) == -1);    //  not ours
    if (verbose)
        printf ("    CURVE round trip with an authorized key: OK\n");

    //  An unknown key: refused, the controller learns it, the agent logs it
    wrp_security_t stranger = {.key_file = other_key};
    wrp_transport_t *client2 = wrp_transport_new (&stranger, false, &err);
    assert (client2);
    zsock_t *dealer2 = s_connect (client2, endpoint, agent_key);
    assert (dealer2);
    //  The send may be refused already (the handshake can fail first): what
    //  counts is that the refusal is reported.
    wrp_msg_t *msg = wrp_msg_new (WRP_CMD_STATUS, "refused");
    (void) wrp_msg_send (msg, dealer2, NULL);
    wrp_msg_destroy (&msg);
    char *reason = NULL;
    assert (s_wait_failed (client2, dealer2, 5000, &reason) == 1);
    if (verbose)
        printf ("    controller: %s\n", reason);
    assert (strstr (reason, "not authorized") && strstr (reason, other_key));
    zstr_free (&reason);
    char other_public[WRP_CERT_KEY_TEXT + 1];
    assert (wrp_cert_read_public_key (other_key, other_public, &err) == 0);
    char *notice = s_wait_notice (server, other_public, 5000);
    assert (notice && strstr (notice, "refused controller key") &&
            strstr (notice, authorized));
    if (verbose)
        printf ("    agent: %s\n", notice);
    zstr_free (&notice);
    //  ... nothing got through, and the authorized controller still works
    zpoller_t *poller = zpoller_new (router, NULL);
    assert (zpoller_wait (poller, 200) == NULL);
    zpoller_destroy (&poller);
    assert (s_round_trip (router, dealer, 5000));

    //  Authorizing the key needs no restart: a new connection gets through.
    //  (libzmq does not retry a connection refused by ZAP: the refused
    //  DEALER stays refused, and its queued request is dropped.)
    snprintf (path, sizeof path, "cp %s %s/other.pub", other_key, authorized);
    assert (system (path) == 0);
    wrp_transport_close (client2, &dealer2);
    dealer2 = s_connect (client2, endpoint, agent_key);
    assert (s_round_trip (router, dealer2, 5000));
    assert (wrp_transport_auth_failed (client2, dealer2, &reason) == 0);
    //  ... and revoking it refuses the next connection
    snprintf (path, sizeof path, "%s/other.pub", authorized);
    assert (unlink (path) == 0);
    zsock_t *dealer3 = s_connect (client2, endpoint, agent_key);
    assert (s_wait_failed (client2, dealer3, 5000, &reason) == 1);
    zstr_free (&reason);
    //  The same key refused again within a minute is not logged again
    notice = s_wait_notice (server, other_public, 300);
    assert (notice == NULL);
    wrp_transport_close (client2, &dealer3);
    wrp_transport_close (client2, &dealer2);
    assert (dealer2 == NULL);
    wrp_transport_destroy (&client2);
    if (verbose)
        printf (
            "    unknown key refused, reported both sides; added and revoked live: OK\n");

    //  A wrong agent key: the controller is told to check --agent-key
    zsock_t *wrong = s_connect (client, endpoint, other_key);
    assert (wrong);
    assert (s_wait_failed (client, wrong, 5000, &reason) == 1);
    if (verbose)
        printf ("    controller: %s\n", reason);
    assert (strstr (reason, "--agent-key"));
    zstr_free (&reason);
    wrp_transport_close (client, &wrong);

    //  A plain controller against the CURVE agent: a clear mismatch
    wrp_security_t plain = {.insecure = true};
    wrp_transport_t *plain_client = wrp_transport_new (&plain, false, &err);
    assert (plain_client);
    assert (wrp_transport_public_key (plain_client) == NULL);
    zsock_t *plain_dealer = s_connect (plain_client, endpoint, NULL);
    assert (s_wait_failed (plain_client, plain_dealer, 5000, &reason) == 1);
    if (verbose)
        printf ("    controller: %s\n", reason);
    assert (strstr (reason, "requires CURVE"));
    zstr_free (&reason);
    notice = s_wait_notice (server, "without CURVE", 5000);
    assert (notice);
    if (verbose)
        printf ("    agent: %s\n", notice);
    zstr_free (&notice);
    wrp_transport_close (plain_client, &plain_dealer);
    assert (s_round_trip (router, dealer, 5000));

    wrp_transport_close (client, &dealer);
    wrp_transport_destroy (&client);
    zsock_destroy (&router);
    wrp_transport_destroy (&server);
    assert (server == NULL);
    wrp_transport_destroy (&server);

    //  Insecure round trip (and the ZAP endpoint is free again)
    wrp_security_t open_server = {.insecure = true};
    server = wrp_transport_new (&open_server, true, &err);
    assert (server);
    router = wrp_transport_listen (server, "tcp://127.0.0.1:*", &err);
    assert (router);
    char *bound = wrp_transport_endpoint (server, router);
    snprintf (endpoint, sizeof endpoint, "%s", bound);
    zstr_free (&bound);
    plain_dealer = s_connect (plain_client, endpoint, NULL);
    assert (s_round_trip (router, plain_dealer, 5000));
    assert (wrp_transport_auth_failed (plain_client, plain_dealer, &reason) == 0);
    wrp_transport_close (plain_client, &plain_dealer);
    //  A second listener on the same transport works too
    zsock_t *router2 = wrp_transport_listen (server, "tcp://127.0.0.1:*", &err);
    assert (router2);
    bound = wrp_transport_endpoint (server, router2);
    plain_dealer = s_connect (plain_client, bound, NULL);
    zstr_free (&bound);
    assert (s_round_trip (router2, plain_dealer, 5000));
    wrp_transport_close (plain_client, &plain_dealer);
    zsock_destroy (&router2);
    wrp_transport_destroy (&plain_client);
    zsock_destroy (&router);
    wrp_transport_destroy (&server);
    server = wrp_transport_new (&security, true, &err);
    assert (server);
    wrp_transport_destroy (&server);
    if (verbose)
        printf ("    insecure round trip: OK\n");

    snprintf (path, sizeof path, "rm -rf %s", dir);
    assert (system (path) == 0);
    if (verbose)
        printf ("   OK\n");
}
