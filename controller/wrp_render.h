/*  wrp_render — the per-node results of a lifecycle command, for people
    (an aligned table) and for machines (JSON as in CONTRACT §6, checked by
    docs/status.schema.json; the Prometheus text exposition format).

    The renderers read a view: one entry per node, pointing at the agent's
    last reply (its status fields, see proto/PROTOCOL.md) plus what the
    controller knows about the node (reachable, round trip, the outcome of
    the command, an error line). They return a new string; nothing here
    prints.                                                                   */

#ifndef WRP_RENDER_H_INCLUDED
#define WRP_RENDER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
        *removed;         //  clean: "path\tbytes" lines the agent removed; NULL otherwise
    double last_seen;     //  monitor: wall clock of its last reply (0: never / omit)
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
    const char *pipeline;                   //  pipeline name
    uint64_t generation;                    //  the controller's config generation
    const char *command;                    //  "status", "start", "stop", "kill", "clean"
    const wrp_render_node_t *nodes;         //  one entry per node, in hostfile order
    size_t count;                           //  number of entries
    bool color;                             //  table: ANSI colours
    double updated_at;                      //  monitor: wall clock of the poll (0: omit)
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
} wrp_render_summary_t;

void wrp_render_summarize (const wrp_render_view_t *view,
                           wrp_render_summary_t *ret_summary);

//  True when the node needs the operator's eye: unreachable, an error, a
//  failed runtime.
bool wrp_render_node_failing (const wrp_render_node_t *node);

//  An aligned table (HOST AGENT STATE PID UPTIME GEN SHM RTT DETAIL),
//  failing nodes first, the failed runtimes' last output lines below it and
//  a summary line ("4 nodes: 4 reachable, 4 running"). Caller frees; NULL
//  on OOM.
char *wrp_render_table (const wrp_render_view_t *view);

//  The JSON document of CONTRACT §6 (plus "command", per-node "result",
//  "output", "removed", and with updated_at set "updated_at" and per-node
//  "last_seen"). One line, ending in a newline. Caller frees.
char *wrp_render_json (const wrp_render_view_t *view);

//  The same facts in the Prometheus text exposition format (version 0.0.4),
//  with wrp_last_poll_timestamp_seconds when updated_at is set and the
//  wrp_monitor_* series when monitor is. Caller frees.
char *wrp_render_prometheus (const wrp_render_view_t *view);

//  Human forms used by the table and monitor: "1.5G", "3m04s", "SIGSEGV".
void wrp_render_bytes (uint64_t bytes, char *buf, size_t size);
void wrp_render_duration (double seconds, char *buf, size_t size);
void wrp_render_signal (int64_t signo, char *buf, size_t size);

//  One line telling how a failed runtime ended: "exited with code 1",
//  "killed by SIGSEGV", plus the agent's error text and the runtime's most
//  telling output line (a FATAL line if there is one). Caller frees; NULL
//  when status says nothing about it.
char *wrp_render_failure (const wrp_msg_t *status);

void wrp_render_test (bool verbose);

#endif
