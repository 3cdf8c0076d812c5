/* Layer matchers: an expression tree over a layer's name, kind and region,
 * the setters that build it, and the dry run (unetseg_model_match).
 *
 * A matcher's root is an AND group; each setter appends one condition to it,
 * so a new matcher (empty group) matches every layer. The text form
 * (match_parse.c) builds arbitrary trees with the node constructors below. */
#include <fnmatch.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/layer_kinds.h"
#include "graph/matcher.h"

typedef enum us_match_type {
    US_MATCH_AND,       /* every kid holds (no kids: true) */
    US_MATCH_OR,        /* some kid holds */
    US_MATCH_NOT,       /* kids[0] does not hold */
    US_MATCH_SUBSTRING, /* text occurs in the name */
    US_MATCH_GLOB,      /* fnmatch(text, name, 0) == 0 */
    US_MATCH_REGEX,     /* regexec(re, name) matches (unanchored) */
    US_MATCH_KIND,      /* bit `kind` of `set` */
    US_MATCH_REGION,    /* bit `region` of `set` */
    US_MATCH_CALLBACK   /* fn(name, kind, user) != 0 */
} us_match_type;

struct us_match_node {
    us_match_type type;
    us_match_node **kids; /* AND, OR, NOT */
    int32_t n_kids, cap_kids;
    char *text; /* SUBSTRING, GLOB, REGEX: the term as written */
    regex_t re; /* REGEX, compiled */
    int has_re; /* re must be regfree'd */
    uint32_t set; /* KIND, REGION: accepted values as a bit set */
    unetseg_match_fn fn;
    void *user;
    unetseg_destroy_fn destroy; /* CALLBACK: called once with user when the node is freed */
};

struct unetseg_matcher {
    us_match_node *root;    /* AND group of the conditions */
    size_t regex_nodes;     /* expanded nodes of its regexes, at most US_REGEX_MAX_TOTAL */
    us_match_node *kinds;   /* the setters' kind condition (a kid of root) or NULL */
    us_match_node *regions; /* the setters' region condition or NULL */
};


/* ------------------------------------------------------------------ nodes */

void us_match_node_free(us_match_node *node) {
    if (!node) return;
    for (int32_t i = 0; i < node->n_kids; i++) us_match_node_free(node->kids[i]);
    free(node->kids);
    free(node->text);
    if (node->has_re) regfree(&node->re);
    if (node->destroy) node->destroy(node->user);
    free(node);
}

static us_match_node *node_alloc(us_match_type type) {
    us_match_node *n = us_calloc(1, sizeof *n);
    if (n) n->type = type;
    return n;
}

/* A leaf holding a copy of `text`. */
static int32_t new_text_leaf(us_match_type type, const char *text, us_match_node **out) {
    *out = NULL;
    us_match_node *n = node_alloc(type);
    if (n) n->text = us_strdup(text);
    if (!n || !n->text) {
        us_match_node_free(n);
        return us_fail(UNETSEG_E_NOMEM, "out of memory");
    }
    *out = n;
    return UNETSEG_OK;
}

int32_t us_match_new_substring(const char *text, us_match_node **out) {
    return new_text_leaf(US_MATCH_SUBSTRING, text, out);
}

int32_t us_match_new_glob(const char *pattern, us_match_node **out) {
    return new_text_leaf(US_MATCH_GLOB, pattern, out);
}

/* Hostile regexes (found by fuzzing). glibc's regcomp copies the operand of
 * x+ (as xx*) and of x{m,n} (n times), so nested repetitions grow the tree
 * exponentially ("((a{99}){99}){99}"), and nested repetitions of something
 * that can match empty make its closure computation exponential in time
 * ("r?????????????++++++" takes minutes; stacked operators nest, and POSIX
 * leaves them undefined anyway). Back-references, a GNU extension, make
 * regexec exponential ("(.*)(.*)(.*)\3\2\1"). So these are refused: back-
 * references, repetitions nested more than 2 deep, groups nested more than
 * 32 deep, and more than 2000 nodes once expanded. No layer-name pattern
 * comes near these limits. A pattern at the limit still takes ~50 ms to
 * compile under ASan and holds megabytes, and one expression can hold
 * hundreds of them (found by fuzzing: 4 KB of regexes took over 10 s and
 * 1 GB), so the regexes of one matcher expand to US_REGEX_MAX_TOTAL nodes in
 * all. */
