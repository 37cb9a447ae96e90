/*  libFuzzer harness for wrp_pipeline: the input is a pipeline YAML. An
    error must name the file and a line; a pipeline that loads must have a
    valid name and give a config that libyaml reads back.                     */

#include "wrp_chiconf.h"
#include "wrp_pipeline.h"
#include "wrp_names.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *err = NULL;
    wrp_pipeline_t *pipeline =
        wrp_pipeline_parse ((const char *) data, size, "fuzz.yaml", &err);
    if (!pipeline) {
        assert (err);
        assert (!strncmp (err, "fuzz.yaml:", 10) || !strcmp (err, "out of memory"));
        free (err);
        return 0;
    }
    assert (!err);
    assert (wrp_names_check_pipeline (wrp_pipeline_name (pipeline), NULL) == 0);
    assert (wrp_pipeline_pkg_name (pipeline));
    for (size_t i = 0; i < wrp_pipeline_env_count (pipeline); i++)
        assert (wrp_names_check_env (wrp_pipeline_env (pipeline, i), NULL) == 0);
    const wrp_params_t *params = wrp_pipeline_params (pipeline);
    size_t config_size = 0;
    char *config = wrp_chiconf_generate (params, wrp_params_str (params, "hostfile"),
                                         "/var/lib/wrp/runtime.log", &config_size, &err);
    assert (config && !err);
    yaml_parser_t parser;
    yaml_document_t doc;
    assert (yaml_parser_initialize (&parser));
    yaml_parser_set_input_string (&parser, (const unsigned char *) config, config_size);
    assert (yaml_parser_load (&parser, &doc));
    assert (yaml_document_get_root_node (&doc));
    yaml_document_delete (&doc);
    yaml_parser_delete (&parser);
    free (config);
    wrp_pipeline_destroy (&pipeline);
    return 0;
}
