/*  wrp_log — leveled logging to stderr. See wrp_log.h.                      */

#include "wrp_log.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *s_program = "wrp";
static wrp_log_level_t s_level = WRP_LOG_INFO;
static bool s_timestamps = false;
static const char *s_names[] = {"error", "warning", "info", "debug"};

void
wrp_log_init (const char *program, wrp_log_level_t level)
{
    s_program = program;
    s_level = level;
}

void
wrp_log_timestamps (bool on)
{
    s_timestamps = on;
}

void
wrp_log_set_level (wrp_log_level_t level)
{
    s_level = level;
}

int
wrp_log_level_parse (const char *name, wrp_log_level_t *ret_level)
{
    for (int i = 0; i <= WRP_LOG_DEBUG; i++)
        if (name && !strcmp (name, s_names[i])) {
            *ret_level = (wrp_log_level_t) i;
            return 0;
        }
    return -1;
}

bool
wrp_log_enabled (wrp_log_level_t level)
{
    return level <= s_level;
}

void
wrp_log (wrp_log_level_t level, const char *format, ...)
{
    if (!wrp_log_enabled (level))
        return;
    char stamp[40] = "";
    //  The journal and a person at a terminal need no timestamp; a log file does.
    if (s_timestamps && !isatty (STDERR_FILENO) && !getenv ("JOURNAL_STREAM")) {
        struct timespec now;
        struct tm tm;
        clock_gettime (CLOCK_REALTIME, &now);
        localtime_r (&now.tv_sec, &tm);
        size_t n = strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf (stamp + n, sizeof stamp - n, ".%03ld ", now.tv_nsec / 1000000);
    }
    char line[2048];
    va_list args;
    va_start (args, format);
    vsnprintf (line, sizeof line, format, args);
    va_end (args);
    //  One write per line so concurrent writers never interleave mid-line.
    fprintf (stderr, "%s%s: %s: %s\n", stamp, s_program, s_names[level], line);
}

void
wrp_log_test (bool verbose)
{
    (void) verbose;
    wrp_log_level_t level;
    assert (wrp_log_level_parse ("debug", &level) == 0 && level == WRP_LOG_DEBUG);
    assert (wrp_log_level_parse ("warning", &level) == 0 && level == WRP_LOG_WARNING);
    assert (wrp_log_level_parse ("loud", &level) == -1);
    assert (wrp_log_level_parse (NULL, &level) == -1);
    wrp_log_init ("selftest", WRP_LOG_WARNING);
    assert (wrp_log_enabled (WRP_LOG_ERROR));
    assert (!wrp_log_enabled (WRP_LOG_INFO));
    wrp_log_set_level (WRP_LOG_INFO);
}
