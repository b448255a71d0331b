package Linux::Event::Signal;
use v5.36;

our $VERSION = '0.009';

use Linux::Event ();
use Linux::Event::Adaptor ();
use Linux::Event::Signal::Subscription ();

# 0.007's adaptor object (new and loop come from Linux::Event::Adaptor);
# the subscriptions, Linux::Event::Signal::Subscription, are made by the engine.
our @ISA = ('Linux::Event::Adaptor');

sub signal {
    my ($self, @args) = @_;
    return Linux::Event::Adaptor::_live_loop($self, __PACKAGE__, 'signal')->signal(@args);
}

1;

__END__

=head1 NAME

Linux::Event::Signal - signal subscriptions through the loop, and their adaptor object

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;

  my $loop = Linux::Event->new;

  my $sub = $loop->signal([qw(USR1 SIGUSR2)], sub ($loop, $signo, $count, $data) {
      say "signal $signo arrived $count time(s) for $data";
      $loop->stop;
  }, data => 'me');

  kill USR1 => $$;
  $loop->run;
  $sub->cancel;

  # 0.007's adaptor form: the same, through an object bound to the loop.
  my $signals = Linux::Event::Signal->new(loop => $loop);
  my $hup = $signals->signal('HUP', sub ($loop, $signo, $count, $data) {
      say 'SIGHUP, through the adaptor of ', $signals->loop;
      $loop->stop;
  });
  kill HUP => $$;
  $loop->run;

=head1 DESCRIPTION

C<< $loop->signal($sig_or_list, $cb, data => $any) >> subscribes to one
signal or a list of them and returns a
L<Linux::Event::Signal::Subscription> (with C<cancel> and C<is_active>).

A signal is given as a number (1 to 64), or as a name with or without the
C<SIG> prefix in any case (C<'INT'>, C<'sigint'>, C<' TERM '>: surrounding
white space is ignored), as this perl's
C<$Config{sig_name}> knows them, including C<'RTMIN+1'> and C<'RTMAX-2'>
for real-time signals; or an array reference of those.  The only option is
C<< data => $any >>, passed to the callback (undef if not given).

C<signal> croaks on:

=over 4

=item *

a missing callback (a C<Usage:> message), or a callback that is not a CODE
reference;

=item *

an odd number of options, or unknown options (C<unknown signal args: x>);

=item *

an undefined signal, a reference other than an array reference, or an empty
list;

=item *

an unknown name or number (C<unknown signal 'FOO'>);

=item *

C<KILL> and C<STOP>, which cannot be blocked or caught
(C<cannot handle signal>).  (0.007 accepted C<0>, numbers above 64, C<KILL>
and C<STOP>, and never delivered them; see
L<Linux::Event/DIFFERENCES FROM UPSTREAM 0.007>.)

=back

The callback is called as C<< $cb->($loop, $signo, $count, $data) >>, where
C<$count> is how many of that signal arrived since the last dispatch: an
ordinary signal coalesces, as the kernel coalesces it, so its count is 1
however often it arrived; a real-time signal queues, so its count is the
number of arrivals.  Within one dispatch cycle signals are delivered in
ascending signal number.

There is one handler per signal: a later subscription for the same signal
replaces the earlier one for that signal, whichever way (the loop method or
an adaptor object of the same loop) either was made.  A subscription whose
signals have all been taken over this way reports C<is_active> 0 and its
C<cancel> returns 0; C<cancel> never removes a replacement.

=head2 How a signal reaches the loop

A subscribed signal is caught: the loop installs a C signal handler for it
with sigaction(2) (in the process, so whichever thread the kernel picks
takes it), and the handler only counts the arrival and wakes the loop
through an eventfd, which the loop makes on its first subscription and
keeps for its lifetime.  The loop then calls the callback in its next
cycle, in the thread that runs it.  The signal mask is never changed.

What this means for the program:

=over 4

=item *

While subscribed, the signal's C<%SIG> handler is not called and its
default action does not happen (Ctrl-C does not end a program that
subscribes to C<INT>); the loop takes the signal.  Other signals keep their
C<%SIG> handlers, which the loop runs promptly even while it waits (see
L<Linux::Event::Loop/stop>).

=item *

Like a C<%SIG> handler, a subscribed signal interrupts a C<sleep> or a
C<select> in the program's code (they return early), as it does every
system call that the kernel never restarts (see signal(7)); the others are
restarted (the handler is installed with C<SA_RESTART>).

