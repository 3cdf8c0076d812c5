/* The one-line text form of a matcher (unetseg_matcher_parse), by recursive
 * descent:
 *
 *   or      := and ('|' and)*
 *   and     := unary ('&' unary)*
 *   unary   := '!' unary | primary
 *   primary := '(' or ')' | atom
 *   atom    := WORD | 'QUOTED' | glob:VALUE | re:VALUE | kind=NAME | region=NAME
 *   VALUE   := WORD | 'QUOTED'
 *
 * A WORD is a run of characters other than whitespace, & | ! ( ) and the
 * quote; a quoted word runs to the next quote (no escapes). Whitespace between
 * tokens is ignored. Every error is UNETSEG_E_SYNTAX with the 1-based column
 * of the offending character. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/layer_kinds.h"
#include "graph/matcher.h"


/* Deeper nesting of '(' and '!' is refused, so that a hostile expression
 * cannot exhaust the stack. */
#define MAX_DEPTH 64

typedef struct parser {
    const char *s;
    size_t pos;
    int depth;
    size_t regex_nodes; /* what the regexes so far used of the matcher's budget */
} parser;

static int column(size_t pos) { return (int)(pos + 1 < 1000000000 ? pos + 1 : 999999999); }

/* SYNTAX error at byte `pos`: "matcher_parse: column N: <message>". */
static int32_t syntax_error(size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int32_t syntax_error(size_t pos, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return us_fail(UNETSEG_E_SYNTAX, "matcher_parse: column %d: %s", column(pos), msg);
}

/* "'c'" for printable characters, "byte 0xNN" otherwise, "the end" at NUL. */
static const char *describe(char c, char *buf, size_t size) {
    if (c == '\0')
        snprintf(buf, size, "the end");
    else if (isprint((unsigned char)c))
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", (unsigned)(unsigned char)c);
    return buf;
}

static int is_word_char(char c) {
    return c != '\0' && !isspace((unsigned char)c) && !strchr("&|!()'", c);
}

static void skip_space(parser *p) {
    while (isspace((unsigned char)p->s[p->pos])) p->pos++;
}

static char peek(parser *p) {
    skip_space(p);
    return p->s[p->pos];
}

/* Node errors (NOMEM, a regex that does not compile) carry no column yet. */
static int32_t with_column(int32_t st, size_t pos) {
    if (st == UNETSEG_OK || st == UNETSEG_E_NOMEM) return st;
    char why[768];
    snprintf(why, sizeof why, "%s", us_last_error());
    return syntax_error(pos, "%s", why);
}

/* ------------------------------------------------------------------ words */

/* Read a bare word or a quoted word at p->pos into a new string *out (empty
 * when there is none). */
static int32_t read_value(parser *p, char **out) {
    const char *s = p->s;
    size_t start = p->pos, len;
    *out = NULL;
    if (s[start] == '\'') {
        const char *close = strchr(s + start + 1, '\'');
        if (!close) return syntax_error(start, "unterminated quote");
        len = (size_t)(close - (s + start + 1));
        start++;
        p->pos = (size_t)(close - s) + 1;
    } else {
        while (is_word_char(s[p->pos])) p->pos++;
        len = p->pos - start;
    }
    *out = us_malloc(len + 1);
    if (!*out) return us_fail(UNETSEG_E_NOMEM, "matcher_parse: out of memory");
    memcpy(*out, s + start, len);
    (*out)[len] = '\0';
    return UNETSEG_OK;
}

/* Value of glob:, re:, kind=, region= that starts at p->pos; an empty value
 * is an error pointing at where it should have been. */
static int32_t read_prefixed_value(parser *p, const char *prefix, const char *noun,
                                   char **out) {
    size_t at = p->pos;
    int32_t st = read_value(p, out);
    if (st == UNETSEG_OK && (*out)[0] == '\0') {
        free(*out);
        *out = NULL;
        return syntax_error(at, "expected a %s after '%s'", noun, prefix);
    }
    return st;
}

/* ------------------------------------------------------------------ atoms */

static int32_t kind_atom(parser *p, us_match_node **out) {
    size_t at = p->pos;
    char *name = NULL;
    int32_t st = read_prefixed_value(p, "kind=", "name", &name);
    if (st != UNETSEG_OK) return st;
    for (int32_t k = 0; k < UNETSEG_LAYER_KIND_COUNT; k++) {
        if (strcasecmp(name, us_layer_kind_get(k)->lower_name) == 0) {
            free(name);
            return us_match_new_kind(k, out);
        }
    }
    char valid[512] = "";
    size_t used = 0;
    for (int32_t k = 0; k < UNETSEG_LAYER_KIND_COUNT && used < sizeof valid; k++)
        used += (size_t)snprintf(valid + used, sizeof valid - used, "%s%s", k ? ", " : "",
                                 us_layer_kind_get(k)->lower_name);
    st = syntax_error(at, "unknown kind '%.64s' (valid: %s)", name, valid);
    free(name);
    return st;
}

static int32_t region_atom(parser *p, us_match_node **out) {
    static const struct {
        const char *name;
        int32_t region;
    } regions[] = {{"encoder", UNETSEG_REGION_ENCODER},
                   {"decoder", UNETSEG_REGION_DECODER},
                   {"head", UNETSEG_REGION_HEAD}};
    size_t at = p->pos;
    char *name = NULL;
    int32_t st = read_prefixed_value(p, "region=", "name", &name);
    if (st != UNETSEG_OK) return st;
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
        if (strcasecmp(name, regions[i].name) == 0) {
            free(name);
            return us_match_new_region(regions[i].region, out);
        }
    }
    st = syntax_error(at, "unknown region '%.64s' (valid: encoder, decoder, head)", name);
    free(name);
    return st;
}

