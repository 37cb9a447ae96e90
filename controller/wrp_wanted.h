/*  wrp_wanted — the config the controller would push now, and whether a
    node runs it.

    The config pushed to an agent (wrp_plan_config) depends on its state
    dir and ends in a comment naming the cluster's membership, so a node
    told another membership runs a config with another hash. A node is
    stale when its runtime runs (or starts) another pipeline, another
    generation or a config with another hash than this one.                 */

#ifndef WRP_WANTED_H_INCLUDED
#define WRP_WANTED_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "wrp_msg.h"
#include "wrp_plan.h"

typedef struct _wrp_wanted_t wrp_wanted_t;

//  What plan would push (borrowed; plan outlives it). NULL on OOM.
wrp_wanted_t *wrp_wanted_new (const wrp_plan_t *plan);

void wrp_wanted_destroy (wrp_wanted_t **self_p);

//  Is the node whose status reply is status stale? 1 yes, 0 no, -1 cannot
//  tell or does not apply (no pipeline, runtime not running or starting,
//  the agent names no config or state dir).
int wrp_wanted_stale (wrp_wanted_t *self, const wrp_msg_t *status);

void wrp_wanted_test (bool verbose);

#endif
