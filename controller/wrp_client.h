/*  wrp_client — the controller's side of the control channel: one fan-out
    ROUTER connected to every agent (one descriptor per agent), one poll
    loop.

    Connections are made a window at a time (at most 512 dialed and not
    yet up, refused or failed), so that thousands of CURVE handshakes never
    outlast the agents' handshake timeout on a slow machine; a node's
    request is queued as soon as it is dialed.

    A call sends one request to every node at once and collects the replies,
    matched by id, under one deadline: the user's --timeout. A node is
    decided without a reply only on evidence about its transport, each said
    at the moment it is known: the name does not resolve, the connection is
    refused or has no route, the handshake is refused (the socket monitor
    files every connection's events by endpoint). A node that is connected
    but has not replied is busy and is waited for until the deadline; then
    what the evidence shows is said ("connected, heartbeats answered, no
    reply to START within 120 s", or "timed out" when the agent answers its
    STATUS probes but the command did not finish). A connection re-made
    during a call gets the request again with the same id: the agent
    answers a repeat from its record. A deferred command (START, STOP...)
    carries a STATUS probe, repeated every 2 s while the node is busy: its
    reply is the node's latest state.

    The connections stay open for the client's life, so wrp_monitor can keep
    polling through them (wrp_client_send / wrp_client_recv / wrp_client_link),
    unless wrp_client_set_hangup asks to close each once its node answered. */

#ifndef WRP_CLIENT_H_INCLUDED
#define WRP_CLIENT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wrp_msg.h"
#include "wrp_plan.h"
#include "wrp_transport.h"

typedef struct {
    const char *host;      //  host name or address (borrowed from the plan)
    int port;              //  agent port
    char endpoint[300];    //  tcp://host:port
    bool connected;        //  dialed (its connection exists, maybe not up)
    bool reachable;        //  the agent sent something during the last call
    bool answered;         //  the agent replied to the command itself
    bool timed_out;        //  reachable, but the command's reply did not come in time
    bool unauthorized;     //  the CURVE handshake was refused
    double rtt_ms;         //  request to first reply of the last call, ms; < 0 unknown
    wrp_msg_t *reply;      //  the command's reply (OK or ERROR); NULL if none
    wrp_msg_t *status;     //  freshest message carrying status fields; NULL if none
    char *error;           //  why the command was not done, one line; NULL if done
    double last_seen;      //  wall clock (s since the epoch) of the last message
} wrp_client_node_t;

typedef struct _wrp_client_t wrp_client_t;

//  A client for every host (tcp://HOST:PORT); the connections are made as
//  the window allows, from the first call or receive on. A host that cannot
//  be dialed (no address, no key, no descriptors) is kept, with its error. Raises the
//  process's open file limit as far as it may for large host counts.
//  agent_key_file is the agents' public certificate (NULL when insecure).
//  The transport and hosts are borrowed and must outlive the client.
//  Returns NULL only when out of memory.
wrp_client_t *wrp_client_new (wrp_transport_t *transport, const wrp_plan_host_t *hosts,
                              size_t count, const char *agent_key_file);

//  Close every connection; NULL-safe, nulls the caller's pointer.
void wrp_client_destroy (wrp_client_t **self_p);

//  Number of nodes, and a node's entry by index (borrowed).
size_t wrp_client_size (wrp_client_t *self);
wrp_client_node_t *wrp_client_node (wrp_client_t *self, size_t index);

//  Show a progress line on stderr (only when it is a TTY) when a call takes
//  longer than a second; label names the command ("start"). NULL: off.
void wrp_client_set_progress (wrp_client_t *self, const char *label);

//  Close each node's connection as soon as it answered a call (for a
//  command's last call: memory then follows the nodes still waited for, not
//  the cluster). A node asked again later is dialed again.
void wrp_client_set_hangup (wrp_client_t *self, bool hangup);

//  Send requests[i] to node i (NULL: leave node i out) all at once and
//  collect the replies until every node answered or was decided down,
//  timeout_ms passed or the process was interrupted. Node entries of the
//  nodes asked are reset and filled in. Returns the number of nodes that
//  answered the command, or -1 when interrupted (entries filled as far as
//  known).
int wrp_client_call (wrp_client_t *self, wrp_msg_t **requests, int timeout_ms);

//  Same request to every connected node (the id is shared).
int wrp_client_call_all (wrp_client_t *self, const wrp_msg_t *request, int timeout_ms);

//  Low level (monitor): queue msg to node index without waiting. Returns 0,
//  or -1 when the node is not connected (not dialed yet: the window moves
//  on in wrp_client_recv) or its queue is full.
int wrp_client_send (wrp_client_t *self, size_t index, const wrp_msg_t *msg);

//  Low level (monitor): the next message from any node, waiting at most
//  timeout_ms (0: do not wait). Returns 0 with *ret_index and *ret_msg
//  (caller owns), or -1 on timeout or interrupt. Malformed messages are
//  dropped. Every message received updates the node's last_seen.
int wrp_client_recv (wrp_client_t *self, int timeout_ms, size_t *ret_index,
                     wrp_msg_t **ret_msg);

//  Low level (monitor): did node index's agent refuse the handshake (our
//  key not authorized, or a security mismatch)? Returns 1 and *ret_reason
//  (one line, caller frees), else 0. Never blocks.
int wrp_client_auth_failed (wrp_client_t *self, size_t index, char **ret_reason);

//  Low level (monitor): what node index's connection did so far (drops
//  counts connections closed or timed out by heartbeats). Never blocks.
//  Returns 0 and *ret_link, or -1 when the node has no socket.
int wrp_client_link (wrp_client_t *self, size_t index, wrp_transport_link_t *ret_link);

//  Wall clock in seconds since the epoch (sub-second precision).
double wrp_client_now (void);

void wrp_client_test (bool verbose);

#endif
