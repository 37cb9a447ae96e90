/*  wrp_render_table — the per-node results as an aligned table, for people. */

#ifndef WRP_RENDER_TABLE_H_INCLUDED
#define WRP_RENDER_TABLE_H_INCLUDED

#include "wrp_render.h"

//  An aligned table (HOST AGENT STATE PID UPTIME GEN SHM RTT DETAIL),
//  failing nodes first, the failed runtimes' last output lines below it and
//  a summary line ("4 nodes: 4 reachable, 4 running"). Caller frees; NULL
//  on OOM.
char *wrp_render_table (const wrp_render_view_t *view);

#endif
