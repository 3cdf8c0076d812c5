/* JSON through Debian's libjansson (internal): limits checked before
 * jansson sees untrusted text, and jansson's errors turned into messages.
 *
 * Strictness is jansson's (RFC 8259: no comments, trailing commas, leading
 * zeros, NaN; only valid UTF-8, no unpaired surrogates, no raw control
 * characters in strings, nothing after the value) plus duplicate object keys
 * refused (JSON_REJECT_DUPLICATES). jansson allocates every value and
 * recurses once per nesting level (up to its compile-time 2048), so a linear
 * scan first bounds the text to US_JSON_MAX_DEPTH levels and
 * US_JSON_MAX_VALUES values and keys: a 100 MB header of "[0,0,0,..." is
 * refused before jansson allocates anything.
 *
 * jansson allocates with plain malloc, not through core/alloc.h: its only
 * hook, json_set_alloc_funcs, is process-wide and would take over the
 * host's own jansson use, so a library must not call it. Allocation-failure
 * injection (us_test_fail_allocation) therefore does not reach inside
 * jansson; a real failure there is still a UNETSEG_E_NOMEM. */
#ifndef US_IO_JSON_H
#define US_IO_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define US_JSON_MAX_DEPTH 64
#define US_JSON_MAX_VALUES ((size_t)1 << 20)

/* Parse text[0..len-1] (need not be NUL-terminated; any value at the top,
 * strings may hold NULs: callers check json_string_length) into a new
 * reference *out (json_decref). On failure *out is NULL and the message,
 * prefixed with `what`, gives jansson's line, column and byte position.
 * Errors: FORMAT, NOMEM, INVALID_ARG. */
int32_t us_json_load(const char *text, size_t len, const char *what, json_t **out);

/* 1 if s is valid UTF-8 as jansson accepts it in strings (no overlongs,
 * surrogates or code points above U+10FFFF), 0 if not, -1 if memory ran out
 * while checking. */
int us_json_utf8_check(const char *s);

#endif