#define US_REGEX_MAX_NODES 2000
#define US_REGEX_MAX_TOTAL 4000
#define US_REGEX_MAX_DEPTH 32
#define US_REGEX_MAX_NESTED_REPEAT 2

/* End of the bracket expression opening at p ('['), or NULL if unterminated. */
static const char *bracket_end(const char *p) {
    const char *q = p + 1 + (p[1] == '^');
    q += *q == ']'; /* a leading ']' is literal */
    while (*q && *q != ']') {
        if (*q == '[' && q[1] && strchr(":.=", q[1])) { /* [:alpha:] [.x.] [=x=] */
            const char close[3] = {q[1], ']', '\0'}, *e = strstr(q + 2, close);
            q = e ? e + 2 : q + 1;
        } else {
            q++;
        }
    }
    return *q ? q : NULL;
}

/* Why `re` is refused, or NULL; its expanded node count into *nodes. */
static const char *regex_refusal(const char *re, size_t *nodes) {
    static const char *const too_complex =
        "too complex (repetitions nested more than 2 deep, groups more than 32 deep, or "
        "more than 2000 nodes once expanded)";
    /* per open group: nodes so far, and the deepest repetition nesting inside */
    size_t total[US_REGEX_MAX_DEPTH + 1] = {0};
    int nest[US_REGEX_MAX_DEPTH + 1] = {0};
    size_t last = 0;  /* nodes of the last atom */
    int last_nest = 0; /* repetition nesting of the last atom */
    int depth = 0;
    for (const char *p = re; *p; p++) {
        size_t k = 0; /* repetition factor if *p starts a quantifier */
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        if (*p == '*' || *p == '?') k = 1;
        else if (*p == '+') k = 2;
        else if (close && ((p[1] >= '0' && p[1] <= '9') || p[1] == ',')) { /* {,n}: GNU */
            char *end;
            unsigned long m = strtoul(p + 1, &end, 10), n = m;
            if (*end == ',') n = end[1] == '}' ? m + 1 : strtoul(end + 1, &end, 10);
            k = n > US_REGEX_MAX_NODES ? US_REGEX_MAX_NODES + 1 : n ? n : 1;
            p = close;
        }
        if (k) {
            if (last > US_REGEX_MAX_NODES / k || ++last_nest > US_REGEX_MAX_NESTED_REPEAT)
                return too_complex;
            total[depth] += last * (k - 1) + 1;
            last = last * k + 1;
            if (last_nest > nest[depth]) nest[depth] = last_nest;
        } else if (*p == '(') {
            if (depth == US_REGEX_MAX_DEPTH) return too_complex;
            total[++depth] = 0;
            nest[depth] = 0;
            last = 0;
            last_nest = 0;
        } else if (*p == ')' && depth > 0) {
            last = total[depth] + 1;
            last_nest = nest[depth--];
            total[depth] += last;
            if (last_nest > nest[depth]) nest[depth] = last_nest;
        } else {
            if (*p == '[' && !(p = bracket_end(p))) break; /* regcomp reports it */
            if (*p == '\\' && p[1] >= '1' && p[1] <= '9')
                return "back-references (\\1 to \\9) are not supported";
            if (*p == '\\' && p[1]) p++;
            last = *p == '|' ? 0 : 1;
            last_nest = 0;
            total[depth] += last;
        }
        if (total[depth] > US_REGEX_MAX_NODES) return too_complex;
    }
    size_t sum = 0;
    for (int d = 0; d <= depth; d++) sum += total[d];
    *nodes = sum;
    return sum > US_REGEX_MAX_NODES ? too_complex : NULL;
}

int32_t us_match_new_regex(const char *regex, size_t *budget_used, us_match_node **out) {
    *out = NULL;
    size_t nodes = 0;
    const char *refusal = regex_refusal(regex, &nodes);
    if (refusal) return us_fail(UNETSEG_E_SYNTAX, "bad regex '%.200s': %s", regex, refusal);
    if (nodes > US_REGEX_MAX_TOTAL - *budget_used)
        return us_fail(UNETSEG_E_SYNTAX,
                       "bad regex '%.200s': too complex together with the matcher's other "
                       "regexes (more than %d nodes in all once expanded)",
                       regex, US_REGEX_MAX_TOTAL);
    int32_t st = new_text_leaf(US_MATCH_REGEX, regex, out);
    if (st != UNETSEG_OK) return st;
    us_match_node *n = *out;
    int rc = regcomp(&n->re, regex, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[256];
        regerror(rc, &n->re, why, sizeof why);
        us_match_node_free(n); /* has_re is still 0: nothing to regfree */
        *out = NULL;
        return us_fail(UNETSEG_E_SYNTAX, "bad regex '%s': %s", regex, why);
    }
    n->has_re = 1;
    *budget_used += nodes;
    return UNETSEG_OK;
}

