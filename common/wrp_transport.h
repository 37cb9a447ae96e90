/*  wrp_transport — the sockets of the control channel, set up one way.

    Owns the security context of one process: its own CURVE certificate
    (wrp_cert), and for a server the ZAP handler (wrp_zap, which checks each
    connecting controller's public key against the authorized-keys
    directory). Makes the agent's ROUTER (bound) and the controller's
    fan-out (one ROUTER connected to every agent) or DEALER (one agent), with the libzmq
   options that matter at scale set on purpose: backlog, ROUTER_MANDATORY,
   ROUTER_HANDOVER, reconnect back-off, ZMTP heartbeats, TCP_MAXRT, linger, message size
    limit (see the comments in wrp_transport.c and PROTOCOL.md).

    Plain TCP only when insecure is set; an insecure TCP listener is
    fronted by a wrp_gate that bounds every message as it arrives; a caller asking for
   neither keys nor insecure gets an error telling how to make keys.

    Security outcomes are reported, not printed:
    - agent: poll wrp_transport_notices (); when readable, each
      wrp_transport_notice () is one line to log ("refused controller key
      '...' from 10.0.0.5: not in /etc/wrp/authorized_keys"); repeats of the
      same key are rate-limited.
    - controller: wrp_transport_peer_auth_failed () tells, per agent,
      whether it refused the handshake and why ("not authorized ...").

    One server transport per process (ZAP is per ZeroMQ context). Destroy
    the sockets before the transport: the ZAP handler must outlive the
    listener, or libzmq (built without draft API) would let any CURVE
    client in while no handler is bound.                                      */

#ifndef WRP_TRANSPORT_H_INCLUDED
#define WRP_TRANSPORT_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

#include "wrp_proto.h"    //  default key locations, the ZAP domain

typedef struct {
    bool insecure;                 //  plain TCP, no CURVE
    const char *key_file;          //  own certificate: FILE (public) + FILE_secret
    const char *authorized_dir;    //  server: directory of client public certs
} wrp_security_t;

typedef struct _wrp_transport_t wrp_transport_t;

//  Load the keys (and for a server start the ZAP handler). A leading "~/"
//  in key_file is $HOME. authorized_dir NULL means the default. Also raises
//  the ZeroMQ socket limit and RLIMIT_NOFILE (soft up to hard) so a
//  controller can hold a connection per agent for thousands of agents (this is
//  effective only before the process's first ZeroMQ socket: create the
//  transport first). Returns NULL and a message (caller frees) naming the
//  file and what is wrong; with neither key_file nor insecure the message
//  says how to make keys.
wrp_transport_t *wrp_transport_new (const wrp_security_t *security, bool server,
                                    char **ret_err);

//  Destroy; accepts NULL, nulls the pointer. Destroy the sockets first.
void wrp_transport_destroy (wrp_transport_t **self_p);

//  Own public key (Z85, 40 chars), or NULL when insecure. Borrowed.
const char *wrp_transport_public_key (wrp_transport_t *self);

//  Agent side: a ROUTER bound to endpoint. Returns NULL and a message.
//  Caller owns the socket (zsock_destroy it before the transport).
zsock_t *wrp_transport_listen (wrp_transport_t *self, const char *endpoint,
                               char **ret_err);

//  Agent side: the endpoint a listener from wrp_transport_listen serves
//  controllers on, with the port it got ("tcp://127.0.0.1:41235"; for an
//  insecure TCP listener that of its wrp_gate). Caller frees.
char *wrp_transport_endpoint (wrp_transport_t *self, zsock_t *sock);

//  Agent side: a socket that becomes readable when a security notice is
//  waiting (add it to the server loop's zpoller; borrowed). Never NULL for
//  a server transport; NULL for a client one.
zsock_t *wrp_transport_notices (wrp_transport_t *self);

//  Agent side: the next notice as one line (caller frees), or NULL when none
//  is waiting. Never blocks. Notices: a refused controller key (with the
//  key, its address and the directory), a failed handshake (a plain-TCP
//  client against CURVE, bytes that are not ZMTP, a bad CURVE handshake),
//  rate-limited to one line per key or kind per minute with a count.
char *wrp_transport_notice (wrp_transport_t *self);

