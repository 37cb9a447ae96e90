/*  wrp-controller — loads pipelines, generates the runtime config and drives
    every node's wrp-agentd. See `wrp-controller --help` and CONTRACT §6.     */

#include "wrp_cli.h"
#include "wrp_log.h"
#include "wrp_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
    wrp_log_init ("wrp-controller", WRP_LOG_WARNING);
    if (argc < 2) {
        wrp_cli_usage (stderr);
        return WRP_EXIT_USAGE;
    }
    if (!strcmp (argv[1], "--version")) {
        printf ("wrp-controller %s\n", WRP_VERSION);
        return 0;
    }
    wrp_cli_t cli;
    char *err = NULL;
    if (wrp_cli_parse (argc, argv, &cli, &err)) {
        wrp_error ("%s", err ? err : "out of memory");
        fprintf (stderr, "Try 'wrp-controller --help'.\n");
        free (err);
        return WRP_EXIT_USAGE;
    }
    return wrp_cli_run (&cli);
}
