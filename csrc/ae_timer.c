/*
 * AE::timer for AnyEvent::Impl::LinuxEvent, as an XSUB of its own: the
 * commonest AnyEvent call, taken straight to the loop's timer heap.
 */
#include "shim.h"

/* Where Linux::Event::Loop::_ae_bind keeps the loop of AE::timer: per
 * interpreter, and cloned with it into a new ithread. */
#define LE_AE_LOOP "Linux::Event::ae_loop"

/* In loop_xs.rs: a mortal guard of a new one-shot timer, or NULL where
 * $loop->after would croak.  Never croaks, never calls Perl code. */
SV *le_rs_after_guard(LE_pTHX_ SV *loop, SV *secs, SV *cb);

/*
 * AE::timer($after, $interval, $cb): a one-shot timer whose callback is a
 * code reference goes straight to the loop and returns the loop's timer
 * guard, with no Perl sub in between (EV's AnyEvent model calls EV the same
 * way).  Everything else (an interval, a callback that is an object,
 * arguments with get-magic, anything after would croak for) is handed, with
 * the same arguments, to AnyEvent::Impl::LinuxEvent::_timer_slow, which
 * croaks from the caller's line.  A die there unwinds C frames only.
 */
XS(le_xs_ae_timer);
XS(le_xs_ae_timer) {
    dXSARGS;
    SV **loop;
    SV *guard = NULL;
    CV *slow;
    PERL_UNUSED_VAR(cv);
    if (items == 3 && !SvGMAGICAL(ST(0)) && !SvGMAGICAL(ST(1)) && !SvGMAGICAL(ST(2))
        && !SvTRUE_nomg(ST(1)) && (loop = hv_fetchs(PL_modglobal, LE_AE_LOOP, 0)) != NULL)
        guard = le_rs_after_guard(LE_aTHX_ *loop, ST(0), ST(2));
    if (guard) {
        ST(0) = guard;
        XSRETURN(1);
    }
    slow = get_cv("AnyEvent::Impl::LinuxEvent::_timer_slow", 0);
    if (!slow)
        croak("AE::timer: AnyEvent::Impl::LinuxEvent is not loaded");
    PUSHMARK(MARK); /* the same arguments, still on the stack */
    PUTBACK;
    call_sv((SV *)slow, G_SCALAR); /* its one result lands in ST(0) */
    XSRETURN(1);
}

/* Linux::Event::Loop::_ae_bind($loop): the loop of AE::timer. */
XS(le_xs_ae_bind);
XS(le_xs_ae_bind) {
    dXSARGS;
    if (items != 1)
        croak_xs_usage(cv, "$loop");
    (void)hv_stores(PL_modglobal, LE_AE_LOOP, newSVsv(ST(0)));
    XSRETURN_EMPTY;
}

XSUBADDR_t le_ae_timer_xsub(void) { return le_xs_ae_timer; }
XSUBADDR_t le_ae_bind_xsub(void) { return le_xs_ae_bind; }