static int32_t new_set_leaf(us_match_type type, int32_t value, us_match_node **out) {
    *out = node_alloc(type);
    if (!*out) return us_fail(UNETSEG_E_NOMEM, "out of memory");
    (*out)->set = 1u << value;
    return UNETSEG_OK;
}

int32_t us_match_new_kind(int32_t kind, us_match_node **out) {
    return new_set_leaf(US_MATCH_KIND, kind, out);
}

int32_t us_match_new_region(int32_t region, us_match_node **out) {
    return new_set_leaf(US_MATCH_REGION, region, out);
}

int32_t us_match_new_group(int is_or, us_match_node **out) {
    *out = node_alloc(is_or ? US_MATCH_OR : US_MATCH_AND);
    return *out ? UNETSEG_OK : us_fail(UNETSEG_E_NOMEM, "out of memory");
}

/* Append `kid` to an AND/OR/NOT node. Takes ownership of `kid` even when it
 * fails (the parser then has one thing less to free); the group is unchanged
 * on failure. */
int32_t us_match_group_add(us_match_node *group, us_match_node *kid) {
    if (group->n_kids == group->cap_kids) {
        if (group->cap_kids > INT32_MAX / 2) {
            us_match_node_free(kid);
            return us_fail(UNETSEG_E_NOMEM, "too many conditions");
        }
        int32_t cap = group->cap_kids ? group->cap_kids * 2 : 4;
        us_match_node **kids = us_malloc_array((size_t)cap, sizeof *kids);
        if (!kids) {
            us_match_node_free(kid);
            return us_fail(UNETSEG_E_NOMEM, "out of memory");
        }
        if (group->n_kids) memcpy(kids, group->kids, (size_t)group->n_kids * sizeof *kids);
        free(group->kids);
        group->kids = kids;
        group->cap_kids = cap;
    }
    group->kids[group->n_kids++] = kid;
    return UNETSEG_OK;
}

int32_t us_match_new_not(us_match_node *kid, us_match_node **out) {
    *out = node_alloc(US_MATCH_NOT);
    if (!*out) {
        us_match_node_free(kid);
        return us_fail(UNETSEG_E_NOMEM, "out of memory");
    }
    int32_t st = us_match_group_add(*out, kid);
    if (st != UNETSEG_OK) {
        us_match_node_free(*out);
        *out = NULL;
    }
    return st;
}

/* ------------------------------------------------------------- evaluation */

static int node_eval(const us_match_node *n, const us_layer *l) {
    const char *name = l->name ? l->name : "";
    switch (n->type) {
    case US_MATCH_AND:
        for (int32_t i = 0; i < n->n_kids; i++)
            if (!node_eval(n->kids[i], l)) return 0;
        return 1;
    case US_MATCH_OR:
        for (int32_t i = 0; i < n->n_kids; i++)
            if (node_eval(n->kids[i], l)) return 1;
        return 0;
    case US_MATCH_NOT: return !node_eval(n->kids[0], l);
    case US_MATCH_SUBSTRING: return strstr(name, n->text) != NULL;
    case US_MATCH_GLOB: return fnmatch(n->text, name, 0) == 0;
    case US_MATCH_REGEX: return regexec(&n->re, name, 0, NULL, 0) == 0;
    case US_MATCH_KIND:
        return l->kind >= 0 && l->kind < 32 && ((n->set >> l->kind) & 1u);
    case US_MATCH_REGION:
        return l->region >= 0 && l->region < 32 && ((n->set >> l->region) & 1u);
    case US_MATCH_CALLBACK: {
        /* the callback may call into the library: the running call's handle
         * keeps receiving this call's failures afterwards */
        char *target = us_error_target();
        int32_t hit = n->fn(name, l->kind, n->user);
        us_error_set_target(target);
        return hit != 0;
    }
    }
    return 0;
}

int us_matcher_eval(const unetseg_matcher *matcher, const us_layer *l) {
    return node_eval(matcher->root, l);
}

/* ---------------------------------------------------------- explanations */

