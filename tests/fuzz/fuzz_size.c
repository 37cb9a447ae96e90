/*  libFuzzer harness for wrp_size and the size parameters of wrp_params.

    The input is the text of a size. A size that parses must format to a
    canonical text that parses back to the same byte count; the parameter
    check must agree with the size parser.                                    */

#include "wrp_params.h"
#include "wrp_size.h"
#include "fuzz_util.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = fuzz_text (data, size, 256);
    if (!text)
        return 0;
    int64_t bytes = 0;
    char *err = NULL;
    int rc = wrp_size_parse (text, &bytes, &err);
    if (rc == 0) {
        assert (bytes > 0 && !err);
        char *canonical = wrp_size_format (bytes);
        assert (canonical);
        int64_t again = 0;
        assert (wrp_size_parse (canonical, &again, NULL) == 0 && again == bytes);
        free (canonical);
    } else {
        assert (rc == -1 && err && *err);
        free (err);
    }
    //  Only inputs without an embedded NUL are the same text to both.
    if (strlen (text) == size) {
        err = NULL;
        int check = wrp_params_check ("main_segment_size", text, NULL, &err);
        assert ((check == 0) == (rc == 0));
        free (err);
    }
    free (text);
    return 0;
}
