package Linux::Event::Wakeup;
use v5.36;

our $VERSION = '0.007';

use Carp ();
use Linux::Event ();

our @CARP_NOT = qw(Linux::Event Linux::Event::Loop);

# signal and drain are XSUBs (src/perl/waker_xs.rs): they work in any thread.

sub fh {
    my ($self) = @_;
    Carp::croak('Usage: $waker->fh') if @_ != 1;
    Carp::croak('Linux::Event::Wakeup: this waker belongs to another thread; '
            . 'only signal and drain work in a thread')
        if $self->_is_clone;
    return $self->{fh};
}

sub on_wakeup {
    my ($self, $cb) = @_;
    Carp::croak('Usage: $waker->on_wakeup(sub ($loop, $count) { ... }) or ->on_wakeup(undef)')
        if @_ != 2;
    Carp::croak('on_wakeup: handler must be a CODE reference or undef')
        if defined $cb && ref $cb ne 'CODE';
    my $loop = $self->{loop}
        or Carp::croak('on_wakeup: the loop of this waker no longer exists');
    Linux::Event::_internal(sub { $loop->_on_wakeup($cb) });
    return $self;
}

1;

__END__

=head1 NAME

Linux::Event::Wakeup - eventfd-backed wakeups for Linux::Event

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;

  my $loop  = Linux::Event->new;

  # Create once during initialization:
  my $waker = $loop->waker;

  # React to wakeups in the loop:
  $waker->on_wakeup(sub ($loop, $count) { say "woken ($count)"; $loop->stop });

  # From another thread (or a forked child), wake the loop:
  $waker->signal;

  $loop->run;

=head1 DESCRIPTION

A minimal, Linux-native wakeup primitive for L<Linux::Event> built on
eventfd(2), for thread and process integration without adding policy to
the loop.

When created by C<< $loop->waker >>, the loop installs an internal watcher
that drains the eventfd, so C<< $waker->signal >> (and C<< $loop->stop >>
from another thread, once the waker exists) reliably wakes a blocking wait.
The eventfd is reserved for loop wakeups: C<< $loop->watch($waker->fh, ...) >>
croaks, and C<on_wakeup> is the way to react to wakeups.

=head1 SEMANTICS

=over 4

=item *

Exactly one waker per loop, cached by C<< $loop->waker >>.

=item *

Created lazily on first use; never destroyed during the loop's lifetime.

=item *

The loop drains the eventfd itself, and calls the C<on_wakeup> handler, if
one is set, with the drained count.

=item *

C<signal> is safe from any thread and from a forked child.

=item *

C<drain> is non-blocking and returns the coalesced count.

=back

=head1 METHODS

=head2 fh

  my $fh = $waker->fh;

Returns a readable, non-blocking, close-on-exec filehandle on the eventfd
(a duplicate of the loop's own descriptor; its C<fileno> is stable and is
reserved too).  Croaks in a thread other than the loop's.

=head2 signal

  $waker->signal;      # increment by 1
  $waker->signal($n);  # increment by $n

Increments the eventfd counter and returns true; never blocks.  Multiple
signals coalesce in the kernel.  C<$n> must be a positive integer no larger
than 2**64-2; anything else croaks.  If the counter is full (2**64-2 signals
not yet drained) C<signal> croaks, and the loop is woken all the same.
Works in every thread and in forked children.

=head2 drain

  my $count = $waker->drain;

Drains the eventfd counter without blocking and returns the total number of
signals coalesced since the last drain (0 when there were none).  Croaks in
a forked child, where it would take the parent's wakeups.

=head2 on_wakeup

  $waker->on_wakeup(sub ($loop, $count) { ... });
  $waker->on_wakeup(undef);

Added in this implementation.  Sets (or with C<undef> removes) the handler
the loop calls, as C<< $cb->($loop, $count) >>, each time its internal
watcher drains a non-zero count.  Returns the waker.  Croaks in a thread
other than the loop's.

=head1 DEPENDENCIES

None outside Perl's core: the eventfd is made by the loop's engine (upstream
0.007 needed Linux::FD::Event).

=head1 SEE ALSO

L<Linux::Event::Loop>, eventfd(2)

=head1 AUTHOR

Joshua S. Day designed this API; this implementation is by the Linux::Event
developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Wakeup version 0.007.

=cut
