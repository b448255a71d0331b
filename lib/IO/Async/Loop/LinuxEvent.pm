package IO::Async::Loop::LinuxEvent;
use strict;
use warnings;

our $VERSION = '0.009';

use constant API_VERSION => '0.76';

# epoll reports hang-ups (EPOLLHUP, EPOLLERR); timers are the engine's,
# millisecond-exact and never early; child processes are watched by pidfd,
# all of them at once through SIGCHLD.
use constant _CAN_ON_HANGUP            => 1;
use constant _CAN_SUBSECOND_ACCURATELY => 1;
use constant _CAN_WATCH_ALL_PIDS       => 1;
use constant _CAN_WATCHDOG             => 1;

use parent 'IO::Async::Loop';

use Carp ();
use IO::Poll ();
use POSIX ();
use Scalar::Util ();
use Time::HiRes ();
use Linux::Event ();

use constant WATCHDOG_ENABLE   => IO::Async::Loop->WATCHDOG_ENABLE;
use constant WATCHDOG_INTERVAL => IO::Async::Loop->WATCHDOG_INTERVAL;

# A queued event is an "entry": [ $code, $queued, $hangup_fh, ... ], and
# $code is called with no arguments.
# $code is undef once the watch is gone, so an entry already queued is
# skipped; $queued keeps one entry from being queued twice; with $hangup_fh
# the entry is the on_hangup of that handle and fires only if poll(2) still
# reports POLLHUP or POLLERR for it.
use constant { CODE => 0, QUEUED => 1, HUP_FH => 2 };

sub new {
    my ($class, %args) = @_;
    my $self = $class->SUPER::__new(%args);
    $self->{le}      = Linux::Event::Loop->new;
    $self->{le_pid}  = $$;
    $self->{queue}   = [];      # entries due, in the order the engine saw them
    $self->{io}      = {};      # fd => io state (see _io_state)
    $self->{fake}    = {};      # fd => io state, for handles epoll refuses
    $self->{timers}  = {};      # engine timer id => entry, for post_fork
    $self->{signals} = {};      # name => [ entry, subscription ]
    $self->{kids}    = {};      # pid => [ entry, subscription ]
    return $self;
}