/* Whether the leaf alone selects at least one layer the dry run looks at. */
static int leaf_matches_any(const us_match_node *leaf, const unetseg_model *m) {
    for (int32_t i = 0; i < m->n_layers; i++)
        if (!m->layers[i].inserted && node_eval(leaf, &m->layers[i])) return 1;
    return 0;
}

/* First leaf (depth first, left to right) of type a or b that matches no
 * layer by itself. Leaves under a NOT are skipped: a dead term there makes
 * the NOT true everywhere, so it cannot be the reason for zero matches. */
static const us_match_node *first_dead_leaf(const us_match_node *n, us_match_type a,
                                            us_match_type b, const unetseg_model *m) {
    if (n->type == US_MATCH_NOT) return NULL;
    if (n->type == US_MATCH_AND || n->type == US_MATCH_OR) {
        for (int32_t i = 0; i < n->n_kids; i++) {
            const us_match_node *dead = first_dead_leaf(n->kids[i], a, b, m);
            if (dead) return dead;
        }
        return NULL;
    }
    if ((n->type == a || n->type == b) && !leaf_matches_any(n, m)) return n;
    return NULL;
}

static int is_conv(const us_layer *l) {
    return l->kind == UNETSEG_LAYER_CONV2D || l->kind == UNETSEG_LAYER_CONV2D_TRANSPOSE;
}

/* Index of the k-th (0-based) non-inserted layer that passes the filter. */
static int32_t nth_layer(const unetseg_model *m, int convs_only, int32_t k) {
    for (int32_t i = 0; i < m->n_layers; i++) {
        const us_layer *l = &m->layers[i];
        if (l->inserted || (convs_only && !is_conv(l))) continue;
        if (k-- == 0) return i;
    }
    return -1;
}

/* Append "; names look like a, b, ..." with up to 6 names spread evenly over
 * the model. Convolutions are the most telling names (conv0,
 * stage3_unit1_sc, decoder_stage0a_conv, ...); other layers are used only
 * when the model has no convolution. */
static void append_sample_names(const unetseg_model *m, char *out, size_t size) {
    enum { N_SAMPLES = 6 };
    int32_t n_conv = 0, n_all = 0;
    for (int32_t i = 0; i < m->n_layers; i++) {
        if (m->layers[i].inserted) continue;
        n_all++;
        n_conv += is_conv(&m->layers[i]);
    }
    int convs_only = n_conv > 0;
    int32_t n = convs_only ? n_conv : n_all;
    if (n == 0) return;
    int32_t want = n < N_SAMPLES ? n : N_SAMPLES, last = -1;
    size_t used = strlen(out);
    for (int32_t s = 0; s < want && used + 1 < size; s++) {
        int32_t k = want == 1 ? 0 : (int32_t)((int64_t)s * (n - 1) / (want - 1));
        if (k == last) continue;
        last = k;
        const char *name = m->layers[nth_layer(m, convs_only, k)].name;
        int w = snprintf(out + used, size - used, "%s%s", s ? ", " : "; names look like ", name);
        if (w < 0) break;
        used += (size_t)w;
        if (used >= size) used = size - 1; /* truncated: snprintf kept the NUL */
    }
}

void us_matcher_explain_no_match(const unetseg_matcher *matcher, const unetseg_model *m,
                                 char *out, size_t size) {
    if (!out || size == 0) return;
    out[0] = '\0';
    int32_t n_live = 0;
    for (int32_t i = 0; i < m->n_layers; i++) n_live += !m->layers[i].inserted;
    if (n_live == 0) {
        snprintf(out, size, "the model has no layers to match");
        return;
    }
    const us_match_node *dead =
        first_dead_leaf(matcher->root, US_MATCH_SUBSTRING, US_MATCH_SUBSTRING, m);
    if (!dead) dead = first_dead_leaf(matcher->root, US_MATCH_GLOB, US_MATCH_REGEX, m);
    if (!dead)
        snprintf(out, size, "no layer matches all the conditions");
    else if (dead->type == US_MATCH_SUBSTRING)
        snprintf(out, size, "no layer name contains '%s'", dead->text);
    else
        snprintf(out, size, "no layer name matches %s '%s'",
                 dead->type == US_MATCH_GLOB ? "glob" : "regex", dead->text);
    append_sample_names(m, out, size);
}

/* ---------------------------------------------------------------- matcher */

