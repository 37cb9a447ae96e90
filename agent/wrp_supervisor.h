/*  wrp_supervisor — the runtime process on this node.

    Starts chimaera_start_runtime as a child in its own process group with
    its output appended to STATE/pipelines/NAME/runtime.log, watches it
    through a pidfd (its exit is seen at once), probes readiness by
    connecting to runtime_address:port+1, stops it with the stop binary then
    SIGTERM then SIGKILL (each step a bounded wait), kills its process group,
    cleans its files and segments, and re-adopts a live runtime after an
    agent restart.

    It never blocks: the agent's loop polls wrp_supervisor_fd, wakes it at
    wrp_supervisor_deadline, on SIGCHLD and when the fd is readable, and
    calls wrp_supervisor_wake. A START, STOP or KILL that takes time ends
    with one call of the result callback.                                     */

#ifndef WRP_SUPERVISOR_H_INCLUDED
#define WRP_SUPERVISOR_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wrp_agent_config.h"
#include "wrp_msg.h"
#include "wrp_store.h"
#include "wrp_version.h"

#define WRP_SUPERVISOR_MAX_ENV 256     //  forwarded variables per START
#define WRP_OUTPUT_LINES       20      //  runtime output lines in a reply
#define WRP_OUTPUT_BYTES       4096    //  and their size at most

typedef enum {
    WRP_RT_STOPPED = 0,    //  no runtime (never started, or ended when asked)
    WRP_RT_STARTING,       //  started, not serving yet
    WRP_RT_RUNNING,        //  serving: runtime_address:port+1 accepts
    WRP_RT_STOPPING,       //  stop or kill in progress
    WRP_RT_FAILED,         //  ended without being asked, or never ready
} wrp_rt_state_t;

//  A validated START request; strings are borrowed from the message.
typedef struct {
    const char *pipeline;    //  [A-Za-z0-9_.-]{1,64}, not . or ..
    int64_t generation;      //  >= 0
    const void *config;      //  chimaera_config.yaml bytes
    size_t config_size;
    const void *hostfile;    //  runtime hostfile bytes, NULL when absent
    size_t hostfile_size;
    int port;          //  the runtime's port, 1..65534
    int timeout_ms;    //  bound on the start, 0: the agent's default
    const char *env_name[WRP_SUPERVISOR_MAX_ENV];     //  forwarded names
    const char *env_value[WRP_SUPERVISOR_MAX_ENV];    //  and values
    size_t env_count;
} wrp_start_req_t;

//  How a START, STOP or KILL ended.
typedef struct {
    wrp_cmd_t op;        //  WRP_CMD_START, WRP_CMD_STOP or WRP_CMD_KILL
    bool ok;             //  done (OK reply) or not (ERROR reply)
    const char *code;    //  error code when not ok (PROTOCOL.md)
    const char *text;    //  one line for the reply's text
} wrp_supervisor_result_t;

//  Called when an operation ends (result set) or the state changed by
//  itself (result NULL, e.g. the runtime crashed).
typedef void (wrp_supervisor_fn) (void *arg, const wrp_supervisor_result_t *result);

typedef struct _wrp_supervisor_t wrp_supervisor_t;

//  Pure check of a START message: fills *ret_req (borrowing from msg).
//  Returns 0, or -1 with *ret_code (BAD_REQUEST or REFUSED) and a reason
//  in err.
int wrp_supervisor_validate_start (const wrp_msg_t *msg, wrp_start_req_t *ret_req,
                                   const char **ret_code, char *err, size_t err_size);

//  True for a name a pipeline may have: [A-Za-z0-9_.-]{1,64}, not . or ..
bool wrp_supervisor_pipeline_name_ok (const char *name);

//  Create a supervisor over config and store (both borrowed, must outlive
//  it); fn(arg) hears of results and state changes.
wrp_supervisor_t *wrp_supervisor_new (const wrp_agent_config_t *config,
                                      wrp_store_t *store, wrp_supervisor_fn *fn,
                                      void *arg);

//  Destroy; the runtime keeps running. Accepts NULL, nulls the pointer.
void wrp_supervisor_destroy (wrp_supervisor_t **self_p);

//  After an agent (re)start: take back the recorded runtime if it still
//  runs (same pid and start time), else record honestly how it ended.
//  Returns a line for the log (caller frees) or NULL when nothing was
//  recorded.
char *wrp_supervisor_adopt (wrp_supervisor_t *self);

//  Start the runtime. Returns 1 when one already runs (nothing done), 0
//  when started (the result callback follows), -1 with *ret_code and
//  *ret_text (caller frees) when refused or failed at once.
int wrp_supervisor_start (wrp_supervisor_t *self, const wrp_start_req_t *req,
                          const char **ret_code, char **ret_text);

//  Stop (stop binary, SIGTERM, SIGKILL). Returns 1 when there is nothing
//  to stop, 0 when under way (result callback follows).
int wrp_supervisor_stop (wrp_supervisor_t *self, int timeout_ms);

//  SIGKILL the runtime's process group, replacing any operation under way
//  (no callback for that one). Returns 1 when there is nothing to kill, 0
//  when under way (result callback follows).
int wrp_supervisor_kill (wrp_supervisor_t *self, int timeout_ms);

//  Remove the pipeline's pushed files and log (pipeline NULL: the last
//  started) and the chi_* entries of the shm dir. Returns 0 and the
//  removed lines "path\tbytes" (caller frees), or -1 with *ret_code and
//  *ret_text (caller frees).
int wrp_supervisor_clean (wrp_supervisor_t *self, const char *pipeline,
                          char **ret_removed, const char **ret_code, char **ret_text);

//  Add the status fields (PROTOCOL.md) to reply.
void wrp_supervisor_status (wrp_supervisor_t *self, wrp_msg_t *reply);

wrp_rt_state_t wrp_supervisor_state (wrp_supervisor_t *self);
const char *wrp_supervisor_state_name (wrp_rt_state_t state);

//  The fd to poll for input (the runtime's pidfd), or -1.
int wrp_supervisor_fd (wrp_supervisor_t *self);

//  When to call wrp_supervisor_wake next (zclock_mono ms), or -1: never.
int64_t wrp_supervisor_deadline (wrp_supervisor_t *self);

//  Advance: notice exits, probe readiness, escalate, time out.
void wrp_supervisor_wake (wrp_supervisor_t *self);

void wrp_supervisor_test (bool verbose);

#endif
