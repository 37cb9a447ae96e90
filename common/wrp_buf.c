/*  wrp_buf — a growing NUL-terminated byte buffer. See wrp_buf.h.         */

#include "wrp_buf.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Makes room for more bytes plus the NUL; false when the buffer failed.
static bool
s_reserve (wrp_buf_t *self, size_t more)
{
    if (self->failed)
        return false;
    if (more > SIZE_MAX / 2 - self->size - 1) {
        self->failed = true;
        return false;
    }
    if (self->size + more + 1 <= self->alloc)
        return true;
    size_t alloc = self->alloc ? self->alloc : 256;
    while (alloc < self->size + more + 1)
        alloc *= 2;
    char *grown = realloc (self->data, alloc);
    if (!grown) {
        self->failed = true;
        return false;
    }
    self->data = grown;
    self->alloc = alloc;
    return true;
}

int
wrp_buf_add (wrp_buf_t *self, const void *data, size_t size)
{
    assert (self && (data || size == 0));
    if (!s_reserve (self, size))
        return -1;
    if (size)
        memcpy (self->data + self->size, data, size);
    self->size += size;
    self->data[self->size] = 0;
    return 0;
}

int
wrp_buf_str (wrp_buf_t *self, const char *text)
{
    assert (text);
    return wrp_buf_add (self, text, strlen (text));
}

int
wrp_buf_printf (wrp_buf_t *self, const char *format, ...)
{
    assert (self && format);
    if (self->failed)
        return -1;
    //  Usually the text fits the room left: then it takes one pass.
    size_t room = self->alloc - self->size;
    va_list args;
    va_start (args, format);
    int len = vsnprintf (room ? self->data + self->size : NULL, room, format, args);
    va_end (args);
    if (len < 0) {
        self->failed = true;
        return -1;
    }
    if ((size_t) len >= room) {
        if (!s_reserve (self, (size_t) len))
            return -1;
        va_start (args, format);
        vsnprintf (self->data + self->size, (size_t) len + 1, format, args);
        va_end (args);
    }
    self->size += (size_t) len;
    return 0;
}

char *
wrp_buf_finish (wrp_buf_t *self, size_t *ret_size)
{
    assert (self);
    char *text = self->failed ? NULL : self->data ? self->data : strdup ("");
    if (self->failed)
        free (self->data);
    if (text && ret_size)
        *ret_size = self->size;
    *self = (wrp_buf_t){0};
    return text;
}

void
wrp_buf_reset (wrp_buf_t *self)
{
    assert (self);
    free (self->data);
    *self = (wrp_buf_t){0};
}

void
wrp_buf_test (bool verbose)
{
    (void) verbose;
    wrp_buf_t buf = {0};
    assert (wrp_buf_add (&buf, "ab\0c", 4) == 0);
    assert (buf.size == 4 && buf.data[4] == 0 && !memcmp (buf.data, "ab\0c", 4));
    assert (wrp_buf_str (&buf, "") == 0 && buf.size == 4);
    assert (wrp_buf_printf (&buf, "%d", 7) == 0 && buf.size == 5 &&
            !strcmp (buf.data + 3, "c7"));
    buf.data[--buf.size] = 0;
    //  Long enough to grow the buffer more than once.
    char big[1000];
    memset (big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert (wrp_buf_printf (&buf, "|%s|%d", big, 42) == 0);
    assert (buf.size == 4 + 1 + 999 + 1 + 2 && !strcmp (buf.data + 1004, "|42"));
    size_t size = 0;
    char *text = wrp_buf_finish (&buf, &size);
    assert (text && size == 1007 && !buf.data && buf.size == 0);
    free (text);
    //  Nothing added: "".
    text = wrp_buf_finish (&buf, &size);
    assert (text && !*text && size == 0);
    free (text);
    //  A failed buffer stays failed and gives NULL.
    assert (wrp_buf_str (&buf, "kept") == 0);
    buf.failed = true;
    assert (wrp_buf_str (&buf, "more") == -1 && wrp_buf_printf (&buf, "%d", 1) == -1);
    assert (!wrp_buf_finish (&buf, &size) && !buf.failed && !buf.data);
    wrp_buf_str (&buf, "x");
    wrp_buf_reset (&buf);
    assert (!buf.data && buf.size == 0);
}
