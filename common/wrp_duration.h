/*  wrp_duration — spans of time as operators write them.

    A number, optionally with a fraction, followed by a unit: us, ms, s,
    m (or min), h — "500ms", "30s", "2m", "1.5s", "1h". A bare number takes
    the unit the caller documents for it ("30" for a timeout in ms is 30
    ms). Negative, overflowing (above 2^62 us) or otherwise malformed text
    is an error naming the value; a fraction finer than 1 us is an error.   */

#ifndef WRP_DURATION_H_INCLUDED
#define WRP_DURATION_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

//  Parse text into microseconds (>= 0). bare_unit is the unit of a bare
//  number ("us", "ms", "s", "m", "h"). Returns 0 and sets *ret_us, or -1
//  and *ret_err (when not NULL; caller frees), e.g. "'3x': unknown unit
//  'x' (use us, ms, s, m or h)".
int wrp_duration_parse (const char *text, const char *bare_unit, int64_t *ret_us,
                        char **ret_err);

//  Microseconds of one unit ("us", "ms", "s", "m", "min", "h"), 0 when the
//  unit is unknown.
int64_t wrp_duration_unit (const char *unit);

//  The shortest exact text of us: 30000000 -> "30s", 1500 -> "1500us",
//  1500000 -> "1500ms", 120000000 -> "2m". Caller frees; NULL on OOM.
char *wrp_duration_format (int64_t us);

void wrp_duration_test (bool verbose);

#endif
