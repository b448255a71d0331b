package Linux::Event::Loop;
use v5.36;

our $VERSION = '0.009';

use Carp ();
use Config ();
use Scalar::Util ();
use Linux::Event ();
use Linux::Event::Loop::Clock ();

our @CARP_NOT = qw(Linux::Event Linux::Event::Watcher Linux::Event::Wakeup
    Linux::Event::Signal Linux::Event::Pid);

# run, run_once, stop, after, at and cancel are XSUBs (src/perl/loop_xs.rs).

sub new {
    my ($class, @args) = @_;
    Carp::croak('Linux::Event::Loop->new: odd number of arguments (expected name => value pairs)')
        if @args % 2;
    my %opt = @args;
    for my $name (qw(clock timer)) {
        Carp::croak("Linux::Event::Loop->new: the '$name' option is not supported "
                . '(the loop always uses CLOCK_MONOTONIC and its own timer heap)')
            if exists $opt{$name};
    }
    my $backend = delete $opt{backend};
    if (defined $backend) {
        Carp::croak('Linux::Event::Loop->new: backend objects are not supported; '
                . "the only backend is 'epoll'")
            if ref $backend;
        Carp::croak("Linux::Event::Loop->new: unknown backend '$backend'") if $backend ne 'epoll';
    }
    Carp::croak('Linux::Event::Loop->new: unknown args: ' . join(', ', sort keys %opt)) if %opt;

    my $self = bless {}, ref($class) || $class;
    $self->_init;
    return $self;
}

# Croaks unless the invocant is a loop object (not a class name, not
# another class's object).
sub _check_self ($self) {
    Carp::croak('not a Linux::Event::Loop object')
        unless Scalar::Util::blessed($self) && $self->isa(__PACKAGE__);
}

my %WATCH_KEY = map { $_ => 1 } qw(read write error data edge_triggered oneshot);

# A reference to the glob that a bare glob value (a copy) stands for: the
# loop keeps only a weak reference, which must point at the real thing.
sub _glob_ref ($glob) {
    my $name = *{$glob}{PACKAGE} . '::' . *{$glob}{NAME};
    no strict 'refs';
    return *{$name}{IO} && defined fileno(*{$name}) ? \*{$name} : *{$glob}{IO};
}

# The reference and descriptor of a handle, or nothing.
sub _handle ($fh) {
    return unless defined $fh;
    my $ref = ref $fh ? $fh : ref \$fh eq 'GLOB' ? _glob_ref($fh) : return;
    my $fd = eval { fileno($ref) };
    return unless defined $fd && $fd >= 0;
    return ($ref, $fd);
}

# watch, unwatch, signal and pid call their engine half as a function: it
# checks the invocant.
sub watch {
    my ($self, $fh, @spec) = @_;
    Carp::croak('Usage: $loop->watch($fh, read => $cb, write => $cb, ...)') if @_ < 2;
    Carp::croak('watch: odd number of arguments after the handle (expected name => value pairs)')
        if @spec % 2;
    my %spec = @spec;
    my @unknown = grep { !$WATCH_KEY{$_} } keys %spec;
    Carp::croak('unknown watch args: ' . join(', ', sort @unknown)) if @unknown;
    my ($ref, $fd) = _handle($fh);
    Carp::croak('watch: the handle has no file descriptor (is it open?)') unless defined $fd;
    return _watch($self, $ref, $fd, @spec{qw(read write error data edge_triggered oneshot)});
}

