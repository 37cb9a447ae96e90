/*  wrp_duration — spans of time with units. See wrp_duration.h.            */

#include "wrp_duration.h"
#include "wrp_str.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_US   ((int64_t) 1 << 62)    //  largest duration accepted
#define S_TEXT_MAX 32                     //  longest text accepted

static const struct {
    const char *name;    //  unit as written
    int64_t us;          //  its length in microseconds
} s_units[] = {
    {"us", 1},       {"ms", 1000},      {"s", 1000000},
    {"m", 60000000}, {"min", 60000000}, {"h", 3600000000LL},
};

int64_t
wrp_duration_unit (const char *unit)
{
    for (size_t i = 0; unit && i < sizeof s_units / sizeof s_units[0]; i++)
        if (!strcmp (s_units[i].name, unit))
            return s_units[i].us;
    return 0;
}

int
wrp_duration_parse (const char *text, const char *bare_unit, int64_t *ret_us,
                    char **ret_err)
{
    assert (ret_us && bare_unit);
    if (!text || !*text) {
        wrp_str_set (ret_err, "'' is not a duration (e.g. 500ms, 30s, 2m)");
        return -1;
    }
    if (strlen (text) > S_TEXT_MAX) {
        wrp_str_set (ret_err, "'%.32s...': too long for a duration", text);
        return -1;
    }
    const char *p = text;
    if (!isdigit ((unsigned char) *p)) {
        wrp_str_set (ret_err, "'%s' is not a duration (e.g. 500ms, 30s, 2m)", text);
        return -1;
    }
    //  Whole part and fraction as an integer and a power of ten.
    int64_t whole = 0, frac = 0, scale = 1;
    for (; isdigit ((unsigned char) *p); p++) {
        if (whole > S_MAX_US / 10) {
            wrp_str_set (ret_err, "'%s': too long a duration", text);
            return -1;
        }
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        p++;
        if (!isdigit ((unsigned char) *p)) {
            wrp_str_set (ret_err, "'%s' is not a duration (e.g. 1.5s)", text);
            return -1;
        }
        for (; isdigit ((unsigned char) *p); p++)
            if (scale < 1000000000) {
                frac = frac * 10 + (*p - '0');
                scale *= 10;
            } else if (*p != '0') {
                wrp_str_set (ret_err, "'%s': finer than a microsecond", text);
                return -1;
            }
    }
    const char *unit_text = *p ? p : bare_unit;
    int64_t unit = wrp_duration_unit (unit_text);
    if (!unit) {
        wrp_str_set (ret_err, "'%s': unknown unit '%s' (use us, ms, s, m or h)", text,
                     unit_text);
        return -1;
    }
    if (whole > S_MAX_US / unit) {
        wrp_str_set (ret_err, "'%s': too long a duration", text);
        return -1;
    }
    int64_t us = whole * unit;
    if (frac) {
        //  frac/scale of a unit must be a whole number of microseconds.
        if ((frac * unit) % scale) {
            wrp_str_set (ret_err, "'%s': finer than a microsecond", text);
            return -1;
        }
        us += frac * unit / scale;
    }
    *ret_us = us;
    return 0;
}

char *
wrp_duration_format (int64_t us)
{
    static const char *names[] = {"h", "m", "s", "ms"};
    static const int64_t sizes[] = {3600000000LL, 60000000, 1000000, 1000};
    for (size_t i = 0; i < 4; i++)
        if (us != 0 && us % sizes[i] == 0)
            return wrp_strf ("%lld%s", (long long) (us / sizes[i]), names[i]);
    return wrp_strf ("%lldus", (long long) us);
}

void
wrp_duration_test (bool verbose)
{
    const struct {
        const char *text;
        const char *bare;
        int64_t us;    //  -1: an error
    } cases[] = {
        {"500ms", "s", 500000},
        {"30s", "ms", 30000000},
        {"2m", "s", 120000000},
        {"1h", "s", 3600000000LL},
        {"30", "ms", 30000},
        {"30", "s", 30000000},
        {"1.5s", "s", 1500000},
        {"0.5ms", "s", 500},
        {"2min", "s", 120000000},
        {"0", "s", 0},
        {"100us", "ms", 100},
        {"1.0000001s", "s", -1},
        {"", "s", -1},
        {"-5s", "s", -1},
        {"5x", "s", -1},
        {"s", "s", -1},
        {"5.s", "s", -1},
        {"5 s", "s", -1},
        {"99999999999999999999h", "s", -1},
        {"1.5us", "s", -1},
        {"3000000000h", "s", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t us = -1;
        char *err = NULL;
        int rc = wrp_duration_parse (cases[i].text, cases[i].bare, &us, &err);
        if (verbose)
            printf ("   '%s' (%s) -> %lld %s\n", cases[i].text, cases[i].bare,
                    (long long) us, err ? err : "");
        if (cases[i].us < 0)
            assert (rc == -1 && err && strstr (err, "'"));
        else
            assert (rc == 0 && us == cases[i].us && !err);
        free (err);
    }
    const struct {
        int64_t us;
        const char *text;
    } formats[] = {{30000000, "30s"}, {1500, "1500us"}, {1500000, "1500ms"},
                   {120000000, "2m"}, {0, "0us"},       {7200000000LL, "2h"}};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        char *text = wrp_duration_format (formats[i].us);
        assert (text && !strcmp (text, formats[i].text));
        int64_t back = -1;
        assert (wrp_duration_parse (text, "s", &back, NULL) == 0 &&
                back == formats[i].us);
        free (text);
    }
    assert (wrp_duration_unit ("ms") == 1000 && wrp_duration_unit ("x") == 0);
}
