/* The thread-local detail message behind unetseg_last_error(), and its copy
 * in the handle of the call that failed (unetseg_model_last_error,
 * unetseg_trainer_last_error). */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[US_ERROR_SIZE];
/* The handle buffer of the entry point running on this thread, or NULL:
 * set by us_clear_error_for, reset by us_clear_error (every entry point
 * calls one of the two first, so it never outlives its call's handle). */
static _Thread_local char *handle_error;

int32_t us_fail(int32_t status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    if (handle_error) memcpy(handle_error, last_error, strlen(last_error) + 1);
    return status;
}

void us_clear_error(void) {
    last_error[0] = '\0';
    handle_error = NULL;
}

void us_clear_error_for(char *handle_buffer) {
    last_error[0] = '\0';
    handle_error = handle_buffer;
}

char *us_error_target(void) { return handle_error; }
void us_error_set_target(char *handle_buffer) { handle_error = handle_buffer; }

void us_error_forget(const char *handle_buffer) {
    if (handle_buffer && handle_error == handle_buffer) handle_error = NULL;
}

const char *us_last_error(void) { return last_error; }