int32_t us_matcher_from_node(us_match_node *node, size_t regex_nodes, unetseg_matcher **out) {
    *out = NULL;
    unetseg_matcher *mt = us_calloc(1, sizeof *mt);
    if (!mt) {
        us_match_node_free(node);
        return us_fail(UNETSEG_E_NOMEM, "out of memory");
    }
    mt->regex_nodes = regex_nodes;
    int32_t st = us_match_new_group(0, &mt->root);
    if (st != UNETSEG_OK) {
        us_match_node_free(node);
        free(mt);
        return st;
    }
    if (node && (st = us_match_group_add(mt->root, node)) != UNETSEG_OK) {
        unetseg_matcher_free(mt); /* group_add already freed node */
        return st;
    }
    *out = mt;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_matcher_create(unetseg_matcher **out) {
    us_clear_error();
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "matcher_create: out is NULL");
    int32_t st = us_matcher_from_node(NULL, 0, out);
    return st == UNETSEG_OK ? st : us_fail(st, "matcher_create: out of memory");
}

UNETSEG_API void unetseg_matcher_free(unetseg_matcher *matcher) {
    if (!matcher) return;
    us_match_node_free(matcher->root);
    free(matcher);
}

/* AND a new condition onto the root (takes ownership of `leaf`). */
static int32_t add_condition(unetseg_matcher *mt, const char *fn, us_match_node *leaf) {
    int32_t st = us_match_group_add(mt->root, leaf);
    return st == UNETSEG_OK ? st : us_fail(st, "%s: out of memory", fn);
}

/* Common checks of the setters that take a non-empty string. */
static int32_t check_text(const unetseg_matcher *mt, const char *fn, const char *what,
                          const char *text) {
    if (!mt) return us_fail(UNETSEG_E_INVALID_ARG, "%s: matcher is NULL", fn);
    if (!text) return us_fail(UNETSEG_E_INVALID_ARG, "%s: %s is NULL", fn, what);
    if (!text[0]) return us_fail(UNETSEG_E_INVALID_ARG, "%s: %s is empty", fn, what);
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_matcher_require(unetseg_matcher *matcher, const char *substring) {
    us_clear_error();
    int32_t st = check_text(matcher, "matcher_require", "substring", substring);
    if (st != UNETSEG_OK) return st;
    us_match_node *leaf = NULL;
    st = us_match_new_substring(substring, &leaf);
    if (st != UNETSEG_OK) return us_fail(st, "matcher_require: out of memory");
    return add_condition(matcher, "matcher_require", leaf);
}

UNETSEG_API int32_t unetseg_matcher_exclude(unetseg_matcher *matcher, const char *substring) {
    us_clear_error();
    int32_t st = check_text(matcher, "matcher_exclude", "substring", substring);
    if (st != UNETSEG_OK) return st;
    us_match_node *leaf = NULL, *not_leaf = NULL;
    st = us_match_new_substring(substring, &leaf);
    if (st == UNETSEG_OK) st = us_match_new_not(leaf, &not_leaf);
    if (st != UNETSEG_OK) return us_fail(st, "matcher_exclude: out of memory");
    return add_condition(matcher, "matcher_exclude", not_leaf);
}

UNETSEG_API int32_t unetseg_matcher_glob(unetseg_matcher *matcher, const char *pattern) {
    us_clear_error();
    int32_t st = check_text(matcher, "matcher_glob", "pattern", pattern);
    if (st != UNETSEG_OK) return st;
    us_match_node *leaf = NULL;
    st = us_match_new_glob(pattern, &leaf);
    if (st != UNETSEG_OK) return us_fail(st, "matcher_glob: out of memory");
    return add_condition(matcher, "matcher_glob", leaf);
}

UNETSEG_API int32_t unetseg_matcher_regex(unetseg_matcher *matcher, const char *regex) {
    us_clear_error();
    int32_t st = check_text(matcher, "matcher_regex", "regex", regex);
    if (st != UNETSEG_OK) return st;
    us_match_node *leaf = NULL;
    st = us_match_new_regex(regex, &matcher->regex_nodes, &leaf);
    if (st != UNETSEG_OK) {
        char why[512]; /* re-prefix the constructor's message */
        snprintf(why, sizeof why, "%s", us_last_error());
        return us_fail(st, "matcher_regex: %s", why);
    }
    return add_condition(matcher, "matcher_regex", leaf);
}

/* Widen the setters' kind/region condition by one value, creating it (ANDed
 * onto the root) on first use: repeated calls mean "any of these". */
static int32_t widen_set(unetseg_matcher *mt, const char *fn, us_match_node **slot,
                         us_match_type type, int32_t value) {
    if (*slot) {
        (*slot)->set |= 1u << value;
        return UNETSEG_OK;
    }
    us_match_node *leaf = NULL;
    int32_t st = new_set_leaf(type, value, &leaf);
    if (st == UNETSEG_OK) st = us_match_group_add(mt->root, leaf);
    if (st != UNETSEG_OK) return us_fail(st, "%s: out of memory", fn);
    *slot = leaf;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_matcher_kind(unetseg_matcher *matcher, int32_t kind) {
    us_clear_error();
    if (!matcher) return us_fail(UNETSEG_E_INVALID_ARG, "matcher_kind: matcher is NULL");
    if (kind < 0 || kind >= UNETSEG_LAYER_KIND_COUNT)
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "matcher_kind: %d is not a layer kind (UNETSEG_LAYER_*, 0..%d)",
                       (int)kind, UNETSEG_LAYER_KIND_COUNT - 1);
    return widen_set(matcher, "matcher_kind", &matcher->kinds, US_MATCH_KIND, kind);
}

UNETSEG_API int32_t unetseg_matcher_region(unetseg_matcher *matcher, int32_t region) {
    us_clear_error();
    if (!matcher) return us_fail(UNETSEG_E_INVALID_ARG, "matcher_region: matcher is NULL");
    if (region != UNETSEG_REGION_ENCODER && region != UNETSEG_REGION_DECODER &&
        region != UNETSEG_REGION_HEAD)
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "matcher_region: %d is not UNETSEG_REGION_ENCODER, _DECODER or _HEAD",
                       (int)region);
    return widen_set(matcher, "matcher_region", &matcher->regions, US_MATCH_REGION, region);
}

