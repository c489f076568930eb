/*
 * hql_scorer.h -- the HQL scorer plugin ABI, version 1.0.
 *
 * This header is the whole contract between the HQL host (`hqld`) and a scorer
 * plugin loaded at run time from a shared library. The Rust mirror of it is
 * `plugin-api/src/abi.rs`; a test compiles C plugins against this file and
 * loads them into the real host, so the two cannot drift apart silently.
 *
 * Kinds of things in this file
 *   - types      `hql_*_t`: plain C structs of fixed-size integers, doubles
 *                and (pointer, length) pairs. No Rust types, no allocator is
 *                shared: a plugin built with another compiler works.
 *   - hooks      function pointers in `hql_scorer_descriptor_t`, implemented
 *                by the plugin and called by the host (create, score, destroy).
 *   - callbacks  function pointers in `hql_host_api_t`, implemented by the host
 *                and called by the plugin to emit results, errors and logs.
 *
 * Lifecycle
 *   1. The host dlopen()s the library and calls the single exported entry
 *      symbol `hql_scorer_entry`, which returns a static descriptor.
 *   2. The host checks magic, ABI version and struct size, then calls
 *      `create` once per scorer entry of the policy, with that entry's config
 *      (a JSON object). The plugin returns an opaque instance.
 *   3. For every lead the host calls `score(instance, lead, ctx, result)`.
 *      The plugin reads the lead view and writes its output through the
 *      `hql_host_api_t` callbacks, passing back the `result` handle.
 *   4. When a policy is retired and no request uses it any more, the host
 *      calls `destroy(instance)`. Libraries are never unloaded (dlclose is
 *      unsafe with thread-local destructors); a reload maps a new file.
 *
 * Version policy
 *   - HQL_ABI_MAJOR changes on any incompatible change: a field moved or
 *     removed, a signature changed, a meaning changed. The host refuses a
 *     plugin whose major differs from its own.
 *   - HQL_ABI_MINOR changes when something is appended: a field at the end of
 *     a struct that carries `struct_size`, a callback at the end of
 *     `hql_host_api_t`, a new constant. The host loads any plugin whose minor
 *     is lower than or equal to its own; a plugin built against a newer minor
 *     than the host is refused (it may call callbacks the host lacks).
 *   - The first six fields of hql_scorer_descriptor_t (magic, abi_major,
 *     abi_minor, struct_size, name, version) never move, in any major, so a
 *     host can always name the plugin and versions it refuses.
 *   - Structs embedded by value (hql_contact_t, hql_company_t, hql_bant_t,
 *     hql_product_usage_t, hql_event_t, ...) are frozen within a major; new
 *     lead data is appended to hql_lead_t. Readers must check `struct_size`
 *     before reading a field added in a later minor.
 *
 * Ownership (every pointer below carries an OWNERSHIP note)
 *   - Whoever allocates frees. The plugin never frees host memory and the host
 *     never frees plugin memory, except through `destroy`.
 *   - Everything the host passes into a hook is valid only until that hook
 *     returns, unless the note says otherwise. Copy what you need to keep.
 *   - Strings are `hql_str_t`: UTF-8, NOT NUL-terminated, `ptr` may be NULL
 *     only when `len` is 0.
 *   - What a plugin passes to a callback is copied during the call, with one
 *     exception: a string whose bytes lie in the library's read-only segments
 *     (a literal: most codes, evidence paths, fact names and some messages)
 *     cannot change while the library is loaded, which is for ever, so the
 *     host may keep a reference to it instead of a copy. A plugin that
 *     changes such memory (mprotect) breaks this contract.
 *
 * Threads
 *   - `create` and `destroy` are called from one thread at a time.
 *   - `score` is called CONCURRENTLY from many threads on the SAME instance.
 *     An instance must be safe to share: treat it as read-only after create,
 *     or synchronise yourself.
 *   - Callbacks may be called from the thread running the hook they belong to,
 *     during that hook only (`log` / `log_enabled`: from any thread while the
 *     instance lives).
 *
 * What a plugin must not do
 *   Block on I/O or sleep inside `score`; keep any host pointer past the hook
 *   (except `host` in create); call exit() or abort(); write to stdout (it is
 *   the server's); let a C++ exception or a Rust panic cross this boundary.
 *
 * Trust
 *   A plugin runs inside the server process with its privileges. The host can
 *   catch a failed call, not memory corruption: load only libraries you trust.
 *   hqld loads only from its plugin directory, refuses a library or directory
 *   that group or others may write, and checks the policy's optional sha256
 *   pin before it opens a library (docs/plugins.md, "Trust").
 */
