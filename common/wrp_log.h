/*  wrp_log — leveled logging to stderr for the daemon and the CLI.

    Library code does not log; main() and the server loop do, once, through
    these calls. Lines look like "wrp-agentd: warning: text" (the program
    name set by wrp_log_init). A daemon asks for timestamps; they are added
    when stderr is neither a TTY nor systemd's journal (which stamps lines
    itself). A command-line tool's messages carry none.                       */

#ifndef WRP_LOG_H_INCLUDED
#define WRP_LOG_H_INCLUDED

#include <stdbool.h>

typedef enum {
    WRP_LOG_ERROR = 0,
    WRP_LOG_WARNING = 1,
    WRP_LOG_INFO = 2,
    WRP_LOG_DEBUG = 3,
} wrp_log_level_t;

//  Set the program name and the most verbose level printed.
void wrp_log_init (const char *program, wrp_log_level_t level);

//  Timestamp lines written to a plain file or pipe (daemons).
void wrp_log_timestamps (bool on);

//  Raise or lower the level later (e.g. -v given after the config file).
void wrp_log_set_level (wrp_log_level_t level);

//  Parse "error" | "warning" | "info" | "debug". Returns 0 and sets
//  *ret_level, or -1 on an unknown name.
int wrp_log_level_parse (const char *name, wrp_log_level_t *ret_level);

//  True when a message of this level would be printed.
bool wrp_log_enabled (wrp_log_level_t level);

void wrp_log (wrp_log_level_t level, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

#define wrp_error(...)   wrp_log (WRP_LOG_ERROR, __VA_ARGS__)
#define wrp_warning(...) wrp_log (WRP_LOG_WARNING, __VA_ARGS__)
#define wrp_info(...)    wrp_log (WRP_LOG_INFO, __VA_ARGS__)
#define wrp_debug(...)   wrp_log (WRP_LOG_DEBUG, __VA_ARGS__)

void wrp_log_test (bool verbose);

#endif
