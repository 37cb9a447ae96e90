/*  libFuzzer harness for the wrp_msg codec.

    The input is a list of frames, each a 2-byte big-endian length followed
    by that many bytes (a short last frame takes what is left). The frames
    are decoded; a message that decodes is read through every accessor,
    encoded, decoded again and must come back identical. One that does not
    decode goes through wrp_msg_reject, whose reply must itself encode and
    decode.                                                                   */

#include "wrp_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static zmsg_t *
s_split (const uint8_t *data, size_t size)
{
    zmsg_t *frames = zmsg_new ();
    while (size >= 2) {
        size_t length = (size_t) data[0] << 8 | data[1];
        data += 2;
        size -= 2;
        if (length > size)
            length = size;
        zmsg_addmem (frames, data, length);
        data += length;
        size -= length;
    }
    return frames;
}

static void
s_same (const wrp_msg_t *a, const wrp_msg_t *b)
{
    if (wrp_msg_cmd (a) != wrp_msg_cmd (b) || strcmp (wrp_msg_id (a), wrp_msg_id (b)) ||
        wrp_msg_field_count (a) != wrp_msg_field_count (b))
        abort ();
    for (size_t i = 0; i < wrp_msg_field_count (a); i++) {
        size_t size_a, size_b;
        const void *value_a = wrp_msg_field_value (a, i, &size_a);
        const void *value_b = wrp_msg_field_value (b, i, &size_b);
        if (strcmp (wrp_msg_field_key (a, i), wrp_msg_field_key (b, i)) ||
            size_a != size_b || memcmp (value_a, value_b, size_a))
            abort ();
    }
}

//  Re-decodes an encoded message; it must decode and equal the original.
static void
s_round_trip (const wrp_msg_t *msg)
{
    zmsg_t *frames = wrp_msg_encode (msg);
    if (!frames)
        abort ();
    wrp_msg_t *again = NULL;
    if (wrp_msg_decode (frames, &again, NULL, 0))
        abort ();
    s_same (msg, again);
    wrp_msg_destroy (&again);
    zmsg_destroy (&frames);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zmsg_t *frames = s_split (data, size);
    wrp_msg_t *msg = NULL;
    char err[256];
    if (wrp_msg_decode (frames, &msg, err, sizeof err) == 0) {
        for (size_t i = 0; i < wrp_msg_field_count (msg); i++) {
            const char *key = wrp_msg_field_key (msg, i);
            int64_t number;
            double real;
            const void *value;
            size_t value_size;
            (void) wrp_msg_str (msg, key);
            (void) wrp_msg_int (msg, key, &number);
            (void) wrp_msg_double (msg, key, &real);
            if (wrp_msg_get (msg, key, &value, &value_size) || !wrp_msg_has (msg, key))
                abort ();
        }
        s_round_trip (msg);
        wrp_msg_t *copy = wrp_msg_dup (msg);
        s_same (msg, copy);
        //  Rebuild through the setters: must succeed within the limits.
        wrp_msg_t *built = wrp_msg_new (wrp_msg_cmd (msg), wrp_msg_id (msg));
        for (size_t i = 0; i < wrp_msg_field_count (msg); i++) {
            size_t value_size;
            const void *value = wrp_msg_field_value (msg, i, &value_size);
            if (wrp_msg_set (built, wrp_msg_field_key (msg, i), value, value_size))
                abort ();
        }
        s_same (msg, built);
        if (wrp_msg_field_count (copy))
            wrp_msg_unset (copy, wrp_msg_field_key (copy, 0));
        wrp_msg_destroy (&built);
        wrp_msg_destroy (&copy);
        wrp_msg_destroy (&msg);
    } else {
        if (msg || !memchr (err, 0, sizeof err) || strchr (err, '\n'))
            abort ();
        wrp_msg_t *reject = wrp_msg_reject (frames, err);
        if (reject) {
            if (wrp_msg_cmd (reject) != WRP_CMD_ERROR)
                abort ();
            s_round_trip (reject);
            wrp_msg_destroy (&reject);
        }
    }
    zmsg_destroy (&frames);
    return 0;
}