/* glob:VALUE or re:VALUE. */
static int32_t pattern_atom(parser *p, int is_regex, us_match_node **out) {
    size_t at = p->pos;
    char *text = NULL;
    int32_t st = read_prefixed_value(p, is_regex ? "re:" : "glob:", "pattern", &text);
    if (st != UNETSEG_OK) return st;
    st = is_regex ? us_match_new_regex(text, &p->regex_nodes, out) : us_match_new_glob(text, out);
    free(text);
    return with_column(st, at);
}

static int starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A word, a quoted word, or one of the prefixed forms. Quoting a word turns
 * off the prefixes: 'kind=x' is the substring "kind=x". */
static int32_t parse_atom(parser *p, us_match_node **out) {
    const char *here = p->s + p->pos;
    static const char *const prefixes[] = {"glob:", "re:", "kind=", "region="};
    for (int i = 0; i < 4; i++) {
        if (!starts_with(here, prefixes[i])) continue;
        p->pos += strlen(prefixes[i]);
        switch (i) {
        case 0: return pattern_atom(p, 0, out);
        case 1: return pattern_atom(p, 1, out);
        case 2: return kind_atom(p, out);
        default: return region_atom(p, out);
        }
    }
    size_t at = p->pos;
    char *word = NULL;
    int32_t st = read_value(p, &word);
    if (st != UNETSEG_OK) return st;
    if (word[0] == '\0') st = syntax_error(at, "empty quoted word");
    else st = us_match_new_substring(word, out);
    free(word);
    return st;
}

/* ------------------------------------------------------------ operators */

static int32_t parse_or(parser *p, const char *after, us_match_node **out);

static int32_t enter(parser *p) {
    if (++p->depth > MAX_DEPTH)
        return syntax_error(p->pos, "nesting too deep (more than %d levels of '(' and '!')",
                            MAX_DEPTH);
    return UNETSEG_OK;
}

