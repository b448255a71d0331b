/*
 * The parts of Perl's API that exist only as C macros, wrapped as plain
 * functions so the Rust glue (src/perl/) can call them.  Nothing here knows
 * about event loops: each function is one macro or one short idiom.
 *
 * Perl code (a callback, a DESTROY, a tie's FETCH, an overloaded operator,
 * a PerlIO layer written in Perl) can leave a call abnormally: `die` is a
 * longjmp with code 3, `exit` one with code 2.  Every function here that
 * can run Perl code runs it under le_protect, the one place that catches
 * both with its own JMPENV, so no longjmp ever crosses a Rust frame: the
 * Rust side gets a status, returns normally, and the XSUB it was called by
 * continues the longjmp (le_rethrow) once every Rust value is gone.  Every
 * other function here runs no Perl code at all; references the glue gives
 * up go through le_drop, which frees nothing on the spot.
 */
#include "shim.h"

#ifndef MULTIPLICITY
/* The interpreter, for XSUBs that perl calls without one: a perl without
 * MULTIPLICITY has exactly one. */
PerlInterpreter *le_current_interp(void) { return PL_curinterp; }
#endif

/* The longjmp codes of perl's JMPENV (cop.h): what `die` and `exit` use. */
#define LE_JMP_EXIT 2
#define LE_JMP_DIE 3

/*
 * Runs STMT catching `die` and `exit`, and sets `status` to LE_OK, LE_DIED
 * (perl has unwound its own stacks to the nearest eval, with $@ set, and
 * was on its way there) or LE_EXIT.  With no JMPENV of ours, the longjmp
 * would go straight through the Rust frames below us.  The one place the
 * shim pushes a JMPENV: le_protect for most callers, and inline in the
 * hottest one, le_call (a call through a function pointer there costs a
 * tenth of a dispatch).
 */
#define LE_PROTECTED(status, STMT)                                           \
    do {                                                                     \
        dJMPENV;                                                             \
        int le_ret_;                                                         \
        JMPENV_PUSH(le_ret_);                                                \
        if (le_ret_ == 0) {                                                  \
            STMT;                                                            \
        }                                                                    \
        JMPENV_POP;                                                          \
        (status) = le_ret_ == 0 ? LE_OK                                      \
                 : le_ret_ == LE_JMP_DIE ? LE_DIED : LE_EXIT;                \
    } while (0)

typedef void (*le_body)(pTHX_ void *ctx);

static int le_protect(pTHX_ le_body body, void *ctx) {
    int status;
    LE_PROTECTED(status, body(aTHX_ ctx));
    return status;
}

/* ---- XSUB arguments and return values ---------------------------------- */

I32 le_xs_begin(LE_pTHX_ I32 *axp) {
    dSP;
    dAXMARK;
    dITEMS;
    PERL_UNUSED_VAR(sp);
    *axp = ax;
    return items;
}

/* The boot XSUB's start: the standard XS handshake (this perl's API version
 * and interpreter layout, and XS_VERSION, which build.rs takes from
 * lib/Linux/Event.pm, against the version XSLoader passes), so a stale or
 * foreign Event.so croaks "object version ... does not match" like any XS
 * module's.  Pops the mark; returns items and sets *axp. */
I32 le_xs_boot(LE_pTHX_ CV *cv, I32 *axp) {
    dXSBOOTARGSXSAPIVERCHK;
    PERL_UNUSED_VAR(cv);
    *axp = ax;
    return items;
}

SV *le_xs_arg(LE_pTHX_ I32 ax, I32 i) { return PL_stack_base[ax + i]; }

/* Runs the get-magic (a tied FETCH, say) of every argument up front,
 * before the XSUB holds anything: it is Perl code and may die.  Everything
 * below reads values without magic (the _nomg forms), so no other argument
 * access can run Perl code. */
struct le_args { I32 ax, items; };

