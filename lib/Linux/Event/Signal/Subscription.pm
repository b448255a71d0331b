package Linux::Event::Signal::Subscription;
use v5.36;

our $VERSION = '0.009';

use Linux::Event ();

# cancel and is_active are XSUBs (src/perl/subscription_xs.rs).

1;

__END__

=head1 NAME

Linux::Event::Signal::Subscription - what $loop->signal returns

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;

  my $loop = Linux::Event->new;
  my $sub  = $loop->signal('USR1', sub ($loop, $signo, $count, $data) { $loop->stop });

  say 'active' if $sub->is_active;
  kill USR1 => $$;
  $loop->run;

  say 'removed' if $sub->cancel;     # 1 the first time
  say 'again: ', $sub->cancel;       # 0 after

=head1 DESCRIPTION

The handle of one signal subscription, returned by
L<Linux::Event::Loop/signal> and by L<Linux::Event::Signal/signal>.  It
names the subscription; the handler lives in the loop.  There is no
constructor.  See L<Linux::Event::Signal> for what a subscription does.

=head1 METHODS

=head2 cancel

  my $removed = $sub->cancel;

Removes the handler from each of its signals that it still handles: 1 the
first time, 0 after.  A subscription that was replaced (a later subscription
for the same signal) handles nothing any more: its C<cancel> returns 0 and
leaves the replacement in place.  Each signal whose last subscription this
was is given back (see L<Linux::Event::Signal/DESCRIPTION>).  No arguments.

=head2 is_active

1 while the subscription handles at least one of its signals, else 0 (after
C<cancel>, once every one of its signals was replaced, or once the loop is
gone).  No arguments.

In a thread other than the loop's, C<cancel> and C<is_active> croak; in a
forked child C<cancel> croaks and C<is_active> reads the child's copy (see
L<Linux::Event::Loop/THREADS AND FORK>).

=head1 SEE ALSO

L<Linux::Event::Signal>, L<Linux::Event::Loop>, L<Linux::Event>

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Signal::Subscription version 0.009.

=cut
