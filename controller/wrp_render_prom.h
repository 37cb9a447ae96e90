/*  wrp_render_prom — the per-node results as Prometheus metrics. */

#ifndef WRP_RENDER_PROM_H_INCLUDED
#define WRP_RENDER_PROM_H_INCLUDED

#include "wrp_render.h"

//  The view in the Prometheus text exposition format (version 0.0.4), with
//  wrp_last_poll_timestamp_seconds and the state-change times when
//  updated_at is set, and the wrp_monitor_* series when monitor is. Caller
//  frees; NULL on OOM.
char *wrp_render_prometheus (const wrp_render_view_t *view);

#endif
