package Mojo::Reactor::LinuxEvent;
use Mojo::Base 'Mojo::Reactor';
use feature 'current_sub';

our $VERSION = '0.009';

use Carp ();
use Scalar::Util ();
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Linux::Event ();

use constant MONO => CLOCK_MONOTONIC;    # a constant sub of Time::HiRes is a call

sub new {
    my $self = shift->SUPER::new(@_);
    $self->{le}        = Linux::Event::Loop->new;
    $self->{pid}       = $$;
    $self->{queue}     = [];     # write callbacks due without the kernel (see watch)
    $self->{io}        = [];     # fd => io state
    $self->{timers}    = {};     # id => timer
    $self->{slots}     = [];     # slot => armed timer (see _arm)
    $self->{free}      = [];     # free slots
    $self->{tcbs}      = [];     # slot => its engine callback
    $self->{watched}   = 0;      # io states with an engine watcher
    $self->{seq}       = 0;
    $self->{idle}      = 0;      # engine callbacks that called no reactor callback
    $self->{passing}   = 0;      # an error event is dying (see _fail)
    $self->{in_engine} = 0;      # inside _run (so maybe inside the engine loop)
    return $self;
}

# ---- I/O ------------------------------------------------------------------------

# One state per handle, an array (its fields are read on every event, and
# an array element costs no hashing): fh, cb, w (engine watcher), mode
# (what Mojo asked for: 1 read, 2 write), kmode (what the engine
# watches), c, live, queued (it is in the queue of write callbacks due
# without the kernel), its two engine callbacks, which call the reactor
# callback (see HOW IT RUNS in the POD), and fast (see watch).  The queue
# holds the state until its callback ran (a removed state has let go of
# its handle and callback by then, and is skipped).
#
# The engine callbacks hold c, a cell [ cb, wok ] (wok: the kernel
# reported the handle writable), and the reactor weakly; they are held by
# the state.  Nothing refers to the state weakly: an array that is the
# target of a weak reference carries magic, which makes every access to
# its elements take perl's slow path.
use constant { S_FH => 0, S_CB => 1, S_W => 2, S_MODE => 3, S_KMODE => 4, S_C => 5,
               S_LIVE => 6, S_Q => 7, S_ON_READ => 8, S_ON_WRITE => 9, S_FAST => 10 };
use constant { C_CB => 0, C_WOK => 1 };

sub io {
    my ($self, $handle, $cb) = @_;
    $self->_forked if $self->{pid} != $$;
    my $fd = fileno($handle) // Carp::croak('Handle is closed');
    my $s = $self->{io}[$fd];
    if (!$s || Scalar::Util::refaddr($s->[S_FH]) != Scalar::Util::refaddr($handle)) {
        $self->_drop_io($s) if $s;
        $s = $self->{io}[$fd] = $self->_io_state($handle);
    }
    $s->[S_CB] = $s->[S_C][C_CB] = $cb;
    return $self->watch($handle, 1, 1);
}

