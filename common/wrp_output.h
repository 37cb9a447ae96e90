/*  wrp_output — which line of the runtime's output explains a failure.

    One guess for both sides: the agent puts it in a failed START's text,
    the controller in the table's DETAIL and the monitor's events. The last
    line that looks fatal (FATAL, fatal, panic, abort, assert) wins; else the
    first line of the last run of lines that look like an error (ERROR,
    Error, error): a cascade names its cause first, as the real runtime's
    "ChiMod 'chimaera_admin' not found", "Failed to create admin chimod
    pool", "Failed to initialize Chimaera runtime"; trailing blanks and CRs
    cut.                                                                      */

#ifndef WRP_OUTPUT_H_INCLUDED
#define WRP_OUTPUT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  The telling line of output (text, lines split by \n) into buf. With
//  or_last, a non-blank last line is taken when none looks telling.
//  Returns true when buf got a line, else false and buf "".
bool wrp_output_reason (const char *output, bool or_last, char *buf, size_t size);

void wrp_output_test (bool verbose);

#endif
