/*  Fuzz the agent config parser (wrp_agent_config_parse) from a buffer.   */

#include "wrp_agent_config.h"

#include <stdint.h>
#include <stdlib.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    wrp_agent_config_t *config = wrp_agent_config_new ();
    if (!config)
        return 0;
    char *err = NULL;
    if (wrp_agent_config_parse (config, "fuzz.yaml", data, size, &err))
        free (err);
    wrp_agent_config_destroy (&config);
    return 0;
}
