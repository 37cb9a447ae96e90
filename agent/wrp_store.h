/*  wrp_store — what the agent must not forget across its own restarts.

    STATE/agent.state   the runtime it supervises: pid, process start time
                        (/proc/PID/stat field 22, guards against pid reuse),
                        pipeline, generation, sha256, starts, state, how it
                        ended; a key=value text file.
    STATE/commands      the last WRP_STORE_MAX_COMMANDS lifecycle command ids
                        with their encoded replies.

    Both are rewritten whole through wrp_file_write_atomic (temp file,
    fsync, rename, fsync of the directory), so a crash leaves the old or the
    new version, never a mix.                                                 */

#ifndef WRP_STORE_H_INCLUDED
#define WRP_STORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wrp_msg.h"

#define WRP_STORE_MAX_COMMANDS 1024

typedef struct {
    int pid;                  //  runtime pid, 0 when none
    uint64_t start_time;      //  its start time in clock ticks since boot
    int64_t started_at_ms;    //  wall clock (ms since the epoch) when started
    char pipeline[65];        //  pipeline it runs / last ran ("" none)
    int64_t generation;       //  config generation, -1 unknown
    char sha256[65];          //  hex sha256 of the config bytes ("" none)
    int64_t starts;           //  runtimes this agent started, ever
    int port;                 //  the runtime's port (readiness: port+1)
    char state[16];           //  stopped | starting | running | stopping | failed
    int exit_code;            //  how it ended: exit code, -1 none or unknown
    int signal;               //  how it ended: signal, 0 none
    bool stop_requested;      //  the agent asked it to end (stop, kill)
    char error[512];          //  why failed, one line ("" none)
} wrp_store_state_t;

typedef struct _wrp_store_t wrp_store_t;

//  Open the store in state_dir (created, mode 0700, with pipelines/), read
//  the state and command record. A damaged record is reported in
//  *ret_warning (caller frees; may stay NULL) and the readable part kept.
//  Returns NULL and a message (caller frees) when the dir is unusable.
wrp_store_t *wrp_store_new (const char *state_dir, char **ret_warning, char **ret_err);

//  Destroy; accepts NULL, nulls the caller's pointer.
void wrp_store_destroy (wrp_store_t **self_p);

//  The state dir (borrowed).
const char *wrp_store_dir (wrp_store_t *self);

//  The last saved state (borrowed; a fresh store gives state "stopped").
const wrp_store_state_t *wrp_store_state (wrp_store_t *self);

//  Save a new state. Returns 0, or -1 and a message (caller frees); the
//  state in memory is updated either way.
int wrp_store_save_state (wrp_store_t *self, const wrp_store_state_t *state,
                          char **ret_err);

//  The recorded reply to command id, or NULL (borrowed).
const wrp_msg_t *wrp_store_lookup (wrp_store_t *self, const char *id);

//  Record the reply to a lifecycle command (copied), dropping the oldest
//  past the limit, and save. Returns 0 or -1 and a message (caller frees).
int wrp_store_record (wrp_store_t *self, const wrp_msg_t *reply, char **ret_err);

void wrp_store_test (bool verbose);

#endif
