/*
 * What the C files of the shim share: perl's headers, and the one calling
 * convention the Rust side uses for every function here.
 */
#ifndef LE_SHIM_H
#define LE_SHIM_H

#define PERL_NO_GET_CONTEXT
#include "EXTERN.h"
#include "perl.h"
#include "XSUB.h"
#include "perliol.h"

/*
 * The Rust side passes an interpreter pointer to every function here, on
 * every perl.  On a MULTIPLICITY perl (every threaded one) that is Perl's
 * own pTHX; on a perl without it (the default `sh Configure -des` build)
 * Perl's API takes no interpreter, so the parameter is there only to keep
 * one calling convention, and is unused.  build.rs tells us which shape the
 * Rust side was compiled for; a mismatch would corrupt every call.
 */
#ifdef MULTIPLICITY
#  define LE_pTHX pTHX
#  define LE_pTHX_ pTHX_
#  define LE_aTHX_ aTHX_
#  if defined(LE_RUST_MULTIPLICITY) && !LE_RUST_MULTIPLICITY
#    error "perl has MULTIPLICITY but build.rs compiled the Rust side without it"
#  endif
#else
#  define LE_pTHX PerlInterpreter *le_no_interp PERL_UNUSED_DECL
#  define LE_pTHX_ LE_pTHX,
#  define LE_aTHX_ PL_curinterp,
#  if defined(LE_RUST_MULTIPLICITY) && LE_RUST_MULTIPLICITY
#    error "perl has no MULTIPLICITY but build.rs compiled the Rust side with it"
#  endif
#endif

/* What became of Perl code run under le_protect (see ffi.rs). */
#define LE_OK 0
#define LE_DIED 1
#define LE_EXIT 2

/* Gives back one reference the glue owned, without running Perl code now. */
void le_drop(SV *sv);

#endif
