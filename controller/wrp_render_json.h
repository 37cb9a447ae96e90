/*  wrp_render_json — the per-node results as JSON (CONTRACT §6). */

#ifndef WRP_RENDER_JSON_H_INCLUDED
#define WRP_RENDER_JSON_H_INCLUDED

#include "wrp_render.h"

//  The JSON document of CONTRACT §6 (plus "command", per-node "result",
//  "output", "removed", and with updated_at set "updated_at" and per-node
//  "last_seen"). One line, ending in a newline. Caller frees; NULL on OOM.
char *wrp_render_json (const wrp_render_view_t *view);

#endif