#ifndef HQL_SCORER_H
#define HQL_SCORER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- versions */

#define HQL_ABI_MAJOR 1
#define HQL_ABI_MINOR 3
/* "HQLS" read as a big-endian 32-bit integer. */
#define HQL_SCORER_MAGIC 0x48514C53u
/* Name of the one symbol a plugin exports. */
#define HQL_SCORER_ENTRY_SYMBOL "hql_scorer_entry"

/* ------------------------------------------------------------ basic types */

/* Status returned by hooks. */
typedef int32_t hql_status_t;
#define HQL_OK 0
#define HQL_ERROR 1

/* A UTF-8 string slice. OWNERSHIP: whoever hands it out; see each use. */
typedef struct hql_str {
    const char *ptr;
    size_t len;
} hql_str_t;

/* An optional integer: `present` is 1 when `value` is known, 0 otherwise. */
typedef struct hql_opt_i64 {
    int64_t value;
    uint8_t present;
} hql_opt_i64_t;

/* An optional double: `present` is 1 when `value` is known, 0 otherwise. */
typedef struct hql_opt_f64 {
    double value;
    uint8_t present;
} hql_opt_f64_t;

/* Times are milliseconds since the Unix epoch, UTC. */
#define HQL_TIME_UNKNOWN INT64_MIN

/* ------------------------------------------------------------ enumerations */

/* Contact seniority (hql_contact_t.seniority). */
#define HQL_SENIORITY_UNKNOWN 0
#define HQL_SENIORITY_INTERN 1
#define HQL_SENIORITY_ENTRY 2
#define HQL_SENIORITY_SENIOR 3
#define HQL_SENIORITY_MANAGER 4
#define HQL_SENIORITY_DIRECTOR 5
#define HQL_SENIORITY_VP 6
#define HQL_SENIORITY_C_LEVEL 7
#define HQL_SENIORITY_OWNER 8

/* BANT budget status (hql_bant_t.budget_status). */
#define HQL_BUDGET_UNKNOWN 0
#define HQL_BUDGET_NONE 1
#define HQL_BUDGET_ESTIMATED 2
#define HQL_BUDGET_CONFIRMED 3

/* BANT authority (hql_bant_t.authority). */
#define HQL_AUTHORITY_UNKNOWN 0
#define HQL_AUTHORITY_USER 1
#define HQL_AUTHORITY_INFLUENCER 2
#define HQL_AUTHORITY_DECISION_MAKER 3
#define HQL_AUTHORITY_ECONOMIC_BUYER 4

/* BANT need (hql_bant_t.need). */
#define HQL_NEED_UNKNOWN 0
#define HQL_NEED_NONE 1
#define HQL_NEED_STATED 2
#define HQL_NEED_CONFIRMED 3

/* Where an event was observed (hql_event_t.source). */
#define HQL_SOURCE_UNKNOWN 0
#define HQL_SOURCE_FIRST_PARTY 1
#define HQL_SOURCE_THIRD_PARTY 2

/* How the lead responded (hql_event_t.response). */
#define HQL_RESPONSE_UNKNOWN 0
#define HQL_RESPONSE_POSITIVE 1
#define HQL_RESPONSE_NEUTRAL 2
#define HQL_RESPONSE_NEGATIVE 3

/* Kinds of facts and attribute values. */
#define HQL_VALUE_NUMBER 1
#define HQL_VALUE_BOOL 2
#define HQL_VALUE_TEXT 3

/* Log levels (hql_host_api_t.log). */
#define HQL_LOG_ERROR 1
#define HQL_LOG_WARN 2
#define HQL_LOG_INFO 3
#define HQL_LOG_DEBUG 4
#define HQL_LOG_TRACE 5

/* --------------------------------------------------------------- the lead */
/*
 * The read-only view of one lead, built by the host once per request.
 * OWNERSHIP: every pointer reachable from a hql_lead_t is owned by the host and
 * valid only until the `score` call that received it returns.
 */

