/*  wrp_render_fold — a view folded as Slurm's sinfo folds nodes: one line
    per state with the count and the hosts as one host list, then the
    table's summary line, so a thousand nodes read in a few lines:

        STATE          NODES  HOSTS
        running          998  node[001-998]
        down               2  node[999-1000]

    States: the runtime's state (with " stale" when it runs another config
    than start would push), "down" (no answer), "denied" (key refused) or
    "error" (the command failed there).                                     */

#ifndef WRP_RENDER_FOLD_H_INCLUDED
#define WRP_RENDER_FOLD_H_INCLUDED

#include <stdbool.h>

#include "wrp_render.h"

//  The folded table of view (honours view->no_header). Caller frees; NULL
//  on OOM.
char *wrp_render_fold (const wrp_render_view_t *view);

void wrp_render_fold_test (bool verbose);

#endif