sub watch {
    # ($self, $handle, $read, $write): @_ is read in place until the two
    # short switches below are ruled out, as copying it costs about as
    # much as they do.
    my $s = $_[0]{io}[ fileno($_[1]) // Carp::croak('I/O watcher not active') ]
        or Carp::croak('I/O watcher not active');
    # The two switches of a stream's every write, first and short: write
    # interest on for a handle known writable (see below), and off again,
    # while the kernel is not asked for it and reading stays as it is.
    # fast says when they apply: 2 (reading on) or 1 (reading off) when
    # the kernel reported the handle writable and watches no writing, else
    # 0 (see _fast).
    if ((my $f = $s->[S_FAST]) == ($_[2] ? 2 : 1)) {
        if ($_[3]) {
            $s->[S_MODE] = $f + 1;
            push @{ $_[0]{queue} }, $s unless $s->[S_Q]++;
        }
        else { $s->[S_MODE] = $f - 1 }
        $_[0];                      # (a return statement costs an op more)
    }
    else { _watch($s, @_) }
}

# The rest of watch: ($s, $self, $handle, $read, $write).
sub _watch {
    my ($s, $self) = @_;
    my $mode = ($_[3] ? 1 : 0) | ($_[4] ? 2 : 0);
    my $diff = $mode ^ $s->[S_MODE] or return $self;
    my $w = $s->[S_W];
    if ($w && $mode) {
        # Writing wanted on a handle that the kernel reported writable and
        # whose last write callback wrote all it had (so it was switched
        # off, not left waiting): the write callback is queued now, without
        # asking the kernel, which would cost two epoll_ctl calls and a
        # tick.  If that callback cannot write everything, the kernel is
        # asked after all (see _run).
        my $kmode = $mode;
        if ($diff & 2 && $mode & 2 && $s->[S_C][C_WOK] && !($s->[S_KMODE] & 2)) {
            $kmode &= 1;
            push @{ $self->{queue} }, $s unless $s->[S_Q]++;
        }
        $kmode |= $s->[S_KMODE] & 2 if $kmode == $mode && $mode & 2;
        my $kdiff = $kmode ^ $s->[S_KMODE];
        # The usual case, inline.  Reading $$ costs a system call: a fork
        # is noticed by the engine's refusal instead (here, in again and
        # in _run).
        if (!$kdiff || eval {
            if ($kdiff & 1) { $kmode & 1 ? $w->enable_read  : $w->disable_read }
            if ($kdiff & 2) { $kmode & 2 ? $w->enable_write : $w->disable_write }
            1;
        }) {
            $s->[S_MODE]  = $mode;
            $s->[S_KMODE] = $kmode;
            _fast($s);
            return $self;
        }
    }
    eval { _mode($self, $s, $mode); 1 } or do {
        _refused($self);
        _mode($self, $s, $mode);
    };
    _fast($s);
    return $self;
}

# Sets fast (see watch) after any change of the other fields.  In this
# state reading is watched by the kernel exactly as wanted, and a write
# callback is queued whenever writing is wanted.
sub _fast {
    my $s = shift;
    $s->[S_FAST] = $s->[S_LIVE] && $s->[S_C][C_WOK] && !($s->[S_KMODE] & 2) ? ($s->[S_MODE] & 1 ? 2 : 1) : 0;
    return;
}

# Switches the engine watcher to exactly $mode (1 read, 2 write), making
# or removing it as needed.
sub _mode {
    my ($self, $s, $mode) = @_;
    my $w = $s->[S_W];
    if (!$mode) {                 # nothing wanted: no engine watcher at all
        $w->cancel;
        $s->[S_W] = undef;
        $s->[S_C][C_WOK] = 0;
        $self->{watched}--;
    }
    elsif (!$w) {
        # Both handlers always; the directions not wanted are switched off.
        $s->[S_W] = $self->{le}->watch($s->[S_FH], read => $s->[S_ON_READ], write => $s->[S_ON_WRITE]);
        $self->{watched}++;
        $s->[S_W]->disable_read  unless $mode & 1;
        $s->[S_W]->disable_write unless $mode & 2;
    }
    else {
        $mode & 1 ? $w->enable_read  : $w->disable_read;
        $mode & 2 ? $w->enable_write : $w->disable_write;
    }
    $s->[S_MODE] = $s->[S_KMODE] = $mode;
    return;
}

# (the state's fields: see S_FH above)
sub _io_state {
    my ($self, $handle) = @_;
    my $c = [undef, 0];
    my $s = [$handle, undef, undef, 0, 0, $c, 1, 0, undef, undef, 0];
    Scalar::Util::weaken(my $r = $self);
    # No eval here: a callback that dies leaves the engine's cycle, which
    # _run catches and resumes (see _run).
    $s->[S_ON_READ]  = sub { $c->[C_CB]->($r, 0) };
    $s->[S_ON_WRITE] = sub { $c->[C_WOK] = 1; $c->[C_CB]->($r, 1) };
    return $s;
}

sub _drop_io {
    my ($self, $s) = @_;
    $s->[S_LIVE] = $s->[S_MODE] = $s->[S_FAST] = 0;
    if (my $w = $s->[S_W]) { $s->[S_W] = undef; $self->{watched}--; $w->cancel }
    $s->[S_FH] = $s->[S_CB] = $s->[S_C][C_CB] = $s->[S_ON_READ] = $s->[S_ON_WRITE] = undef;
    return;
}

# ---- timers ---------------------------------------------------------------------

# A timer is an array [ id, cb, after, recurring, due, armed, eid, slot ],
# made at its full length (growing it would reallocate).  due is when it
# should fire (CLOCK_MONOTONIC seconds), armed the deadline of its engine
# timer.  "again" (Mojo::IOLoop::Stream calls it on every read and write)
# only moves due later, and the engine timer, when it fires early, re-arms
# itself for the rest.
#
# The engine calls a timer back with the loop alone, so each armed timer
# needs a callback of its own.  Making and freeing a closure per timer is
# what a zero-delay timer costs most, so the closures are kept: closure
# number i serves whichever timer is in slot i, and a slot is free again
# once its timer fired for good or was removed.
use constant { T_ID => 0, T_CB => 1, T_AFTER => 2, T_REC => 3, T_DUE => 4,
               T_ARMED => 5, T_EID => 6, T_SLOT => 7 };

# _arm, inline: this is the hot path of every timer.
sub timer {
    my ($self, $after, $cb) = @_;
    my $id = 't' . ++$self->{seq};
    my $f = $self->{free};
    my $i = @$f ? pop @$f : scalar @{ $self->{slots} };
    my $due = clock_gettime(MONO) + $after;
    my $t = $self->{slots}[$i] = $self->{timers}{$id} = [$id, $cb, $after, 0, $due, $due, undef, $i];
    my $tcb = $self->{tcbs}[$i] //= _slot_cb($self, $i);
    eval { $t->[T_EID] = $self->{le}->at($due, $tcb); 1 } or _refused($self);    # _forked arms it
    return $id;
}

sub recurring {
    my $self = shift;
    my $id = $self->timer(@_);
    $self->{timers}{$id}[T_REC] = 1;
    return $id;
}

# Arms the engine timer of $t for its due time, in a slot of its own.
sub _arm {
    my ($self, $t) = @_;
    my $i = $t->[T_SLOT] //= do { my $f = $self->{free}; @$f ? pop @$f : scalar @{ $self->{slots} } };
    $self->{slots}[$i] = $t;
    my $cb = $self->{tcbs}[$i] //= _slot_cb($self, $i);
    $t->[T_EID] = $self->{le}->at($t->[T_ARMED] = $t->[T_DUE], $cb);
    return;
}

# The engine callback of slot $i; it holds the reactor weakly.
sub _slot_cb {
    my ($r, $i) = @_;
    my ($slots, $free, $timers) = @$r{qw(slots free timers)};
    Scalar::Util::weaken($r);
    return sub {
        my $t = $slots->[$i] or return $r->{idle}++;
        if ($t->[T_DUE] > $t->[T_ARMED]) {          # moved by "again"
            $t->[T_EID] = $_[0]->at($t->[T_ARMED] = $t->[T_DUE], __SUB__);
            return $r->{idle}++;
        }
        if ($t->[T_REC]) {
            $t->[T_DUE] = clock_gettime(MONO) + $t->[T_AFTER];
            $t->[T_EID] = $_[0]->at($t->[T_ARMED] = $t->[T_DUE], __SUB__);
        }
        else {
            $t->[T_ARMED] = $t->[T_SLOT] = $slots->[$i] = undef;
            push @$free, $i;
            delete $timers->{ $t->[T_ID] };
        }
        eval { $t->[T_CB]->($r); 1 } or _fail($r, "Timer failed: $@");
    };
}

# Takes $t off the engine's timer heap and frees its slot.
sub _disarm {
    my ($self, $t) = @_;
    return unless defined $t->[T_ARMED];
    $self->{le}->cancel($t->[T_EID]);
    my $i = $t->[T_SLOT];
    $self->{slots}[$i] = $t->[T_ARMED] = $t->[T_SLOT] = undef;
    push @{ $self->{free} }, $i;
    return;
}

# An engine call failed: in a forked child, move to a new engine loop
# (which arms every pending timer and watches every handle again); any
# other failure is rethrown.
sub _refused {
    my $self = shift;
    die $@ if $self->{pid} == $$;
    $self->_forked;
    return;
}

# "now" is read once per tick, as libev's ev_now is (a stream calls again
# twice per message): from the first "again" after the engine's wait
# until the tick's callbacks are done; outside a tick, every time.
sub again {
    # ($self, $id, $after), read in place (see watch) until the engine
    # timer must move.
    my $t = $_[0]{timers}{ $_[1] } or Carp::croak('Timer not active');
    # An active timer is always armed (a one-shot one is no longer active
    # when it fires); now is 0 in a tick before it is read, undef outside.
    # The value of the sub is not part of the API.
    $t->[T_ARMED] <= ($t->[T_DUE] = ($_[0]{now}
            || (defined $_[0]{now} ? ($_[0]{now} = clock_gettime(MONO)) : clock_gettime(MONO)))
        + (defined $_[2] ? ($t->[T_AFTER] = $_[2]) : $t->[T_AFTER]))
        or _rearm($_[0], $t);
}

# again moved $t before its engine timer: that one must move.
sub _rearm {
    my ($self, $t) = @_;
    eval {
        $self->{le}->cancel($t->[T_EID]);
        _arm($self, $t);
        1;
    } or _refused($self);           # _forked arms it
    return;
}

sub next_tick {
    my ($self, $cb) = @_;
    push @{ $self->{next_tick} }, $cb;
    return undef if defined $self->{tick_armed};
    eval { _arm_tick($self); 1 } or do {
        _refused($self);
        _arm_tick($self) unless defined $self->{tick_armed};
    };
    return undef;
}

sub _arm_tick {
    my $self = shift;
    my $cb = $self->{tick_cb} //= do {
        Scalar::Util::weaken(my $r = $self);
        sub { _ticks($r) };
    };
    $self->{tick_armed} = $self->{le}->after(0, $cb);
    return;
}

