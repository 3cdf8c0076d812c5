/* Strict JSON parser (recursive descent, depth-limited) and JSON writing helpers. */
#include "core/alloc.h"
#include "io/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

typedef struct parser {
    const unsigned char *s;
    size_t len, pos;
    const char *what; /* prefix of error messages */
    size_t values;    /* values parsed so far, against US_JSON_MAX_VALUES */
} parser;

static int32_t parse_value(parser *p, us_json *out, int depth);

static int32_t syntax(const parser *p, size_t at, const char *msg) {
    return us_fail(UNETSEG_E_FORMAT, "%s: invalid JSON at byte %zu: %s", p->what, at, msg);
}

static int32_t nomem(const parser *p) {
    return us_fail(UNETSEG_E_NOMEM, "%s: out of memory parsing JSON", p->what);
}

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid.
 * The ranges on the second byte exclude overlongs (E0, F0), surrogates (ED)
 * and code points above U+10FFFF (F4). */
static size_t utf8_seq_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) need = 2;
    else if (c >= 0xF0 && c <= 0xF4) need = 3;
    else return 0;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    if (n < need + 1 || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i <= need; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return need + 1;
}

int us_utf8_valid(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(u + i, len - i);
        if (n == 0) return 0;
        i += n;
    }
    return 1;
}

static size_t utf8_encode(uint32_t cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Four hex digits at s[0..3] into *cp; 0 if any is not a hex digit. */
static int hex4(const unsigned char *s, uint32_t *cp) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return 0;
    }
    *cp = v;
    return 1;
}

/* Decode the \u escape whose 'u' is at s[i]; `end` is the closing quote.
 * Writes UTF-8 to out, returns the bytes written and advances *i past the
 * escape (and its low surrogate), or returns 0 with *i at the bad spot. */