/* Who the contact is. Empty strings mean "not provided". */
typedef struct hql_contact {
    hql_str_t email;
    hql_str_t job_title;
    uint32_t seniority;      /* HQL_SENIORITY_* */
    hql_str_t department;    /* lower-case, e.g. "marketing", "it" */
    hql_str_t country;       /* ISO 3166-1 alpha-2, upper-case */
} hql_contact_t;

/* The contact's company. */
typedef struct hql_company {
    hql_str_t domain;        /* lower-case, e.g. "acme.com" */
    hql_str_t name;
    hql_str_t industry;      /* lower-case snake_case, e.g. "software" */
    hql_opt_i64_t employee_count;
    hql_opt_f64_t annual_revenue; /* USD */
    hql_str_t region;        /* upper-case sales region, e.g. "NA", "EMEA" */
    const hql_str_t *technologies; /* tools in use, lower-case */
    size_t technologies_len;
} hql_company_t;

/* BANT answers as captured by sales or a form. */
typedef struct hql_bant {
    uint32_t budget_status;  /* HQL_BUDGET_* */
    hql_opt_f64_t budget_amount; /* USD */
    uint32_t authority;      /* HQL_AUTHORITY_* */
    uint32_t need;           /* HQL_NEED_* */
    hql_opt_i64_t timeline_days; /* days until the purchase decision */
} hql_bant_t;

/* One thing the lead did. */
typedef struct hql_event {
    hql_str_t type;          /* snake_case, e.g. "demo_request" or a custom type */
    int64_t occurred_at;     /* ms since epoch; never after ctx->as_of */
    uint32_t source;         /* HQL_SOURCE_* */
    uint32_t response;       /* HQL_RESPONSE_* */
    hql_str_t channel;       /* snake_case, e.g. "email", "web"; empty if unknown */
    hql_str_t campaign;      /* empty if none */
    hql_opt_f64_t value;     /* optional magnitude (minutes watched, pages, ...) */
    uint32_t index;          /* position in the request's `events`; use it as evidence */
} hql_event_t;

/* Trial / freemium product usage. `present` is 0 when the request had none. */
typedef struct hql_product_usage {
    uint8_t present;
    uint8_t activated;       /* 1 when the account reached activation */
    int64_t signed_up_at;    /* ms since epoch or HQL_TIME_UNKNOWN */
    int64_t trial_ends_at;   /* ms since epoch or HQL_TIME_UNKNOWN */
    hql_opt_i64_t active_days_last_30;
    hql_opt_i64_t active_days_prev_30; /* the 30 days before those, for the trend */
    hql_opt_i64_t seats;
    hql_opt_i64_t invited_teammates;
    hql_opt_i64_t plan_limit_hits;
    hql_str_t plan;          /* e.g. "free", "trial", "team" */
    const hql_str_t *features_adopted;
    size_t features_adopted_len;
} hql_product_usage_t;

/* A custom attribute for custom scorers; `kind` says which member is set. */
typedef struct hql_attribute {
    hql_str_t key;
    uint32_t kind;           /* HQL_VALUE_* */
    double number;
    uint8_t boolean;
    hql_str_t text;
} hql_attribute_t;

typedef struct hql_lead {
    uint32_t struct_size;    /* sizeof(hql_lead_t) as the host knows it */
    hql_str_t lead_id;
    hql_contact_t contact;
    hql_company_t company;
    hql_bant_t bant;
    /* Events at or before ctx->as_of, in request order. */
    const hql_event_t *events;
    size_t events_len;
    hql_product_usage_t usage;
    /* Sorted by key, keys unique. */
    const hql_attribute_t *attributes;
    size_t attributes_len;
} hql_lead_t;

/* Per-call context. OWNERSHIP: host, valid during `score`.
 * 1.0 ends at `future_events_hidden` (struct_size 24); 1.1 appends
 * `reason_limit` (struct_size 32); 1.2 appends `reason_weight` and
 * `reason_beat` (struct_size 48); 1.3 appends `wanted_facts` (struct_size
 * 56). Read `reason_limit` only when struct_size >= 32, and treat it as 0
 * otherwise; read the 1.2 fields only when struct_size >= 48, and treat
 * `reason_beat` as -1 otherwise; read `wanted_facts` only when
 * struct_size >= 56, and treat it as all ones otherwise. */
