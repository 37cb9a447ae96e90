/*  wrp_agent — the agent's server loop.

    One ROUTER socket (wrp_transport_listen), a signalfd, the runtime's
    pidfd, all in one zmq_poll; the poll sleeps until a message, a signal,
    the runtime's exit or the supervisor's next deadline (readiness probe
    while starting, escalation steps) — no periodic wake-up except the
    systemd watchdog when WATCHDOG_USEC is set.

    STATUS is answered by the loop itself (liveness = the loop answering).
    START, STOP and KILL are deferred replies: the requester's routing id and
    command id are kept and answered when the runtime settles. One lifecycle
    command at a time; another gets ERROR BUSY, except KILL, which preempts
    (the preempted command gets its reply when the kill is done).

    Requests arrive through the codec's bounded reader
    (wrp_msg_recv_request); a malformed one that can be answered gets the
    codec's reject (BAD_REQUEST, or VERSION with the version spoken). What
    to do with a decoded request is a pure function, wrp_agent_decide
    (validate, decide; no side effects), which the fuzz harness
    tests/fuzz/fuzz_handler.c drives.                                         */

#ifndef WRP_AGENT_H_INCLUDED
#define WRP_AGENT_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

#include "wrp_agent_config.h"
#include "wrp_msg.h"
#include "wrp_start_req.h"
#include "wrp_supervisor.h"

typedef enum {
    WRP_DECIDE_REPLY = 0,    //  answer now: status (code NULL) or ERROR code
    WRP_DECIDE_RECORDED,     //  repeated id: answer with the recorded reply
    WRP_DECIDE_JOIN,         //  id of the command in progress: answer when done
    WRP_DECIDE_EXECUTE,      //  carry the command out
    WRP_DECIDE_DROP,         //  a reply (OK/ERROR): never answered, so peers cannot loop
} wrp_decide_action_t;

//  What the decision may look at (read-only).
typedef struct {
    wrp_cmd_t pending_cmd;     //  lifecycle command in progress, INVALID none
    const char *pending_id;    //  its id
    //  The recorded reply to id, or NULL.
    const wrp_msg_t *(*lookup) (void *arg, const char *id);
    void *lookup_arg;    //  lookup's argument
} wrp_agent_view_t;

typedef struct {
    wrp_decide_action_t action;     //  what to do
    wrp_msg_t *msg;                 //  the request (owned)
    wrp_cmd_t cmd;                  //  its command
    char id[WRP_MSG_MAX_ID + 1];    //  id to answer with
    const char *code;    //  REPLY: WRP_ERR_* code, or NULL for an OK status reply
    char text[512];      //  REPLY: error text
    const wrp_msg_t *recorded;    //  RECORDED: the reply (borrowed from the view)
    int timeout_ms;               //  EXECUTE: the request's timeout_ms, 0 none
    wrp_start_req_t start;        //  EXECUTE START: the request (borrows from msg)
} wrp_agent_decision_t;

//  Decide what to do with one decoded request, which *ret takes (the
//  caller destroys ret->msg). Pure: no I/O, no logging. Always fills *ret.
void wrp_agent_decide (const wrp_agent_view_t *view, wrp_msg_t *msg,
                       wrp_agent_decision_t *ret);

typedef struct _wrp_agent_t wrp_agent_t;

//  Create the agent: block the signals it reads through a signalfd, open
//  the store, re-adopt a live runtime, bind the ROUTER. config is
//  borrowed. Returns NULL and a message (caller frees).
wrp_agent_t *wrp_agent_new (const wrp_agent_config_t *config, char **ret_err);

//  Destroy; the runtime keeps running. Accepts NULL, nulls the pointer.
void wrp_agent_destroy (wrp_agent_t **self_p);

//  Serve until SIGTERM or SIGINT. Returns the exit code for main.
int wrp_agent_run (wrp_agent_t *self);

void wrp_agent_test (bool verbose);

#endif
