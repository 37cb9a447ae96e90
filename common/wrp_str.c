/*  wrp_str — small string helpers every class shares. See wrp_str.h.       */

#include "wrp_str.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
wrp_strf (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = NULL;
    if (vasprintf (&text, format, args) < 0)
        text = NULL;
    va_end (args);
    return text;
}

//  Formats into a new string ("out of memory" when that fails), keeping errno.
static char *
s_vformat (const char *format, va_list args)
{
    int saved = errno;
    char *text = NULL;
    if (vasprintf (&text, format, args) < 0)
        text = strdup ("out of memory");
    errno = saved;
    return text;
}

void
wrp_str_set (char **ret, const char *format, ...)
{
    if (!ret)
        return;
    va_list args;
    va_start (args, format);
    *ret = s_vformat (format, args);
    va_end (args);
}

void
wrp_str_replace (char **target, const char *format, ...)
{
    assert (target);
    va_list args;
    va_start (args, format);
    char *text = s_vformat (format, args);
    va_end (args);
    free (*target);
    *target = text;
}

void
wrp_str_test (bool verbose)
{
    (void) verbose;
    char *owned = wrp_strf ("old");
    wrp_str_replace (&owned, "new %d", 2);
    assert (owned && !strcmp (owned, "new 2"));
    free (owned);
    char *text = wrp_strf ("%s:%d: %s", "pipe.yaml", 7, "bad");
    assert (text && !strcmp (text, "pipe.yaml:7: bad"));
    free (text);
    text = wrp_strf ("%s", "");
    assert (text && !*text);
    free (text);
    text = NULL;
    errno = ENOENT;
    wrp_str_set (&text, "%s: %s", "state", "bad");
    assert (text && !strcmp (text, "state: bad") && errno == ENOENT);
    free (text);
    wrp_str_set (NULL, "ignored %d", 1);
}
