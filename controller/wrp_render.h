/*  wrp_render — the view of the per-node results of a lifecycle command,
    and what its three renderers share.

    A view is one entry per node, pointing at the agent's last reply (its
    status fields, see proto/PROTOCOL.md) plus what the controller knows
    about the node (reachable, round trip, the outcome of the command, an
    error line). Three renderers read it, one concern each, and return a new
    string (nothing here prints): wrp_render_table (for people),
    wrp_render_json (CONTRACT §6, checked by docs/status.schema.json),
    wrp_render_prom (the Prometheus text exposition format). This header
    declares them too, so a caller includes only wrp_render.h.              */

#ifndef WRP_RENDER_H_INCLUDED
#define WRP_RENDER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wrp_buf.h"
#include "wrp_msg.h"

typedef struct {
    const char *host;           //  host as in the hostfile
    bool reachable;             //  the agent answered
    bool unauthorized;          //  the agent refused our key (CURVE)
    double rtt_ms;              //  round trip of its first reply, ms; < 0 unknown
    const wrp_msg_t *status;    //  a message with its status fields; NULL if none
    const char *result;    //  "ok" / "error" for a lifecycle command; NULL for status
    const char *error;     //  one line: what went wrong on this node; NULL if nothing
    const char *note;      //  table DETAIL when all went well ("started"); may be NULL
    const char
        *removed;        //  clean: "path\tbytes" lines the agent removed; NULL otherwise
    double last_seen;    //  monitor: wall clock of its last reply (0: never / omit)
    int stale;    //  1: runs another config than the one wanted; -1: runs it; 0: n/a
    double changed_at;    //  monitor: wall clock of its last state change (0: omit)
} wrp_render_node_t;

//  monitor: its own counters, for /metrics.
typedef struct {
    double interval_s;         //  poll period
    double poll_duration_s;    //  the last poll: from sending to the last reply
    uint64_t polls;            //  polls sent since start
    uint64_t errors;           //  agents found down, ERROR replies, refusals
} wrp_render_monitor_t;

typedef struct {
    const char *pipeline;              //  pipeline name
    uint64_t generation;               //  the controller's config generation
    const char *command;               //  "status", "start", "stop", "kill", "clean"
    const wrp_render_node_t *nodes;    //  one entry per node, in hostfile order
    size_t count;                      //  number of entries
    bool color;                        //  table: ANSI colours
    double updated_at;                 //  monitor: wall clock of the poll (0: omit)
    bool no_header;                    //  table: no header line (--no-header)
    bool quiet;    //  table: only nodes needing the eye, no summary (-q)
    const wrp_render_monitor_t *monitor;    //  monitor: its counters (NULL: omit)
} wrp_render_view_t;

//  Counts over a view: nodes, reachable agents, running runtimes, failed
//  runtimes and nodes where the command did not succeed.
typedef struct {
    size_t total;        //  nodes
    size_t reachable;    //  agents that answered
    size_t running;      //  runtimes in state running
    size_t failed;       //  runtimes in state failed
    size_t errors;       //  nodes with result "error" or no answer
    size_t stale;        //  nodes running another config than the one wanted
} wrp_render_summary_t;

void wrp_render_summarize (const wrp_render_view_t *view,
                           wrp_render_summary_t *ret_summary);

//  Append the table's closing line ("4 nodes: 4 reachable, 4 running")
//  to b.
void wrp_render_summary_line (const wrp_render_view_t *view, wrp_buf_t *b);

//  True when the node needs the operator's eye: unreachable, an error, a
//  failed runtime.
bool wrp_render_node_failing (const wrp_render_node_t *node);

//  Reading a node's status fields: its state (NULL without a status), an
//  integer field (false when absent or msg is NULL), the signal that ended
//  the runtime (the agent sends a number; a name such as "SIGSEGV" is
//  accepted too).
const char *wrp_render_state (const wrp_render_node_t *node);
bool wrp_render_int (const wrp_msg_t *msg, const char *key, int64_t *ret_value);
bool wrp_render_signo (const wrp_msg_t *msg, int64_t *ret_signo);

//  Human forms used by the table and monitor: "1.5G", "3m04s", "SIGSEGV".
void wrp_render_bytes (uint64_t bytes, char *buf, size_t size);
void wrp_render_duration (double seconds, char *buf, size_t size);
void wrp_render_signal (int64_t signo, char *buf, size_t size);

//  One line telling how a failed runtime ended: "exited with code 1",
//  "killed by SIGSEGV", plus the agent's error text and the runtime's most
//  telling output line (wrp_output_reason). Caller frees; NULL
//  when status says nothing about it.
char *wrp_render_failure (const wrp_msg_t *status);

void wrp_render_test (bool verbose);

#include "wrp_render_json.h"
#include "wrp_render_prom.h"
#include "wrp_render_table.h"

#endif
