/*  wrp_str — small string helpers every class shares.                      */

#ifndef WRP_STR_H_INCLUDED
#define WRP_STR_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

//  printf into a new string. Returns it (caller frees), or NULL when out of
//  memory.
char *wrp_strf (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

//  The same with a va_list.
char *wrp_strfv (const char *format, va_list args)
    __attribute__ ((format (printf, 1, 0)));

//  printf into a new string for an error out-parameter: sets *ret (caller
//  frees; "out of memory" when formatting fails) unless ret is NULL. Keeps
//  errno, so a caller may still test why a syscall failed.
void wrp_str_set (char **ret, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  wrp_str_set for a function that returns 0 / -1: sets *ret and returns -1
//  (`return wrp_str_fail (ret_err, "...", ...);`).
int wrp_str_fail (char **ret, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  wrp_str_set for a function that returns a pointer: sets *ret and
//  returns NULL (`return wrp_str_null (ret_err, "...", ...);`).
void *wrp_str_null (char **ret, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Same, replacing a string the caller already owns: frees the old *target
//  (may be NULL) and sets the new one.
void wrp_str_replace (char **target, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Levenshtein distance between a and b, ignoring ASCII case; SIZE_MAX when
//  either is longer than 128 characters. For did-you-mean messages.
size_t wrp_str_distance (const char *a, const char *b);

//  Length of the valid UTF-8 sequence at s (at most len bytes; 1 for
//  ASCII), 0 when it is not valid UTF-8 (overlong, surrogate, > U+10FFFF,
//  cut short).
size_t wrp_str_utf8_len (const char *s, size_t len);

//  A copy of size bytes of text as valid UTF-8 without NUL: every byte that
//  does not start a valid sequence (and every NUL) becomes U+FFFD. NULL when
//  out of memory. For strings sent on the wire (PROTOCOL.md: UTF-8).
char *wrp_str_utf8 (const char *text, size_t size);

//  A copy of text that is safe on a terminal: C0 controls, DEL, C1 controls
//  (U+0080..U+009F) and bytes that are not valid UTF-8 are shown escaped
//  ("\e", "\r", "\t", "\n", "\x07", "\u009b", "\xff"); newlines kept
//  when keep_newlines. NULL text gives "". NULL when out of memory.
char *wrp_str_escape (const char *text, bool keep_newlines);

void wrp_str_test (bool verbose);

#endif
