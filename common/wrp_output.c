/*  wrp_output — which line of the runtime's output explains a failure.
    See wrp_output.h.                                                         */

#include "wrp_output.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

//  How telling a line is: 2 fatal, 1 an error, 0 neither.
static int
s_rank (const char *line, size_t len)
{
    static const char *const fatal[] = {"FATAL", "Fatal", "fatal", "panic",
                                        "abort", "Abort", "ssert"};
    static const char *const error[] = {"ERROR", "Error", "error"};
    for (size_t w = 0; w < sizeof fatal / sizeof fatal[0]; w++)
        if (memmem (line, len, fatal[w], strlen (fatal[w])))
            return 2;
    for (size_t w = 0; w < sizeof error / sizeof error[0]; w++)
        if (memmem (line, len, error[w], strlen (error[w])))
            return 1;
    return 0;
}

bool
wrp_output_reason (const char *output, bool or_last, char *buf, size_t size)
{
    assert (buf && size > 0);
    *buf = 0;
    const char *best = NULL, *last = NULL, *run = NULL;
    size_t best_len = 0, last_len = 0, run_len = 0;
    int best_rank = 0, prev_rank = 0;
    for (const char *line = output; line && *line;) {
        const char *end = strchr (line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen (line);
        while (len > 0 && strchr (" \t\r", line[len - 1]))
            len--;
        if (len > 0) {
            int rank = s_rank (line, len);
            if (rank == 1 && prev_rank != 1) {    //  a run of error lines starts
                run = line;
                run_len = len;
            }
            if (rank == 2 || (rank == 1 && best_rank < 2)) {
                best = rank == 2 ? line : run;
                best_len = rank == 2 ? len : run_len;
                best_rank = rank;
            }
            prev_rank = rank;
            last = line;
            last_len = len;
        }
        line = end ? end + 1 : NULL;
    }
    if (!best && or_last) {
        best = last;
        best_len = last_len;
    }
    if (!best)
        return false;
    snprintf (buf, size, "%.*s", (int) (best_len < size - 1 ? best_len : size - 1), best);
    return true;
}

void
wrp_output_test (bool verbose)
{
    (void) verbose;
    char line[64];
    assert (wrp_output_reason ("info\nFATAL ChiMod 'x' not found\nbye", false, line,
                               sizeof line));
    assert (!strcmp (line, "FATAL ChiMod 'x' not found"));
    //  A fatal line beats a later error line; the last fatal line wins, and
    //  the first line of the last run of error lines (the real runtime's
    //  cascade when its modules are missing)
    assert (wrp_output_reason ("FATAL: one\nerror two\n", false, line, sizeof line));
    assert (!strcmp (line, "FATAL: one"));
    assert (wrp_output_reason ("error one\nsome error here\r\nlast", true, line,
                               sizeof line));
    assert (!strcmp (line, "error one"));
    assert (wrp_output_reason ("ERROR old\ninfo\nERROR ChiMod not found\nERROR pool\n"
                               "ERROR init\n",
                               false, line, sizeof line));
    assert (!strcmp (line, "ERROR ChiMod not found"));
    assert (wrp_output_reason ("x\nassertion failed  \nError: y\n", false, line,
                               sizeof line));
    assert (!strcmp (line, "assertion failed"));
    //  Nothing telling: the last line, or nothing
    assert (wrp_output_reason ("a\nlast\n\n", true, line, sizeof line));
    assert (!strcmp (line, "last"));
    assert (!wrp_output_reason ("a\nlast\n", false, line, sizeof line) && !*line);
    assert (!wrp_output_reason (NULL, true, line, sizeof line));
    assert (!wrp_output_reason ("\n \n", true, line, sizeof line));
    //  Cut to the buffer
    char small[4];
    assert (wrp_output_reason ("FATAL x", false, small, sizeof small));
    assert (!strcmp (small, "FAT"));
}