sub unwatch {
    my ($self, $fh) = @_;
    Carp::croak('Usage: $loop->unwatch($fh)') if @_ != 2;
    my (undef, $fd) = _handle($fh);
    return _unwatch_fd($self, $fd // -1) ? 1 : 0;
}

sub waker {
    my ($self) = @_;
    _check_self($self);
    Carp::croak('Usage: $loop->waker') if @_ != 1;
    return $self->{waker} if $self->{waker};
    my $fd = $self->_waker_fd;
    open(my $fh, '<&=', $fd) or Carp::croak("cannot open a handle on the waker's eventfd: $!");
    my $waker = bless { fh => $fh, loop => $self }, 'Linux::Event::Wakeup';
    Scalar::Util::weaken($waker->{loop});
    $self->_attach_waker($waker, $fh);
    return $self->{waker} = $waker;
}

# The loop's clock, made on first use and ticked by every later call: 0.007's
# loop ticked it every cycle, so `$loop->clock->now_s` was always recent.
sub clock {
    my ($self) = @_;
    _check_self($self);
    Carp::croak('Usage: $loop->clock') if @_ != 1;
    my $clock = $self->{clock} or return $self->{clock} = Linux::Event::Loop::Clock->new;
    $clock->tick;
    return $clock;
}

# 0.007's accessors for its Perl-level parts, which live in the engine here.
my %INSTEAD = (
    timer   => 'the loop has no timerfd object; use $loop->after or $loop->at to schedule '
        . 'timers and $loop->cancel to cancel them',
    backend => 'the epoll backend is part of the engine, with no Perl object; '
        . 'use $loop->watch, $loop->unwatch and $loop->run_once',
    sched   => 'the timer queue is part of the engine, with no Perl object; use $loop->after '
        . 'and $loop->at (in seconds), $loop->cancel, and $loop->clock for the time',
);
for my $name (sort keys %INSTEAD) {
    no strict 'refs';
    *{$name} = sub { Carp::croak("Linux::Event::Loop->$name is not available: $INSTEAD{$name}") };
}

# Signal names from this perl's %Config, without the SIG prefix.
my %SIGNO;
{
    my @names = split ' ', $Config::Config{sig_name};
    my @nums  = split ' ', $Config::Config{sig_num};
    @SIGNO{@names} = @nums;
    delete $SIGNO{ZERO};
}

sub _signal_number ($sig) {
    Carp::croak('signal: undefined signal') unless defined $sig;
    Carp::croak('signal: a signal must be a number or a name, not a reference') if ref $sig;
    my $name = uc($sig =~ s/\A\s+|\s+\z//gr);
    return 0 + $name if $name =~ /\A[0-9]+\z/;    # the engine checks the number
    $name =~ s/\ASIG//;
    return $SIGNO{$name} if exists $SIGNO{$name};
    if ($name =~ /\ARTM(IN|AX)([+-])([0-9]+)\z/ && exists $SIGNO{"RTM$1"}) {
        my $n = $SIGNO{"RTM$1"} + ($2 eq '+' ? $3 : -$3);
        return $n if $n >= $SIGNO{RTMIN} && $n <= $SIGNO{RTMAX};
    }
    Carp::croak("signal: unknown signal '$sig'");
}

sub signal {
    my ($self, $sigs, $cb, @opt) = @_;
    Carp::croak('Usage: $loop->signal($signal_or_list, $cb, data => $data)') if @_ < 3;
    Carp::croak('signal: odd number of options (expected name => value pairs)') if @opt % 2;
    my %opt  = @opt;
    my $data = delete $opt{data};
    Carp::croak('unknown signal args: ' . join(', ', sort keys %opt)) if %opt;
    my @signos = map { _signal_number($_) } ref $sigs eq 'ARRAY' ? @$sigs : ($sigs);
    return _signal($self, \@signos, $cb, $data);
}

sub pid {
    my ($self, $pid, $cb, @opt) = @_;
    Carp::croak('Usage: $loop->pid($pid, $cb, data => $data, reap => 1)') if @_ < 3;
    Carp::croak('pid: odd number of options (expected name => value pairs)') if @opt % 2;
    my %opt  = @opt;
    my $data = delete $opt{data};
    my $reap = exists $opt{reap} ? delete $opt{reap} : 1;
    Carp::croak('unknown pid args: ' . join(', ', sort keys %opt)) if %opt;
    return _pid($self, $pid, $cb, $data, $reap ? 1 : 0);
}

1;

__END__

=head1 NAME

Linux::Event::Loop - the event loop: timers, I/O watchers, wakeups, signals, child processes

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;

  my $loop = Linux::Event::Loop->new(backend => 'epoll');

  pipe(my $r, my $w) or die "pipe: $!";
  $loop->watch($r, read => sub ($loop, $fh, $watcher) {
      sysread($fh, my $buf, 64);
      say "read: $buf";
      $watcher->cancel;
      $loop->stop;
  });

  my $id = $loop->after(10, sub ($loop) { die "never happens" });
  $loop->cancel($id);
  $loop->after(0.01, sub ($loop) { syswrite($w, "hello") });

  $loop->run;

=head1 DESCRIPTION

One loop object owns one epoll instance and dispatches, in cycles, the
callbacks of ready file descriptors and of due timers.  All timing is on
C<CLOCK_MONOTONIC> in seconds (fractions allowed).  Each callback is called
with a fixed argument list, never more, never fewer.

=head1 CONSTRUCTOR

=head2 new

  my $loop = Linux::Event::Loop->new(backend => 'epoll');

Returns a new loop, with its own epoll instance.  The only option is
C<backend>, which defaults to C<'epoll'>.  Croaks on:

=over 4

=item *

an odd number of arguments;

=item *

any backend name but C<'epoll'> (C<unknown backend 'x'>);

=item *

unknown option names, listing them in sorted order (C<unknown args: a, b>);

=item *

the C<clock> and C<timer> options and backend objects, which upstream 0.007
accepted for its tests: they are not supported, and the message says so.

=back

C<< Linux::Event->new(%options) >> is the same constructor.

=head1 ACCESSORS

=head2 clock

  my $clock = $loop->clock;
  $clock->tick;
  $loop->at($clock->now_s + 0.08, sub ($loop) { ... });

Returns the loop's L<Linux::Event::Loop::Clock>, made on first use (later
calls return the same object): the methods of Linux::Event::Clock 0.011
(C<tick>, C<now_ns>, C<now_s>, C<deadline_after> and the other deadline
helpers), on C<CLOCK_MONOTONIC>, the timebase of L</at>.  Every call ticks
it, so C<< $loop->clock->now_s >> is the time of that call.  The loop does
not tick it otherwise: a program that keeps the clock in a variable calls
C<tick> before reading it.  Croaks if given arguments (C<Usage:>).

=head2 timer, backend, sched

0.007 returned its timerfd wrapper, its epoll backend object and its timer
queue object.  Here they are part of the engine and have no Perl object, so
these three croak, saying what to use instead: C<after>, C<at> and
C<cancel> for timers, C<watch>, C<unwatch> and C<run_once> for the backend,
and C<clock> for the time.

=head1 RUNNING

=head2 run

  $loop->run;

Dispatches cycles (see L<Linux::Event/ONE CYCLE>) until L</stop> is called,
then returns an empty list.  C<run> can be called again after it returned.
A C<stop> called while the loop is not running has no effect on a later
C<run>.

With nothing that can ever become ready (no watcher, timer, subscription or
waker), C<run> blocks in the kernel until a C<%SIG> handler calls C<stop>.

Croaks, with C<already running> in the message, when called from inside one
of the loop's own callbacks; croaks too in another thread or in a forked
child (see L</THREADS AND FORK>).  An exception thrown by a callback
propagates out of C<run> (see L</ERRORS>).

=head2 run_once

  my $ran = $loop->run_once;        # wait for the next timer or event
  my $ran = $loop->run_once(0);     # poll, never block
  my $ran = $loop->run_once(0.25);  # wait at most 0.25 s

Does at most one wait/dispatch cycle and returns the number of callbacks it
ran (0 when the timeout passed with nothing to do).  Each timer, I/O,
C<on_wakeup>, signal and child callback counts one; running Perl's deferred
C<%SIG> handlers counts one; a wakeup with no C<on_wakeup> handler, or a
signal with no handler, is consumed and counts nothing.  (0.007 returned,
without documenting it, the number of descriptors the kernel reported
ready, and 0 when C<stop> ended the cycle before its wait; the count of
callbacks says what the cycle did, which is what callers test.)

With no timeout (or undef) it blocks until the next timer is due or
something is ready; like C<run>, it blocks until a C<%SIG> handler runs if
nothing can ever become ready.  C<0> polls.  It can be used without C<run>,
to pump the loop by hand.  If a C<%SIG> handler interrupts the wait, the
handler runs and C<run_once> returns.  A signal that interrupts the wait but
has no Perl handler to run (C<SIGSTOP> and C<SIGCONT>, say) does not end it:
the wait goes on for the rest of its time.

Croaks if the timeout is negative (C<must not be negative>), not a finite
number (NaN or infinite), not numeric, or a reference; and, like C<run>,
with C<already running> inside one of the loop's callbacks, in another
thread or in a forked child.

=head2 stop

  $loop->stop;

Returns an empty list.  Clears the running flag: once C<stop> has run inside
a callback, C<run> returns at the end of that cycle without another kernel
wait (the callbacks already due in that cycle still run).  C<stop> is
also the one loop method a clone of the loop in another ithread may call: it
then also signals the loop's waker (if the waker exists; C<stop> never
creates it), so a C<run> blocked in the kernel in the owning thread returns
at once.  Wakeups caused by C<stop> are not counted by C<drain> or
C<on_wakeup>.  Without a waker, the owning thread's C<run> notices the stop
when its current wait ends (at the next event or timer).  In a forked child
C<stop> croaks like every other method of the parent's loop.

