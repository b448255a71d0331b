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

A signal is given as a number, or as a name with or without the C<SIG>
prefix in any case (C<'INT'>, C<'sigint'>, C<'RTMIN+1'>), or an array
reference of those.  Unknown names croak (C<unknown signal 'FOO'>).

The callback is called as C<< $cb->($loop, $signo, $count, $data) >>, where
C<$count> is how many of that signal arrived since the last dispatch
(ordinary signals coalesce in the kernel; real-time signals queue, so their
count can be above 1).  Within one dispatch cycle signals are delivered in
ascending signal number.

There is one handler per signal: a later subscription for the same signal
replaces the earlier one for that signal.

The loop uses one signalfd, created on first use.  The subscribed signals are
blocked so that they arrive through it; the blocked set only grows for the
loop's lifetime (cancelling does not unblock; a signal that arrives with no
handler is read and dropped).

=head1 THREADS

The signal mask is per thread.  The loop blocks a signal in the thread that
subscribes to it, and ithreads inherit the mask of the thread that creates
them: subscribe before starting threads, and a process-directed signal can
only be taken through the loop's signalfd, whichever thread it is sent from.
A thread started before the subscription does not block the signal, and the
kernel may deliver the signal to it instead (running its default action or
C<%SIG> handler).

=head1 TWO LOOPS, ONE SIGNAL

If two loops subscribe to the same signal, both signalfds report it and the
first loop to read takes it: each arrival is delivered to exactly one of the
loops.  Subscribe each signal in one loop only.

=head1 METHODS

=head2 cancel

Removes the handler: true the first time, false after.  Cancelling a
subscription that was replaced for a signal does not remove its replacement.

=head2 is_active

1 while the subscription handles at least one of its signals, else 0.

=head1 SEE ALSO

L<Linux::Event::Loop>, signalfd(2)

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Signal version 0.007.

=cut