/* unetseg_matcher_callback(_ex): on every failure `destroy` (if any) has
 * been called with `user` once, at return; on success the node calls it
 * when it is freed (add_condition frees the node if it cannot add it). */
static int32_t add_callback(unetseg_matcher *matcher, const char *fn_name, unetseg_match_fn fn,
                            void *user, unetseg_destroy_fn destroy) {
    int32_t st = UNETSEG_OK;
    if (!matcher)
        st = us_fail(UNETSEG_E_INVALID_ARG, "%s: matcher is NULL", fn_name);
    else if (!fn)
        st = us_fail(UNETSEG_E_INVALID_ARG, "%s: fn is NULL", fn_name);
    us_match_node *leaf = st ? NULL : node_alloc(US_MATCH_CALLBACK);
    if (!st && !leaf) st = us_fail(UNETSEG_E_NOMEM, "%s: out of memory", fn_name);
    if (st) {
        if (destroy) destroy(user);
        return st;
    }
    leaf->fn = fn;
    leaf->user = user;
    leaf->destroy = destroy;
    return add_condition(matcher, fn_name, leaf);
}

UNETSEG_API int32_t unetseg_matcher_callback(unetseg_matcher *matcher, unetseg_match_fn fn,
                                             void *user) {
    us_clear_error();
    return add_callback(matcher, "matcher_callback", fn, user, NULL);
}

UNETSEG_API int32_t unetseg_matcher_callback_ex(unetseg_matcher *matcher, unetseg_match_fn fn,
                                                void *user, unetseg_destroy_fn destroy) {
    us_clear_error();
    return add_callback(matcher, "matcher_callback_ex", fn, user, destroy);
}

/* -------------------------------------------------------------- dry run */

int32_t us_model_match(const unetseg_model *model, const unetseg_matcher *matcher,
                       int32_t *indices, int32_t capacity, int32_t *count, const char *caller) {
    int32_t n = 0;
    for (int32_t i = 0; i < model->n_layers; i++) {
        const us_layer *l = &model->layers[i];
        if (l->inserted || !us_matcher_eval(matcher, l)) continue;
        if (n < capacity) indices[n] = i;
        n++;
    }
    if (n == 0 && !caller) return UNETSEG_E_NO_MATCH; /* the caller accepts it: no message */
    if (n == 0) {
        char why[900];
        us_matcher_explain_no_match(matcher, model, why, sizeof why);
        return us_fail(UNETSEG_E_NO_MATCH, "%s: %s", caller, why);
    }
    *count = n;
    return UNETSEG_OK;
}