static void le_getmagic_body(pTHX_ void *ctx) {
    const struct le_args *a = (const struct le_args *)ctx;
    I32 i;
    for (i = 0; i < a->items; i++)
        SvGETMAGIC(PL_stack_base[a->ax + i]);
}

int le_xs_getmagic(LE_pTHX_ I32 ax, I32 items) {
    struct le_args a;
    I32 i;
    for (i = 0; i < items; i++)
        if (SvGMAGICAL(PL_stack_base[ax + i]))
            break;
    if (i == items)
        return LE_OK;                   /* the usual case: nothing to run */
    a.ax = ax;
    a.items = items;
    return le_protect(aTHX_ le_getmagic_body, &a);
}

I32 le_xs_ix(CV *cv) { return XSANY.any_i32; }

/* Leave the XSUB returning `sv` (or the empty list for NULL). */
void le_xs_return(LE_pTHX_ I32 ax, SV *sv) {
    SV **sp = PL_stack_base + ax - 1;
    if (sv)
        XPUSHs(sv);
    PL_stack_sp = sp;
}

CV *le_newxs(LE_pTHX_ const char *name, XSUBADDR_t fn, I32 ix) {
    CV *cv = Perl_newXS_deffile(aTHX_ name, fn);
    CvXSUBANY(cv).any_i32 = ix;
    return cv;
}

/* ---- scalars ------------------------------------------------------------ */

SV *le_undef(LE_pTHX) { return &PL_sv_undef; }
SV *le_yes(LE_pTHX) { return &PL_sv_yes; }
SV *le_no(LE_pTHX) { return &PL_sv_no; }
SV *le_new_iv(LE_pTHX_ IV v) { return newSViv(v); }
SV *le_new_uv(LE_pTHX_ UV v) { return newSVuv(v); }
SV *le_new_pv(LE_pTHX_ const char *s, STRLEN len) { return newSVpvn(s, len); }
SV *le_new_copy(LE_pTHX_ SV *sv) { return newSVsv_nomg(sv); }
SV *le_mortal(LE_pTHX_ SV *sv) { return sv_2mortal(sv); }
void le_set_uv(LE_pTHX_ SV *sv, UV v) { sv_setuv(sv, v); }
void le_inc(SV *sv) { SvREFCNT_inc_simple_void(sv); }
int le_ok(SV *sv) { return sv && SvOK(sv); }

/* Gives back one reference the glue owned, without running Perl code now:
 * the last reference goes to the mortal stack, so the value (its DESTROY,
 * the values it holds) is freed by perl's next FREETMPS, outside the glue.
 * No interpreter is passed: Drop has none, and the value belongs to the
 * interpreter running this thread. */
void le_drop(SV *sv) {
    if (SvREFCNT(sv) > 1) {
        SvREFCNT(sv)--;
        return;
    }
    {
        dTHX;
        sv_2mortal(sv);
    }
}

struct le_truth { SV *sv; int result; };

static void le_truth_body(pTHX_ void *ctx) {
    struct le_truth *t = (struct le_truth *)ctx;
    t->result = SvTRUE_nomg(t->sv);
}

/* The truth of `sv` in *out; an overloaded bool (or "" or 0+) is Perl code. */
int le_truth(LE_pTHX_ SV *sv, int *out) {
    struct le_truth t;
    if (!sv || !SvAMAGIC(sv)) {
        *out = sv && SvTRUE_nomg(sv);
        return LE_OK;
    }
    t.sv = sv;
    t.result = 0;
    {
        int status = le_protect(aTHX_ le_truth_body, &t);
        *out = t.result;
        return status;
    }
}
int le_is_code(SV *sv) { return sv && SvROK(sv) && SvTYPE(SvRV(sv)) == SVt_PVCV; }
int le_is_ref(SV *sv) { return sv && SvROK(sv); }

/*
 * Sort a scalar for argument checking.  0: not a number at all (undef, a
 * reference, a non-numeric string); 1: an integer in 0 .. 2**64-1, stored in
 * *uv (and *nv); 2: any other number (negative, fractional, too large,
 * inf, nan), stored in *nv.  No warnings are emitted.
 */
