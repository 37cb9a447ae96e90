/*  wrp_monitor — `wrp-controller monitor`: stays up with one connection per
    agent, sends STATUS to every agent each interval (--interval, else the
    pipeline's heartbeat_interval) and prints one line per change of state
    (agent down / up, runtime started, failed, stopped), each with the host
    and an ISO 8601 time; the first line is the initial view. An agent
    silent for 2.5 intervals is reported down (so a dead node shows within
    3 intervals); a crashed runtime shows at the next poll (within one
    interval), since its agent sees the exit at once.

    After each poll (and soon after a change) the view goes to:
    --write-json FILE (the JSON of CONTRACT §6 plus "updated_at" and
    per-node "last_seen") and --textfile DIR (DIR/wrp.prom for
    node_exporter's textfile collector), both replaced atomically, and
    --listen ADDR:PORT (wrp_http: /metrics, /status.json, /, /healthz).

    Ends on SIGINT or SIGTERM with exit code 0.                               */

#ifndef WRP_MONITOR_H_INCLUDED
#define WRP_MONITOR_H_INCLUDED

#include <stdbool.h>

#include "wrp_plan.h"

//  wrp_monitor_run (plan) is declared in wrp_lifecycle.h.

void wrp_monitor_test (bool verbose);

#endif