A C<%SIG> handler runs promptly while the loop is blocked in the kernel, so

  $SIG{INT} = sub { $loop->stop };

stops a blocked C<run>.  (Signals subscribed with L</signal> are different:
the loop catches them and calls their callbacks in its next cycle.)

=head1 TIMERS

Timer callbacks are called as C<< $cb->($loop) >>.

=head2 after

  my $id = $loop->after($seconds, sub ($loop) { ... });

Schedules a one-shot timer C<$seconds> (a number, fractions allowed) from
now and returns its id, a positive integer that is unique within the loop.
A negative delay counts as 0; C<after(0, ...)> fires on the next cycle.  A
timer scheduled inside a cycle never fires in that same cycle.  To repeat,
schedule again from the callback (C<< $loop->after($s, __SUB__) >>).

=head2 at

  $loop->clock->tick;
  my $id = $loop->at($loop->clock->now_s + 0.08, sub ($loop) { ... });

Schedules a timer at an absolute C<CLOCK_MONOTONIC> time in seconds, the
time of L</clock> (and of C<Time::HiRes::clock_gettime(CLOCK_MONOTONIC)>).
A deadline in the past fires on the next cycle.

Timers fire in deadline order; equal deadlines fire in the order they were
scheduled.  A timer never fires early; the loop rounds its waits for timers
up to whole milliseconds, so a timer may fire up to about a millisecond late
and timers due within the same millisecond share one wakeup.

