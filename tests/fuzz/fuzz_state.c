/*  libFuzzer harness for wrp_state, the controller's state files: the input
    is read as a pipeline's conf.yaml and as the `current` file. A conf read
    gives valid parameters, or an error naming the file; a current pipeline
    read has a valid name, or an error naming the file.                      */

#include "wrp_names.h"
#include "wrp_state.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    wrp_params_t *params = wrp_params_new ();
    assert (params);
    uint64_t generation = 0;
    char *err = NULL;
    if (wrp_state_parse_conf (text, size, "conf.yaml", params, &generation, &err) == 0) {
        assert (!err);
        for (size_t i = 0; i < wrp_params_count (); i++) {
            const char *name = wrp_params_def (i)->name;
            if (wrp_params_source (params, name) == WRP_SOURCE_CONF)
                assert (wrp_params_check (name, wrp_params_str (params, name), NULL,
                                          NULL) == 0);
        }
    } else {
        assert (err && !strncmp (err, "conf.yaml", 9));
        free (err);
    }
    wrp_params_destroy (&params);

    char *name = NULL, *file = NULL;
    err = NULL;
    if (wrp_state_parse_current (text, size, "current", &name, &file, &err) == 0) {
        assert (!err && name && wrp_names_check_pipeline (name, NULL) == 0);
        assert (!file || *file);
    } else {
        assert (err && !strncmp (err, "current", 7) && !name && !file);
        free (err);
    }
    free (name);
    free (file);
    return 0;
}