sub _ticks {
    my $self = shift;
    delete $self->{tick_armed};
    my $ticks = delete $self->{next_tick} or return $self->{idle}++;
    eval { $_->($self); 1 } or _fail($self, "Timer failed: $@") for @$ticks;
    return;
}

# A timer or next_tick callback died (in the engine): reports it.  With no
# error subscriber emit dies, and _run passes that on as it is.
sub _fail {
    my ($self, $err) = @_;
    $self->{passing} = 1;
    $self->emit(error => $err);
    $self->{passing} = 0;
    return;
}

sub remove {
    my ($self, $what) = @_;
    if (ref $what) {
        my $fd = fileno($what) // Carp::croak('Handle is closed');
        my $s = $self->{io}[$fd] or return !!0;
        $self->{io}[$fd] = undef;
        eval { $self->_drop_io($s); 1 } or _refused($self);
        return !!1;
    }
    my $t = delete $self->{timers}{$what} or return !!0;
    eval { _disarm($self, $t); 1 } or _refused($self);
    return !!1;
}

sub reset {
    my $self = shift;
    $self->_forked if $self->{pid} != $$;
    $self->_drop_io($_) for grep defined, @{ $self->{io} };
    _disarm($self, $_) for values %{ $self->{timers} };
    $self->{le}->cancel(delete $self->{tick_armed}) if defined $self->{tick_armed};
    @{ $self->{queue} } = ();
    @{ $self->{io} } = ();
    %{ $self->{timers} } = ();
    delete @$self{qw(events next_tick running)};
    return;
}

