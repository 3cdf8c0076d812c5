/* Option parsing shared by every command: the getopt_long loop over the
 * commands' option tables, and the one strict number parser. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_OPTIONS 64
#define FIRST_ID 256 /* getopt_long's val for option k: FIRST_ID + k */

void cli_report(const char *what, int32_t status) {
    fprintf(stderr, "unetseg: %s: %s: %s\n", what, unetseg_status_string(status),
            unetseg_last_error());
}

int cli_exit_code(int32_t status) {
    if (status == UNETSEG_OK) return CLI_EXIT_OK;
    if (status == UNETSEG_E_NO_MATCH) return CLI_EXIT_NO_MATCH;
    if (status == UNETSEG_E_SYNTAX) return CLI_EXIT_USAGE;
    return CLI_EXIT_RUNTIME;
}

/* ---------------------------------------------------------------- numbers */

/* v is not empty and made of `chars` only (strtoll, strtoull and strtod
 * would also take leading blanks, hex, "nan", "inf" and "-" for unsigned). */
static int made_of(const char *v, const char *chars) {
    return v && *v && v[strspn(v, chars)] == '\0';
}

int cli_parse_integer(const char *opt, const char *v, long long min, long long max,
                      long long *out) {
    const char *digits = v && (*v == '-' || *v == '+') ? v + 1 : v;
    if (!made_of(digits, "0123456789")) {
        fprintf(stderr, "unetseg: %s: '%s' is not an integer\n", opt, v ? v : "");
        return 0;
    }
    errno = 0;
    long long x = strtoll(v, NULL, 10);
    if (errno == ERANGE || x < min || x > max) {
        fprintf(stderr, "unetseg: %s: %s is out of range (%lld to %lld)\n", opt, v, min, max);
        return 0;
    }
    *out = x;
    return 1;
}

int cli_parse_unsigned(const char *opt, const char *v, unsigned long long *out) {
    if (!made_of(v, "0123456789")) {
        fprintf(stderr, "unetseg: %s: '%s' is not an unsigned integer\n", opt, v ? v : "");
        return 0;
    }
    errno = 0;
    unsigned long long x = strtoull(v, NULL, 10);
    if (errno == ERANGE) {
        fprintf(stderr, "unetseg: %s: %s is out of range (0 to %llu)\n", opt, v, (unsigned long long)-1);
        return 0;
    }
    *out = x;
    return 1;
}

int cli_parse_real(const char *opt, const char *v, cli_interval range, double *out) {
    char *end = NULL;
    errno = 0;
    double x = made_of(v, "0123456789+-.eE") ? strtod(v, &end) : 0;
    if (!end || end == v || *end != '\0') {
        fprintf(stderr, "unetseg: %s: '%s' is not a number\n", opt, v ? v : "");
        return 0;
    }
    int low = range.lo_open ? !(x > range.lo) : !(x >= range.lo);
    int high = range.hi_open ? !(x < range.hi) : !(x <= range.hi);
    if (errno == ERANGE || !isfinite(x) || low || high) {
        fprintf(stderr, "unetseg: %s: %s is not in %c%g, %g%c\n", opt, v, range.lo_open ? '(' : '[',
                range.lo, range.hi, range.hi_open ? ')' : ']');
        return 0;
    }
    *out = x;
    return 1;
}

/* ---------------------------------------------------------------- options */

typedef struct parser {
    const char *command;
    struct option longs[MAX_OPTIONS + 2]; /* + --help + the end */
    const cli_option *spec[MAX_OPTIONS];
    void *target[MAX_OPTIONS];
    int n;
    const cli_option *positional; /* an end row with a call */
    void *positional_target;
} parser;

static int takes_value(const cli_option *o) { return o->kind != CLI_FLAG && o->kind != CLI_ACTION; }

/* The getopt_long table of every group's rows, then --help. */
static int collect(parser *p, const cli_group *groups, int n_groups) {
    for (int g = 0; g < n_groups; g++) {
        const cli_option *o = groups[g].options;
        for (; o->name; o++) {
            if (p->n == MAX_OPTIONS) return 0;
            p->longs[p->n] = (struct option){o->name, takes_value(o) ? required_argument : no_argument,
                                             NULL, FIRST_ID + p->n};
            p->spec[p->n] = o;
            p->target[p->n++] = groups[g].target;
        }
        if (o->call && !p->positional) {
            p->positional = o;
            p->positional_target = groups[g].target;
        }
    }
    p->longs[p->n] = (struct option){"help", no_argument, NULL, 'h'};
    p->longs[p->n + 1] = (struct option){0};
    return 1;
}

