/*  wrp_size — byte sizes as operators write them (CONTRACT §2).

    An integer optionally followed by k, m, g, t or p (case-insensitive,
    powers of 1024) and an optional trailing b/B: "2G" = 2147483648,
    "512MB" = 536870912, "4096" = 4096 bytes. Zero, negative, overflowing
    (above INT64_MAX bytes) or otherwise malformed text is an error.          */

#ifndef WRP_SIZE_H_INCLUDED
#define WRP_SIZE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Parse text into a byte count > 0. Returns 0 and sets *ret_bytes, or -1
//  and sets *ret_err (when not NULL; caller frees) to the reason, e.g.
//  "unknown suffix 'Q' (use k, m, g, t or p)".
int wrp_size_parse (const char *text, int64_t *ret_bytes, char **ret_err);

//  The canonical text of a byte count: the largest suffix that divides it
//  exactly, e.g. 1073741824 -> "1G", 2048 -> "2K", 1536 -> "1536". Parsing
//  it gives the same count back. Caller frees; NULL on OOM.
char *wrp_size_format (int64_t bytes);

void wrp_size_test (bool verbose);

#endif
