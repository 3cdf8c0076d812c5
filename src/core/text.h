/* A growing text buffer for the tables the library writes (internal). */
#ifndef US_CORE_TEXT_H
#define US_CORE_TEXT_H

#include <stddef.h>

typedef struct us_text {
    char *data; /* NUL-terminated once anything was written; the caller frees it */
    size_t len, cap;
    int failed; /* out of memory: later writes do nothing */
} us_text;

/* Append printf-style; on failure sets `failed` (data stays what it was). */
void us_text_printf(us_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
