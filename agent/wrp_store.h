/*  wrp_store — every file of the agent's state dir (layout in wrp_proto.h).

    STATE/agent.state   the runtime it supervises: pid, process start time
                        (/proc/PID/stat field 22, guards against pid reuse),
                        pipeline, generation, sha256, starts, state, how it
                        ended; a key=value text file.
    STATE/commands      the last WRP_RECORD_MAX lifecycle replies, each one
                        encoded with the codec (wrp_msg_to_bytes) after
                        a 4-byte big-endian length.
    STATE/pipelines/NAME/{chimaera_config.yaml,hostfile}  pushed by START
    STATE/pipelines/NAME/runtime.log                      the runtime's output

    The records are rewritten whole through wrp_file_write_atomic (temp
    file, fsync, rename, fsync of the directory), so a crash leaves the old
    or the new version, never a mix.                                          */

#ifndef WRP_STORE_H_INCLUDED
#define WRP_STORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wrp_msg.h"
#include "wrp_proto.h"

typedef struct {
    int pid;                  //  runtime pid, 0 when none
    uint64_t start_time;      //  its start time in clock ticks since boot
    int64_t started_at_ms;    //  wall clock (ms since the epoch) when started
    char pipeline[WRP_PIPELINE_NAME_MAX + 1];    //  pipeline it runs / last ran ("" none)
    int64_t generation;                          //  config generation, -1 unknown
    char sha256[65];        //  hex sha256 of the config bytes ("" none)
    int64_t starts;         //  runtimes this agent started, ever
    int port;               //  the runtime's port (readiness: port+1)
    char state[16];         //  one of WRP_STATE_*
    int exit_code;          //  how it ended: exit code, -1 none or unknown
    int signal;             //  how it ended: signal, 0 none
    bool stop_requested;    //  the agent asked it to end (stop, kill)
    char error[512];        //  why failed, one line ("" none)
} wrp_store_state_t;

typedef struct _wrp_store_t wrp_store_t;

//  Open the store in state_dir (created, mode 0700, with pipelines/), read
//  the state and command record. The state dir must be owned by this
//  process's user and not writable by group or others; every file under it
//  is opened relative to it, never through a symbolic link. A damaged record is reported
//  in *ret_warning (caller frees; may stay NULL) and the readable part kept. Returns NULL
//  and a message (caller frees) when the dir is unusable.
wrp_store_t *wrp_store_new (const char *state_dir, char **ret_warning, char **ret_err);

//  Destroy; accepts NULL, nulls the caller's pointer.
void wrp_store_destroy (wrp_store_t **self_p);

//  The state dir (borrowed).
const char *wrp_store_dir (wrp_store_t *self);

//  The last saved state (borrowed; a fresh store gives WRP_STATE_STOPPED).
const wrp_store_state_t *wrp_store_state (wrp_store_t *self);

//  Save a new state. Returns 0, or -1 and a message (caller frees); the
//  state in memory is updated either way.
int wrp_store_save_state (wrp_store_t *self, const wrp_store_state_t *state,
                          char **ret_err);

//  Parse the text of an agent.state file into *ret_state (defaults for
//  what it lacks). Returns 0, or -1 when a line is not a known key with a
//  well-formed value (that line is skipped; the caller should trust none
//  of it). Pure.
int wrp_store_state_parse (const char *data, size_t size, wrp_store_state_t *ret_state);

//  The text of an agent.state file for state (each value on one line:
//  line breaks become spaces). Caller frees; NULL when out of memory.
char *wrp_store_state_format (const wrp_store_state_t *state);

//  The recorded reply to command id, or NULL (borrowed).
const wrp_msg_t *wrp_store_lookup (wrp_store_t *self, const char *id);

//  Record the reply to a lifecycle command (copied), dropping the oldest
//  past the limit, and save. Returns 0 or -1 and a message (caller frees).
int wrp_store_record (wrp_store_t *self, const wrp_msg_t *reply, char **ret_err);

//  Called with each reply of a command record, oldest first; takes it.
typedef void (wrp_store_reply_fn) (void *arg, wrp_msg_t *reply);

//  Parse the bytes of a command record, giving each reply to fn. Returns
//  0, or -1 at the first damaged entry (the ones before it were given).
//  Pure.
int wrp_store_replies_parse (const void *data, size_t size, wrp_store_reply_fn *fn,
                             void *arg);

//  The path of file in pipeline's directory (file NULL: the directory).
//  Caller frees; NULL when out of memory.
char *wrp_store_pipeline_path (wrp_store_t *self, const char *pipeline, const char *file);

//  Write the pushed config of pipeline (and its hostfile when not NULL).
//  Returns 0 and the config's path (caller frees), or -1 and *ret_err.
int wrp_store_push (wrp_store_t *self, const char *pipeline, const void *config,
                    size_t config_size, const void *hostfile, size_t hostfile_size,
                    char **ret_config_path, char **ret_err);

//  Open pipeline's runtime.log for appending (O_CLOEXEC). Returns the fd
//  and the log's size in *ret_size, or -1 and *ret_err (caller frees).
int wrp_store_log_open (wrp_store_t *self, const char *pipeline, off_t *ret_size,
                        char **ret_err);

//  The last lines of pipeline's runtime.log written from offset from on:
//  at most WRP_OUTPUT_LINES lines and WRP_OUTPUT_BYTES bytes, NUL bytes
//  as spaces. Caller frees; NULL when there is none.
char *wrp_store_log_tail (wrp_store_t *self, const char *pipeline, off_t from);

//  Remove pipeline's pushed files and log, and its directory when empty.
//  Returns 0 and the removed entries, "path\tbytes" a line ("" none;
//  caller frees), or -1 and *ret_err when out of memory.
int wrp_store_clean (wrp_store_t *self, const char *pipeline, char **ret_removed,
                     char **ret_err);

void wrp_store_test (bool verbose);

#endif
