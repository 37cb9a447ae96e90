/*  wrp_lifecycle — start, stop, kill, clean and status on every node of a
    plan at once; renders per-node results and returns the exit code of
    CONTRACT §6 (0 all done, 2 some node failed or did not answer).
    wrp_monitor_run stays up and prints each change of state.                 */

#ifndef WRP_LIFECYCLE_H_INCLUDED
#define WRP_LIFECYCLE_H_INCLUDED

#include "wrp_plan.h"

//  verb: "start" | "stop" | "kill" | "clean" | "status".
int wrp_lifecycle_run (wrp_plan_t *plan, const char *verb);

//  Until SIGINT/SIGTERM. Returns the exit code.
int wrp_monitor_run (wrp_plan_t *plan);

#endif