C<after> and C<at> croak on:

=over 4

=item *

a missing time or callback, or extra arguments (a C<Usage:> message);

=item *

an undefined, non-numeric, infinite or NaN time;

=item *

a time more than 1e9 seconds away (C<too large>, C<too far in the future>);

=item *

a callback that is not a CODE reference.

=back

=head2 cancel

  my $removed = $loop->cancel($id);
  $loop->cancel($self->{idle_timer});   # fine even if it was never armed

1 if a pending timer was removed; 0 for C<undef> and for any other value
that is not the id of a pending timer (an id that fired, was cancelled or
was never issued, or any other plain value), as in 0.007: teardown code may
cancel ids that were never armed.  Croaks if C<$id> is a reference or an
object (C<timer id must be an id returned by after or at>), which can only
be a mistake, and unless given exactly one argument (C<Usage:>).

=head1 I/O WATCHERS

=head2 watch

  my $watcher = $loop->watch($fh,
      read           => sub ($loop, $fh, $watcher) { ... },
      write          => sub ($loop, $fh, $watcher) { ... },
      error          => sub ($loop, $fh, $watcher) { ... },
      data           => $anything,
      edge_triggered => 0,
      oneshot        => 0,
  );

Watches the descriptor of C<$fh> and returns a L<Linux::Event::Watcher>.
C<$fh> is a glob (C<\*STDIN>, C<*STDIN>), a lexical filehandle or an
L<IO::Handle> object (sockets included) with an open descriptor; a bare
descriptor number is not accepted.  Every key is optional:

