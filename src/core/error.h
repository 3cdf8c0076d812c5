/* Status codes, the thread-local last-error message and the version text
 * (internal). */
#ifndef US_CORE_ERROR_H
#define US_CORE_ERROR_H

#include "unetseg.h"

/* Size of a last-error message, terminator included (longer ones are cut). */
#define US_ERROR_SIZE 1024

/* Record a formatted message as this thread's last error and return `status`;
 * during a call on a handle (us_clear_error_for) the handle's buffer gets a
 * copy. Use as `return us_fail(UNETSEG_E_SHAPE, "conv0: ...", ...);` */
int32_t us_fail(int32_t status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clear this thread's last error; the call records on no handle (called at
 * the start of the public entry points that take no model or trainer). */
void us_clear_error(void);
/* The same at the start of an entry point of a model or trainer: failures
 * until the next entry point on this thread are also copied into
 * `handle_buffer` (US_ERROR_SIZE bytes; NULL for a NULL handle). The
 * buffer is not cleared: it keeps the last failure of its handle. */
void us_clear_error_for(char *handle_buffer);
#define US_CLEAR_ERROR_ON(handle) us_clear_error_for((handle) ? (char *)(handle)->last_error : NULL)
/* The handle buffer failures are copied into (NULL: none), and setting it
 * back: code that runs a caller's callback, which may call into the
 * library, saves it before and restores it after. */
char *us_error_target(void);
void us_error_set_target(char *handle_buffer);
/* A handle holding `handle_buffer` is being freed: record on it no more. */
void us_error_forget(const char *handle_buffer);
/* This thread's last error message ("" if none): unetseg_last_error(). */
const char *us_last_error(void);

/* The version as text, "MAJOR.MINOR.PATCH": unetseg_version_string(). */
#define US_STR2(x) #x
#define US_STR(x) US_STR2(x)
#define US_VERSION_STRING         \
    US_STR(UNETSEG_VERSION_MAJOR) \
    "." US_STR(UNETSEG_VERSION_MINOR) "." US_STR(UNETSEG_VERSION_PATCH)

#endif
