package AnyEvent::Impl::LinuxEvent;
use v5.36;

our $VERSION = '0.009';

use AnyEvent ();
use Carp ();
use overload ();
use POSIX ();
use Scalar::Util ();
use Time::HiRes ();
use Linux::Event ();

# The one loop every AnyEvent watcher of this process lives in.  A
# Future::IO::Impl::LinuxEvent loaded first has made one already: share it.
our $LOOP = $Future::IO::Impl::LinuxEvent::LOOP // Linux::Event->new;

# Called with the error of a callback that died; see ERRORS in the POD.
our $DIED //= sub ($err) { warn "AnyEvent::Impl::LinuxEvent: error in callback (ignoring): $err" };

sub linux_event_loop { $LOOP }

# ---- callbacks and croaks -------------------------------------------------

# A callback as a CODE reference: condition variables and other objects that
# overload &{} are accepted, as AnyEvent allows, and blessed code too.
sub _code ($cb, $what) {
    return $cb if ref $cb eq 'CODE';
    return \&$cb if Scalar::Util::blessed($cb) && overload::Method($cb, '&{}');
    return $cb if (Scalar::Util::reftype($cb) // '') eq 'CODE';
    _croak("AnyEvent->$what called with illegal cb argument '" . ($cb // 'undef') . "'");
}

# Croaks from the line of the user's call, not from this file or AnyEvent's.
sub _croak ($msg) {
    local @Carp::Internal{qw(AE AnyEvent::Impl::LinuxEvent AnyEvent::CondVar AnyEvent::CondVar::Base)}
        = (1) x 4;
    Carp::croak($msg);
}

# Runs a loop method; a croak of the loop (a bad handle, a forked child)
# is reported from the user's line, under the AnyEvent method's name.
sub _loop_call ($what, $code) {
    my @r;
    return $r[0] if eval { @r = $code->(); 1 };
    _relocate($what, $@);
}

sub _relocate ($what, $err) {
    die $err if ref $err;
    $err =~ s/ at \S+ line \d+(?:, <[^>]*> (?:line|chunk) \d+)?\.?\n\z//;
    _croak("AnyEvent->$what: $err");
}

# ---- timers ---------------------------------------------------------------
#
# AE::timer is Linux::Event::Loop::_ae_timer, an XSUB of the engine (see
# csrc/shim.c): a one-shot timer with a code reference goes straight to the
# loop, with the user's callback itself, and returns the loop's timer guard,
# whose DESTROY (in the engine too) cancels the timer if it is pending and
# leaves the loop alone in a forked child or another thread.  Everything
# else comes to _timer_slow below, with the same arguments, which croaks
# from the user's line.  A repeating timer re-arms from a small closure; its
# guard holds a reference to the current id.

Linux::Event::Loop::_ae_bind($LOOP);
Scalar::Util::set_prototype(\&Linux::Event::Loop::_ae_timer, '$$$');
*_timer = \&Linux::Event::Loop::_ae_timer;

sub _timer_slow ($after, $interval, $cb) {
    $cb = _code($cb, 'timer');
    return _repeat($after, $interval, $cb) if $interval;
    return Linux::Event::Loop::_after_guard($LOOP, $after, $cb)
        // _loop_call(timer => sub { $LOOP->after($after, $cb) });
}

sub _repeat ($after, $interval, $cb) {
    _croak("AnyEvent->timer called with illegal interval argument '$interval'")
        unless Scalar::Util::looks_like_number($interval) && $interval > 0 && $interval < 9**9**9;
    my $id;
    my $tick = sub { $id = $LOOP->after($interval, __SUB__); &$cb };
    $id = _loop_call(timer => sub { $LOOP->after($after, $tick) });
    return bless \\$id, 'AnyEvent::Impl::LinuxEvent::repeat';
}

{
    # A guard dropped in a forked child (at the latest when the child exits)
    # must not touch the parent's loop: the loop croaks there, and a croak in
    # DESTROY becomes an "(in cleanup)" warning, of category misc, which is
    # silenced here.
    no warnings 'misc';
    sub AnyEvent::Impl::LinuxEvent::repeat::DESTROY { Linux::Event::Loop::cancel($LOOP, ${ ${ $_[0] } }) }
}

sub timer ($class, %arg) {
    _croak("AnyEvent->timer called without mandatory 'after' parameter") unless exists $arg{after};
    return _timer($arg{after}, $arg{interval}, _code($arg{cb}, 'timer'));
}

# ---- I/O ------------------------------------------------------------------
#
# The loop has one watcher per file descriptor; AnyEvent allows any number of
# io watchers per handle and direction.  One record per fd holds the loop's
# watcher and, per direction, the list of entries ([$cb], emptied when its
# guard goes).  With one entry the loop calls the user's callback directly;
# with more, a closure that calls each entry that is still there.

my %FD;    # fd => [ $watcher, \@read, \@write, $fh, $fd, $read_fanout, $write_fanout ]

sub _io :prototype($$$) {
    my $dir = $_[1] ? 2 : 1;
    my $cb  = ref $_[2] eq 'CODE' ? $_[2] : _code($_[2], 'io');
    my ($fd, $fh) = _fd($_[0], $dir);
    my $rec = $FD{$fd};
    my $e = [$cb];
    if ($rec && $rec->[0]->is_active) {
        push @{ $rec->[$dir] }, $e;
        _sync($rec, $dir);
    }
    else {
        my $w = _loop_call(io => sub { $LOOP->watch($fh, ($dir == 1 ? 'read' : 'write') => $cb) });
        $rec = $FD{$fd} = [$w, [], [], $fh, $fd];
        push @{ $rec->[$dir] }, $e;
    }
    return bless [$rec, $dir, $e], 'AnyEvent::Impl::LinuxEvent::io';
}

# The descriptor and the handle to watch: the handle itself, or for a bare
# descriptor number a dup of it.
sub _fd ($fh, $dir) {
    _croak("AnyEvent->io called with illegal fh argument 'undef'") unless defined $fh;
    if (!ref $fh && ref \$fh ne 'GLOB') {
        _croak("AnyEvent->io called with illegal fh argument '$fh'") unless $fh =~ /\A\s*\d+\s*\z/;
        my ($dup) = eval { AnyEvent::_dupfh($dir == 1 ? 'r' : 'w', 0 + $fh) };
        _croak("AnyEvent->io called with illegal fh argument '$fh' (not an open file descriptor)")
            unless $dup;
        return (fileno $dup, $dup);
    }
    my $fd = eval { fileno $fh };
    _croak("AnyEvent->io called with illegal fh argument '$fh' (no open file descriptor)")
        unless defined $fd && $fd >= 0;
    return ($fd, $fh);
}

# Brings the loop's watcher of $rec in line with its list for $dir.
sub _sync ($rec, $dir) {
    return unless ($FD{ $rec->[4] } // 0) == $rec;    # replaced: not ours to change
    my ($w, $list) = ($rec->[0], $rec->[$dir]);
    if (!@$list) {
        if (!@{ $rec->[3 - $dir] }) {
            delete $FD{ $rec->[4] };
            $w->cancel;
        }
        elsif ($dir == 1) { $w->on_read(undef) }
        else              { $w->on_write(undef) }
        return;
    }
    my $h = @$list == 1 ? $list->[0][0] : ($rec->[4 + $dir] //= _fanout($list));
    if ($dir == 1) { $w->on_read($h)->enable_read }
    else           { $w->on_write($h)->enable_write }
}

sub _fanout ($list) {
    return sub {
        for my $e (@{ [@$list] }) { &{ $e->[0] } if $e->[0] }
    };
}

sub AnyEvent::Impl::LinuxEvent::io::DESTROY {
    my ($rec, $dir, $e) = @{ $_[0] };
    $e->[0] = undef;
    @{ $rec->[$dir] } = grep { $_ != $e } @{ $rec->[$dir] };
    local $@;
    eval { _sync($rec, $dir) };    # in a forked child the parent's loop croaks
}

sub io ($class, %arg) {
    _croak("AnyEvent->io called with illegal poll argument '" . ($arg{poll} // 'undef') . "'")
        unless defined $arg{poll} && $arg{poll} =~ /\A[rw]\z/;
    return _io($arg{fh}, $arg{poll} eq 'w', _code($arg{cb}, 'io'));
}

# ---- signals ----------------------------------------------------------------
#
# The loop has one handler per signal; AnyEvent allows several watchers.

my (%SIG_SUB, %SIG_CBS);    # signo => subscription / [ entries ]

sub _signal :prototype($$) {
    my ($sig, $cb) = ($_[0], ref $_[1] eq 'CODE' ? $_[1] : _code($_[1], 'signal'));
    my $signo = eval { Linux::Event::Loop::_signal_number($sig) }
        // _croak("AnyEvent->signal called with illegal signal name '" . ($sig // 'undef') . "'");
    my $list = $SIG_CBS{$signo} //= [];
    $SIG_SUB{$signo} //= _loop_call(signal => sub { $LOOP->signal($signo, _fanout($list)) });
    push @$list, my $e = [$cb];
    return bless [$signo, $e], 'AnyEvent::Impl::LinuxEvent::signal';
}

# When the last watcher of a signal goes, its subscription goes, and the
# loop gives the signal its disposition back (the %SIG handler or the
# default action), as in AnyEvent's other models.
sub AnyEvent::Impl::LinuxEvent::signal::DESTROY {
    my ($signo, $e) = @{ $_[0] };
    $e->[0] = undef;
    my $list = $SIG_CBS{$signo} or return;
    @$list = grep { $_ != $e } @$list;
    return if @$list;
    delete $SIG_CBS{$signo};
    local $@;
    eval { (delete $SIG_SUB{$signo})->cancel };    # a forked child: not ours
}

sub signal ($class, %arg) { _signal($arg{signal}, _code($arg{cb}, 'signal')) }

# ---- child processes --------------------------------------------------------
#
# A watched pid is watched through a pidfd (notify only), and reaped here
# with waitpid, so that the watchers of pid 0 (any child), which reap with
# waitpid(-1) on SIGCHLD, and those of one pid never take a child from each
# other: whoever reaps it reports it to both.

my (%PID_SUB, %PID_CBS, $CHLD);    # pid => subscription, pid => [ entries ]

sub _child :prototype($$) {
    my ($pid, $cb) = ($_[0], ref $_[1] eq 'CODE' ? $_[1] : _code($_[1], 'child'));
    _croak("AnyEvent->child called with malformed pid value '" . ($pid // 'undef') . "'")
        unless defined $pid && !ref $pid && $pid =~ /\A[0-9]+\z/ && $pid <= 2**31 - 1;
    $pid += 0;
    if ($pid == 0) {
        $CHLD //= _signal(CHLD => \&_reap_any);
        _loop_call(child => sub { $LOOP->after(0, \&_reap_any) });    # one may have exited already
    }
    else {
        $PID_SUB{$pid} //= _loop_call(child => sub { $LOOP->pid($pid, \&_exited, reap => 0) });
    }
    push @{ $PID_CBS{$pid} }, my $e = [$cb];
    return bless [$pid, $e], 'AnyEvent::Impl::LinuxEvent::child';
}

sub _exited ($loop, $pid, $, $) {
    delete $PID_SUB{$pid};
    local ($?, $!);
    _report($pid, $?) if waitpid($pid, POSIX::WNOHANG()) == $pid;
}

sub _reap_any {
    local ($?, $!);
    while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
        if (my $sub = delete $PID_SUB{$pid}) { $sub->cancel }
        _report($pid, $?);
    }
}

sub _report ($pid, $status) {
    for my $e (@{ [ @{ $PID_CBS{$pid} // [] }, @{ $PID_CBS{0} // [] } ] }) {
        $e->[0]->($pid, $status) if $e->[0];
    }
}

sub AnyEvent::Impl::LinuxEvent::child::DESTROY {
    my ($pid, $e) = @{ $_[0] };
    $e->[0] = undef;
    my $list = $PID_CBS{$pid} or return;
    @$list = grep { $_ != $e } @$list;
    return if @$list;
    delete $PID_CBS{$pid};
    local $@;
    if ($pid == 0)                      { undef $CHLD }
    elsif (my $sub = delete $PID_SUB{$pid}) { eval { $sub->cancel } }
}

sub child ($class, %arg) { _child($arg{pid}, _code($arg{cb}, 'child')) }

# ---- idle watchers, and the blocking waits ----------------------------------
#
# An idle callback runs when a cycle of the loop found nothing else to do.
# The waits below poll instead of blocking while idle watchers exist.

my @IDLE;        # entries
our $WAITING;    # a condvar's wait is in $LOOP->run: a send stops it

sub _idle :prototype($) {
    my $cb = ref $_[0] eq 'CODE' ? $_[0] : _code($_[0], 'idle');
    push @IDLE, my $e = [$cb];
    $LOOP->stop if $WAITING;    # leave the blocking run, start polling
    return bless [$e], 'AnyEvent::Impl::LinuxEvent::idle';
}

sub AnyEvent::Impl::LinuxEvent::idle::DESTROY {
    my $e = $_[0][0];
    $e->[0] = undef;
    @IDLE = grep { $_ != $e } @IDLE;
}

sub idle ($class, %arg) { _idle(_code($arg{cb}, 'idle')) }

sub _run_idle {
    for my $e (@{ [@IDLE] }) { $e->[0]->() if $e->[0] }
}

# One cycle: block until something happens, or, with idle watchers, poll
# and run them if nothing else ran.
sub _poll {
    eval {
        if (@IDLE) { $LOOP->run_once(0) or _run_idle() }
        else       { $LOOP->run_once }
        1;
    } or _died($@, '_poll');
    return;
}

# The error of a wait: a callback's goes to $DIED; the loop's own refusal to
# run (in a forked child, in another thread, from inside one of its
# callbacks) is the caller's error, and waiting again would only repeat it.
sub _died ($err, $what) {
    _relocate($what, $err) if !ref $err && $err =~ /\ALinux::Event::Loop: /;
    $DIED->($err);
}
*one_event = \&_poll;

# A condvar's recv: the loop runs until the condvar is sent (its _send stops
# the loop), without coming back to Perl between cycles.
no warnings 'redefine';    # AnyEvent's own _wait and _send

sub AnyEvent::CondVar::Base::_wait {
    my $cv = $_[0];
    until (exists $cv->{_ae_sent}) {
        if (@IDLE) { _poll(); next }
        local $WAITING = 1;
        eval { $LOOP->run; 1 } or _died($@, 'recv');
    }
}

sub AnyEvent::CondVar::Base::_send {
    $LOOP->stop if $WAITING;
}

use warnings 'redefine';

# ---- time -------------------------------------------------------------------
#
# AnyEvent's clock is the wall clock; the loop keeps its timers on the
# monotonic clock, so no cached time is needed: now is always current.

sub time       { Time::HiRes::time() }
sub now        { Time::HiRes::time() }
sub now_update { }

{
    no warnings 'redefine';
    *AE::timer      = \&_timer;
    *AE::io         = \&_io;
    *AE::signal     = \&_signal;
    *AE::child      = \&_child;
    *AE::idle       = \&_idle;
    *AE::time       = \&Time::HiRes::time;
    *AE::now        = \&Time::HiRes::time;
    *AE::now_update = sub :prototype() { };
}

1;

__END__

=head1 NAME

AnyEvent::Impl::LinuxEvent - AnyEvent on a Linux::Event loop

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;    # loaded before AnyEvent picks a model: it picks this one
  use AnyEvent;

  my $cv = AE::cv;
  my $w  = AE::timer 0.01, 0, sub { $cv->send('done') };
  say $cv->recv;
  say AnyEvent::detect();    # AnyEvent::Impl::LinuxEvent

  # the Linux::Event loop under AnyEvent, for its own features
  my $loop  = AnyEvent::Impl::LinuxEvent->linux_event_loop;
  my $waker = $loop->waker;
  $waker->on_wakeup(sub ($loop, $count) { $cv->send });

=head1 DESCRIPTION

This module is AnyEvent's model (its "event loop backend") for
L<Linux::Event>: with it, everything written for L<AnyEvent> (L<AE>,
L<AnyEvent::Handle>, L<AnyEvent::Socket>, L<AnyEvent::HTTP> and the
clients built on them) runs on one L<Linux::Event::Loop>.

AnyEvent chooses it

=over 4

=item *

when C<PERL_ANYEVENT_MODEL=LinuxEvent> is set in the environment;

=item *

when L<Linux::Event> was loaded before AnyEvent picks its model (at the
first watcher created): C<use Linux::Event> registers this model with
C<@AnyEvent::REGISTRY>, without loading anything of AnyEvent, and AnyEvent
prefers a registered loop that is already loaded to the ones it knows.

=back

You never call this module's functions yourself: create watchers through
L<AnyEvent> or L<AE> as usual.

=head1 THE WATCHERS

All of AnyEvent's watchers are implemented, and each is cancelled when its
guard (the object the call returned) is destroyed.

=over 4

=item io

Level-triggered, as in every AnyEvent model.  The loop has one watcher per
file descriptor, and AnyEvent allows any number of io watchers on one
handle and direction: this model keeps a list per descriptor and direction
and multiplexes them over the loop's watcher, so that two C<AE::io> on the
same handle both fire and destroying one leaves the other.  With a single
watcher per direction, the loop calls your callback directly.  A bare file
descriptor number is accepted (it is dup'ed, as AnyEvent does for loops
without it).  A handle on a regular file or a directory cannot be watched
with epoll: C<AE::io> croaks for it.

=item timer

One-shot timers, and repeating ones with C<interval>, on the loop's timer
heap.  The callback of a one-shot timer is handed to the loop as it is.

=item signal

Through the loop's signal subscriptions (see L<Linux::Event::Signal>): the
loop catches the signal while at least one watcher exists, so C<%SIG>
handlers are not called for it, and arrivals between two cycles are
coalesced into one call of each watcher, as AnyEvent allows.  Several
watchers for one signal are multiplexed over the loop's single handler.
When the last watcher of a signal goes, the signal gets back the
disposition the program had, so its C<%SIG> handler or default action
applies as before; an arrival not yet dispatched at that moment is
discarded.  The signal mask is never changed, so child processes start
with the program's mask.

=item child

A child watcher for a pid watches that process through a pidfd (see
L<Linux::Event::Pid>) and reaps it with C<waitpid> when it exits; the
callback gets the pid and the wait status.  A watcher for pid 0 (any child)
reaps every child that exits, on C<SIGCHLD>.  Both report each child to the
watchers of its pid and to those of pid 0, whichever reaps it.  A pid that
does not exist croaks (C<no such process>); a process that is not a child
of this one is never reported.

=item idle

An idle callback runs when a cycle of the loop finds nothing else to do
(the loop then polls instead of blocking, so an idle watcher keeps the CPU
busy, as in every model).  Idle watchers are run by AnyEvent's waits
(C<< $cv->recv >>); a loop run with C<< $loop->run >> does not run them.

=item now, now_update, time

AnyEvent's clock is the wall clock: C<now> and C<time> both return
C<Time::HiRes::time>, and C<now_update> does nothing.  Timers do not depend
on it: the loop keeps them on C<CLOCK_MONOTONIC>.

=back

Callbacks get arguments from the loop (the loop, the handle...), as other
models pass theirs; AnyEvent leaves their presence and value undefined, so
do not rely on them.

=head1 WAITING

C<< $cv->recv >> runs the loop (C<< $loop->run >>, without returning to
Perl between cycles) until the condition variable is sent; C<send> stops the
loop.  C<< AnyEvent->_poll >> and C<< AnyEvent->one_event >> run one cycle.
A recursive wait, from inside a callback, croaks as in every model
(C<recursive blocking wait>), and so does C<_poll> from inside a callback
(the loop croaks with C<already running>).  There is no C<loop> method
(AnyEvent 6 dropped it).

=head1 THE LINUX::EVENT LOOP

  my $loop = AnyEvent::Impl::LinuxEvent->linux_event_loop;

returns the L<Linux::Event::Loop> that runs every AnyEvent watcher of the
process (C<AnyEvent-E<gt>linux_event_loop> works too, once AnyEvent has
picked this model).  Use it for what AnyEvent has no word for:

=over 4

=item *

the waker (L<Linux::Event::Wakeup>): another thread or a forked child
calls C<< $waker->signal >>, and C<on_wakeup> runs in the loop, e.g. to
C<< $cv->send >>:

  my $waker = $loop->waker;    # before starting threads or forking
  $waker->on_wakeup(sub ($loop, $count) { $cv->send });
  threads->create(sub { ...; $waker->signal });
  $cv->recv;

=item *

C<< $loop->stop >> from another thread ends a C<< $loop->run >> that you
run yourself instead of a C<recv>.  It does not end a C<< $cv->recv >>,
which only returns once its condition variable is sent: use the waker for
that, as above.

=item *

your own watchers, timers, signals and pids, through the loop's own API.
The loop has one watcher per file descriptor: do not watch a descriptor
through the loop that AnyEvent watches too (the later watch replaces the
earlier).

=back

L<Future::IO::Impl::LinuxEvent> uses the same loop when both are loaded,
so futures and AnyEvent watchers run together.

=head1 ERRORS

Bad arguments croak from the caller's line, with messages in the style of
L<AnyEvent::Strict> (C<AnyEvent-E<gt>io called with illegal fh argument
...>): a callback that is not code (condition variables and objects that
overload C<&{}> are code), a handle without a file descriptor, an unknown
signal name, a pid that is not a non-negative integer, an interval that is
not a positive number.  A croak of the loop itself (a time that is not a
number, a descriptor epoll refuses) is reported from the caller's line too.

A callback that dies is handled as in AnyEvent's EV model: the error is
passed to C<$AnyEvent::Impl::LinuxEvent::DIED>, which by default warns
C<AnyEvent::Impl::LinuxEvent: error in callback (ignoring): ...>, and the
wait goes on (nothing else is lost: the loop dispatches what was not
dispatched yet in the next cycle).  To have the error propagate out of
C<< $cv->recv >> instead (as AnyEvent's pure-Perl model does), rethrow it:

  $AnyEvent::Impl::LinuxEvent::DIED = sub ($err) { die $err };

It may be set before AnyEvent loads this model (a value set then is kept).
Only callbacks' errors go to C<$DIED>: when the loop refuses to run at all
(in a forked child, in another thread, from inside one of its own
callbacks), C<recv> and C<_poll> croak with the loop's message, from the
caller's line.

=head1 FORK AND THREADS

The loop belongs to the process and thread that loaded this model.  In a
forked child, creating an AnyEvent watcher, or waiting, croaks with the
loop's message (C<belongs to the parent process and cannot be used in a
forked child>); guards that the child inherited and destroys (at the latest
when it exits) leave the parent's loop alone, silently.  A child that wants
an event loop should C<exec>, or use a new L<Linux::Event> loop of its own.

=head1 SEE ALSO

L<AnyEvent>, L<AE>, L<Linux::Event>, L<Linux::Event::Loop>,
L<Future::IO::Impl::LinuxEvent>

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes AnyEvent::Impl::LinuxEvent version 0.009.

=cut
