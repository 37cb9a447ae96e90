/*  wrp_json — the one JSON string writer every JSON producer uses.

    Appends a JSON string literal to a wrp_buf_t: quotes and backslashes
    escaped, \n \t \r as such, other control characters (and DEL) as
    \u00XX, invalid UTF-8 replaced by \ufffd, so whatever an agent or a
    file holds, the document stays valid JSON.                               */

#ifndef WRP_JSON_H_INCLUDED
#define WRP_JSON_H_INCLUDED

#include <stdbool.h>

#include "wrp_buf.h"

//  Append text as a JSON string literal (with its quotes); NULL as null.
void wrp_json_string (wrp_buf_t *b, const char *text);

void wrp_json_test (bool verbose);

#endif