int le_classify(LE_pTHX_ SV *sv, NV *nv, UV *uv) {
    NV n;
    if (!sv || !SvOK(sv) || SvROK(sv))
        return 0;
    if (SvIOK(sv)) {
        if (SvIsUV(sv)) {
            *uv = SvUVX(sv);
            *nv = (NV)*uv;
            return 1;
        }
        *nv = (NV)SvIVX(sv);
        if (SvIVX(sv) < 0)
            return 2;
        *uv = (UV)SvIVX(sv);
        return 1;
    }
    if (SvNOK(sv)) {
        n = SvNVX(sv);
    } else if (SvPOK(sv)) {
        STRLEN len;
        const char *pv = SvPV_nomg_const(sv, len);
        UV value = 0;
        int flags = grok_number(pv, len, &value);
        if (!flags)
            return 0;
        if ((flags & (IS_NUMBER_IN_UV | IS_NUMBER_NOT_INT | IS_NUMBER_NEG
                      | IS_NUMBER_GREATER_THAN_UV_MAX | IS_NUMBER_INFINITY
                      | IS_NUMBER_NAN)) == IS_NUMBER_IN_UV) {
            *uv = value;
            *nv = (NV)value;
            return 1;
        }
        n = SvNV_nomg(sv);
    } else {
        return 0;
    }
    *nv = n;
    if (n >= 0.0 && n < 18446744073709551616.0 && n == Perl_floor(n)) {
        *uv = (UV)n;
        return 1;
    }
    return 2;
}

const char *le_pv(LE_pTHX_ SV *sv, STRLEN *len) { return SvPV_nomg(sv, *len); }

/* ---- references and objects -------------------------------------------- */

SV *le_rv_target(SV *sv) { return sv && SvROK(sv) ? SvRV(sv) : NULL; }
SV *le_new_rv(LE_pTHX_ SV *target) { return newRV_inc(target); }

SV *le_new_weak(LE_pTHX_ SV *rv) {
    SV *weak = newSVsv_nomg(rv);
    sv_rvweaken(weak);
    return weak;
}

/* A blessed array reference holding `items` (their references move into
 * it): the Perl side of a subscription or timer guard, small and cheap to
 * clone into threads.  A NULL item stays an empty slot (it reads as undef),
 * and trailing ones are not allocated at all: the array is made exactly as
 * long as its last item. */
SV *le_new_object(LE_pTHX_ const char *class, SV **items, I32 n) {
    AV *av;
    I32 i;
    while (n > 0 && !items[n - 1])
        n--;
#ifdef newAV_alloc_xz
    av = n ? newAV_alloc_xz(n) : newAV();
#else
    av = newAV();
    if (n)
        av_extend(av, n - 1);
#endif
    for (i = 0; i < n; i++)
        if (items[i])
            av_store(av, i, items[i]);
    return sv_bless(newRV_noinc((SV *)av), gv_stashpv(class, GV_ADD));
}

/* Element i of the array behind an object reference, or NULL. */
SV *le_object_field(SV *rv, I32 i) {
    AV *av;
    if (!rv || !SvROK(rv) || SvTYPE(SvRV(rv)) != SVt_PVAV)
        return NULL;
    av = (AV *)SvRV(rv);
    if (AvFILLp(av) < i || !AvARRAY(av)[i])
        return NULL;
    return AvARRAY(av)[i];
}

int le_isa(LE_pTHX_ SV *sv, const char *class) { return sv && sv_derived_from(sv, class); }

/* PerlIO_fileno of a layer that may answer with Perl code. */
struct le_fileno { PerlIO *f; IV fd; };

static void le_fileno_body(pTHX_ void *ctx) {
    struct le_fileno *q = (struct le_fileno *)ctx;
    q->fd = PerlIO_fileno(q->f);
}

