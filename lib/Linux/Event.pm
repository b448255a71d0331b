package Linux::Event;
use v5.36;

our $VERSION = '0.009';

require XSLoader;
# A checkout that was never built has no engine: say that, rather than
# DynaLoader's "Can't locate loadable object".
eval { XSLoader::load('Linux::Event', $VERSION); 1 } or do {
    die "Linux::Event's engine is not built: run `perl Makefile.PL && make`\n"
        if $@ =~ /^Can't locate loadable object for module Linux::Event /;
    die $@;
};

use Linux::Event::Loop;
use Linux::Event::Watcher;
use Linux::Event::Wakeup;
use Linux::Event::Signal;
use Linux::Event::Pid;

# AnyEvent picks AnyEvent::Impl::LinuxEvent when this was loaded first.
push @AnyEvent::REGISTRY, [ 'Linux::Event' => 'AnyEvent::Impl::LinuxEvent' ];

our @CARP_NOT = qw(Linux::Event::Loop Linux::Event::Watcher Linux::Event::Wakeup
    Linux::Event::Signal Linux::Event::Pid Linux::Event::Loop::Clock);

sub new ($class, @args) {
    return Linux::Event::Loop->new(@args);
}

1;

__END__

=head1 NAME

Linux::Event - a Linux-native event loop for Perl with its engine in Rust

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;

  my $loop = Linux::Event->new;

  $loop->after(0.05, sub ($loop) { say "timer fired"; $loop->stop });

  my $waker = $loop->waker;
  $waker->on_wakeup(sub ($loop, $count) { say "woken $count time(s)" });
  $waker->signal;

  $loop->run;

=head1 DESCRIPTION

Linux::Event is an event loop built directly on Linux's own primitives:
epoll(7) for descriptors, eventfd(2) for wakeups and for signals (caught
by a C handler that wakes the loop) and pidfd_open(2) for child processes.  The engine (timer heap, descriptor
registry, dispatch loop) is written in Rust and loaded as this
distribution's XS module; the Perl modules are thin layers that check
arguments and carry this documentation.  Nothing outside Perl's core is
needed at run time.

C<use Linux::Event;> loads everything: L<Linux::Event::Loop> (and its
L<Linux::Event::Loop::Clock>), L<Linux::Event::Watcher>,
L<Linux::Event::Wakeup>, L<Linux::Event::Signal> (and
L<Linux::Event::Signal::Subscription>) and L<Linux::Event::Pid> (and
L<Linux::Event::Pid::Subscription>).

=head1 METHODS

=head2 new

  my $loop = Linux::Event->new(%options);

The same as C<< Linux::Event::Loop->new(%options) >>: returns a new
L<Linux::Event::Loop>, and croaks as that constructor does (an odd number of
arguments, an unknown option, a backend other than C<'epoll'>, or the
unsupported C<clock>, C<timer> or backend-object options).

=head1 CALLBACKS

Every callback is called with a fixed argument list, never more, never
fewer, in void context; its return value is ignored:

  Registered with                     Called as
  $loop->after / $loop->at            $cb->($loop)
  $loop->watch, $watcher->on_read,
    ->on_write, ->on_error            $cb->($loop, $fh, $watcher)
  $waker->on_wakeup                   $cb->($loop, $count)
  $loop->signal                       $cb->($loop, $signo, $count, $data)
  $loop->pid                          $cb->($loop, $pid, $status, $data)

C<$data> is the C<< data => ... >> value given at registration (undef if
none).  A callback may call any method of the loop, except C<run> and
C<run_once> (they croak with C<already running>), and may C<stop> it.

A callback is entered the way Perl enters any sub (the loop runs perl's
own C<entersub> for it, as C<call_sv> would, without the extra scope
C<call_sv> builds around it), so C<caller>, C<wantarray> (undef), C<local>,
C<eval> and profilers that hook C<entersub> see an ordinary call; what it
leaves on the temporaries stack is freed as soon as it returns.  Under the
debugger's sub hook (C<perl -d>, C<$^P & 0x01>) callbacks go through
C<call_sv>, and so through C<DB::sub>.

=head1 ONE CYCLE

C<run> repeats cycles until C<stop>; C<run_once> does one.  A cycle:

=over 4

=item 1.

If Perl has deferred C<%SIG> handlers to run (a signal that is not
subscribed through the loop arrived), they run, and the cycle ends there.