typedef struct hql_score_context {
    uint32_t struct_size;
    int64_t as_of;           /* ms since epoch: "now" for this decision */
    uint32_t future_events_hidden; /* events after as_of the host withheld */
    /* Since 1.1. How many of this call's reasons the host will use.
     * 0: all of them (Explain; every 1.0 host).
     * N > 0: only the N with the largest |points|, among reasons whose points
     * are finite and non-zero; between equal |points|, the one added first.
     * Qualify returns a policy's top reasons and nothing else, so it asks
     * for that many. A plugin MAY then add only those N reasons (the SDK
     * does) and skip copying the rest; the host keeps exactly those N
     * whatever it is sent, so adding all of them is also correct, only
     * slower. Disqualifiers and the score must always be sent in full,
     * whatever the limit; facts too, but for `wanted_facts` (1.3). */
    uint32_t reason_limit;
    uint32_t reserved;       /* 0 */
    /* Since 1.2: the reason bar. Under a reason limit (reason_limit > 0) and
     * with reason_beat >= 0, a reason is used only when
     *     fabs(points) * reason_weight > reason_beat
     * computed exactly so, in double. The host ranks a decision's reasons by
     * |points| x the scorer's weight (reason_weight); once the scorers run
     * before this one have given the decision's top reasons, reason_beat is
     * the product of the last of them, and a reason that does not beat it
     * can never be shown. A plugin MAY skip building such reasons (the SDK
     * does, messages included); the host drops them whatever it is sent.
     * reason_beat < 0 (Explain, the first scorers, every 1.1 host): any
     * reason may be used. Points still count in full: the bar only says
     * which reasons are copied, never what the score is. */
    double reason_weight;
    double reason_beat;
    /* Since 1.3: the declared facts the host will use. Bit i (i < 64) set:
     * the fact declared at `descriptor->facts[i]` is used; clear: it is not
     * (Qualify reads only the facts its policy's gates test; Explain lists
     * them all and sets every bit). A plugin MAY skip `set_fact` for a fact
     * whose bit is clear (the SDK does); the host drops such a fact whatever
     * it is sent. Facts declared after the 64th and undeclared names have no
     * bit: send them as before. Facts say nothing about the score: a plugin
     * MUST NOT let this mask change its score, reasons or disqualifiers. */
    uint64_t wanted_facts;
} hql_score_context_t;

/* struct_size of a context that carries `reason_limit`. */
#define HQL_SCORE_CONTEXT_SIZE_V1_1 32u
/* struct_size of a context that carries `reason_weight` and `reason_beat`. */
#define HQL_SCORE_CONTEXT_SIZE_V1_2 48u
/* struct_size of a context that carries `wanted_facts`. */
#define HQL_SCORE_CONTEXT_SIZE_V1_3 56u

/* ---------------------------------------------------------------- results */

/* Opaque host handles. OWNERSHIP: host. */
typedef struct hql_result hql_result_t; /* valid during one `score` call */
typedef struct hql_error hql_error_t;   /* valid during one `create` call */
typedef struct hql_host hql_host_t;     /* valid from `create` until `destroy` returns */

/* One reason behind the score. OWNERSHIP: plugin; the host copies it during
 * the `add_reason` call, so it may live on the plugin's stack. */
typedef struct hql_reason {
    hql_str_t code;          /* stable, dotted, e.g. "bant.budget.confirmed" */
    hql_str_t message;       /* one short human sentence */
    double points;           /* signed points this reason added to the score */
    const hql_str_t *evidence_fields; /* lead field paths, e.g. "bant.authority" */
    size_t evidence_fields_len;
    const uint32_t *evidence_events;  /* hql_event_t.index values */
    size_t evidence_events_len;
} hql_reason_t;

/* A named fact that policy gates can test ("<scorer id>.<name>").
 * OWNERSHIP: plugin; copied by the host during `set_fact`. */
typedef struct hql_fact {
    hql_str_t name;
    uint32_t kind;           /* HQL_VALUE_* */
    double number;
    uint8_t boolean;
    hql_str_t text;
} hql_fact_t;

/* Callbacks the host provides. OWNERSHIP: host; the table is static and valid
 * for the life of the process. Check `struct_size` before using a callback
 * added after 1.0. */