static size_t decode_u_escape(const parser *p, size_t *i, size_t end, char *out, int32_t *st) {
    uint32_t cp, lo;
    size_t at = *i - 1; /* the backslash */
    if (end - *i < 5 || !hex4(p->s + *i + 1, &cp)) {
        *st = syntax(p, at, "truncated or invalid \\u escape");
        return 0;
    }
    *i += 5;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        *st = syntax(p, at, "unpaired low surrogate in \\u escape");
        return 0;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        /* A high surrogate must be followed at once by \uDC00..\uDFFF. */
        if (end - *i < 6 || p->s[*i] != '\\' || p->s[*i + 1] != 'u' ||
            !hex4(p->s + *i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
            *st = syntax(p, at, "unpaired high surrogate in \\u escape");
            return 0;
        }
        *i += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    return utf8_encode(cp, out);
}

/* Parse the string whose opening quote is at p->pos into a new NUL-terminated
 * buffer. Escapes only shrink text, so the raw length is enough room. */
static int32_t parse_string(parser *p, char **out, size_t *out_len) {
    size_t start = p->pos + 1, end = start;
    while (end < p->len && p->s[end] != '"') end += (p->s[end] == '\\') ? 2 : 1;
    if (end >= p->len) return syntax(p, p->pos, "unterminated string");

    char *buf = us_malloc(end - start + 1);
    if (!buf) return nomem(p);
    size_t o = 0;
    int32_t st = UNETSEG_OK;
    for (size_t i = start; i < end && st == UNETSEG_OK;) {
        unsigned char c = p->s[i];
        if (c < 0x20) {
            st = syntax(p, i, "control character in string");
        } else if (c == '\\') {
            /* The scan above skipped the byte after each backslash, so i + 1 < end. */
            unsigned char e = p->s[++i];
            const char *simple = strchr("\"\\/bfnrt", e);
            if (e == 'u') {
                size_t n = decode_u_escape(p, &i, end, buf + o, &st);
                o += n;
            } else if (e != '\0' && simple) {
                static const char repl[] = "\"\\/\b\f\n\r\t";
                buf[o++] = repl[simple - "\"\\/bfnrt"];
                i++;
            } else {
                st = syntax(p, i - 1, "invalid escape in string");
            }
        } else if (c < 0x80) {
            buf[o++] = (char)c;
            i++;
        } else {
            size_t n = utf8_seq_len(p->s + i, end - i);
            if (n == 0) {
                st = syntax(p, i, "invalid UTF-8 in string");
            } else {
                memcpy(buf + o, p->s + i, n);
                o += n;
                i += n;
            }
        }
    }
    if (st != UNETSEG_OK) {
        free(buf);
        return st;
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    p->pos = end + 1;
    return UNETSEG_OK;
}

static int is_digit(const parser *p, size_t i) {
    return i < p->len && p->s[i] >= '0' && p->s[i] <= '9';
}

static int32_t parse_number(parser *p, us_json *out) {
    size_t start = p->pos, i = start;
    int integral = 1, neg = 0;
    if (p->s[i] == '-') {
        neg = 1;
        i++;
    }
    if (!is_digit(p, i)) return syntax(p, start, "invalid number");
    if (p->s[i] == '0') i++;
    else
        while (is_digit(p, i)) i++;
    if (i < p->len && p->s[i] == '.') {
        integral = 0;
        if (!is_digit(p, ++i)) return syntax(p, start, "invalid number");
        while (is_digit(p, i)) i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        integral = 0;
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) i++;
        if (!is_digit(p, i)) return syntax(p, start, "invalid number");
        while (is_digit(p, i)) i++;
    }
    p->pos = i;

    if (integral) {
        /* Accumulate the magnitude; -2^63 is allowed, 2^63 is not. */
        uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (size_t k = start + (size_t)neg; k < i; k++) {
            uint64_t d = (uint64_t)(p->s[k] - '0');
            if (mag > (limit - d) / 10) return syntax(p, start, "integer out of range");
            mag = mag * 10 + d;
        }
        out->kind = US_JSON_INT;
        out->u.integer = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
                             : (int64_t)mag;
        return UNETSEG_OK;
    }
    /* strtod needs a NUL-terminated copy. It follows the C locale's decimal
     * point; under another LC_NUMERIC the end check below rejects the number
     * rather than misreading it. */
    char buf[64];
    size_t n = i - start;
    if (n >= sizeof buf) return syntax(p, start, "number too long");
    memcpy(buf, p->s + start, n);
    buf[n] = '\0';
    char *endp;
    errno = 0;
    double d = strtod(buf, &endp);
    if (endp != buf + n) return syntax(p, start, "invalid number");
    if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
        return syntax(p, start, "number out of range");
    out->kind = US_JSON_DOUBLE;
    out->u.number = d;
    return UNETSEG_OK;
}

/* Grow *items (of elem bytes each) so that it has room for one more. */
static int grow(void **items, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return 1;
    size_t new_cap = *cap ? *cap * 2 : 4;
    if (new_cap > SIZE_MAX / elem) return 0;
    void *bigger = us_realloc(*items, new_cap * elem);
    if (!bigger) return 0;
    *items = bigger;
    *cap = new_cap;
    return 1;
}

static int32_t parse_array(parser *p, us_json *out, int depth) {
    size_t n = 0, cap = 0;
    int32_t st = UNETSEG_OK;
    out->kind = US_JSON_ARRAY;
    out->u.items = NULL;
    p->pos++; /* '[' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        return UNETSEG_OK;
    }
    for (;;) {
        void *items = out->u.items;
        if (!grow(&items, &cap, n, sizeof(us_json))) {
            st = nomem(p);
            break;
        }
        out->u.items = items;
        st = parse_value(p, &out->u.items[n], depth);
        if (st != UNETSEG_OK) break;
        out->len = ++n;
        skip_ws(p);
        if (p->pos >= p->len) {
            st = syntax(p, p->pos, "unterminated array");
            break;
        }
        unsigned char c = p->s[p->pos++];
        if (c == ']') return UNETSEG_OK;
        if (c != ',') {
            st = syntax(p, p->pos - 1, "expected ',' or ']' in array");
            break;
        }
    }
    us_json_free(out);
    return st;
}

static int32_t parse_object(parser *p, us_json *out, int depth) {
    size_t n = 0, cap = 0;
    int32_t st = UNETSEG_OK;
    out->kind = US_JSON_OBJECT;
    out->u.members = NULL;
    p->pos++; /* '{' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return UNETSEG_OK;
    }
    for (;;) {
        void *members = out->u.members;
        if (!grow(&members, &cap, n, sizeof(us_json_member))) {
            st = nomem(p);
            break;
        }
        out->u.members = members;
        us_json_member *m = &out->u.members[n];
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != '"') {
            st = syntax(p, p->pos, "expected a string key in object");
            break;
        }
        st = parse_string(p, &m->key, &m->key_len);
        if (st != UNETSEG_OK) break;
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') {
            free(m->key);
            st = syntax(p, p->pos, "expected ':' after object key");
            break;
        }
        p->pos++;
        st = parse_value(p, &m->value, depth);
        if (st != UNETSEG_OK) {
            free(m->key);
            break;
        }
        out->len = ++n;
        skip_ws(p);
        if (p->pos >= p->len) {
            st = syntax(p, p->pos, "unterminated object");
            break;
        }
        unsigned char c = p->s[p->pos++];
        if (c == '}') return UNETSEG_OK;
        if (c != ',') {
            st = syntax(p, p->pos - 1, "expected ',' or '}' in object");
            break;
        }
    }
    us_json_free(out);
    return st;
}

static int32_t parse_literal(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return syntax(p, p->pos, "unexpected character");
    p->pos += n;
    return UNETSEG_OK;
}

/* On failure *out is left as null, with nothing to free. */
static int32_t parse_value(parser *p, us_json *out, int depth) {
    memset(out, 0, sizeof *out);
    if (++p->values > US_JSON_MAX_VALUES)
        return us_fail(UNETSEG_E_FORMAT, "%s: JSON has more than %zu values", p->what,
                       (size_t)US_JSON_MAX_VALUES);
    skip_ws(p);
    if (p->pos >= p->len) return syntax(p, p->pos, "unexpected end of input");
    unsigned char c = p->s[p->pos];
    if (c == '{' || c == '[') {
        if (depth >= US_JSON_MAX_DEPTH)
            return syntax(p, p->pos, "nesting deeper than 64 levels");
        return c == '{' ? parse_object(p, out, depth + 1) : parse_array(p, out, depth + 1);
    }
    if (c == '"') {
        int32_t st = parse_string(p, &out->u.string, &out->len);
        if (st == UNETSEG_OK) out->kind = US_JSON_STRING;
        return st;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, out);
    if (c == 't' || c == 'f') {
        int32_t st = parse_literal(p, c == 't' ? "true" : "false");
        if (st == UNETSEG_OK) {
            out->kind = US_JSON_BOOL;
            out->u.boolean = c == 't';
        }
        return st;
    }
    if (c == 'n') return parse_literal(p, "null");
    return syntax(p, p->pos, "unexpected character");
}

int32_t us_json_parse(const char *text, size_t len, const char *what, us_json *out) {
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "us_json_parse: NULL output");
    memset(out, 0, sizeof *out);
    if (!text && len > 0) return us_fail(UNETSEG_E_INVALID_ARG, "us_json_parse: NULL text");
    parser p = {(const unsigned char *)text, len, 0, what ? what : "JSON", 0};
    int32_t st = parse_value(&p, out, 0);
    if (st != UNETSEG_OK) return st;
    skip_ws(&p);
    if (p.pos != p.len) {
        us_json_free(out);
        return syntax(&p, p.pos, "trailing characters after the value");
    }
    return UNETSEG_OK;
}

void us_json_free(us_json *value) {
    if (!value) return;
    switch (value->kind) {
    case US_JSON_STRING: free(value->u.string); break;
    case US_JSON_ARRAY:
        for (size_t i = 0; i < value->len; i++) us_json_free(&value->u.items[i]);
        free(value->u.items);
        break;
    case US_JSON_OBJECT:
        for (size_t i = 0; i < value->len; i++) {
            free(value->u.members[i].key);
            us_json_free(&value->u.members[i].value);
        }
        free(value->u.members);
        break;
    default: break;
    }
    memset(value, 0, sizeof *value);
}

int us_strbuf_append(us_strbuf *b, const char *s, size_t n) {
    if (n >= SIZE_MAX - b->len) return 0;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) {
            if (cap > SIZE_MAX / 2) return 0;
            cap *= 2;
        }
        char *bigger = us_realloc(b->data, cap);
        if (!bigger) return 0;
        b->data = bigger;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 1;
}

int us_json_append_string(us_strbuf *b, const char *s) {
    if (!us_strbuf_append(b, "\"", 1)) return 0;
    for (const char *run = s;; s++) {
        unsigned char c = (unsigned char)*s;
        if (c != '\0' && c != '"' && c != '\\' && c >= 0x20) continue;
        /* Flush the plain run before s, then the escape for *s. */
        if (!us_strbuf_append(b, run, (size_t)(s - run))) return 0;
        if (c == '\0') break;
        char esc[8];
        size_t n = 2;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default: {
            static const char hex[] = "0123456789abcdef";
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        }
        if (!us_strbuf_append(b, esc, n)) return 0;
        run = s + 1;
    }
    return us_strbuf_append(b, "\"", 1);
}

void us_strbuf_free(us_strbuf *b) {
    if (!b) return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