/* The PerlIO layer to ask for the fd of the handle a (possibly weak)
 * reference points to, or NULL when the reference is gone, is not a handle,
 * or the handle is closed.  The buffering layers (:perlio, :crlf) answer by
 * asking the layer below, so the bottom one is found directly. */
static PerlIO *le_fd_layer(pTHX_ SV *ref) {
    PERLIO_FUNCS_DECL(*tab);
    SV *target;
    IO *io = NULL;
    PerlIO *f;
    if (!ref || !SvROK(ref))
        return NULL;
    target = SvRV(ref);
    if (SvTYPE(target) == SVt_PVGV)
        io = GvIO((GV *)target);
    else if (SvTYPE(target) == SVt_PVIO)
        io = (IO *)target;
    if (!io || !(f = IoIFP(io)))
        return NULL;
    while (PerlIOValid(f) && (tab = PerlIOBase(f)->tab) && tab->Fileno == PerlIOBase_fileno)
        f = PerlIONext(f);
    return f;
}

static int le_is_unix(pTHX_ PerlIO *f) {
    return PerlIOValid(f) && PerlIOBase(f)->tab->Fileno == PerlIOUnix_fileno;
}

/* The fd of the handle `ref` points to when it can be had without running
 * Perl code: -1 when the handle is gone or closed, -2 when its layer
 * answers with Perl code (ask le_handle_fd then).  The loop asks once per
 * dispatched callback, holding nothing (a handle closed or dropped without
 * unwatch is forgotten). */
int le_handle_fd_now(LE_pTHX_ SV *ref) {
    PerlIO *f = le_fd_layer(aTHX_ ref);
    if (!f)
        return -1;
    if (LIKELY(le_is_unix(aTHX_ f)))
        return (int)PerlIOUnix_fileno(aTHX_ f);
    return -2;
}

/* The same for any layer: one written in Perl (:via) answers with Perl
 * code, run under le_protect; the fd in *fd. */
int le_handle_fd(LE_pTHX_ SV *ref, int *fd) {
    struct le_fileno q;
    int status;
    PerlIO *f = le_fd_layer(aTHX_ ref);
    *fd = -1;
    if (!f)
        return LE_OK;
    if (le_is_unix(aTHX_ f)) {
        *fd = (int)PerlIOUnix_fileno(aTHX_ f);
        return LE_OK;
    }
    q.f = f;
    q.fd = -1;
    status = le_protect(aTHX_ le_fileno_body, &q);
    *fd = (int)q.fd;
    return status;
}

/* ---- watcher objects ------------------------------------------------------ */

/*
 * A Linux::Event::Watcher is one scalar, W: the weak reference to the
 * user's handle, blessed (which makes it a PVMG).  That is the cheapest
 * object that can hold what a watcher must: a reference that does not keep
 * the handle alive and that perl clears when the handle goes.  W's value is
 * the reference; its body's integer and number slots, unused by a
 * reference, hold the engine token and the loop's id (see le_loop_*),
 * written without IOK/NOK flags, so perl never reads them as W's value, and
 * copied with the body when perl clones W into a thread.  The user's data,
 * when there is any, is the object of an ext magic on W (perl counts,
 * clones and frees it).  The references handed out point to W.
 */
static MGVTBL le_data_vtbl;   /* all NULL: marks the data magic */

/* The body's slots, read and written directly: the SvIVX/SvIV_set macros
 * would also do, but a reference is not what they are meant for. */
#define LE_W_TOKEN(w) (((XPVMG *)SvANY(w))->xiv_u.xivu_iv)
#define LE_W_ID(w) (((XPVMG *)SvANY(w))->xnv_u)

/* A new watcher on the handle `fh_ref` refers to, for loop `loop_id`, with
 * token 0; returns an owned reference to it. */
