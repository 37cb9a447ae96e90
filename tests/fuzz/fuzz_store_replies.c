/*  Fuzz the agent's command record parser (wrp_store_replies_parse: length
    prefixes around the codec's bytes), and that every reply it reads is
    written and read back the same.                                           */

#include "wrp_store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool
s_same (const wrp_msg_t *a, const wrp_msg_t *b)
{
    size_t count = wrp_msg_field_count (a);
    if (wrp_msg_cmd (a) != wrp_msg_cmd (b) || strcmp (wrp_msg_id (a), wrp_msg_id (b)) ||
        count != wrp_msg_field_count (b))
        return false;
    for (size_t i = 0; i < count; i++) {
        size_t asize = 0, bsize = 0;
        const void *avalue = wrp_msg_field_value (a, i, &asize);
        const void *bvalue = wrp_msg_field_value (b, i, &bsize);
        if (strcmp (wrp_msg_field_key (a, i), wrp_msg_field_key (b, i)) ||
            asize != bsize || (asize && memcmp (avalue, bvalue, asize)))
            return false;
    }
    return true;
}

static void
s_check (void *arg, wrp_msg_t *reply)
{
    (void) arg;
    uint8_t *bytes = NULL;
    size_t size = 0;
    wrp_msg_t *again = NULL;
    if (wrp_msg_to_bytes (reply, &bytes, &size) == 0) {
        if (wrp_msg_from_bytes (bytes, size, &again, NULL, 0) || !s_same (reply, again))
            abort ();
    }
    free (bytes);
    wrp_msg_destroy (&again);
    wrp_msg_destroy (&reply);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    wrp_store_replies_parse (data, size, s_check, NULL);
    return 0;
}