=over 4

=item C<read>, C<write>, C<error>

The handlers, CODE references or undef, called as
C<< $cb->($loop, $fh, $watcher) >>.  A direction is enabled when its handler
is given; a direction is dispatched, and asked of the kernel, only while it
is both enabled and has a handler.  A watcher with no handler at all is
allowed (install them later with C<on_read> and the like).

=item C<data>

Any value, kept in the watcher (see L<Linux::Event::Watcher/data>).

=item C<edge_triggered>

Boolean, default false: C<EPOLLET>.  The kernel reports a descriptor once
per change, so the handler must read (or write) until C<EAGAIN>, on a
non-blocking handle.

=item C<oneshot>

Boolean, default false: C<EPOLLONESHOT>; see L</Dispatch order>.

=back

Croaks on a missing handle (C<Usage:>), an odd number of arguments after
the handle, unknown keys (C<unknown watch args: x, y>), a handler that is
neither a CODE reference nor undef, a handle with no open descriptor
(C<the handle has no file descriptor>), a descriptor epoll refuses, such as
a regular file or a directory (C<cannot be watched>), and the loop's own
descriptors (C<reserved for the loop's own use>): its eventfds (for the
waker and for signals) and pidfds, and the waker's handle while that handle is open (use
L<Linux::Event::Wakeup/on_wakeup>).  Once the user closes C<< $waker->fh >>,
its number is free: a handle that reuses it can be watched.

Watchers are keyed by file descriptor: watching an fd that is already
watched replaces the old watcher, which becomes inactive and never fires
again.

The loop does not own the handle: it never closes it, and it keeps only a
weak reference to it.  If the handle is dropped or closed without
C<unwatch>, nothing fires for it again, even if the kernel reuses the
number; its C<is_active> says 0 at once, and the loop purges it silently
the next time the fd is reported (its C<fh> is undef once the handle is
gone).  Call C<unwatch> (or C<< $watcher->cancel >>) before
closing a handle to remove the watcher at once.  Such a watcher's setters
change nothing and its getters say 0, and C<unwatch> of a new handle that
reuses the number returns false: the new handle was not watched.

Closing a watched handle while another descriptor still refers to the same
open file (a C<dup>, the copy a forked child inherited, a socket passed to
another process) leaves the kernel's registration behind, and the kernel
can no longer be asked to remove it.  When it reports that registration,
the loop rebuilds its epoll set from its own records (as libev does), so it
goes on sleeping when nothing is ready; a ready edge-triggered watcher may
then be told once more, never less.

=head2 unwatch

  my $removed = $loop->unwatch($fh);

Removes the watcher of C<$fh>'s descriptor: 1 if a watcher was removed, 0
(no error) if there was none, including for undef or a closed handle.  Safe
to repeat.  The handle is not closed.  Croaks unless given exactly one
argument (C<Usage:>).

=head2 Dispatch order

For one ready descriptor, in this frozen order:

=over 4

=item 1.

