package Linux::Event::Signal;
use v5.36;

our $VERSION = '0.007';

use Linux::Event ();

# cancel and is_active are XSUBs (src/perl/subscription_xs.rs).

1;

__END__

=head1 NAME

Linux::Event::Signal - signal subscriptions through signalfd

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

=head1 DESCRIPTION

C<< $loop->signal($sig_or_list, $cb, data => $any) >> subscribes to one
signal or a list of them and returns a C<Linux::Event::Signal>.

A signal is given as a number (1 to 64), or as a name with or without the
C<SIG> prefix in any case (C<'INT'>, C<'sigint'>), as this perl's
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
(C<cannot handle signal>).

=back

The callback is called as C<< $cb->($loop, $signo, $count, $data) >>, where
C<$count> is how many of that signal arrived since the last dispatch
(ordinary signals coalesce in the kernel; real-time signals queue, so their
count can be above 1).  Within one dispatch cycle signals are delivered in
ascending signal number.

There is one handler per signal: a later subscription for the same signal
replaces the earlier one for that signal.

The loop uses one signalfd, created on first use.  A subscribed signal is
blocked so that it arrives through it: while subscribed, a C<%SIG> handler
for it is not called and its default action does not happen; the loop takes
the signal.  Other signals keep their C<%SIG> handlers, which the loop runs
promptly even while it waits (see L<Linux::Event::Loop/stop>).

When the last subscription for a signal goes (cancelled, or its loop freed,
also at global destruction), the signal is given back: an arrival that is
still pending is consumed (it came while the loop had it), then its mask bit
returns to what it was before the first subscription, so its C<%SIG> handler
and its default action (Ctrl-C ending the program) work again.  A signal
the program had blocked itself stays blocked.  The subscriptions are counted
per process: while another loop still subscribes to the signal, it stays
blocked.

=head1 CHILD PROCESSES

A child process starts with the signal mask the program had before its first
subscription where the fork goes through the C library's fork handlers and
nothing sets the mask again afterwards: commands run by backticks (C<qx>) and
by piped opens (C<open> with C<-|> or C<|->) get the original mask.

Perl's own C<fork> and C<system> are different: perl blocks signals around
the fork and, in the child, sets the mask the parent had at that moment,
with the subscribed signals blocked.  A child of C<fork>, and a command run
by C<system>, therefore start with the subscribed signals blocked (a command
started with C<INT> blocked cannot be stopped with Ctrl-C).  A bare C<exec>
(without a fork) keeps the mask it has as well.  Cancel the subscriptions
before C<exec> (the mask is given back then), or, to give a forked child the
usual behaviour, unblock them in the child before C<exec>:

  use POSIX qw(SIGINT SIGTERM SIG_UNBLOCK);

  my $pid = fork // die "fork: $!";
  if (!$pid) {
      POSIX::sigprocmask(SIG_UNBLOCK, POSIX::SigSet->new(SIGINT, SIGTERM));
      exec @command or POSIX::_exit(127);
  }

=head1 THREADS

The signal mask is per thread.  The loop blocks a signal in the thread that
subscribes to it, and ithreads inherit the mask of the thread that creates
them: subscribe before starting threads, and a process-directed signal can
only be taken through the loop's signalfd, whichever thread it is sent from.
A thread started before the subscription does not block the signal, and the
kernel may deliver the signal to it instead (running its default action or
C<%SIG> handler).  Giving a signal back (see L</DESCRIPTION>) unblocks it in
the thread that gives it back, the loop's; threads started while it was
subscribed keep it blocked.

=head1 TWO LOOPS, ONE SIGNAL

If two loops subscribe to the same signal, both signalfds report it and the
first loop to read takes it: each arrival is delivered to exactly one of the
loops.  Subscribe each signal in one loop only.

=head1 METHODS

=head2 cancel

  my $removed = $sub->cancel;

Removes the handler: true (1) the first time, false (0) after.  Cancelling
a subscription that was replaced for a signal does not remove its
replacement.  Each signal whose last subscription this was is given back
(see L</DESCRIPTION>).  No arguments.

=head2 is_active

1 while the subscription handles at least one of its signals, else 0.  No
arguments.

In a thread other than the loop's, C<cancel> and C<is_active> croak; in a
forked child C<cancel> croaks and C<is_active> reads the child's copy (see
L<Linux::Event::Loop/THREADS AND FORK>).

=head1 SEE ALSO

L<Linux::Event::Loop>, L<Linux::Event>, signalfd(2), signal(7),
sigprocmask(2); F<examples/signals.pl> and F<examples/stop_from_sig.pl> in
the distribution.

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Signal version 0.007.

=cut
