package Linux::Event::Pid::Subscription;
use v5.36;

our $VERSION = '0.009';

use Linux::Event ();

# cancel and is_active are XSUBs (src/perl/subscription_xs.rs).

1;

__END__

=head1 NAME

Linux::Event::Pid::Subscription - what $loop->pid returns

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;

  my $loop = Linux::Event->new;
  my $kid  = fork // die "fork: $!";
  if (!$kid) { sleep 10; exit 0 }

  my $sub = $loop->pid($kid, sub ($loop, $pid, $status, $data) { die "not called" });
  say 'watching' if $sub->is_active;
  say 'cancelled' if $sub->cancel;   # 1 the first time, 0 after
  kill TERM => $kid;
  waitpid $kid, 0;                   # a cancelled subscription does not reap

=head1 DESCRIPTION

The handle of one child-process subscription, returned by
L<Linux::Event::Loop/pid> and by L<Linux::Event::Pid/pid>.  It names the
subscription; the callback lives in the loop.  There is no constructor.
See L<Linux::Event::Pid> for what a subscription does.

=head1 METHODS

=head2 cancel

  my $removed = $sub->cancel;

Stops watching: 1 the first time, 0 after (and 0 once the callback has run
or the subscription was replaced).  A cancelled subscription never calls its
callback, and does not reap: the child is left for the caller to reap.  No
arguments.

=head2 is_active

1 until the callback has run or the subscription was cancelled or replaced,
0 after.  No arguments.  (0.007's subscriptions had no C<is_active>.)

In a thread other than the loop's, C<cancel> and C<is_active> croak; in a
forked child C<cancel> croaks and C<is_active> reads the child's copy (see
L<Linux::Event::Loop/THREADS AND FORK>).

=head1 SEE ALSO

L<Linux::Event::Pid>, L<Linux::Event::Loop>, L<Linux::Event>

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Pid::Subscription version 0.009.

=cut
