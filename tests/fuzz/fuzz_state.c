/*  libFuzzer harness for wrp_state, the controller's state files: the input
    is written as a pipeline's conf.yaml and as the `current` file of a
    scratch state directory, then read back through wrp_state. A file read
    gives valid parameters, or an error naming the file; a current pipeline
    read has a valid name.                                                    */

#include "wrp_names.h"
#include "wrp_state.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char s_home[64];

static void
s_write (const char *path, const uint8_t *data, size_t size)
{
    FILE *file = fopen (path, "wb");
    assert (file);
    assert (fwrite (data, 1, size, file) == size);
    assert (fclose (file) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char path[128];
    if (!*s_home) {
        snprintf (s_home, sizeof s_home, "/tmp/wrp-fuzz-state.XXXXXX");
        assert (mkdtemp (s_home));
        snprintf (path, sizeof path, "%s/pipelines", s_home);
        assert (mkdir (path, 0700) == 0);
        snprintf (path, sizeof path, "%s/pipelines/fuzz", s_home);
        assert (mkdir (path, 0700) == 0);
    }
    wrp_state_t *state = wrp_state_new (s_home, NULL);
    assert (state);

    snprintf (path, sizeof path, "%s/pipelines/fuzz/conf.yaml", s_home);
    s_write (path, data, size);
    wrp_params_t *params = wrp_params_new ();
    assert (params);
    uint64_t generation = 0;
    char *err = NULL;
    if (wrp_state_conf_read (state, "fuzz", params, &generation, &err) == 0) {
        assert (!err);
        for (size_t i = 0; i < wrp_params_count (); i++) {
            const char *name = wrp_params_def (i)->name;
            if (wrp_params_source (params, name) == WRP_SOURCE_CONF)
                assert (wrp_params_check (name, wrp_params_str (params, name), NULL,
                                          NULL) == 0);
        }
    } else {
        assert (err && strstr (err, path));
        free (err);
    }
    wrp_params_destroy (&params);

    snprintf (path, sizeof path, "%s/current", s_home);
    s_write (path, data, size);
    char *name = NULL, *file = NULL;
    err = NULL;
    int rc = wrp_state_current (state, &name, &file, &err);
    assert (rc == 0 || rc == -1);
    if (rc == 0) {
        assert (name && wrp_names_check_pipeline (name, NULL) == 0);
        assert (!file || *file);
    } else {
        assert (err && strstr (err, path));
        free (err);
    }
    free (name);
    free (file);
    wrp_state_destroy (&state);
    return 0;
}
