/* Status strings and the thread-local detail message behind unetseg_last_error(). */
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

UNETSEG_API const char *unetseg_last_error(void) { return last_error; }

UNETSEG_API const char *unetseg_status_string(int32_t status) {
    switch (status) {
    case UNETSEG_OK: return "ok";
    case UNETSEG_E_INVALID_ARG: return "invalid argument";
    case UNETSEG_E_NOMEM: return "out of memory";
    case UNETSEG_E_SHAPE: return "shape mismatch";
    case UNETSEG_E_NOT_FOUND: return "not found";
    case UNETSEG_E_NAME_EXISTS: return "name exists";
    case UNETSEG_E_STATE: return "wrong state";
    case UNETSEG_E_IO: return "i/o error";
    case UNETSEG_E_FORMAT: return "malformed file";
    case UNETSEG_E_NO_MATCH: return "no layer matches";
    case UNETSEG_E_SYNTAX: return "syntax error";
    case UNETSEG_E_GRAPH: return "invalid graph";
    case UNETSEG_E_UNSUPPORTED: return "unsupported";
    case UNETSEG_E_NUMERIC: return "non-finite value";
    default: return "unknown status";
    }
}

UNETSEG_API const char *unetseg_version_string(void) {
#define US_STR2(x) #x
#define US_STR(x) US_STR2(x)
    return US_STR(UNETSEG_VERSION_MAJOR) "." US_STR(UNETSEG_VERSION_MINOR) "." US_STR(
        UNETSEG_VERSION_PATCH);
}

UNETSEG_API int32_t unetseg_abi_version(void) { return UNETSEG_ABI_VERSION; }

UNETSEG_API int32_t unetseg_version_number(void) { return UNETSEG_VERSION_NUMBER; }