# ---- running --------------------------------------------------------------------

sub is_running { !!shift->{running} }

sub start {
    my $self = shift;
    local $self->{running} = ($self->{running} || 0) + 1;
    _run($self, 0);
    $self->{now} &&= 0;             # nested: the outer tick's time is old now
    return;
}

sub stop { delete shift->{running}; return }

# Waits until something happened and dispatches it: I/O callbacks, timers
# and next_tick callbacks, in the order the engine saw them.  Returns at
# once (and stops the reactor) when nothing is watched.
sub one_tick {
    my $self = shift;
    local $self->{running} = 1 unless $self->{running};
    _run($self, 1);
    $self->{now} &&= 0;             # nested: the outer tick's time is old now
    return;
}

# The loop of start (until stopped) and of one_tick (until a callback ran).
# The engine calls the reactor callbacks; what it cannot call (a write
# callback due without the kernel) is queued and called after it returns.
# One eval guards the whole loop, not one per callback (an eval costs as
# much as a few statements, and a round trip of a stream had four).  An
# I/O callback that dies leaves the engine's cycle where it was; the error
# is emitted here, and the engine's next cycle dispatches the rest of the
# old one first, without waiting (so a stop or the end of a one_tick
# leaves them to the next run).  When something dies, $cur says whether
# it was a queued callback; otherwise it was an I/O callback called by the
# engine (timer and next_tick callbacks report their own, see _fail), or
# the engine, which refuses to run in a forked child.
sub _run {
    my ($self, $once) = @_;
    # Called from a callback (which the engine may have called): the
    # engine loop cannot run inside itself, so everything moves to a new
    # one.
    if ($self->{in_engine}) { $self->{pid} == $$ ? _move($self) : _forked($self) }
    local $self->{in_engine} = 1;
    local $self->{passing} = 0;
    local $self->{now} = 0;         # see again
    my $q = $self->{queue};
    my ($cur, $got);
    until (eval {
        while (1) {
            while ($cur = shift @$q) {
                $cur->[S_Q] = 0;
                next unless $cur->[S_MODE] & 2;      # not since switched off or removed
                $got = 1;
                $cur->[S_CB]->($self, 1);
                _write_full($self, $cur) if $cur->[S_MODE] & 2 && $cur->[S_FAST];
            }
            $self->{now} = 0;
            last if !$self->{running} || $once && $got;
            if (!($self->{watched} || %{ $self->{timers} } || $self->{next_tick})) {
                $self->stop;
                last;
            }
            # A function call: the loop is always a Linux::Event::Loop,
            # and resolving the method costs more than the call.
            if (!$once) { Linux::Event::Loop::run_once($self->{le}) }
            else {                              # did a reactor callback run?
                $self->{idle} = 0;
                $got = 1 if Linux::Event::Loop::run_once($self->{le}) > $self->{idle};
            }
        }
        1;
    }) {
        my $err = $@;
        if (my $s = $cur) {
            $cur = undef;
            $self->emit(error => "I/O watcher failed: $err");
            _write_full($self, $s) if $s->[S_MODE] & 2 && $s->[S_FAST];
        }
        elsif ($self->{pid} != $$) { _forked($self) }
        elsif ($self->{passing} || $err =~ /^Linux::Event::Loop: (?:epoll_wait failed|cannot)/) { die $err }
        else {
            $got = 1;
            $self->emit(error => "I/O watcher failed: $err");
        }
    }
    return;
}

