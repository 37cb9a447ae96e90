/*  libFuzzer harness for wrp_duration and the time parameters of
    wrp_params.

    The input is the text of a duration. One that parses must format to a
    text that parses back to the same span; the parameter check of a
    parameter in ms must agree with the parser (whole milliseconds only). */

#include "wrp_duration.h"
#include "wrp_params.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text[size] = 0;
    int64_t us = -1;
    char *err = NULL;
    int rc = wrp_duration_parse (text, "ms", &us, &err);
    if (rc == 0) {
        assert (us >= 0 && !err);
        char *canonical = wrp_duration_format (us);
        assert (canonical);
        int64_t again = -1;
        assert (wrp_duration_parse (canonical, "s", &again, NULL) == 0 && again == us);
        free (canonical);
    } else {
        assert (rc == -1 && err && *err);
        free (err);
    }
    //  A value with a unit is a duration to the parameter check too (a
    //  plain integer is its own, of any length).
    bool plain = size > 0 && strspn (text, "0123456789-") == size;
    if (strlen (text) == size && !plain) {
        err = NULL;
        int check = wrp_params_check ("task_timeout", text, NULL, &err);
        if (check == 0)
            assert (rc == 0 && us % 1000 == 0 && us >= 1000);
        free (err);
    }
    free (text);
    return 0;
}
