package Future::IO::Impl::LinuxEvent;
use v5.36;

our $VERSION = '0.009';

use parent 'Future::IO::ImplBase';
use Carp ();
use Linux::Event ();

# The loop the futures run on: AnyEvent's, when AnyEvent::Impl::LinuxEvent
# was loaded first, so that both run together; else one of our own, made at
# the first use (AnyEvent::Impl::LinuxEvent loaded later takes this one).
our $LOOP;

sub _loop { $LOOP //= $AnyEvent::Impl::LinuxEvent::LOOP // Linux::Event->new }

sub loop ($class) { _loop() }

__PACKAGE__->APPLY;

# Croaks from the caller's line with a message of the loop.
sub _croak ($what, $err) {
    die $err if ref $err;
    $err =~ s/ at \S+ line \d+(?:, <[^>]*> (?:line|chunk) \d+)?\.?\n\z//;
    local $Carp::Internal{ +__PACKAGE__ } = 1;
    local $Carp::Internal{'Future::IO'} = 1;
    local $Carp::Internal{'Future::IO::ImplBase'} = 1;
    Carp::croak("Future::IO->$what: $err");
}

# ---- sleep ----------------------------------------------------------------

sub sleep ($class, $secs) {
    my $f  = Future::IO::Impl::LinuxEvent::Future->new;
    my $id = eval { _loop()->after($secs, sub ($) { $f->done }) } // _croak(sleep => $@);
    $f->on_cancel(sub ($) { $LOOP->cancel($id) });
    return $f;
}

sub alarm ($class, $epoch) {
    return $class->sleep($epoch - Time::HiRes::time());
}

# ---- readiness --------------------------------------------------------------
#
# The loop has one watcher per descriptor: one record per fd holds it and a
# queue of futures per direction.  Each readiness completes the oldest
# future of that direction (level-triggered: if the descriptor stays ready,
# the next one completes in the next cycle); an empty queue turns the
# direction off, and with both empty the watcher goes.

my %FD;    # fd => { w => $watcher, fd => $fd, fh => $fh, read => [futures], write => [futures] }

sub ready_for_read  ($class, $fh) { _ready($fh, 'read') }
sub ready_for_write ($class, $fh) { _ready($fh, 'write') }

sub _ready ($fh, $dir) {
    my $fd = eval { fileno $fh };
    _croak("ready_for_$dir", 'the handle has no file descriptor (is it open?)')
        unless defined $fd && $fd >= 0;
    my $rec = $FD{$fd};
    if (!$rec || !$rec->{w}->is_active) {
        $rec = { fd => $fd, fh => $fh, read => [], write => [] };
        $rec->{w} = eval { _loop()->watch($fh) } // _croak("ready_for_$dir", $@);
        $FD{$fd} = $rec;
    }
    my $f = Future::IO::Impl::LinuxEvent::Future->new;
    push @{ $rec->{$dir} }, $f;
    _arm($rec, $dir) if @{ $rec->{$dir} } == 1;
    $f->on_cancel(sub ($f) {
        my $q = $rec->{$dir};
        @$q = grep { $_ != $f } @$q;
        _arm($rec, $dir) unless @$q;
    });
    return $f;
}

# Turns direction $dir of $rec's watcher on or off as its queue says.
sub _arm ($rec, $dir) {
    return unless ($FD{ $rec->{fd} } // 0) == $rec;
    my $w = $rec->{w};
    if (@{ $rec->{$dir} }) {
        my $q = $rec->{$dir};
        my $fire = sub ($, $, $) {
            my $f = shift @$q;
            _arm($rec, $dir) unless @$q;
            $f->done if $f;
        };
        $dir eq 'read' ? $w->on_read($fire)->enable_read : $w->on_write($fire)->enable_write;
    }
    elsif (!@{ $rec->{ $dir eq 'read' ? 'write' : 'read' } }) {
        delete $FD{ $rec->{fd} };
        $w->cancel;
    }
    else {
        $dir eq 'read' ? $w->on_read(undef) : $w->on_write(undef);
    }
}

# ---- waitpid ------------------------------------------------------------------
#
# The loop has one subscription per pid: several futures for one pid share it.

my %PID;    # pid => { sub => $subscription, futures => [...] }

sub waitpid ($class, $pid) {
    my $f = Future::IO::Impl::LinuxEvent::Future->new;
    my $rec = $PID{$pid};
    if (!$rec) {
        $rec = { futures => [] };
        $rec->{sub} = eval {
            _loop()->pid($pid, sub ($loop, $pid, $status, $) {
                delete $PID{$pid};
                $_->done($status) for @{ $rec->{futures} };
            });
        } // _croak(waitpid => $@);
        $PID{$pid} = $rec;
    }
    push @{ $rec->{futures} }, $f;
    $f->on_cancel(sub ($f) {
        my $q = $rec->{futures};
        @$q = grep { $_ != $f } @$q;
        return if @$q || ($PID{$pid} // 0) != $rec;
        delete $PID{$pid};
        $rec->{sub}->cancel;
    });
    return $f;
}

# ---- the futures ---------------------------------------------------------------

package Future::IO::Impl::LinuxEvent::Future;
use parent 'Future';

# Waiting for a future (get, await) runs the loop until it is ready.
sub await ($self) {
    my $loop = Future::IO::Impl::LinuxEvent::_loop();
    $loop->run_once until $self->is_ready;
    return $self;
}

package Future::IO::Impl::LinuxEvent;

1;

__END__

=head1 NAME

Future::IO::Impl::LinuxEvent - Future::IO on a Linux::Event loop

=head1 SYNOPSIS

  use v5.36;
  use Future::IO;
  use Future::IO::Impl::LinuxEvent;

  Future::IO->sleep(0.01)->get;

  pipe(my $r, my $w) or die "pipe: $!";
  my $f = Future::IO->sysread($r, 64);
  Future::IO->syswrite($w, "hello")->get;
  say $f->get;    # hello

=head1 DESCRIPTION

Loading this module makes L<Future::IO> run on a L<Linux::Event> loop: it
sets itself as Future::IO's implementation (with
L<Future::IO::ImplBase/APPLY>; it warns if another implementation was set
first).  Future::IO's C<sleep>, C<alarm>, C<sysread>, C<syswrite>,
C<sysread_exactly>, C<syswrite_exactly>, C<accept>, C<connect> and
C<waitpid> then return futures that complete on the loop, and waiting for
one of them (C<get>, C<await>) runs the loop until it is ready.

It provides what Future::IO asks of an implementation:

=over 4

=item sleep, alarm

A timer of the loop; C<alarm> takes an epoch time (C<Time::HiRes::time>).

=item ready_for_read, ready_for_write

The loop's watcher of the handle's descriptor.  Several futures may wait on
one handle and direction: each readiness completes the oldest one.  These
give C<sysread>, C<syswrite>, C<accept> and C<connect> (from
L<Future::IO::ImplBase>).  Any number of handles may be pending at once.

=item waitpid

A child subscription of the loop (L<Linux::Event::Pid>, through a pidfd):
the future completes with the wait status (as C<$?>) when the child exits,
and the loop reaps it.  Several futures may wait for one pid.

=back

Cancelling a future (C<< $f->cancel >>) removes what it waited on: the
timer, the direction of the watcher (the whole watcher once no future
waits on the descriptor), the child subscription (once no future waits for
the pid; the child is then left for the caller to reap).

Bad input croaks from the caller's line, with the loop's message: a handle
without a file descriptor, a descriptor epoll refuses (a regular file), a
time that is not a number, a pid that is not a child of this process.

=head1 THE LOOP

  my $loop = Future::IO::Impl::LinuxEvent->loop;

returns the L<Linux::Event::Loop> the futures run on.  When
L<AnyEvent::Impl::LinuxEvent> is in use, it is AnyEvent's loop, so futures
and AnyEvent watchers run together (in a C<< $cv->recv >> as well as in a
C<< $f->get >>).  Waiting for a future from inside one of the loop's
callbacks croaks (C<already running>): chain on the future instead
(C<then>, C<on_done>).  The loop has one watcher per descriptor: do not
watch a descriptor that Future::IO waits on through the loop or AnyEvent
too.

The loop belongs to the process and thread that created it: a forked
child cannot use it (see L<Linux::Event::Loop/THREADS AND FORK>).

=head1 SEE ALSO

L<Future::IO>, L<Future>, L<Linux::Event>, L<Linux::Event::Loop>,
L<AnyEvent::Impl::LinuxEvent>

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Future::IO::Impl::LinuxEvent version 0.009.

=cut