sub DESTROY {
    my $self = shift;
    if (($self->{le_pid} // 0) == $$) {   # a forked child leaves the parent's alone
        $_->[1]->cancel for values %{ $self->{signals} || {} };
    }
    $self->SUPER::DESTROY;
}

sub is_running { $_[0]{running} }

# ---- the cycle ----------------------------------------------------------------

sub loop_once {
    my ($self, $timeout) = @_;
    my $q = $self->{queue};
    $timeout = 0 if @$q || @{ $self->{deferrals} } || %{ $self->{fake} };

    $self->pre_wait if $IO::Async::Metrics::METRICS;
    # Reading $$ costs a system call: a fork is noticed by the engine's
    # refusal instead (here, in watch_io, unwatch_io and the timers).
    eval { $self->{le}->run_once($timeout); 1 } or do {
        die $@ if $self->{le_pid} == $$;
        $self->post_fork;
        $self->{le}->run_once(0);
    };
    $self->post_wait if $IO::Async::Metrics::METRICS;
    alarm(WATCHDOG_INTERVAL) if WATCHDOG_ENABLE;

    my $count = 0;
    if (%{ $self->{fake} }) {
        for my $s (values %{ $self->{fake} }) {
            push @$q, grep { $_->[CODE] && !$_->[QUEUED]++ } $s->{r}, $s->{w};
        }
    }
    while (my $e = shift @$q) {
        $e->[QUEUED] = 0;
        my $code = $e->[CODE] or next;
        next if $e->[HUP_FH] && !_hung_up($e->[HUP_FH]);
        $count++;
        $code->();
    }

    my $idle = $self->{deferrals};
    if (@$idle) {
        $self->{deferrals} = [];
        for my $code (@$idle) { $count++; $code->() }
    }
    alarm(0) if WATCHDOG_ENABLE;
    return $count;
}

sub _hung_up {
    my ($fh) = @_;
    my $fd = fileno $fh;
    return 0 unless defined $fd;
    my @poll = ($fd, IO::Poll::POLLIN());
    IO::Poll::_poll(0, @poll) > 0 or return 0;
    return $poll[1] & (IO::Poll::POLLHUP() | IO::Poll::POLLERR());
}

# ---- I/O ----------------------------------------------------------------------

my %IO_KEY = map { $_ => 1 } qw(handle on_read_ready on_write_ready on_hangup);

sub watch_io {
    my ($self, %params) = @_;
    my $handle = $params{handle} or Carp::croak("Expected 'handle'");
    my $fd = eval { $handle->fileno };
    defined $fd or Carp::croak("Expected that 'handle' has defined ->fileno");
    my @bad = grep { !$IO_KEY{$_} } keys %params;
    Carp::croak('Unrecognised keys for ->watch_io - ' . join(', ', @bad)) if @bad;
    $handle->blocking and $handle->blocking(0);

    my $s = $self->{io}{$fd} || $self->{fake}{$fd};
    if ($s && (!_same($s->{fh}, $handle) || ($s->{w_obj} && !$s->{w_obj}->is_active))) {
        $self->_drop_io($s);    # closed without unwatch_io; the fd was reused
        undef $s;
    }
    $s ||= $self->_io_state($handle, $fd);
    $s->{r}[CODE] = $params{on_read_ready}  if exists $params{on_read_ready};
    $s->{w}[CODE] = $params{on_write_ready} if exists $params{on_write_ready};
    $s->{h}[CODE] = $params{on_hangup}      if exists $params{on_hangup};
    $self->_engine(\&_apply_io, $s);
    return;
}

sub unwatch_io {
    my ($self, %params) = @_;
    my $handle = $params{handle} or Carp::croak("Expected 'handle'");
    my $fd = $handle->fileno;
    return unless defined $fd;
    my $s = $self->{io}{$fd} || $self->{fake}{$fd} or return;
    return unless _same($s->{fh}, $handle);
    undef $s->{r}[CODE] if $params{on_read_ready};
    undef $s->{w}[CODE] if $params{on_write_ready};
    undef $s->{h}[CODE] if $params{on_hangup};
    $self->_engine(\&_apply_io, $s);
    return;
}

sub _same { (Scalar::Util::refaddr($_[0]) // 0) == (Scalar::Util::refaddr($_[1]) // 0) }

# Calls $self->$method(@args), which uses the engine; in a forked child,
# the first call moves everything to a new engine loop and tries again.
sub _engine {
    my ($self, $method, @args) = @_;
    my @r;
    eval { @r = $self->$method(@args); 1 } or do {
        die $@ if $self->{le_pid} == $$;
        $self->post_fork;
        @r = $self->$method(@args);
    };
    return wantarray ? @r : $r[0];
}

# One state per watched fd: the entries of its three callbacks, and the one
# engine watcher that serves them all (the engine keeps one watcher per fd).
sub _io_state {
    my ($self, $handle, $fd) = @_;
    my ($r, $w, $h) = ([undef, 0], [undef, 0], [undef, 0, $handle]);
    my $q = $self->{queue};
    # The engine runs no user code: its callbacks only queue entries.
    my $on_read = sub {
        push @$q, $r unless $r->[QUEUED]++;
        push @$q, $h if $h->[CODE] && !$h->[QUEUED]++;
    };
    my $on_write = sub {
        push @$q, $w unless $w->[QUEUED]++;
        push @$q, $h if $h->[CODE] && !$h->[QUEUED]++;
    };
    return { fh => $handle, fd => $fd, r => $r, w => $w, h => $h,
             on_read => $on_read, on_write => $on_write, mode => 0 };
}

# Bring the engine watcher in line with the callbacks present.  $s->{mode}
# is what the engine watches: 1 read, 2 write, 4 edge-triggered.  A hang-up
# alone is watched edge-triggered for reading, so data that nobody reads
# does not wake the loop again and again.
sub _apply_io {
    my ($self, $s) = @_;
    my $rd  = $s->{r}[CODE] ? 1 : 0;
    my $wr  = $s->{w}[CODE] ? 2 : 0;
    my $hup = $s->{h}[CODE] ? 1 : 0;
    return $self->_drop_io($s) unless $rd || $wr || $hup;
    my $mode = ($rd || ($hup && !$wr) ? 1 : 0) | $wr | ($hup && !$rd && !$wr ? 4 : 0);
    my $w = $s->{w_obj};
    if ($w) {
        my $diff = $mode ^ $s->{mode} or return;
        if ($diff & 1) { $mode & 1 ? $w->enable_read  : $w->disable_read }
        if ($diff & 2) { $mode & 2 ? $w->enable_write : $w->disable_write }
        $w->edge_triggered($mode & 4 ? 1 : 0) if $diff & 4;
        $s->{mode} = $mode;
        return;
    }
    return $s->{mode} = $mode if $self->{fake}{ $s->{fd} };

    # Both handlers always: a direction is switched, never installed.
    $w = eval {
        $self->{le}->watch($s->{fh}, read => $s->{on_read}, write => $s->{on_write},
            edge_triggered => $mode & 4 ? 1 : 0);
    };
    if (!$w) {
        die $@ unless $@ =~ /cannot be watched/;
        # A regular file or the like: always ready, as poll(2) says.
        $s->{mode} = $mode;
        return $self->{fake}{ $s->{fd} } = $s;
    }
    $s->{w_obj} = $w;
    $self->{io}{ $s->{fd} } = $s;
    $w->disable_read  unless $mode & 1;
    $w->disable_write unless $mode & 2;
    $s->{mode} = $mode;
    return;
}

sub _drop_io {
    my ($self, $s) = @_;
    undef $_->[CODE] for @$s{qw(r w h)};
    delete $self->{fake}{ $s->{fd} };
    $s->{mode} = 0;
    if (my $watcher = delete $s->{w_obj}) {
        $watcher->cancel;
    }
    delete $self->{io}{ $s->{fd} } if ($self->{io}{ $s->{fd} } || 0) == $s;
    return;
}

# ---- timers ---------------------------------------------------------------------

sub watch_time {
    my ($self, %args) = @_;
    my $code = $args{code} or Carp::croak("Expected 'code' as a CODE reference");
    my $delay;
    if (exists $args{after}) {
        $delay = $args{after};
        $delay += $args{now} - Time::HiRes::time() if exists $args{now};
    }
    elsif (exists $args{at}) {
        $delay = $args{at} - Time::HiRes::time();
    }
    else {
        Carp::croak("Expected one of 'at' or 'after'");
    }
    return $self->_engine(\&_arm_timer, [$code, 0, undef], $delay);
}

# IO::Async::LoopTests (0.802) checks sub-second accuracy through this name,
# with enqueue_timer's argument names.
sub watch_timer {
    my ($self, %args) = @_;
    $args{after} = delete $args{delay} if exists $args{delay};
    $args{at}    = delete $args{time}  if exists $args{time};
    return $self->watch_time(%args);
}

sub unwatch_time {
    my ($self, $e) = @_;
    return unless ref $e eq 'ARRAY' && $e->[CODE];
    undef $e->[CODE];
    delete $self->{timers}{ $e->[3] };
    eval { $self->{le}->cancel($e->[3]) };    # fails only in a forked child, where it is gone
    return;
}

# Entry [ code, queued, undef, engine id, due (epoch seconds) ].
sub _arm_timer {
    my ($self, $e, $delay) = @_;
    my ($q, $live) = ($self->{queue}, $self->{timers});
    $e->[4] = Time::HiRes::time() + $delay;
    my $id = $self->{le}->after($delay, sub { delete $live->{ $e->[3] }; push @$q, $e });
    $e->[3] = $id;
    $live->{$id} = $e;
    return $e;
}

# ---- signals --------------------------------------------------------------------

sub watch_signal {
    my ($self, $signal, $code) = @_;
    $self->post_fork if $self->{le_pid} != $$;
    exists $SIG{$signal} or Carp::croak("Unrecognised signal name $signal");
    $self->unwatch_signal($signal);
    my $e = [$code, 0, undef];
    my $q = $self->{queue};
    my $sub = $self->{le}->signal($signal, sub { push @$q, $e unless $e->[QUEUED]++ });
    $self->{signals}{$signal} = [$e, $sub];
    return;
}

sub unwatch_signal {
    my ($self, $signal) = @_;
    my $sig = delete $self->{signals}{$signal} or return;
    undef $sig->[0][CODE];
    $sig->[1]->cancel if $self->{le_pid} == $$;
    return;
}

# ---- child processes --------------------------------------------------------------

sub watch_process {
    my ($self, $pid, $code) = @_;
    $self->post_fork if $self->{le_pid} != $$;
    my $kids = $self->{kids};
    Carp::croak("Already have a handler for $pid") if exists $kids->{$pid};
    return $self->_watch_all_kids($code) if $pid == 0;

    # It may have exited (and be a zombie) already; pidfd would work, but
    # so does this, and it matches the other loop classes.
    my $q = $self->{queue};
    if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
        my $status = $?;
        push @$q, [sub { $code->($pid, $status) }, 1];
        _tell_all($q, $kids, $pid, $status);
        return;
    }
    my $e = [$code, 0, undef, $pid];
    my $sub = $self->{le}->pid($pid, sub {
        delete $kids->{$pid};
        # Reaped here rather than by the engine, so that a SIGCHLD reaper
        # (the watch for all pids) may have taken it first: then -1.
        my $reaped = waitpid($pid, POSIX::WNOHANG()) == $pid;
        my $status = $reaped ? $? : -1;
        push @$q, [sub { $e->[CODE]->($pid, $status) if $e->[CODE] }, 1];
        _tell_all($q, $kids, $pid, $status) if $reaped;
    }, reap => 0);
    $kids->{$pid} = [$e, $sub];
    return;
}

# A child reaped by its own watch goes to the watch for all pids too.
sub _tell_all {
    my ($q, $kids, $pid, $status) = @_;
    my $all = $kids->{0} or return;
    push @$q, [sub { $all->[0][CODE]->($pid, $status) if $all->[0][CODE] }, 1];
    return;
}

sub unwatch_process {
    my ($self, $pid) = @_;
    my $kid = delete $self->{kids}{$pid} or return;
    undef $kid->[0][CODE];
    $kid->[1]->cancel if $self->{le_pid} == $$;
    return;
}

# All children at once: SIGCHLD through the loop, then waitpid(-1) until
# none is left, handing each to its own watch (if any) and to this one.
sub _watch_all_kids {
    my ($self, $code) = @_;
    my ($q, $kids) = ($self->{queue}, $self->{kids});
    my $e = [$code, 0, undef];
    my $sub = $self->{le}->signal('CHLD', sub {
        while ((my $zid = waitpid(-1, POSIX::WNOHANG())) > 0) {
            my $status = $?;
            if (my $kid = delete $kids->{$zid}) {
                $kid->[1]->cancel;
                my $one = $kid->[0];
                push @$q, [sub { $one->[CODE]->($zid, $status) if $one->[CODE] }, 1];
            }
            push @$q, [sub { $e->[CODE]->($zid, $status) if $e->[CODE] }, 1];
        }
    });
    $kids->{0} = [$e, $sub];
    return;
}

# ---- fork ---------------------------------------------------------------------------

# In a child the parent's engine loop is unusable: rebuild everything on a
# new one.  Watches of the parent's child processes are dropped (they are
# not this process's children).
sub post_fork {
    my $self = shift;
    $self->SUPER::post_fork;
    return if $self->{le_pid} == $$;
    $self->{le}     = Linux::Event::Loop->new;
    $self->{le_pid} = $$;
    for my $s (values %{ $self->{io} }) {
        delete $s->{w_obj};
        $s->{mode} = 0;
        delete $self->{io}{ $s->{fd} };
        $self->_apply_io($s);
    }
    my $timers = $self->{timers};
    $self->{timers} = {};
    $self->_arm_timer($_, $_->[4] - Time::HiRes::time()) for values %$timers;
    my $signals = $self->{signals};
    $self->{signals} = {};
    $self->watch_signal($_, $signals->{$_}[0][CODE]) for keys %$signals;
    undef $_->[0][CODE] for values %{ $self->{kids} };
    %{ $self->{kids} } = ();
    return;
}

1;

__END__

=head1 NAME

IO::Async::Loop::LinuxEvent - IO::Async on a Linux::Event loop

=head1 SYNOPSIS

  use v5.36;
  use IO::Async::Loop::LinuxEvent;
  use IO::Async::Timer::Countdown;

  my $loop = IO::Async::Loop::LinuxEvent->new;
  $loop->add(IO::Async::Timer::Countdown->new(
      delay     => 0.1,
      on_expire => sub { say 'expired'; $loop->stop },
  )->start);
  $loop->run;

=head1 DESCRIPTION

An L<IO::Async::Loop> subclass built on one L<Linux::Event::Loop>, so that
every IO::Async notifier and every C<Net::Async::*> client runs on it.
IO::Async is not a dependency of this distribution: this module loads it
when it is used.

A program that calls C<< IO::Async::Loop->new >> gets one with
C<IO_ASYNC_LOOP=LinuxEvent> in its environment:

  IO_ASYNC_LOOP=LinuxEvent perl program.pl

Everything the loop waits for lives in the engine:

=over 4

=item *

C<watch_io> / C<unwatch_io> with C<on_read_ready>, C<on_write_ready> and
C<on_hangup> on one engine watcher per file descriptor (the engine keeps one
watcher per descriptor, so the three callbacks share it).  A hang-up or an
error makes both the read and the write callback ready, as with
L<IO::Async::Loop::Epoll>; C<on_hangup> is called when C<poll(2)> reports
C<POLLHUP> or C<POLLERR> for the handle.  A handle that epoll refuses (a
regular file) is always ready, as C<poll(2)> would say.

=item *

C<watch_time> / C<unwatch_time> on the engine's timer heap (C<CLOCK_MONOTONIC>;
an C<at> time is converted from the epoch time C<< $loop->time >> gives
when the timer is set).

=item *

C<watch_signal> / C<unwatch_signal> through the loop's signal
subscriptions (L<Linux::Event::Loop/signal>).  Several raises between two cycles call the
callback once.

=item *

C<watch_process> on a pidfd (L<Linux::Event::Loop/pid>); the callback gets
C<($pid, $status)> with the raw wait status.  C<watch_process(0, ...)>
watches every child through C<SIGCHLD> (through the loop) and C<waitpid(-1)>;
while it is installed, children that also have their own watch are handed
to both.  A watched process that something else reaped first (a
C<waitpid> elsewhere) is reported with the status C<-1>.

=item *

C<watch_idle> / C<unwatch_idle> and C<later> as in L<IO::Async::Loop>:
pending idle callbacks make C<loop_once> poll instead of wait.

=back

=head1 METHODS

=head2 new

  my $loop = IO::Async::Loop::LinuxEvent->new;

A new loop with its own L<Linux::Event::Loop>.  With
C<IO_ASYNC_LOOP=LinuxEvent> in the environment,
C<< IO::Async::Loop->new >> returns one of these.

=head2 loop_once

  my $count = $loop->loop_once($timeout);

Waits at most C<$timeout> seconds (undef: until something happens; less
when a timer is due sooner; not at all when idle callbacks are pending),
then calls the callbacks of everything that became ready, then the idle
callbacks, and returns how many callbacks it called.

The engine never calls IO::Async code itself: its callbacks only queue what
became ready, and C<loop_once> calls the IO::Async callbacks after the
engine returned.  That is what lets a callback run the loop again (C<run>
inside a callback, as L<IO::Async::Loop/run> allows), and it means a
callback that a previous callback in the same cycle unwatched (or a timer it
cancelled) is not called.

=head2 watch_timer

  my $id = $loop->watch_timer(delay => 0.01, code => sub { ... });

C<watch_time> with the argument names of C<enqueue_timer> (C<delay>,
C<time>); L<IO::Async::LoopTests> uses this name for its sub-second timer
checks.

=head2 is_running

True while C<run> runs.

=head2 post_fork

  $loop->post_fork;    # in the child, if the loop is used there

The engine's loop cannot be used in a forked child; C<post_fork> (which
C<loop_once>, C<watch_io> and C<unwatch_io> call by themselves when they
see a new process id) builds a new one with the same I/O watches, pending
timers and signal watches.  Watches of child processes are dropped, since
they are the parent's children.

=head1 ERRORS

A callback that dies propagates out of C<loop_once> (and so out of
C<run>), as with IO::Async's own loop classes.  The callbacks that were
ready in the same cycle and not yet called stay queued and are called by the
next C<loop_once>; the loop stays usable.

=head1 CAPABILITIES

C<API_VERSION> is 0.76 (this class implements C<watch_process>).
C<_CAN_ON_HANGUP>, C<_CAN_SUBSECOND_ACCURATELY>, C<_CAN_WATCH_ALL_PIDS>
and C<_CAN_WATCHDOG> (C<IO_ASYNC_WATCHDOG>, by C<alarm>, around the
dispatch of each cycle) are all true.

=head1 SEE ALSO

L<IO::Async::Loop>, L<IO::Async::LoopTests>, L<Linux::Event::Loop>,
L<Mojo::Reactor::LinuxEvent>

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes IO::Async::Loop::LinuxEvent version 0.009.

=cut