SV *le_new_watcher(LE_pTHX_ const char *class, SV *fh_ref, U64 loop_id) {
    SV *w = newSVsv_nomg(fh_ref);
    SV *rv;
    sv_rvweaken(w);
    rv = newRV_noinc(w);
    sv_bless(rv, gv_stashpv(class, GV_ADD));   /* upgrades w to a PVMG */
    LE_W_TOKEN(w) = 0;
    Copy(&loop_id, &LE_W_ID(w), 1, U64);
    return rv;
}

/* W behind a watcher reference (an object of `class` that is one scalar),
 * with its token and loop id; NULL for anything else. */
SV *le_watcher(LE_pTHX_ SV *rv, const char *class, U64 *token, U64 *loop_id) {
    SV *w;
    if (!rv || !SvROK(rv))
        return NULL;
    w = SvRV(rv);
    if (SvTYPE(w) != SVt_PVMG || !SvOBJECT(w) || !sv_derived_from(rv, class))
        return NULL;
    *token = (U64)LE_W_TOKEN(w);
    Copy(&LE_W_ID(w), loop_id, 1, U64);
    return w;
}

void le_watcher_set_token(SV *w, U64 token) { LE_W_TOKEN(w) = (IV)token; }

/* The watcher's data, or NULL when never set. */
SV *le_watcher_data(SV *w) {
    MAGIC *mg = SvMAGICAL(w) ? mg_findext(w, PERL_MAGIC_ext, &le_data_vtbl) : NULL;
    return mg ? mg->mg_obj : NULL;
}

/* Sets the watcher's data to a copy of `src`; the old value is dropped
 * (le_drop: its DESTROY, if any, runs after the glue). */
void le_watcher_set_data(LE_pTHX_ SV *w, SV *src) {
    SV *copy = newSVsv_nomg(src);
    MAGIC *mg = SvMAGICAL(w) ? mg_findext(w, PERL_MAGIC_ext, &le_data_vtbl) : NULL;
    if (mg) {
        SV *old = mg->mg_obj;
        mg->mg_obj = copy;
        le_drop(old);
    } else {
        sv_magicext(w, copy, PERL_MAGIC_ext, &le_data_vtbl, NULL, 0);
        SvREFCNT_dec(copy);              /* the magic holds its own count */
    }
}

/*
 * The loops of this interpreter by id, for the watchers, which keep a loop's
 * id instead of a reference: PL_modglobal{"LE:loop" . id} is the loop's
 * shared weak reference.  Perl clones PL_modglobal into a new thread, where
 * the entry refers to the thread's copy of the loop.
 */
#define LE_LOOP_KEY(key, id) \
    char key[7 + sizeof(U64)]; Copy("LE:loop", key, 7, char); Copy(&(id), key + 7, 1, U64)

void le_loop_register(LE_pTHX_ U64 id, SV *weak_loop) {
    LE_LOOP_KEY(key, id);
    (void)hv_store(PL_modglobal, key, sizeof key, SvREFCNT_inc_simple_NN(weak_loop), 0);
}

void le_loop_unregister(LE_pTHX_ U64 id) {
    LE_LOOP_KEY(key, id);
    (void)hv_delete(PL_modglobal, key, sizeof key, G_DISCARD);
}

/* The weak reference to loop `id`, or NULL. */
SV *le_loop_lookup(LE_pTHX_ U64 id) {
    SV **svp;
    LE_LOOP_KEY(key, id);
    svp = hv_fetch(PL_modglobal, key, sizeof key, 0);
    return svp ? *svp : NULL;
}

/* ---- magic: Rust state attached to Perl objects ------------------------- */

/* Implemented in Rust (src/perl/handle.rs). */
extern void le_rs_free(LE_pTHX_ int kind, void *ptr);
extern void *le_rs_dup(LE_pTHX_ int kind, void *ptr);

static int le_mg_free(pTHX_ SV *sv, MAGIC *mg);
static int le_mg_dup(pTHX_ MAGIC *mg, CLONE_PARAMS *param);