typedef struct hql_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    /* Sets the score, 0..=100. Calling it again replaces the value. */
    void (*set_score)(hql_result_t *result, double score);
    /* Appends a reason (copied). */
    void (*add_reason)(hql_result_t *result, const hql_reason_t *reason);
    /* Reports a hard disqualifier; `code` must be declared in the descriptor. */
    void (*add_disqualifier)(hql_result_t *result, hql_str_t code, hql_str_t message);
    /* Sets a fact (copied); `name` must be declared in the descriptor. */
    void (*set_fact)(hql_result_t *result, const hql_fact_t *fact);
    /* Explains why `score` returned HQL_ERROR. */
    void (*fail)(hql_result_t *result, hql_str_t message);
    /* Explains why `create` returned HQL_ERROR; `config_key` may be empty. */
    void (*config_error)(hql_error_t *error, hql_str_t config_key, hql_str_t message);
    /* 1 when a message at `level` would be recorded; 0 otherwise. */
    uint8_t (*log_enabled)(const hql_host_t *host, uint32_t level);
    /* Records a log line attributed to this plugin instance. */
    void (*log)(const hql_host_t *host, uint32_t level, hql_str_t message);
} hql_host_api_t;

/* ------------------------------------------------------------- descriptor */

/* A fact a scorer may set. OWNERSHIP: plugin, static. */
typedef struct hql_fact_spec {
    hql_str_t name;
    uint32_t kind;           /* HQL_VALUE_* */
    hql_str_t description;
} hql_fact_spec_t;

/* A disqualification code a scorer may report. OWNERSHIP: plugin, static. */
typedef struct hql_code_spec {
    hql_str_t code;
    hql_str_t description;
} hql_code_spec_t;

/*
 * create: builds an instance from `config_json` (a JSON object, "{}" when the
 *   policy gives none).
 *   api, host: OWNERSHIP host; valid until destroy(instance) returns; keep them.
 *   config_json, error: OWNERSHIP host; valid during the call.
 *   *instance_out: OWNERSHIP plugin; released by `destroy`. May be NULL on
 *   success if the plugin needs no state.
 *   On failure return HQL_ERROR after calling api->config_error at least once.
 *
 * score: scores one lead. Called concurrently on one instance (see Threads).
 *   instance: OWNERSHIP plugin. lead, ctx, result: OWNERSHIP host, valid
 *   during the call. Return HQL_OK, or HQL_ERROR after api->fail.
 *
 * destroy: releases an instance. Called once, after every `score` on it has
 *   returned. Must not fail.
 */
typedef hql_status_t (*hql_create_fn)(const hql_host_api_t *api, const hql_host_t *host,
                                      hql_str_t config_json, void **instance_out,
                                      hql_error_t *error);
typedef hql_status_t (*hql_score_fn)(void *instance, const hql_lead_t *lead,
                                     const hql_score_context_t *ctx, hql_result_t *result);
typedef void (*hql_destroy_fn)(void *instance);

/* What `hql_scorer_entry` returns. OWNERSHIP: plugin; static, valid while the
 * library is loaded (for ever: the host never unloads). */
typedef struct hql_scorer_descriptor {
    uint32_t magic;          /* HQL_SCORER_MAGIC */
    uint16_t abi_major;      /* HQL_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;      /* HQL_ABI_MINOR the plugin was built against */
    uint32_t struct_size;    /* sizeof(hql_scorer_descriptor_t) in the plugin */
    hql_str_t name;          /* e.g. "bant"; [a-z0-9_]+ */
    hql_str_t version;       /* the plugin's own semver, e.g. "1.2.0" */
    hql_str_t dimension;     /* default dimension, e.g. "fit"; a policy may override */
    hql_str_t description;
    const hql_fact_spec_t *facts;
    size_t facts_len;
    const hql_code_spec_t *disqualifiers;
    size_t disqualifiers_len;
    hql_create_fn create;
    hql_score_fn score;
    hql_destroy_fn destroy;
} hql_scorer_descriptor_t;

/* The one symbol a plugin exports. Called once per load; must not fail. */
typedef const hql_scorer_descriptor_t *(*hql_scorer_entry_fn)(void);
const hql_scorer_descriptor_t *hql_scorer_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* HQL_SCORER_H */
