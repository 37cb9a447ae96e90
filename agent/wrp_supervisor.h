/*  wrp_supervisor — the runtime's state machine on this node.

    stopped -> starting -> running -> stopping -> stopped, and failed when
    the runtime ends unasked or is never ready. Starts chimaera_start_runtime
    (through wrp_proc) with the config wrp_store pushed and its output
    appended to the pipeline's runtime.log, watches it through a pidfd (its
    exit is seen at once), probes readiness by connecting to
    runtime_address:port+1, stops it with the stop binary then SIGTERM then
    SIGKILL (each step a bounded wait), kills its process group, cleans its
    files and segments, and re-adopts a live runtime after an agent restart.

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
#include "wrp_start_req.h"
#include "wrp_store.h"
#include "wrp_version.h"

typedef enum {
    WRP_RT_STOPPED = 0,    //  no runtime (never started, or ended when asked)
    WRP_RT_STARTING,       //  started, not serving yet
    WRP_RT_RUNNING,        //  serving: runtime_address:port+1 accepts
    WRP_RT_STOPPING,       //  stop or kill in progress
    WRP_RT_FAILED,         //  ended without being asked, or never ready
} wrp_rt_state_t;

//  How a START, STOP or KILL ended.
typedef struct {
    wrp_cmd_t op;        //  WRP_CMD_START, WRP_CMD_STOP or WRP_CMD_KILL
    bool ok;             //  done (OK reply) or not (ERROR reply)
    const char *code;    //  WRP_ERR_* when not ok
    const char *text;    //  one line for the reply's text
} wrp_supervisor_result_t;

//  Called when an operation ends (result set) or the state changed by
//  itself (result NULL, e.g. the runtime crashed).
typedef void (wrp_supervisor_fn) (void *arg, const wrp_supervisor_result_t *result);

typedef struct _wrp_supervisor_t wrp_supervisor_t;

//  Create a supervisor over config and store (both borrowed, must outlive
//  it); fn(arg) hears of results and state changes. NULL when out of memory.
wrp_supervisor_t *wrp_supervisor_new (const wrp_agent_config_t *config,
                                      wrp_store_t *store, wrp_supervisor_fn *fn,
                                      void *arg);

//  Destroy; the runtime keeps running. Accepts NULL, nulls the pointer.
void wrp_supervisor_destroy (wrp_supervisor_t **self_p);

//  After an agent (re)start: take back the recorded runtime if it still
//  runs (same pid and start time, and wrp_proc_is_runtime: its own
//  session, CHI_SERVER_CONF naming the pushed config), else record honestly how it ended.
//  Returns a line for the log (caller frees) or NULL when nothing was recorded;
//  *ret_warning when the record named a process that is not a runtime
//  (not adopted; the record is reset).
char *wrp_supervisor_adopt (wrp_supervisor_t *self, bool *ret_warning);

//  Start the runtime. Returns 1 when one already runs (nothing done), 0
//  when started (the result callback follows), -1 with *ret_code (WRP_ERR_*)
//  and *ret_err (caller frees) when refused or failed at once.
int wrp_supervisor_start (wrp_supervisor_t *self, const wrp_start_req_t *req,
                          const char **ret_code, char **ret_err);

//  Stop (stop binary, SIGTERM, SIGKILL). Returns 1 when there is nothing
//  to stop, 0 when under way (result callback follows).
int wrp_supervisor_stop (wrp_supervisor_t *self, int timeout_ms);

//  SIGKILL the runtime's process group, replacing any operation under way
//  (no callback for that one). Returns 1 when there is nothing to kill, 0
//  when under way (result callback follows).
int wrp_supervisor_kill (wrp_supervisor_t *self, int timeout_ms);

//  Remove the pipeline's pushed files and log (pipeline NULL: the last
//  started) and the runtime user's chi_* entries of the shm dir. Returns 0,
//  the removed lines "path\tbytes" and the entries left "path\treason"
//  (wrp_shm_clean; both caller frees), or -1 with *ret_code and *ret_err
//  (caller frees).
int wrp_supervisor_clean (wrp_supervisor_t *self, const char *pipeline,
                          char **ret_removed, char **ret_kept, const char **ret_code,
                          char **ret_err);

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
