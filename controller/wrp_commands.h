/*  wrp_commands — the handlers of wrp-controller's verbs (see wrp_cli for
    the table). Each prints its result on stdout, its errors once on stderr,
    and returns the exit code. Nothing is written or sent when the input is
    bad.                                                                      */

#ifndef WRP_COMMANDS_H_INCLUDED
#define WRP_COMMANDS_H_INCLUDED

#include <stdbool.h>

#include "wrp_cli.h"
#include "wrp_proto.h"

int wrp_commands_ppl_load (wrp_cli_t *cli);
int wrp_commands_ppl_list (wrp_cli_t *cli);
int wrp_commands_ppl_show (wrp_cli_t *cli);
int wrp_commands_pkg_conf (wrp_cli_t *cli);
int wrp_commands_conf (wrp_cli_t *cli);
int wrp_commands_config (wrp_cli_t *cli);
int wrp_commands_hostfile_set (wrp_cli_t *cli);
int wrp_commands_keygen (wrp_cli_t *cli);
int wrp_commands_params (wrp_cli_t *cli);
int wrp_commands_lifecycle (wrp_cli_t *cli);
int wrp_commands_monitor (wrp_cli_t *cli);

//  Old name of WRP_DEFAULT_STATE_DIR (proto/wrp_proto.h), until wrp_cli.c
//  uses that.
#define WRP_AGENT_STATE_DIR_DEFAULT WRP_DEFAULT_STATE_DIR

void wrp_commands_test (bool verbose);

#endif
