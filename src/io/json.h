/* A small strict JSON parser (RFC 8259) for the safetensors header, and the
 * helpers the safetensors writer needs to produce JSON (internal).
 *
 * Strict means: no comments, no trailing commas, no leading '+' or zeros, no
 * NaN/Infinity, only valid UTF-8, no raw control characters in strings, only
 * whitespace after the value. Nesting is limited to US_JSON_MAX_DEPTH levels
 * (the parser recurses once per level, so the stack use is bounded) and a
 * document to US_JSON_MAX_VALUES values (so a 100 MB header of "[0,0,0,..."
 * cannot make us allocate gigabytes of nodes). Duplicate object keys are kept
 * (in document order); callers that care reject them. */
#ifndef US_IO_JSON_H
#define US_IO_JSON_H

#include <stddef.h>
#include <stdint.h>

#define US_JSON_MAX_DEPTH 64
#define US_JSON_MAX_VALUES ((size_t)1 << 22)

typedef enum us_json_kind {
    US_JSON_NULL,
    US_JSON_BOOL,
    US_JSON_INT,    /* a number without fraction or exponent that fits int64 */
    US_JSON_DOUBLE, /* any other number */
    US_JSON_STRING,
    US_JSON_ARRAY,
    US_JSON_OBJECT
} us_json_kind;

typedef struct us_json us_json;
typedef struct us_json_member us_json_member;

struct us_json {
    us_json_kind kind;
    size_t len; /* STRING: bytes (without the final NUL); ARRAY/OBJECT: element count */
    union {
        int boolean;
        int64_t integer;
        double number;
        char *string; /* NUL-terminated UTF-8; may also hold NULs (from \u0000) */
        us_json *items;
        us_json_member *members; /* in document order */
    } u;
};

struct us_json_member {
    char *key; /* NUL-terminated UTF-8; may also hold NULs (from \u0000) */
    size_t key_len;
    us_json value;
};

/* Parse text[0..len-1] (need not be NUL-terminated) into *out, which the
 * caller releases with us_json_free. On failure *out is a JSON null (nothing
 * to free) and the message, prefixed with `what`, says what is wrong and at
 * which byte. Errors: FORMAT, NOMEM. */
int32_t us_json_parse(const char *text, size_t len, const char *what, us_json *out);
/* Release what `value` owns and reset it to null (the struct itself is the
 * caller's). NULL is fine. */
void us_json_free(us_json *value);

/* 1 if s[0..len-1] is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int us_utf8_valid(const char *s, size_t len);

/* A growing, always NUL-terminated byte buffer. Start from {0}. */
typedef struct us_strbuf {
    char *data;
    size_t len, cap;
} us_strbuf;

/* Append n bytes; 1 on success, 0 if memory ran out (the buffer is unchanged). */
int us_strbuf_append(us_strbuf *b, const char *s, size_t n);
/* Append `s` as a quoted JSON string, escaping '"', '\\' and control
 * characters; other bytes are copied as they are. 1 on success, 0 on NOMEM. */
int us_json_append_string(us_strbuf *b, const char *s);
void us_strbuf_free(us_strbuf *b);

#endif
