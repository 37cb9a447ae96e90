/*  wrp_str — small string helpers every class shares.                      */

#ifndef WRP_STR_H_INCLUDED
#define WRP_STR_H_INCLUDED

#include <stdbool.h>

//  printf into a new string. Returns it (caller frees), or NULL when out of
//  memory.
char *wrp_strf (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

void wrp_str_test (bool verbose);

#endif