/* "--name" or "--name=...", not a prefix of the name (getopt_long would take
 * one). Short options ("-h") pass. */
static int spelled_out(const char *arg, const char *name) {
    size_t len = strlen(name);
    if (strncmp(arg, "--", 2) != 0) return 1;
    return strncmp(arg + 2, name, len) == 0 && (arg[2 + len] == '\0' || arg[2 + len] == '=');
}

static int unknown(const parser *p, const char *arg) {
    int len = (int)strcspn(arg, "=");
    fprintf(stderr, "unetseg %s: unknown option '%.*s'\n", p->command, len, arg);
    return CLI_EXIT_USAGE;
}

/* getopt_long returned '?' (unknown, or a value given to a flag) or ':'
 * (no value after an option that needs one). */
static int refused(const parser *p, int c, const char *arg) {
    int k = optopt - FIRST_ID;
    if (k < 0 || k >= p->n || !spelled_out(arg, p->spec[k]->name)) return unknown(p, arg);
    fprintf(stderr, "unetseg %s: --%s %s\n", p->command, p->spec[k]->name,
            c == ':' ? "needs a value" : "takes no value");
    return CLI_EXIT_USAGE;
}

static int positional(const parser *p, char *arg) {
    if (p->positional) return p->positional->call(p->positional_target, "argument", arg);
    fprintf(stderr, "unetseg %s: unexpected argument '%s'\n", p->command, arg);
    return CLI_EXIT_USAGE;
}

static int apply(const cli_option *o, void *target, char *value) {
    char flag[80];
    snprintf(flag, sizeof flag, "--%s", o->name);
    void *field = (char *)target + o->offset;
    switch (o->kind) {
    case CLI_FLAG: *(int *)field = 1; return CLI_EXIT_OK;
    case CLI_TEXT: *(const char **)field = value; return CLI_EXIT_OK;
    case CLI_INTEGER: return cli_parse_integer(flag, value, o->min, o->max, field) ? 0 : CLI_EXIT_USAGE;
    case CLI_UNSIGNED: return cli_parse_unsigned(flag, value, field) ? 0 : CLI_EXIT_USAGE;
    case CLI_REAL: return cli_parse_real(flag, value, o->range, field) ? 0 : CLI_EXIT_USAGE;
    default: return o->call(target, flag, value);
    }
}

/* One result of getopt_long; `arg` is the argument it read. */
static int one(const parser *p, int c, char *arg) {
    int k = c - FIRST_ID;
    if (c == 1) return positional(p, optarg);
    if (c == '?' || c == ':') return refused(p, c, arg);
    if (!spelled_out(arg, c == 'h' ? "help" : p->spec[k]->name)) return unknown(p, arg);
    if (c == 'h') return CLI_PARSE_HELP;
    return apply(p->spec[k], p->target[k], optarg);
}

int cli_parse_options(int argc, char **argv, const cli_group *groups, int n_groups) {
    parser p = {.command = argv[0]};
    if (!collect(&p, groups, n_groups)) {
        fprintf(stderr, "unetseg %s: internal error: more than %d options\n", argv[0], MAX_OPTIONS);
        return CLI_EXIT_RUNTIME;
    }
    /* "-": arguments in order (positional ones as 1), whatever POSIXLY_CORRECT
     * says; ":": a missing value is ':', not '?'. optind 0 starts afresh. */
    optind = 0;
    opterr = 0;
    int rc = CLI_EXIT_OK;
    while (rc == CLI_EXIT_OK) {
        int at = optind ? optind : 1;
        int c = getopt_long(argc, argv, "-:h", p.longs, NULL);
        if (c == -1) break;
        rc = one(&p, c, argv[at]);
    }
    for (int i = optind; rc == CLI_EXIT_OK && i < argc; i++) rc = positional(&p, argv[i]); /* after -- */
    return rc;
}
