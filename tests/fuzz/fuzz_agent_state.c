/*  Fuzz the agent state file parser (wrp_store_state_parse), and that what
    it reads survives a write and a read: parse, format, parse again and
    compare.                                                                  */

#include "wrp_store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool
s_same (const wrp_store_state_t *a, const wrp_store_state_t *b)
{
    return a->pid == b->pid && a->start_time == b->start_time &&
           a->started_at_ms == b->started_at_ms && !strcmp (a->pipeline, b->pipeline) &&
           a->generation == b->generation && !strcmp (a->sha256, b->sha256) &&
           a->starts == b->starts && a->port == b->port && !strcmp (a->state, b->state) &&
           a->exit_code == b->exit_code && a->signal == b->signal &&
           a->stop_requested == b->stop_requested && !strcmp (a->error, b->error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    wrp_store_state_t first, second;
    wrp_store_state_parse ((const char *) data, size, &first);
    char *text = wrp_store_state_format (&first);
    if (!text)
        return 0;
    wrp_store_state_parse (text, strlen (text), &second);
    if (!s_same (&first, &second))
        abort ();
    free (text);
    return 0;
}
