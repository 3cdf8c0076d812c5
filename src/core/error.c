/* The thread-local detail message behind unetseg_last_error(). */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

int32_t us_fail(int32_t status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

void us_clear_error(void) { last_error[0] = '\0'; }

const char *us_last_error(void) { return last_error; }