# Still writing after a write callback the kernel was not asked for: the
# kernel's buffer is full, ask it now.
sub _write_full {
    my ($self, $s) = @_;
    $s->[S_C][C_WOK] = $s->[S_FAST] = 0;
    eval { $s->[S_W]->enable_write; 1 } or return _refused($self);    # _forked asks
    $s->[S_KMODE] |= 2;
    return;
}

# Moves every watcher and timer to a new engine loop, taking them off the
# old one unless the process forked (Mojo::Server::Prefork's workers go on
# with the manager's reactor: there the old loop is unusable).
sub _move {
    my ($self, $forked) = @_;
    my $old = $self->{le};
    my $le = $self->{le} = Linux::Event::Loop->new;
    for my $s (@{ $self->{io} }) {
        my $w = $s && $s->[S_W] or next;
        $w->cancel unless $forked;
        $s->[S_W] = $le->watch($s->[S_FH], read => $s->[S_ON_READ], write => $s->[S_ON_WRITE]);
        $s->[S_W]->disable_read  unless $s->[S_MODE] & 1;
        $s->[S_W]->disable_write unless $s->[S_MODE] & 2;
        $s->[S_KMODE] = $s->[S_MODE];
        _fast($s);
    }
    for my $t (values %{ $self->{timers} }) {
        next unless defined $t->[T_ARMED];
        $old->cancel($t->[T_EID]) unless $forked;
        $t->[T_EID] = $le->at($t->[T_ARMED] = $t->[T_DUE], $self->{tcbs}[ $t->[T_SLOT] ]);
    }
    if (defined(my $tick = delete $self->{tick_armed})) {
        $old->cancel($tick) unless $forked;
        _arm_tick($self);
    }
    return;
}

