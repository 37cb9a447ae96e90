/*  wrp_json — the one JSON string writer. See wrp_json.h.                   */

#include "wrp_json.h"
#include "wrp_str.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
wrp_json_string (wrp_buf_t *b, const char *text)
{
    if (!text) {
        wrp_buf_str (b, "null");
        return;
    }
    size_t len = strlen (text);
    wrp_buf_add (b, "\"", 1);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char) text[i];
        size_t n = 1;
        if (c == '"')
            wrp_buf_str (b, "\\\"");
        else if (c == '\\')
            wrp_buf_str (b, "\\\\");
        else if (c == '\n')
            wrp_buf_str (b, "\\n");
        else if (c == '\t')
            wrp_buf_str (b, "\\t");
        else if (c == '\r')
            wrp_buf_str (b, "\\r");
        else if (c < 0x20 || c == 0x7F)
            wrp_buf_printf (b, "\\u%04x", c);
        else if ((n = wrp_str_utf8_len (text + i, len - i)) == 0) {
            wrp_buf_str (b, "\\ufffd");
            n = 1;
        } else
            wrp_buf_add (b, text + i, n);
        i += n;
    }
    wrp_buf_add (b, "\"", 1);
}

void
wrp_json_test (bool verbose)
{
    (void) verbose;
    struct {
        const char *text, *json;
    } cases[] = {
        {NULL, "null"},
        {"", "\"\""},
        {"plain", "\"plain\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"\n\t\r", "\"\\n\\t\\r\""},
        //  Control characters and broken UTF-8 still give valid JSON.
        {"a\x01\xff\xc3\xa9\x7f", "\"a\\u0001\\ufffd\xc3\xa9\\u007f\""},
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},    //  a surrogate
        {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wrp_buf_t b = {0};
        wrp_json_string (&b, cases[i].text);
        char *out = wrp_buf_finish (&b, NULL);
        assert (out && !strcmp (out, cases[i].json));
        free (out);
    }
}