If the kernel reports an error condition and an enabled C<error> handler
exists, only C<error> is called.  With no error handler, an error condition
counts as both readable and writable.

=item 2.

A hang-up counts as readable (so the read handler sees end-of-file).

=item 3.

C<read> is called if readable and read is enabled; then

=item 4.

C<write> if writable and write is enabled, unless the read handler cancelled
or replaced the watcher, closed or dropped its handle, or disabled write.

=back

The kernel reports hang-up and error conditions whatever is enabled.  A
watcher with read and write both disabled (reading paused for backpressure,
say) whose descriptor hangs up is therefore set aside after that report:
the loop stops asking the kernel about it, rather than waking at once, every
cycle, for something no callback takes.  Enabling a direction again asks the
kernel afresh, and the callback is told what is pending (an end of file).

Oneshot watchers are disarmed by the kernel after one delivery; toggling a
direction (C<disable_read> then C<enable_read>, for example) re-arms them,
also from inside the callback and also when the interest is unchanged.  A
oneshot watcher stays active: firing does not cancel it.  See
F<examples/oneshot_edge_reader.pl>.

=head1 WAKEUPS

=head2 waker

  my $waker = $loop->waker;

Returns the loop's one L<Linux::Event::Wakeup>, creating it (and its
eventfd) on first use; later calls return the same object.  Create it before
starting threads or forking, so that they inherit it.  Croaks if given
arguments (C<Usage:>), and, like the other methods, in a forked child or
another thread if the waker does not exist yet.

=head1 SIGNALS

=head2 signal

  my $sub = $loop->signal('USR1', sub ($loop, $signo, $count, $data) { ... }, data => $x);
  my $sub = $loop->signal([qw(INT TERM)], sub { ... });

Subscribes to a signal, given by number or by name (with or without C<SIG>,
in any case), or to an array reference of them, caught by the loop's
handler, and returns a L<Linux::Event::Signal::Subscription>.  Names may
have surrounding white space.  The only option is C<data>.  Croaks on a missing callback (C<Usage:>), a callback that is not a
CODE reference, an odd number of options, unknown options
(C<unknown signal args: x>), an undefined signal, a reference, an empty
list, an unknown name or number (C<unknown signal 'FOO'>), and C<KILL> or
C<STOP> (C<cannot handle signal>).  See L<Linux::Event::Signal> for the
semantics, and what catching the signals means for the program, its
threads and its child processes.

=head1 CHILD PROCESSES

=head2 pid

  my $sub = $loop->pid($pid, sub ($loop, $pid, $status, $data) { ... }, reap => 1);

Calls the callback once when process C<$pid> exits (through a pidfd), and
returns a L<Linux::Event::Pid::Subscription>.  Options: C<data>, and
C<reap> (default 1: the loop reaps the child and passes its raw wait
status).  Croaks on a
missing callback (C<Usage:>), a callback that is not a CODE reference, an
odd number of options, unknown options (C<unknown pid args: x>), a C<$pid>
that is not a positive integer, a process that does not exist
(C<no such process>), and, with C<< reap => 1 >>, a process that is not a
child of this one (C<not a child of this process>); also where the kernel
or a sandbox offers no pidfd_open(2) (C<needs pidfd_open(2)>).  See
L<Linux::Event::Pid>.

The adaptor objects of 0.007, C<< Linux::Event::Signal->new(loop => $loop) >>
and C<< Linux::Event::Pid->new(loop => $loop) >>, have the same C<signal> and
C<pid> methods.

=head1 ERRORS

Every croak names the method and what was wrong, and is reported from the
caller's line, as Carp's C<croak> picks it, whether the check is made in
Perl or in the engine: the line of the first call into Linux::Event's
packages from a package outside them.  A wrapper sub in another package is
such a caller; a subclass of a Linux::Event class is not (Carp trusts a
subclass), so a croak in a subclass method that calls the parent's method
points at the line that called the subclass method.