static MGVTBL le_vtbl[2] = {
    {NULL, NULL, NULL, NULL, le_mg_free, NULL, le_mg_dup, NULL},
    {NULL, NULL, NULL, NULL, le_mg_free, NULL, le_mg_dup, NULL},
};

static int le_mg_free(pTHX_ SV *sv, MAGIC *mg) {
    void *ptr = mg->mg_ptr;
    PERL_UNUSED_VAR(sv);
    /* Detach first: code run by the teardown (DESTROY of values the loop
     * held) must find no state behind the object. */
    mg->mg_ptr = NULL;
    if (ptr)
        le_rs_free(LE_aTHX_ (int)(mg->mg_virtual - le_vtbl), ptr);
    return 0;
}

static int le_mg_dup(pTHX_ MAGIC *mg, CLONE_PARAMS *param) {
    PERL_UNUSED_VAR(param);
    if (mg->mg_ptr)
        mg->mg_ptr = (char *)le_rs_dup(LE_aTHX_ (int)(mg->mg_virtual - le_vtbl), mg->mg_ptr);
    return 0;
}

void le_attach(LE_pTHX_ SV *rv, int kind, void *ptr) {
    MAGIC *mg = sv_magicext(SvRV(rv), NULL, PERL_MAGIC_ext, &le_vtbl[kind], NULL, 0);
    mg->mg_ptr = (char *)ptr;
    mg->mg_flags |= MGf_DUP;
}

void *le_fetch(SV *rv, int kind) {
    MAGIC *mg;
    if (!rv || !SvROK(rv))
        return NULL;
    mg = mg_findext(SvRV(rv), PERL_MAGIC_ext, &le_vtbl[kind]);
    return mg ? mg->mg_ptr : NULL;
}

int le_global_destruct(LE_pTHX) { return PL_phase == PERL_PHASE_DESTRUCT; }

/* ---- leaving an XSUB abnormally ---------------------------------------- */

/*
 * Our croaks must point at the user's line, as Carp's croak does.  An XSUB
 * called from the user's code gets that from perl (PL_curcop is the user's
 * statement); one called from our own Perl code (Loop.pm, an adaptor) or
 * from a user's subclass of our classes would be reported from there.
 * Then the location is taken instead from the first sub call, innermost
 * first, made from a package that is neither ours nor a subclass of ours:
 * what Carp's @CARP_NOT and @ISA trust pick for our Perl code's croaks.
 */

/* Ours: Linux::Event, Linux::Event::*, or a package inheriting from one
 * (Carp trusts a subclass too). */
static int le_ours(pTHX_ const COP *cop) {
    HV *stash = CopSTASH(cop);
    AV *isa;
    SSize_t i;
    if (!stash || !HvNAME_HEK(stash))
        return 0;
    isa = mro_get_linear_isa(stash);   /* the package itself comes first */
    for (i = 0; i <= AvFILLp(isa); i++) {
        STRLEN len;
        const char *name = SvPV_const(AvARRAY(isa)[i], len);
        if (len >= 12 && memEQ(name, "Linux::Event", 12)
            && (len == 12 || (len > 14 && memEQ(name + 12, "::", 2))))
            return 1;
    }
    return 0;
}

/* The statement that called into our code from outside, or NULL. */
static const COP *le_outside_caller(pTHX) {
    const PERL_SI *si;
    I32 i;
    if (!PL_curcop || !le_ours(aTHX_ PL_curcop))
        return NULL;
    /* Sub calls made under a tie, an overload or DESTROY are on an outer
     * stack of contexts. */
    for (si = PL_curstackinfo; si; si = si->si_prev)
        for (i = si->si_cxix; i >= 0; i--) {
            const PERL_CONTEXT *cx = &si->si_cxstack[i];
            if (CxTYPE(cx) == CXt_SUB && cx->blk_oldcop && !le_ours(aTHX_ cx->blk_oldcop))
                return cx->blk_oldcop;
        }
    return NULL;
}