=item *

The subscription owns the signal's disposition while it exists.  Assigning
to C<$SIG{NAME}> for a subscribed signal (or calling
C<POSIX::sigaction>) takes the signal away from the loop, until the next
C<< $loop->signal >> call for it takes it back.

=item *

A signal the program blocks itself (C<POSIX::sigprocmask>) stays pending in
the kernel while it is blocked, and reaches the loop when the program
unblocks it.

=item *

A C<SIGSEGV>, C<SIGBUS>, C<SIGFPE>, C<SIGILL>, C<SIGTRAP> or C<SIGSYS> that
reports a real fault of the program (not one sent by C<kill>) is not taken
by the loop: it takes its default action and ends the process (returning
from the handler would repeat the fault forever).

=back

=head2 Giving signals back

When the last subscription for a signal goes (cancelled, or its loop freed,
also at global destruction), the signal is given back: the disposition the
loop found when it took the signal comes back, so a C<%SIG> handler set
before the subscription runs again, an ignored signal is ignored again,
and a signal with its default action (Ctrl-C ending the program) acts
again.  If the program set another disposition meanwhile, that one stays.
An arrival that the loop has not dispatched yet is dropped (it came while
the loop had the signal).  The subscriptions are counted per process: while
another loop still subscribes to the signal, the loop keeps it.

=head1 CHILD PROCESSES

A child process starts with the signal mask the program has, and no
subscribed signal is blocked in it, so the children of C<fork>, C<system>,
backticks (C<qx>), piped opens and C<exec> start with the mask the program
had before any subscription.

A child made by C<fork> (also the child that C<system>, backticks and
piped opens make before they exec) gets back, at once, the dispositions the
program had before its subscriptions: the loop's handler is gone in it, its
C<%SIG> handlers and default actions work, and nothing the child receives
reaches the parent's loop.  So Ctrl-C ends a command that C<system> runs
(C<system> itself ignores C<INT> in the parent while it waits, as
C<system> always does).  A forked child may make its own loop and subscribe
there.

C<exec> gives a caught signal its default action, as it always does.  A
signal that the program ignored (C<$SIG{HUP} = 'IGNORE'>) before it
subscribed is therefore not ignored in a program started by a bare C<exec>
(without a fork) while the subscription exists: cancel the subscriptions
before C<exec> to give the exec'd program what the program had.

=head1 THREADS

Dispositions belong to the process, so a subscribed signal reaches the loop
whichever thread the kernel delivers it to, also a thread started before
the subscription, and the callback runs in the thread that runs the loop.
No thread's mask is changed.

=head1 TWO LOOPS, ONE SIGNAL

If two loops (in one thread or in different ithreads) subscribe to the same
signal, the handler wakes both and the first loop to take the arrivals gets
them: each arrival is delivered to exactly one of the loops.  Subscribe
each signal in one loop only.  At most 256 loops of a process can hold
signal subscriptions at the same time (a further one croaks).

=head1 METHODS

The subscription's methods, C<cancel> and C<is_active>, are documented in
L<Linux::Event::Signal::Subscription>.  This class is 0.007's adaptor: an
object bound to a loop, whose C<signal> method is the loop's (C<new> and
C<loop> are inherited from L<Linux::Event::Adaptor>).

=head2 new

  my $signals = Linux::Event::Signal->new(loop => $loop);

Returns an adaptor for C<$loop>; it keeps only a weak reference to the loop.
Croaks on an odd number of arguments, a missing C<loop> or one that is not a
L<Linux::Event::Loop>, and unknown arguments (C<unknown args: x>).  Every
adaptor of a loop shares that loop's one handler per signal with
C<< $loop->signal >>.

=head2 loop

  my $loop = $signals->loop;

The loop (undef once it is gone).  No arguments.

=head2 signal

  my $sub = $signals->signal($sig_or_list, $cb, data => $any);

The same as C<< $loop->signal(...) >>, with the same arguments, result and
croaks; croaks too when the loop is gone.

=head1 SEE ALSO

L<Linux::Event::Signal::Subscription>, L<Linux::Event::Loop>,
L<Linux::Event>, signal(7), sigaction(2),
eventfd(2); F<examples/signals.pl> and F<examples/stop_from_sig.pl> in
the distribution.

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Signal version 0.009.

=cut
