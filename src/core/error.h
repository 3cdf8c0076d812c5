/* Status codes and the thread-local last-error message (internal). */
#ifndef US_CORE_ERROR_H
#define US_CORE_ERROR_H

#include "unetseg.h"

/* Record a formatted message as this thread's last error and return `status`.
 * Use as `return us_fail(UNETSEG_E_SHAPE, "conv0: ...", ...);` */
int32_t us_fail(int32_t status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clear this thread's last error (called at the start of public entry points). */
void us_clear_error(void);

#endif
