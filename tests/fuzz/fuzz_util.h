/*  Shared helper for the libFuzzer harnesses that parse text.              */

#ifndef FUZZ_UTIL_H_INCLUDED
#define FUZZ_UTIL_H_INCLUDED

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

//  The input as a NUL-terminated string (an embedded NUL stays, so
//  strlen may be shorter than size); NULL when the input is longer than
//  max or memory runs out. The caller frees it.
static inline char *
fuzz_text (const uint8_t *data, size_t size, size_t max)
{
    if (size > max)
        return NULL;
    char *text = malloc (size + 1);
    if (!text)
        return NULL;
    memcpy (text, data, size);
    text[size] = 0;
    return text;
}

#endif