void le_croak_sv(LE_pTHX_ SV *err) {
    const COP *const caller = le_outside_caller(aTHX);
    sv_2mortal(err);
    /* Carp::croak's short form: " at FILE line N.\n" and nothing else (no
     * ", <$fh> line N" of the last read handle, unlike perl's own die);
     * ending in "\n", the message gets nothing more from croak_sv. */
    if (caller && CopLINE(caller))
        sv_catpvf(err, " at %s line %" IVdf ".\n", CopFILE(caller), (IV)CopLINE(caller));
    croak_sv(err);
}

/* ---- calling Perl ------------------------------------------------------ */

/*
 * What call_sv(cb, G_VOID | G_DISCARD) does, without the parts that only
 * matter to other callers, for the arguments already pushed after a mark:
 * entersub run on a fake op in void context, its temporaries freed
 * after it.  call_sv would also build a scope (ENTER, SAVEOP, SAVETMPS,
 * LEAVE): the sub's own context already restores the save stack when it
 * returns, PL_op is put back here, and the temporaries' floor is kept in a
 * local.  A die inside unwinds the contexts (whose blocks restore the
 * temporaries' floor) and longjmps to the caller's JMPENV, as with
 * call_sv.  CATCH_SET makes an eval inside the callback catch its own dies
 * (pp_entertry runs a nested loop under its own JMPENV).  This saves about
 * a third of the cost of each callback call (see bench/README.md).
 */
/* The fake op: entersub only reads it (its flags; op_next, NULL, ends the
 * sub's run loop), so one read-only op serves every call in every thread. */
static LOGOP le_void_op = { .op_flags = OPf_STACKED | OPf_WANT_VOID };

static void le_enter_void(pTHX_ SV *cb) {
    OP *const oldop = PL_op;
    SSize_t const base = PL_markstack_ptr[0];   /* the mark of our arguments */
    SSize_t const old_floor = PL_tmps_floor;
    SV **sp = PL_stack_sp;

    *++sp = cb;                                  /* entersub takes it from the top */
    PL_stack_sp = sp;
    CATCH_SET(TRUE);
    PL_tmps_floor = PL_tmps_ix;
    PL_op = (OP *)&le_void_op;
    PL_op = PL_ppaddr[OP_ENTERSUB](aTHX);
    if (PL_op)
        CALLRUNOPS(aTHX);
    PL_op = oldop;
    PL_stack_sp = PL_stack_base + base;          /* void: nothing comes back */
    FREETMPS;
    PL_tmps_floor = old_floor;
}

/*
 * Call `cb` in void context with `args`.  The callee may drop the last
 * reference to anything it was passed (a callback may cancel its own
 * watcher), so every argument and the callback itself are held for the
 * duration of the call.  With `consume`, the caller's own reference to
 * `cb` is given up too (a timer's callback, as it fires).
 *
 * No G_EVAL: a `die` unwinds Perl's own stacks to the nearest enclosing
 * eval (or, with none, ends the program through my_failure_exit, which is
 * an exit) exactly as if the callback had been called from Perl, and then
 * longjmps to the innermost JMPENV, ours (LE_PROTECTED).  Perl's stacks are
 * already unwound at that point, so what we held is handed to the mortal
 * stack, to be freed by the next FREETMPS once Perl is running again.
 * After an `exit` the program is ending and nothing is released.  `args`
 * are never NULL (the callers fill every slot, with &PL_sv_undef for an
 * empty one).
 *
 * This is the hottest function of the loop: every callback goes through
 * it, so the loops are kept flat (see bench/README.md, "Instructions").
 */
/* The argument lists are short (at most four: loop, fh, watcher, data),
 * so they are handled in straight-line code; a general loop costs more in
 * set-up than it saves. */