sub _forked {
    my $self = shift;
    $self->{pid} = $$;
    _move($self, 1);
    return;
}

1;

__END__

=head1 NAME

Mojo::Reactor::LinuxEvent - a Mojolicious reactor on a Linux::Event loop

=head1 SYNOPSIS

  use v5.36;
  BEGIN { $ENV{MOJO_REACTOR} = 'Mojo::Reactor::LinuxEvent' }   # before Mojo::IOLoop loads
  use Mojo::IOLoop;

  say ref Mojo::IOLoop->singleton->reactor;                     # Mojo::Reactor::LinuxEvent
  Mojo::IOLoop->timer(0.1 => sub ($loop) { say 'a tenth of a second'; $loop->stop });
  Mojo::IOLoop->start;

  # or a reactor of its own
  use Mojo::Reactor::LinuxEvent;
  my $reactor = Mojo::Reactor::LinuxEvent->new;
  $reactor->recurring(0.05 => sub ($reactor) { say 'tick' });
  $reactor->timer(0.2 => sub ($reactor) { $reactor->stop });
  $reactor->start;

=head1 DESCRIPTION

A L<Mojo::Reactor> built on one L<Linux::Event::Loop>, so that Mojo::IOLoop,
Mojo::Server::Daemon, Mojo::UserAgent and every Mojolicious application run
on it.  L<Mojo::Reactor/detect> picks it when the environment variable
C<MOJO_REACTOR> names it.  Mojolicious is not a dependency of this
distribution: this module loads it when it is used.

A Mojolicious application picks it from the environment:

  MOJO_REACTOR=Mojo::Reactor::LinuxEvent perl app.pl daemon

Unlike L<Mojo::Reactor::EV>, which can exist only once per process, every
C<new> gives an independent reactor with its own engine loop.

=head1 EVENTS

=head2 error

  $reactor->on(error => sub ($reactor, $err) { ... });

Emitted for an I/O watcher, timer or C<next_tick> callback that died, with
C<"I/O watcher failed: ...">, C<"Timer failed: ..."> as the message, as
L<Mojo::Reactor::Poll> does; with no subscriber the exception propagates out
of C<one_tick> (and C<start>).  The reactor stays usable either way.

=head1 METHODS

The methods of L<Mojo::Reactor>, with the same behaviour as in
L<Mojo::Reactor::Poll> and L<Mojo::Reactor::EV>:

=head2 io

  $reactor = $reactor->io($handle => sub ($reactor, $writable) { ... });

Watches C<$handle> for reading and writing (use L</watch> to change that),
replacing the callback of an earlier C<io> on the same handle.  Croaks
C<Handle is closed> for a closed handle.

=head2 watch

  $reactor = $reactor->watch($handle, $readable, $writable);

Changes what is watched; C<(0, 0)> removes the engine watcher until the
next C<watch>.  Croaks C<I/O watcher not active> for a handle that has no
C<io>.

=head2 timer, recurring

  my $id = $reactor->timer(0.5 => sub ($reactor) { ... });
  my $id = $reactor->recurring(0.5 => sub ($reactor) { ... });

One-shot and recurring timers on the engine's timer heap
(C<CLOCK_MONOTONIC>, millisecond resolution, never early).  A recurring
timer is re-armed when it fires, so its period counts from the moment the
engine fires it; a period of 0 fires once per C<one_tick>.  The id is a
short string, unique within the reactor.

=head2 again

  $reactor->again($id);
  $reactor->again($id, 0.25);

