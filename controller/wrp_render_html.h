/*  wrp_render_html — the status page of `monitor --listen` (GET /): one
    self-contained HTML document (inline style and script; no external
    scripts, fonts or CDN) rendered on the server from a wrp_render view,
    so it reads without JavaScript:

    - a summary bar: nodes by state (down, failed, starting, stopping,
      stopped, running), each a filter (CSS only, no script needed);
    - the node table, failing nodes first, rows coloured by state, each
      row `<tr class="node" data-host=H data-state=S>`; a failed node
      shows how it ended (exit code or signal) and its last output lines;
    - the age of the data (wrp_http fills WRP_HTTP_AGE_MARK per request).

    With JavaScript, a host filter box, and the page refreshes itself from
    /status.json every poll interval (at most twice a second) without
    reloading.                                                              */

#ifndef WRP_RENDER_HTML_H_INCLUDED
#define WRP_RENDER_HTML_H_INCLUDED

#include <stdbool.h>

#include "wrp_render.h"

//  The page for view (updated_at set), polled every interval_ms. Holds
//  age_mark once, where the age of the data goes. Caller frees; NULL on OOM.
char *wrp_render_html (const wrp_render_view_t *view, int interval_ms,
                       const char *age_mark);

void wrp_render_html_test (bool verbose);

#endif
