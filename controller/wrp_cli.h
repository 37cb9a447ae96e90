/*  wrp_cli — wrp-controller's command line: options, the verb table and
    help. main () parses with wrp_cli_parse and runs wrp_cli_run.

    Options may come before or after the verb:
        wrp-controller -H hosts start      wrp-controller start -H hosts
    Each verb takes only its own options (`VERB --help` lists them); the
    settings files of wrp_ctlconf give defaults for those it takes, flags
    override them. An unknown verb gets a did-you-mean, and Jarvis verbs
    with another name here a pointer to theirs.
    Exit codes (CONTRACT §6): 0 done, 1 bad input or usage (nothing sent),
    2 some node failed or did not answer (from wrp_lifecycle).                */

#ifndef WRP_CLI_H_INCLUDED
#define WRP_CLI_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "wrp_plan.h"

#define WRP_EXIT_OK     0
#define WRP_EXIT_USAGE  1
#define WRP_EXIT_FAILED 2
#define WRP_EXIT_EXPECT 3    //  status --expect: some node is not as expected

typedef struct _wrp_cli_t wrp_cli_t;

//  A verb: its words ("ppl load"), operands and handler.
typedef struct {
    const char *name;               //  the words, e.g. "ppl load"
    const char *operands;           //  operand synopsis, e.g. "NAME|FILE" ("" none)
    int min_args;                   //  fewest operands
    int max_args;                   //  most operands (-1: any number)
    const char *summary;            //  one line for the verb list
    const char *help;               //  paragraph for `VERB --help`
    int (*run) (wrp_cli_t *cli);    //  the handler; returns the exit code
    const char *alias_of;           //  the verb this one repeats (NULL: none)
    unsigned options;               //  the option groups it takes (WRP_OPTS_*)
    unsigned formats;               //  the output formats it gives (bit per format)
} wrp_verb_t;

//  Option groups a verb takes.
#define WRP_OPTS_PIPELINE (1u << 0)    //  -p
#define WRP_OPTS_HOSTS    (1u << 1)    //  -H, --port
#define WRP_OPTS_TARGET   (1u << 2)    //  -w, -x
#define WRP_OPTS_NET      (1u << 3)    //  --timeout, --key, --agent-key, --insecure
#define WRP_OPTS_TABLE    (1u << 4)    //  -q, --no-header, --summary
#define WRP_OPTS_EXPECT   (1u << 5)    //  --expect
#define WRP_OPTS_MONITOR  (1u << 6)    //  --write-json, --listen and the rest of monitor's
#define WRP_OPTS_FORMAT   (1u << 7)    //  --format, --json

struct _wrp_cli_t {
    const wrp_verb_t *verb;         //  the verb asked for (NULL: general help)
    char **args;                    //  its operands (borrowed from argv)
    size_t arg_count;               //  number of operands
    wrp_plan_options_t options;     //  plan options from the flags
    bool help;                      //  -h / --help
    int verbose;                    //  -v count
    bool pipeline_flag_given;       //  -p was given (for messages)
    const char *target;             //  -w HOSTLIST: act on these members only
    const char *exclude;            //  -x HOSTLIST: but not on these
    const char *expect;             //  status --expect STATE
    bool summary;                   //  --summary
    bool quiet;                     //  -q
    bool no_header;                 //  --no-header
    unsigned given;                 //  option groups given on the command line
    unsigned long given_options;    //  bit per option given (index in wrp_cli's table)
};

//  Parse argv into *cli (which borrows argv's strings). Returns 0, or -1
//  and *ret_err (caller frees) for a usage error.
int wrp_cli_parse (int argc, char **argv, wrp_cli_t *cli, char **ret_err);

//  Run what cli asks for (help, or the verb). Returns the exit code.
int wrp_cli_run (wrp_cli_t *cli);

//  Print the general usage (every verb and option) to file.
void wrp_cli_usage (FILE *file);

void wrp_cli_test (bool verbose);

#endif