An exception thrown by any callback propagates out of C<run>/C<run_once>
unchanged (the same string or the same object); the loop stays consistent,
nothing pending is lost (events not yet dispatched in that cycle are
dispatched by the next one, including the write half of a delivery whose
read handler died, for edge-triggered and oneshot watchers too; the next
cycle delivers leftover signals together with new ones, still in ascending
number), and it can be run again.

=head1 CALLBACKS THAT CHANGE THE LOOP

A callback may do anything to the loop that runs it; what happens is:

=over 4

=item * dropping the last reference to the loop

The loop keeps itself alive until C<run>/C<run_once> returns, then it is
freed (its watchers become inactive, its timers and subscriptions go away).

=item * calling C<run> or C<run_once> on the same loop

Croaks with C<already running>.  Running a different loop is allowed.

=item * unwatching, cancelling or re-watching its own descriptor

Takes effect at once: the old watcher never fires again (not even the write
half of the current dispatch), a new watcher on the same descriptor gets the
next event.

=item * cancelling timers, including every pending one

Cancelled timers never fire, even if they were due in the same cycle.

=item * scheduling timers

A timer scheduled in a cycle waits for the next one, whatever its deadline
(C<at(0, ...)> included), and never keeps the timers already due from
running in this one.

=item * closing or dropping the handle it was called for

The watcher is inactive at once: the write half of the same delivery does
not run.

=item * C<exit>

The program exits with that status and its C<END> blocks run, as from any
Perl code; the loop releases nothing on the way out.

=item * C<fork>

In the child, the callback's return into the parent's loop croaks (the loop
belongs to the parent); the parent goes on as usual.

=back

=head1 THREADS AND FORK

A loop belongs to the interpreter (ithread) that created it.  When a thread
is created, its clone of the loop can only C<stop> the loop, and the clone of
the waker can C<signal> and C<drain> (C<drain> takes the counts from the
loop's eventfd, as it would in the owning thread); every other method croaks
with a message that says the loop belongs to another thread.  A clone of a
watcher keeps its own copies of C<data>, C<loop>, C<fh> and C<fd>, which
can be read (setting C<data> in the thread changes only the thread's copy);
its other methods, and those of a clone of a signal or child subscription,
croak the same way.  The clone never frees, closes or changes the parent's
state.  See F<examples/thread_workers.pl>.

After C<fork>, the child shares the parent's epoll set, so in the child the
parent's loop refuses to run or change anything: C<run>, C<run_once>,
C<stop>, the timer, watch and subscription methods, C<on_wakeup>, and the
methods that change a watcher or cancel a subscription croak, saying the
loop belongs to the parent process.  Getters (C<is_active>,
C<read_enabled>, C<data> and the like) read the child's copy.
C<< $waker->signal >> works and wakes the parent; C<< $waker->drain >>
croaks (it would take the parent's wakeups).  A new loop created in the
child works normally.  See F<examples/fork_workers.pl>.

A forked child does not catch the signals its parent subscribed: it starts
with the dispositions and the mask the program had before its
subscriptions (L<Linux::Event::Signal/CHILD PROCESSES>).

=head1 DIFFERENCES FROM UPSTREAM 0.007

Among others: the refused C<clock>, C<timer> and backend-object options,
the croaking C<timer>, C<backend> and C<sched> accessors, when the clock is
ticked, I/O before timers within a cycle, weakly held handles, the
reserved waker descriptor, what C<run_once> returns, and the safety of
threads and fork.  The complete list is
L<Linux::Event/DIFFERENCES FROM UPSTREAM 0.007>.

=head1 SEE ALSO

L<Linux::Event>, L<Linux::Event::Watcher>, L<Linux::Event::Wakeup>,
L<Linux::Event::Signal>, L<Linux::Event::Pid>, L<Linux::Event::Loop::Clock>,
epoll(7),
L<Time::HiRes/clock_gettime>

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Loop version 0.009.

=cut
