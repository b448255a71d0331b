package Linux::Event::Wakeup;
use v5.36;

our $VERSION = '0.009';

use Carp ();
use Scalar::Util ();
use Linux::Event ();

our @CARP_NOT = qw(Linux::Event Linux::Event::Loop);

# signal and drain are XSUBs (src/perl/waker_xs.rs): they work in any thread.

# Croaks unless the invocant is a waker object.
sub _check_self ($self) {
    Carp::croak('not a Linux::Event::Wakeup object')
        unless Scalar::Util::blessed($self) && $self->isa(__PACKAGE__);
}

sub fh {
    my ($self) = @_;
    _check_self($self);
    Carp::croak('Usage: $waker->fh') if @_ != 1;
    Carp::croak('Linux::Event::Wakeup: this waker belongs to another thread; '
            . 'only signal and drain work in a thread')
        if _is_clone($self);
    return $self->{fh};
}

sub loop {
    my ($self) = @_;
    _check_self($self);
    Carp::croak('Usage: $waker->loop') if @_ != 1;
    return $self->{loop};
}

sub on_wakeup {
    my ($self, $cb) = @_;
    _check_self($self);
    Carp::croak('Usage: $waker->on_wakeup(sub ($loop, $count) { ... }) or ->on_wakeup(undef)')
        if @_ != 2;
    my $loop = $self->{loop}
        or Carp::croak('on_wakeup: the loop of this waker no longer exists');
    $loop->_on_wakeup($cb);
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
reserved too: C<< $loop->watch($waker->fh, ...) >> croaks).  Croaks if given
arguments, and in a thread other than the loop's.

=head2 signal

  $waker->signal;      # increment by 1
  $waker->signal($n);  # increment by $n

Increments the eventfd counter and returns true (1); never blocks.
Multiple signals coalesce in the kernel: the loop's next wakeup reports
their sum.  C<$n> must be a positive integer no larger than 2**64-2; zero, a
negative number, a fraction, a non-number, a reference or an explicit undef
croaks (C<signal count must be a positive integer>).  If the counter is full
(2**64-2 signals not yet drained) C<signal> croaks (C<counter is full>), and
the loop is woken all the same.  Works in every thread and in forked
children, also after the loop itself is gone.

=head2 drain

  my $count = $waker->drain;

Drains the eventfd counter without blocking and returns the total number of
signals coalesced since the last drain (0 when there were none).  The loop
drains the counter itself when it wakes, so C<drain> is for code that polls
without running the loop.  Works in other threads (it takes the counts of
the loop's eventfd).  Croaks if given arguments, and in a forked child,
where it would take the parent's wakeups.

=head2 loop

  my $loop = $waker->loop;

The loop this waker belongs to (undef once the loop is gone: the waker does
not keep it alive).  No arguments.  Works in every thread (a thread's clone
returns that thread's copy of the loop) and in forked children.

=head2 on_wakeup

  $waker->on_wakeup(sub ($loop, $count) { ... });
  $waker->on_wakeup(undef);

Added in this implementation.  Sets (or with C<undef> removes) the handler
the loop calls, as C<< $cb->($loop, $count) >>, each time its internal
watcher drains a non-zero count; C<$count> is the sum of the signals since
the previous drain.  Wakeups that arrive with no handler set are drained and
dropped.  Returns the waker.  Croaks unless given exactly one argument, a
CODE reference or undef; when the loop is gone; and in a thread other than
the loop's or in a forked child.

=head1 THREADS AND FORK

Create the waker (C<< $loop->waker >>) before starting threads or forking.
A thread's clone can C<signal> and C<drain>; C<fh> and C<on_wakeup> croak
there.  A forked child can C<signal> (waking the parent) and get C<fh>;
C<drain> and C<on_wakeup> croak there.  See F<examples/thread_workers.pl>
and F<examples/fork_workers.pl>.

=head1 CHANGES FROM UPSTREAM 0.007

=over 4

=item *

Watching the waker's descriptor croaks (C<reserved for the loop's waker>);
0.007 documented that it must not be done, and doing it silently replaced
the loop's internal watcher.

=item *

C<on_wakeup> is new: it is how code reacts to wakeups in the loop.

=item *

C<< $loop->stop >> from another thread signals the waker, so a blocked
C<run> returns at once; such wakeups are not counted by C<drain> or
C<on_wakeup>.

=item *

No L<Linux::FD::Event> is needed: the engine makes the eventfd itself.

=back

=head1 DEPENDENCIES

None outside Perl's core: the eventfd is made by the loop's engine (upstream
0.007 needed Linux::FD::Event).

=head1 SEE ALSO

L<Linux::Event::Loop>, L<Linux::Event>, eventfd(2)

=head1 AUTHOR

Joshua S. Day designed this API; this implementation is by the Linux::Event
developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Wakeup version 0.009.

=cut
