/* Status codes, the thread-local last-error message and the version text
 * (internal). */
#ifndef US_CORE_ERROR_H
#define US_CORE_ERROR_H

#include "unetseg.h"

/* Record a formatted message as this thread's last error and return `status`.
 * Use as `return us_fail(UNETSEG_E_SHAPE, "conv0: ...", ...);` */
int32_t us_fail(int32_t status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clear this thread's last error (called at the start of public entry points). */
void us_clear_error(void);
/* This thread's last error message ("" if none): unetseg_last_error(). */
const char *us_last_error(void);

/* The version as text, "MAJOR.MINOR.PATCH": unetseg_version_string(). */
#define US_STR2(x) #x
#define US_STR(x) US_STR2(x)
#define US_VERSION_STRING         \
    US_STR(UNETSEG_VERSION_MAJOR) \
    "." US_STR(UNETSEG_VERSION_MINOR) "." US_STR(UNETSEG_VERSION_PATCH)

#endif