#define LE_EACH_ARG(n, STMT)                                                 \
    switch (n) {                                                             \
    default: { int k_; for (k_ = 4; k_ < (n); k_++) { i = k_; STMT; } }      \
    /* FALLTHROUGH */                                                        \
    case 4: i = 3; STMT; /* FALLTHROUGH */                                   \
    case 3: i = 2; STMT; /* FALLTHROUGH */                                   \
    case 2: i = 1; STMT; /* FALLTHROUGH */                                   \
    case 1: i = 0; STMT; /* FALLTHROUGH */                                   \
    case 0: break;                                                           \
    }

int le_call(LE_pTHX_ SV *cb, SV **args, int n, int consume) {
    int i, status;
    SV **sp;

    /* Held before the JMPENV, so that a die anywhere after it finds
     * exactly these references to hand to the mortal stack. */
    SvREFCNT_inc_simple_void_NN(cb);
    LE_EACH_ARG(n, SvREFCNT_inc_simple_void_NN(args[i]));
    LE_PROTECTED(status, {
        sp = PL_stack_sp;
        EXTEND(sp, n + 1);
        PUSHMARK(sp);
        LE_EACH_ARG(n, sp[1 + i] = args[i]);
        PL_stack_sp = sp + n;
        if (UNLIKELY(PERLDB_SUB))
            call_sv(cb, G_VOID | G_DISCARD);   /* the debugger's DB::sub */
        else
            le_enter_void(aTHX_ cb);
        /* Released under the protection too: the last reference to a
         * value (a fired timer's closure, a watcher the callback cancelled)
         * may take a DESTROY with it, which may call exit.  (A DESTROY's
         * die is caught by perl itself: "(in cleanup)".) */
        LE_EACH_ARG(n, SvREFCNT_dec_NN(args[i]));
        if (consume)
            SvREFCNT_dec_NN(cb);
        SvREFCNT_dec_NN(cb);
    });
    if (UNLIKELY(status == LE_DIED)) {
        /* The die came from the callback itself, before any release. */
        LE_EACH_ARG(n, sv_2mortal(args[i]));
        if (consume)
            sv_2mortal(cb);
        sv_2mortal(cb);
    }
    return status;
}

/* Continue the die or exit that le_protect caught. */
void le_rethrow(LE_pTHX_ int status) {
    JMPENV_JUMP(status == LE_DIED ? LE_JMP_DIE : LE_JMP_EXIT);
}

/* The top of the mortal stack, and freeing what is above a former top
 * (DESTROYs run: under le_protect).  `run` frees, after each cycle, what
 * the glue gave up during it. */
/* Where the top of the mortal stack is kept: read by `run` after each
 * cycle, which calls le_free_tmps only when something is above its floor. */
const SSize_t *le_tmps_ix(LE_pTHX) { return &PL_tmps_ix; }

static void le_free_tmps_body(pTHX_ void *ctx) {
    SSize_t const floor = *(SSize_t *)ctx;
    SSize_t const old_floor = PL_tmps_floor;
    PL_tmps_floor = floor;
    FREETMPS;
    PL_tmps_floor = old_floor;
}

/* Called only when something is above `floor` (the caller looks first). */
int le_free_tmps(LE_pTHX_ SSize_t floor) {
    return le_protect(aTHX_ le_free_tmps_body, &floor);
}

/* An XSUB that runs Perl's deferred %SIG handlers; called through le_call
 * so a handler's die or exit is caught like any callback's. */
XS(le_xs_despatch);
XS(le_xs_despatch) {
    dXSARGS;
    PERL_UNUSED_VAR(items);
    PERL_UNUSED_VAR(cv);
    PERL_ASYNC_CHECK();
    XSRETURN_EMPTY;
}

XSUBADDR_t le_despatch_xsub(void) { return le_xs_despatch; }

int le_signals_pending(LE_pTHX) { return PL_sig_pending != 0; }

int le_async_check(LE_pTHX) {
    CV *cv;
    if (!PL_sig_pending)
        return LE_OK;
    cv = get_cv("Linux::Event::_despatch", 0);
    if (!cv)
        return LE_OK;
    return le_call(LE_aTHX_ (SV *)cv, NULL, 0, 0);
}
