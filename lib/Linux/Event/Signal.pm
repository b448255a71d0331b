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

Linux::Event::Signal - signal subscriptions through signalfd, and their adaptor object

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
C<$count> is how many of that signal arrived since the last dispatch
(ordinary signals coalesce in the kernel; real-time signals queue, so their
count can be above 1).  Within one dispatch cycle signals are delivered in
ascending signal number.

There is one handler per signal: a later subscription for the same signal
replaces the earlier one for that signal, whichever way (the loop method or
an adaptor object of the same loop) either was made.  A subscription whose
signals have all been taken over this way reports C<is_active> 0 and its
C<cancel> returns 0; C<cancel> never removes a replacement.

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

The subscription's methods, C<cancel> and C<is_active>, are documented in
L<Linux::Event::Signal::Subscription>.  This class is 0.007's adaptor: an
object bound to a loop, whose C<signal> method is the loop's (C<new> and
C<loop> are inherited from L<Linux::Event::Adaptor>).

=head2 new

  my $signals = Linux::Event::Signal->new(loop => $loop);

Returns an adaptor for C<$loop>; it keeps only a weak reference to the loop.
Croaks on an odd number of arguments, a missing C<loop> or one that is not a
L<Linux::Event::Loop>, and unknown arguments (C<unknown args: x>).  Every
adaptor of a loop shares that loop's one signalfd and its one handler per
signal with C<< $loop->signal >>.

=head2 loop

  my $loop = $signals->loop;

The loop (undef once it is gone).  No arguments.

=head2 signal

  my $sub = $signals->signal($sig_or_list, $cb, data => $any);

The same as C<< $loop->signal(...) >>, with the same arguments, result and
croaks; croaks too when the loop is gone.

=head1 SEE ALSO

L<Linux::Event::Signal::Subscription>, L<Linux::Event::Loop>,
L<Linux::Event>, signalfd(2), signal(7),
sigprocmask(2); F<examples/signals.pl> and F<examples/stop_from_sig.pl> in
the distribution.

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Signal version 0.009.

=cut