=item 2.

Otherwise the loop waits in epoll_wait(2) until a descriptor is ready or the
next timer is due (or, for C<run_once($timeout)>, the timeout passes).  A
C<%SIG> handler that interrupts the wait runs at once, and the cycle ends
there.

=item 3.

Ready descriptors are dispatched in the order the kernel reports them: I/O
watchers (in the frozen order described in
L<Linux::Event::Loop/Dispatch order>), the waker (C<on_wakeup>), subscribed
signals (in ascending signal number) and child exits.

=item 4.

Then every timer that is due runs, in deadline order (equal deadlines in the
order they were scheduled).  Timers scheduled during the cycle wait for the
next one, even with an earlier deadline, and never hold back a timer that is
due in this one.

=back

=head1 THREADS AND FORK

A loop belongs to the ithread and the process that created it.  A thread's
clone of a loop may only C<stop> it, and a clone of its waker may only
C<signal> and C<drain>; a forked child may only C<signal> the parent's waker
(and create its own loop).  Everything else croaks with a message that says
so, and a clone never frees, closes or changes the original's state.
See L<Linux::Event::Loop/THREADS AND FORK> for the details.

=head1 VERSION NUMBER AND API

The API is the one of C<Linux::Event> 0.007, method for method.  Upstream
0.008 and 0.009 changed only a private timer re-arm and kept that API, and
distributions built on it ask for C<< Linux::Event => 0.009 >>; so this
distribution is version 0.009, and it satisfies them.

=head1 DIFFERENCES FROM UPSTREAM 0.007

Everything a program written for 0.007 could notice, one item each; each is
on purpose, for the reason given.

=over 4

=item * Dependencies

The engine is written in Rust and uses epoll, eventfd, sigaction and pidfd
directly: nothing outside Perl's core is needed at run time (0.007 needed
L<Linux::Epoll>, L<Linux::FD> and L<Linux::Event::Clock>).

=item * Injected objects

The C<clock>, C<timer> and backend objects that 0.007's C<new> accepted (its
tests used them to stand in for the kernel) croak, saying they are not
supported: the engine has no Perl-level parts to replace.

=item * C<timer>, C<backend> and C<sched>

These accessors croak, saying what to use instead
(L<Linux::Event::Loop/timer, backend, sched>): the timerfd wrapper, epoll
backend and timer queue they returned are part of the engine here.

=item * When the clock is ticked

