package Linux::Event;
use v5.36;

our $VERSION = '0.007';

use Carp ();
require XSLoader;
XSLoader::load('Linux::Event', $VERSION);

use Linux::Event::Loop;
use Linux::Event::Watcher;
use Linux::Event::Wakeup;
use Linux::Event::Signal;
use Linux::Event::Pid;

# AnyEvent picks AnyEvent::Impl::LinuxEvent when this was loaded first.
push @AnyEvent::REGISTRY, [ 'Linux::Event' => 'AnyEvent::Impl::LinuxEvent' ];

our @CARP_NOT = qw(Linux::Event::Loop Linux::Event::Watcher Linux::Event::Wakeup
    Linux::Event::Signal Linux::Event::Pid);

sub new ($class, @args) {
    return Linux::Event::Loop->new(@args);
}

# Runs an internal call whose croak must be reported from the user's line,
# not from inside these modules.  Exception objects pass through untouched.
sub _internal ($code) {
    my @r;
    return wantarray ? @r : $r[0] if eval { @r = $code->(); 1 };
    my $err = $@;
    die $err if ref $err;
    $err =~ s/ at \S+ line \d+\.?\n\z//;
    Carp::croak($err);
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
epoll(7) for descriptors, eventfd(2) for wakeups, signalfd(2) for signals
and pidfd_open(2) for child processes.  The engine (timer heap, descriptor
registry, dispatch loop) is written in Rust and loaded as this
distribution's XS module; the Perl modules are thin layers that check
arguments and carry this documentation.  Nothing outside Perl's core is
needed at run time.

C<use Linux::Event;> loads everything: L<Linux::Event::Loop>,
L<Linux::Event::Watcher>, L<Linux::Event::Wakeup>, L<Linux::Event::Signal>
and L<Linux::Event::Pid>.

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
next one.

=back

=head1 THREADS AND FORK

A loop belongs to the ithread and the process that created it.  A thread's
clone of a loop may only C<stop> it, and a clone of its waker may only
C<signal> and C<drain>; a forked child may only C<signal> the parent's waker
(and create its own loop).  Everything else croaks with a message that says
so, and a clone never frees, closes or changes the original's state.
See L<Linux::Event::Loop/THREADS AND FORK> for the details.

=head1 DIFFERENCES FROM UPSTREAM 0.007

The API is the one of C<Linux::Event> 0.007, method for method.  Where this
implementation behaves differently:

=over 4

=item *

The engine is written in Rust and uses epoll, eventfd, signalfd and pidfd
directly: nothing outside Perl's core is needed at run time (0.007 needed
L<Linux::FD> and friends, loaded lazily for the waker).

=item *

The waker's descriptor is reserved: C<< $loop->watch($waker->fh, ...) >>
croaks instead of silently replacing the loop's internal watcher.

=item *

L<Linux::Event::Wakeup/on_wakeup> is new: it is the way to react to wakeups
in the loop.

=item *

C<< $loop->stop >> is safe to call from another ithread, and then wakes a
blocked C<run> through the waker.

=item *

Loops, wakers, watchers and subscriptions are safe to clone into ithreads
and to inherit across C<fork> (see L</THREADS AND FORK>).

=item *

The injected C<clock>, C<timer> and backend objects that 0.007 accepted in
C<new> (its tests used them) are not supported and croak.

=back

=head1 REQUIREMENTS

Linux (L<Linux::Event::Pid> needs Linux 5.4 or later, for pidfd_open(2)
and C<waitid(P_PIDFD)>; epoll_pwait2(2), from Linux 5.11, is used when the
kernel has it, for timeouts finer than a millisecond), Perl 5.36 or later,
and to build this distribution a Rust toolchain (C<cargo>) and a C compiler.

=head1 HOW A DIE INSIDE A CALLBACK IS HANDLED

A Perl C<die> (and an C<exit>) is a C<longjmp>, which must never cross a
Rust stack frame that still owns something.  The engine calls every Perl
callback (and Perl's deferred C<%SIG> handlers) through a small C function
that pushes its own C<JMPENV> around the call.  A C<die> first unwinds
Perl's stacks to the nearest enclosing C<eval> exactly as if the callback
had been called from Perl (with no C<eval> at all, it ends the program as
an uncaught C<die> does); its C<longjmp> then lands in that C function
instead of crossing the engine.  The function records what happened and
returns; the Rust code returns normally, dropping everything it holds, and
only the outermost layer of the XSUB, holding raw pointers and nothing
else, continues the C<longjmp> to where Perl was going.  What the engine
held for the call is handed to Perl's mortal stack, so nothing is freed
(and no C<DESTROY> runs) while Perl is between unwinding and resuming.

The loop state is made consistent before each callback, and the loop keeps
itself alive with its own reference while it dispatches, so the exception
leaves the loop ready to run again.  Because no C<eval> is wrapped around
callbacks, C<$@> is left alone when they succeed.

=head1 SEE ALSO

L<Linux::Event::Loop>, L<Linux::Event::Watcher>, L<Linux::Event::Wakeup>,
L<Linux::Event::Signal>, L<Linux::Event::Pid>; the runnable scripts in the
distribution's F<examples/> directory; L<EV>, L<AnyEvent>, L<IO::Async>,
L<Mojo::IOLoop>; epoll(7), eventfd(2), signalfd(2), pidfd_open(2).

=head1 AUTHOR

The Linux::Event developers.  The 0.007 API was designed by Joshua S. Day.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event version 0.007.

=cut