Restarts an active timer from now, with a new delay if one is given (which
also becomes the period of a recurring timer).  Croaks C<Timer not active>
otherwise.  In a callback, "now" is read once per tick, much as
L<Mojo::Reactor::EV> uses libev's loop time (see L</HOW IT RUNS>).

=head2 next_tick

  $reactor->next_tick(sub ($reactor) { ... });

Calls the callback on the next tick, after the events of the current one,
in the order they were added; returns undef.

=head2 remove

  my $bool = $reactor->remove($handle);
  my $bool = $reactor->remove($id);

Removes an I/O watcher or a timer; true if there was one.  An event of it
that is already due in the current tick is not delivered.

=head2 reset

Removes every I/O watcher, timer, pending C<next_tick> callback and event
subscriber (L<Mojo::EventEmitter>), and stops the reactor.

=head2 one_tick

Waits until at least one callback ran (or the reactor was stopped) and
returns; returns at once, stopping the reactor, when nothing is watched.
A Perl C<%SIG> handler that ran during the wait counts as a callback.
May be called from a callback.

=head2 start, stop, is_running

C<start> runs ticks until C<stop>; it returns at once when nothing is
watched.  C<is_running> is true while C<start> or C<one_tick> runs.

=head1 HOW IT RUNS

The engine calls the reactor callbacks itself, in the order it finds them
ready: I/O first, then due timers and C<next_tick>.  A watcher or timer
that an earlier callback of the same tick removed (or C<reset>) is not
called.  A callback that dies reaches the C<error> event, as with
L<Mojo::Reactor::Poll>.  Timer and C<next_tick> callbacks are each guarded
by an C<eval>; I/O callbacks are not (an C<eval> costs as much as several
statements, and a stream's round trip has two): one that dies leaves the
engine's cycle where it was, the reactor emits C<error>, and the engine's
next cycle first dispatches what the old one had left, without waiting.
So the order of callbacks is the same as with an C<eval> each, except that
a C<stop> in the error handler, or the end of a C<one_tick>, leaves the
rest of that cycle to the next C<start> or C<one_tick> (nothing is lost).

An engine loop cannot run inside one of its own callbacks, and a reactor
callback may call C<one_tick> (or C<start>).  When it does, the reactor
moves every watcher, timer and pending C<next_tick> to a new engine loop
and runs that one; the old loop finishes its cycle with nothing of the
reactor left on it.  Nothing is lost: handles are watched level-triggered,
so what was ready on the old loop is reported again on the new one, and
timers keep their deadlines.  This costs a new epoll set and one
C<epoll_ctl> per watched handle, once per nesting; Mojolicious itself does
not nest (its blocking L<Mojo::UserAgent> uses a reactor of its own).

Timers never cost a closure each: the engine callbacks of timers are kept
and reused.  L</again> reads the clock once per tick, as libev's C<again>
uses C<ev_now>: a timer restarted late in a long tick counts from the
first restart of that tick, never from before the tick's wait ended.

Writing is the other difference from Poll and EV.  When write interest is switched on
(C<watch($handle, $r, 1)>) for a handle that the kernel has already
reported writable and whose last write callback switched write interest off
again (it wrote all it had, as L<Mojo::IOLoop::Stream> does), the write
callback is queued, to be called in the same tick after the engine's
callbacks, instead of asking the kernel
and waiting for the next one; only if that callback leaves write interest
on (the kernel's buffer was full) is the kernel asked.  A queued callback
is not called if write interest was switched off again (or the handle
removed) before its turn.  So a stream's write
costs no C<epoll_ctl> and no extra tick.  A write callback can therefore
find the buffer full (C<EAGAIN>) where L<Mojo::Reactor::Poll> would not have
called it yet; Mojo's streams, and any non-blocking writer, handle that.
A handle that was never reported writable (a connecting socket, a listening
one) is always asked of the kernel.

=head1 SEE ALSO

L<Mojo::Reactor>, L<Mojo::IOLoop>, L<Linux::Event::Loop>,
L<IO::Async::Loop::LinuxEvent>

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Mojo::Reactor::LinuxEvent version 0.009.

=cut