C<< $loop->clock >> is a L<Linux::Event::Loop::Clock> (not a
C<Linux::Event::Clock>) with the same methods and timebase.  0.007's loop
ticked it at the start of every C<run_once> and in every C<after>; here
C<< $loop->clock >> ticks it each time it is called, and nothing else does
but C<tick>.  So C<< $loop->clock->now_s >> is the time of the call (0.007:
of the current cycle's start), and a clock kept in a variable keeps its
time until its own C<tick>.  Ticking a Perl object in every cycle would
cost every program; the engine reads the clock itself.

=item * I/O before timers within a cycle

0.007's C<run_once> ran the timers that were due first and then waited for
descriptors; here one cycle waits, dispatches the ready descriptors, then
runs the due timers (L</ONE CYCLE>), so a timer due at the start of
C<run_once(0)> runs after that poll's I/O callbacks, in the same call.
Waiting first lets a timer and an event that become due during the same
wait be handled in one cycle.

=item * Handles are held weakly

0.007 kept a strong reference to every watched handle, so a handle stayed
open while it was watched.  Here the loop never keeps a handle alive: when
the program drops its last reference, the handle closes and its watcher
goes quietly (L<Linux::Event::Loop/watch>).  Keep the handle (or the
watcher's owner) for as long as it should be watched.  In turn, a cancelled
or replaced watcher's C<fh> still returns the handle while it exists (0.007
cleared it to undef on cancel).

=item * The waker's descriptor is reserved

C<< $loop->watch($waker->fh, ...) >> croaks instead of silently replacing
the loop's internal watcher (0.007 documented that it must not be done);
L<Linux::Event::Wakeup/on_wakeup> is the way to react to wakeups.

=item * C<stop> from another thread

C<< $loop->stop >> is safe to call from another ithread, and then wakes a
blocked C<run> through the waker; wakeups caused by C<stop> are not counted
by C<drain> or C<on_wakeup> (0.007's C<stop> signalled the waker like any
other wakeup).

=item * Threads and fork

Loops, wakers, watchers and subscriptions are safe to clone into ithreads
and to inherit across C<fork>; in a thread or a child that does not own the
loop, the methods that would change it croak (L</THREADS AND FORK>).  0.007
had no such rules: a forked child that ran the inherited loop took events
from the parent's epoll set.

=item * What C<run_once> returns

The number of callbacks the cycle ran; 0.007 returned (without documenting
it) the number of descriptors the kernel reported ready.

=item * C<cancel> of a reference

C<< $loop->cancel($ref) >> croaks (an id is never a reference, so it is a
bug); 0.007 returned 0.  C<undef>, fired, cancelled and never-issued ids
return 0 as in 0.007.

=item * Signals that can never arrive croak

C<< $loop->signal >> croaks on C<0>, numbers above 64, C<KILL> and C<STOP>
(C<unknown signal>, C<cannot handle signal>).  0.007 accepted them and the
handler could never run; a subscription that can never fire is a bug to
report at once.

=item * A replaced signal subscription

When later subscriptions have replaced every signal of a signal
subscription, the replaced one reports C<is_active> 0 and its C<cancel>
returns 0 (0.007: 1 and 1).  It no longer handles anything, so it says so;
as in 0.007, its C<cancel> never removes the replacement.

=item * Adaptor objects share the loop's handlers

C<< Linux::Event::Signal->new(loop => $loop) >> and
C<< Linux::Event::Pid->new(loop => $loop) >> share the loop's one handler
per signal and one subscription per pid with C<< $loop->signal >> and
C<< $loop->pid >>, so a later registration through any of them replaces an
earlier one.  In 0.007 each adaptor had its own signalfd or table, and two
adaptors could hold handlers for the same signal or pid, one of which then
lost the race.

=item * Signals are caught, not blocked, and given back

0.007 blocked a subscribed signal for good and read it from a signalfd: a
C<%SIG> handler or Ctrl-C never worked for it again, and every child
process (C<fork>, C<system>, backticks, C<exec>) started with it blocked, so
Ctrl-C could not stop a command the program ran.  Here the loop catches a
subscribed signal with its own handler and never changes the signal mask:
children start with the program's mask, and a forked child gets the
program's dispositions back; when the last subscription for a signal goes,
the disposition the program had comes back (L<Linux::Event::Signal>).  What
a program can notice besides: a subscribed signal interrupts C<sleep> and
C<select> in its code, as a C<%SIG> handler does; assigning C<$SIG{NAME}>
for a subscribed signal takes it from the loop; a signal the program blocks
itself reaches the loop only once unblocked; an ordinary signal is counted
once per dispatch however often it arrived (0.007: as the kernel coalesced
it while blocked, the same in practice); and a real C<SIGSEGV> (or other
fault) of a program that subscribed to it still ends the program.

=item * C<pid> checks the child at once

With C<< reap => 1 >>, C<< $loop->pid >> croaks at once for a process that is
not a child of this one (C<not a child of this process>), and for one that
does not exist (C<no such process>); 0.007 croaked later, from C<run>, when
the process exited.

=item * Wording of errors, and stricter arguments

Every croak names the problem in its own words (0.007's messages were
different, such as C<cb is required>), is reported from the caller's line,
and more bad input croaks instead of misbehaving later: unknown C<watch>
keys (reported as C<unknown watch args>), a time that is not a finite
number or is more than 1e9 seconds away, a pid with leading zeros or above
2**31-1, a handle without a descriptor, wrong argument counts (C<Usage:>).

=item * Additions

What 0.007 did not have: L<Linux::Event::Wakeup/on_wakeup>,
C<is_active> on pid subscriptions, and signal names as this perl's
C<%Config> knows them, such as C<'RTMIN+1'>.

=back

=head1 REQUIREMENTS

Supported: Linux; Perl 5.36 or later, threaded or not (a perl with or
without ithreads and MULTIPLICITY, as C<sh Configure -des>, perlbrew and
plenv build it), whose integers (IV) are 64-bit and whose floating-point
numbers (NV) are a C<double>; to build, Rust (C<cargo>) at least the
C<rust-version> that F<Cargo.toml> declares (1.85), and a C compiler.

C<perl Makefile.PL> refuses anything else with one C<OS unsupported:> line,
exit status 0 and no Makefile (what CPAN testers report as "not
applicable"): an operating system other than Linux, 32-bit integers, a
C<-Duselongdouble> or C<-Dusequadmath> perl, no C<cargo> on C<PATH> (install
Rust with rustup), or an older Rust.  C<make> builds into
C<CARGO_TARGET_DIR> when that is set while C<perl Makefile.PL> runs.

Kernels: the loop needs only what Linux has had since 2.6.27 (epoll,
eventfd, sigaction).  epoll_pwait2(2) (Linux 5.11) is used for timeouts
finer than a millisecond; where it is missing or a sandbox's seccomp
profile forbids it (C<ENOSYS> or C<EPERM>), the loop waits with
epoll_wait(2) instead and rounds each timeout up to the next millisecond, so
a timer may fire up to a millisecond late but never early.
L<Linux::Event::Pid> needs pidfd_open(2) (Linux 5.3); where it is missing or
forbidden, C<< $loop->pid >> croaks saying so and the rest of the loop works
as usual.

A checkout that was never built dies on C<use Linux::Event> with
C<Linux::Event's engine is not built: run `perl Makefile.PL && make`>.

=head2 Testing aid: LINUX_EVENT_PRETEND_MISSING

Set in the environment before the module loads (it is read once, at load),
it makes the engine see system calls fail as an older kernel or a sandbox
makes them fail, so the fallbacks above can be tried on any kernel.  It is a
comma-separated list of C<epoll_pwait2>, C<pidfd_open> and C<waitid_pidfd>
(the C<P_PIDFD> form of waitid(2), which Linux 5.3 lacks), each optionally
followed by C<=ENOSYS> (the default), C<=EPERM> or C<=EINVAL>:

  LINUX_EVENT_PRETEND_MISSING=epoll_pwait2,pidfd_open=EPERM prove -l t

It is meant for tests, not for programs.

Like every XS module, the engine checks when it is loaded that it was built
for this perl and for this release of the modules: a stale or foreign
F<Event.so> (an old build left in F<lib/auto> or in an install tree) is
refused with Perl's usual C<object version ... does not match> message.

=head1 PERL CODE THAT DIES OR EXITS

Besides callbacks, the loop may run other Perl code on the way: a C<FETCH>
of a tied argument, an overloaded C<bool> of an argument read as a truth
value, the C<FILENO> of a PerlIO layer written in Perl (C<:via>) when it
checks a watched handle, a C<DESTROY> of a value it lets go.  Whatever that
code does:

=over 4

=item *

A C<die> comes out of the method that was called (C<run>, C<run_once>,
C<watch>, ...) unchanged: the same string, with its own file and line, or
the same object.  An C<exit> exits, with C<END> blocks run.

=item *

The loop stays usable: it is never left "already running", and what was
due and not yet dispatched is dispatched by the next cycle (see
L<Linux::Event::Loop/ERRORS>).

=item *

The values the loop lets go (a cancelled timer's callback, a replaced
watcher's callbacks, a watcher's old C<data>, everything a freed loop held)
are freed when the statement that let them go ends; inside C<run>, at the
end of the cycle.  Their C<DESTROY> runs then, outside the loop's own code,
so a C<DESTROY> that dies gives Perl's usual C<(in cleanup)> warning, and
one that frees the loop itself is safe.

=item *

A callback may drop the last reference to the loop that runs it: C<run>
and C<run_once> hold the loop until they return (C<run> until C<stop>),
and the loop is freed after that.

=item *

A C<:via> layer whose C<FILENO> answers another number, or -1, says that
the handle is no longer the watched descriptor: the watcher becomes
inactive, as when the handle is closed.  If its C<FILENO> dies between a
read callback and the write callback of the same event, the write callback
is still owed and comes in the next cycle.

=back

=head1 SEE ALSO

L<Linux::Event::Loop>, L<Linux::Event::Watcher>, L<Linux::Event::Wakeup>,
L<Linux::Event::Signal>, L<Linux::Event::Pid>; the runnable scripts in the
distribution's F<examples/> directory; L<EV>, L<AnyEvent>, L<IO::Async>,
L<Mojo::IOLoop>; epoll(7), eventfd(2), sigaction(2), pidfd_open(2).

=head1 AUTHOR

The Linux::Event developers.  The 0.007 API was designed by Joshua S. Day.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event version 0.009.

=cut