//  Controller side: a DEALER connected to endpoint, for a tool that talks
//  to one agent. agent_key_file is the agent's public certificate (ignored
//  when insecure). Returns NULL and a message. The DEALER gets a random
//  routing id (so the agent can still answer a deferred command after a
//  reconnect) and a socket monitor (wrp_transport_link and
//  wrp_transport_auth_failed). Caller owns the socket; close it with
//  wrp_transport_close.
zsock_t *wrp_transport_connect (wrp_transport_t *self, const char *endpoint,
                                const char *agent_key_file, char **ret_err);

//  Controller side, many agents: one ROUTER (ROUTER_MANDATORY, the same
//  options and certificate as a DEALER) and one socket monitor, to which
//  wrp_transport_dial adds one connection per agent. A connection costs one
//  descriptor and no socket of its own. peers: how many agents it will
//  hold (its heartbeats are spaced out for thousands). Returns NULL and a
//  message. Close it with wrp_transport_close.
zsock_t *wrp_transport_fanout (wrp_transport_t *self, size_t peers, char **ret_err);

//  Controller side: connect the fan-out to endpoint; messages to the agent
//  there go to routing_id (unique for the socket's life: libzmq frees an
//  old one asynchronously), and are queued until the connection is up.
//  agent_key_file: as for wrp_transport_connect (the last file read is
//  kept, so many agents sharing one file cost one read). Returns 0, or -1
//  and a message.
int wrp_transport_dial (wrp_transport_t *self, zsock_t *fanout, const char *endpoint,
                        const char *routing_id, const char *agent_key_file,
                        char **ret_err);

//  Controller side: close the fan-out's connection to endpoint and forget
//  what its monitor showed. Does nothing for an endpoint not dialed.
void wrp_transport_hangup (wrp_transport_t *self, zsock_t *fanout, const char *endpoint);

//  Controller side: destroy a socket from wrp_transport_connect or
//  wrp_transport_fanout and its monitor. Accepts NULL, nulls the pointer.
void wrp_transport_close (wrp_transport_t *self, zsock_t **sock_p);

//  Controller side: did the agent refuse the handshake on this DEALER?
//  Never blocks: reads the socket's pending monitor events. Returns 1 and
//  *ret_reason (one line, caller frees) when the last handshake failed:
//    "not authorized: the agent refused this controller's key '...' (FILE);
//     add FILE to the agent's authorized keys directory"
//    "security mismatch: the agent requires CURVE, this controller runs
//     --insecure" (or the reverse)
//    "CURVE handshake failed: the agent dropped the connection (is
//     --agent-key FILE the key of the agent at ENDPOINT?)"
//  0 when no failure was seen, or a later handshake succeeded (the key was
//  added meanwhile); -1 when sock is not from wrp_transport_connect.
//  libzmq retries the handshake with back-off, so a refusal shows up within
//  milliseconds of the first connect; the fan-out either checks its pending
//  nodes every time its poll loop wakes (at least every 100 ms), or adds
//  wrp_transport_monitor (sock) to its poller.
int wrp_transport_auth_failed (wrp_transport_t *self, zsock_t *sock, char **ret_reason);

//  Controller side: what the connection of a monitored DEALER did so far,
//  from its socket monitor (never blocks; drains the pending events).
typedef struct {
    bool tcp;               //  a TCP connection exists now (maybe handshaking)
    bool up;                //  a ZMTP session is up now (handshake done)
    unsigned handshakes;    //  sessions made so far
    unsigned drops;         //  sessions lost so far (closed, reset, heartbeat timeout)
    unsigned retries;       //  connect attempts that failed (refused, no route)
} wrp_transport_link_t;

//  Returns 0 and *ret_link, or -1 when sock is not a monitored DEALER.
int wrp_transport_link (wrp_transport_t *self, zsock_t *sock,
                        wrp_transport_link_t *ret_link);

//  The same two questions about one endpoint of a fan-out (endpoint NULL:
//  a DEALER's only one). -1 when that endpoint is not dialed.
int wrp_transport_peer_link (wrp_transport_t *self, zsock_t *sock, const char *endpoint,
                             wrp_transport_link_t *ret_link);
int wrp_transport_peer_auth_failed (wrp_transport_t *self, zsock_t *sock,
                                    const char *endpoint, char **ret_reason);

//  Controller side: the monitor socket of a DEALER or fan-out (borrowed;
//  NULL if sock is unknown). It becomes readable when a connection event arrives; then
//  call wrp_transport_auth_failed, which drains it.
zsock_t *wrp_transport_monitor (wrp_transport_t *self, zsock_t *sock);

void wrp_transport_test (bool verbose);

#endif
