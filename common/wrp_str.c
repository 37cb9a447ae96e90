/*  wrp_str — small string helpers every class shares. See wrp_str.h.       */

#include "wrp_str.h"
#include "wrp_buf.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
wrp_strfv (const char *format, va_list args)
{
    char *text = NULL;
    if (vasprintf (&text, format, args) < 0)
        text = NULL;
    return text;
}

char *
wrp_strf (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = wrp_strfv (format, args);
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

int
wrp_str_fail (char **ret, const char *format, ...)
{
    if (ret) {
        va_list args;
        va_start (args, format);
        *ret = s_vformat (format, args);
        va_end (args);
    }
    return -1;
}

void *
wrp_str_null (char **ret, const char *format, ...)
{
    if (ret) {
        va_list args;
        va_start (args, format);
        *ret = s_vformat (format, args);
        va_end (args);
    }
    return NULL;
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

size_t
wrp_str_distance (const char *a, const char *b)
{
    size_t alen = strlen (a), blen = strlen (b);
    if (alen > 128 || blen > 128)
        return SIZE_MAX;
    //  Optimal string alignment: edits plus swaps of neighbours ("stauts").
    size_t rows[3][130];
    size_t *prev2 = rows[0], *prev = rows[1], *row = rows[2];
    for (size_t j = 0; j <= blen; j++)
        prev[j] = j;
    for (size_t i = 1; i <= alen; i++) {
        row[0] = i;
        for (size_t j = 1; j <= blen; j++) {
            int ca = tolower ((unsigned char) a[i - 1]);
            int cb = tolower ((unsigned char) b[j - 1]);
            size_t value = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < value)
                value = prev[j] + 1;
            if (row[j - 1] + 1 < value)
                value = row[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower ((unsigned char) b[j - 2]) &&
                tolower ((unsigned char) a[i - 2]) == cb && prev2[j - 2] + 1 < value)
                value = prev2[j - 2] + 1;
            row[j] = value;
        }
        size_t *spare = prev2;
        prev2 = prev;
        prev = row;
        row = spare;
    }
    return prev[blen];
}

size_t
wrp_str_utf8_len (const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *) text;
    unsigned char c = s[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    else if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (len < need)
        return 0;
    for (size_t k = 1; k < need; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return need;
}

char *
wrp_str_utf8 (const char *text, size_t size)
{
    wrp_buf_t b = {0};
    for (size_t i = 0; i < size;) {
        size_t n = text[i] ? wrp_str_utf8_len (text + i, size - i) : 0;
        if (n)
            wrp_buf_add (&b, text + i, n);
        else
            wrp_buf_str (&b, "\xef\xbf\xbd");    //  U+FFFD
        i += n ? n : 1;
    }
    return wrp_buf_finish (&b, NULL);
}

char *
wrp_str_escape (const char *text, bool keep_newlines)
{
    wrp_buf_t b = {0};
    size_t size = text ? strlen (text) : 0;
    for (size_t i = 0; i < size;) {
        unsigned char c = (unsigned char) text[i];
        size_t n = wrp_str_utf8_len (text + i, size - i);
        if (c == '\n' && keep_newlines)
            wrp_buf_str (&b, "\n");
        else if (c == 0x1b)
            wrp_buf_str (&b, "\\e");
        else if (c == '\n')
            wrp_buf_str (&b, "\\n");
        else if (c == '\r')
            wrp_buf_str (&b, "\\r");
        else if (c == '\t')
            wrp_buf_str (&b, "\\t");
        else if (c < 0x20 || c == 0x7f || n == 0)
            wrp_buf_printf (&b, "\\x%02x", c);
        else if (n == 2 && c == 0xc2 && (unsigned char) text[i + 1] < 0xa0)
            //  A C1 control (U+0080..U+009F): CSI, OSC, ... on some terminals.
            wrp_buf_printf (&b, "\\u%04x", (unsigned char) text[i + 1]);
        else
            wrp_buf_add (&b, text + i, n);
        i += n ? n : 1;
    }
    return wrp_buf_finish (&b, NULL);
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
    assert (wrp_str_distance ("stauts", "status") == 1);
    assert (wrp_str_distance ("ppl laod", "ppl load") == 1);
    assert (wrp_str_distance ("stauts", "start") == 2);
    assert (wrp_str_distance ("LOG_LEVEL", "log_level") == 0);
    assert (wrp_str_distance ("", "abc") == 3);
    assert (wrp_str_null (&text, "n=%d", 2) == NULL && !strcmp (text, "n=2"));
    free (text);
    assert (wrp_str_utf8_len ("a", 1) == 1 && wrp_str_utf8_len ("\xc3\xa9", 2) == 2);
    assert (wrp_str_utf8_len ("\xc3\xa9", 1) == 0 &&
            wrp_str_utf8_len ("\xc0\x80", 2) == 0);
    assert (wrp_str_utf8_len ("\xf4\x90\x80\x80", 4) == 0);
    char *fixed = wrp_str_utf8 ("a\xff\xc3\xa9\0b", 6);
    assert (fixed && !strcmp (fixed, "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd"
                                     "b"));
    free (fixed);
    char *shown =
        wrp_str_escape ("\x1b[2J\x1b]0;t\x07\r\xff\xc2\x9b\xc3\xa9\t\n.", false);
    assert (shown && !strcmp (shown, "\\e[2J\\e]0;t\\x07\\r\\xff\\u009b\xc3\xa9\\t\\n."));
    free (shown);
    shown = wrp_str_escape ("a\nb\x01", true);
    assert (shown && !strcmp (shown, "a\nb\\x01"));
    free (shown);
}