/* '(' or ')' ... ')' */
static int32_t parse_group(parser *p, us_match_node **out) {
    size_t open = p->pos++;
    int32_t st = parse_or(p, "'('", out);
    if (st != UNETSEG_OK) return st;
    char c = peek(p), buf[24];
    if (c == ')') {
        p->pos++;
        return UNETSEG_OK;
    }
    us_match_node_free(*out);
    *out = NULL;
    if (c == '\0')
        return syntax_error(p->pos, "missing ')' for the '(' at column %d", column(open));
    return syntax_error(p->pos, "expected '&', '|' or ')', found %s",
                        describe(c, buf, sizeof buf));
}

/* `after` names the operator before this operand ("'&'"), NULL at the start. */
static int32_t parse_unary(parser *p, const char *after, us_match_node **out) {
    *out = NULL;
    char c = peek(p), buf[24];
    if (c == '!' || c == '(') {
        int32_t st = enter(p);
        if (st == UNETSEG_OK && c == '(') {
            st = parse_group(p, out);
        } else if (st == UNETSEG_OK) {
            us_match_node *kid = NULL;
            p->pos++;
            st = parse_unary(p, "'!'", &kid);
            if (st == UNETSEG_OK) st = us_match_new_not(kid, out);
        }
        p->depth--;
        return st;
    }
    if (c == '\0' || c == ')' || c == '&' || c == '|') {
        if (after)
            return syntax_error(p->pos, "expected a word, '(' or '!' after %s%s%s", after,
                                c ? ", found " : "", c ? describe(c, buf, sizeof buf) : "");
        return syntax_error(p->pos, "expected a word, '(' or '!', found %s",
                            describe(c, buf, sizeof buf));
    }
    return parse_atom(p, out);
}

/* A chain of operands joined by `op` ('&' or '|'); a single operand is
 * returned as is, several are gathered in one AND/OR node. */
static int32_t parse_chain(parser *p, char op, const char *after, us_match_node **out) {
    const char *op_name = op == '&' ? "'&'" : "'|'";
    us_match_node *first = NULL, *group = NULL;
    int32_t st = op == '&' ? parse_unary(p, after, &first) : parse_chain(p, '&', after, &first);
    *out = NULL;
    if (st != UNETSEG_OK) return st;
    if (peek(p) != op) {
        *out = first;
        return UNETSEG_OK;
    }
    st = us_match_new_group(op == '|', &group);
    if (st == UNETSEG_OK) st = us_match_group_add(group, first);
    else us_match_node_free(first);
    while (st == UNETSEG_OK && peek(p) == op) {
        us_match_node *next = NULL;
        p->pos++;
        st = op == '&' ? parse_unary(p, op_name, &next) : parse_chain(p, '&', op_name, &next);
        if (st == UNETSEG_OK) st = us_match_group_add(group, next);
    }
    if (st != UNETSEG_OK) {
        us_match_node_free(group);
        return st;
    }
    *out = group;
    return UNETSEG_OK;
}

static int32_t parse_or(parser *p, const char *after, us_match_node **out) {
    return parse_chain(p, '|', after, out);
}

UNETSEG_API int32_t unetseg_matcher_parse(const char *expression, unetseg_matcher **out) {
    us_clear_error();
    if (out) *out = NULL;
    if (!expression) return us_fail(UNETSEG_E_INVALID_ARG, "matcher_parse: expression is NULL");
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "matcher_parse: out is NULL");
    parser p = {expression, 0, 0, 0};
    if (peek(&p) == '\0') return syntax_error(p.pos, "empty expression");
    us_match_node *root = NULL;
    int32_t st = parse_or(&p, NULL, &root);
    if (st != UNETSEG_OK) return st;
    char c = peek(&p), buf[24];
    if (c != '\0') {
        us_match_node_free(root);
        if (c == ')') return syntax_error(p.pos, "unbalanced ')'");
        return syntax_error(p.pos, "expected '&', '|' or the end, found %s",
                            describe(c, buf, sizeof buf));
    }
    st = us_matcher_from_node(root, p.regex_nodes, out);
    return st == UNETSEG_OK ? st : us_fail(st, "matcher_parse: out of memory");
}
