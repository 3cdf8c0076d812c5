/* Bounded JSON loading with libjansson (see json.h). */
#include "io/json.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

/* Refuse text that could make jansson allocate too much or recurse too deep.
 * Every value but the top one follows '[', ',' or ':' outside a string, and
 * every object key follows '{' or ',', so 1 + the count of those bytes bounds
 * what jansson builds; the depth counts '[' and '{' not yet closed. Only a
 * bound: whatever jansson refuses anyway (mismatched brackets, bad strings)
 * it reports itself, before it gets deeper or further than this scan did. */
static int32_t check_bounds(const unsigned char *s, size_t len, const char *what) {
    size_t values = 1;
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == '"') {
            in_string = 1;
        } else if (c == ']' || c == '}') {
            depth -= depth > 0;
        } else if (c == '[' || c == '{' || c == ',' || c == ':') {
            if ((c == '[' || c == '{') && ++depth > US_JSON_MAX_DEPTH)
                return us_fail(UNETSEG_E_FORMAT,
                               "%s: invalid JSON at byte %zu: nesting deeper than %d levels", what,
                               i, US_JSON_MAX_DEPTH);
            if (++values > US_JSON_MAX_VALUES)
                return us_fail(UNETSEG_E_FORMAT, "%s: JSON has more than %zu values (at byte %zu)",
                               what, (size_t)US_JSON_MAX_VALUES, i);
        }
    }
    return UNETSEG_OK;
}

/* What kind of fault jansson's error code is, for codes whose text alone
 * would be terse ("unable to decode byte 0xe2"); "" for the others. */
static const char *error_kind(enum json_error_code code) {
    switch (code) {
    case json_error_invalid_utf8: return "invalid UTF-8: ";
    case json_error_premature_end_of_input: return "unexpected end of input: ";
    case json_error_end_of_input_expected: return "trailing characters after the value: ";
    case json_error_numeric_overflow: return "number out of range: ";
    case json_error_null_character: return "NUL character: ";
    default: return "";
    }
}

int32_t us_json_load(const char *text, size_t len, const char *what, json_t **out) {
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "us_json_load: NULL output");
    *out = NULL;
    if (!text && len > 0) return us_fail(UNETSEG_E_INVALID_ARG, "us_json_load: NULL text");
    if (!what) what = "JSON";
    int32_t st = check_bounds((const unsigned char *)text, len, what);
    if (st != UNETSEG_OK) return st;
    json_error_t err;
    memset(&err, 0, sizeof err);
    json_t *root = json_loadb(text ? text : "", len,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!root) {
        enum json_error_code code = json_error_code(&err);
        if (code == json_error_out_of_memory)
            return us_fail(UNETSEG_E_NOMEM, "%s: out of memory parsing JSON", what);
        return us_fail(UNETSEG_E_FORMAT, "%s: invalid JSON at line %d, column %d (byte %d): %s%s",
                       what, err.line, err.column, err.position, error_kind(code), err.text);
    }
    *out = root;
    return UNETSEG_OK;
}

int us_json_utf8_check(const char *s) {
    json_t *j = json_string(s);
    if (j) {
        json_decref(j);
        return 1;
    }
    /* json_string failed on the UTF-8 check or on memory: the same string
     * without the check tells which. */
    j = json_string_nocheck(s);
    if (!j) return -1;
    json_decref(j);
    return 0;
}
